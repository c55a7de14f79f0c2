//! DCT-II (orthonormal) and the cepstral lifter.

use ndarray::Array2;

/// Orthonormal DCT-II basis (scipy `dct(type=2, norm="ortho")`), truncated to the first
/// `n_out` coefficients: shape `[n_out, n_in]`, `D[k, n] = s_k cos(pi k (2n + 1) / (2 n_in))`
/// with `s_0 = sqrt(1 / n_in)`, `s_k = sqrt(2 / n_in)`. Computed in f64, stored as f32.
pub fn dct_ortho_matrix(n_out: usize, n_in: usize) -> Array2<f32> {
    let mut m = Array2::<f32>::zeros((n_out, n_in));
    if n_in == 0 {
        return m;
    }
    let nf = n_in as f64;
    for k in 0..n_out {
        let s = if k == 0 {
            (1.0 / nf).sqrt()
        } else {
            (2.0 / nf).sqrt()
        };
        for n in 0..n_in {
            let ang = std::f64::consts::PI * k as f64 * (2 * n + 1) as f64 / (2.0 * nf);
            m[[k, n]] = (s * ang.cos()) as f32;
        }
    }
    m
}

/// Direct (O(n^2), f64) orthonormal DCT-II of `x`, first `n_out` coefficients. Shape `[n_out]`.
/// Slow reference implementation, also handy for one-off use.
pub fn dct2_ortho(x: &[f32], n_out: usize) -> Vec<f32> {
    let nf = x.len() as f64;
    (0..n_out)
        .map(|k| {
            if x.is_empty() {
                return 0.0;
            }
            let s = if k == 0 {
                (1.0 / nf).sqrt()
            } else {
                (2.0 / nf).sqrt()
            };
            let sum: f64 = x
                .iter()
                .enumerate()
                .map(|(n, &v)| {
                    f64::from(v)
                        * (std::f64::consts::PI * k as f64 * (2 * n + 1) as f64 / (2.0 * nf)).cos()
                })
                .sum();
            (s * sum) as f32
        })
        .collect()
}

/// Lifter weights (librosa `mfcc(lifter=L)`): `1 + (L / 2) sin(pi (k + 1) / L)` for
/// `k = 0..n_mfcc`, evaluated in f32 step by step as librosa does for float32 input.
/// `None` when `lifter <= 0` (no liftering). Shape `[n_mfcc]`.
pub fn lifter_weights(n_mfcc: usize, lifter: f64) -> Option<Vec<f32>> {
    if lifter.is_nan() || lifter <= 0.0 {
        return None;
    }
    let l = lifter as f32;
    let half = (lifter / 2.0) as f32;
    Some(
        (0..n_mfcc)
            .map(|k| {
                let arg = std::f32::consts::PI * (k + 1) as f32 / l;
                1.0 + half * arg.sin()
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matrix_is_orthonormal_and_matches_naive() {
        let m = dct_ortho_matrix(16, 16);
        for i in 0..16 {
            for j in 0..16 {
                let d: f64 = (0..16)
                    .map(|n| f64::from(m[[i, n]]) * f64::from(m[[j, n]]))
                    .sum();
                let want = if i == j { 1.0 } else { 0.0 };
                assert!((d - want).abs() < 1e-6);
            }
        }
        let x: Vec<f32> = (0..16)
            .map(|i| (i as f32 * 0.7).sin() * 10.0 - 50.0)
            .collect();
        let naive = dct2_ortho(&x, 16);
        for k in 0..16 {
            let v: f64 = (0..16)
                .map(|n| f64::from(m[[k, n]]) * f64::from(x[n]))
                .sum();
            assert!((v - f64::from(naive[k])).abs() < 1e-4);
        }
        // a constant maps to c0 = sqrt(n) * value only
        let c = dct2_ortho(&[-100.0; 128], 4);
        assert!((c[0] + 100.0 * 128f32.sqrt()).abs() < 1e-3);
        assert!(c[1..].iter().all(|v| v.abs() < 1e-3));
    }

    #[test]
    fn lifter() {
        assert!(lifter_weights(4, 0.0).is_none());
        let w = lifter_weights(3, 22.0).unwrap();
        assert!((w[0] - (1.0 + 11.0 * (std::f32::consts::PI / 22.0).sin())).abs() < 1e-5);
    }
}
