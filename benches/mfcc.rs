//! MFCC benchmarks: `mfcc/1s`, `mfcc/3s`, `mfcc/60s` (40 MFCCs of mono 22050 Hz audio, the
//! planned extractor reused, `compute_into` a reused output, single thread) and `fft/3s`
//! (only the STFT power spectrum of the same 3 s, for the "close to FFT cost" comparison), and
//! `logmel/3s`: the 64-band log-mel spectrogram (`LogMelConfig::default()`: 16 kHz, 25 ms
//! window, 10 ms hop) of the same signal made at 16 kHz, `compute_into` a reused output;
//! `speech_stats/3s` (the 295 per-clip statistics of `SpeechStatsConfig::default()`),
//! `speech_stats/vad_3s` and `speech_stats/pitch_3s` (its VAD and YIN parts) on that signal.
//!
//! The signal is synthetic and deterministic; `tools/golden/bench_librosa.py` builds the same
//! samples for the librosa side of docs/PERFORMANCE.md.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use ndarray::Array2;
use ser::mfcc::{
    LogMel, LogMelConfig, Mfcc, MfccConfig, Pitch, PitchConfig, SpeechStats, SpeechStatsConfig,
    Stft, Vad, VadConfig,
};

const SR: usize = 22050;

fn splitmix64(i: u64) -> u64 {
    let mut z = i.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// `0.4 sin(2 pi 220 t) (0.6 + 0.4 sin(2 pi 3 t)) + 0.2 sin(2 pi 1250 t) + 0.05 noise`,
/// noise uniform in [-1, 1) from splitmix64 of the sample index; at 22050 Hz.
fn signal(seconds: usize) -> Vec<f32> {
    signal_at(SR, seconds)
}

/// [`signal`] at `sr` Hz.
fn signal_at(sr: usize, seconds: usize) -> Vec<f32> {
    use std::f64::consts::PI;
    (0..seconds * sr)
        .map(|i| {
            let t = i as f64 / sr as f64;
            let noise = (splitmix64(i as u64) >> 40) as f64 / (1u64 << 24) as f64 * 2.0 - 1.0;
            let v = 0.4 * (2.0 * PI * 220.0 * t).sin() * (0.6 + 0.4 * (2.0 * PI * 3.0 * t).sin())
                + 0.2 * (2.0 * PI * 1250.0 * t).sin()
                + 0.05 * noise;
            v as f32
        })
        .collect()
}

fn benches(c: &mut Criterion) {
    let mut mfcc = Mfcc::new(MfccConfig::default()).unwrap();
    let mut group = c.benchmark_group("mfcc");
    for secs in [1usize, 3, 60] {
        let x = signal(secs);
        let mut out = Array2::<f32>::zeros((0, 0));
        mfcc.compute_into(&x, &mut out).unwrap();
        group.bench_function(format!("{secs}s"), |b| {
            b.iter(|| mfcc.compute_into(black_box(&x), &mut out).unwrap());
        });
    }
    group.finish();

    let x = signal(3);
    let cfg = MfccConfig::default();
    let mut stft = Stft::new(cfg.n_fft, cfg.hop_length, cfg.n_fft, true, cfg.pad_mode).unwrap();
    let frames = stft.n_frames(x.len()).unwrap();
    let mut power = vec![0.0f32; stft.n_bins()];
    let mut group = c.benchmark_group("fft");
    group.bench_function("3s", |b| {
        b.iter(|| {
            for t in 0..frames {
                stft.power_frame(black_box(&x), t, &mut power).unwrap();
            }
            black_box(&power);
        });
    });
    group.finish();

    let cfg = LogMelConfig::default();
    let x = signal_at(cfg.sample_rate as usize, 3);
    let mut log_mel = LogMel::new(cfg).unwrap();
    let mut out = Array2::<f32>::zeros((0, 0));
    log_mel.compute_into(&x, &mut out).unwrap();
    let mut group = c.benchmark_group("logmel");
    group.bench_function("3s", |b| {
        b.iter(|| log_mel.compute_into(black_box(&x), &mut out).unwrap());
    });
    group.finish();

    // The per-clip speech statistics (log-mel, MFCC, deltas, VAD, YIN pitch, energy) and
    // their parts that cost most: the VAD and the pitch tracker.
    let mut group = c.benchmark_group("speech_stats");
    let mut stats = SpeechStats::new(SpeechStatsConfig::default()).unwrap();
    group.bench_function("3s", |b| {
        b.iter(|| stats.compute(black_box(&x)).unwrap());
    });
    let mut vad = Vad::new(VadConfig::default()).unwrap();
    group.bench_function("vad_3s", |b| {
        b.iter(|| vad.decide(black_box(&x), 16000).unwrap());
    });
    let mut pitch = Pitch::new(PitchConfig::default(), 16000).unwrap();
    let frames: Vec<usize> = (0..300).collect();
    group.bench_function("pitch_3s", |b| {
        b.iter(|| pitch.track(black_box(&x), 160, &frames).unwrap());
    });
    group.finish();
}

criterion_group! {
    name = group;
    // no plots: plotters needs system fonts that CI machines may lack
    config = Criterion::default().without_plots();
    targets = benches
}
criterion_main!(group);
