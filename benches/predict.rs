#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Criterion benchmarks of the whole prediction path (`ser::Recognizer`).
//!
//! - `predict/file_3s`: decode + resample (48 kHz -> 22050 Hz) + MFCC + default model on the
//!   longest committed RAVDESS WAV (`03-01-03-01-01-02-01.wav`, 3.47 s; RAVDESS, CC BY-NC-SA
//!   4.0). Target: < 5 ms.
//! - `predict/samples_3s`: the same clip already decoded at 22050 Hz (features + model only).
//! - `predict/timeline_10s`: 3 s windows every 1 s over three clips joined (10.1 s, 9 windows).
//! - `predict/load_default_model`: building a `Recognizer` from the embedded model (part of
//!   every cold start of the `predict` example).

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion};
use ser::audio::LoadOptions;
use ser::Recognizer;

fn clip(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/ravdess")
        .join(name)
}

fn benches(c: &mut Criterion) {
    let path = clip("03-01-03-01-01-02-01.wav");
    let mut recognizer = Recognizer::try_default().unwrap();
    let mut group = c.benchmark_group("predict");

    group.bench_function("file_3s", |b| {
        b.iter(|| recognizer.predict_file(black_box(&path)).unwrap())
    });

    let rate = recognizer.sample_rate();
    let samples = ser::audio::load(&path, &LoadOptions::with_rate(rate))
        .unwrap()
        .samples;
    group.bench_function("samples_3s", |b| {
        b.iter(|| {
            recognizer
                .predict_samples(black_box(&samples), rate)
                .unwrap()
        })
    });

    let long: Vec<f32> = [
        "03-01-01-01-01-01-01.wav",
        "03-01-03-01-01-02-01.wav",
        "03-01-08-01-01-01-01.wav",
    ]
    .iter()
    .flat_map(|n| {
        ser::audio::load(clip(n), &LoadOptions::with_rate(rate))
            .unwrap()
            .samples
    })
    .collect();
    group.bench_function("timeline_10s", |b| {
        b.iter(|| recognizer.predict_timeline(black_box(&long), rate).unwrap())
    });

    group.bench_function("load_default_model", |b| {
        b.iter(|| Recognizer::try_default().unwrap())
    });
    group.finish();
}

// No plots: criterion's plotters backend panics rendering text with the workspace's plotters
// features (ab_glyph without a registered font); the numbers are what we report anyway.
criterion_group! {
    name = group;
    config = Criterion::default().without_plots();
    targets = benches
}
criterion_main!(group);
