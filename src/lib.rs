//! # ser — speech emotion recognition in Rust
//!
//! Facade crate: re-exports the workspace's library crates and adds [`Recognizer`], which turns
//! an audio file, in-memory bytes or samples into an [`Emotion`] with all eight probabilities.
//!
//! - [`audio`]: decoding and resampling ([`ser_audio`]).
//! - [`mfcc`]: the librosa-compatible MFCC frontend ([`ser_mfcc`]).
//! - [`corpus`]: corpora, labels, splits and cached features ([`ser_corpus`]).
//! - [`models`]: the candle models, training and evaluation ([`ser_models`]).
//!
//! ```no_run
//! let mut recognizer = ser::Recognizer::try_default()?; // the embedded default model
//! let p = recognizer.predict_file("tests/data/ravdess/03-01-01-01-01-01-01.wav")?;
//! for (emotion, probability) in p.ranked().iter().take(3) {
//!     println!("{emotion}: {probability:.3}");
//! }
//! # Ok::<(), ser::Error>(())
//! ```

pub use ser_audio as audio;
pub use ser_corpus as corpus;
pub use ser_mfcc as mfcc;
pub use ser_models as models;

mod error;
mod recognizer;
mod timeline;

pub use error::Error;
pub use recognizer::{Clip, ModelChoice, Prediction, Recognizer, Timings};
pub use ser_corpus::Emotion;
pub use ser_models::SeedModel;
pub use timeline::{window_spans, Timeline, TimelineConfig, TimelineWindow};
