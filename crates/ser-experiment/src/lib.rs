//! # ser-experiment
//!
//! Experiments as a library: what `examples/reproduce.rs`, `train.rs` and `evaluate.rs` share,
//! and what speaker-independent studies over several corpora and seeds build on. Never prints:
//! progress comes as [`ProgressEvent`]s, results as serde types.
//!
//! - [`FeatureTable`]: a corpus's feature rows with class indices (into a
//!   [`ser_labels::LabelSet`]) and speakers, turned into [`ser_models::Dataset`]s per split side.
//! - [`Protocol`]: the study split, stratified, speaker k-fold and leave-one-speaker-out, one
//!   [`ser_corpus::split::Split`] per fold.
//! - [`run_jobs`]: independent trainings ([`Job`]) on a local rayon pool of a chosen size,
//!   longest first, results in job order and independent of the thread count.
//! - [`aggregate`]: mean and population std, summed confusion matrices, per-class recall
//!   ([`CvSummary`] over [`FoldResult`]s of several seeds and folds) and model selection
//!   ([`select_best`]).
//! - [`LeakReport`]: what a split shares across its sides, as data.
//! - [`study`]: the reproduction of the 2019 study and its `results.json` types.
//!
//! ```
//! use ser_experiment::{mean_std, select_best, sum_confusion, CvSummary, FoldResult};
//! use ser_models::Metrics;
//!
//! # fn main() -> Result<(), ser_experiment::ExperimentError> {
//! let fold = |fold, confusion: Vec<Vec<usize>>| FoldResult {
//!     seed: 42, fold, metrics: Metrics::from_confusion(confusion),
//!     epochs_run: 10, best_epoch: Some(5), seconds: 1.0,
//! };
//! let runs = [fold(0, vec![vec![2, 0], vec![0, 2]]), fold(1, vec![vec![1, 1], vec![0, 2]])];
//! let cv = CvSummary::from_folds(2, &runs)?;
//! assert_eq!((cv.uar_mean, cv.uar_std), (0.875, 0.125)); // population std
//! assert_eq!(cv.confusion_sum, vec![vec![3, 1], vec![0, 4]]);
//! assert_eq!(cv.per_class_recall, vec![Some(0.75), Some(1.0)]);
//! assert_eq!(mean_std(&[1.0, 3.0]).std, 1.0);
//! assert!(sum_confusion(2, [vec![vec![1]].as_slice()]).is_err());
//!
//! let candidates = [("a", cv.clone()), ("b", cv)];
//! assert_eq!(select_best(&candidates).map(|c| c.0), Some("a")); // ties: the first
//! # Ok(())
//! # }
//! ```

pub mod aggregate;
mod error;
mod leaks;
mod protocol;
mod runner;
pub mod study;
mod table;

pub use aggregate::{
    mean_std, select_best, sum_confusion, CvSummary, FoldResult, MeanStd, RunScore,
};
pub use error::{ExperimentError, Result};
pub use leaks::LeakReport;
pub use protocol::{folds_as_splits, Protocol};
pub use runner::{
    epoch_seconds, evaluate, evaluate_mapped, map_longest_first, run_jobs, train_job,
    train_or_load, Evaluation, Job, JobResult, ProgressEvent, RunnerConfig, Schedule, Trained,
};
pub use table::{
    adaptation_group, item_label, standardize_groups, FeatureTable, SplitData, UnknownLabels,
};
