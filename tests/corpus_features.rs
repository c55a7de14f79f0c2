//! Corpus-scale features on the committed fixtures (RAVDESS clips are CC BY-NC-SA 4.0, see
//! tests/data/README.md): values, cache hits, config keying, corruption recovery, failures,
//! simulated AV twins and duplicate detection. `full_ravdess_*` needs `SER_DATA_DIR`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;

use ser::audio::{load, LoadOptions};
use ser::corpus::features::{extract_features, CacheStatus, ExtractOptions, FeatureConfig};
use ser::corpus::split::{speaker_kfold, SpeakerFoldConfig};
use ser::corpus::{find_duplicates, scan, Item};
use ser::mfcc::{Mfcc, MfccConfig};

use common::{data_dir, fixtures_dir, max_abs_diff};

fn ravdess_items() -> Vec<Item> {
    let c = scan(fixtures_dir().join("ravdess")).unwrap();
    assert_eq!(c.items.len(), 4);
    assert!(c.rejected.is_empty());
    c.items
}

fn opts(dir: &Path) -> ExtractOptions {
    ExtractOptions {
        cache_dir: Some(dir.to_path_buf()),
        progress: None,
    }
}

#[test]
fn features_match_direct_pipeline_and_cache_round_trips() {
    let items = ravdess_items();
    let tmp = tempfile::tempdir().unwrap();
    let cfg = FeatureConfig::default();
    let f = extract_features(&items, &cfg, &opts(tmp.path())).unwrap();
    assert_eq!(f.x.shape(), &[4, 40]);
    assert!(f.failures.is_empty());
    assert_eq!(f.items, items);
    assert_eq!(f.cache.status, CacheStatus::Missing);
    assert_eq!(
        (f.cache.hits, f.cache.misses, f.cache.written),
        (0, 4, true)
    );
    // same numbers as ser-audio + ser-mfcc by hand
    let mut m = Mfcc::new(MfccConfig::default()).unwrap();
    for (i, it) in items.iter().enumerate() {
        let a = load(&it.path, &LoadOptions::default()).unwrap();
        let v = m.compute_mean(&a.samples).unwrap();
        assert_eq!(f.x.row(i).to_vec(), v.to_vec(), "{}", it.path.display());
    }
    // warm: all hits, identical
    let g = extract_features(&items, &cfg, &opts(tmp.path())).unwrap();
    assert_eq!(g.cache.status, CacheStatus::Loaded);
    assert_eq!(
        (g.cache.hits, g.cache.misses, g.cache.written),
        (4, 0, false)
    );
    assert_eq!(g.x, f.x);
    // another config never reuses the vectors
    let study = FeatureConfig::study();
    let h = extract_features(&items, &study, &opts(tmp.path())).unwrap();
    assert_eq!(h.cache.status, CacheStatus::Missing);
    assert_eq!(h.cache.misses, 4);
    assert_ne!(h.cache.path, f.cache.path);
    assert_ne!(h.x, f.x); // reflect vs zero padding changes the edge frames
    let cfg20 =
        FeatureConfig::for_frontend(ser::mfcc::FrontendSpec::MeanMfcc(ser::mfcc::MfccConfig {
            n_mfcc: 20,
            ..Default::default()
        }));
    let k = extract_features(&items, &cfg20, &opts(tmp.path())).unwrap();
    assert_eq!(k.x.shape(), &[4, 20]);
    assert_eq!(k.cache.misses, 4);
    for i in 0..4 {
        for j in 0..20 {
            assert!((k.x[[i, j]] - f.x[[i, j]]).abs() <= 1e-3 * f.x[[i, j]].abs().max(1.0));
        }
    }
    // a subset with a renamed copy hits the cache by content
    let copy = tmp.path().join("renamed");
    std::fs::create_dir_all(&copy).unwrap();
    let dst = copy.join("03-01-01-01-01-01-01.wav");
    std::fs::copy(&items[0].path, &dst).unwrap();
    let moved = Item::from_path(&dst, None).unwrap();
    let r = extract_features(&[moved], &cfg, &opts(tmp.path())).unwrap();
    assert_eq!((r.cache.hits, r.cache.misses), (1, 0));
    assert_eq!(r.x.row(0), f.x.row(0));
}

#[test]
fn corrupt_cache_is_detected_and_rebuilt() {
    let items = ravdess_items();
    let tmp = tempfile::tempdir().unwrap();
    let cfg = FeatureConfig::default();
    let f = extract_features(&items, &cfg, &opts(tmp.path())).unwrap();
    let path = f.cache.path.clone().unwrap();
    let good = std::fs::read(&path).unwrap();
    // flip one byte of a stored vector
    let mut bad = good.clone();
    let n = bad.len();
    bad[n - 40] ^= 0x55;
    std::fs::write(&path, &bad).unwrap();
    let g = extract_features(&items, &cfg, &opts(tmp.path())).unwrap();
    assert!(
        matches!(&g.cache.status, CacheStatus::Corrupt(r) if r.contains("checksum")),
        "{:?}",
        g.cache.status
    );
    assert_eq!(
        (g.cache.hits, g.cache.misses, g.cache.written),
        (0, 4, true)
    );
    assert_eq!(g.x, f.x);
    assert_eq!(std::fs::read(&path).unwrap(), good);
    // truncated
    std::fs::write(&path, &good[..good.len() / 2]).unwrap();
    let h = extract_features(&items, &cfg, &opts(tmp.path())).unwrap();
    assert!(matches!(h.cache.status, CacheStatus::Corrupt(_)));
    assert_eq!(h.x, f.x);
    // tiny
    std::fs::write(&path, b"x").unwrap();
    let h = extract_features(&items, &cfg, &opts(tmp.path())).unwrap();
    assert!(matches!(h.cache.status, CacheStatus::Corrupt(_)));
    let h = extract_features(&items, &cfg, &opts(tmp.path())).unwrap();
    assert_eq!(h.cache.status, CacheStatus::Loaded);
    // no temporary files left behind
    let names: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
}

#[test]
fn failing_clip_is_reported_and_skipped() {
    let mut items = ravdess_items();
    for broken in ["garbage.wav", "empty.wav", "truncated.wav", "missing.wav"] {
        let mut it = items[0].clone();
        it.path = fixtures_dir().join("broken").join(broken);
        items.insert(1, it);
    }
    let tmp = tempfile::tempdir().unwrap();
    let f = extract_features(&items, &FeatureConfig::default(), &opts(tmp.path())).unwrap();
    // truncated.wav decodes its 10000 frames (ser-audio keeps what is there) or fails; both are
    // acceptable, but garbage, empty and missing must fail and the good clips must survive.
    let failed: Vec<String> = f
        .failures
        .iter()
        .map(|x| x.path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for must in ["garbage.wav", "empty.wav", "missing.wav"] {
        assert!(failed.contains(&must.to_string()), "{failed:?}");
    }
    assert!(f.failures.iter().all(|x| !x.reason.is_empty()));
    assert_eq!(f.items.len() + f.failures.len(), 8);
    assert_eq!(f.x.nrows(), f.items.len());
    assert!(f.items.len() >= 4);
    // A config mismatch is a whole-run error, not a per-clip failure.
    let mut cfg = FeatureConfig::default();
    cfg.audio.target_rate = 16000;
    assert!(extract_features(&items, &cfg, &opts(tmp.path())).is_err());
}

#[test]
fn simulated_av_twin_goes_through_44k_and_stays_close() {
    let items = ravdess_items();
    let mut twin = items[0].clone();
    twin.simulated_av_twin = true;
    let f = extract_features(
        &[items[0].clone(), twin],
        &FeatureConfig::default(),
        &ExtractOptions::default(),
    )
    .unwrap();
    assert_eq!(f.x.nrows(), 2);
    let (a, b) = (f.x.row(0), f.x.row(1));
    assert_ne!(a, b, "the twin must not be a bit-exact copy");
    let cos = a.dot(&b) / (a.dot(&a).sqrt() * b.dot(&b).sqrt());
    assert!(cos > 0.999, "cosine {cos}");
    let max = max_abs_diff(&a.to_vec(), &b.to_vec());
    assert!(max < 1.0, "max abs diff {max}");
}

#[test]
fn duplicates_by_decoded_samples() {
    // formats/*.flac is a lossless copy of ravdess/*.wav (same samples); the lossy copies differ.
    let c = scan(fixtures_dir().join("formats")).unwrap();
    let mut items = c.items.clone();
    items.extend(ravdess_items());
    let (dups, failures) = find_duplicates(&items);
    assert!(failures.is_empty(), "{failures:?}");
    assert_eq!(dups.len(), 1, "{dups:?}");
    let names: Vec<String> = dups[0]
        .iter()
        .map(|p| {
            p.strip_prefix(fixtures_dir())
                .unwrap()
                .display()
                .to_string()
        })
        .collect();
    assert_eq!(
        names,
        [
            "formats/03-01-01-01-01-01-01.flac",
            "ravdess/03-01-01-01-01-01-01.wav"
        ]
    );
}

#[test]
fn full_ravdess_scan_duplicates_and_folds() {
    let Some(dir) = data_dir() else { return };
    let c = scan(dir.join("ravdess")).unwrap();
    assert_eq!(c.items.len(), 1440);
    assert!(c.rejected.is_empty(), "{:?}", c.rejected);
    assert_eq!(c.speakers().len(), 24);
    assert_eq!(
        c.label_counts(&ser::corpus::LabelSet::study()),
        [96, 192, 192, 192, 192, 192, 192, 192]
    );
    assert!(c.twins().is_empty());
    let (dups, failures) = find_duplicates(&c.items);
    assert!(failures.is_empty());
    assert_eq!(dups.len(), 1);
    let names: Vec<String> = dups[0]
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        ["03-01-03-01-02-01-07.flac", "03-01-03-01-02-02-07.flac"]
    );
    let folds = speaker_kfold(&c.items, &dups, &SpeakerFoldConfig::default()).unwrap();
    for k in 0..6 {
        let s = folds.split(k).unwrap();
        assert_eq!(s.test.len(), 240);
        assert!(s.leaks(&dups).is_empty());
    }
}
