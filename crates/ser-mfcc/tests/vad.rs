//! Voice-activity detection: what is speech and what is not (see `ser_mfcc::vad` docs).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use ndarray::Array2;
use proptest::prelude::*;
use ser_mfcc::{select_frames, speech_spans, Vad, VadConfig, VadDecision};

const SR: u32 = 16_000;

fn vad() -> Vad {
    Vad::new(VadConfig::default()).unwrap()
}

/// Deterministic xorshift noise, uniform in [-1, 1).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        ((self.0 >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }
    /// Roughly Gaussian (sum of 4 uniforms), unit variance.
    fn gauss(&mut self) -> f32 {
        (self.next() + self.next() + self.next() + self.next()) * (3.0f32 / 4.0).sqrt()
    }
}

fn white(n: usize, rms: f32, seed: u64) -> Vec<f32> {
    let mut r = Rng(seed);
    (0..n).map(|_| r.gauss() * rms).collect()
}

/// Pink noise (Paul Kellet's filter on white noise), scaled to `rms`.
fn pink(n: usize, rms: f32, seed: u64) -> Vec<f32> {
    let mut r = Rng(seed);
    let mut b = [0.0f32; 7];
    let mut x: Vec<f32> = (0..n)
        .map(|_| {
            let w = r.gauss();
            b[0] = 0.99886 * b[0] + w * 0.0555179;
            b[1] = 0.99332 * b[1] + w * 0.0750759;
            b[2] = 0.96900 * b[2] + w * 0.153_852;
            b[3] = 0.86650 * b[3] + w * 0.3104856;
            b[4] = 0.55000 * b[4] + w * 0.5329522;
            b[5] = -0.7616 * b[5] - w * 0.0168980;
            let y = b[0] + b[1] + b[2] + b[3] + b[4] + b[5] + b[6] + w * 0.5362;
            b[6] = w * 0.115926;
            y
        })
        .collect();
    let cur = rms_of(&x);
    x.iter_mut().for_each(|v| *v *= rms / cur);
    x
}

fn sine(n: usize, hz: f32, amp: f32, sr: u32) -> Vec<f32> {
    (0..n)
        .map(|i| amp * (2.0 * std::f32::consts::PI * hz * i as f32 / sr as f32).sin())
        .collect()
}

fn rms_of(x: &[f32]) -> f32 {
    (x.iter().map(|v| v * v).sum::<f32>() / x.len().max(1) as f32).sqrt()
}

fn assert_no_speech(name: &str, x: &[f32], sr: u32) -> VadDecision {
    let d = vad().decide(x, sr).unwrap();
    assert!(
        !d.speech && d.speech_frames == 0,
        "{name} at {sr} Hz judged speech: {} of {} frames",
        d.speech_frames,
        d.total_frames
    );
    assert_eq!(d.mask.len(), d.total_frames);
    d
}

#[test]
fn digital_silence_is_not_speech() {
    let d = assert_no_speech("60 s of zeros", &vec![0.0; 60 * SR as usize], SR);
    assert_eq!(d.total_frames, 1 + 60 * SR as usize / 160);
    assert!((d.total_seconds - 60.0).abs() < 1e-9);
    assert_eq!(d.speech_seconds, 0.0);
    assert_no_speech("1 s of zeros at 48 kHz", &vec![0.0; 48_000], 48_000);
}

#[test]
fn dc_level_is_not_speech() {
    for dc in [0.3f32, -0.3, 1.0, 1e-3] {
        assert_no_speech(&format!("DC {dc}"), &vec![dc; 10 * SR as usize], SR);
    }
    assert_no_speech("DC 0.3 at 44.1 kHz", &vec![0.3; 441_000], 44_100);
}

#[test]
fn steady_noise_is_not_speech() {
    for (i, rms) in [1e-4f32, 1e-3, 0.01, 0.05, 0.1, 0.3]
        .into_iter()
        .enumerate()
    {
        for sr in [16_000u32, 22_050, 48_000] {
            let n = 10 * sr as usize;
            assert_no_speech(
                &format!("white rms {rms}"),
                &white(n, rms, 7 + i as u64),
                sr,
            );
            assert_no_speech(&format!("pink rms {rms}"), &pink(n, rms, 99 + i as u64), sr);
            // noise riding on a DC offset
            let mut x = white(n, rms, 3 + i as u64);
            x.iter_mut().for_each(|v| *v += 0.2);
            assert_no_speech(&format!("white rms {rms} + DC"), &x, sr);
        }
    }
}

#[test]
fn hum_and_tones_are_not_speech() {
    for sr in [16_000u32, 22_050, 48_000] {
        let n = 10 * sr as usize;
        for hz in [50.0f32, 60.0] {
            assert_no_speech(&format!("{hz} Hz hum"), &sine(n, hz, 0.3, sr), sr);
            // hum with odd harmonics, as mains buzz
            let mut x = sine(n, hz, 0.3, sr);
            for (k, a) in [(3.0f32, 0.1f32), (5.0, 0.05), (7.0, 0.03)] {
                x.iter_mut()
                    .zip(sine(n, hz * k, a, sr))
                    .for_each(|(v, h)| *v += h);
            }
            assert_no_speech(&format!("{hz} Hz buzz"), &x, sr);
        }
        for hz in [200.0f32, 440.0, 1000.0, 3000.0] {
            assert_no_speech(&format!("{hz} Hz tone"), &sine(n, hz, 0.5, sr), sr);
        }
    }
}

#[test]
fn a_tone_burst_in_silence_is_not_speech() {
    // 2 s silence, 1 s of 440 Hz, 2 s silence: loud, well above the floor, but steady.
    let mut x = vec![0.0f32; 2 * SR as usize];
    x.extend(sine(SR as usize, 440.0, 0.5, SR));
    x.extend(vec![0.0f32; 2 * SR as usize]);
    assert_no_speech("tone burst", &x, SR);
    // the same with white- and pink-noise bursts
    for sr in [16_000u32, 22_050, 48_000] {
        let n = sr as usize;
        for (name, burst) in [("white", white(n, 0.1, 5)), ("pink", pink(n, 0.1, 6))] {
            let mut x = vec![0.0f32; 2 * n];
            x.extend(burst);
            x.extend(vec![0.0f32; 2 * n]);
            assert_no_speech(&format!("{name} noise burst"), &x, sr);
        }
    }
}

#[test]
fn speech_without_pauses_is_speech() {
    // The fixtures cut to their speech: the clip's own floor is now speech, yet most of it stays.
    let mut vad = vad();
    for (path, x, sr, d) in decided_fixtures() {
        let spans = speech_spans(&d.mask);
        let hop = (sr / 100) as usize;
        let (a, b) = (
            spans[0].start * hop,
            (spans[spans.len() - 1].end * hop).min(x.len()),
        );
        let cut = vad.decide(&x[a..b], sr).unwrap();
        eprintln!(
            "{} cut to speech: {:.0} % of frames speech",
            path.display(),
            100.0 * cut.speech_fraction()
        );
        assert!(cut.speech, "{}", path.display());
        assert!(cut.speech_fraction() >= 0.5, "{}", path.display());
    }
}

fn fixtures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data");
    let mut files: Vec<PathBuf> = ["ravdess", "savee"]
        .iter()
        .flat_map(|d| std::fs::read_dir(root.join(d)).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| ser_audio::discover::is_audio_path(p))
        .collect();
    files.sort();
    assert!(files.len() >= 8, "{files:?}");
    files
}

fn load(path: &Path) -> (Vec<f32>, u32) {
    let a = ser_audio::load(path, &ser_audio::LoadOptions::native_rate()).unwrap();
    (a.samples, a.sample_rate)
}

/// Every fixture decoded at its own rate, with the default detector's decision.
fn decided_fixtures() -> Vec<(PathBuf, Vec<f32>, u32, VadDecision)> {
    let mut vad = vad();
    fixtures()
        .into_iter()
        .map(|path| {
            let (x, sr) = load(&path);
            let d = vad.decide(&x, sr).unwrap();
            (path, x, sr, d)
        })
        .collect()
}

#[test]
fn real_speech_fixtures_are_speech() {
    let mut vad = vad();
    for (path, x, sr, d) in decided_fixtures() {
        eprintln!(
            "{}: {} Hz, {:.2} s, speech {:.2} s ({:.0} % of frames), spans {:?}",
            path.display(),
            sr,
            d.total_seconds,
            d.speech_seconds,
            100.0 * d.speech_fraction(),
            d.spans()
        );
        assert!(d.speech, "{} not judged speech", path.display());
        assert!(d.speech_seconds >= 0.5, "{}", path.display());
        // leading silence of the recordings is not speech
        assert!(!d.mask[0], "{}: first frame marked speech", path.display());
        // resampled to 16 and 8 kHz (band clamped at Nyquist) the decision stays
        for to in [16_000u32, 8_000] {
            let y = ser_audio::resample(&x, sr, to).unwrap();
            assert!(
                vad.decide(&y, to).unwrap().speech,
                "{} at {to} Hz",
                path.display()
            );
        }
    }
}

#[test]
fn trailing_silence_is_masked_out() {
    let mut vad = vad();
    for path in fixtures() {
        let (mut x, sr) = load(&path);
        let n = x.len();
        x.extend(vec![0.0f32; 5 * sr as usize]);
        let d = vad.decide(&x, sr).unwrap();
        assert!(d.speech, "{}", path.display());
        let hop = (sr / 100) as usize;
        // every frame centred beyond the speech plus the 25 ms frame is non-speech
        let first_silent = (n + hop * 3) / hop;
        assert!(
            d.mask[first_silent..].iter().all(|&m| !m),
            "{}: silence marked speech",
            path.display()
        );
        assert!(d.speech_seconds < n as f64 / f64::from(sr) + 0.05);
    }
}

#[test]
fn trailing_steady_noise_is_masked_out() {
    // speech, then 5 s of white noise 30 dB below the speech's peak level
    let mut vad = vad();
    for (i, (path, mut x, sr, _)) in decided_fixtures().into_iter().enumerate() {
        let n = x.len();
        let peak = x.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        x.extend(white(5 * sr as usize, peak * 0.03, 21 + i as u64));
        let d = vad.decide(&x, sr).unwrap();
        assert!(d.speech, "{}", path.display());
        let first_noise = (n + 3 * (sr / 100) as usize) / (sr / 100) as usize;
        let marked = d.mask[first_noise..].iter().filter(|&&m| m).count();
        assert_eq!(marked, 0, "{}: noise marked speech", path.display());
    }
}

#[test]
fn speech_in_white_noise_at_10_db_snr_is_speech() {
    let mut vad = vad();
    for (i, (path, x, sr, clean)) in decided_fixtures().into_iter().enumerate() {
        // SNR over the speech frames (the recordings open and close with silence)
        let hop = (sr / 100) as usize;
        let speech: Vec<f32> = speech_spans(&clean.mask)
            .into_iter()
            .flat_map(|s| x[s.start * hop..(s.end * hop).min(x.len())].to_vec())
            .collect();
        let noise_rms = rms_of(&speech) / 10f32.powf(10.0 / 20.0);
        let noisy: Vec<f32> = x
            .iter()
            .zip(white(x.len(), noise_rms, 11 + i as u64))
            .map(|(a, b)| a + b)
            .collect();
        let d = vad.decide(&noisy, sr).unwrap();
        eprintln!(
            "{} + noise: speech {:.2} s of {:.2} s",
            path.display(),
            d.speech_seconds,
            d.total_seconds
        );
        assert!(d.speech, "{} in noise not judged speech", path.display());
    }
}

#[test]
fn select_frames_keeps_speech_rows() {
    let (x, sr) = load(&fixtures()[0]);
    let d = vad().decide(&x, sr).unwrap();
    let feats = Array2::from_shape_fn((d.total_frames, 3), |(t, j)| (t * 10 + j) as f32);
    let kept = select_frames(feats.view(), &d.mask).unwrap();
    assert_eq!(kept.dim(), (d.speech_frames, 3));
    let first = speech_spans(&d.mask)[0].start;
    assert_eq!(kept[[0, 0]], (first * 10) as f32);
    // another grid: 512-sample hop at 22050 Hz over the same duration
    let n = 1 + (d.total_seconds * 22050.0) as usize / 512;
    let m = d.mask_for(n, 512.0 / 22050.0);
    assert_eq!(m.len(), n);
    let frac = m.iter().filter(|&&b| b).count() as f64 / n as f64;
    assert!((frac - d.speech_fraction()).abs() < 0.05);
    assert!(select_frames(feats.view(), &d.mask[1..]).is_err());
}

#[test]
fn edges_and_errors() {
    let mut v = vad();
    let d = v.decide(&[], SR).unwrap();
    assert_eq!((d.speech, d.total_frames), (false, 0));
    assert_eq!(v.frames(&[0.5], SR).unwrap(), vec![false]);
    assert!(v.decide(&[0.0, f32::NAN], SR).is_err());
    assert!(v.decide(&[0.0], 0).is_err());
    assert!(v.decide(&[0.0], 100).is_err());
    assert!(v.decide(&[0.0], u32::MAX).is_err());
    assert!(Vad::new(VadConfig {
        frame_ms: 1e9,
        ..VadConfig::default()
    })
    .unwrap()
    .decide(&[0.0], SR)
    .is_err());
    assert!(Vad::new(VadConfig {
        hop_ms: 0.0,
        ..VadConfig::default()
    })
    .is_err());
    let json = serde_json::to_string(&VadConfig::default()).unwrap();
    let back: VadConfig = serde_json::from_str(&json).unwrap();
    assert_eq!(back, VadConfig::default());
    let partial: VadConfig = serde_json::from_str(r#"{"hop_ms": 20.0}"#).unwrap();
    assert_eq!(partial.hop_ms, 20.0);
    assert_eq!(partial.frame_ms, 25.0);
}

/// Every clip of the RAVDESS speech corpus is speech (`SER_DATA_DIR=/work/shared/data`).
/// `SER_VAD_ALL=1` checks all 1440 clips, otherwise every 10th.
#[test]
fn ravdess_corpus() {
    let Some(root) = std::env::var_os("SER_DATA_DIR") else {
        eprintln!("SER_DATA_DIR not set: skipped");
        return;
    };
    let dir = PathBuf::from(root).join("ravdess");
    let mut files = ser_audio::discover::audio_files(&dir).unwrap();
    files.sort();
    let step = if std::env::var_os("SER_VAD_ALL").is_some() {
        1
    } else {
        10
    };
    let mut vad = vad();
    let mut loader = ser_audio::Loader::new();
    let (mut clips, mut speech, mut frames, mut kept) = (0usize, 0usize, 0usize, 0usize);
    let mut missed = Vec::new();
    for path in files.iter().step_by(step) {
        let a = loader
            .load(path, &ser_audio::LoadOptions::native_rate())
            .unwrap();
        let d = vad.decide(&a.samples, a.sample_rate).unwrap();
        clips += 1;
        frames += d.total_frames;
        kept += d.speech_frames;
        if d.speech {
            speech += 1;
        } else {
            missed.push(path.clone());
        }
    }
    eprintln!(
        "RAVDESS: {speech} of {clips} clips judged speech ({:.2} %), {:.1} % of frames kept",
        100.0 * speech as f64 / clips as f64,
        100.0 * kept as f64 / frames as f64
    );
    assert!(clips > 0);
    assert!(missed.is_empty(), "not speech: {missed:?}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn finite_input_never_panics(
        x in proptest::collection::vec(-1.0e3f32..1.0e3, 0..5000),
        big in -1.0e12f32..1.0e12,
        at in 0usize..5000,
        sr in prop_oneof![Just(8_000u32), Just(16_000), Just(22_050), Just(44_100), Just(48_000), 160u32..200_000],
    ) {
        let mut x = x;
        if !x.is_empty() {
            let i = at % x.len();
            x[i] = big;
        }
        let mut v = vad();
        let d = v.decide(&x, sr).unwrap();
        prop_assert_eq!(d.mask.len(), d.total_frames);
        prop_assert_eq!(d.energy_db.len(), d.total_frames);
        prop_assert_eq!(d.total_frames, v.n_frames(x.len(), sr).unwrap());
        prop_assert_eq!(d.speech_frames, d.mask.iter().filter(|&&m| m).count());
        prop_assert!(d.energy_db.iter().all(|e| e.is_finite()));
        prop_assert_eq!(v.frames(&x, sr).unwrap(), d.mask);
    }
}
