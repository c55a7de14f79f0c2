#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Speech or not through `ser::Recognizer`: silence, a DC level and steady noise are not
//! emotions (no label, no probabilities, `"speech": false, "emotion": null` in JSON); the
//! committed RAVDESS fixtures are speech. No corpus needed.

mod common;

use ser::audio::LoadOptions;
use ser::{Error, Prediction, Recognizer, VadConfig};

use common::fixture;

const NEUTRAL: &str = "ravdess/03-01-01-01-01-01-01.wav";

/// Deterministic white noise, uniform in `[-amplitude, amplitude)`.
fn white_noise(n: usize, amplitude: f32) -> Vec<f32> {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    (0..n)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            ((state >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * amplitude
        })
        .collect()
}

fn assert_no_speech(p: &Prediction, what: &str) {
    assert!(!p.speech, "{what}: judged speech");
    assert_eq!(p.label, None, "{what}");
    assert_eq!(p.probabilities, None, "{what}");
    assert_eq!(p.emotion(), None, "{what}");
    assert_eq!(p.confidence(), None, "{what}");
    assert!(p.ranked().is_empty(), "{what}");
    assert_eq!(
        p.labels(),
        ser::Recognizer::try_default().unwrap().labels(),
        "{what}"
    );
    assert_eq!(
        p.timings.features,
        std::time::Duration::ZERO,
        "model not run"
    );
    let v = serde_json::to_value(p).unwrap();
    assert_eq!(v["speech"], false, "{what}");
    assert!(v["emotion"].is_null(), "{what}: {v}");
    assert!(v["confidence"].is_null(), "{what}: {v}");
    assert!(v["probabilities"].is_null(), "{what}: {v}");
    assert_eq!(
        v["labels"].as_array().unwrap().len(),
        p.labels().len(),
        "{what}"
    );
}

#[test]
fn silence_dc_and_steady_noise_are_not_speech() {
    let mut r = Recognizer::try_default().unwrap();
    let sr = r.sample_rate();
    let n = 5 * sr as usize;
    let silence = r.predict_samples(&vec![0.0; 60 * sr as usize], sr).unwrap();
    assert_no_speech(&silence, "60 s of digital silence");
    assert!((silence.duration - 60.0).abs() < 1e-6);
    assert_eq!(silence.speech_seconds, 0.0);
    for (what, samples) in [
        ("a DC offset of 0.3", vec![0.3; n]),
        ("a DC offset of -0.05", vec![-0.05; n]),
        ("steady white noise", white_noise(n, 0.1)),
        (
            "white noise on a DC offset",
            white_noise(n, 0.02).iter().map(|x| x + 0.2).collect(),
        ),
    ] {
        let p = r.predict_samples(&samples, sr).unwrap();
        assert_no_speech(&p, what);
    }
}

#[test]
fn a_fixture_clip_is_speech_with_an_emotion() {
    let mut r = Recognizer::try_default().unwrap();
    let p = r.predict_file(fixture(NEUTRAL)).unwrap();
    assert!(p.speech);
    assert!(p.speech_seconds > 0.5 && p.speech_seconds < p.duration);
    assert!(p.label.is_some() && p.probabilities.is_some());
    let v = serde_json::to_value(&p).unwrap();
    assert_eq!(v["speech"], true);
    assert!(v["emotion"].is_string(), "{v}");
    let clip = r.load_file(fixture(NEUTRAL)).unwrap();
    let d = r.detect_speech(&clip).unwrap();
    assert!(d.speech);
    assert_eq!(d.speech_seconds, p.speech_seconds);
}

#[test]
fn timeline_windows_without_speech_have_no_emotion() {
    let mut r = Recognizer::try_default().unwrap();
    let sr = r.sample_rate();
    let speech = ser::audio::load(fixture(NEUTRAL), &LoadOptions::with_rate(sr))
        .unwrap()
        .samples;
    // 6 s of silence, then the sentence, then 6 s of silence.
    let pad = vec![0.0f32; 6 * sr as usize];
    let samples: Vec<f32> = [&pad[..], &speech[..], &pad[..]].concat();
    let t = r.predict_timeline(&samples, sr).unwrap();
    assert!(t.windows.len() > 10, "{}", t.windows.len());
    let first = &t.windows[0]; // 0-3 s: silence
    assert!(!first.speech && first.label.is_none() && first.probabilities.is_none());
    assert_eq!(first.confidence(), None);
    let last = t.windows.last().unwrap(); // the last 3 s: silence
    assert!(!last.speech && last.label.is_none());
    assert!(t.windows.iter().any(|w| w.speech));
    for w in &t.windows {
        assert_eq!(w.speech, w.label.is_some(), "{}..{} s", w.start, w.end);
        assert_eq!(w.speech, w.probabilities.is_some());
        if w.end <= 6.0 || w.start >= samples.len() as f64 / f64::from(sr) - 6.0 + 0.5 {
            assert!(!w.speech, "{}..{} s is silence", w.start, w.end);
        }
    }
    let v = serde_json::to_value(&t).unwrap();
    let w0 = &v["windows"][0];
    assert_eq!(w0["speech"], false);
    assert!(
        w0["emotion"].is_null() && w0["probabilities"].is_null(),
        "{w0}"
    );
    let speech_window = v["windows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["speech"] == true)
        .unwrap();
    assert!(speech_window["emotion"].is_string());

    // All silence: every window without speech.
    let t = r.predict_timeline(&pad, sr).unwrap();
    assert!(t.windows.iter().all(|w| !w.speech && w.label.is_none()));
}

#[test]
fn vad_config_is_validated_and_used() {
    let mut r = Recognizer::try_default().unwrap();
    assert_eq!(r.vad_config(), &VadConfig::default());
    let err = r
        .set_vad_config(VadConfig {
            max_flatness: 2.0,
            ..VadConfig::default()
        })
        .unwrap_err();
    assert!(matches!(err, Error::VadConfig { .. }), "{err:?}");
    assert_eq!(r.vad_config(), &VadConfig::default());
    // Asking for more speech than the clip holds turns a sentence into "no speech".
    r.set_vad_config(VadConfig {
        min_clip_speech_ms: 60_000.0,
        ..VadConfig::default()
    })
    .unwrap();
    let p = r.predict_file(fixture(NEUTRAL)).unwrap();
    assert!(!p.speech && p.label.is_none());
    // A clone keeps the configuration.
    let mut c = r.clone();
    assert_eq!(c.vad_config().min_clip_speech_ms, 60_000.0);
    assert!(!c.predict_file(fixture(NEUTRAL)).unwrap().speech);
}

#[test]
fn non_finite_samples_are_a_bad_input_naming_speech_detection() {
    let mut r = Recognizer::try_default().unwrap();
    let rate = r.sample_rate();
    let mut samples = vec![0.1f32; rate as usize];
    samples[3] = f32::INFINITY;
    let err = r.predict_samples(&samples, rate).unwrap_err();
    assert!(matches!(err, Error::Vad { .. }), "{err:?}");
    assert!(err.is_bad_input());
    assert_eq!(err.subject(), Some("<samples>"));
}
