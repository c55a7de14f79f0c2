//! The planned log-mel spectrogram extractor, also pass 1 of [`Mfcc`](crate::Mfcc).

use ndarray::Array2;

use crate::config::LogMelConfig;
use crate::db::DbParams;
use crate::dot::db_f32;
use crate::error::{check_finite, MfccError};
use crate::mel::MelFilterbank;
use crate::stft::Stft;

/// A planned log-mel spectrogram extractor: `librosa.power_to_db(librosa.feature.
/// melspectrogram(y, sr, n_fft, hop_length, win_length, n_mels, ...))` with the FFT plan,
/// window and sparse mel filterbank built once in [`LogMel::new`] and reused by every call.
///
/// Output `[frames, n_mels]` in dB, **time-major** (row = frame, column = mel band; the
/// layout a sequence model consumes), i.e. the **transpose** of librosa's `[n_mels, frames]`.
/// `frames = 1 + n / hop_length` for `n` samples when centred (the default).
///
/// ```
/// use ser_mfcc::{LogMel, LogMelConfig};
/// let samples: Vec<f32> = (0..16000).map(|i| (i as f32 * 0.05).sin() * 0.1).collect();
/// let mut log_mel = LogMel::new(LogMelConfig::default())?; // 16 kHz, 25 ms / 10 ms, 64 bands
/// let x = log_mel.compute(&samples)?;
/// assert_eq!(x.dim(), (1 + 16000 / 160, 64));           // [frames, n_mels]
/// # Ok::<(), ser_mfcc::MfccError>(())
/// ```
///
/// Like librosa the `top_db` floor is relative to the maximum over the **whole clip**, so a
/// frame's values depend on the rest of the clip. Frame by frame the work is window + FFT,
/// power, sparse mel filterbank (f32, 8 lanes) and dB (vectorised, f32 as librosa), compiled
/// for the best instruction set the CPU has (`pulp` runtime dispatch: AVX2 + FMA where
/// present, else the baseline). Edge cases (empty, non-finite, too large, too short without
/// `center`) are the errors of [`Mfcc::compute`](crate::Mfcc::compute); silence is -100 dB
/// everywhere (`10 log10(amin)`).
#[derive(Debug, Clone)]
pub struct LogMel {
    cfg: LogMelConfig,
    stft: Stft,
    mel: MelFilterbank,
    db: DbParams,
    /// The SIMD instruction set the pass runs with (detected once, at construction).
    arch: pulp::Arch,
    /// Power spectrum of one frame `[n_bins]`.
    power: Vec<f32>,
}

/// The log-mel pass over one clip ([`LogMel::unfloored_into`]), as a `pulp` operation so that its whole body
/// (everything below is `#[inline(always)]` except the FFT, which has its own dispatch) is
/// compiled once per instruction set and the best one is picked at run time.
struct Pass1<'a> {
    samples: &'a [f32],
    stft: &'a mut Stft,
    mel: &'a MelFilterbank,
    /// `[n_bins]` scratch.
    power: &'a mut [f32],
    /// `[frames * n_mels]`, frame-major.
    mel_db: &'a mut [f32],
    n_mels: usize,
    amin: f32,
    ref_db: f32,
}

impl pulp::WithSimd for Pass1<'_> {
    /// The maximum dB value over the clip.
    type Output = Result<f32, MfccError>;

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, simd: S) -> Self::Output {
        let mut max = [f32::NEG_INFINITY; DB_LANES];
        for (t, dst) in self.mel_db.chunks_exact_mut(self.n_mels).enumerate() {
            self.stft
                .power_frame_unchecked(self.samples, t, self.power)?;
            self.mel.apply_simd(simd, self.power, dst);
            db_in_place(dst, self.amin, self.ref_db, &mut max);
        }
        Ok(max.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b)))
    }
}

/// [`check_finite`] as a `pulp` operation (vectorised with the best instruction set).
struct Finite<'a>(&'a [f32]);

impl pulp::WithSimd for Finite<'_> {
    type Output = Result<(), MfccError>;

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) -> Self::Output {
        check_finite(self.0)
    }
}

/// Lanes of the dB conversion's running maximum (8 f32 = one AVX2 register).
const DB_LANES: usize = 8;

/// `v <- 10 log10(max(amin, v)) - ref_db` for every value, and the lane-wise running
/// maximum `max[i % DB_LANES] <- max(.., v[i])`.
#[inline(always)]
fn db_in_place(v: &mut [f32], amin: f32, ref_db: f32, max: &mut [f32; DB_LANES]) {
    let mut chunks = v.chunks_exact_mut(DB_LANES);
    for c in &mut chunks {
        for l in 0..DB_LANES {
            let q = if c[l] > amin { c[l] } else { amin };
            let d = db_f32(q) - ref_db;
            c[l] = d;
            max[l] = if d > max[l] { d } else { max[l] };
        }
    }
    for (l, x) in chunks.into_remainder().iter_mut().enumerate() {
        let q = if *x > amin { *x } else { amin };
        *x = db_f32(q) - ref_db;
        max[l] = if *x > max[l] { *x } else { max[l] };
    }
}

impl LogMel {
    /// Plans an extractor for `cfg`.
    ///
    /// # Errors
    /// [`MfccError::InvalidConfig`] when [`LogMelConfig::validate`] fails.
    pub fn new(cfg: LogMelConfig) -> Result<Self, MfccError> {
        cfg.validate()?;
        let stft = Stft::new(
            cfg.n_fft,
            cfg.hop_length,
            cfg.win_length,
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
        Ok(Self {
            arch: pulp::Arch::new(),
            power: vec![0.0; cfg.n_bins()],
            db: cfg.db_params(),
            stft,
            mel,
            cfg,
        })
    }

    /// The configuration this extractor was built with.
    pub fn config(&self) -> &LogMelConfig {
        &self.cfg
    }

    /// The mel filterbank in use.
    pub fn filterbank(&self) -> &MelFilterbank {
        &self.mel
    }

    /// Output shape `[frames, n_mels]` for an input of `n_samples` samples.
    ///
    /// # Errors
    /// [`MfccError::EmptyInput`]; [`MfccError::TooShort`] when not centred and shorter than `n_fft`.
    pub fn output_shape(&self, n_samples: usize) -> Result<(usize, usize), MfccError> {
        Ok((self.cfg.n_frames(n_samples)?, self.cfg.n_mels))
    }

    /// The SIMD instruction set in use (shared with [`Mfcc`](crate::Mfcc)'s second pass).
    pub(crate) fn arch(&self) -> pulp::Arch {
        self.arch
    }

    /// Checks `samples` and returns the number of frames.
    fn frames_of(&self, samples: &[f32]) -> Result<usize, MfccError> {
        self.arch.dispatch(Finite(samples))?;
        self.stft.n_frames(samples.len())
    }

    /// The pass over checked samples: fills `dst` (`[frames * n_mels]`, frame-major) with the
    /// log-mel spectrogram in dB **before** the `top_db` floor and returns the floor (dB;
    /// -inf without `top_db`).
    fn pass(&mut self, samples: &[f32], dst: &mut [f32]) -> Result<f32, MfccError> {
        // dB in f32 as librosa: 10 log10(max(amin, S)) - 10 log10(max(amin, ref)). The floor
        // is kept a normal f32 so db_f32 applies (a smaller amin is below -376 dB anyway).
        let amin = (self.db.amin as f32).max(f32::MIN_POSITIVE);
        let ref_db = self.db.ref_db() as f32;
        let pass = Pass1 {
            samples,
            stft: &mut self.stft,
            mel: &self.mel,
            power: &mut self.power,
            mel_db: dst,
            n_mels: self.cfg.n_mels,
            amin,
            ref_db,
        };
        let max_db = self.arch.dispatch(pass)?;
        Ok(match self.db.top_db {
            Some(top) => max_db - top as f32,
            None => f32::NEG_INFINITY,
        })
    }

    /// The pass for [`Mfcc`](crate::Mfcc): checks `samples`, grows `scratch` to `frames *
    /// n_mels` if needed and fills its start frame-major with the unfloored dB values.
    /// Returns `(frames, floor)`.
    pub(crate) fn unfloored_into(
        &mut self,
        samples: &[f32],
        scratch: &mut Vec<f32>,
    ) -> Result<(usize, f32), MfccError> {
        let frames = self.frames_of(samples)?;
        let need = frames * self.cfg.n_mels;
        if scratch.len() < need {
            scratch.resize(need, 0.0);
        }
        let floor = self.pass(samples, &mut scratch[..need])?;
        Ok((frames, floor))
    }

    /// The log-mel spectrogram of `samples` (mono, at `config().sample_rate` Hz) in dB, shape
    /// `[frames, n_mels]` (time-major: the transpose of librosa's `[n_mels, frames]`).
    ///
    /// # Errors
    /// [`MfccError::EmptyInput`]; [`MfccError::NonFinite`] / [`MfccError::TooLarge`] with the
    /// first bad sample's index; [`MfccError::TooShort`] when not centred and shorter than
    /// `n_fft`.
    pub fn compute(&mut self, samples: &[f32]) -> Result<Array2<f32>, MfccError> {
        crate::logmel::new_output(|out| self.compute_into(samples, out))
    }

    /// As [`LogMel::compute`], writing into `out`. When `out` already has shape `[frames,
    /// n_mels]` in standard (row-major) layout its buffer is overwritten in place: no
    /// allocation at all (the spectrogram is built directly in `out`, the only scratch is one
    /// frame's power spectrum, allocated in [`LogMel::new`]). Otherwise `out` is replaced by a
    /// new array of the right shape.
    ///
    /// # Errors
    /// As [`LogMel::compute`]; on these input errors `out` is left unchanged.
    pub fn compute_into(
        &mut self,
        samples: &[f32],
        out: &mut Array2<f32>,
    ) -> Result<(), MfccError> {
        let frames = self.frames_of(samples)?;
        let shape = (frames, self.cfg.n_mels);
        fit_output(out, shape);
        let Some(dst) = out.as_slice_mut() else {
            return Err(MfccError::ShapeMismatch {
                what: "log-mel output (standard layout)",
                expected: vec![shape.0, shape.1],
                actual: out.shape().to_vec(),
            });
        };
        let floor = self.pass(samples, dst)?;
        for v in dst.iter_mut() {
            *v = v.max(floor);
        }
        Ok(())
    }
}

/// Makes `out` a standard-layout array of `shape`: kept as it is (no allocation) when it already
/// is one, else replaced by zeros. The output check of every `compute_into` that writes through
/// `as_slice_mut`.
pub(crate) fn fit_output(out: &mut Array2<f32>, shape: (usize, usize)) {
    if out.dim() != shape || !out.is_standard_layout() {
        *out = Array2::zeros(shape);
    }
}

/// Runs a `compute_into` on a new (empty) output and returns it: the `compute` of every
/// extractor.
pub(crate) fn new_output(
    compute_into: impl FnOnce(&mut Array2<f32>) -> Result<(), MfccError>,
) -> Result<Array2<f32>, MfccError> {
    let mut out = Array2::zeros((0, 0));
    compute_into(&mut out)?;
    Ok(out)
}
