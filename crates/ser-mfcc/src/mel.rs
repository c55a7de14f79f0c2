//! Mel scale conversions and the mel filterbank.

use ndarray::Array2;

use crate::config::{MelNorm, MelScale};
use crate::error::{invalid, MfccError};

/// Band ranges are padded to a multiple of this many bins, the widest f32 SIMD vector in use
/// (8 f32 = one AVX2 register).
const DOT_LANES: usize = 8;

const F_SP: f64 = 200.0 / 3.0;
const MIN_LOG_HZ: f64 = 1000.0;
const MIN_LOG_MEL: f64 = MIN_LOG_HZ / F_SP;

fn logstep() -> f64 {
    6.4f64.ln() / 27.0
}

/// Hz to mels (librosa `hz_to_mel`).
pub fn hz_to_mel(hz: f64, scale: MelScale) -> f64 {
    match scale {
        MelScale::Htk => 2595.0 * (1.0 + hz / 700.0).log10(),
        MelScale::Slaney => {
            if hz >= MIN_LOG_HZ {
                MIN_LOG_MEL + (hz / MIN_LOG_HZ).ln() / logstep()
            } else {
                hz / F_SP
            }
        }
    }
}

/// Mels to Hz (librosa `mel_to_hz`).
pub fn mel_to_hz(mel: f64, scale: MelScale) -> f64 {
    match scale {
        MelScale::Htk => 700.0 * (10f64.powf(mel / 2595.0) - 1.0),
        MelScale::Slaney => {
            if mel >= MIN_LOG_MEL {
                MIN_LOG_HZ * (logstep() * (mel - MIN_LOG_MEL)).exp()
            } else {
                F_SP * mel
            }
        }
    }
}

/// `n` frequencies (Hz) equally spaced on the mel scale from `fmin` to `fmax` inclusive
/// (librosa `mel_frequencies`, numpy `linspace` arithmetic). Shape `[n]`.
pub fn mel_frequencies(n: usize, fmin: f64, fmax: f64, scale: MelScale) -> Vec<f64> {
    let lo = hz_to_mel(fmin, scale);
    let hi = hz_to_mel(fmax, scale);
    let mut out: Vec<f64> = if n > 1 {
        let step = (hi - lo) / (n - 1) as f64;
        (0..n).map(|i| i as f64 * step + lo).collect()
    } else {
        vec![lo; n]
    };
    if n > 1 {
        out[n - 1] = hi;
    }
    out.into_iter().map(|m| mel_to_hz(m, scale)).collect()
}

/// Centre frequency (Hz) of each of the `1 + n_fft / 2` FFT bins (numpy `rfftfreq`). Shape `[n_bins]`.
pub fn fft_frequencies(sample_rate: f64, n_fft: usize) -> Vec<f64> {
    let val = 1.0 / (n_fft as f64 * (1.0 / sample_rate));
    (0..=n_fft / 2).map(|k| k as f64 * val).collect()
}

/// A mel filterbank (librosa `filters.mel`), stored sparsely: each band keeps only its
/// nonzero bin range, so applying it costs about two multiply-adds per FFT bin.
#[derive(Debug, Clone, PartialEq)]
pub struct MelFilterbank {
    n_mels: usize,
    n_bins: usize,
    /// Per band: first nonzero bin and the offset of its weights in `weights`.
    ranges: Vec<(usize, usize, usize)>, // (first_bin, len, offset)
    weights: Vec<f32>,
}

impl MelFilterbank {
    /// Builds `n_mels` triangular filters over the `1 + n_fft / 2` bins of an `n_fft`-point FFT
    /// at `sample_rate` Hz, with edges equally spaced on `scale` between `fmin` and `fmax` Hz.
    /// Weights are computed in f64 and stored as f32 exactly as librosa (float32 default).
    ///
    /// # Errors
    /// [`MfccError::InvalidConfig`] for `n_mels == 0`, `n_fft < 2`, a non-positive rate, or
    /// `fmin`/`fmax` not finite with `0 <= fmin < fmax`.
    pub fn new(
        sample_rate: f64,
        n_fft: usize,
        n_mels: usize,
        fmin: f64,
        fmax: f64,
        scale: MelScale,
        norm: MelNorm,
    ) -> Result<Self, MfccError> {
        if n_mels == 0 {
            return Err(invalid("n_mels", ">= 1", n_mels));
        }
        if n_fft < 2 {
            return Err(invalid("n_fft", ">= 2", n_fft));
        }
        if !(sample_rate.is_finite() && sample_rate > 0.0) {
            return Err(invalid("sample_rate", "finite and > 0 Hz", sample_rate));
        }
        if !(fmin.is_finite() && fmin >= 0.0) {
            return Err(invalid("fmin", "finite and >= 0 Hz", fmin));
        }
        if !(fmax.is_finite() && fmax > fmin) {
            return Err(invalid(
                "fmax",
                format!("finite and > fmin ({fmin} Hz)"),
                fmax,
            ));
        }
        let n_bins = 1 + n_fft / 2;
        let fftfreqs = fft_frequencies(sample_rate, n_fft);
        let mel_f = mel_frequencies(n_mels + 2, fmin, fmax, scale);
        let fdiff: Vec<f64> = mel_f.windows(2).map(|w| w[1] - w[0]).collect();
        let mut ranges = Vec::with_capacity(n_mels);
        let mut weights = Vec::new();
        let mut row = vec![0.0f32; n_bins];
        for i in 0..n_mels {
            for (k, r) in row.iter_mut().enumerate() {
                let lower = -(mel_f[i] - fftfreqs[k]) / fdiff[i];
                let upper = (mel_f[i + 2] - fftfreqs[k]) / fdiff[i + 1];
                let mut w = (lower.min(upper)).max(0.0) as f32;
                if norm == MelNorm::Slaney {
                    let enorm = 2.0 / (mel_f[i + 2] - mel_f[i]);
                    w = (f64::from(w) * enorm) as f32;
                }
                *r = w;
            }
            let first = row.iter().position(|&w| w != 0.0);
            let last = row.iter().rposition(|&w| w != 0.0);
            match (first, last) {
                (Some(a), Some(b)) => {
                    // Widen the range (with the row's zeros) to whole lanes of the f32 dot
                    // product where it fits, so it runs without a scalar tail.
                    let len = (b + 1 - a).div_ceil(DOT_LANES) * DOT_LANES;
                    let (a, len) = if len <= n_bins {
                        (a.min(n_bins - len), len)
                    } else {
                        (a, b + 1 - a)
                    };
                    ranges.push((a, len, weights.len()));
                    weights.extend_from_slice(&row[a..a + len]);
                }
                _ => ranges.push((0, 0, weights.len())),
            }
        }
        Ok(Self {
            n_mels,
            n_bins,
            ranges,
            weights,
        })
    }

    /// Number of mel bands.
    pub fn n_mels(&self) -> usize {
        self.n_mels
    }

    /// Number of FFT bins the filterbank expects, `1 + n_fft / 2`.
    pub fn n_bins(&self) -> usize {
        self.n_bins
    }

    /// Number of stored weights (each band's nonzero range, widened to a multiple of 8 bins).
    pub fn nnz(&self) -> usize {
        self.weights.len()
    }

    /// The dense filterbank matrix, shape `[n_mels, n_bins]` (librosa `filters.mel` layout).
    pub fn matrix(&self) -> Array2<f32> {
        let mut m = Array2::<f32>::zeros((self.n_mels, self.n_bins));
        for (b, &(first, len, off)) in self.ranges.iter().enumerate() {
            for j in 0..len {
                m[[b, first + j]] = self.weights[off + j];
            }
        }
        m
    }

    /// Applies the filterbank to one power spectrum `power` (shape `[n_bins]`) into `out`
    /// (shape `[n_mels]`), accumulating each band in f64. Does not allocate.
    ///
    /// # Errors
    /// [`MfccError::ShapeMismatch`] when a slice has the wrong length.
    pub fn apply(&self, power: &[f32], out: &mut [f32]) -> Result<(), MfccError> {
        if power.len() != self.n_bins {
            return Err(MfccError::ShapeMismatch {
                what: "mel power",
                expected: vec![self.n_bins],
                actual: vec![power.len()],
            });
        }
        if out.len() != self.n_mels {
            return Err(MfccError::ShapeMismatch {
                what: "mel out",
                expected: vec![self.n_mels],
                actual: vec![out.len()],
            });
        }
        self.apply_unchecked(power, out);
        Ok(())
    }

    #[inline]
    pub(crate) fn apply_unchecked(&self, power: &[f32], out: &mut [f32]) {
        for (o, &(first, len, off)) in out.iter_mut().zip(&self.ranges) {
            let w = &self.weights[off..off + len];
            let p = &power[first..first + len];
            *o = crate::dot::dot_f64(w, p) as f32;
        }
    }

    /// Applies the filterbank to one power spectrum `power` (`[n_bins]`) into `out`
    /// (`[n_mels]`), accumulating in f32 (as librosa's float32 matrix product) with the
    /// SIMD vectors of `simd` (8 lanes and fused multiply-adds with AVX2 + FMA). The band
    /// ranges are padded to multiples of 8 bins ([`MelFilterbank::new`]), so with 1, 4 or 8
    /// lanes there is no scalar tail.
    #[inline(always)]
    pub(crate) fn apply_simd<S: pulp::Simd>(&self, simd: S, power: &[f32], out: &mut [f32]) {
        for (o, &(first, len, off)) in out.iter_mut().zip(&self.ranges) {
            let (w, w_tail) = S::as_simd_f32s(&self.weights[off..off + len]);
            let (p, p_tail) = S::as_simd_f32s(&power[first..first + len]);
            let mut acc = simd.splat_f32s(0.0);
            for (&x, &y) in w.iter().zip(p) {
                acc = simd.mul_add_e_f32s(x, y, acc);
            }
            let mut sum = simd.reduce_sum_f32s(acc);
            for (x, y) in w_tail.iter().zip(p_tail) {
                sum += x * y;
            }
            *o = sum;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slaney_roundtrip_and_knee() {
        assert!((hz_to_mel(1000.0, MelScale::Slaney) - 15.0).abs() < 1e-12);
        for hz in [0.0, 100.0, 999.0, 1000.0, 4000.0, 11025.0] {
            for s in [MelScale::Slaney, MelScale::Htk] {
                let back = mel_to_hz(hz_to_mel(hz, s), s);
                assert!(
                    (back - hz).abs() < 1e-8 * (1.0 + hz),
                    "{s:?} {hz} -> {back}"
                );
            }
        }
    }

    #[test]
    fn sparse_equals_dense() {
        let fb = MelFilterbank::new(
            22050.0,
            2048,
            128,
            0.0,
            11025.0,
            MelScale::Slaney,
            MelNorm::Slaney,
        )
        .unwrap();
        let m = fb.matrix();
        assert_eq!(m.dim(), (128, 1025));
        let p: Vec<f32> = (0..1025)
            .map(|k| ((k * 7919) % 1000) as f32 / 1000.0)
            .collect();
        let mut out = vec![0.0f32; 128];
        fb.apply(&p, &mut out).unwrap();
        for b in 0..128 {
            let dense: f64 = (0..1025)
                .map(|k| f64::from(m[[b, k]]) * f64::from(p[k]))
                .sum();
            assert!((f64::from(out[b]) - dense).abs() <= 1e-6 * (1.0 + dense.abs()));
        }
        // every band has some weight at this resolution
        assert!(fb.ranges.iter().all(|r| r.1 > 0));
        assert!(fb.nnz() < 3 * 1025);
        // each range covers the band's nonzero weights, in whole lanes where it fits
        for (b, &(first, len, off)) in fb.ranges.iter().enumerate() {
            assert!(first + len <= 1025);
            assert!(len % DOT_LANES == 0, "band {b}: {len}");
            let nz = m.row(b).iter().filter(|&&w| w != 0.0).count();
            let stored = fb.weights[off..off + len]
                .iter()
                .filter(|&&w| w != 0.0)
                .count();
            assert_eq!(nz, stored, "band {b}");
        }
        // the f32 form agrees with the f64-accumulated one
        let mut out32 = vec![0.0f32; 128];
        pulp::Arch::new().dispatch(|| fb.apply_simd(pulp::Scalar::new(), &p, &mut out32));
        let mut simd32 = vec![0.0f32; 128];
        struct Apply<'a>(&'a MelFilterbank, &'a [f32], &'a mut [f32]);
        impl pulp::WithSimd for Apply<'_> {
            type Output = ();
            fn with_simd<S: pulp::Simd>(self, simd: S) {
                self.0.apply_simd(simd, self.1, self.2);
            }
        }
        pulp::Arch::new().dispatch(Apply(&fb, &p, &mut simd32));
        for b in 0..128 {
            assert!(
                (out32[b] - out[b]).abs() <= 1e-5 * (1.0 + out[b].abs()),
                "{b}"
            );
            assert!(
                (simd32[b] - out[b]).abs() <= 1e-5 * (1.0 + out[b].abs()),
                "{b}"
            );
        }
    }
}
