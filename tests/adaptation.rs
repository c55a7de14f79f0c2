//! Speaker adaptation through the facade: a statistics model with a speaker-adapted variant
//! in `adapted/`, `Recognizer::adapt` / `adapt_to_recording`, and the checkpoint's frontend
//! travelling with the model.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "common/mod.rs"]
mod common;

use common::fixture;
use ser::mfcc::{FrontendSpec, SpeechStatsConfig};
use ser::models::{CheckpointMeta, Classifier, MlpConfig, ModelConfig, Normalization, Trainer};
use ser::{Error, LabelSet, ModelChoice, Recognizer, SeedModel, ADAPTED_DIR};

const CLIPS: [&str; 4] = [
    "ravdess/03-01-01-01-01-01-01.wav",
    "ravdess/03-01-02-01-01-02-01.flac",
    "ravdess/03-01-03-01-01-02-01.wav",
    "ravdess/03-01-08-01-01-01-01.wav",
];

fn spec() -> FrontendSpec {
    FrontendSpec::SpeechStats(SpeechStatsConfig::default())
}

/// A randomly initialised statistics MLP (seeded), `speaker_standardized` as given.
fn stats_model(seed: u64, speaker_standardized: bool) -> Classifier {
    let labels = LabelSet::study();
    let model = ModelConfig::Mlp(MlpConfig {
        input_len: spec().output_dim(),
        n_classes: labels.len(),
        ..MlpConfig::default()
    });
    let cfg = ser::models::TrainConfig {
        seed,
        ..Default::default()
    };
    let t = Trainer::new(model.clone(), cfg, spec(), labels.clone()).unwrap();
    let mut meta = CheckpointMeta::new(model, spec(), labels);
    meta.speaker_standardized = speaker_standardized;
    Classifier::from_parts(meta, t.classifier().unwrap().weights().unwrap()).unwrap()
}

fn model_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    stats_model(1, false).save(dir.path()).unwrap();
    stats_model(2, true)
        .save(dir.path().join(ADAPTED_DIR))
        .unwrap();
    dir
}

#[test]
fn the_frontend_travels_with_the_checkpoint() {
    let dir = model_dir();
    let json = std::fs::read_to_string(dir.path().join("model.json")).unwrap();
    assert!(json.contains("\"kind\": \"speech_stats\""), "{json}");
    let r = Recognizer::from_dir(dir.path()).unwrap();
    assert_eq!(r.frontend(), &spec());
    assert_eq!(r.sample_rate(), 16000);
    let mut r = r;
    let clip = r.load_file(fixture(CLIPS[0])).unwrap();
    assert_eq!(clip.sample_rate, 16000);
    assert_eq!(r.features(&clip).unwrap().len(), 295);
    // The study's models keep their whole-clip mean MFCC at 22050 Hz.
    let seed = Recognizer::seed(SeedModel::B).unwrap();
    assert!(matches!(seed.frontend(), FrontendSpec::MeanMfcc(_)));
    assert_eq!(seed.sample_rate(), 22050);
    assert!(!seed.can_adapt());
}

#[test]
fn adapting_standardises_by_the_speakers_clips_and_uses_the_adapted_variant() {
    let dir = model_dir();
    let mut r = Recognizer::from_dir(dir.path()).unwrap();
    assert!(r.can_adapt());
    let clips: Vec<_> = CLIPS
        .iter()
        .map(|c| r.load_file(fixture(c)).unwrap())
        .collect();
    let before = r.predict_clip(&clips[2]).unwrap();
    let plain = stats_model(1, false);
    let f: Vec<Vec<f32>> = clips.iter().map(|c| r.features(c).unwrap()).collect();
    assert_eq!(
        before.probabilities.as_ref().unwrap().values(),
        plain.predict(&f[2]).unwrap()
    );

    let a = r.adapt(&clips).unwrap().clone();
    assert_eq!(a.n, 4);
    let x = ndarray::Array2::from_shape_fn((4, f[0].len()), |(i, j)| f[i][j]);
    assert_eq!(a.normalization, Normalization::fit(x.view()));
    let after = r.predict_clip(&clips[2]).unwrap();
    let mut z = f[2].clone();
    a.normalization.apply(&mut z);
    let adapted = stats_model(2, true);
    let want = adapted.predict(&z).unwrap();
    for (g, w) in after
        .probabilities
        .as_ref()
        .unwrap()
        .values()
        .iter()
        .zip(&want)
    {
        assert!((g - w).abs() < 1e-6, "{g} vs {w}");
    }
    assert_ne!(
        after.probabilities.as_ref().unwrap().values(),
        before.probabilities.as_ref().unwrap().values()
    );

    r.clear_adaptation();
    assert!(r.adaptation().is_none());
    assert_eq!(
        r.predict_clip(&clips[2])
            .unwrap()
            .probabilities
            .as_ref()
            .unwrap()
            .values(),
        before.probabilities.as_ref().unwrap().values()
    );
    r.set_adaptation(Some(a.clone())).unwrap();
    assert_eq!(r.adaptation(), Some(&a));
}

#[test]
fn adaptation_needs_speech_and_an_adapted_variant() {
    let dir = model_dir();
    let mut r = Recognizer::from_dir(dir.path()).unwrap();
    let one = r.load_file(fixture(CLIPS[0])).unwrap();
    let silence = r
        .clip_from_samples(&[0.0; 32000], 16000, "silence")
        .unwrap();
    match r.adapt(&[one.clone(), silence]) {
        Err(Error::AdaptationData {
            needed: 2,
            actual: 1,
            ..
        }) => {}
        other => panic!("expected AdaptationData, got {other:?}"),
    }
    // A long recording adapts to its own windows (3 s every 1 s).
    let mut long = one.clone();
    for c in &CLIPS[1..] {
        long.samples
            .extend(r.load_file(fixture(c)).unwrap().samples);
    }
    let a = r.adapt_to_recording(&long).unwrap();
    assert!(a.n >= 8, "{}", a.n);

    let mut seed = Recognizer::seed(SeedModel::C).unwrap();
    let clip = seed.load_file(fixture(CLIPS[0])).unwrap();
    assert!(matches!(
        seed.adapt(&[clip.clone(), clip]),
        Err(Error::NotAdaptable { .. })
    ));
    // A variant that is not speaker-standardised is refused.
    let mut r = Recognizer::with_classifier(
        ModelChoice::Dir(dir.path().to_path_buf()),
        stats_model(1, false),
    )
    .unwrap();
    assert!(matches!(
        r.set_adapted_classifier(stats_model(3, false)),
        Err(Error::AdaptedModelMismatch { .. })
    ));
    assert!(!r.can_adapt());
}
