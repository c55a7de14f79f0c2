//! # ser-corpus
//!
//! Emotion corpora by file name, leak-free splits and (cached) corpus-scale features.
//!
//! - [`Emotion`]: the study's 8 classes (RAVDESS order, indices 0..7) and the mapping of other
//!   corpora's label sets onto them.
//! - [`names`]: parse/format RAVDESS, SAVEE, CREMA-D, TESS and EmoDB file names.
//! - [`scan`]: a directory tree into a [`Corpus`] of [`Item`]s plus the rejected files (never
//!   dropped silently); twins (same performance) via [`Corpus::twins`].
//! - [`split`]: the study's unshuffled 80/10/10 protocol (with optional simulated audio-video
//!   twins, to reproduce its leak), a seeded stratified split and speaker-independent k-fold /
//!   leave-one-speaker-out, all as serde data.
//! - [`features`]: mean-MFCC vectors for a whole corpus (rayon, progress, on-disk cache) and
//!   duplicate detection by decoded samples.
//!
//! RAVDESS (Livingstone & Russo 2018, doi:10.1371/journal.pone.0196391) is CC BY-NC-SA 4.0.

mod emotion;
mod error;
pub mod features;
pub mod names;
mod scan;
pub mod split;

pub use emotion::{Emotion, Gender};
pub use error::CorpusError;
pub use features::{
    extract_features, find_duplicates, AudioConfig, ExtractOptions, FeatureConfig, Features,
};
pub use names::{CorpusKind, ParsedName, RavdessName};
pub use scan::{
    scan, scan_with, twin_groups, Corpus, Item, Rejected, ScanOptions, AUDIO_EXTENSIONS,
};
