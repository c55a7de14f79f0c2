//! Classification metrics: accuracy, unweighted average recall (UAR), macro F1, confusion matrix,
//! per-class recall.

use serde::{Deserialize, Serialize};

use crate::error::{ModelError, Result};

/// Metrics of predictions against ground truth over `n_classes` classes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Number of examples.
    pub n: usize,
    /// Fraction of correct predictions.
    pub accuracy: f64,
    /// Unweighted average recall: the mean recall over the classes PRESENT in the ground truth.
    /// A prediction of a class absent from the ground truth is simply wrong.
    pub uar: f64,
    /// Macro F1 over the classes present in the ground truth (precision counts every prediction
    /// of the class, so predictions of absent classes lower nothing but their own, absent, F1).
    pub macro_f1: f64,
    /// `confusion[t][p]`: examples of true class `t` predicted as `p`, `[n_classes, n_classes]`.
    pub confusion: Vec<Vec<usize>>,
    /// Recall of each class, `None` for classes absent from the ground truth, `[n_classes]`.
    pub per_class_recall: Vec<Option<f64>>,
}

/// The confusion matrix `[n_classes, n_classes]` (rows: truth, columns: prediction).
pub fn confusion_matrix(
    truth: &[usize],
    pred: &[usize],
    n_classes: usize,
) -> Result<Vec<Vec<usize>>> {
    if truth.len() != pred.len() {
        return Err(ModelError::Shape {
            what: "predictions for ground-truth labels",
            expected: truth.len(),
            actual: pred.len(),
        });
    }
    let mut m = vec![vec![0usize; n_classes]; n_classes];
    for (row, (&t, &p)) in truth.iter().zip(pred).enumerate() {
        for l in [t, p] {
            if l >= n_classes {
                return Err(ModelError::Label {
                    row,
                    label: l,
                    n_classes,
                });
            }
        }
        m[t][p] += 1;
    }
    Ok(m)
}

impl Metrics {
    /// Compute all metrics. An empty input gives zeros.
    pub fn compute(truth: &[usize], pred: &[usize], n_classes: usize) -> Result<Self> {
        let confusion = confusion_matrix(truth, pred, n_classes)?;
        Ok(Self::from_confusion(confusion))
    }

    /// Metrics from a confusion matrix (rows truth, columns prediction).
    pub fn from_confusion(confusion: Vec<Vec<usize>>) -> Self {
        let k = confusion.len();
        let n: usize = confusion.iter().flatten().sum();
        let correct: usize = (0..k)
            .map(|i| confusion[i].get(i).copied().unwrap_or(0))
            .sum();
        let mut per_class_recall = Vec::with_capacity(k);
        let mut f1s = Vec::new();
        for c in 0..k {
            let support: usize = confusion[c].iter().sum();
            let tp = confusion[c].get(c).copied().unwrap_or(0);
            if support == 0 {
                per_class_recall.push(None);
                continue;
            }
            let recall = tp as f64 / support as f64;
            per_class_recall.push(Some(recall));
            let predicted: usize = confusion
                .iter()
                .map(|r| r.get(c).copied().unwrap_or(0))
                .sum();
            let precision = if predicted == 0 {
                0.0
            } else {
                tp as f64 / predicted as f64
            };
            f1s.push(if precision + recall > 0.0 {
                2.0 * precision * recall / (precision + recall)
            } else {
                0.0
            });
        }
        let present: Vec<f64> = per_class_recall.iter().flatten().copied().collect();
        let mean = |v: &[f64]| {
            if v.is_empty() {
                0.0
            } else {
                v.iter().sum::<f64>() / v.len() as f64
            }
        };
        Self {
            n,
            accuracy: if n == 0 {
                0.0
            } else {
                correct as f64 / n as f64
            },
            uar: mean(&present),
            macro_f1: mean(&f1s),
            confusion,
            per_class_recall,
        }
    }
}
