//! The planned MFCC extractor.

use ndarray::linalg::general_mat_mul;
use ndarray::{Array1, Array2, ArrayView2, ArrayViewMut2, Axis, ShapeBuilder};

use crate::config::MfccConfig;
use crate::dct::lifter_weights;
use crate::error::MfccError;
use crate::logmel::LogMel;
use crate::mel::MelFilterbank;

/// A planned MFCC extractor: the FFT plan, window, sparse mel filterbank, DCT matrix and
/// scratch buffers are built once in [`Mfcc::new`] and reused by every call.
///
/// The computation is librosa's `feature.mfcc(y, sr, n_mfcc, ...)`:
/// power STFT -> mel filterbank -> `power_to_db` (floor `top_db` below the maximum over the
/// whole clip) -> orthonormal DCT-II -> first `n_mfcc` rows (-> optional lifter). It runs
/// single-threaded in f32 like librosa's float32 path (mel projection and dB in f32), with the
/// DCT accumulated in f64. The hot loop is compiled for AVX2 + FMA as well as the baseline and
/// picks at run time (`pulp`); the two paths round differently in the last bits (well inside
/// the 1e-3 agreement with librosa).
///
/// Scratch memory (`frames * n_mels` f32 values for the log-mel spectrogram) grows to the
/// longest input seen and is then reused, so [`Mfcc::compute_into`] does not allocate once
/// warm and given an output of the right shape.
#[derive(Debug, Clone)]
pub struct Mfcc {
    cfg: MfccConfig,
    /// Pass 1: STFT, mel filterbank and dB.
    log_mel: LogMel,
    /// Orthonormal DCT-II basis `[n_mfcc, n_mels]`, f64.
    dct: Array2<f64>,
    /// Its even rows (`k = 0, 2, ..`) over the folded half `[ceil(n_mfcc / 2), ceil(n_mels / 2)]`.
    dct_even: Array2<f64>,
    /// Its odd rows (`k = 1, 3, ..`) over the folded half `[n_mfcc / 2, n_mels / 2]`.
    dct_odd: Array2<f64>,
    lifter: Option<Vec<f32>>,
    /// Frame-major `[frames, n_mels]` log-mel spectrogram in dB, before the `top_db` floor.
    mel_db: Vec<f32>,
    /// The `top_db` floor of the last input (dB; -inf without `top_db`).
    floor: f32,
    /// One block of floored log-mel frames folded about the middle band, `[BLOCK,
    /// ceil(n_mels / 2)]` sums `x[n] + x[n_mels - 1 - n]` (f64).
    block_sum: Vec<f64>,
    /// The same block's differences `x[n] - x[n_mels - 1 - n]`, `[BLOCK, n_mels / 2]` (f64).
    block_diff: Vec<f64>,
    /// Cepstra of one block `[n_mfcc, BLOCK]`, f64.
    cep: Vec<f64>,
}

/// Frames per DCT block (keeps the second pass in cache for long inputs).
const BLOCK: usize = 64;

/// The `top_db` floor and the fold of pass 2 for a block of frames, as a `pulp` operation:
/// `sum[n] = x[n] + x[N-1-n]` (and the middle band alone when `N` is odd),
/// `diff[n] = x[n] - x[N-1-n]`, with `x` the floored log-mel frame in f64.
struct Fold<'a> {
    /// `[frames * n_mels]` dB, frame-major.
    src: &'a [f32],
    n_mels: usize,
    floor: f32,
    /// `[frames * ceil(n_mels / 2)]`.
    sum: &'a mut [f64],
    /// `[frames * (n_mels / 2)]`.
    diff: &'a mut [f64],
}

impl pulp::WithSimd for Fold<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        let nm = self.n_mels;
        let (hs, hd) = (nm.div_ceil(2), nm / 2);
        let floor = self.floor;
        let f = |v: f32| f64::from(if v > floor { v } else { floor });
        for (i, x) in self.src.chunks_exact(nm).enumerate() {
            let sum = &mut self.sum[i * hs..(i + 1) * hs];
            let diff = &mut self.diff[i * hd..(i + 1) * hd];
            let lo = x[..hd].iter();
            let hi = x[nm - hd..].iter().rev();
            for (((s, d), &a), &b) in sum.iter_mut().zip(diff.iter_mut()).zip(lo).zip(hi) {
                let (a, b) = (f(a), f(b));
                *s = a + b;
                *d = a - b;
            }
            if hs > hd {
                sum[hd] = f(x[hd]);
            }
        }
    }
}

impl Mfcc {
    /// Plans an extractor for `cfg`.
    ///
    /// # Errors
    /// [`MfccError::InvalidConfig`] when [`MfccConfig::validate`] fails.
    pub fn new(cfg: MfccConfig) -> Result<Self, MfccError> {
        cfg.validate()?;
        let log_mel = LogMel::new(cfg.log_mel())?;
        let dct = dct_basis_f64(cfg.n_mfcc, cfg.n_mels);
        let (dct_even, dct_odd) = fold_dct(&dct);
        let lifter = lifter_weights(cfg.n_mfcc, cfg.lifter);
        Ok(Self {
            mel_db: Vec::new(),
            floor: f32::NEG_INFINITY,
            block_sum: vec![0.0; BLOCK * cfg.n_mels.div_ceil(2)],
            block_diff: vec![0.0; BLOCK * (cfg.n_mels / 2)],
            cep: vec![0.0; BLOCK * cfg.n_mfcc],
            log_mel,
            dct,
            dct_even,
            dct_odd,
            lifter,
            cfg,
        })
    }

    /// The configuration this extractor was built with.
    pub fn config(&self) -> &MfccConfig {
        &self.cfg
    }

    /// The mel filterbank in use.
    pub fn filterbank(&self) -> &MelFilterbank {
        self.log_mel.filterbank()
    }

    /// Output shape `[n_mfcc, frames]` for an input of `n_samples` samples.
    ///
    /// # Errors
    /// [`MfccError::EmptyInput`]; [`MfccError::TooShort`] when not centred and shorter than `n_fft`.
    pub fn output_shape(&self, n_samples: usize) -> Result<(usize, usize), MfccError> {
        Ok((self.cfg.n_mfcc, self.cfg.n_frames(n_samples)?))
    }

    /// Pass 1: fills `self.mel_db[..frames * n_mels]` with the log-mel spectrogram (dB,
    /// frame-major, before the floor) and sets `self.floor` from the maximum over the whole
    /// clip. Returns the number of frames.
    ///
    /// The pass itself is [`LogMel`]'s (window + FFT, power, sparse mel filterbank, dB).
    fn log_mel(&mut self, samples: &[f32]) -> Result<usize, MfccError> {
        let (frames, floor) = self.log_mel.unfloored_into(samples, &mut self.mel_db)?;
        self.floor = floor;
        Ok(frames)
    }

    /// Pass 2 for frames `t0..t0 + nb` (`nb <= BLOCK`): applies the floor and the DCT
    /// into `self.cep[..n_mfcc * nb]`, row-major `[n_mfcc, nb]`.
    ///
    /// The DCT-II basis is symmetric about the middle band for even `k` and antisymmetric for
    /// odd `k`, so each frame is folded into sums and differences of mirrored bands and the
    /// even and odd rows are two f64 GEMMs of half the width (half the multiply-adds).
    fn cepstra_block(&mut self, t0: usize, nb: usize) -> Result<(), MfccError> {
        let (nk, nm) = (self.cfg.n_mfcc, self.cfg.n_mels);
        let (hs, hd) = (nm.div_ceil(2), nm / 2);
        self.log_mel.arch().dispatch(Fold {
            src: &self.mel_db[t0 * nm..(t0 + nb) * nm],
            n_mels: nm,
            floor: self.floor,
            sum: &mut self.block_sum[..nb * hs],
            diff: &mut self.block_diff[..nb * hd],
        });
        let shape_err = |e: ndarray::ShapeError| MfccError::ShapeMismatch {
            what: "internal DCT block",
            expected: vec![nk, nb],
            actual: vec![e.to_string().len()],
        };
        let sum =
            ArrayView2::from_shape((nb, hs), &self.block_sum[..nb * hs]).map_err(shape_err)?;
        let diff =
            ArrayView2::from_shape((nb, hd), &self.block_diff[..nb * hd]).map_err(shape_err)?;
        // even rows of the row-major [nk, nb] output, then odd rows (row stride 2 nb)
        let (ne, no) = (nk.div_ceil(2), nk / 2);
        let cep = &mut self.cep[..nk * nb];
        let mut even =
            ArrayViewMut2::from_shape((ne, nb).strides((2 * nb, 1)), cep).map_err(shape_err)?;
        general_mat_mul(1.0, &self.dct_even, &sum.t(), 0.0, &mut even);
        if no > 0 {
            let mut odd = ArrayViewMut2::from_shape((no, nb).strides((2 * nb, 1)), &mut cep[nb..])
                .map_err(shape_err)?;
            general_mat_mul(1.0, &self.dct_odd, &diff.t(), 0.0, &mut odd);
        }
        Ok(())
    }

    /// The floored log-mel spectrogram (dB), shape `[n_mels, frames]`
    /// (`power_to_db(melspectrogram(y))` in librosa).
    ///
    /// # Errors
    /// As [`Mfcc::compute`].
    pub fn log_mel_spectrogram(&mut self, samples: &[f32]) -> Result<Array2<f32>, MfccError> {
        let frames = self.log_mel(samples)?;
        let nm = self.cfg.n_mels;
        let floor = self.floor;
        Ok(Array2::from_shape_fn((nm, frames), |(m, t)| {
            self.mel_db[t * nm + m].max(floor)
        }))
    }

    /// MFCCs of `samples` (mono, at `config().sample_rate` Hz), shape `[n_mfcc, frames]`
    /// (librosa orientation: row = coefficient, column = frame).
    ///
    /// Defined behaviour: an empty input is [`MfccError::EmptyInput`]; a NaN/inf sample is
    /// [`MfccError::NonFinite`] and one beyond ±[`MAX_SAMPLE_MAGNITUDE`](crate::MAX_SAMPLE_MAGNITUDE)
    /// [`MfccError::TooLarge`], with its index; an input shorter than `n_fft` is padded like
    /// librosa when `center` (1 + n/hop frames), else [`MfccError::TooShort`]; all-zero input
    /// gives -100 dB everywhere, i.e. `c0 = -100 * sqrt(n_mels)` and 0 for the others.
    ///
    /// # Errors
    /// See above.
    pub fn compute(&mut self, samples: &[f32]) -> Result<Array2<f32>, MfccError> {
        crate::logmel::new_output(|out| self.compute_into(samples, out))
    }

    /// As [`Mfcc::compute`], writing into `out`. When `out` already has shape
    /// `[n_mfcc, frames]` in standard (row-major) layout it is overwritten without any
    /// allocation (after the scratch has grown to this input length once); otherwise it is
    /// replaced by a new array of the right shape.
    ///
    /// # Errors
    /// As [`Mfcc::compute`]; on error `out` is left unchanged.
    pub fn compute_into(
        &mut self,
        samples: &[f32],
        out: &mut Array2<f32>,
    ) -> Result<(), MfccError> {
        let frames = self.log_mel(samples)?;
        let nk = self.cfg.n_mfcc;
        crate::logmel::fit_output(out, (nk, frames));
        let mut t0 = 0;
        while t0 < frames {
            let nb = BLOCK.min(frames - t0);
            self.cepstra_block(t0, nb)?;
            if let Some(o) = out.as_slice_mut() {
                for (k, crow) in self.cep[..nk * nb].chunks_exact(nb).enumerate() {
                    let orow = &mut o[k * frames + t0..k * frames + t0 + nb];
                    match &self.lifter {
                        Some(l) => orow
                            .iter_mut()
                            .zip(crow)
                            .for_each(|(d, &c)| *d = c as f32 * l[k]),
                        None => orow.iter_mut().zip(crow).for_each(|(d, &c)| *d = c as f32),
                    }
                }
            }
            t0 += nb;
        }
        Ok(())
    }

    /// Mean over time of the MFCCs, shape `[n_mfcc]` (the study's per-clip feature:
    /// `np.mean(librosa.feature.mfcc(...), axis=1)`). Sums in f64; does not build the
    /// `[n_mfcc, frames]` matrix.
    ///
    /// # Errors
    /// As [`Mfcc::compute`].
    pub fn compute_mean(&mut self, samples: &[f32]) -> Result<Array1<f32>, MfccError> {
        let frames = self.log_mel(samples)?;
        let nm = self.cfg.n_mels;
        // The DCT and the lifter are linear, so the mean of the MFCCs is the DCT of the mean
        // floored log-mel frame: one DCT instead of one per frame.
        let floor = self.floor;
        let mut sums = vec![0.0f64; nm];
        for x in self.mel_db[..frames * nm].chunks_exact(nm) {
            for (s, &v) in sums.iter_mut().zip(x) {
                *s += f64::from(if v > floor { v } else { floor });
            }
        }
        let mean_db = Array1::from_iter(sums.iter().map(|s| s / frames as f64));
        let cep = self.dct.dot(&mean_db);
        Ok(cep
            .iter()
            .enumerate()
            .map(|(k, &c)| match &self.lifter {
                Some(l) => (c * f64::from(l[k])) as f32,
                None => c as f32,
            })
            .collect())
    }
}

/// Mean over time (axis 1) of a `[n_features, frames]` matrix, shape `[n_features]`, summed in
/// f64. With zero frames every entry is NaN (as `numpy.mean` of an empty axis).
pub fn mean_over_time(mfcc: ArrayView2<f32>) -> Array1<f32> {
    let frames = mfcc.len_of(Axis(1));
    mfcc.rows()
        .into_iter()
        .map(|r| {
            if frames == 0 {
                f32::NAN
            } else {
                (r.iter().map(|&v| f64::from(v)).sum::<f64>() / frames as f64) as f32
            }
        })
        .collect()
}

/// Orthonormal DCT-II basis `[n_out, n_in]` in f64.
fn dct_basis_f64(n_out: usize, n_in: usize) -> Array2<f64> {
    let nf = n_in as f64;
    Array2::from_shape_fn((n_out, n_in), |(k, n)| {
        let s = if k == 0 {
            (1.0 / nf).sqrt()
        } else {
            (2.0 / nf).sqrt()
        };
        s * (std::f64::consts::PI * k as f64 * (2 * n + 1) as f64 / (2.0 * nf)).cos()
    })
}

/// Splits a DCT-II basis `[n_out, n_in]` into its even rows over the first `ceil(n_in / 2)`
/// columns and its odd rows over the first `n_in / 2` columns: with `x` folded into
/// `x[n] + x[n_in - 1 - n]` (and the middle band alone when `n_in` is odd) and
/// `x[n] - x[n_in - 1 - n]`, they give the even and odd coefficients.
fn fold_dct(dct: &Array2<f64>) -> (Array2<f64>, Array2<f64>) {
    let (n_out, n_in) = dct.dim();
    let even = Array2::from_shape_fn((n_out.div_ceil(2), n_in.div_ceil(2)), |(k, n)| {
        dct[[2 * k, n]]
    });
    let odd = Array2::from_shape_fn((n_out / 2, n_in / 2), |(k, n)| dct[[2 * k + 1, n]]);
    (even, odd)
}
