//! Helpers shared by the integration tests (the facade's, and crates' that include this file with
//! `#[path]`): the committed fixtures, the corpus copy
//! named by `SER_DATA_DIR`, float comparisons and a small WAV writer.
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

/// Sample encodings the WAV writer knows.
#[derive(Debug, Clone, Copy)]
pub enum Enc {
    U8,
    I16,
    I24,
    I32,
    F32,
    F64,
}

impl Enc {
    pub fn bytes(self) -> usize {
        match self {
            Enc::U8 => 1,
            Enc::I16 => 2,
            Enc::I24 => 3,
            Enc::I32 | Enc::F32 => 4,
            Enc::F64 => 8,
        }
    }

    /// The WAV format tag: 3 (IEEE float) for the float encodings, else 1 (PCM).
    pub fn tag(self) -> u16 {
        if matches!(self, Enc::F32 | Enc::F64) {
            3
        } else {
            1
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
            Enc::F64 => out.extend_from_slice(&x.to_le_bytes()),
        }
    }

    /// The data bytes of mono samples.
    pub fn encode(self, x: &[f32]) -> Vec<u8> {
        let mut out = Vec::with_capacity(x.len() * self.bytes());
        for &v in x {
            self.push(f64::from(v), &mut out);
        }
        out
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

/// The 16-byte body of a `fmt ` chunk: format tag, channels, rate, byte rate, block align
/// (`channels` x whole bytes per sample) and bits per sample.
pub fn fmt_body(tag: u16, channels: u16, rate: u32, bits: u16) -> Vec<u8> {
    let block = channels * bits.div_ceil(8);
    let mut fmt = Vec::with_capacity(16);
    fmt.extend_from_slice(&tag.to_le_bytes());
    fmt.extend_from_slice(&channels.to_le_bytes());
    fmt.extend_from_slice(&rate.to_le_bytes());
    fmt.extend_from_slice(&(rate * u32::from(block)).to_le_bytes());
    fmt.extend_from_slice(&block.to_le_bytes());
    fmt.extend_from_slice(&bits.to_le_bytes());
    fmt
}

/// A RIFF/WAVE file of these chunks (each made by [`chunk`]), in order.
pub fn riff_wave(chunks: &[Vec<u8>]) -> Vec<u8> {
    let mut body = b"WAVE".to_vec();
    for c in chunks {
        body.extend_from_slice(c);
    }
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend(body);
    out
}

/// A WAV file: `frames[i][c]` samples, `extra` chunks placed between `fmt ` and `data`.
pub fn wav(enc: Enc, rate: u32, frames: &[Vec<f64>], extra: &[Vec<u8>]) -> Vec<u8> {
    let channels = frames.first().map_or(1, |f| f.len()) as u16;
    let fmt = fmt_body(enc.tag(), channels, rate, (enc.bytes() * 8) as u16);
    let mut data = Vec::with_capacity(frames.len() * channels as usize * enc.bytes());
    for f in frames {
        for &x in f {
            enc.push(x, &mut data);
        }
    }
    let mut chunks = vec![chunk(b"fmt ", &fmt)];
    chunks.extend_from_slice(extra);
    chunks.push(chunk(b"data", &data));
    riff_wave(&chunks)
}

/// A mono WAV.
pub fn wav_mono(enc: Enc, rate: u32, x: &[f64]) -> Vec<u8> {
    let frames: Vec<Vec<f64>> = x.iter().map(|&v| vec![v]).collect();
    wav(enc, rate, &frames, &[])
}
