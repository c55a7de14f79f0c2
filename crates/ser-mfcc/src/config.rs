//! Configuration: [`MfccConfig`] and the enums it uses.

use serde::{Deserialize, Serialize};

use crate::error::{invalid, MfccError};

/// How a centred STFT pads the signal by `n_fft / 2` samples on each side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PadMode {
    /// Zeros (`numpy.pad(mode="constant")`): librosa >= 0.10's default.
    #[default]
    Constant,
    /// Mirror without repeating the edge sample (`numpy.pad(mode="reflect")`, iterated
    /// for signals shorter than the pad): librosa < 0.10's default, used by the study (0.6.3).
    Reflect,
}

/// The mel frequency scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MelScale {
    /// Slaney's Auditory Toolbox scale: linear below 1 kHz, logarithmic above (librosa default).
    #[default]
    Slaney,
    /// HTK: `2595 * log10(1 + f / 700)` (librosa `htk=True`).
    Htk,
}

/// Normalisation of the mel filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MelNorm {
    /// Each triangle is scaled by `2 / (f_upper - f_lower)` (Hz), i.e. constant energy
    /// per channel (librosa `norm="slaney"`, the default).
    #[default]
    Slaney,
    /// Triangles peak at 1 (librosa `norm=None`).
    None,
}

/// Everything that defines an MFCC computation.
///
/// [`Default`] is `librosa.feature.mfcc` of librosa >= 0.10 (0.11.0 was checked) **except
/// `n_mfcc = 40`**, the value the 2019 study used. librosa's own default is one line:
/// `MfccConfig { n_mfcc: 20, ..Default::default() }`. The study's exact setting (librosa
/// 0.6.3, reflect padding) is [`MfccConfig::librosa_0_6`].
///
/// | field | default | librosa name |
/// |---|---|---|
/// | `sample_rate` | 22050 Hz | `sr` |
/// | `n_mfcc` | 40 | `n_mfcc` (librosa: 20) |
/// | `n_fft` | 2048 samples | `n_fft` |
/// | `hop_length` | 512 samples | `hop_length` |
/// | `win_length` | `None` (= `n_fft`) | `win_length` |
/// | `center` | `true` | `center` |
/// | `pad_mode` | [`PadMode::Constant`] | `pad_mode` |
/// | `n_mels` | 128 | `n_mels` |
/// | `fmin` | 0 Hz | `fmin` |
/// | `fmax` | `None` (= `sample_rate / 2`) | `fmax` |
/// | `mel_scale` | [`MelScale::Slaney`] | `htk=False` |
/// | `mel_norm` | [`MelNorm::Slaney`] | `norm="slaney"` |
/// | `ref_power` | 1.0 | `power_to_db(ref=1.0)` |
/// | `amin` | 1e-10 | `power_to_db(amin=1e-10)` |
/// | `top_db` | `Some(80.0)` dB | `power_to_db(top_db=80)` |
/// | `lifter` | 0 (off) | `lifter` |
///
/// The window is always a periodic Hann window, the spectrum a power spectrum
/// (`power=2`) and the DCT type II with orthonormal scaling, as librosa's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MfccConfig {
    /// Sample rate of the input, Hz. Default 22050.
    pub sample_rate: u32,
    /// Number of cepstral coefficients kept (rows of the output). Default 40 (the study).
    pub n_mfcc: usize,
    /// FFT length, samples. Default 2048.
    pub n_fft: usize,
    /// Hop between frames, samples. Default 512.
    pub hop_length: usize,
    /// Hann window length, samples (`None` = `n_fft`); shorter windows are zero-padded
    /// to `n_fft` on both sides as librosa's `pad_center`. Default `None`.
    pub win_length: Option<usize>,
    /// Centre frames on `t * hop_length` by padding `n_fft / 2` on both sides. Default `true`.
    pub center: bool,
    /// Padding used when `center` is set. Default [`PadMode::Constant`].
    pub pad_mode: PadMode,
    /// Number of mel bands. Default 128.
    pub n_mels: usize,
    /// Lowest mel filter edge, Hz. Default 0.
    pub fmin: f64,
    /// Highest mel filter edge, Hz (`None` = `sample_rate / 2`). Default `None`.
    pub fmax: Option<f64>,
    /// Mel scale. Default [`MelScale::Slaney`].
    pub mel_scale: MelScale,
    /// Mel filter normalisation. Default [`MelNorm::Slaney`].
    pub mel_norm: MelNorm,
    /// Reference power for dB: `10 * log10(max(amin, ref_power))` is subtracted. Default 1.0.
    pub ref_power: f64,
    /// Smallest power before the log (power units). Default 1e-10 (so -100 dB).
    pub amin: f64,
    /// Floor, in dB below the maximum over the **whole** clip (`None` = no floor). Default 80.
    pub top_db: Option<f64>,
    /// Cepstral lifter `L`: coefficient `k` is scaled by `1 + (L/2) sin(pi (k+1) / L)`;
    /// 0 disables it. Default 0.
    pub lifter: f64,
}

impl Default for MfccConfig {
    fn default() -> Self {
        Self {
            sample_rate: 22050,
            n_mfcc: 40,
            n_fft: 2048,
            hop_length: 512,
            win_length: None,
            center: true,
            pad_mode: PadMode::Constant,
            n_mels: 128,
            fmin: 0.0,
            fmax: None,
            mel_scale: MelScale::Slaney,
            mel_norm: MelNorm::Slaney,
            ref_power: 1.0,
            amin: 1e-10,
            top_db: Some(80.0),
            lifter: 0.0,
        }
    }
}

impl MfccConfig {
    /// librosa 0.6.3's `feature.mfcc(y, sr=22050, n_mfcc=40)`, as the study computed its
    /// features: the default with [`PadMode::Reflect`] padding.
    pub fn librosa_0_6() -> Self {
        Self {
            pad_mode: PadMode::Reflect,
            ..Self::default()
        }
    }

    /// Window length in samples (`win_length` or `n_fft`).
    pub fn win_length(&self) -> usize {
        self.win_length.unwrap_or(self.n_fft)
    }

    /// Upper mel edge in Hz (`fmax` or `sample_rate / 2`).
    pub fn fmax(&self) -> f64 {
        self.log_mel().fmax()
    }

    /// Number of FFT bins, `1 + n_fft / 2`.
    pub fn n_bins(&self) -> usize {
        self.log_mel().n_bins()
    }

    /// Number of frames librosa produces for `n_samples` samples (see
    /// [`LogMelConfig::n_frames`]).
    ///
    /// # Errors
    /// As [`LogMelConfig::n_frames`].
    pub fn n_frames(&self, n_samples: usize) -> Result<usize, MfccError> {
        self.log_mel().n_frames(n_samples)
    }

    /// The `power_to_db` parameters of this configuration (`ref_power`, `amin`, `top_db`).
    pub fn db_params(&self) -> crate::db::DbParams {
        self.log_mel().db_params()
    }

    /// The speech configuration of [`LogMelConfig::default`] (16 kHz, 512-point FFT, 25 ms
    /// Hann window, 10 ms hop, 64 mel bands) with `n_mfcc = 20` (librosa's default): the MFCC
    /// half of [`MfccSequenceConfig::default`].
    pub fn speech() -> Self {
        Self::from_log_mel(&LogMelConfig::default(), 20, 0.0)
    }

    /// The MFCC configuration that takes the DCT of `log_mel`'s spectrogram, keeping `n_mfcc`
    /// coefficients with cepstral lifter `lifter` (0 = off).
    pub fn from_log_mel(log_mel: &LogMelConfig, n_mfcc: usize, lifter: f64) -> Self {
        Self {
            sample_rate: log_mel.sample_rate,
            n_mfcc,
            n_fft: log_mel.n_fft,
            hop_length: log_mel.hop_length,
            win_length: Some(log_mel.win_length),
            center: log_mel.center,
            pad_mode: log_mel.pad_mode,
            n_mels: log_mel.n_mels,
            fmin: log_mel.fmin,
            fmax: log_mel.fmax,
            mel_scale: log_mel.mel_scale,
            mel_norm: log_mel.mel_norm,
            ref_power: log_mel.ref_power,
            amin: log_mel.amin,
            top_db: log_mel.top_db,
            lifter,
        }
    }

    /// The log-mel spectrogram this configuration takes the DCT of (every field but `n_mfcc`
    /// and `lifter`).
    pub fn log_mel(&self) -> LogMelConfig {
        LogMelConfig {
            sample_rate: self.sample_rate,
            n_fft: self.n_fft,
            win_length: self.win_length(),
            hop_length: self.hop_length,
            center: self.center,
            pad_mode: self.pad_mode,
            n_mels: self.n_mels,
            fmin: self.fmin,
            fmax: self.fmax,
            mel_scale: self.mel_scale,
            mel_norm: self.mel_norm,
            ref_power: self.ref_power,
            amin: self.amin,
            top_db: self.top_db,
        }
    }

    /// Checks every field's range.
    ///
    /// # Errors
    /// [`MfccError::InvalidConfig`] naming the first bad field.
    pub fn validate(&self) -> Result<(), MfccError> {
        self.log_mel().validate()?;
        if self.n_mfcc == 0 || self.n_mfcc > self.n_mels {
            return Err(invalid(
                "n_mfcc",
                format!("1..={} (n_mels)", self.n_mels),
                self.n_mfcc,
            ));
        }
        if !(self.lifter.is_finite() && self.lifter >= 0.0) {
            return Err(invalid("lifter", "finite and >= 0", self.lifter));
        }
        Ok(())
    }
}

/// Everything that defines a log-mel spectrogram (`librosa.power_to_db(
/// librosa.feature.melspectrogram(...))`), the frame-level frontend of [`LogMel`](crate::LogMel).
///
/// [`Default`] is a speech configuration: 16 kHz, 25 ms window, 10 ms hop, 64 bands, otherwise
/// librosa's defaults (0.11.0 checked):
///
/// | field | default | librosa name |
/// |---|---|---|
/// | `sample_rate` | 16000 Hz | `sr` |
/// | `n_fft` | 512 samples (32 ms) | `n_fft` |
/// | `win_length` | 400 samples (25 ms) | `win_length` |
/// | `hop_length` | 160 samples (10 ms) | `hop_length` |
/// | `center` | `true` | `center` |
/// | `pad_mode` | [`PadMode::Constant`] | `pad_mode` |
/// | `n_mels` | 64 | `n_mels` |
/// | `fmin` | 0 Hz | `fmin` |
/// | `fmax` | `None` (= `sample_rate / 2`) | `fmax` |
/// | `mel_scale` | [`MelScale::Slaney`] | `htk=False` |
/// | `mel_norm` | [`MelNorm::Slaney`] | `norm="slaney"` |
/// | `ref_power` | 1.0 | `power_to_db(ref=1.0)` |
/// | `amin` | 1e-10 | `power_to_db(amin=1e-10)` |
/// | `top_db` | `Some(80.0)` dB, below the maximum of the **whole clip** | `power_to_db(top_db=80)` |
///
/// The window is a periodic Hann window of `win_length` samples zero-padded to `n_fft`, the
/// spectrum a power spectrum (`power=2`). In JSON every field is optional (missing ones take
/// the defaults above) and unknown fields are rejected, so a stored specification never
/// silently loses a setting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogMelConfig {
    /// Sample rate of the input, Hz. Default 16000.
    pub sample_rate: u32,
    /// FFT length, samples. Default 512.
    pub n_fft: usize,
    /// Hann window length, samples, `1..=n_fft` (zero-padded to `n_fft` on both sides as
    /// librosa's `pad_center`). Default 400 (25 ms at 16 kHz).
    pub win_length: usize,
    /// Hop between frames, samples. Default 160 (10 ms at 16 kHz).
    pub hop_length: usize,
    /// Centre frames on `t * hop_length` by padding `n_fft / 2` on both sides. Default `true`.
    pub center: bool,
    /// Padding used when `center` is set. Default [`PadMode::Constant`].
    pub pad_mode: PadMode,
    /// Number of mel bands (columns of the output). Default 64.
    pub n_mels: usize,
    /// Lowest mel filter edge, Hz. Default 0.
    pub fmin: f64,
    /// Highest mel filter edge, Hz (`None` = `sample_rate / 2`). Default `None`.
    pub fmax: Option<f64>,
    /// Mel scale. Default [`MelScale::Slaney`].
    pub mel_scale: MelScale,
    /// Mel filter normalisation. Default [`MelNorm::Slaney`].
    pub mel_norm: MelNorm,
    /// Reference power for dB: `10 * log10(max(amin, ref_power))` is subtracted. Default 1.0.
    pub ref_power: f64,
    /// Smallest power before the log (power units). Default 1e-10 (so -100 dB).
    pub amin: f64,
    /// Floor, in dB below the maximum over the **whole** clip (`None` = no floor). Default 80.
    pub top_db: Option<f64>,
}

impl Default for LogMelConfig {
    fn default() -> Self {
        Self {
            sample_rate: 16000,
            n_fft: 512,
            win_length: 400,
            hop_length: 160,
            center: true,
            pad_mode: PadMode::Constant,
            n_mels: 64,
            fmin: 0.0,
            fmax: None,
            mel_scale: MelScale::Slaney,
            mel_norm: MelNorm::Slaney,
            ref_power: 1.0,
            amin: 1e-10,
            top_db: Some(80.0),
        }
    }
}

impl LogMelConfig {
    /// Upper mel edge in Hz (`fmax` or `sample_rate / 2`).
    pub fn fmax(&self) -> f64 {
        self.fmax.unwrap_or(f64::from(self.sample_rate) / 2.0)
    }

    /// Number of FFT bins, `1 + n_fft / 2`.
    pub fn n_bins(&self) -> usize {
        1 + self.n_fft / 2
    }

    /// Number of frames for `n_samples` samples: `1 + n_samples / hop_length` when centred
    /// (even `n_fft`), else `1 + (n_samples - n_fft) / hop_length`.
    ///
    /// # Errors
    /// [`MfccError::EmptyInput`] for 0 samples, [`MfccError::TooShort`] when not centred and
    /// `n_samples < n_fft`.
    pub fn n_frames(&self, n_samples: usize) -> Result<usize, MfccError> {
        crate::stft::n_frames(n_samples, self.n_fft, self.hop_length, self.center)
    }

    /// The `power_to_db` parameters of this configuration (`ref_power`, `amin`, `top_db`).
    pub fn db_params(&self) -> crate::db::DbParams {
        crate::db::DbParams {
            ref_power: self.ref_power,
            amin: self.amin,
            top_db: self.top_db,
        }
    }

    /// Checks every field's range.
    ///
    /// # Errors
    /// [`MfccError::InvalidConfig`] naming the first bad field.
    pub fn validate(&self) -> Result<(), MfccError> {
        if self.sample_rate == 0 {
            return Err(invalid("sample_rate", "> 0 Hz", self.sample_rate));
        }
        if self.n_fft < 2 {
            return Err(invalid("n_fft", ">= 2", self.n_fft));
        }
        if self.hop_length == 0 {
            return Err(invalid("hop_length", ">= 1", self.hop_length));
        }
        let w = self.win_length;
        if w == 0 || w > self.n_fft {
            return Err(invalid("win_length", format!("1..={}", self.n_fft), w));
        }
        if self.n_mels == 0 {
            return Err(invalid("n_mels", ">= 1", self.n_mels));
        }
        if !(self.fmin.is_finite() && self.fmin >= 0.0) {
            return Err(invalid("fmin", "finite and >= 0 Hz", self.fmin));
        }
        let fmax = self.fmax();
        if !(fmax.is_finite() && fmax > self.fmin) {
            return Err(invalid(
                "fmax",
                format!("finite and > fmin ({} Hz)", self.fmin),
                fmax,
            ));
        }
        self.db_params().validate()
    }
}

/// A frame-level MFCC sequence with optional deltas: the frontend of
/// [`MfccSequence`](crate::MfccSequence). Output `[frames, n_mfcc * (1 + n_deltas)]`: per
/// frame the MFCCs, then their first derivative, then the second, ... (librosa
/// `np.concatenate([m, delta(m, width, order=1), .., delta(m, width, order=n_deltas)]).T`).
///
/// [`Default`]: the speech configuration [`MfccConfig::speech`] (16 kHz, 25 ms window, 10 ms
/// hop, 64 mel bands, 20 MFCCs), `n_deltas = 2` (deltas and delta-deltas, 60 values per frame)
/// and `delta_width = 9` (librosa's default). In JSON every field is optional (defaults above)
/// and unknown fields are rejected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MfccSequenceConfig {
    /// The MFCCs. Default [`MfccConfig::speech`].
    pub mfcc: MfccConfig,
    /// How many orders of derivatives to append: 0 (MFCCs only), 1 (+ deltas), 2 (+
    /// delta-deltas), ...; must be below `delta_width`. Default 2.
    pub n_deltas: usize,
    /// Window of the Savitzky-Golay derivative filter (librosa `delta(width=..)`, `mode="interp"`),
    /// frames: odd and >= 3. A clip needs at least this many frames when `n_deltas > 0`
    /// (`(delta_width - 1) * hop_length` samples when centred: 80 ms with the defaults).
    /// Default 9.
    pub delta_width: usize,
}

impl Default for MfccSequenceConfig {
    fn default() -> Self {
        Self {
            mfcc: MfccConfig::speech(),
            n_deltas: 2,
            delta_width: 9,
        }
    }
}

impl MfccSequenceConfig {
    /// Values per frame, `n_mfcc * (1 + n_deltas)`.
    pub fn output_dim(&self) -> usize {
        self.mfcc.n_mfcc * (1 + self.n_deltas)
    }

    /// Checks every field's range.
    ///
    /// # Errors
    /// [`MfccError::InvalidConfig`] naming the first bad field.
    pub fn validate(&self) -> Result<(), MfccError> {
        self.mfcc.validate()?;
        crate::delta::DeltaFilter::check(self.delta_width, self.n_deltas.max(1))?;
        if self.n_deltas >= self.delta_width {
            return Err(invalid(
                "n_deltas",
                format!("0..{} (delta_width)", self.delta_width),
                self.n_deltas,
            ));
        }
        Ok(())
    }
}
