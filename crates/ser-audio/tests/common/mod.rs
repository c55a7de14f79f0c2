//! Helpers shared by ser-audio's integration tests: the workspace's `tests/common` (fixture
//! paths, the corpus copy, the WAV writer) and a sine generator.
#![allow(dead_code)]

#[path = "../../../../tests/common/mod.rs"]
mod shared;
#[allow(unused_imports)]
pub use shared::{chunk, data_dir, fixture, fixtures_dir, max_abs_diff, wav, wav_mono, Enc};

/// A sine of `freq` Hz, amplitude `amp`, `n` samples at `rate` Hz.
pub fn sine(freq: f64, amp: f64, rate: u32, n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| {
            (amp * (2.0 * std::f64::consts::PI * freq * i as f64 / f64::from(rate)).sin()) as f32
        })
        .collect()
}
