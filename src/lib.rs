//! # ser — speech emotion recognition in Rust
//!
//! Facade crate: re-exports the workspace's library crates and adds [`Recognizer`], which turns
//! an audio file, in-memory bytes or samples into the most probable [`Label`] (an [`Emotion`]
//! for the study's models) with the probabilities of all the model's labels ([`LabelSet`]: any
//! number of classes).
//!
//! - [`labels`]: [`Emotion`], [`Label`] and [`LabelSet`] ([`ser_labels`]).
//! - [`audio`]: decoding and resampling ([`ser_audio`]).
//! - [`mfcc`]: the librosa-compatible MFCC frontend ([`ser_mfcc`]).
//! - `corpus`: corpora, splits and cached features (`ser_corpus`; with the default cargo
//!   feature `corpus`; inference does not need it).
//! - [`models`]: the candle models, training and evaluation ([`ser_models`]).
//! - [`stream`]: timelines of long recordings in bounded memory, from a file
//!   ([`Recognizer::timeline_file`]) or pushed as they arrive ([`TimelineStream`]).
//!
//! Silence and non-speech are not emotions: every prediction first asks a voice-activity
//! detector ([`mfcc::Vad`], which documents what counts as speech) whether the audio holds
//! speech. Without speech [`Prediction::speech`] is `false`, the model is not run and
//! [`Prediction::label`] and [`Prediction::probabilities`] are `None` (JSON `"speech": false,
//! "emotion": null`); timeline windows follow the same rule ([`TimelineWindow`]).
//!
//! ```no_run
//! let mut recognizer = ser::Recognizer::try_default()?; // the embedded default model
//! let p = recognizer.predict_file("tests/data/ravdess/03-01-01-01-01-01-01.wav")?;
//! for (label, probability) in p.ranked().iter().take(3) {
//!     println!("{label}: {probability:.3}");
//! }
//! # Ok::<(), ser::Error>(())
//! ```

pub use ser_audio as audio;
#[cfg(feature = "corpus")]
pub use ser_corpus as corpus;
pub use ser_labels as labels;
pub use ser_mfcc as mfcc;
pub use ser_models as models;

mod error;
mod probabilities;
mod recognizer;
mod speech;
pub mod stream;
mod timeline;

pub use error::Error;
pub use probabilities::Probabilities;
pub use recognizer::{
    Analysis, Clip, ModelChoice, Prediction, Recognizer, SpeakerAdaptation, Timings, ADAPTED_DIR,
    SELF_ADAPT_MIN_SECONDS,
};
pub use ser_labels::{Emotion, Label, LabelSet};
pub use ser_mfcc::{VadConfig, VadDecision};
pub use ser_models::SeedModel;
pub use stream::{FileTimeline, StreamEnd, TimelineStream};
pub use timeline::{window_spans, Timeline, TimelineConfig, TimelineWindow};
