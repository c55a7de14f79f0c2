//! Streaming timelines ([`ser::stream`]): the two-pass file timeline equals the whole-file one,
//! and the pushed stream equals classifying each window of the whole signal on its own.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use ser::{Recognizer, TimelineConfig, TimelineWindow};

mod common;

const RAVDESS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/ravdess");

/// The RAVDESS fixtures at 48 kHz, one after the other with 0.7 s of quiet noise between
/// (about 16 s: long enough to adapt to its own speaker), written to a WAV in `dir`.
fn long_recording(dir: &Path) -> (PathBuf, Vec<f32>) {
    let mut x = Vec::new();
    let mut seed = 12345u32;
    let mut files = ser::audio::discover::audio_files(RAVDESS).unwrap();
    files.sort();
    for file in files {
        let audio = ser::audio::load(&file, &ser::audio::LoadOptions::with_rate(48000)).unwrap();
        x.extend_from_slice(&audio.samples);
        x.extend((0..33_600).map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            (seed as f32 / u32::MAX as f32 - 0.5) * 1e-3
        }));
    }
    let path = dir.join("long.wav");
    let x64: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
    std::fs::write(&path, common::wav_mono(common::Enc::F32, 48000, &x64)).unwrap();
    (path, x)
}

fn assert_windows_close(a: &[TimelineWindow], b: &[TimelineWindow], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: window count");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!((x.start - y.start).abs() < 1e-9, "{what} {i}: start");
        assert!((x.end - y.end).abs() < 1e-9, "{what} {i}: end");
        assert_eq!(x.speech, y.speech, "{what} {i}: speech");
        assert!(
            (x.speech_seconds - y.speech_seconds).abs() < 1e-9,
            "{what} {i}"
        );
        assert_eq!(x.label, y.label, "{what} {i}: label");
        match (&x.probabilities, &y.probabilities) {
            (Some(p), Some(q)) => {
                for (u, v) in p.values().iter().zip(q.values()) {
                    assert!((u - v).abs() < 1e-5, "{what} {i}: {u} vs {v}");
                }
            }
            (None, None) => {}
            _ => panic!("{what} {i}: probabilities present in one only"),
        }
    }
}

#[test]
fn file_timeline_equals_the_whole_file_timeline() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = long_recording(dir.path());
    let mut r = Recognizer::try_default().unwrap();
    // The default 3 s / 1 s, and a window and hop that no block size divides.
    for cfg in [
        TimelineConfig::default(),
        TimelineConfig {
            window: 2.37,
            hop: 0.91,
        },
    ] {
        r.set_timeline_config(cfg).unwrap();
        for adapt in [false, true] {
            // Whole file: decoded at once, then adapted and windowed as `predict` did.
            let clip = r.load_file(&path).unwrap();
            let adapted = adapt && r.adapt_to_recording_if_long(&clip);
            let whole_adaptation = r.adaptation().cloned();
            let whole = r.timeline_clip(&clip).unwrap();
            r.clear_adaptation();
            assert_eq!(adapted, adapt, "the recording is long enough to adapt to");

            let streamed = r.timeline_file(&path, adapt).unwrap();
            assert_eq!(streamed.adapted, adapted);
            assert_eq!(r.adaptation().cloned(), whole_adaptation);
            r.clear_adaptation();
            let what = format!("{cfg:?} adapt {adapt}");
            assert!((streamed.timeline.duration - whole.duration).abs() < 1e-9);
            assert_eq!(streamed.timeline.config, whole.config);
            assert!(
                whole.windows.iter().filter(|w| w.speech).count() >= 8,
                "{what}"
            );
            assert!(whole.windows.iter().any(|w| !w.speech), "{what}");
            assert_windows_close(&streamed.timeline.windows, &whole.windows, &what);
            let decision = r.detect_speech(&clip).unwrap();
            assert_eq!(streamed.speech, decision.speech);
            assert_eq!(streamed.speech_seconds, decision.speech_seconds);
            let summary = streamed.summary();
            assert!(summary.speech && summary.label.is_some());
        }
    }
}

#[test]
fn pushed_stream_classifies_each_window_on_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let (_, x48) = long_recording(dir.path());
    let x = &x48[..x48.len() / 2]; // about 8 s: enough windows, a short test
    let mut r = Recognizer::try_default().unwrap();
    let rate = r.sample_rate();
    // What the stream must give: the whole signal resampled at once, cut into the windows of
    // `window_spans`, each judged and classified on its own.
    let clip = r.clip_from_samples(x, 48000, "whole").unwrap();
    let (window, hop) = r.timeline_config().in_samples(rate).unwrap();
    let mut expected = Vec::new();
    for span in ser::window_spans(clip.samples.len(), window, hop) {
        let p = r
            .predict_samples(&clip.samples[span.clone()], rate)
            .unwrap();
        expected.push(TimelineWindow {
            start: span.start as f64 / f64::from(rate),
            end: span.end as f64 / f64::from(rate),
            speech: p.speech,
            speech_seconds: p.speech_seconds,
            label: p.label,
            probabilities: p.probabilities,
        });
    }
    assert!(expected.iter().any(|w| w.speech) && expected.iter().any(|w| !w.speech));

    for block in [1237, 48000, 100_000] {
        let mut stream = r.timeline_stream(48000).unwrap();
        let mut got = Vec::new();
        for b in x.chunks(block) {
            let before = got.len();
            got.extend(stream.push(b).unwrap());
            // Windows come out in order, as soon as they are complete.
            assert!(got[before..].windows(2).all(|w| w[0].start < w[1].start));
        }
        let end = stream.finish().unwrap();
        assert!((end.duration - clip.duration()).abs() < 1e-9);
        got.extend(end.windows);
        assert_windows_close(&got, &expected, &format!("blocks of {block}"));
    }
    // Nothing pushed: an error, as for an empty clip.
    let stream = r.timeline_stream(rate).unwrap();
    assert!(matches!(stream.finish(), Err(ser::Error::Empty { .. })));
    assert!(matches!(
        r.timeline_stream(0),
        Err(ser::Error::SampleRate { .. })
    ));
}
