//! Train/validation/test splits as plain serde data.
//!
//! Every split owns the list of [`Item`]s it indexes, so serialising it records exactly which
//! files (and which simulated twins) a run used.
//!
//! *Leak groups*: items that share a performance id (twins) or identical decoded samples
//! (duplicates, see `find_duplicates` in the feature module) are one group. The stratified
//! split keeps each group on one side; the speaker splits merge the speakers of a group into
//! one block, so no speaker, no twin and no duplicate ever appears on two sides.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use rand_chacha::rand_core::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::{CorpusError, Gender, Item, Label};

/// The side of a split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// Training data.
    Train,
    /// Validation data (early stopping / model selection).
    Validation,
    /// Held-out test data.
    Test,
}

/// How a [`Split`] was made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "protocol", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Protocol {
    /// [`study_split`].
    Study(StudySplitConfig),
    /// [`stratified_split`].
    Stratified(StratifiedConfig),
    /// One fold of [`speaker_kfold`] / [`leave_one_speaker_out`].
    SpeakerFold {
        /// Fold index.
        fold: usize,
        /// Number of folds.
        folds: usize,
        /// Speakers of the test side.
        test_speakers: Vec<String>,
        /// Speakers of the validation side.
        validation_speakers: Vec<String>,
    },
}

/// A train/validation/test split: indices into [`Split::items`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Split {
    /// How it was made (with all parameters).
    pub protocol: Protocol,
    /// The items indexed by the sides (for the study protocol with twins: the simulated twins
    /// first, then the clips).
    pub items: Vec<Item>,
    /// Training indices into `items`.
    pub train: Vec<usize>,
    /// Validation indices into `items`.
    pub validation: Vec<usize>,
    /// Test indices into `items`.
    pub test: Vec<usize>,
}

impl Split {
    /// The indices of one side.
    pub fn indices(&self, side: Side) -> &[usize] {
        match side {
            Side::Train => &self.train,
            Side::Validation => &self.validation,
            Side::Test => &self.test,
        }
    }

    /// The items of one side, in split order.
    pub fn side_items(&self, side: Side) -> Vec<&Item> {
        self.indices(side)
            .iter()
            .filter_map(|&i| self.items.get(i))
            .collect()
    }

    /// Every speaker, performance (twin) and duplicate group found on more than one side, as
    /// data: speakers first (sorted by key), then performances (sorted), then duplicate groups
    /// (in `duplicates` order). Each [`Leak`] displays as before, e.g. `performance
    /// ravdess:02-03-01-02-01-07 on train and test`. Empty for a leak-free split. `duplicates`
    /// are groups of paths with identical samples.
    pub fn leaks(&self, duplicates: &[Vec<PathBuf>]) -> Vec<Leak> {
        let dup_of: HashMap<&PathBuf, usize> = duplicates
            .iter()
            .enumerate()
            .flat_map(|(g, paths)| paths.iter().map(move |p| (p, g)))
            .collect();
        let mut speakers: BTreeMap<String, BTreeSet<Side>> = BTreeMap::new();
        let mut perfs: BTreeMap<&str, BTreeSet<Side>> = BTreeMap::new();
        let mut dups: BTreeMap<usize, BTreeSet<Side>> = BTreeMap::new();
        for side in [Side::Train, Side::Validation, Side::Test] {
            for it in self.side_items(side) {
                speakers.entry(it.speaker_key()).or_default().insert(side);
                perfs.entry(&it.performance).or_default().insert(side);
                if let Some(&g) = dup_of.get(&it.path) {
                    dups.entry(g).or_default().insert(side);
                }
            }
        }
        let leak = |what: LeakKind, s: BTreeSet<Side>| Leak {
            what,
            sides: s.into_iter().collect(),
        };
        let mut out = Vec::new();
        for (k, s) in speakers.into_iter().filter(|(_, s)| s.len() > 1) {
            out.push(leak(LeakKind::Speaker(k), s));
        }
        for (k, s) in perfs.into_iter().filter(|(_, s)| s.len() > 1) {
            out.push(leak(LeakKind::Performance(k.to_string()), s));
        }
        for (g, s) in dups.into_iter().filter(|(_, s)| s.len() > 1) {
            out.push(leak(LeakKind::Duplicate(duplicates[g].clone()), s));
        }
        out
    }
}

/// What a [`Leak`] shares across sides.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum LeakKind {
    /// A speaker ([`Item::speaker_key`]).
    Speaker(String),
    /// A performance id (an item and its twin).
    Performance(String),
    /// A group of paths with identical decoded samples.
    Duplicate(Vec<PathBuf>),
}

/// One speaker, performance or duplicate group found on more than one side of a [`Split`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Leak {
    /// What is shared.
    pub what: LeakKind,
    /// The sides it is on (at least two, in [`Side`] order).
    pub sides: Vec<Side>,
}

impl std::fmt::Display for Leak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.what {
            LeakKind::Speaker(k) => write!(f, "speaker {k} on ")?,
            LeakKind::Performance(k) => write!(f, "performance {k} on ")?,
            LeakKind::Duplicate(paths) => write!(f, "duplicate group {paths:?} on ")?,
        }
        for (i, s) in self.sides.iter().enumerate() {
            let sep = if i == 0 { "" } else { " and " };
            write!(f, "{sep}{}", format!("{s:?}").to_lowercase())?;
        }
        Ok(())
    }
}

fn check_fractions(train: f64, validation: f64) -> Result<(), CorpusError> {
    if !(train > 0.0 && train <= 1.0) {
        return Err(CorpusError::InvalidSplit {
            what: "train fraction",
            expected: "(0, 1]".into(),
            actual: train.to_string(),
        });
    }
    if !(validation >= 0.0 && train + validation <= 1.0 + 1e-12) {
        return Err(CorpusError::InvalidSplit {
            what: "validation fraction",
            expected: format!("[0, {}]", 1.0 - train),
            actual: validation.to_string(),
        });
    }
    Ok(())
}

/// `floor(n * fraction)`, robust to the fraction's binary representation (`n * 0.8` for
/// `n = 10` is 8, not 7).
pub fn floor_count(n: usize, fraction: f64) -> usize {
    ((n as f64) * fraction + 1e-9).floor() as usize
}

/// Parameters of [`study_split`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StudySplitConfig {
    /// Fraction of the (ordered) items for training. Default 0.8.
    pub train_fraction: f64,
    /// Fraction for validation; the rest is test. Default 0.1.
    pub validation_fraction: f64,
    /// Add, for every clip, a simulated audio-video twin in front of all the clips (the
    /// study's order: tracks extracted from the audio-video files first). Default `false`.
    pub simulated_av_twins: bool,
}

impl Default for StudySplitConfig {
    fn default() -> Self {
        StudySplitConfig {
            train_fraction: 0.8,
            validation_fraction: 0.1,
            simulated_av_twins: false,
        }
    }
}

/// The study's protocol: `items` (corpora concatenated in order, see [`crate::Corpus::concat`])
/// are NOT shuffled; the first `floor(0.8 n)` train, the next `floor(0.1 n)` validate, the
/// rest (`n - train - validation`) test. With the study's 4904 vectors: 3923 / 490 / 491.
///
/// With [`StudySplitConfig::simulated_av_twins`], the items are `[twins..., clips...]` where
/// each twin is a copy of a clip marked [`Item::simulated_av_twin`] (same path, same
/// performance id): this reproduces the study's leak, visible with [`Split::leaks`].
///
/// # Errors
/// [`CorpusError::InvalidSplit`] for fractions outside `(0, 1]` or summing over 1.
pub fn study_split(items: &[Item], cfg: &StudySplitConfig) -> Result<Split, CorpusError> {
    check_fractions(cfg.train_fraction, cfg.validation_fraction)?;
    let mut all = Vec::with_capacity(items.len() * 2);
    if cfg.simulated_av_twins {
        all.extend(items.iter().cloned().map(|mut it| {
            it.simulated_av_twin = true;
            it
        }));
    }
    all.extend(items.iter().cloned());
    let n = all.len();
    let n_train = floor_count(n, cfg.train_fraction);
    let n_val = floor_count(n, cfg.validation_fraction).min(n - n_train);
    Ok(Split {
        protocol: Protocol::Study(cfg.clone()),
        items: all,
        train: (0..n_train).collect(),
        validation: (n_train..n_train + n_val).collect(),
        test: (n_train + n_val..n).collect(),
    })
}

/// Parameters of [`stratified_split`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StratifiedConfig {
    /// Seed of the ChaCha8 generator. Default 0.
    pub seed: u64,
    /// Per-emotion fraction for training. Default 0.8.
    pub train_fraction: f64,
    /// Per-emotion fraction for validation; the rest is test. Default 0.1.
    pub validation_fraction: f64,
}

impl Default for StratifiedConfig {
    fn default() -> Self {
        StratifiedConfig {
            seed: 0,
            train_fraction: 0.8,
            validation_fraction: 0.1,
        }
    }
}

/// Uniform index in `0..n` (n > 0) from 64 random bits (multiply-shift; bias < n / 2^64).
fn below(rng: &mut ChaCha8Rng, n: usize) -> usize {
    ((u128::from(rng.next_u64()) * n as u128) >> 64) as usize
}

/// Fisher–Yates shuffle with our own index draw, so the order depends only on the seed and
/// `rand_chacha`'s stream, not on `rand`'s shuffle implementation.
pub(crate) fn shuffle<T>(v: &mut [T], rng: &mut ChaCha8Rng) {
    for i in (1..v.len()).rev() {
        let j = below(rng, i + 1);
        v.swap(i, j);
    }
}

struct UnionFind(Vec<usize>);

impl UnionFind {
    fn new(n: usize) -> Self {
        UnionFind((0..n).collect())
    }
    fn find(&mut self, mut x: usize) -> usize {
        while self.0[x] != x {
            self.0[x] = self.0[self.0[x]];
            x = self.0[x];
        }
        x
    }
    fn union(&mut self, a: usize, b: usize) {
        let (a, b) = (self.find(a), self.find(b));
        if a != b {
            let (lo, hi) = if a < b { (a, b) } else { (b, a) };
            self.0[hi] = lo;
        }
    }
}

/// Leak groups: for each item, the index of the first item of its group (twins by performance
/// id and duplicates by path are merged transitively).
pub fn leak_groups(items: &[Item], duplicates: &[Vec<PathBuf>]) -> Vec<usize> {
    let mut uf = UnionFind::new(items.len());
    let mut first_perf: HashMap<&str, usize> = HashMap::new();
    let mut first_path: HashMap<&PathBuf, usize> = HashMap::new();
    for (i, it) in items.iter().enumerate() {
        let p = *first_perf.entry(it.performance.as_str()).or_insert(i);
        uf.union(p, i);
        let q = *first_path.entry(&it.path).or_insert(i);
        uf.union(q, i);
    }
    for group in duplicates {
        let idx: Vec<usize> = group
            .iter()
            .filter_map(|p| first_path.get(p).copied())
            .collect();
        for w in idx.windows(2) {
            uf.union(w[0], w[1]);
        }
    }
    (0..items.len()).map(|i| uf.find(i)).collect()
}

/// A seeded random split stratified by emotion: within each emotion, leak groups (twins,
/// duplicates) are shuffled with ChaCha8 (`seed`) and dealt to train until it holds
/// `floor(train_fraction * n_emotion)` items, then to validation up to
/// `floor(validation_fraction * n_emotion)`, then to test. A group never straddles two sides.
/// Each side lists its indices in ascending order.
///
/// # Errors
/// [`CorpusError::InvalidSplit`] for bad fractions.
pub fn stratified_split(
    items: &[Item],
    duplicates: &[Vec<PathBuf>],
    cfg: &StratifiedConfig,
) -> Result<Split, CorpusError> {
    check_fractions(cfg.train_fraction, cfg.validation_fraction)?;
    let groups = leak_groups(items, duplicates);
    // emotion (of the group's first item) -> groups -> members
    let mut by_emotion: BTreeMap<&Label, BTreeMap<usize, Vec<usize>>> = BTreeMap::new();
    for (i, &g) in groups.iter().enumerate() {
        by_emotion
            .entry(&items[g].label)
            .or_default()
            .entry(g)
            .or_default()
            .push(i);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let (mut train, mut validation, mut test) = (Vec::new(), Vec::new(), Vec::new());
    for (_, gs) in by_emotion {
        let mut gs: Vec<Vec<usize>> = gs.into_values().collect();
        let n: usize = gs.iter().map(Vec::len).sum();
        let t_train = floor_count(n, cfg.train_fraction);
        let t_val = floor_count(n, cfg.validation_fraction);
        shuffle(&mut gs, &mut rng);
        let (mut n_tr, mut n_va) = (0, 0);
        for g in gs {
            if n_tr < t_train {
                n_tr += g.len();
                train.extend(g);
            } else if n_va < t_val {
                n_va += g.len();
                validation.extend(g);
            } else {
                test.extend(g);
            }
        }
    }
    train.sort_unstable();
    validation.sort_unstable();
    test.sort_unstable();
    Ok(Split {
        protocol: Protocol::Stratified(cfg.clone()),
        items: items.to_vec(),
        train,
        validation,
        test,
    })
}

/// Parameters of [`speaker_kfold`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SpeakerFoldConfig {
    /// Number of folds. Default 6 (4 RAVDESS actors per fold).
    pub folds: usize,
    /// Folds after the test fold (cyclically) used for validation. Default 1; 0 for none.
    pub validation_folds: usize,
    /// Deal male, female and unknown-gender speakers separately so every fold gets its share
    /// of each (RAVDESS, 6 folds: 2 actresses and 2 actors per fold). Default `true`.
    pub balance_gender: bool,
    /// Shuffle the speakers with this ChaCha8 seed before dealing; `None` (default) deals them
    /// in sorted id order.
    pub seed: Option<u64>,
}

impl Default for SpeakerFoldConfig {
    fn default() -> Self {
        SpeakerFoldConfig {
            folds: 6,
            validation_folds: 1,
            balance_gender: true,
            seed: None,
        }
    }
}

/// One fold of a speaker-independent cross-validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fold {
    /// Speakers whose clips are the test side (sorted).
    pub test_speakers: Vec<String>,
    /// Speakers of the validation side (sorted; taken from the non-test speakers).
    pub validation_speakers: Vec<String>,
    /// Speakers of the training side (sorted).
    pub train_speakers: Vec<String>,
    /// Training indices into [`SpeakerFolds::items`].
    pub train: Vec<usize>,
    /// Validation indices.
    pub validation: Vec<usize>,
    /// Test indices.
    pub test: Vec<usize>,
}

/// Speaker-disjoint folds over one item list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpeakerFolds {
    /// The parameters (for leave-one-speaker-out: `folds` = number of speaker blocks).
    pub config: SpeakerFoldConfig,
    /// The items indexed by the folds.
    pub items: Vec<Item>,
    /// Speaker blocks assigned to each fold: `blocks[f]` lists the speakers of fold `f`.
    pub blocks: Vec<Vec<String>>,
    /// The folds: fold `f` tests on `blocks[f]`.
    pub folds: Vec<Fold>,
}

impl SpeakerFolds {
    /// Fold `k` as a [`Split`] (cloning the items), `None` if `k` is out of range.
    pub fn split(&self, k: usize) -> Option<Split> {
        let f = self.folds.get(k)?;
        Some(Split {
            protocol: Protocol::SpeakerFold {
                fold: k,
                folds: self.folds.len(),
                test_speakers: f.test_speakers.clone(),
                validation_speakers: f.validation_speakers.clone(),
            },
            items: self.items.clone(),
            train: f.train.clone(),
            validation: f.validation.clone(),
            test: f.test.clone(),
        })
    }
}

/// Speaker-independent k-fold cross-validation.
///
/// Speakers sharing a leak group (a twin or duplicate across two speakers) are merged into one
/// block; items of unknown speaker form one block per corpus ([`Item::speaker_key`]). Blocks
/// are dealt round-robin to the folds — with `balance_gender`, first all male blocks, then
/// female, then unknown/mixed, with one running counter, so each fold gets an even share of
/// each gender. Fold `f` tests on its blocks, validates on the next `validation_folds` folds
/// (cyclically) and trains on the rest. No speaker, twin or duplicate appears on two sides.
///
/// # Errors
/// [`CorpusError::InvalidSplit`] if `folds < 2`, there are fewer blocks than folds, or
/// `validation_folds > folds - 2`.
pub fn speaker_kfold(
    items: &[Item],
    duplicates: &[Vec<PathBuf>],
    cfg: &SpeakerFoldConfig,
) -> Result<SpeakerFolds, CorpusError> {
    let blocks = speaker_blocks(items, duplicates);
    if cfg.folds < 2 || cfg.folds > blocks.len() {
        return Err(CorpusError::InvalidSplit {
            what: "number of folds",
            expected: format!("2..={} (speaker blocks)", blocks.len()),
            actual: cfg.folds.to_string(),
        });
    }
    if cfg.validation_folds + 2 > cfg.folds {
        return Err(CorpusError::InvalidSplit {
            what: "validation folds",
            expected: format!("0..={}", cfg.folds - 2),
            actual: cfg.validation_folds.to_string(),
        });
    }
    // Partition blocks by gender, each in sorted order (or shuffled by seed).
    let mut parts: [Vec<Block>; 3] = [Vec::new(), Vec::new(), Vec::new()];
    for b in blocks {
        let p = if !cfg.balance_gender {
            0
        } else {
            match b.gender {
                Some(Gender::Male) => 0,
                Some(Gender::Female) => 1,
                None => 2,
            }
        };
        parts[p].push(b);
    }
    let mut rng = cfg.seed.map(ChaCha8Rng::seed_from_u64);
    let mut fold_blocks: Vec<Vec<String>> = vec![Vec::new(); cfg.folds];
    let mut counter = 0usize;
    for part in &mut parts {
        if let Some(r) = rng.as_mut() {
            shuffle(part, r);
        }
        for b in part.iter() {
            fold_blocks[counter % cfg.folds].extend(b.speakers.iter().cloned());
            counter += 1;
        }
    }
    for fb in &mut fold_blocks {
        fb.sort();
    }
    let fold_of: HashMap<&str, usize> = fold_blocks
        .iter()
        .enumerate()
        .flat_map(|(f, sp)| sp.iter().map(move |s| (s.as_str(), f)))
        .collect();
    let keys: Vec<String> = items.iter().map(Item::speaker_key).collect();
    let k = cfg.folds;
    let folds = (0..k)
        .map(|f| {
            let val_folds: BTreeSet<usize> =
                (1..=cfg.validation_folds).map(|d| (f + d) % k).collect();
            let side_of = |g: usize| {
                if g == f {
                    Side::Test
                } else if val_folds.contains(&g) {
                    Side::Validation
                } else {
                    Side::Train
                }
            };
            let mut fold = Fold {
                test_speakers: Vec::new(),
                validation_speakers: Vec::new(),
                train_speakers: Vec::new(),
                train: Vec::new(),
                validation: Vec::new(),
                test: Vec::new(),
            };
            for (g, sp) in fold_blocks.iter().enumerate() {
                let dst = match side_of(g) {
                    Side::Test => &mut fold.test_speakers,
                    Side::Validation => &mut fold.validation_speakers,
                    Side::Train => &mut fold.train_speakers,
                };
                dst.extend(sp.iter().cloned());
            }
            fold.test_speakers.sort();
            fold.validation_speakers.sort();
            fold.train_speakers.sort();
            for (i, key) in keys.iter().enumerate() {
                // Every key is in some block by construction; default to train is unreachable.
                let g = fold_of.get(key.as_str()).copied().unwrap_or(usize::MAX);
                match side_of(g) {
                    Side::Test => fold.test.push(i),
                    Side::Validation => fold.validation.push(i),
                    Side::Train => fold.train.push(i),
                }
            }
            fold
        })
        .collect();
    Ok(SpeakerFolds {
        config: cfg.clone(),
        items: items.to_vec(),
        blocks: fold_blocks,
        folds,
    })
}

/// Leave-one-speaker-out: one fold per speaker block (see [`speaker_kfold`]), in sorted order,
/// validating on the next `validation_folds` speakers.
///
/// # Errors
/// [`CorpusError::InvalidSplit`] with fewer than `validation_folds + 2` speaker blocks.
pub fn leave_one_speaker_out(
    items: &[Item],
    duplicates: &[Vec<PathBuf>],
    validation_folds: usize,
) -> Result<SpeakerFolds, CorpusError> {
    let n = speaker_blocks(items, duplicates).len();
    speaker_kfold(
        items,
        duplicates,
        &SpeakerFoldConfig {
            folds: n,
            validation_folds,
            balance_gender: false,
            seed: None,
        },
    )
}

/// A set of speakers that must stay on one side.
#[derive(Debug, Clone)]
struct Block {
    speakers: Vec<String>,
    gender: Option<Gender>,
}

/// Speaker blocks (speakers linked by a leak group merged), sorted by first speaker id.
fn speaker_blocks(items: &[Item], duplicates: &[Vec<PathBuf>]) -> Vec<Block> {
    let keys: Vec<String> = items.iter().map(Item::speaker_key).collect();
    let ids: BTreeSet<&str> = keys.iter().map(String::as_str).collect();
    let index: HashMap<&str, usize> = ids.iter().enumerate().map(|(i, s)| (*s, i)).collect();
    let names: Vec<&str> = ids.into_iter().collect();
    let mut uf = UnionFind::new(names.len());
    let groups = leak_groups(items, duplicates);
    for (i, &g) in groups.iter().enumerate() {
        uf.union(index[keys[i].as_str()], index[keys[g].as_str()]);
    }
    let mut genders: Vec<BTreeSet<Option<Gender>>> = vec![BTreeSet::new(); names.len()];
    for (i, it) in items.iter().enumerate() {
        genders[index[keys[i].as_str()]].insert(it.gender);
    }
    let mut by_root: BTreeMap<usize, (Vec<String>, BTreeSet<Option<Gender>>)> = BTreeMap::new();
    for (s, name) in names.iter().enumerate() {
        let e = by_root.entry(uf.find(s)).or_default();
        e.0.push((*name).to_string());
        e.1.extend(genders[s].iter().copied());
    }
    by_root
        .into_values()
        .map(|(speakers, gs)| Block {
            speakers,
            // A block of one known gender counts as that gender; mixed or unknown as None.
            gender: if gs.len() == 1 {
                gs.into_iter().next().flatten()
            } else {
                None
            },
        })
        .collect()
}
