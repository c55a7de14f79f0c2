//! Helpers shared by the integration tests (the facade's, and crates' that include this file with
//! `#[path]`): the committed fixtures, the corpus copy
//! named by `SER_DATA_DIR`, and float comparisons.
#![allow(dead_code)]

use std::path::PathBuf;

/// `tests/data/` at the repository root: the committed fixtures (RAVDESS material CC BY-NC-SA
/// 4.0, SAVEE; see tests/data/README.md). Found from the manifest directory of the crate whose
/// tests include this module (the root package, or a crate under `crates/`).
pub fn fixtures_dir() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .map(|dir| dir.join("tests/data"))
        .find(|d| d.join("README.md").is_file())
        .unwrap_or_else(|| manifest.join("tests/data"))
}

/// A fixture under `tests/data/`.
pub fn fixture(rel: &str) -> PathBuf {
    fixtures_dir().join(rel)
}

/// The corpus copy named by `SER_DATA_DIR` (e.g. /work/shared/data, holding `ravdess/`);
/// `None`, with a note naming the skipped test, when the variable is unset.
pub fn data_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("SER_DATA_DIR").map(PathBuf::from);
    if dir.is_none() {
        let test = std::thread::current().name().unwrap_or("test").to_string();
        eprintln!("SER_DATA_DIR is not set: skipping {test}");
    }
    dir
}

/// The largest `|a[i] - b[i]|` (0 for empty input; the slices must have equal lengths).
pub fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "max_abs_diff of slices of unequal length");
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}
