//! # ser-corpus
//!
//! Emotion corpora by file name, leak-free splits and (cached) corpus-scale features.
//!
//! - [`Emotion`], [`Label`], [`LabelSet`]: re-exported from `ser-labels`, the one definition of
//!   class names.
//! - [`corpora`]: one module per corpus behind one trait ([`CorpusFormat`]), registered in
//!   [`corpora::REGISTRY`]: RAVDESS (speech and song), SAVEE, CREMA-D, TESS, EmoDB, ASED, nEMO
//!   by file name, each with its explicit mapping onto [`Emotion`]; and users' own corpora with
//!   any label names, from a manifest (CSV or JSON lines) or one folder per label.
//!   ([`names`] keeps the old paths of the name types.)
//! - [`scan`]: a directory tree into a [`Corpus`] of [`Item`]s plus the rejected files (never
//!   dropped silently); twins (same performance) via [`Corpus::twins`]; [`open()`] reads a
//!   folder or a manifest.
//! - [`split`]: the study's unshuffled 80/10/10 protocol (with optional simulated audio-video
//!   twins, to reproduce its leak), a seeded stratified split and speaker-independent k-fold /
//!   leave-one-speaker-out, all as serde data.
//! - [`features`]: mean-MFCC vectors for a whole corpus (rayon, progress, on-disk cache) and
//!   duplicate detection by decoded samples.
//!
//! ```
//! use ser_corpus::split::{speaker_kfold, SpeakerFoldConfig};
//! use ser_corpus::{Emotion, Gender, Item, RavdessName};
//!
//! # fn main() -> Result<(), ser_corpus::CorpusError> {
//! let name = RavdessName::parse("03-01-05-02-01-01-12.wav")?;
//! assert_eq!((name.emotion, name.actor, name.gender()), (Emotion::Angry, 12, Gender::Female));
//! assert_eq!(RavdessName::parse("03-01-09-01-01-01-01.wav").unwrap_err().to_string(),
//!            "RAVDESS name \"03-01-09-01-01-01-01.wav\": emotion 09 out of 01..08");
//!
//! // Labelling needs only the names; `scan(dir)` does this for a whole tree.
//! let items: Vec<Item> = (1..=8)
//!     .map(|actor| Item::from_path(format!("03-01-03-01-01-01-{actor:02}.wav"), None))
//!     .collect::<Result<_, _>>()?;
//! let folds = speaker_kfold(&items, &[], &SpeakerFoldConfig { folds: 4, ..Default::default() })?;
//! assert_eq!(folds.folds[0].test_speakers, ["ravdess:01", "ravdess:02"]); // one man, one woman
//! # Ok(())
//! # }
//! ```
//!
//! RAVDESS (Livingstone & Russo 2018, doi:10.1371/journal.pone.0196391) is CC BY-NC-SA 4.0.

pub mod corpora;
mod error;
pub mod features;
mod gender;
pub mod names;
mod scan;
pub mod split;

pub use corpora::{ClipName, CorpusFormat, CorpusKind, ParsedName, RavdessName};
pub use error::CorpusError;
pub use features::{
    extract_features, find_duplicates, AudioConfig, ExtractOptions, FeatureConfig, Features,
    ProgressFn,
};
pub use gender::Gender;
pub use scan::{
    open, scan, scan_with, twin_groups, Corpus, Item, Rejected, ScanOptions, AUDIO_EXTENSIONS,
};
pub use ser_labels::{Emotion, Label, LabelSet};
