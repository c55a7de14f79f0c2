//! Replays the fuzz corpora through the fuzz targets' bodies (`fuzz/targets.rs`, shared with the
//! AFL++ binaries): the seeds in `fuzz/seeds/<target>/` and every finding saved under
//! `tests/data/fuzz/<target>/` (a crash or hang the fuzzer found, kept so it stays fixed). A
//! body panics on a finding, so this test fails if one comes back. How the fuzzers are run and
//! what they found: docs/RELIABILITY.md ("Fuzzing").
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../fuzz/targets.rs"]
mod targets;

use std::path::{Path, PathBuf};

/// A fuzz target's body.
type Body = fn(&[u8]);

const TARGETS: [(&str, Body); 5] = [
    ("audio", targets::audio),
    ("corpus_name", targets::corpus_name),
    ("checkpoint", targets::checkpoint),
    ("feature_cache", targets::feature_cache),
    ("demo_request", targets::demo_request),
];

fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = rd
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && p.file_name().is_none_or(|n| n != "README.md"))
        .collect();
    v.sort();
    v
}

#[test]
fn seeds_and_saved_findings_run_clean_through_every_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut seeds = 0;
    for (name, body) in TARGETS {
        let found = files(&root.join("fuzz/seeds").join(name));
        assert!(!found.is_empty(), "no seeds for {name}");
        seeds += found.len();
        for f in found
            .iter()
            .chain(&files(&root.join("tests/data/fuzz").join(name)))
        {
            let data = std::fs::read(f).unwrap();
            let r = std::panic::catch_unwind(|| body(&data));
            assert!(r.is_ok(), "{name}: {} panics", f.display());
        }
    }
    assert!(seeds > 50, "{seeds}");
}

#[test]
fn a_feature_cache_declaring_2_pow_64_entries_is_an_error_not_an_overflow() {
    // Found by review while writing the feature-cache target: a valid checksum over a header
    // declaring u64::MAX entries made `pos + n` overflow (a panic with overflow checks).
    let config = targets::CACHE_CONFIG.as_bytes();
    let mut body = b"SERFEAT1".to_vec();
    body.extend((config.len() as u32).to_le_bytes());
    body.extend(config);
    body.extend((targets::CACHE_DIM as u32).to_le_bytes());
    body.extend(u64::MAX.to_le_bytes());
    targets::feature_cache(&body);
    use sha2::Digest;
    let mut sealed = body.clone();
    sealed.extend(sha2::Sha256::digest(&body));
    let err = ser::corpus::features::decode_cache(
        &sealed,
        Path::new("x.cache"),
        targets::CACHE_CONFIG,
        targets::CACHE_DIM,
    )
    .unwrap_err();
    assert!(err.to_string().contains("x.cache"), "{err}");
}
