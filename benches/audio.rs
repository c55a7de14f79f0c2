//! Criterion benchmarks for `ser-audio`: decoding a RAVDESS clip from memory and resampling
//! 3.7 s of 48 kHz audio to 22050 Hz. Run: `cargo bench --bench audio`.
//!
//! Uses only committed fixtures (tests/data/), so it runs on a fresh clone.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ser_audio::{load_bytes, LoadOptions, Resampler};

/// The longest committed RAVDESS WAV: 166566 frames, 48 kHz, 16-bit mono, 3.47 s, as published
/// (FLLR/LIST/bext/_PMX chunks). The corpus mean is 3.70 s.
const CLIP: &str = "tests/data/ravdess/03-01-03-01-01-02-01.wav";

fn clip_bytes() -> Vec<u8> {
    std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(CLIP)).unwrap()
}

fn decode(c: &mut Criterion) {
    let bytes = clip_bytes();
    let mut g = c.benchmark_group("decode");
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    // Decode only (symphonia WAV reader + PCM decoder + mono conversion), native rate.
    g.bench_function("ravdess_clip", |b| {
        let opts = LoadOptions::native_rate();
        b.iter(|| load_bytes(black_box(&bytes), "clip.wav", &opts).unwrap())
    });
    // The whole `librosa.load(path)` equivalent: decode + resample to 22050 Hz (plans a resampler).
    g.bench_function("ravdess_clip_to_22050", |b| {
        let opts = LoadOptions::default();
        b.iter(|| load_bytes(black_box(&bytes), "clip.wav", &opts).unwrap())
    });
    g.finish();
}

fn resample(c: &mut Criterion) {
    // 3.7 s at 48 kHz (177600 samples): the clip, repeated to that length.
    let clip = load_bytes(&clip_bytes(), "clip.wav", &LoadOptions::native_rate())
        .unwrap()
        .samples;
    let x: Vec<f32> = clip.iter().copied().cycle().take(177_600).collect();
    let mut g = c.benchmark_group("resample");
    g.throughput(Throughput::Elements(x.len() as u64));
    // Planned resampler reused across calls, output buffer reused: the steady-state cost.
    g.bench_function("48k_to_22050", |b| {
        let mut rs = Resampler::new(48000, 22050).unwrap();
        let mut out = Vec::new();
        b.iter(|| {
            rs.process_into(black_box(&x), &mut out).unwrap();
            black_box(out.len())
        })
    });
    // One-shot `resample()`: plans (FFTs, filter) on every call.
    g.bench_function("48k_to_22050_unplanned", |b| {
        b.iter(|| ser_audio::resample(black_box(&x), 48000, 22050).unwrap())
    });
    // 44.1 kHz (SAVEE) to 22050 Hz.
    let x441: Vec<f32> = clip.iter().copied().cycle().take(163_170).collect(); // 3.7 s
    g.bench_function("44k1_to_22050", |b| {
        let mut rs = Resampler::new(44100, 22050).unwrap();
        let mut out = Vec::new();
        b.iter(|| {
            rs.process_into(black_box(&x441), &mut out).unwrap();
            black_box(out.len())
        })
    });
    g.finish();
}

// No plots: criterion's plotters backend needs system fonts, which minimal machines lack
// (it panics with FontUnavailable); the numbers are printed either way.
criterion_group! {
    name = group;
    config = Criterion::default().without_plots();
    targets = decode, resample
}
criterion_main!(group);
