//! The facade's error type.

use ser_audio::AudioError;
use ser_mfcc::MfccError;
use ser_models::ModelError;

/// Everything that can go wrong in the `ser` facade.
///
/// Variants wrap the library crates' errors and name the input they concern: a file path, an
/// upload's name, or `"<samples>"` for [`crate::Recognizer::predict_samples`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The audio could not be read, decoded or resampled.
    #[error("{input}: reading audio")]
    Audio {
        /// The file, upload name or `"<samples>"`.
        input: String,
        /// What `ser-audio` reported.
        #[source]
        source: AudioError,
    },
    /// The audio decoded to no samples at all (or the given slice was empty).
    #[error("{input}: no audio: expected at least 1 sample, got 0")]
    Empty {
        /// The file, upload name or `"<samples>"`.
        input: String,
    },
    /// A sample rate of 0 was given to [`crate::Recognizer::predict_samples`].
    #[error("{input}: invalid sample rate: expected > 0 Hz, got {actual} Hz")]
    SampleRate {
        /// The input.
        input: String,
        /// The rate given.
        actual: u32,
    },
    /// Computing the MFCC features failed.
    #[error("{input}: computing features")]
    Features {
        /// The input.
        input: String,
        /// What `ser-mfcc` reported.
        #[source]
        source: MfccError,
    },
    /// The voice-activity detector (speech or not) failed: a sample that is not finite or too
    /// large, or a sample rate its frame length does not fit.
    #[error("{input}: detecting speech")]
    Vad {
        /// The input.
        input: String,
        /// What `ser-mfcc`'s `Vad` reported.
        #[source]
        source: MfccError,
    },
    /// An invalid voice-activity detector configuration
    /// ([`crate::Recognizer::set_vad_config`]).
    #[error("invalid voice-activity detector configuration")]
    VadConfig {
        /// What `VadConfig::validate` reported.
        #[source]
        source: MfccError,
    },
    /// Running the model failed.
    #[error("{input}: running the model")]
    Inference {
        /// The input.
        input: String,
        /// What `ser-models` reported.
        #[source]
        source: ModelError,
    },
    /// The model returned a probability vector of the wrong length.
    #[error("{input}: model output: expected {expected} probabilities, got {actual}")]
    OutputSize {
        /// The input.
        input: String,
        /// The number of the model's labels.
        expected: usize,
        /// What the model returned.
        actual: usize,
    },
    /// A model (checkpoint directory, embedded bytes or seed model) could not be loaded.
    #[error("loading model {model}")]
    LoadModel {
        /// The model's name (`default`, `seed-b`, or the directory).
        model: String,
        /// What `ser-models` reported.
        #[source]
        source: ModelError,
    },
    /// The model's feature configuration cannot build an MFCC extractor.
    #[error("model {model}: invalid feature configuration")]
    FeatureConfig {
        /// The model's name.
        model: String,
        /// What `ser-mfcc` reported.
        #[source]
        source: MfccError,
    },
    /// Speaker adaptation was asked of a model without a speaker-adapted variant.
    #[error("model {model} cannot adapt to a speaker: it has no speaker-adapted variant (the study's models and older checkpoints have none)")]
    NotAdaptable {
        /// The model's name.
        model: String,
    },
    /// A speaker-adapted variant that does not match its main model.
    #[error("model {model}: the adapted variant must have the same frontend and labels and be trained on speaker-standardised features")]
    AdaptedModelMismatch {
        /// The model's name.
        model: String,
    },
    /// Too little speech to estimate a speaker's statistics.
    #[error("speaker adaptation needs at least {needed} {what} with speech, got {actual}")]
    AdaptationData {
        /// `"clips"` or `"windows"`.
        what: &'static str,
        /// The minimum.
        needed: usize,
        /// How many had speech.
        actual: usize,
    },
    /// A model name that is neither `default`, `seed-a` .. `seed-d` nor a directory.
    #[error("unknown model {actual:?}: expected default, seed-a, seed-b, seed-c, seed-d or a checkpoint directory")]
    UnknownModel {
        /// The name given.
        actual: String,
    },
    /// A [`crate::TimelineConfig`] with a window or hop that is not finite and > 0.
    #[error("timeline: expected finite window and hop > 0 s, got window {window} s, hop {hop} s")]
    TimelineConfig {
        /// Window length given, in seconds.
        window: f64,
        /// Hop given, in seconds.
        hop: f64,
    },
}

impl Error {
    /// The input (file, upload name, `"<samples>"`) or model the error concerns.
    pub fn subject(&self) -> Option<&str> {
        match self {
            Error::Audio { input, .. }
            | Error::Empty { input }
            | Error::SampleRate { input, .. }
            | Error::Features { input, .. }
            | Error::Vad { input, .. }
            | Error::Inference { input, .. }
            | Error::OutputSize { input, .. } => Some(input),
            Error::LoadModel { model, .. }
            | Error::FeatureConfig { model, .. }
            | Error::NotAdaptable { model }
            | Error::AdaptedModelMismatch { model } => Some(model),
            Error::UnknownModel { actual } => Some(actual),
            Error::TimelineConfig { .. }
            | Error::AdaptationData { .. }
            | Error::VadConfig { .. } => None,
        }
    }

    /// Whether the error is the input's fault (undecodable, empty or otherwise unusable audio)
    /// rather than the model's or the configuration's: a server answers these with HTTP 4xx.
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            Error::Audio { .. }
                | Error::Empty { .. }
                | Error::SampleRate { .. }
                | Error::Features { .. }
                | Error::Vad { .. }
        )
    }
}
