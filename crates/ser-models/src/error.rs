//! The crate's error type.

use std::path::PathBuf;

/// Everything that can go wrong in ser-models.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// Reading or writing a file failed.
    #[error("I/O error on {path}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A checkpoint JSON could not be parsed or written.
    #[error("invalid checkpoint JSON {path}")]
    Json {
        /// The file (or `<memory>` for bytes).
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: serde_json::Error,
    },
    /// A safetensors weight file is malformed (truncated, bad header, wrong dtype).
    #[error("invalid weight file {path}: {reason}")]
    Weights {
        /// The file (or `<memory>` for bytes).
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A weight tensor is missing or has the wrong shape for the model config.
    #[error("tensor {name}: expected shape {expected:?}, found {actual:?}")]
    TensorShape {
        /// Tensor name.
        name: String,
        /// The shape the model config implies.
        expected: Vec<usize>,
        /// The shape in the file (empty when missing).
        actual: Vec<usize>,
    },
    /// A tensor the model config needs is not in the weight file.
    #[error("tensor {name} missing from the weight file (expected shape {expected:?})")]
    MissingTensor {
        /// Tensor name.
        name: String,
        /// The shape the model config implies.
        expected: Vec<usize>,
    },
    /// The weight file holds tensors the model config does not use (a different architecture).
    #[error("weight file holds {count} tensors the {arch:?} config does not use, e.g. {example}")]
    UnexpectedTensors {
        /// The architecture of the config.
        arch: crate::Arch,
        /// How many unused tensors.
        count: usize,
        /// One of their names.
        example: String,
    },
    /// An input has the wrong length or shape.
    #[error("{what}: expected {expected}, got {actual}")]
    Shape {
        /// What was checked.
        what: &'static str,
        /// Expected size.
        expected: usize,
        /// Actual size.
        actual: usize,
    },
    /// A configuration value is out of range.
    #[error("invalid configuration {field}: {reason}")]
    Config {
        /// The field.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// A checkpoint is inconsistent (format, version, labels, normalisation, resume data).
    #[error("checkpoint {path}: {reason}")]
    Checkpoint {
        /// The checkpoint directory or file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A checkpoint's bytes do not match the checksum its `model.json` records: the files
    /// were truncated, corrupted, edited or mixed with another checkpoint's.
    #[error("checkpoint {path} is corrupt or was modified: its files hash to {actual}, model.json records {expected}")]
    ChecksumMismatch {
        /// The checkpoint directory (or `<memory>` / the embedded model's name).
        path: PathBuf,
        /// The checksum recorded in `model.json`.
        expected: String,
        /// The checksum of the bytes read.
        actual: String,
    },
    /// A label index is out of range.
    #[error("label {label} at row {row} out of range (n_classes {n_classes})")]
    Label {
        /// Row in the data set.
        row: usize,
        /// The label.
        label: usize,
        /// Number of classes of the model.
        n_classes: usize,
    },
    /// A feature value is NaN or infinite.
    #[error("feature at row {row}, column {column} is not finite ({value})")]
    NonFiniteFeature {
        /// Row in the data set.
        row: usize,
        /// Column (coefficient) in the row.
        column: usize,
        /// The value.
        value: f32,
    },
    /// Training produced a non-finite loss.
    #[error("non-finite training loss at epoch {epoch}")]
    NonFinite {
        /// 1-based epoch.
        epoch: usize,
    },
    /// Drawing a plot failed (feature `plot`).
    #[cfg(feature = "plot")]
    #[error("plot {path}: {reason}")]
    Plot {
        /// Output file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// An error inside candle.
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
}

/// Shorthand for results of this crate.
pub type Result<T> = std::result::Result<T, ModelError>;
