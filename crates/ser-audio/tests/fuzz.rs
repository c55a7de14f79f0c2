//! No input bytes make `load_bytes` panic: random bytes, and valid WAVs (plus the committed
//! fixtures' headers) with bytes flipped, cut or inserted. Each case must return `Ok` or `Err`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{fixture, sine, wav_mono, Enc};
use proptest::prelude::*;
use ser_audio::{load_bytes, AudioError, LoadOptions};

/// Valid seeds to mutate: small synthetic WAVs of each sample width plus the head of a RAVDESS
/// WAV (its header and FLLR chunk) and of the FLAC/MP3/OGG fixtures.
fn seeds() -> Vec<(Vec<u8>, &'static str)> {
    let x: Vec<f64> = sine(440.0, 0.5, 8000, 256)
        .iter()
        .map(|&v| f64::from(v))
        .collect();
    let mut v: Vec<(Vec<u8>, &'static str)> = [Enc::U8, Enc::I16, Enc::I24, Enc::I32, Enc::F32]
        .into_iter()
        .map(|e| (wav_mono(e, 8000, &x), "seed.wav"))
        .collect();
    for (f, name, keep) in [
        ("ravdess/03-01-01-01-01-01-01.wav", "seed.wav", 6000),
        ("formats/03-01-01-01-01-01-01.flac", "seed.flac", 24000),
        ("formats/03-01-01-01-01-01-01.mp3", "seed.mp3", 4000),
        ("formats/03-01-01-01-01-01-01.ogg", "seed.ogg", 6000),
        ("formats/03-01-01-01-01-01-01.m4a", "seed.m4a", 30000),
    ] {
        let b = std::fs::read(fixture(f)).unwrap();
        v.push((b[..keep.min(b.len())].to_vec(), name));
    }
    v
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip { at: usize, xor: u8 },
    Set { at: usize, byte: u8 },
    Truncate { at: usize },
    Insert { at: usize, bytes: Vec<u8> },
    Remove { at: usize, len: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1u8..=255).prop_map(|(at, xor)| Mutation::Flip { at, xor }),
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Set { at, byte }),
        any::<usize>().prop_map(|at| Mutation::Truncate { at }),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        (any::<usize>(), 1usize..64).prop_map(|(at, len)| Mutation::Remove { at, len }),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    if bytes.is_empty() {
        return;
    }
    // Bias positions to the first 64 bytes half the time: that is where the headers are.
    let pos = |at: usize, len: usize| {
        if at % 2 == 0 {
            (at / 2) % len.min(64)
        } else {
            (at / 2) % len
        }
    };
    match m {
        Mutation::Flip { at, xor } => {
            let i = pos(*at, bytes.len());
            bytes[i] ^= xor;
        }
        Mutation::Set { at, byte } => {
            let i = pos(*at, bytes.len());
            bytes[i] = *byte;
        }
        Mutation::Truncate { at } => bytes.truncate(at % bytes.len()),
        Mutation::Insert { at, bytes: ins } => {
            let i = pos(*at, bytes.len());
            bytes.splice(i..i, ins.iter().copied());
        }
        Mutation::Remove { at, len } => {
            let i = pos(*at, bytes.len());
            let end = (i + len).min(bytes.len());
            bytes.drain(i..end);
        }
    }
}

/// Ok must be a well-formed clip; Err must name the input.
fn check(r: Result<ser_audio::Audio, AudioError>, name: &str) {
    match r {
        Ok(a) => {
            assert!(!a.samples.is_empty());
            assert!(a.samples.iter().all(|v| v.is_finite()));
            assert!(a.source_rate > 0 && a.source_channels > 0);
        }
        Err(e) => {
            if let Some(p) = e.path() {
                assert_eq!(p.to_str(), Some(name), "{e}");
            }
        }
    }
}

/// Outcome counts of one property run, printed so a run shows what it exercised.
#[derive(Debug, Default)]
struct Tally {
    ok: usize,
    errors: std::collections::BTreeMap<String, usize>,
    caught_panics: usize,
}

impl Tally {
    fn add(&mut self, r: &Result<ser_audio::Audio, AudioError>) {
        match r {
            Ok(_) => self.ok += 1,
            Err(e) => {
                let kind = format!("{e:?}");
                let kind = kind.split([' ', '{', '(']).next().unwrap_or("").to_string();
                *self.errors.entry(kind).or_default() += 1;
                if e.to_string().contains("decoder panicked") {
                    self.caught_panics += 1;
                }
            }
        }
    }
}

const CASES: u32 = 1000;

fn run<S: Strategy>(
    label: &str,
    strategy: S,
    f: impl Fn(S::Value) -> (Result<ser_audio::Audio, AudioError>, &'static str),
) {
    let tally = std::cell::RefCell::new(Tally::default());
    let config = ProptestConfig {
        cases: CASES,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let mut runner = proptest::test_runner::TestRunner::new(config);
    runner
        .run(&strategy, |v| {
            let (r, name) = f(v);
            tally.borrow_mut().add(&r);
            check(r, name);
            Ok(())
        })
        .unwrap();
    let t = tally.into_inner();
    eprintln!("{label}: {t:?}");
    assert_eq!(t.ok + t.errors.values().sum::<usize>(), CASES as usize);
}

#[test]
fn random_bytes_never_panic() {
    let exts = vec!["x.wav", "x.flac", "x.mp3", "x.ogg", "x.m4a", "x"];
    run(
        "random bytes",
        (
            prop::collection::vec(any::<u8>(), 0..2048),
            prop::sample::select(exts),
        ),
        |(bytes, ext)| (load_bytes(&bytes, ext, &LoadOptions::native_rate()), ext),
    );
}

#[test]
fn random_bytes_after_riff_header_never_panic() {
    run(
        "RIFF/WAVE + random body",
        prop::collection::vec(any::<u8>(), 0..1024),
        |body| {
            let mut bytes = b"RIFF".to_vec();
            bytes.extend_from_slice(&(body.len() as u32 + 4).to_le_bytes());
            bytes.extend_from_slice(b"WAVE");
            bytes.extend(body);
            (
                load_bytes(&bytes, "riff.wav", &LoadOptions::default()),
                "riff.wav",
            )
        },
    );
}

#[test]
fn mutated_valid_files_never_panic() {
    let seeds = seeds();
    run(
        "mutated valid files",
        (0..seeds.len(), prop::collection::vec(mutation(), 1..6)),
        |(i, muts)| {
            let (mut bytes, name) = seeds[i].clone();
            for m in &muts {
                apply(&mut bytes, m);
            }
            // Default options: decode and resample to 22050 Hz, as every caller does.
            (load_bytes(&bytes, name, &LoadOptions::default()), name)
        },
    );
}

/// The seeds themselves decode (so the mutations start from valid files).
#[test]
fn seeds_are_valid() {
    for (i, (bytes, name)) in seeds().iter().enumerate() {
        if i < 5 {
            let a = load_bytes(bytes, name, &LoadOptions::native_rate()).unwrap();
            assert_eq!(a.samples.len(), 256, "seed {i}");
        } else {
            // Heads of longer files: a truncation error or a short decode, never a panic.
            let r = load_bytes(bytes, name, &LoadOptions::native_rate());
            eprintln!(
                "seed {i} {name}: {:?}",
                r.as_ref()
                    .map(|a| a.samples.len())
                    .map_err(|e| e.to_string())
            );
        }
    }
}
