//! Evaluation protocols: each gives one [`Split`] per fold (one for a single split), wrapping
//! [`ser_corpus::split`].

use std::path::PathBuf;

use ser_corpus::split::{self, SpeakerFoldConfig, Split, StratifiedConfig, StudySplitConfig};
use ser_corpus::Item;
use serde::{Deserialize, Serialize};

use crate::error::Result;

/// How items are split into train / validation / test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "protocol", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Protocol {
    /// The study's unshuffled 80/10/10 split ([`split::study_split`]); one split.
    Study(StudySplitConfig),
    /// Seeded split stratified by emotion, leak groups on one side
    /// ([`split::stratified_split`]); one split.
    Stratified(StratifiedConfig),
    /// Speaker-independent k-fold cross-validation ([`split::speaker_kfold`]); one split per
    /// fold.
    SpeakerKFold(SpeakerFoldConfig),
    /// Leave one speaker (block) out ([`split::leave_one_speaker_out`]), validating on the
    /// next `validation_folds` speakers; one split per speaker block.
    LeaveOneSpeakerOut {
        /// Speaker blocks after the test block used for validation.
        validation_folds: usize,
    },
}

impl Protocol {
    /// The splits of `items` (`duplicates`: groups of paths with identical samples, kept on one
    /// side where the protocol can): one per fold, in fold order.
    ///
    /// # Errors
    /// The split's [`ser_corpus::CorpusError::InvalidSplit`] for bad parameters.
    pub fn splits(&self, items: &[Item], duplicates: &[Vec<PathBuf>]) -> Result<Vec<Split>> {
        Ok(match self {
            Protocol::Study(cfg) => vec![split::study_split(items, cfg)?],
            Protocol::Stratified(cfg) => vec![split::stratified_split(items, duplicates, cfg)?],
            Protocol::SpeakerKFold(cfg) => {
                folds_as_splits(&split::speaker_kfold(items, duplicates, cfg)?)
            }
            Protocol::LeaveOneSpeakerOut { validation_folds } => folds_as_splits(
                &split::leave_one_speaker_out(items, duplicates, *validation_folds)?,
            ),
        })
    }
}

/// Every fold of `folds` as a [`Split`], in fold order.
pub fn folds_as_splits(folds: &split::SpeakerFolds) -> Vec<Split> {
    (0..folds.folds.len())
        .filter_map(|k| folds.split(k))
        .collect()
}
