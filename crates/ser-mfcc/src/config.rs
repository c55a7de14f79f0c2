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
        self.fmax.unwrap_or(f64::from(self.sample_rate) / 2.0)
    }

    /// Number of FFT bins, `1 + n_fft / 2`.
    pub fn n_bins(&self) -> usize {
        1 + self.n_fft / 2
    }

    /// Number of frames librosa produces for `n_samples` samples:
    /// `1 + n_samples / hop_length` when centred (even `n_fft`), else
    /// `1 + (n_samples - n_fft) / hop_length`.
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
        let w = self.win_length();
        if w == 0 || w > self.n_fft {
            return Err(invalid("win_length", format!("1..={}", self.n_fft), w));
        }
        if self.n_mels == 0 {
            return Err(invalid("n_mels", ">= 1", self.n_mels));
        }
        if self.n_mfcc == 0 || self.n_mfcc > self.n_mels {
            return Err(invalid(
                "n_mfcc",
                format!("1..={} (n_mels)", self.n_mels),
                self.n_mfcc,
            ));
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
        self.db_params().validate()?;
        if !(self.lifter.is_finite() && self.lifter >= 0.0) {
            return Err(invalid("lifter", "finite and >= 0", self.lifter));
        }
        Ok(())
    }
}
