#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! `ser::Recognizer` on the committed fixtures (tests/data; RAVDESS clips are CC BY-NC-SA 4.0,
//! see tests/data/README.md). No corpus needed.

mod common;

use ser::audio::{AudioError, LoadOptions};
use ser::{
    Emotion, Error, Label, LabelSet, ModelChoice, Prediction, Probabilities, Recognizer, SeedModel,
    TimelineConfig, TimelineWindow,
};

use common::{fixture, max_abs_diff};

const NEUTRAL: &str = "ravdess/03-01-01-01-01-01-01.wav"; // 158558 frames at 48 kHz
const HAPPY: &str = "ravdess/03-01-03-01-01-02-01.wav";
const SURPRISED: &str = "ravdess/03-01-08-01-01-01-01.wav";

/// A prediction's probabilities; every committed fixture is speech, so they are there.
fn probs(p: &Prediction) -> &Probabilities {
    assert!(p.speech, "a fixture clip is speech");
    p.probabilities.as_ref().expect("speech has probabilities")
}

/// A prediction's label (a fixture: speech).
fn label(p: &Prediction) -> &Label {
    p.label.as_ref().expect("speech has a label")
}

/// A timeline window's probabilities and label (a window of fixture speech).
fn window_result(w: &TimelineWindow) -> (&Probabilities, &Label) {
    assert!(w.speech, "{}..{} s is speech", w.start, w.end);
    (
        w.probabilities.as_ref().expect("speech has probabilities"),
        w.label.as_ref().expect("speech has a label"),
    )
}

/// Probabilities of the study's eight classes, in their order, that sum to 1.
fn assert_distribution(p: &Probabilities) {
    // the default model's seven shared emotions, or the study's eight
    let default = Recognizer::try_default().unwrap().labels().clone();
    assert!(
        p.labels() == &default || p.labels() == &LabelSet::study(),
        "{:?}",
        p.labels()
    );
    let p = p.values();
    assert!(
        p.iter().all(|x| x.is_finite() && (0.0..=1.0).contains(x)),
        "{p:?}"
    );
    let sum: f32 = p.iter().sum();
    assert!((sum - 1.0).abs() < 1e-4, "sum {sum}");
}

#[test]
fn predict_file_gives_a_distribution_and_its_argmax() {
    let mut r = Recognizer::try_default().unwrap();
    for clip in [NEUTRAL, HAPPY, SURPRISED, "savee/d02.wav", "savee/su02.wav"] {
        let p = r.predict_file(fixture(clip)).unwrap();
        assert_distribution(probs(&p));
        assert!(p.speech_seconds > 0.25 && p.speech_seconds <= p.duration + 0.01);
        let best = p.ranked()[0];
        assert_eq!(best.0, label(&p), "{clip}");
        assert_eq!(Some(best.1), p.confidence());
        let confidence = p.confidence().unwrap();
        assert!(probs(&p).values().iter().all(|&x| x <= confidence));
        assert_eq!(p.emotion(), label(&p).emotion());
        assert!(
            p.duration > 3.0 && p.duration < 5.0,
            "{clip}: {} s",
            p.duration
        );
        assert!(p.timings.total() > std::time::Duration::ZERO);
    }
    let p = r.predict_file(fixture(NEUTRAL)).unwrap();
    assert!(
        (p.duration - 158558.0 / 48000.0).abs() < 1e-3,
        "{}",
        p.duration
    );
}

#[test]
fn file_bytes_and_samples_agree() {
    let mut r = Recognizer::try_default().unwrap();
    let path = fixture(SURPRISED);
    let from_file = r.predict_file(&path).unwrap();

    let bytes = std::fs::read(&path).unwrap();
    let from_bytes = r.predict_bytes(&bytes, "upload.wav").unwrap();
    assert_eq!(from_file.probabilities, from_bytes.probabilities);

    // Samples already at the model's rate: no resampling, the same features.
    let audio = ser::audio::load(&path, &LoadOptions::with_rate(r.sample_rate())).unwrap();
    let from_samples = r
        .predict_samples(&audio.samples, audio.sample_rate)
        .unwrap();
    assert_eq!(from_file.probabilities, from_samples.probabilities);

    // Samples at the file's 48 kHz are resampled by predict_samples: the same answer up to
    // the difference between one-shot and file-loading resampling paths.
    let native = ser::audio::load(&path, &LoadOptions::native_rate()).unwrap();
    assert_eq!(native.sample_rate, 48000);
    let resampled = r.predict_samples(&native.samples, 48000).unwrap();
    assert_eq!(resampled.label, from_file.label);
    assert!(max_abs_diff(probs(&resampled).values(), probs(&from_file).values()) < 1e-2);
}

#[test]
fn lossless_flac_gives_the_same_prediction_as_the_wav() {
    let mut r = Recognizer::try_default().unwrap();
    let wav = r.predict_file(fixture(NEUTRAL)).unwrap();
    let flac = r
        .predict_file(fixture("formats/03-01-01-01-01-01-01.flac"))
        .unwrap();
    assert_eq!(wav.probabilities, flac.probabilities);
}

#[test]
fn lossy_formats_decode_and_stay_close() {
    let mut r = Recognizer::try_default().unwrap();
    let wav = r.predict_file(fixture(NEUTRAL)).unwrap();
    for f in ["mp3", "ogg", "m4a"] {
        let p = r
            .predict_file(fixture(&format!("formats/03-01-01-01-01-01-01.{f}")))
            .unwrap();
        assert_distribution(probs(&p));
        assert!(
            (p.duration - wav.duration).abs() < 0.05,
            "{f}: {} s",
            p.duration
        );
    }
}

#[test]
fn broken_files_are_errors_that_name_the_file() {
    let mut r = Recognizer::try_default().unwrap();
    for name in [
        "empty.wav",
        "garbage.wav",
        "text.txt",
        "truncated.wav",
        "zero_samples.wav",
    ] {
        let path = fixture(&format!("broken/{name}"));
        let err = r.predict_file(&path).unwrap_err();
        assert!(
            matches!(err, Error::Audio { .. } | Error::Empty { .. }),
            "{name}: {err:?}"
        );
        assert!(err.is_bad_input(), "{name}");
        assert!(err.to_string().contains(name), "{name}: {err}");
        assert_eq!(err.subject(), Some(path.display().to_string().as_str()));
    }
    let err = r.predict_file(fixture("no/such/file.wav")).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Audio {
                source: AudioError::NotFound { .. },
                ..
            }
        ),
        "{err:?}"
    );
    let err = r
        .predict_bytes(b"hello, not audio", "note.wav")
        .unwrap_err();
    assert!(err.to_string().contains("note.wav"), "{err}");
}

#[test]
fn bad_samples_are_rejected() {
    let mut r = Recognizer::try_default().unwrap();
    assert!(matches!(
        r.predict_samples(&[], 22050),
        Err(Error::Empty { .. })
    ));
    assert!(matches!(
        r.predict_samples(&[0.0; 100], 0),
        Err(Error::SampleRate { actual: 0, .. })
    ));
    // at the model's rate and at another one (through the resampler)
    for rate in [r.sample_rate(), 22050, 48000] {
        for bad in [f32::NAN, f32::INFINITY] {
            let mut noisy = vec![0.1f32; 22050];
            noisy[7] = bad;
            let err = r.predict_samples(&noisy, rate).unwrap_err();
            assert!(err.is_bad_input(), "{rate} Hz {bad}: {err:?}");
        }
    }
}

/// The three RAVDESS WAVs joined: about 10 s at the model's rate.
fn long_clip(r: &Recognizer) -> Vec<f32> {
    let opts = LoadOptions::with_rate(r.sample_rate());
    [NEUTRAL, HAPPY, SURPRISED]
        .iter()
        .flat_map(|c| ser::audio::load(fixture(c), &opts).unwrap().samples)
        .collect()
}

#[test]
fn timeline_windows_follow_the_config() {
    let mut r = Recognizer::try_default().unwrap();
    let sr = r.sample_rate();
    let samples = long_clip(&r);
    let n = samples.len();
    let t = r.predict_timeline(&samples, sr).unwrap();
    assert_eq!(t.config, TimelineConfig::default());
    let spans = ser::window_spans(n, 3 * sr as usize, sr as usize);
    assert_eq!(t.windows.len(), spans.len());
    assert!(t.windows.len() >= 8, "{}", t.windows.len());
    for (w, span) in t.windows.iter().zip(&spans) {
        assert!((w.start - span.start as f64 / sr as f64).abs() < 1e-9);
        assert!((w.end - w.start - 3.0).abs() < 1e-9);
        let (p, label) = window_result(w);
        assert_distribution(p);
        assert_eq!(label, &argmax(p));
    }
    assert!((t.windows.last().unwrap().end - n as f64 / sr as f64).abs() < 1e-9);
    assert!((t.duration - n as f64 / sr as f64).abs() < 1e-9);

    // Each window is classified exactly like the same samples on their own.
    let third = &spans[4];
    let alone = r.predict_samples(&samples[third.clone()], sr).unwrap();
    assert_eq!(t.windows[4].probabilities, alone.probabilities);
}

fn argmax(p: &Probabilities) -> Label {
    let v = p.values();
    let mut best = 0;
    for i in 1..v.len() {
        if v[i] > v[best] {
            best = i;
        }
    }
    p.labels().get(best).unwrap().clone()
}

#[test]
fn short_clip_timeline_is_one_window_equal_to_the_clip_prediction() {
    let mut r = Recognizer::try_default().unwrap();
    let clip = r.load_file(fixture(NEUTRAL)).unwrap();
    r.set_timeline_config(TimelineConfig {
        window: 5.0,
        hop: 1.0,
    })
    .unwrap();
    let t = r.timeline_clip(&clip).unwrap();
    assert_eq!(t.windows.len(), 1);
    assert_eq!(t.windows[0].start, 0.0);
    assert!((t.windows[0].end - clip.duration()).abs() < 1e-9);
    let whole = r.predict_clip(&clip).unwrap();
    assert_eq!(t.windows[0].probabilities, whole.probabilities);
    assert!(r
        .set_timeline_config(TimelineConfig {
            window: 3.0,
            hop: 0.0
        })
        .is_err());
}

#[test]
fn every_builtin_model_loads_and_predicts() {
    for choice in ModelChoice::BUILTIN {
        let mut r = Recognizer::from_choice(&choice).unwrap();
        assert_eq!(r.model(), &choice);
        let p = r.predict_file(fixture(HAPPY)).unwrap();
        assert_distribution(probs(&p));
    }
    let r = Recognizer::seed(SeedModel::B).unwrap();
    assert_eq!(r.model().to_string(), "seed-b");
}

#[test]
fn missing_checkpoint_dir_is_a_load_error_naming_it() {
    let err = Recognizer::from_dir("no/such/checkpoint").unwrap_err();
    assert!(matches!(err, Error::LoadModel { .. }), "{err:?}");
    assert!(err.to_string().contains("no/such/checkpoint"), "{err}");
}

#[test]
fn prediction_json_lists_every_label_in_order() {
    let mut r = Recognizer::seed(SeedModel::C).unwrap();
    let p = r.predict_file(fixture(NEUTRAL)).unwrap();
    let json = serde_json::to_string(&p).unwrap();
    let names: Vec<&str> = Emotion::STUDY.iter().map(|e| e.name()).collect();
    let mut last = 0;
    for name in &names {
        let at = json.find(&format!("\"{name}\":")).unwrap();
        assert!(at > last, "{name} out of order in {json}");
        last = at;
    }
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["speech"], true);
    assert_eq!(v["emotion"], label(&p).name());
    assert_eq!(v["labels"], serde_json::json!(names));
    for e in Emotion::STUDY {
        let q = v["probabilities"][e.name()].as_f64().unwrap();
        assert!((q - f64::from(p.probability(&Label::from(e)).unwrap())).abs() < 1e-6);
    }
}

/// A classifier with three classes of its own (Model B's layers with a 3-unit output, seeded
/// random weights): the facade predicts with its labels, in its order.
fn three_class_classifier() -> ser::models::Classifier {
    let labels = LabelSet::from_names(["frustrated", "neutral", "excited"]).unwrap();
    let model = ser::models::ModelConfig::B(ser::models::ModelBConfig {
        n_classes: 3,
        ..Default::default()
    });
    let features: ser::mfcc::FrontendSpec = ser::mfcc::MfccConfig::librosa_0_6().into();
    let trainer = ser::models::Trainer::new(
        model.clone(),
        ser::models::TrainConfig::default(),
        features.clone(),
        labels.clone(),
    )
    .unwrap();
    let weights = trainer.classifier().unwrap().weights().unwrap();
    let meta = ser::models::CheckpointMeta::new(model, features, labels);
    ser::models::Classifier::from_parts(meta, weights).unwrap()
}

#[test]
fn a_model_with_its_own_three_labels_predicts_through_the_facade() {
    let dir = std::path::PathBuf::from("three-class");
    let mut r =
        Recognizer::with_classifier(ModelChoice::Dir(dir.clone()), three_class_classifier())
            .unwrap();
    let expected = LabelSet::from_names(["frustrated", "neutral", "excited"]).unwrap();
    assert_eq!(r.labels(), &expected);
    let p = r.predict_file(fixture(HAPPY)).unwrap();
    assert_eq!(p.labels(), &expected);
    assert_eq!(probs(&p).values().len(), 3);
    let sum: f32 = probs(&p).values().iter().sum();
    assert!((sum - 1.0).abs() < 1e-4, "sum {sum}");
    assert!(expected.contains(label(&p)));
    assert_eq!(p.ranked().len(), 3);
    assert_eq!(p.ranked()[0], (label(&p), p.confidence().unwrap()));
    assert_eq!(p.probability(&Label::from(Emotion::Happy)), None);
    let frustrated = Label::parse("frustrated").unwrap();
    assert_eq!(p.probability(&frustrated), Some(probs(&p).values()[0]));

    let v = serde_json::to_value(&p).unwrap();
    assert_eq!(
        v["labels"],
        serde_json::json!(["frustrated", "neutral", "excited"])
    );
    let keys: Vec<&String> = v["probabilities"].as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 3);
    assert_eq!(v["emotion"], label(&p).name());

    // Timelines carry the same labels, one probability per label per window.
    let clip = r.load_file(fixture(NEUTRAL)).unwrap();
    let t = r.timeline_clip(&clip).unwrap();
    assert_eq!(*t.labels, expected);
    for w in &t.windows {
        let (p, label) = window_result(w);
        assert_eq!(p.labels(), &expected);
        assert_eq!(label, &argmax(p));
    }
    let tv = serde_json::to_value(&t).unwrap();
    assert_eq!(tv["labels"], v["labels"]);
}
