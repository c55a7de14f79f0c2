//! The planned MFCC extractor.

use ndarray::linalg::general_mat_mul;
use ndarray::{Array1, Array2, ArrayView2, ArrayViewMut2, Axis};

use crate::config::MfccConfig;
use crate::db::DbParams;
use crate::dct::lifter_weights;
use crate::dot::ln_pos;
use crate::error::{check_finite, MfccError};
use crate::mel::MelFilterbank;
use crate::stft::Stft;

/// A planned MFCC extractor: the FFT plan, window, sparse mel filterbank, DCT matrix and
/// scratch buffers are built once in [`Mfcc::new`] and reused by every call.
///
/// The computation is librosa's `feature.mfcc(y, sr, n_mfcc, ...)`:
/// power STFT -> mel filterbank -> `power_to_db` (floor `top_db` below the maximum over the
/// whole clip) -> orthonormal DCT-II -> first `n_mfcc` rows (-> optional lifter). It runs in
/// f32 with f64 accumulation in the mel projection and the DCT, single-threaded.
///
/// Scratch memory (`frames * n_mels` f32 values for the log-mel spectrogram) grows to the
/// longest input seen and is then reused, so [`Mfcc::compute_into`] does not allocate once
/// warm and given an output of the right shape.
#[derive(Debug, Clone)]
pub struct Mfcc {
    cfg: MfccConfig,
    stft: Stft,
    mel: MelFilterbank,
    /// Orthonormal DCT-II basis `[n_mfcc, n_mels]`, f64.
    dct: Array2<f64>,
    lifter: Option<Vec<f32>>,
    db: DbParams,
    /// Power spectrum of one frame `[n_bins]`.
    power: Vec<f32>,
    /// Mel power of one frame `[n_mels]` (f32-rounded, held in f64).
    melp: Vec<f64>,
    /// Frame-major `[frames, n_mels]` log-mel spectrogram in dB, before the `top_db` floor.
    mel_db: Vec<f32>,
    /// The `top_db` floor of the last input (dB; -inf without `top_db`).
    floor: f32,
    /// One block of floored log-mel frames `[BLOCK, n_mels]`, f64.
    block: Vec<f64>,
    /// Cepstra of one block `[n_mfcc, BLOCK]`, f64.
    cep: Vec<f64>,
}

/// Frames per DCT block (keeps the second pass in cache for long inputs).
const BLOCK: usize = 64;

impl Mfcc {
    /// Plans an extractor for `cfg`.
    ///
    /// # Errors
    /// [`MfccError::InvalidConfig`] when [`MfccConfig::validate`] fails.
    pub fn new(cfg: MfccConfig) -> Result<Self, MfccError> {
        cfg.validate()?;
        let stft = Stft::new(
            cfg.n_fft,
            cfg.hop_length,
            cfg.win_length(),
            cfg.center,
            cfg.pad_mode,
        )?;
        let mel = MelFilterbank::new(
            f64::from(cfg.sample_rate),
            cfg.n_fft,
            cfg.n_mels,
            cfg.fmin,
            cfg.fmax(),
            cfg.mel_scale,
            cfg.mel_norm,
        )?;
        let dct = dct_basis_f64(cfg.n_mfcc, cfg.n_mels);
        let lifter = lifter_weights(cfg.n_mfcc, cfg.lifter);
        let db = cfg.db_params();
        Ok(Self {
            power: vec![0.0; cfg.n_bins()],
            melp: vec![0.0; cfg.n_mels],
            mel_db: Vec::new(),
            floor: f32::NEG_INFINITY,
            block: vec![0.0; BLOCK * cfg.n_mels],
            cep: vec![0.0; BLOCK * cfg.n_mfcc],
            stft,
            mel,
            dct,
            lifter,
            db,
            cfg,
        })
    }

    /// The configuration this extractor was built with.
    pub fn config(&self) -> &MfccConfig {
        &self.cfg
    }

    /// The mel filterbank in use.
    pub fn filterbank(&self) -> &MelFilterbank {
        &self.mel
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
    fn log_mel(&mut self, samples: &[f32]) -> Result<usize, MfccError> {
        check_finite(samples)?;
        let frames = self.stft.n_frames(samples.len())?;
        let nm = self.cfg.n_mels;
        let need = frames * nm;
        if self.mel_db.len() < need {
            self.mel_db.resize(need, 0.0);
        }
        // dB as librosa's float32 path: 10 log10(max(amin, S)) - 10 log10(max(amin, ref)),
        // rounded to f32. Branch-free so it vectorises; ln_pos is accurate to ~1e-12.
        let amin = f64::from(self.db.amin as f32);
        let ref_db = self.db.ref_db();
        let db_per_ln = 10.0 / std::f64::consts::LN_10;
        let mut max_db = f32::NEG_INFINITY;
        for (t, dst) in self.mel_db[..need].chunks_exact_mut(nm).enumerate() {
            self.stft
                .power_frame_unchecked(samples, t, &mut self.power)?;
            self.mel.apply_mixed(&self.power, &mut self.melp);
            for (d, &p) in dst.iter_mut().zip(&self.melp) {
                let q = if p > amin { p } else { amin };
                *d = (db_per_ln * ln_pos(q) - ref_db) as f32;
            }
            for &d in dst.iter() {
                max_db = if d > max_db { d } else { max_db };
            }
        }
        self.floor = match self.db.top_db {
            Some(top) => max_db - top as f32,
            None => f32::NEG_INFINITY,
        };
        Ok(frames)
    }

    /// Pass 2 for frames `t0..t0 + nb` (`nb <= BLOCK`): applies the floor and the DCT
    /// (f64 GEMM) into `self.cep[..n_mfcc * nb]`, row-major `[n_mfcc, nb]`.
    fn cepstra_block(&mut self, t0: usize, nb: usize) -> Result<(), MfccError> {
        let (nk, nm) = (self.cfg.n_mfcc, self.cfg.n_mels);
        let floor = self.floor;
        let src = &self.mel_db[t0 * nm..(t0 + nb) * nm];
        for (b, &v) in self.block.iter_mut().zip(src) {
            *b = f64::from(if v > floor { v } else { floor });
        }
        let shape_err = |e: ndarray::ShapeError| MfccError::ShapeMismatch {
            what: "internal DCT block",
            expected: vec![nk, nb],
            actual: vec![e.to_string().len()],
        };
        let mel = ArrayView2::from_shape((nb, nm), &self.block[..nb * nm]).map_err(shape_err)?;
        let mut cep =
            ArrayViewMut2::from_shape((nk, nb), &mut self.cep[..nk * nb]).map_err(shape_err)?;
        general_mat_mul(1.0, &self.dct, &mel.t(), 0.0, &mut cep);
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
    /// [`MfccError::NonFinite`] with its index; an input shorter than `n_fft` is padded like
    /// librosa when `center` (1 + n/hop frames), else [`MfccError::TooShort`]; all-zero input
    /// gives -100 dB everywhere, i.e. `c0 = -100 * sqrt(n_mels)` and 0 for the others.
    ///
    /// # Errors
    /// See above.
    pub fn compute(&mut self, samples: &[f32]) -> Result<Array2<f32>, MfccError> {
        let mut out = Array2::zeros((0, 0));
        self.compute_into(samples, &mut out)?;
        Ok(out)
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
        if out.dim() != (nk, frames) || !out.is_standard_layout() {
            *out = Array2::zeros((nk, frames));
        }
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
        let nk = self.cfg.n_mfcc;
        let mut sums = [0.0f64; 0].to_vec();
        sums.resize(nk, 0.0);
        let mut t0 = 0;
        while t0 < frames {
            let nb = BLOCK.min(frames - t0);
            self.cepstra_block(t0, nb)?;
            for (k, (s, crow)) in sums
                .iter_mut()
                .zip(self.cep[..nk * nb].chunks_exact(nb))
                .enumerate()
            {
                let l = self.lifter.as_ref().map(|l| l[k]);
                *s += crow
                    .iter()
                    .map(|&c| match l {
                        Some(l) => f64::from(c as f32 * l),
                        None => f64::from(c as f32),
                    })
                    .sum::<f64>();
            }
            t0 += nb;
        }
        Ok(sums.iter().map(|s| (s / frames as f64) as f32).collect())
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
