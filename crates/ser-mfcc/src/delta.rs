//! Delta (derivative) features, librosa `feature.delta` semantics.

use ndarray::{Array2, ArrayView2, ArrayViewMut2};

use crate::error::{invalid, MfccError};

/// Coefficients `c` (shape `[width]`) such that `sum_j c[j] * x[s + j]` is the `order`-th
/// derivative of the least-squares polynomial of degree `order` fitted to `x[s..s + width]`
/// (a Savitzky-Golay filter with `polyorder = deriv = order`, unit sample spacing).
fn savgol_deriv_coeffs(width: usize, order: usize) -> Option<Vec<f64>> {
    let h = (width / 2) as f64;
    let p = order + 1;
    // Normal matrix G = A^T A, A[j][i] = x_j^i, x_j = j - h
    let xs: Vec<f64> = (0..width).map(|j| j as f64 - h).collect();
    let mut g = vec![vec![0.0f64; p + 1]; p];
    for (r, row) in g.iter_mut().enumerate() {
        for (c, v) in row.iter_mut().take(p).enumerate() {
            *v = xs.iter().map(|x| x.powi((r + c) as i32)).sum();
        }
        row[p] = if r == order { 1.0 } else { 0.0 };
    }
    // Gaussian elimination with partial pivoting
    for col in 0..p {
        let piv = (col..p).max_by(|&a, &b| g[a][col].abs().total_cmp(&g[b][col].abs()))?;
        if g[piv][col].abs() < 1e-300 {
            return None;
        }
        g.swap(col, piv);
        let pivot_row = g[col].clone();
        for (r, row) in g.iter_mut().enumerate() {
            if r != col {
                let f = row[col] / pivot_row[col];
                for (v, pv) in row[col..].iter_mut().zip(&pivot_row[col..]) {
                    *v -= f * pv;
                }
            }
        }
    }
    let z: Vec<f64> = (0..p).map(|r| g[r][p] / g[r][r]).collect();
    let fact: f64 = (1..=order).map(|k| k as f64).product();
    Some(
        xs.iter()
            .map(|x| {
                fact * z
                    .iter()
                    .enumerate()
                    .map(|(i, zi)| zi * x.powi(i as i32))
                    .sum::<f64>()
            })
            .collect(),
    )
}

/// A planned [`delta`] filter: the Savitzky-Golay coefficients of one `width` and `order`,
/// applied without allocating.
#[derive(Debug, Clone)]
pub(crate) struct DeltaFilter {
    coeffs: Vec<f64>,
}

impl DeltaFilter {
    /// Checks `width` (odd, >= 3) and `order` (`1..width`).
    pub(crate) fn check(width: usize, order: usize) -> Result<(), MfccError> {
        if width < 3 || width % 2 == 0 {
            return Err(invalid("width", "an odd integer >= 3", width));
        }
        if order == 0 || order >= width {
            return Err(invalid("order", format!("1..{width} (width)"), order));
        }
        Ok(())
    }

    /// Plans the filter.
    pub(crate) fn new(width: usize, order: usize) -> Result<Self, MfccError> {
        Self::check(width, order)?;
        let coeffs = savgol_deriv_coeffs(width, order)
            .ok_or_else(|| invalid("order", "a well-conditioned fit", order))?;
        Ok(Self { coeffs })
    }

    /// Checks that a clip of `frames` frames is long enough (`mode="interp"` fits the
    /// polynomial to `width` frames).
    pub(crate) fn check_frames(&self, frames: usize) -> Result<(), MfccError> {
        let width = self.coeffs.len();
        if width > frames {
            return Err(invalid(
                "width",
                format!("<= number of frames ({frames}) for mode interp"),
                width,
            ));
        }
        Ok(())
    }

    /// The filter along axis 1 of `data` (`[n_features, frames]`, any strides) into `out`
    /// (same shape, any strides), in f64. `data.ncols()` must have passed
    /// [`DeltaFilter::check_frames`] and `out` must have `data`'s shape.
    pub(crate) fn apply(&self, data: ArrayView2<f32>, mut out: ArrayViewMut2<f32>) {
        let frames = data.ncols();
        let width = self.coeffs.len();
        let h = width / 2;
        for (row, mut orow) in data.rows().into_iter().zip(out.rows_mut()) {
            for (t, o) in orow.iter_mut().enumerate() {
                let s = t.saturating_sub(h).min(frames - width);
                let v: f64 = self
                    .coeffs
                    .iter()
                    .enumerate()
                    .map(|(j, c)| c * f64::from(row[s + j]))
                    .sum();
                *o = v as f32;
            }
        }
    }
}

/// Delta features along time (axis 1) of `data` (shape `[n_features, frames]`), as
/// `librosa.feature.delta(data, width, order, axis=-1, mode="interp")`: a Savitzky-Golay
/// derivative filter of window `width` (librosa default 9) and polynomial order `order`
/// (1 = delta, 2 = delta-delta). At the edges the polynomial is fitted to the first/last
/// `width` frames (`mode="interp"`). Output shape `[n_features, frames]`, computed in f64.
///
/// # Errors
/// [`MfccError::InvalidConfig`] when `width` is even or `< 3`, `order == 0`, `order >= width`,
/// or `width > frames` (librosa raises for the same cases).
pub fn delta(data: ArrayView2<f32>, width: usize, order: usize) -> Result<Array2<f32>, MfccError> {
    let filter = DeltaFilter::new(width, order)?;
    filter.check_frames(data.ncols())?;
    let mut out = Array2::<f32>::zeros(data.raw_dim());
    filter.apply(data, out.view_mut());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn first_order_is_regression_slope() {
        let c = savgol_deriv_coeffs(9, 1).unwrap();
        for (j, v) in c.iter().enumerate() {
            assert!((v - (j as f64 - 4.0) / 60.0).abs() < 1e-12);
        }
    }

    #[test]
    fn polynomials_are_differentiated_exactly() {
        let frames = 20;
        let x = Array2::from_shape_fn((2, frames), |(r, t)| {
            let t = t as f32;
            if r == 0 {
                3.0 * t - 1.0
            } else {
                0.5 * t * t
            }
        });
        let d1 = delta(x.view(), 9, 1).unwrap();
        let d2 = delta(x.view(), 9, 2).unwrap();
        for t in 0..frames {
            assert!((d1[[0, t]] - 3.0).abs() < 1e-4);
            // interior: exact derivative; edges (mode interp): slope of the line fitted to
            // the first/last 9 frames, i.e. the derivative at that window's centre
            let centre = t.clamp(4, frames - 5) as f32;
            assert!((d1[[1, t]] - centre).abs() < 1e-3);
            assert!((d2[[1, t]] - 1.0).abs() < 1e-4);
        }
        assert!(delta(x.view(), 8, 1).is_err());
        assert!(delta(x.view(), 21, 1).is_err());
    }
}
