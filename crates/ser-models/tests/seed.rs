//! The imported seed models against the numpy reference (tools/convert/reference.py) and the
//! parameter counts of the study.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ser_models::{param_count, Arch, Classifier, ModelError, SeedModel};

#[derive(serde::Deserialize)]
struct Clip {
    file: String,
    features: Vec<f32>,
    probs_a: Vec<f32>,
    probs_b: Vec<f32>,
    probs_c: Vec<f32>,
    probs_d: Vec<f32>,
    argmax_a: usize,
    argmax_b: usize,
    argmax_c: usize,
    argmax_d: usize,
}

#[derive(serde::Deserialize)]
struct Reference {
    labels: Vec<String>,
    clips: Vec<Clip>,
}

fn reference() -> Reference {
    serde_json::from_str(include_str!("data/seed_reference.json")).unwrap()
}

#[test]
fn parameter_counts_match_the_study() {
    let expected = [
        (Arch::A, 77_160),
        (Arch::B, 4_456),
        (Arch::C, 6_520),
        (Arch::D, 87_944),
    ];
    for (arch, n) in expected {
        assert_eq!(param_count(&arch.default_config()).unwrap(), n, "{arch:?}");
    }
}

#[test]
fn seed_models_match_numpy_reference() {
    let r = reference();
    assert_eq!(r.clips.len(), 12);
    for which in SeedModel::ALL {
        let model = Classifier::seed(which).unwrap();
        assert_eq!(model.labels().names(), r.labels);
        assert_eq!(model.labels(), &ser_models::LabelSet::study());
        let mut worst = 0f32;
        for clip in &r.clips {
            let (want, arg) = match which {
                SeedModel::A => (&clip.probs_a, clip.argmax_a),
                SeedModel::B => (&clip.probs_b, clip.argmax_b),
                SeedModel::C => (&clip.probs_c, clip.argmax_c),
                SeedModel::D => (&clip.probs_d, clip.argmax_d),
            };
            let got = model.predict(&clip.features).unwrap();
            assert_eq!(ser_models::argmax(&got), arg, "{which:?} {}", clip.file);
            for (g, w) in got.iter().zip(want) {
                worst = worst.max((g - w).abs());
                assert!(
                    (g - w).abs() < 1e-3,
                    "{which:?} {}: {got:?} vs {want:?}",
                    clip.file
                );
            }
        }
        eprintln!("seed {which:?}: max |p - p_ref| = {worst:e}");
    }
}

#[test]
fn seed_batch_equals_single() {
    let r = reference();
    let rows: Vec<f32> = r.clips.iter().flat_map(|c| c.features.clone()).collect();
    let x = ndarray::Array2::from_shape_vec((r.clips.len(), 40), rows).unwrap();
    for which in SeedModel::ALL {
        let model = Classifier::seed(which).unwrap();
        let batch = model.predict_batch(x.view()).unwrap();
        for (i, clip) in r.clips.iter().enumerate() {
            let single = model.predict(&clip.features).unwrap();
            for (j, p) in single.iter().enumerate() {
                assert!((batch[[i, j]] - p).abs() < 1e-5);
            }
        }
    }
}

#[test]
fn seed_feature_config_is_the_studys() {
    for which in SeedModel::ALL {
        let m = Classifier::seed(which).unwrap();
        assert_eq!(m.frontend(), &ser_mfcc::MfccConfig::librosa_0_6().into());
        assert!(m.meta().normalization.is_none());
        assert!(m
            .meta()
            .provenance
            .as_deref()
            .unwrap()
            .contains("CC BY-NC-SA 4.0"));
        assert_eq!(m.model_config().arch(), which.arch());
    }
}

#[test]
fn wrong_input_length_is_an_error() {
    let m = Classifier::seed(SeedModel::B).unwrap();
    assert!(matches!(
        m.predict(&[0.0; 39]),
        Err(ModelError::Shape {
            expected: 40,
            actual: 39,
            ..
        })
    ));
}

/// A checkpoint JSON as version 1 (no checksum) would have it, so the checks behind the
/// checksum (shapes, labels) are reached.
fn legacy_value(json: &[u8]) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_slice(json).unwrap();
    let obj = v.as_object_mut().unwrap();
    obj.remove("checksum");
    obj.insert("version".into(), 1.into());
    v
}

fn legacy(json: &[u8]) -> Vec<u8> {
    serde_json::to_vec(&legacy_value(json)).unwrap()
}

#[test]
fn mismatched_and_truncated_checkpoints_fail_clearly() {
    let (json_b, w_b) = SeedModel::B.files();
    let (json_c, w_c) = SeedModel::C.files();
    // With their checksums (version 2) any other weights are refused as such.
    let e = Classifier::from_bytes(json_b, w_c).unwrap_err();
    assert!(matches!(e, ModelError::ChecksumMismatch { .. }), "{e}");
    let e = Classifier::from_bytes(json_b, &w_b[..w_b.len() - 10]).unwrap_err();
    assert!(matches!(e, ModelError::ChecksumMismatch { .. }), "{e}");
    // Without (version 1), the checks behind it name the problem.
    let (json_b, json_c) = (&legacy(json_b)[..], &legacy(json_c)[..]);
    // B's config with C's weights: missing tensors / wrong shapes.
    let e = Classifier::from_bytes(json_b, w_c).unwrap_err();
    assert!(
        matches!(
            e,
            ModelError::TensorShape { .. } | ModelError::MissingTensor { .. }
        ),
        "{e}"
    );
    let e = Classifier::from_bytes(json_c, w_b).unwrap_err();
    assert!(
        matches!(
            e,
            ModelError::TensorShape { .. } | ModelError::MissingTensor { .. }
        ),
        "{e}"
    );
    // Truncated weights.
    let e = Classifier::from_bytes(json_b, &w_b[..w_b.len() - 10]).unwrap_err();
    assert!(matches!(e, ModelError::Weights { .. }), "{e}");
    let e = Classifier::from_bytes(json_b, &w_b[..5]).unwrap_err();
    assert!(matches!(e, ModelError::Weights { .. }), "{e}");
    // Truncated JSON.
    let e = Classifier::from_bytes(&json_b[..json_b.len() / 2], w_b).unwrap_err();
    assert!(matches!(e, ModelError::Json { .. }), "{e}");
    // A config with a different width: shape error naming the tensor.
    let mut v = legacy_value(SeedModel::D.files().0);
    v["model"]["filters"] = serde_json::json!(64);
    let e = Classifier::from_bytes(&serde_json::to_vec(&v).unwrap(), SeedModel::D.files().1)
        .unwrap_err();
    match e {
        ModelError::TensorShape {
            name,
            expected,
            actual,
        } => {
            assert_eq!(name, "conv0.bias");
            assert_eq!(expected, vec![64]);
            assert_eq!(actual, vec![128]);
        }
        other => panic!("{other}"),
    }
    // Labels that do not match the classes.
    let mut v = legacy_value(json_b);
    v["labels"] = serde_json::json!(["a", "b"]);
    let e = Classifier::from_bytes(&serde_json::to_vec(&v).unwrap(), w_b).unwrap_err();
    assert!(matches!(e, ModelError::Checkpoint { .. }), "{e}");
    // The same class twice (a synonym counts as its emotion).
    let names = [
        "neutral",
        "calm",
        "happy",
        "sad",
        "anger",
        "fearful",
        "angry",
        "surprised",
    ];
    v["labels"] = serde_json::json!(names);
    let e = Classifier::from_bytes(&serde_json::to_vec(&v).unwrap(), w_b).unwrap_err();
    assert!(matches!(e, ModelError::Json { .. }), "{e}");
}

#[test]
fn plain_rust_predict_equals_candle_network() {
    let r = reference();
    for which in SeedModel::ALL {
        let m = Classifier::seed(which).unwrap();
        for clip in &r.clips {
            let a = m.predict(&clip.features).unwrap();
            let b = m.predict_candle(&clip.features).unwrap();
            for (x, y) in a.iter().zip(&b) {
                assert!((x - y).abs() < 1e-5, "{which:?} {}: {a:?} {b:?}", clip.file);
            }
        }
    }
}

#[test]
fn with_n_classes_changes_only_the_output_layer() {
    for arch in [Arch::A, Arch::B, Arch::C, Arch::D] {
        let eight = arch.default_config();
        let three = eight.clone().with_n_classes(3);
        assert_eq!(three.n_classes(), 3);
        assert_eq!(three.input_len(), eight.input_len());
        assert_eq!(three.clone().with_n_classes(8), eight);
        three.validate().unwrap();
        assert!(eight.with_n_classes(1).validate().is_err());
    }
}
