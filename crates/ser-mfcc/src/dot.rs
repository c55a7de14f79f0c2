//! Small dot-product kernels with f64 accumulation.

/// `sum a[i] * b[i]` over the common length, products and sums in f64 with 4 independent
/// lanes (so the compiler can vectorise without reassociating).
#[inline(always)]
pub(crate) fn dot_f64(a: &[f32], b: &[f32]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f64; 4];
    let ca = a.chunks_exact(4);
    let cb = b.chunks_exact(4);
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for j in 0..4 {
            acc[j] += f64::from(x[j]) * f64::from(y[j]);
        }
    }
    let mut tail = 0.0f64;
    for (x, y) in ra.iter().zip(rb) {
        tail += f64::from(*x) * f64::from(*y);
    }
    (acc[0] + acc[2]) + (acc[1] + acc[3]) + tail
}

/// Natural logarithm of a positive, finite, normal f64, branch-free so loops over it
/// vectorise: `x = m 2^e` with `m` in `[sqrt(1/2), sqrt(2))`, then
/// `ln m = 2 atanh((m - 1) / (m + 1))` by its odd series to `s^15` (relative error < 1e-12,
/// far below the f32 rounding the callers apply).
#[inline(always)]
pub(crate) fn ln_pos(x: f64) -> f64 {
    const SQRT2: f64 = std::f64::consts::SQRT_2;
    let bits = x.to_bits();
    // exponent as f64 without an int->float conversion: 2^52 + biased exponent, minus the bias
    let e =
        f64::from_bits((bits >> 52) | 0x4330_0000_0000_0000) - (4_503_599_627_370_496.0 + 1023.0);
    let m = f64::from_bits((bits & 0x000F_FFFF_FFFF_FFFF) | 0x3FF0_0000_0000_0000);
    let big = m > SQRT2;
    let m = if big { m * 0.5 } else { m };
    let e = if big { e + 1.0 } else { e };
    let s = (m - 1.0) / (m + 1.0);
    let z = s * s;
    let poly = 1.0
        + z * (1.0 / 3.0
            + z * (1.0 / 5.0
                + z * (1.0 / 7.0
                    + z * (1.0 / 9.0 + z * (1.0 / 11.0 + z * (1.0 / 13.0 + z * (1.0 / 15.0)))))));
    e * std::f64::consts::LN_2 + 2.0 * s * poly
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ln_pos_is_accurate() {
        let mut x = 1e-30f64;
        while x < 1e30 {
            for f in [
                1.0,
                1.1,
                std::f64::consts::SQRT_2 * (1.0 - 1e-15),
                std::f64::consts::SQRT_2 * (1.0 + 1e-15),
                1.5,
                1.99999,
            ] {
                let v = x * f;
                let (got, want) = (ln_pos(v), v.ln());
                assert!(
                    (got - want).abs() <= 1e-12 * want.abs().max(1.0),
                    "{v}: {got} vs {want}"
                );
            }
            x *= 3.7;
        }
        assert_eq!(ln_pos(1.0), 0.0);
        assert!(
            (ln_pos(f64::from(f32::MIN_POSITIVE) / 4.0)
                - (f64::from(f32::MIN_POSITIVE) / 4.0).ln())
            .abs()
                < 1e-10
        );
    }
}
