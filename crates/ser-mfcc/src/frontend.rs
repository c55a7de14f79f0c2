//! [`FrontendSpec`]: how a model's input is computed from samples, and the matching
//! [`Frontend`] extractor.

use ndarray::Array2;
use serde::{Deserialize, Deserializer, Serialize};

use crate::config::{LogMelConfig, MfccConfig, MfccSequenceConfig};
use crate::error::MfccError;
use crate::logmel::LogMel;
use crate::mfcc::Mfcc;
use crate::sequence::MfccSequence;
use crate::stats::{SpeechStats, SpeechStatsConfig};
use crate::vad::{VadConfig, VadDecision};

/// Exactly how a model's input features are computed from mono samples: what a checkpoint
/// stores so that every consumer rebuilds the frontend the model was trained with.
///
/// Serialised internally tagged by `kind` (snake case), the configuration's fields beside it:
///
/// ```json
/// {"kind": "mean_mfcc", "sample_rate": 22050, "n_mfcc": 40, ...}
/// {"kind": "log_mel", "sample_rate": 16000, "n_fft": 512, "win_length": 400, ...}
/// {"kind": "mfcc_sequence", "mfcc": {"sample_rate": 16000, ...}, "n_deltas": 2, "delta_width": 9}
/// ```
///
/// Serialising writes every field, so a stored spec does not depend on today's defaults.
/// [`LogMelConfig`] and [`MfccSequenceConfig`] reject unknown fields.
///
/// **Legacy (pre-frontend) checkpoints** store a bare [`MfccConfig`] (no `kind`): that is
/// the mean-MFCC case. Wrap one with [`FrontendSpec::from_legacy`], or read either form with
/// [`FrontendSpec::deserialize_or_legacy`] (for `#[serde(deserialize_with = ..)]`), so the
/// study's mean-MFCC models keep working unchanged.
///
/// ```
/// use ser_mfcc::{FrontendSpec, LogMelConfig, MfccConfig};
/// let spec = FrontendSpec::LogMel(LogMelConfig::default());
/// assert_eq!((spec.sample_rate(), spec.output_dim()), (16000, 64));
/// let mut frontend = spec.build()?;
/// let x = frontend.compute(&vec![0.1f32; 16000])?;       // [frames, output_dim]
/// assert_eq!(x.dim(), (101, 64));
/// let legacy = FrontendSpec::from_legacy(MfccConfig::default());
/// assert_eq!((legacy.sample_rate(), legacy.output_dim()), (22050, 40));
/// # Ok::<(), ser_mfcc::MfccError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum FrontendSpec {
    /// The mean over time of the MFCCs, `[n_mfcc]` per clip: the 2019 study's feature
    /// ([`Mfcc::compute_mean`]).
    MeanMfcc(MfccConfig),
    /// The log-mel spectrogram, `[frames, n_mels]` ([`LogMel`]).
    LogMel(LogMelConfig),
    /// The MFCC sequence with deltas, `[frames, n_mfcc * (1 + n_deltas)]` ([`MfccSequence`]).
    MfccSequence(MfccSequenceConfig),
    /// Statistics over the speech frames of MFCCs, deltas, log-mel bands, pitch and energy,
    /// `[output_dim]` per clip ([`SpeechStats`]).
    SpeechStats(SpeechStatsConfig),
}

impl From<MfccConfig> for FrontendSpec {
    fn from(cfg: MfccConfig) -> Self {
        Self::from_legacy(cfg)
    }
}

/// The two JSON forms [`FrontendSpec::deserialize_or_legacy`] accepts.
#[derive(Deserialize)]
#[serde(untagged)]
enum SpecOrLegacy {
    Spec(FrontendSpec),
    Legacy(Legacy),
}

/// A bare [`MfccConfig`]; `kind` is captured so that a tagged spec that failed to parse is
/// not mistaken for one.
#[derive(Deserialize)]
struct Legacy {
    #[serde(default)]
    kind: Option<String>,
    #[serde(flatten)]
    cfg: MfccConfig,
}

impl FrontendSpec {
    /// The spec of a legacy checkpoint's bare [`MfccConfig`]: [`FrontendSpec::MeanMfcc`].
    pub fn from_legacy(cfg: MfccConfig) -> Self {
        Self::MeanMfcc(cfg)
    }

    /// Deserialises a tagged spec or, when there is no `kind` field, a legacy bare
    /// [`MfccConfig`] as [`FrontendSpec::MeanMfcc`]. A value with a `kind` that does not
    /// parse as that kind is an error (never read as a legacy config). Use as
    /// `#[serde(deserialize_with = "FrontendSpec::deserialize_or_legacy")]`.
    ///
    /// # Errors
    /// The deserializer's error for anything else.
    pub fn deserialize_or_legacy<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match SpecOrLegacy::deserialize(d) {
            Ok(SpecOrLegacy::Spec(spec)) => Ok(spec),
            Ok(SpecOrLegacy::Legacy(Legacy { kind: None, cfg })) => Ok(Self::from_legacy(cfg)),
            Ok(SpecOrLegacy::Legacy(Legacy {
                kind: Some(kind), ..
            })) => Err(serde::de::Error::custom(format!(
                "frontend spec of kind `{kind}` does not parse: unknown kind, or a field \
                 that is unknown or of the wrong type"
            ))),
            Err(_) => Err(serde::de::Error::custom(
                "expected a frontend spec (with `kind`) or a bare MFCC configuration",
            )),
        }
    }

    /// Sample rate the input must have, Hz.
    pub fn sample_rate(&self) -> u32 {
        match self {
            Self::MeanMfcc(c) => c.sample_rate,
            Self::LogMel(c) => c.sample_rate,
            Self::MfccSequence(c) => c.mfcc.sample_rate,
            Self::SpeechStats(c) => c.log_mel.sample_rate,
        }
    }

    /// Values per frame (per clip for [`FrontendSpec::MeanMfcc`]): `n_mfcc`, `n_mels` or
    /// `n_mfcc * (1 + n_deltas)`.
    pub fn output_dim(&self) -> usize {
        match self {
            Self::MeanMfcc(c) => c.n_mfcc,
            Self::LogMel(c) => c.n_mels,
            Self::MfccSequence(c) => c.output_dim(),
            Self::SpeechStats(c) => c.output_dim(),
        }
    }

    /// Whether the output is a sequence of frames (`false`: one vector per clip).
    pub fn is_sequence(&self) -> bool {
        !matches!(self, Self::MeanMfcc(_) | Self::SpeechStats(_))
    }

    /// Checks every field's range.
    ///
    /// # Errors
    /// [`MfccError::InvalidConfig`] naming the first bad field.
    pub fn validate(&self) -> Result<(), MfccError> {
        match self {
            Self::MeanMfcc(c) => c.validate(),
            Self::LogMel(c) => c.validate(),
            Self::MfccSequence(c) => c.validate(),
            Self::SpeechStats(c) => c.validate(),
        }
    }

    /// Plans the matching extractor.
    ///
    /// # Errors
    /// [`MfccError::InvalidConfig`] when [`FrontendSpec::validate`] fails.
    pub fn build(&self) -> Result<Frontend, MfccError> {
        Ok(match self {
            Self::MeanMfcc(c) => Frontend::MeanMfcc(Box::new(Mfcc::new(c.clone())?)),
            Self::LogMel(c) => Frontend::LogMel(Box::new(LogMel::new(c.clone())?)),
            Self::MfccSequence(c) => {
                Frontend::MfccSequence(Box::new(MfccSequence::new(c.clone())?))
            }
            Self::SpeechStats(c) => Frontend::SpeechStats(Box::new(SpeechStats::new(c.clone())?)),
        })
    }
}

/// The planned extractor of a [`FrontendSpec`] ([`FrontendSpec::build`]); each variant is
/// boxed (the extractors differ a lot in size).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Frontend {
    /// [`FrontendSpec::MeanMfcc`].
    MeanMfcc(Box<Mfcc>),
    /// [`FrontendSpec::LogMel`].
    LogMel(Box<LogMel>),
    /// [`FrontendSpec::MfccSequence`].
    MfccSequence(Box<MfccSequence>),
    /// [`FrontendSpec::SpeechStats`].
    SpeechStats(Box<SpeechStats>),
}

impl Frontend {
    /// The features of `samples` (mono, at the spec's sample rate), shape `[frames,
    /// output_dim]`, time-major; for the per-clip frontends ([`Frontend::MeanMfcc`],
    /// [`Frontend::SpeechStats`]) exactly one row (`[1, output_dim]`).
    ///
    /// # Errors
    /// The extractor's ([`Mfcc::compute_mean`], [`LogMel::compute`], [`MfccSequence::compute`]).
    pub fn compute(&mut self, samples: &[f32]) -> Result<Array2<f32>, MfccError> {
        crate::logmel::new_output(|out| self.compute_into(samples, out))
    }

    /// As [`Frontend::compute`], writing into `out`; the sequence extractors do not allocate
    /// when `out` already has the right shape (see their `compute_into`).
    ///
    /// # Errors
    /// As [`Frontend::compute`]; on input errors `out` is left unchanged.
    pub fn compute_into(
        &mut self,
        samples: &[f32],
        out: &mut Array2<f32>,
    ) -> Result<(), MfccError> {
        self.compute_with_vad_into(samples, None, out)
    }

    /// As [`Frontend::compute_into`], passing a VAD decision already made over these samples
    /// (with its configuration) to the frontends that select speech frames
    /// ([`SpeechStats::compute_with_vad`]); the others ignore it.
    ///
    /// # Errors
    /// As [`Frontend::compute`].
    pub fn compute_with_vad_into(
        &mut self,
        samples: &[f32],
        decision: Option<(&VadConfig, &VadDecision)>,
        out: &mut Array2<f32>,
    ) -> Result<(), MfccError> {
        let row = match self {
            Self::MeanMfcc(m) => m.compute_mean(samples)?,
            Self::SpeechStats(m) => m.compute_with_vad(samples, decision)?,
            Self::LogMel(m) => return m.compute_into(samples, out),
            Self::MfccSequence(m) => return m.compute_into(samples, out),
        };
        if out.dim() != (1, row.len()) {
            *out = Array2::zeros((1, row.len()));
        }
        out.row_mut(0).assign(&row);
        Ok(())
    }
}
