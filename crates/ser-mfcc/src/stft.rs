//! Framing and the short-time power spectrum.

use std::sync::Arc;

use ndarray::Array2;
use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};

use crate::config::PadMode;
use crate::error::{check_finite, invalid, MfccError};

/// Periodic Hann window of `win_length` samples, zero-padded to `n_fft` samples with the
/// window centred (librosa `get_window("hann", win_length, fftbins=True)` + `pad_center`).
///
/// `w[n] = 0.5 - 0.5 cos(2 pi n / win_length)`, computed in f64 and rounded to f32.
/// Shape `[n_fft]`. `win_length` is clamped to `1..=n_fft`.
pub fn hann_window(n_fft: usize, win_length: usize) -> Vec<f32> {
    let win = win_length.clamp(1, n_fft.max(1));
    let mut w = vec![0.0f32; n_fft];
    let lpad = (n_fft - win) / 2;
    for i in 0..win {
        let x = 0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / win as f64).cos();
        w[lpad + i] = x as f32;
    }
    w
}

/// Number of STFT frames for `n_samples` samples, as librosa:
/// centred: `1 + (n_samples + 2 * (n_fft / 2) - n_fft) / hop_length` (= `1 + n_samples / hop`
/// for even `n_fft`); not centred: `1 + (n_samples - n_fft) / hop_length`.
///
/// # Errors
/// [`MfccError::EmptyInput`] for 0 samples; [`MfccError::TooShort`] when not centred and
/// `n_samples < n_fft`; [`MfccError::InvalidConfig`] for `hop_length == 0`.
pub fn n_frames(
    n_samples: usize,
    n_fft: usize,
    hop_length: usize,
    center: bool,
) -> Result<usize, MfccError> {
    if hop_length == 0 {
        return Err(invalid("hop_length", ">= 1", hop_length));
    }
    if n_samples == 0 {
        return Err(MfccError::EmptyInput);
    }
    let padded = if center {
        n_samples + 2 * (n_fft / 2)
    } else {
        n_samples
    };
    if padded < n_fft {
        return Err(MfccError::TooShort {
            expected: n_fft,
            actual: n_samples,
        });
    }
    Ok(1 + (padded - n_fft) / hop_length)
}

/// Index into a signal of length `n >= 1` for position `i` (which may lie outside
/// `0..n`) under numpy's `reflect` padding, iterated as numpy does for wide pads.
#[inline]
fn reflect_index(i: isize, n: usize) -> usize {
    if n == 1 {
        return 0;
    }
    let m = 2 * (n as isize - 1);
    let j = i.rem_euclid(m);
    if j >= n as isize {
        (m - j) as usize
    } else {
        j as usize
    }
}

/// A planned short-time Fourier transform producing power spectra, frame by frame.
///
/// Holds the FFT plan, the window and all scratch buffers; reuse one `Stft` for many
/// signals. Frame `t` starts at sample `t * hop_length - (center ? n_fft / 2 : 0)`;
/// samples outside the signal come from the [`PadMode`].
pub struct Stft {
    n_fft: usize,
    hop_length: usize,
    center: bool,
    pad_mode: PadMode,
    window: Vec<f32>,
    fft: Arc<dyn RealToComplex<f32>>,
    frame: Vec<f32>,
    spectrum: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
}

impl std::fmt::Debug for Stft {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stft")
            .field("n_fft", &self.n_fft)
            .field("hop_length", &self.hop_length)
            .field("center", &self.center)
            .field("pad_mode", &self.pad_mode)
            .finish_non_exhaustive()
    }
}

impl Stft {
    /// Plans an STFT with a periodic Hann window of `win_length` samples (zero-padded to `n_fft`).
    ///
    /// # Errors
    /// [`MfccError::InvalidConfig`] for `n_fft < 2`, `hop_length == 0` or `win_length`
    /// outside `1..=n_fft`.
    pub fn new(
        n_fft: usize,
        hop_length: usize,
        win_length: usize,
        center: bool,
        pad_mode: PadMode,
    ) -> Result<Self, MfccError> {
        if n_fft < 2 {
            return Err(invalid("n_fft", ">= 2", n_fft));
        }
        if hop_length == 0 {
            return Err(invalid("hop_length", ">= 1", hop_length));
        }
        if win_length == 0 || win_length > n_fft {
            return Err(invalid("win_length", format!("1..={n_fft}"), win_length));
        }
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(n_fft);
        let frame = fft.make_input_vec();
        let spectrum = fft.make_output_vec();
        let scratch = fft.make_scratch_vec();
        Ok(Self {
            n_fft,
            hop_length,
            center,
            pad_mode,
            window: hann_window(n_fft, win_length),
            fft,
            frame,
            spectrum,
            scratch,
        })
    }

    /// FFT length, samples.
    pub fn n_fft(&self) -> usize {
        self.n_fft
    }

    /// Number of frequency bins per frame, `1 + n_fft / 2` (bin `k` is `k * sr / n_fft` Hz).
    pub fn n_bins(&self) -> usize {
        1 + self.n_fft / 2
    }

    /// The window, shape `[n_fft]`.
    pub fn window(&self) -> &[f32] {
        &self.window
    }

    /// Number of frames for `n_samples` samples (see [`n_frames`]).
    ///
    /// # Errors
    /// As [`n_frames`].
    pub fn n_frames(&self, n_samples: usize) -> Result<usize, MfccError> {
        n_frames(n_samples, self.n_fft, self.hop_length, self.center)
    }

    /// Copies frame `t` of `samples` (padded per the pad mode) times the window into the
    /// FFT input buffer.
    #[inline]
    fn load_frame(&mut self, samples: &[f32], t: usize) {
        let n = samples.len();
        let pad = if self.center { self.n_fft / 2 } else { 0 };
        let start = (t * self.hop_length) as isize - pad as isize;
        if start >= 0 && start as usize + self.n_fft <= n {
            let s = &samples[start as usize..start as usize + self.n_fft];
            for ((o, &x), &w) in self.frame.iter_mut().zip(s).zip(&self.window) {
                *o = x * w;
            }
        } else {
            for (i, (o, &w)) in self.frame.iter_mut().zip(&self.window).enumerate() {
                let idx = start + i as isize;
                let x = if idx >= 0 && (idx as usize) < n {
                    samples[idx as usize]
                } else {
                    match self.pad_mode {
                        PadMode::Constant => 0.0,
                        PadMode::Reflect => samples[reflect_index(idx, n)],
                    }
                };
                *o = x * w;
            }
        }
    }

    fn run_fft(&mut self) -> Result<(), MfccError> {
        self.fft
            .process_with_scratch(&mut self.frame, &mut self.spectrum, &mut self.scratch)
            .map_err(|e| MfccError::Fft {
                message: e.to_string(),
            })
    }

    /// Power spectrum `|X_t[k]|^2` of frame `t` into `out` (shape `[n_bins]`, power units,
    /// unnormalised DFT as numpy's `rfft`). Does not allocate. The caller guarantees
    /// `samples` is non-empty and `t < n_frames(samples.len())`; no finiteness check here.
    ///
    /// # Errors
    /// [`MfccError::ShapeMismatch`] if `out.len() != n_bins`, [`MfccError::EmptyInput`].
    pub fn power_frame(
        &mut self,
        samples: &[f32],
        t: usize,
        out: &mut [f32],
    ) -> Result<(), MfccError> {
        if samples.is_empty() {
            return Err(MfccError::EmptyInput);
        }
        if out.len() != self.n_bins() {
            return Err(MfccError::ShapeMismatch {
                what: "power_frame out",
                expected: vec![self.n_bins()],
                actual: vec![out.len()],
            });
        }
        self.load_frame(samples, t);
        self.run_fft()?;
        for (o, c) in out.iter_mut().zip(&self.spectrum) {
            *o = c.re * c.re + c.im * c.im;
        }
        Ok(())
    }

    /// Complex spectrum of frame `t` (shape `[n_bins]`), borrowed from the internal buffer.
    ///
    /// # Errors
    /// As [`Stft::power_frame`].
    pub fn spectrum_frame(
        &mut self,
        samples: &[f32],
        t: usize,
    ) -> Result<&[Complex<f32>], MfccError> {
        if samples.is_empty() {
            return Err(MfccError::EmptyInput);
        }
        self.load_frame(samples, t);
        self.run_fft()?;
        Ok(&self.spectrum)
    }

    /// Power spectrogram `|STFT|^2`, shape `[n_bins, frames]` (librosa orientation), power units.
    ///
    /// # Errors
    /// [`MfccError::EmptyInput`], [`MfccError::NonFinite`], [`MfccError::TooShort`].
    pub fn power_spectrogram(&mut self, samples: &[f32]) -> Result<Array2<f32>, MfccError> {
        check_finite(samples)?;
        let frames = self.n_frames(samples.len())?;
        let nb = self.n_bins();
        let mut out = Array2::<f32>::zeros((nb, frames));
        let mut col = vec![0.0f32; nb];
        for t in 0..frames {
            self.power_frame(samples, t, &mut col)?;
            for (k, &p) in col.iter().enumerate() {
                out[[k, t]] = p;
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reflect_matches_numpy_small() {
        // numpy.pad([0,1,2], 4, mode="reflect") = [0,1,2,1, 0,1,2, 1,0,1,2]
        let got: Vec<usize> = (-4..7).map(|i| reflect_index(i, 3)).collect();
        assert_eq!(got, vec![0, 1, 2, 1, 0, 1, 2, 1, 0, 1, 2]);
        assert_eq!(reflect_index(-5, 1), 0);
    }

    #[test]
    fn frame_counts() {
        assert_eq!(n_frames(1, 2048, 512, true).unwrap(), 1);
        assert_eq!(n_frames(66150, 2048, 512, true).unwrap(), 1 + 66150 / 512);
        assert_eq!(n_frames(2048, 2048, 512, false).unwrap(), 1);
        assert!(matches!(
            n_frames(2047, 2048, 512, false),
            Err(MfccError::TooShort { .. })
        ));
        assert!(matches!(
            n_frames(0, 2048, 512, true),
            Err(MfccError::EmptyInput)
        ));
    }

    /// Power spectrum against a naive f64 DFT of the same padded, windowed frame.
    #[test]
    fn power_matches_naive_dft() {
        let n_fft = 64;
        let hop = 16;
        let x: Vec<f32> = (0..150)
            .map(|i| ((i as f32 * 0.37).sin() + 0.3 * (i as f32 * 1.9).cos()) * 0.5)
            .collect();
        for mode in [PadMode::Constant, PadMode::Reflect] {
            let mut stft = Stft::new(n_fft, hop, 48, true, mode).unwrap();
            let s = stft.power_spectrogram(&x).unwrap();
            let w = hann_window(n_fft, 48);
            let frames = stft.n_frames(x.len()).unwrap();
            assert_eq!(s.dim(), (n_fft / 2 + 1, frames));
            for t in 0..frames {
                let frame: Vec<f64> = (0..n_fft)
                    .map(|i| {
                        let idx = (t * hop + i) as isize - (n_fft / 2) as isize;
                        let v = if idx >= 0 && (idx as usize) < x.len() {
                            x[idx as usize]
                        } else if mode == PadMode::Reflect {
                            x[reflect_index(idx, x.len())]
                        } else {
                            0.0
                        };
                        f64::from(v) * f64::from(w[i])
                    })
                    .collect();
                for k in 0..=n_fft / 2 {
                    let (mut re, mut im) = (0.0f64, 0.0f64);
                    for (i, v) in frame.iter().enumerate() {
                        let ang = -2.0 * std::f64::consts::PI * (k * i) as f64 / n_fft as f64;
                        re += v * ang.cos();
                        im += v * ang.sin();
                    }
                    let p = re * re + im * im;
                    let got = f64::from(s[[k, t]]);
                    assert!(
                        (got - p).abs() <= 1e-4 * (1.0 + p),
                        "t={t} k={k} got={got} want={p}"
                    );
                }
            }
        }
    }
}
