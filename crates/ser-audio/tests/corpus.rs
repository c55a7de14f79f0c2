//! Checks against the RAVDESS corpus copy named by `SER_DATA_DIR` (e.g. /work/shared/data).
//! Skips, with a note, when the variable is unset.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::PathBuf;

use ser_audio::{load, LoadOptions};

use common::{data_dir, fixture};

fn ravdess() -> Option<PathBuf> {
    data_dir().map(|d| d.join("ravdess"))
}

fn clip(root: &std::path::Path, name: &str) -> PathBuf {
    let actor = name.rsplit('-').next().unwrap();
    root.join(format!("Actor_{actor}"))
        .join(format!("{name}.flac"))
}

#[test]
fn corpus_quirks_as_documented() {
    let Some(root) = ravdess() else { return };
    // The five stereo clips of the published corpus.
    for name in [
        "03-01-02-01-01-02-01",
        "03-01-08-01-02-02-01",
        "03-01-02-01-02-02-05",
        "03-01-03-01-02-01-20",
        "03-01-06-01-01-02-20",
    ] {
        let a = load(clip(&root, name), &LoadOptions::default()).unwrap();
        assert_eq!(
            (a.source_rate, a.source_channels, a.sample_rate),
            (48000, 2, 22050),
            "{name}"
        );
    }
    // Two clips of Actor 07 carry identical samples.
    let a = load(
        clip(&root, "03-01-03-01-02-01-07"),
        &LoadOptions::native_rate(),
    )
    .unwrap();
    let b = load(
        clip(&root, "03-01-03-01-02-02-07"),
        &LoadOptions::native_rate(),
    )
    .unwrap();
    assert_eq!(a.samples, b.samples);
    // The committed stereo fixture is that corpus file, unchanged.
    assert_eq!(
        std::fs::read(fixture("ravdess/03-01-02-01-01-02-01.flac")).unwrap(),
        std::fs::read(clip(&root, "03-01-02-01-01-02-01")).unwrap()
    );
}

#[test]
fn one_actor_loads_with_documented_lengths() {
    let Some(root) = ravdess() else { return };
    let mut n = 0;
    for e in std::fs::read_dir(root.join("Actor_01")).unwrap() {
        let p = e.unwrap().path();
        let a = load(&p, &LoadOptions::default()).unwrap();
        let secs = a.duration_secs();
        assert!((2.93..=5.28).contains(&secs), "{}: {secs} s", p.display());
        assert_eq!(a.source_rate, 48000);
        n += 1;
    }
    assert_eq!(n, 60);
}
