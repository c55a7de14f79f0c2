//! The one error type of `ser-experiment`.

use ser_corpus::CorpusError;
use ser_labels::LabelError;
use ser_models::ModelError;

/// What can go wrong while running an experiment.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExperimentError {
    /// Scanning, splitting or feature extraction failed.
    #[error(transparent)]
    Corpus(#[from] CorpusError),
    /// Building, training or evaluating a model failed.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// A label set could not be built.
    #[error(transparent)]
    Label(#[from] LabelError),
    /// An item's or dataset's class is not in the label set it must be mapped onto.
    #[error("{what}: class {label:?} is not among the labels {expected:?}")]
    MissingLabel {
        /// What was being mapped (e.g. "feature table", "model").
        what: &'static str,
        /// The class name without a place.
        label: String,
        /// The labels available.
        expected: Vec<String>,
    },
    /// Matrices or vectors that must agree in size do not.
    #[error("{what}: expected size {expected}, got {actual}")]
    Shape {
        /// What was being combined.
        what: &'static str,
        /// The size required.
        expected: usize,
        /// The size found.
        actual: usize,
    },
    /// Aggregation or model selection over nothing.
    #[error("{what}: no results to aggregate")]
    Empty {
        /// What was being aggregated.
        what: &'static str,
    },
    /// A finished training could not be saved in the run directory of
    /// [`crate::train_or_load`].
    #[error("saving the trained model to {path}")]
    RunDir {
        /// The checkpoint directory.
        path: std::path::PathBuf,
        /// The cause.
        #[source]
        source: ModelError,
    },
    /// A job's description could not be encoded for [`crate::Job::weights_key`].
    #[error("encoding the job description")]
    JobKey {
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
    /// The runner's thread pool could not be built.
    #[error("building a pool of {threads} threads")]
    ThreadPool {
        /// Threads asked for.
        threads: usize,
        /// The cause.
        #[source]
        source: rayon::ThreadPoolBuildError,
    },
    /// A job of [`crate::run_jobs`] failed (the first failure in job order).
    #[error("job {index} ({description}) failed")]
    Job {
        /// Index of the job in the list given to the runner.
        index: usize,
        /// The job's description.
        description: String,
        /// The cause.
        #[source]
        source: Box<ExperimentError>,
    },
}

/// `Result` with [`ExperimentError`].
pub type Result<T, E = ExperimentError> = std::result::Result<T, E>;
