//! Split protocols: the study's arithmetic, determinism, and (proptest) that speaker splits
//! never put a speaker, twin or duplicate on two sides.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use proptest::prelude::*;
use ser_corpus::split::{
    leak_groups, leave_one_speaker_out, speaker_kfold, stratified_split, study_split, Leak,
    LeakKind, Side, SpeakerFoldConfig, Split, StratifiedConfig, StudySplitConfig,
};
use ser_corpus::{Gender, Item};

fn ravdess_items(actors: std::ops::RangeInclusive<u8>, modality: u8) -> Vec<Item> {
    let mut v = Vec::new();
    for a in actors {
        for e in 1..=8u8 {
            for i in 1..=2u8 {
                if e == 1 && i == 2 {
                    continue;
                }
                for s in 1..=2 {
                    for r in 1..=2 {
                        let p = format!(
                            "Actor_{a:02}/{modality:02}-01-{e:02}-{i:02}-{s:02}-{r:02}-{a:02}.wav"
                        );
                        v.push(Item::from_path(&p, None).unwrap());
                    }
                }
            }
        }
    }
    v
}

fn assert_partition(split: &Split) {
    let mut all: Vec<usize> = split
        .train
        .iter()
        .chain(&split.validation)
        .chain(&split.test)
        .copied()
        .collect();
    all.sort_unstable();
    assert_eq!(all, (0..split.items.len()).collect::<Vec<_>>());
}

#[test]
fn study_split_counts_and_order() {
    let items = ravdess_items(1..=24, 3);
    assert_eq!(items.len(), 1440);
    let s = study_split(&items, &StudySplitConfig::default()).unwrap();
    assert_eq!(
        (s.train.len(), s.validation.len(), s.test.len()),
        (1152, 144, 144)
    );
    assert_eq!(s.train, (0..1152).collect::<Vec<_>>());
    assert_partition(&s);
    // The study's 4904 vectors: 3923 / 490 / 491.
    let mut big = items.clone();
    big.extend(items.iter().cloned());
    big.extend(items.iter().cloned());
    big.extend(items.iter().take(4904 - 4320).cloned());
    let s = study_split(&big, &StudySplitConfig::default()).unwrap();
    assert_eq!(
        (s.train.len(), s.validation.len(), s.test.len()),
        (3923, 490, 491)
    );
    // n = 10: 8 / 1 / 1 despite 0.8 not being exact in binary
    let s = study_split(&items[..10], &StudySplitConfig::default()).unwrap();
    assert_eq!((s.train.len(), s.validation.len(), s.test.len()), (8, 1, 1));
    assert!(study_split(
        &items,
        &StudySplitConfig {
            train_fraction: 0.95,
            ..Default::default()
        }
    )
    .is_err());
}

#[test]
fn study_split_with_simulated_twins_leaks() {
    let items = ravdess_items(1..=24, 3);
    let cfg = StudySplitConfig {
        simulated_av_twins: true,
        ..Default::default()
    };
    let s = study_split(&items, &cfg).unwrap();
    assert_eq!(s.items.len(), 2880);
    assert!(s.items[..1440].iter().all(|i| i.simulated_av_twin));
    assert!(s.items[1440..].iter().all(|i| !i.simulated_av_twin));
    assert_eq!(s.items[0].path, s.items[1440].path);
    assert_eq!(
        (s.train.len(), s.validation.len(), s.test.len()),
        (2304, 288, 288)
    );
    // every test clip has its twin in the training part: the study's leak
    let train_perf: BTreeSet<&str> = s
        .side_items(Side::Train)
        .iter()
        .map(|i| i.performance.as_str())
        .collect();
    assert!(s
        .side_items(Side::Test)
        .iter()
        .all(|i| train_perf.contains(i.performance.as_str())));
    let leaks = s.leaks(&[]);
    assert!(
        leaks.iter().any(
            |l| matches!(&l.what, LeakKind::Performance(p) if p.starts_with("ravdess:"))
                && l.sides == [Side::Train, Side::Test]
                && l.to_string().starts_with("performance ravdess:")
                && l.to_string().ends_with("train and test")
        ),
        "{leaks:?}"
    );
    // serde round trip records the twins
    let j = serde_json::to_string(&s).unwrap();
    let back: Split = serde_json::from_str(&j).unwrap();
    assert_eq!(back, s);
}

#[test]
fn stratified_is_seeded_and_stratified() {
    let items = ravdess_items(1..=24, 3);
    let cfg = StratifiedConfig {
        seed: 7,
        ..Default::default()
    };
    let a = stratified_split(&items, &[], &cfg).unwrap();
    let b = stratified_split(&items, &[], &cfg).unwrap();
    assert_eq!(a, b);
    let c = stratified_split(
        &items,
        &[],
        &StratifiedConfig {
            seed: 8,
            ..Default::default()
        },
    )
    .unwrap();
    assert_ne!(a.train, c.train);
    assert_partition(&a);
    let mut per: BTreeMap<(Side, usize), usize> = BTreeMap::new();
    for side in [Side::Train, Side::Validation, Side::Test] {
        for it in a.side_items(side) {
            *per.entry((side, it.emotion().unwrap().index()))
                .or_default() += 1;
        }
    }
    assert_eq!(per[&(Side::Train, 0)], 76); // floor(0.8 * 96)
    assert_eq!(per[&(Side::Validation, 0)], 9);
    assert_eq!(per[&(Side::Test, 0)], 11);
    for e in 1..8 {
        assert_eq!(per[&(Side::Train, e)], 153); // floor(0.8 * 192) = 153
        assert_eq!(per[&(Side::Validation, e)], 19);
        assert_eq!(per[&(Side::Test, e)], 20);
    }
    // AV twins stay on one side
    let mut both = ravdess_items(1..=4, 1);
    both.extend(ravdess_items(1..=4, 3));
    let s = stratified_split(&both, &[], &cfg).unwrap();
    assert!(
        s.leaks(&[])
            .iter()
            .all(|l| matches!(l.what, LeakKind::Speaker(_))),
        "{:?}",
        s.leaks(&[])
    );
}

#[test]
fn ravdess_six_folds_gender_balanced() {
    let items = ravdess_items(1..=24, 3);
    let f = speaker_kfold(&items, &[], &SpeakerFoldConfig::default()).unwrap();
    assert_eq!(f.folds.len(), 6);
    for (k, fold) in f.folds.iter().enumerate() {
        assert_eq!(fold.test_speakers.len(), 4);
        assert_eq!(fold.validation_speakers.len(), 4);
        assert_eq!(fold.train_speakers.len(), 16);
        assert_eq!(fold.test.len(), 240);
        let males = fold
            .test
            .iter()
            .filter(|&&i| f.items[i].gender == Some(Gender::Male))
            .map(|&i| f.items[i].speaker_key())
            .collect::<BTreeSet<_>>();
        assert_eq!(males.len(), 2, "fold {k}");
        assert_eq!(fold.validation_speakers, f.folds[(k + 1) % 6].test_speakers);
        let s = f.split(k).unwrap();
        assert_partition(&s);
        assert!(s.leaks(&[]).is_empty());
    }
    // every speaker tested exactly once
    let tested: Vec<String> = f
        .folds
        .iter()
        .flat_map(|x| x.test_speakers.clone())
        .collect();
    assert_eq!(tested.len(), 24);
    assert_eq!(tested.iter().collect::<BTreeSet<_>>().len(), 24);
    assert_eq!(
        f.folds[0].test_speakers,
        ["ravdess:01", "ravdess:02", "ravdess:13", "ravdess:14"]
    );
    let loso = leave_one_speaker_out(&items, &[], 1).unwrap();
    assert_eq!(loso.folds.len(), 24);
    assert!(loso
        .folds
        .iter()
        .all(|f| f.test.len() == 60 && f.validation.len() == 60));
    // 25 folds of 24 actors, a single fold, and validation folds that leave no training fold
    for bad in [(25, 1), (1, 1), (3, 2)] {
        let cfg = SpeakerFoldConfig {
            folds: bad.0,
            validation_folds: bad.1,
            ..Default::default()
        };
        assert!(speaker_kfold(&items, &[], &cfg).is_err(), "{cfg:?}");
    }
}

/// Random corpus: items from a few RAVDESS actors, SAVEE speakers and unknown-speaker SAVEE
/// clips, with random AV twins and random cross-speaker duplicate groups.
fn arb_case() -> impl Strategy<Value = (Vec<Item>, Vec<Vec<PathBuf>>, usize, usize, Option<u64>)> {
    (
        prop::collection::vec((1u8..=24, 1u8..=8, 1u8..=2, 1u8..=2, any::<bool>()), 1..120),
        prop::collection::vec((0usize..4, 1u8..=15, any::<bool>()), 0..30),
        prop::collection::vec(
            prop::collection::vec(any::<prop::sample::Index>(), 2..4),
            0..4,
        ),
        2usize..8,
        0usize..3,
        prop::option::of(any::<u64>()),
    )
        .prop_map(|(rav, sav, dup_idx, folds, val, seed)| {
            let mut items = Vec::new();
            for (a, e, s, r, twin) in rav {
                let p = format!("R/03-01-{e:02}-01-{s:02}-{r:02}-{a:02}.wav");
                items.push(Item::from_path(&p, None).unwrap());
                if twin {
                    let p = format!("V/01-01-{e:02}-01-{s:02}-{r:02}-{a:02}.mp4");
                    items.push(Item::from_path(&p, None).unwrap());
                }
            }
            for (sp, n, bare) in sav {
                let spk = ["DC", "JE", "JK", "KL"][sp];
                let p = if bare {
                    format!("S{sp}/a{n:02}.wav")
                } else {
                    format!("S/{spk}_a{n:02}.wav")
                };
                items.push(Item::from_path(&p, None).unwrap());
            }
            let dups = dup_idx
                .into_iter()
                .map(|g| {
                    g.into_iter()
                        .map(|ix| items[ix.index(items.len())].path.clone())
                        .collect()
                })
                .collect();
            (items, dups, folds, val, seed)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn speaker_folds_never_leak((items, dups, folds, val, seed) in arb_case()) {
        let cfg = SpeakerFoldConfig { folds, validation_folds: val, balance_gender: seed.is_some(), seed };
        match speaker_kfold(&items, &dups, &cfg) {
            Ok(f) => {
                prop_assert_eq!(f.folds.len(), folds);
                let mut tested = vec![0usize; items.len()];
                for k in 0..folds {
                    let s = f.split(k).unwrap();
                    assert_partition(&s);
                    let leaks = s.leaks(&dups);
                    prop_assert!(leaks.is_empty(), "{:?}", leaks);
                    for &i in &s.test { tested[i] += 1; }
                    // leak groups are whole on each side
                    let g = leak_groups(&items, &dups);
                    let mut side_of_group = BTreeMap::new();
                    for side in [Side::Train, Side::Validation, Side::Test] {
                        for &i in s.indices(side) {
                            let prev = side_of_group.insert(g[i], side);
                            prop_assert!(prev.is_none() || prev == Some(side));
                        }
                    }
                }
                prop_assert!(tested.iter().all(|&t| t == 1));
            }
            Err(e) => {
                // only when there are too few speaker blocks or too many validation folds
                prop_assert!(val + 2 > folds || e.to_string().contains("number of folds"), "{}", e);
            }
        }
    }

    #[test]
    fn stratified_never_splits_leak_groups((items, dups, _f, _v, seed) in arb_case()) {
        let s = stratified_split(&items, &dups, &StratifiedConfig { seed: seed.unwrap_or(1), ..Default::default() }).unwrap();
        assert_partition(&s);
        let leaks: Vec<Leak> = s.leaks(&dups).into_iter().filter(|l| !matches!(l.what, LeakKind::Speaker(_))).collect();
        prop_assert!(leaks.is_empty(), "{:?}", leaks);
    }
}
