//! # ser-mfcc — librosa-compatible MFCCs in pure Rust
//!
//! `realfft` + `ndarray`, no audio decoding and no ML framework, so anyone can embed it.
//! [`Mfcc`] reproduces `librosa.feature.mfcc` (0.11.0 checked against golden files to
//! <= 1e-3 absolute on the MFCC values, on identical f32 samples):
//!
//! ```
//! use ser_mfcc::{Mfcc, MfccConfig};
//! let samples: Vec<f32> = (0..22050).map(|i| (i as f32 * 0.05).sin() * 0.1).collect();
//! let mut mfcc = Mfcc::new(MfccConfig::default())?; // 22050 Hz, n_mfcc 40
//! let m = mfcc.compute(&samples)?;                    // [n_mfcc, frames] = [40, 1 + n / 512]
//! assert_eq!(m.dim(), (40, 1 + 22050 / 512));
//! let mean = mfcc.compute_mean(&samples)?;           // [40], the study's per-clip feature
//! assert_eq!(mean.len(), 40);
//! # Ok::<(), ser_mfcc::MfccError>(())
//! ```
//!
//! [`MfccConfig::default`] is librosa >= 0.10 with `n_mfcc = 40` (the study's value);
//! `MfccConfig { n_mfcc: 20, ..Default::default() }` is librosa's own default and
//! [`MfccConfig::librosa_0_6`] the study's librosa 0.6.3 setting (reflect padding).
//!
//! ## Building blocks
//! - [`Stft`], [`hann_window`], [`n_frames`]: framing (periodic Hann, `center` with
//!   [`PadMode::Constant`] / [`PadMode::Reflect`]) and the power spectrum `[1 + n_fft/2, frames]`.
//! - [`MelFilterbank`], [`hz_to_mel`], [`mel_to_hz`], [`mel_frequencies`], [`fft_frequencies`]:
//!   [`MelScale::Slaney`] / [`MelScale::Htk`], [`MelNorm::Slaney`] / [`MelNorm::None`].
//! - [`power_to_db`] with [`DbParams`] (`ref`, `amin`, `top_db`).
//! - [`dct_ortho_matrix`], [`dct2_ortho`] (DCT-II, orthonormal), [`lifter_weights`].
//! - [`delta`] (librosa `feature.delta`, `mode="interp"`), [`mean_over_time`].
//!
//! ## Defined behaviour at the edges
//! - Empty input: [`MfccError::EmptyInput`].
//! - NaN or ±inf anywhere: [`MfccError::NonFinite`] with the first bad index (checked before
//!   any work).
//! - Shorter than `n_fft`: with `center` (the default) the signal is padded by `n_fft / 2` on
//!   both sides like librosa 0.11 (zeros, or numpy's iterated reflection for
//!   [`PadMode::Reflect`]), giving `1 + n / hop_length` frames (one frame below 512 samples);
//!   without `center` it is [`MfccError::TooShort`] (librosa raises too).
//! - Silence (all zeros): every mel value is `10 log10(amin)` = -100 dB, so `c0 = -100 *
//!   sqrt(n_mels)` (-1131.37 for 128 bands) and all other coefficients are 0, as librosa.
//! - The `top_db` floor is relative to the maximum over **all** frames of the clip, so the
//!   MFCCs of a frame depend on the rest of the clip (as in librosa).
//! - Samples beyond ±[`MAX_SAMPLE_MAGNITUDE`] (1e12; audio is nominally within ±1) are
//!   [`MfccError::TooLarge`]: the f32 power spectrum could overflow. Every input that passes
//!   these checks gives finite output.
//!
//! ## Accuracy versus the full librosa path
//! See `docs/MFCC.md` in the repository for how far decoding + resampling (ser-audio vs
//! librosa's soxr_hq) move the mean MFCC on the study's clips.

mod config;
mod db;
mod dct;
mod delta;
mod dot;
mod error;
mod frontend;
mod logmel;
mod mel;
mod mfcc;
mod pitch;
mod sequence;
mod stats;
mod stft;
mod vad;

pub use config::{LogMelConfig, MelNorm, MelScale, MfccConfig, MfccSequenceConfig, PadMode};
pub use db::{power_to_db, DbParams};
pub use dct::{dct2_ortho, dct_ortho_matrix, lifter_weights};
pub use delta::delta;
pub use error::{MfccError, MAX_SAMPLE_MAGNITUDE};
pub use frontend::{Frontend, FrontendSpec};
pub use logmel::LogMel;
pub use mel::{fft_frequencies, hz_to_mel, mel_frequencies, mel_to_hz, MelFilterbank};
pub use mfcc::{mean_over_time, Mfcc};
pub use pitch::{Pitch, PitchConfig, PITCH_ANALYSIS_RATE};
pub use sequence::MfccSequence;
pub use stats::{SpeechStats, SpeechStatsConfig, VOICED_APERIODICITY};

/// Version of the values this crate's frontends compute for a given configuration. Raised
/// whenever a frontend's output changes while its configuration (and so its serialised
/// specification) stays the same, so that caches keyed by the configuration (ser-corpus's
/// feature cache) are not reused across such a change.
pub const OUTPUT_VERSION: u32 = 1;
pub use stft::{hann_window, n_frames, Stft};
pub use vad::{
    select_frames, speech_mask, speech_spans, Vad, VadConfig, VadDecision, VadStream,
    VAD_ENERGY_FLOOR_DBFS, VAD_MAX_FRAME,
};
