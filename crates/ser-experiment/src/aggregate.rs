//! Aggregation of cross-validation runs: mean and population standard deviation, summed
//! confusion matrices, per-class recall of the pooled predictions, and model selection.

use std::collections::BTreeMap;

use ser_models::Metrics;
use serde::{Deserialize, Serialize};

use crate::error::{ExperimentError, Result};

/// A mean and its population standard deviation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MeanStd {
    /// Arithmetic mean.
    pub mean: f64,
    /// Population standard deviation (divisor n, not n - 1).
    pub std: f64,
}

/// Mean and population standard deviation of `values`; both 0 for an empty slice.
pub fn mean_std(values: &[f64]) -> MeanStd {
    let n = values.len().max(1) as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
    MeanStd {
        mean,
        std: var.sqrt(),
    }
}

/// The element-wise sum of `[n_classes, n_classes]` confusion matrices (zeros for none).
///
/// # Errors
/// [`ExperimentError::Shape`] for a matrix of another size.
pub fn sum_confusion<'a>(
    n_classes: usize,
    matrices: impl IntoIterator<Item = &'a [Vec<usize>]>,
) -> Result<Vec<Vec<usize>>> {
    let mut sum = vec![vec![0usize; n_classes]; n_classes];
    for m in matrices {
        if m.len() != n_classes {
            return Err(ExperimentError::Shape {
                what: "confusion matrix rows",
                expected: n_classes,
                actual: m.len(),
            });
        }
        for (acc, row) in sum.iter_mut().zip(m) {
            if row.len() != n_classes {
                return Err(ExperimentError::Shape {
                    what: "confusion matrix columns",
                    expected: n_classes,
                    actual: row.len(),
                });
            }
            for (a, c) in acc.iter_mut().zip(row) {
                *a += c;
            }
        }
    }
    Ok(sum)
}

/// One test fold of one seed: the unit of a cross-validation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FoldResult {
    /// Training seed.
    pub seed: u64,
    /// Fold index.
    pub fold: usize,
    /// Metrics on the fold's test side.
    pub metrics: Metrics,
    /// Epochs run.
    pub epochs_run: usize,
    /// Best epoch (early stopping), if any.
    pub best_epoch: Option<usize>,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// The headline numbers of one run, `(seed, fold, uar)` plus accuracy.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RunScore {
    /// Training seed.
    pub seed: u64,
    /// Fold index.
    pub fold: usize,
    /// Test UAR.
    pub uar: f64,
    /// Test accuracy.
    pub accuracy: f64,
}

/// A cross-validation summary over folds and seeds.
///
/// Means and (population) standard deviations are over all runs, so with one seed they are
/// over folds. `per_fold` averages each fold over the seeds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CvSummary {
    /// Mean test UAR over all runs.
    pub uar_mean: f64,
    /// Population standard deviation of the test UAR over all runs.
    pub uar_std: f64,
    /// Mean test accuracy over all runs.
    pub accuracy_mean: f64,
    /// Population standard deviation of the test accuracy.
    pub accuracy_std: f64,
    /// Mean test macro F1 over all runs.
    pub macro_f1_mean: f64,
    /// Population standard deviation of the test macro F1.
    pub macro_f1_std: f64,
    /// Mean test UAR of each fold over the seeds, in fold order.
    pub per_fold: Vec<f64>,
    /// The seeds, ascending.
    pub seeds: Vec<u64>,
    /// Every run, in the order given.
    pub runs: Vec<RunScore>,
    /// Sum of the runs' test confusion matrices (rows truth, columns prediction).
    pub confusion_sum: Vec<Vec<usize>>,
    /// Recall of each class over the pooled predictions (`confusion_sum`), `None` for a class
    /// no test side had.
    pub per_class_recall: Vec<Option<f64>>,
    /// Effective epochs (best epoch, else epochs run) of each run, in run order.
    pub best_epochs: Vec<usize>,
    /// Mean of `best_epochs` (the epoch count for a final model trained on all data).
    pub mean_best_epoch: f64,
    /// Epochs run of each run, in run order.
    pub epochs_run: Vec<usize>,
    /// Wall-clock seconds of all runs together.
    pub seconds: f64,
}

impl CvSummary {
    /// Summarises `runs` over `n_classes` classes.
    ///
    /// # Errors
    /// [`ExperimentError::Empty`] without runs; [`ExperimentError::Shape`] for a confusion matrix
    /// of another size.
    pub fn from_folds(n_classes: usize, runs: &[FoldResult]) -> Result<Self> {
        if runs.is_empty() {
            return Err(ExperimentError::Empty {
                what: "cross-validation summary",
            });
        }
        let of = |f: fn(&Metrics) -> f64| runs.iter().map(|r| f(&r.metrics)).collect::<Vec<_>>();
        let uar = mean_std(&of(|m| m.uar));
        let acc = mean_std(&of(|m| m.accuracy));
        let f1 = mean_std(&of(|m| m.macro_f1));
        let mut by_fold: BTreeMap<usize, Vec<f64>> = BTreeMap::new();
        for r in runs {
            by_fold.entry(r.fold).or_default().push(r.metrics.uar);
        }
        let mut seeds: Vec<u64> = runs.iter().map(|r| r.seed).collect();
        seeds.sort_unstable();
        seeds.dedup();
        let confusion_sum = sum_confusion(
            n_classes,
            runs.iter().map(|r| r.metrics.confusion.as_slice()),
        )?;
        let best_epochs: Vec<usize> = runs
            .iter()
            .map(|r| r.best_epoch.unwrap_or(r.epochs_run))
            .collect();
        let be: Vec<f64> = best_epochs.iter().map(|&e| e as f64).collect();
        Ok(Self {
            uar_mean: uar.mean,
            uar_std: uar.std,
            accuracy_mean: acc.mean,
            accuracy_std: acc.std,
            macro_f1_mean: f1.mean,
            macro_f1_std: f1.std,
            per_fold: by_fold.values().map(|v| mean_std(v).mean).collect(),
            seeds,
            runs: runs
                .iter()
                .map(|r| RunScore {
                    seed: r.seed,
                    fold: r.fold,
                    uar: r.metrics.uar,
                    accuracy: r.metrics.accuracy,
                })
                .collect(),
            per_class_recall: Metrics::from_confusion(confusion_sum.clone()).per_class_recall,
            confusion_sum,
            best_epochs,
            mean_best_epoch: mean_std(&be).mean,
            epochs_run: runs.iter().map(|r| r.epochs_run).collect(),
            seconds: runs.iter().map(|r| r.seconds).sum(),
        })
    }
}

/// The candidate with the best mean CV UAR. Ties go to the earliest candidate (a later one must
/// be strictly better); a NaN mean never wins. `None` for no candidates (or only NaN).
pub fn select_best<C>(candidates: &[(C, CvSummary)]) -> Option<&(C, CvSummary)> {
    let mut best: Option<&(C, CvSummary)> = None;
    for c in candidates.iter().filter(|c| !c.1.uar_mean.is_nan()) {
        if best.is_none_or(|b| c.1.uar_mean > b.1.uar_mean) {
            best = Some(c);
        }
    }
    best
}
