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
/// samples outside the signal come from the [`PadMode`]. Cloning shares the FFT plan.
#[derive(Clone)]
pub struct Stft {
    n_fft: usize,
    hop_length: usize,
    center: bool,
    pad_mode: PadMode,
    window: Vec<f32>,
    /// Windowed frame (real), used for edge frames and the odd-length path.
    frame: Vec<f32>,
    plan: Plan,
}

/// How one frame is transformed.
#[derive(Clone)]
enum Plan {
    /// Even `n_fft`: the frame is packed as `n_fft / 2` complex values (even samples real,
    /// odd samples imaginary), transformed by one complex FFT and split into the real
    /// spectrum with precomputed twiddles (the split is fused with `|X|^2`).
    Packed {
        fft: Arc<dyn rustfft::Fft<f32>>,
        buf: Vec<Complex<f32>>,
        scratch: Vec<Complex<f32>>,
        /// `cos(2 pi k / n_fft)`, `-sin(2 pi k / n_fft)` for `k = 0..n_fft/2`.
        tw_re: Vec<f32>,
        tw_im: Vec<f32>,
        /// Complex spectrum for [`Stft::spectrum_frame`].
        spectrum: Vec<Complex<f32>>,
    },
    /// Odd `n_fft`: realfft.
    Real {
        fft: Arc<dyn RealToComplex<f32>>,
        spectrum: Vec<Complex<f32>>,
        scratch: Vec<Complex<f32>>,
    },
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
        let plan = if n_fft % 2 == 0 {
            let half = n_fft / 2;
            let fft = rustfft::FftPlanner::<f32>::new().plan_fft_forward(half);
            let scratch = vec![Complex::new(0.0, 0.0); fft.get_inplace_scratch_len()];
            let ang = |k: usize| 2.0 * std::f64::consts::PI * k as f64 / n_fft as f64;
            Plan::Packed {
                fft,
                buf: vec![Complex::new(0.0, 0.0); half],
                scratch,
                tw_re: (0..half).map(|k| ang(k).cos() as f32).collect(),
                tw_im: (0..half).map(|k| -ang(k).sin() as f32).collect(),
                spectrum: vec![Complex::new(0.0, 0.0); half + 1],
            }
        } else {
            let fft = RealFftPlanner::<f32>::new().plan_fft_forward(n_fft);
            let spectrum = fft.make_output_vec();
            let scratch = fft.make_scratch_vec();
            Plan::Real {
                fft,
                spectrum,
                scratch,
            }
        };
        Ok(Self {
            n_fft,
            hop_length,
            center,
            pad_mode,
            window: hann_window(n_fft, win_length),
            frame: vec![0.0; n_fft],
            plan,
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

    /// Loads frame `t` of `samples` (padded per the pad mode) times the window into the
    /// FFT input (packed complex for even `n_fft`, else `self.frame`) and runs the FFT.
    #[inline(always)]
    fn transform(&mut self, samples: &[f32], t: usize) -> Result<(), MfccError> {
        let n = samples.len();
        let pad = if self.center { self.n_fft / 2 } else { 0 };
        let start = (t * self.hop_length) as isize - pad as isize;
        let interior = start >= 0 && start as usize + self.n_fft <= n;
        if interior {
            let s = &samples[start as usize..start as usize + self.n_fft];
            if let Plan::Packed { buf, .. } = &mut self.plan {
                for ((c, x), w) in buf
                    .iter_mut()
                    .zip(s.chunks_exact(2))
                    .zip(self.window.chunks_exact(2))
                {
                    c.re = x[0] * w[0];
                    c.im = x[1] * w[1];
                }
            } else {
                for ((o, &x), &w) in self.frame.iter_mut().zip(s).zip(&self.window) {
                    *o = x * w;
                }
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
            if let Plan::Packed { buf, .. } = &mut self.plan {
                for (c, x) in buf.iter_mut().zip(self.frame.chunks_exact(2)) {
                    c.re = x[0];
                    c.im = x[1];
                }
            }
        }
        match &mut self.plan {
            Plan::Packed {
                fft, buf, scratch, ..
            } => {
                fft.process_with_scratch(buf, scratch);
                Ok(())
            }
            Plan::Real {
                fft,
                spectrum,
                scratch,
            } => fft
                .process_with_scratch(&mut self.frame, spectrum, scratch)
                .map_err(|e| MfccError::Fft {
                    message: e.to_string(),
                }),
        }
    }

    /// Writes `|X[k]|^2` of the last transformed frame into `out` (length `n_bins`).
    #[inline(always)]
    fn power_out<T: From<f32> + Copy>(&self, out: &mut [T]) {
        match &self.plan {
            Plan::Packed {
                buf, tw_re, tw_im, ..
            } => {
                // X[k] = (A - i W^k B) / 2 with A = Z[k] + conj(Z[N-k]), B = Z[k] - conj(Z[N-k]).
                // Bin N - k has A' = conj(A), B' = -conj(B) and W^(N-k) = -conj(W^k), so with
                // T = W^k B: |X[k]|^2 = |A - iT|^2 / 4 and |X[N-k]|^2 = |A + iT|^2 / 4. Each
                // pair (k, N - k) is computed from one load of Z[k], Z[N-k] and W^k.
                let half = buf.len();
                let z0 = buf[0];
                out[0] = T::from((z0.re + z0.im) * (z0.re + z0.im));
                out[half] = T::from((z0.re - z0.im) * (z0.re - z0.im));
                let pairs = (half - 1) / 2; // k = 1..=pairs, all with N - k > k
                let (lo, hi) = out.split_at_mut(half - pairs);
                let lo = &mut lo[1..1 + pairs]; // |X[k]|^2
                let hi = &mut hi[..pairs]; // |X[N-k]|^2, first written in k order
                let fwd = &buf[1..1 + pairs]; // Z[k]
                let rev = buf[half - pairs..half].iter().rev(); // Z[N-k]
                let tw = tw_re[1..1 + pairs].iter().zip(&tw_im[1..1 + pairs]);
                for ((((o, oh), zk), zr), (&wr, &wi)) in
                    lo.iter_mut().zip(hi.iter_mut()).zip(fwd).zip(rev).zip(tw)
                {
                    let (ar, ai) = (zk.re + zr.re, zk.im - zr.im);
                    let (br, bi) = (zk.re - zr.re, zk.im + zr.im);
                    let tr = wr * br - wi * bi;
                    let ti = wr * bi + wi * br;
                    let (xr, xi) = (ar + ti, ai - tr);
                    let (yr, yi) = (ar - ti, ai + tr);
                    *o = T::from(0.25 * (xr * xr + xi * xi));
                    *oh = T::from(0.25 * (yr * yr + yi * yi));
                }
                // bins N - k were written in ascending k, i.e. descending bin order
                hi.reverse();
                if half % 2 == 0 && half >= 2 {
                    // k = N / 2 = N - k: A = 2 Re Z[k], B = 2i Im Z[k], W^k = -i, X[k] = conj(Z[k])
                    let zm = buf[half / 2];
                    out[half / 2] = T::from(zm.re * zm.re + zm.im * zm.im);
                }
            }
            Plan::Real { spectrum, .. } => {
                for (o, c) in out.iter_mut().zip(spectrum) {
                    *o = T::from(c.re * c.re + c.im * c.im);
                }
            }
        }
    }

    /// Power spectrum of frame `t` into `out` without argument checks (internal hot path).
    #[inline(always)]
    pub(crate) fn power_frame_unchecked<T: From<f32> + Copy>(
        &mut self,
        samples: &[f32],
        t: usize,
        out: &mut [T],
    ) -> Result<(), MfccError> {
        self.transform(samples, t)?;
        self.power_out(out);
        Ok(())
    }

    /// Power spectrum `|X_t[k]|^2` of frame `t` into `out` (shape `[n_bins]`, power units,
    /// unnormalised DFT as numpy's `rfft`). Does not allocate. Frames past the end of the
    /// signal read padding. No finiteness check here.
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
        self.power_frame_unchecked(samples, t, out)
    }

    /// Complex spectrum `X_t[k]` of frame `t` (shape `[n_bins]`, numpy `rfft` convention),
    /// borrowed from an internal buffer.
    ///
    /// # Errors
    /// [`MfccError::EmptyInput`].
    pub fn spectrum_frame(
        &mut self,
        samples: &[f32],
        t: usize,
    ) -> Result<&[Complex<f32>], MfccError> {
        if samples.is_empty() {
            return Err(MfccError::EmptyInput);
        }
        self.transform(samples, t)?;
        match &mut self.plan {
            Plan::Packed {
                buf,
                tw_re,
                tw_im,
                spectrum,
                ..
            } => {
                let half = buf.len();
                for (k, x) in spectrum.iter_mut().enumerate() {
                    let zk = buf[k % half];
                    let zr = buf[(half - k % half) % half];
                    let (ar, ai) = (zk.re + zr.re, zk.im - zr.im);
                    let (br, bi) = (zk.re - zr.re, zk.im + zr.im);
                    let (wr, wi) = if k == half {
                        (-1.0, 0.0)
                    } else {
                        (tw_re[k], tw_im[k])
                    };
                    let tr = wr * br - wi * bi;
                    let ti = wr * bi + wi * br;
                    *x = Complex::new(0.5 * (ar + ti), 0.5 * (ai - tr));
                }
                Ok(spectrum)
            }
            Plan::Real { spectrum, .. } => Ok(spectrum),
        }
    }

    /// Power spectrogram `|STFT|^2`, shape `[n_bins, frames]` (librosa orientation), power units.
    ///
    /// # Errors
    /// [`MfccError::EmptyInput`], [`MfccError::NonFinite`], [`MfccError::TooLarge`],
    /// [`MfccError::TooShort`].
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
        let hop = 16;
        let x: Vec<f32> = (0..150)
            .map(|i| ((i as f32 * 0.37).sin() + 0.3 * (i as f32 * 1.9).cos()) * 0.5)
            .collect();
        for (mode, n_fft) in [
            (PadMode::Constant, 64),
            (PadMode::Reflect, 64),
            (PadMode::Constant, 63),
            (PadMode::Reflect, 50),
            // tiny even sizes: the packed split with 0, 1 and 2 mirrored pairs
            (PadMode::Constant, 2),
            (PadMode::Constant, 4),
            (PadMode::Reflect, 6),
            (PadMode::Constant, 8),
            (PadMode::Constant, 10),
        ] {
            let win = n_fft.min(48);
            let mut stft = Stft::new(n_fft, hop, win, true, mode).unwrap();
            let s = stft.power_spectrogram(&x).unwrap();
            let w = hann_window(n_fft, win);
            let lpad = n_fft / 2;
            let frames = stft.n_frames(x.len()).unwrap();
            assert_eq!(s.dim(), (n_fft / 2 + 1, frames));
            for t in 0..frames {
                let frame: Vec<f64> = (0..n_fft)
                    .map(|i| {
                        let idx = (t * hop + i) as isize - lpad as isize;
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
