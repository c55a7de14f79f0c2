//! The planned MFCC extractor.

use ndarray::{Array1, Array2, ArrayView2, Axis};

use crate::config::MfccConfig;
use crate::db::{to_db, DbParams};
use crate::dct::{dct_ortho_matrix, lifter_weights};
use crate::dot::dot_f64;
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
#[derive(Debug)]
pub struct Mfcc {
    cfg: MfccConfig,
    stft: Stft,
    mel: MelFilterbank,
    /// Row-major `[n_mfcc, n_mels]`.
    dct: Vec<f32>,
    lifter: Option<Vec<f32>>,
    db: DbParams,
    power: Vec<f32>,
    /// Frame-major `[frames, n_mels]` mel power, then dB.
    mel_db: Vec<f32>,
    sums: Vec<f64>,
}

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
        let dct = dct_ortho_matrix(cfg.n_mfcc, cfg.n_mels)
            .iter()
            .copied()
            .collect();
        let lifter = lifter_weights(cfg.n_mfcc, cfg.lifter);
        let db = DbParams {
            ref_power: cfg.ref_power,
            amin: cfg.amin,
            top_db: cfg.top_db,
        };
        Ok(Self {
            power: vec![0.0; cfg.n_bins()],
            sums: vec![0.0; cfg.n_mfcc],
            mel_db: Vec::new(),
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

    /// Fills `self.mel_db[..frames * n_mels]` with the floored log-mel spectrogram (dB),
    /// frame-major. Returns the number of frames.
    fn log_mel(&mut self, samples: &[f32]) -> Result<usize, MfccError> {
        check_finite(samples)?;
        let frames = self.stft.n_frames(samples.len())?;
        let nm = self.cfg.n_mels;
        let need = frames * nm;
        if self.mel_db.len() < need {
            self.mel_db.resize(need, 0.0);
        }
        // Pass 1: mel power per frame, and the maximum over the whole clip.
        let mut max_p = 0.0f32;
        for (t, dst) in self.mel_db[..need].chunks_exact_mut(nm).enumerate() {
            self.stft.power_frame(samples, t, &mut self.power)?;
            self.mel.apply_unchecked(&self.power, dst);
            for &v in dst.iter() {
                max_p = max_p.max(v);
            }
        }
        // Pass 2: dB with the top_db floor; skip the log where the value is surely floored.
        let amin = self.db.amin as f32;
        let ref_db = self.db.ref_db();
        let vals = &mut self.mel_db[..need];
        match self.db.top_db {
            Some(top) => {
                let floor = to_db(max_p, amin, ref_db) - top as f32;
                let thr = (10f64.powf((f64::from(floor) + ref_db) / 10.0) * (1.0 - 1e-3)) as f32;
                for v in vals.iter_mut() {
                    let q = v.max(amin);
                    *v = if q < thr {
                        floor
                    } else {
                        to_db(q, amin, ref_db).max(floor)
                    };
                }
            }
            None => {
                for v in vals.iter_mut() {
                    *v = to_db(*v, amin, ref_db);
                }
            }
        }
        Ok(frames)
    }

    /// The floored log-mel spectrogram (dB), shape `[n_mels, frames]`
    /// (`power_to_db(melspectrogram(y))` in librosa).
    ///
    /// # Errors
    /// As [`Mfcc::compute`].
    pub fn log_mel_spectrogram(&mut self, samples: &[f32]) -> Result<Array2<f32>, MfccError> {
        let frames = self.log_mel(samples)?;
        let nm = self.cfg.n_mels;
        Ok(Array2::from_shape_fn((nm, frames), |(m, t)| {
            self.mel_db[t * nm + m]
        }))
    }

    #[inline]
    fn cepstrum(dct: &[f32], lifter: Option<&[f32]>, n_mels: usize, x: &[f32], k: usize) -> f32 {
        let c = dot_f64(&dct[k * n_mels..(k + 1) * n_mels], x) as f32;
        match lifter {
            Some(l) => c * l[k],
            None => c,
        }
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
        let (nk, nm) = (self.cfg.n_mfcc, self.cfg.n_mels);
        if out.dim() != (nk, frames) || !out.is_standard_layout() {
            *out = Array2::zeros((nk, frames));
        }
        let lifter = self.lifter.as_deref();
        let dct = &self.dct;
        if let Some(o) = out.as_slice_mut() {
            for (t, x) in self.mel_db[..frames * nm].chunks_exact(nm).enumerate() {
                for k in 0..nk {
                    o[k * frames + t] = Self::cepstrum(dct, lifter, nm, x, k);
                }
            }
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
        self.sums.iter_mut().for_each(|s| *s = 0.0);
        let lifter = self.lifter.as_deref();
        for x in self.mel_db[..frames * nm].chunks_exact(nm) {
            for (k, s) in self.sums.iter_mut().enumerate() {
                *s += f64::from(Self::cepstrum(&self.dct, lifter, nm, x, k));
            }
        }
        Ok(self
            .sums
            .iter()
            .map(|s| (s / frames as f64) as f32)
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
