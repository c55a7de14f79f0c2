//! Named bad inputs (issue 11 item 5): odd or broken files given to `Recognizer::predict_file`,
//! each with its exact outcome — a typed error that names the file, or a prediction (with
//! `speech` true or false). The table in docs/RELIABILITY.md ("Named bad inputs") lists the same
//! cases with the same outcomes and is checked here, so the two cannot drift apart.
//!
//! Print the table rows: `SER_PRINT_TABLE=1 cargo test --test bad_inputs -- --nocapture`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};

use ser::audio::{AudioError, LoadOptions};
use ser::{Error, Prediction, Recognizer};

use common::{chunk, fixture, fmt_body, riff_wave, Enc};

/// The speech clip every converted case starts from (RAVDESS actor 1, "happy", 48 kHz 16-bit).
const SPEECH: &str = "ravdess/03-01-03-01-01-02-01.wav";

/// The clip's mono samples at its own rate.
fn speech() -> (Vec<f32>, u32) {
    let a = ser::audio::load(fixture(SPEECH), &LoadOptions::native_rate()).unwrap();
    (a.samples, a.sample_rate)
}

/// A WAV file of raw `data` under any format header (`fmt ` of 16 bytes for PCM, 18 with
/// `cbSize` = 0 otherwise), built with the shared writer's pieces.
fn wav(tag: u16, channels: u16, rate: u32, bits: u16, data: &[u8]) -> Vec<u8> {
    let mut fmt = fmt_body(tag, channels, rate, bits);
    if tag != 1 {
        fmt.extend(0u16.to_le_bytes());
    }
    riff_wave(&[chunk(b"fmt ", &fmt), chunk(b"data", data)])
}

/// G.711 mu-law of a 16-bit sample.
fn mulaw(s: i16) -> u8 {
    const BIAS: i32 = 0x84;
    let mut x = i32::from(s);
    let sign = if x < 0 {
        x = -x;
        0x80
    } else {
        0
    };
    x = x.min(32635) + BIAS;
    let mut exponent = 7;
    let mut mask = 0x4000;
    while exponent > 0 && x & mask == 0 {
        exponent -= 1;
        mask >>= 1;
    }
    let mantissa = (x >> (exponent + 3)) & 0x0F;
    !((sign | (exponent << 4) | mantissa) as u8)
}

/// G.711 A-law of a 16-bit sample.
fn alaw(s: i16) -> u8 {
    let mut x = i32::from(s) >> 3;
    let mask = if x >= 0 {
        0xD5
    } else {
        x = -x - 1;
        0x55
    };
    let ends = [0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF];
    let Some(seg) = ends.iter().position(|&e| x <= e) else {
        return 0x7F ^ mask;
    };
    let mant = if seg < 2 {
        (x >> 1) & 0xF
    } else {
        (x >> seg) & 0xF
    };
    (((seg as i32) << 4 | mant) as u8) ^ mask
}

fn to_i16(x: &[f32]) -> impl Iterator<Item = i16> + '_ {
    x.iter()
        .map(|&v| (v.clamp(-1.0, 1.0) * 32767.0).round() as i16)
}

/// An AIFF file (big-endian 16-bit PCM) of mono samples.
fn aiff(x: &[f32], rate: u32) -> Vec<u8> {
    let mut comm = Vec::new();
    comm.extend(1u16.to_be_bytes());
    comm.extend((x.len() as u32).to_be_bytes());
    comm.extend(16u16.to_be_bytes());
    // 80-bit IEEE extended sample rate.
    let msb = 31 - rate.leading_zeros();
    comm.extend((16383 + msb as u16).to_be_bytes());
    comm.extend((u64::from(rate) << (63 - msb)).to_be_bytes());
    let mut ssnd = vec![0u8; 8];
    ssnd.extend(to_i16(x).flat_map(i16::to_be_bytes));
    let mut body = b"AIFF".to_vec();
    for (id, data) in [(b"COMM", &comm), (b"SSND", &ssnd)] {
        body.extend(id);
        body.extend((data.len() as u32).to_be_bytes());
        body.extend(data);
    }
    let mut out = b"FORM".to_vec();
    out.extend((body.len() as u32).to_be_bytes());
    out.extend(body);
    out
}

/// WAVE_FORMAT_EXTENSIBLE 16-bit PCM with `channels` interleaved copies of `x`.
fn wav_extensible(x: &[f32], rate: u32, channels: u16) -> Vec<u8> {
    let mut fmt = fmt_body(0xFFFE, channels, rate, 16);
    fmt.extend(22u16.to_le_bytes());
    fmt.extend(16u16.to_le_bytes());
    fmt.extend(0x3Fu32.to_le_bytes()); // FL FR FC LFE BL BR
    fmt.extend([
        0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B,
        0x71,
    ]);
    let data: Vec<u8> = to_i16(x)
        .flat_map(|s| std::iter::repeat_n(s, usize::from(channels)))
        .flat_map(i16::to_le_bytes)
        .collect();
    riff_wave(&[chunk(b"fmt ", &fmt), chunk(b"data", &data)])
}

/// Linear-interpolation rate change, good enough to make a plausible 8 kHz / 192 kHz file.
fn rerate(x: &[f32], from: u32, to: u32) -> Vec<f32> {
    let n = (x.len() as u64 * u64::from(to) / u64::from(from)) as usize;
    (0..n)
        .map(|i| {
            let t = i as f64 * f64::from(from) / f64::from(to);
            let j = t as usize;
            let f = (t - j as f64) as f32;
            let a = x[j.min(x.len() - 1)];
            let b = x[(j + 1).min(x.len() - 1)];
            a + (b - a) * f
        })
        .collect()
}

/// A seeded xorshift stream in [-1, 1).
fn noise(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 40) as f32 / (1u64 << 23) as f32 - 1.0
        })
        .collect()
}

/// What a case is written as.
enum Input {
    /// These bytes in a file of this name.
    Bytes(&'static str, Vec<u8>),
    /// A directory of this name.
    Dir(&'static str),
    /// A path that does not exist.
    Missing(&'static str),
    /// A committed fixture.
    Fixture(&'static str),
}

struct Case {
    name: &'static str,
    input: Input,
    /// The exact outcome, as [`outcome`] writes it.
    expect: &'static str,
    /// For (nearly) lossless conversions of the speech clip: the probabilities must match the
    /// original's within this tolerance, and the top emotion must stay unless the original's
    /// top two are closer than twice the tolerance.
    same_as_original: Option<f32>,
}

fn case(name: &'static str, input: Input, expect: &'static str) -> Case {
    Case {
        name,
        input,
        expect,
        same_as_original: None,
    }
}

fn cases() -> Vec<Case> {
    let (x, rate) = speech();
    let second = rate as usize;
    let short = &x[second..second + second / 10];
    let header_only = wav(1, 1, rate, 16, &[]);
    let mut truncated = wav(1, 1, rate, 16, &Enc::I16.encode(&x));
    truncated.truncate(truncated.len() / 2);
    let mut lying = wav(1, 1, rate, 16, &Enc::I16.encode(&x[..second]));
    lying[40..44].copy_from_slice(&u32::MAX.to_le_bytes()); // data size: 4 GiB
    let mut riff_size = wav(1, 1, rate, 16, &Enc::I16.encode(&x));
    riff_size[4..8].copy_from_slice(&12u32.to_le_bytes()); // RIFF size far too small
    let mut nan = x.clone();
    nan[second] = f32::NAN;
    let mut inf = x.clone();
    inf[second] = f32::INFINITY;
    let huge: Vec<f32> = x.iter().map(|v| v * 1e30).collect();
    let odd_chunk = riff_wave(&[
        chunk(b"fmt ", &fmt_body(1, 1, rate, 16)),
        chunk(b"ser ", b"odd"),
        chunk(b"data", &Enc::I16.encode(&x)),
    ]);
    let flac = std::fs::read(fixture("ravdess/03-01-02-01-01-02-01.flac")).unwrap();
    let mp3 = std::fs::read(fixture("formats/03-01-01-01-01-01-01.mp3")).unwrap();
    let lossless = |mut c: Case, tol: f32| {
        c.same_as_original = Some(tol);
        c
    };
    vec![
        case(
            "empty file (0 bytes)",
            Input::Bytes("empty.wav", Vec::new()),
            "error NotAudio",
        ),
        case(
            "WAV header only, no samples",
            Input::Bytes("header.wav", header_only),
            "error Empty",
        ),
        case(
            "WAV with 0 channels",
            Input::Bytes(
                "zero_channels.wav",
                wav(1, 0, rate, 16, &Enc::I16.encode(&x)),
            ),
            "error Corrupt",
        ),
        case(
            "WAV with sample rate 0",
            Input::Bytes("zero_rate.wav", wav(1, 1, 0, 16, &Enc::I16.encode(&x))),
            "error Corrupt",
        ),
        case(
            "WAV with an unknown codec tag (0x1234)",
            Input::Bytes("codec.wav", wav(0x1234, 1, rate, 16, &Enc::I16.encode(&x))),
            "error NotAudio",
        ),
        case(
            "WAV with 12-bit samples",
            Input::Bytes("bits12.wav", wav(1, 1, rate, 12, &Enc::I16.encode(&x))),
            "error Corrupt",
        ),
        case(
            "WAV truncated in the middle of its data",
            Input::Bytes("truncated.wav", truncated),
            "error Truncated",
        ),
        case(
            "WAV whose data chunk claims 4 GiB",
            Input::Bytes("lying_data.wav", lying),
            "error Corrupt",
        ),
        case(
            "WAV whose RIFF size is too small",
            Input::Bytes("lying_riff.wav", riff_size),
            "error Corrupt",
        ),
        lossless(
            case(
                "WAV with an odd-sized chunk before the data",
                Input::Bytes("odd_chunk.wav", odd_chunk),
                "prediction (speech)",
            ),
            1e-3,
        ),
        case(
            "32-bit float WAV with a NaN sample",
            Input::Bytes("nan.wav", wav(3, 1, rate, 32, &Enc::F32.encode(&nan))),
            "error NonFinite",
        ),
        case(
            "32-bit float WAV with an infinite sample",
            Input::Bytes("inf.wav", wav(3, 1, rate, 32, &Enc::F32.encode(&inf))),
            "error NonFinite",
        ),
        case(
            "32-bit float WAV with samples of 1e30",
            Input::Bytes("huge.wav", wav(3, 1, rate, 32, &Enc::F32.encode(&huge))),
            "error Vad",
        ),
        case(
            "8-bit unsigned PCM",
            Input::Bytes("pcm8.wav", wav(1, 1, rate, 8, &Enc::U8.encode(&x))),
            "prediction (speech)",
        ),
        lossless(
            case(
                "24-bit PCM",
                Input::Bytes("pcm24.wav", wav(1, 1, rate, 24, &Enc::I24.encode(&x))),
                "prediction (speech)",
            ),
            1e-3,
        ),
        lossless(
            case(
                "32-bit integer PCM",
                Input::Bytes("pcm32.wav", wav(1, 1, rate, 32, &Enc::I32.encode(&x))),
                "prediction (speech)",
            ),
            1e-3,
        ),
        lossless(
            case(
                "32-bit float",
                Input::Bytes("f32.wav", wav(3, 1, rate, 32, &Enc::F32.encode(&x))),
                "prediction (speech)",
            ),
            1e-3,
        ),
        lossless(
            case(
                "64-bit float",
                Input::Bytes("f64.wav", wav(3, 1, rate, 64, &Enc::F64.encode(&x))),
                "prediction (speech)",
            ),
            1e-3,
        ),
        case(
            "G.711 mu-law",
            Input::Bytes(
                "mulaw.wav",
                wav(7, 1, rate, 8, &to_i16(&x).map(mulaw).collect::<Vec<_>>()),
            ),
            "prediction (speech)",
        ),
        case(
            "G.711 A-law",
            Input::Bytes(
                "alaw.wav",
                wav(6, 1, rate, 8, &to_i16(&x).map(alaw).collect::<Vec<_>>()),
            ),
            "prediction (speech)",
        ),
        lossless(
            case(
                "AIFF named .wav",
                Input::Bytes("aiff.wav", aiff(&x, rate)),
                "prediction (speech)",
            ),
            1e-3,
        ),
        lossless(
            case(
                "6 channels (5.1, WAVE_FORMAT_EXTENSIBLE)",
                Input::Bytes("six.wav", wav_extensible(&x, rate, 6)),
                "prediction (speech)",
            ),
            1e-3,
        ),
        case(
            "8 kHz",
            Input::Bytes(
                "rate8k.wav",
                wav(1, 1, 8000, 16, &Enc::I16.encode(&rerate(&x, rate, 8000))),
            ),
            "prediction (speech)",
        ),
        lossless(
            case(
                "192 kHz",
                Input::Bytes(
                    "rate192k.wav",
                    wav(
                        1,
                        1,
                        192_000,
                        16,
                        &Enc::I16.encode(&rerate(&x, rate, 192_000)),
                    ),
                ),
                "prediction (speech)",
            ),
            0.1,
        ),
        case(
            "100 ms clip of speech",
            Input::Bytes("short.wav", wav(1, 1, rate, 16, &Enc::I16.encode(short))),
            "no speech",
        ),
        case(
            "a single sample",
            Input::Bytes(
                "one.wav",
                wav(1, 1, rate, 16, &Enc::I16.encode(&x[second..second + 1])),
            ),
            "no speech",
        ),
        case(
            "3 s of digital silence",
            Input::Bytes("silence.wav", wav(1, 1, rate, 16, &vec![0; 6 * second])),
            "no speech",
        ),
        case(
            "3 s of a constant DC level",
            Input::Bytes(
                "dc.wav",
                wav(1, 1, rate, 16, &Enc::I16.encode(&vec![0.3; 3 * second])),
            ),
            "no speech",
        ),
        case(
            "3 s of steady white noise",
            Input::Bytes(
                "noise.wav",
                wav(
                    1,
                    1,
                    rate,
                    16,
                    &Enc::I16.encode(
                        &noise(3 * second, 5)
                            .iter()
                            .map(|v| 0.1 * v)
                            .collect::<Vec<_>>(),
                    ),
                ),
            ),
            "no speech",
        ),
        case(
            "a directory named .wav",
            Input::Dir("folder.wav"),
            "error Io",
        ),
        case(
            "a file that does not exist",
            Input::Missing("missing.wav"),
            "error NotFound",
        ),
        case(
            "random bytes named .wav",
            Input::Bytes(
                "random.wav",
                noise(4096, 9)
                    .iter()
                    .map(|v| (v.to_bits() >> 7) as u8)
                    .collect(),
            ),
            "error NotAudio",
        ),
        case(
            "random bytes named .mp3",
            Input::Bytes(
                "random.mp3",
                noise(4096, 10)
                    .iter()
                    .map(|v| (v.to_bits() >> 7) as u8)
                    .collect(),
            ),
            "error NotAudio",
        ),
        case(
            "a text file named .flac",
            Input::Bytes("text.flac", b"not audio at all\n".repeat(100)),
            "error NotAudio",
        ),
        case(
            "FLAC cut in half",
            Input::Bytes("half.flac", flac[..flac.len() / 2].to_vec()),
            "error Truncated",
        ),
        case(
            "MP3 cut to its first 2 kB",
            Input::Bytes("head.mp3", mp3[..2048].to_vec()),
            "no speech",
        ),
        case(
            "WAV with 0 data frames (fixture)",
            Input::Fixture("broken/zero_samples.wav"),
            "error Empty",
        ),
    ]
}

/// The outcome as one short string: `prediction (speech)`, `no speech`, or `error <Variant>`
/// (the `ser-audio` variant for audio errors, else the facade's).
fn outcome(r: &Result<Prediction, Error>) -> String {
    fn variant(debug: String) -> String {
        debug
            .split(|c: char| !c.is_ascii_alphanumeric())
            .next()
            .unwrap_or_default()
            .to_string()
    }
    match r {
        Ok(p) if p.speech => "prediction (speech)".into(),
        Ok(_) => "no speech".into(),
        Err(Error::Audio { source, .. }) => format!("error {}", variant(format!("{source:?}"))),
        Err(e) => format!("error {}", variant(format!("{e:?}"))),
    }
}

fn write_input(dir: &Path, input: &Input) -> PathBuf {
    match input {
        Input::Bytes(name, bytes) => {
            let p = dir.join(name);
            std::fs::write(&p, bytes).unwrap();
            p
        }
        Input::Dir(name) => {
            let p = dir.join(name);
            std::fs::create_dir(&p).unwrap();
            p
        }
        Input::Missing(name) => dir.join(name),
        Input::Fixture(rel) => fixture(rel),
    }
}

#[test]
fn every_named_bad_input_has_its_exact_outcome_and_a_row_in_reliability_md() {
    let cases = cases();
    assert!(cases.len() >= 25, "{}", cases.len());
    let dir = tempfile::tempdir().unwrap();
    let mut r = Recognizer::try_default().unwrap();
    let original = r.predict_file(fixture(SPEECH)).unwrap();
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/RELIABILITY.md"))
            .unwrap_or_default();
    let print = std::env::var_os("SER_PRINT_TABLE").is_some();
    // how far the original's most probable emotion is ahead of the second
    let top_margin = {
        let mut sorted: Vec<f32> = original
            .probabilities
            .as_ref()
            .map(|b| b.values().to_vec())
            .unwrap_or_default();
        sorted.sort_by(|x, y| y.total_cmp(x));
        sorted.first().copied().unwrap_or(0.0) - sorted.get(1).copied().unwrap_or(0.0)
    };
    let mut failures = Vec::new();
    for (i, c) in cases.iter().enumerate() {
        let path = write_input(dir.path(), &c.input);
        let result = r.predict_file(&path);
        let got = outcome(&result);
        if print {
            println!("| {} | {} | `{}` |", i + 1, c.name, got);
        }
        if got != c.expect {
            failures.push(format!(
                "{}: expected {}, got {got} ({result:?})",
                c.name, c.expect
            ));
            continue;
        }
        match &result {
            Err(e) => {
                // The full chain names the file.
                let mut msg = e.to_string();
                let mut cause = std::error::Error::source(e);
                while let Some(c) = cause {
                    msg = format!("{msg}: {c}");
                    cause = c.source();
                }
                let file = path.file_name().unwrap().to_string_lossy().into_owned();
                if !msg.contains(&file) {
                    failures.push(format!("{}: the error does not name {file}: {msg}", c.name));
                }
            }
            Ok(p) => {
                assert_eq!(p.labels, original.labels);
                // the largest change of any probability against the original's
                let change = match (&p.probabilities, &original.probabilities) {
                    (Some(a), Some(b)) => Some(
                        a.values()
                            .iter()
                            .zip(b.values())
                            .map(|(x, y)| (x - y).abs())
                            .fold(0f32, f32::max),
                    ),
                    _ => None,
                };
                if let (true, Some(d)) = (print, change) {
                    println!(
                        "    largest probability change {d:.3}, emotion {:?} (original {:?})",
                        p.label, original.label
                    );
                }
                if let (Some(tol), Some(d)) = (c.same_as_original, change) {
                    // The top emotion must stay unless the original's top two are closer than
                    // the change allowed (then a legitimate change within `tol` may swap them).
                    if d > tol || (top_margin > 2.0 * tol && p.label != original.label) {
                        failures.push(format!("{}: differs from the original by {d}", c.name));
                    }
                }
            }
        }
        let row = format!("| {} | {} | `{}` |", i + 1, c.name, c.expect);
        if !doc.contains(&row) {
            failures.push(format!("docs/RELIABILITY.md lacks the row {row}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_audio_error_for_a_bad_input_is_typed() {
    // A spot check that the facade passes ser-audio's typed error through unchanged.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.wav");
    std::fs::write(&p, b"RIFF").unwrap();
    let mut r = Recognizer::try_default().unwrap();
    match r.predict_file(&p) {
        Err(Error::Audio {
            source: AudioError::NotAudio { path, .. },
            ..
        }) => assert_eq!(path, p),
        other => panic!("{other:?}"),
    }
}
