//! Leak reports as data: what a split shares across its sides.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use ser_corpus::split::{Leak, LeakKind, Side, Split};
use serde::{Deserialize, Serialize};

/// What leaks across the sides of one split.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeakReport {
    /// Training items.
    pub n_train: usize,
    /// Validation items.
    pub n_val: usize,
    /// Test items.
    pub n_test: usize,
    /// For the validation and test sides: how many of its clips have their (simulated
    /// audio-video) twin, the same performance with the other twin flag, in training.
    pub twin_in_train: BTreeMap<Side, usize>,
    /// Every speaker, performance and duplicate group on more than one side
    /// ([`Split::leaks`]).
    pub leaks: Vec<Leak>,
}

impl LeakReport {
    /// The report of `split` (`duplicates`: groups of paths with identical samples).
    pub fn of(split: &Split, duplicates: &[Vec<PathBuf>]) -> Self {
        let mut side_of: HashMap<(&str, bool), Side> = HashMap::new();
        for side in [Side::Train, Side::Validation, Side::Test] {
            for it in split.side_items(side) {
                side_of.insert((it.performance.as_str(), it.simulated_av_twin), side);
            }
        }
        let twin_in_train = [Side::Validation, Side::Test]
            .into_iter()
            .map(|side| {
                let n = split
                    .side_items(side)
                    .iter()
                    .filter(|it| {
                        side_of.get(&(it.performance.as_str(), !it.simulated_av_twin))
                            == Some(&Side::Train)
                    })
                    .count();
                (side, n)
            })
            .collect();
        Self {
            n_train: split.train.len(),
            n_val: split.validation.len(),
            n_test: split.test.len(),
            twin_in_train,
            leaks: split.leaks(duplicates),
        }
    }

    /// Number of leaking speakers.
    pub fn speakers(&self) -> usize {
        self.count(|k| matches!(k, LeakKind::Speaker(_)))
    }

    /// Number of leaking performances (twins).
    pub fn performances(&self) -> usize {
        self.count(|k| matches!(k, LeakKind::Performance(_)))
    }

    /// Number of leaking duplicate groups.
    pub fn duplicates(&self) -> usize {
        self.count(|k| matches!(k, LeakKind::Duplicate(_)))
    }

    /// No leak of any kind?
    pub fn is_clean(&self) -> bool {
        self.leaks.is_empty()
    }

    fn count(&self, f: impl Fn(&LeakKind) -> bool) -> usize {
        self.leaks.iter().filter(|l| f(&l.what)).count()
    }
}
