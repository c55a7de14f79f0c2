//! Helpers shared by ser-audio's integration tests: the workspace's `tests/common` (fixture
//! paths, the corpus copy) and a tiny WAV writer.
#![allow(dead_code)]

#[path = "../../../../tests/common/mod.rs"]
mod shared;
#[allow(unused_imports)]
pub use shared::{data_dir, fixture, fixtures_dir, max_abs_diff};

/// Sample encodings the WAV writer knows.
#[derive(Debug, Clone, Copy)]
pub enum Enc {
    U8,
    I16,
    I24,
    I32,
    F32,
}

impl Enc {
    pub fn bytes(self) -> usize {
        match self {
            Enc::U8 => 1,
            Enc::I16 => 2,
            Enc::I24 => 3,
            Enc::I32 | Enc::F32 => 4,
        }
    }
    /// Writes one sample given as a float in [-1, 1) (ints: round(x * 2^(bits-1)), clamped).
    pub fn push(self, x: f64, out: &mut Vec<u8>) {
        let int = |bits: u32| {
            let s = (1i64 << (bits - 1)) as f64;
            (x * s).round().clamp(-s, s - 1.0) as i64
        };
        match self {
            Enc::U8 => out.push((int(8) + 128) as u8),
            Enc::I16 => out.extend_from_slice(&(int(16) as i16).to_le_bytes()),
            Enc::I24 => out.extend_from_slice(&(int(24) as i32).to_le_bytes()[..3]),
            Enc::I32 => out.extend_from_slice(&(int(32) as i32).to_le_bytes()),
            Enc::F32 => out.extend_from_slice(&(x as f32).to_le_bytes()),
        }
    }
}

/// A RIFF chunk.
pub fn chunk(id: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(body.len() + 9);
    v.extend_from_slice(id);
    v.extend_from_slice(&(body.len() as u32).to_le_bytes());
    v.extend_from_slice(body);
    if body.len() % 2 == 1 {
        v.push(0);
    }
    v
}

/// A WAV file: `frames[i][c]` samples, `extra` chunks placed between `fmt ` and `data`.
pub fn wav(enc: Enc, rate: u32, frames: &[Vec<f64>], extra: &[Vec<u8>]) -> Vec<u8> {
    let channels = frames.first().map_or(1, |f| f.len()) as u16;
    let block = channels as usize * enc.bytes();
    let format_tag: u16 = if matches!(enc, Enc::F32) { 3 } else { 1 };
    let mut fmt = Vec::new();
    fmt.extend_from_slice(&format_tag.to_le_bytes());
    fmt.extend_from_slice(&channels.to_le_bytes());
    fmt.extend_from_slice(&rate.to_le_bytes());
    fmt.extend_from_slice(&(rate * block as u32).to_le_bytes());
    fmt.extend_from_slice(&(block as u16).to_le_bytes());
    fmt.extend_from_slice(&((enc.bytes() * 8) as u16).to_le_bytes());
    let mut data = Vec::with_capacity(frames.len() * block);
    for f in frames {
        for &x in f {
            enc.push(x, &mut data);
        }
    }
    let mut body = b"WAVE".to_vec();
    body.extend(chunk(b"fmt ", &fmt));
    for e in extra {
        body.extend_from_slice(e);
    }
    body.extend(chunk(b"data", &data));
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend(body);
    out
}

/// A mono WAV.
pub fn wav_mono(enc: Enc, rate: u32, x: &[f64]) -> Vec<u8> {
    let frames: Vec<Vec<f64>> = x.iter().map(|&v| vec![v]).collect();
    wav(enc, rate, &frames, &[])
}

/// A sine of `freq` Hz, amplitude `amp`, `n` samples at `rate` Hz.
pub fn sine(freq: f64, amp: f64, rate: u32, n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| {
            (amp * (2.0 * std::f64::consts::PI * freq * i as f64 / f64::from(rate)).sin()) as f32
        })
        .collect()
}
