//! The crate's single error type.

use std::path::PathBuf;

use crate::corpora::CorpusKind;

/// Everything that can go wrong in `ser-corpus`.
///
/// Variants carry the offending path or file name and the expected/actual values, so the
/// message alone says what to fix.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CorpusError {
    /// A file name has the shape of `corpus` but one field holds an invalid value, e.g.
    /// `RAVDESS name "03-01-09-01-01-01-01.wav": emotion 09 out of 01..08`.
    #[error("{corpus} name {name:?}: {field} {actual} out of {expected}")]
    BadField {
        /// The file name (not the full path).
        name: String,
        /// The corpus whose naming scheme was applied.
        corpus: CorpusKind,
        /// Which field is wrong (`"emotion"`, `"actor"`, ...).
        field: &'static str,
        /// The value found in the name.
        actual: String,
        /// The allowed values, e.g. `"01..08"`.
        expected: String,
    },
    /// A file name does not have the overall shape of `corpus`'s naming scheme.
    #[error("{corpus} name {name:?}: expected {expected}, got {actual}")]
    BadShape {
        /// The file name.
        name: String,
        /// The corpus whose naming scheme was applied.
        corpus: CorpusKind,
        /// The expected shape, e.g. `"7 two-digit fields MM-VV-EE-II-SS-RR-AA"`.
        expected: &'static str,
        /// What was found instead.
        actual: String,
    },
    /// A well-formed name of a clip that is deliberately not an emotion clip (SAVEE `c..`
    /// common sentences).
    #[error("{corpus} name {name:?}: not an emotion clip: {reason}")]
    NotEmotionClip {
        /// The file name.
        name: String,
        /// The corpus.
        corpus: CorpusKind,
        /// Why it is excluded.
        reason: &'static str,
    },
    /// A label name could not be read (see [`ser_labels::LabelError`]).
    #[error(transparent)]
    Label(#[from] ser_labels::LabelError),
    /// A text is not a corpus id ([`CorpusKind::id`]).
    #[error("unknown corpus {actual:?}: expected one of {expected}")]
    UnknownCorpus {
        /// The text given.
        actual: String,
        /// The registered ids, comma-separated.
        expected: String,
    },
    /// The file name matches no supported corpus naming scheme.
    #[error("file name {name:?} matches no supported corpus ({schemes})")]
    UnknownNaming {
        /// The file name.
        name: String,
        /// The registered naming schemes, e.g. `RAVDESS MM-VV-EE-II-SS-RR-AA, SAVEE [DC_]a01`.
        schemes: String,
    },
    /// A corpus that is not told by file names (a manifest) was applied to one file.
    #[error(
        "{path}: a {corpus} corpus is not labelled by file names (read its manifest file instead)"
    )]
    NotByName {
        /// The file.
        path: PathBuf,
        /// The corpus.
        corpus: CorpusKind,
    },
    /// A file of the folder-per-label layout that is not inside a label folder.
    #[error("{path}: not inside a label folder (expected DIR/<label>/clip)")]
    NoLabelFolder {
        /// The file.
        path: PathBuf,
    },
    /// A bad row of a manifest file.
    #[error("{path}:{line}: {reason}")]
    ManifestRow {
        /// The manifest file.
        path: PathBuf,
        /// The 1-based line number.
        line: usize,
        /// What is wrong with the row.
        reason: String,
    },
    /// An item's label is not one of the classes asked for.
    #[error("{path}: label {label:?} is not one of the classes {labels}")]
    LabelNotInSet {
        /// The item's file.
        path: PathBuf,
        /// The item's label.
        label: String,
        /// The classes, comma-separated.
        labels: String,
    },
    /// The file's extension is not one of the audio extensions [`crate::AUDIO_EXTENSIONS`].
    #[error("{path}: not an audio file (extension {extension:?})")]
    NotAudio {
        /// The file.
        path: PathBuf,
        /// Its extension, empty if none.
        extension: String,
    },
    /// The path has no usable UTF-8 file name.
    #[error("{path}: file name is missing or not UTF-8")]
    BadFileName {
        /// The path.
        path: PathBuf,
    },
    /// The scan root is not a directory.
    #[error("{path}: not a directory")]
    NotADirectory {
        /// The path given to the scanner.
        path: PathBuf,
    },
    /// An I/O error on `path`.
    #[error("{path}: I/O error")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// Decoding or resampling failed.
    #[error("loading audio {path}")]
    Audio {
        /// The audio file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: ser_audio::AudioError,
    },
    /// MFCC extraction failed.
    #[error("{path}: computing MFCC features")]
    Mfcc {
        /// The audio file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: ser_mfcc::MfccError,
    },
    /// The feature configuration is inconsistent (e.g. the audio rate differs from the MFCC
    /// configuration's sample rate).
    #[error("feature config: {what}: expected {expected}, got {actual}")]
    InvalidFeatureConfig {
        /// The parameter at fault.
        what: &'static str,
        /// The valid value.
        expected: String,
        /// The value given.
        actual: String,
    },
    /// An invalid split request (fractions, fold count, ...).
    #[error("invalid split: {what}: expected {expected}, got {actual}")]
    InvalidSplit {
        /// The parameter at fault.
        what: &'static str,
        /// The valid range.
        expected: String,
        /// The value given.
        actual: String,
    },
    /// A feature cache file could not be used (it is then rebuilt, this is only surfaced by
    /// the low-level cache functions).
    #[error("feature cache {path}: {reason}")]
    Cache {
        /// The cache file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// (De)serialising a configuration failed.
    #[error("invalid JSON")]
    Json {
        /// The underlying error.
        #[from]
        source: serde_json::Error,
    },
}

/// `e` and its causes, outermost first, joined by `": "`: the whole message with each cause
/// once (the variants' messages leave their sources out). Used where an error is kept as text
/// (failure and rejection reasons).
pub(crate) fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    out
}
