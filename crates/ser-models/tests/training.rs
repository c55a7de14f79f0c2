//! Training: reproducibility, resume, early stopping, learning, checkpoints.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ndarray::Array2;
use ser_models::{
    Arch, Classifier, Dataset, EarlyStopping, LabelSet, LrSchedule, ModelConfig, OptimizerConfig,
    TrainConfig, Trainer,
};

fn labels() -> LabelSet {
    LabelSet::study()
}

/// Separable synthetic data: class c has a bump at coefficient 5c, plus seeded noise, offset like
/// MFCC means (large first coefficient).
fn synthetic(n: usize, seed: u64) -> Dataset {
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut next = || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((s >> 33) as f64 / (1u64 << 31) as f64) as f32 - 0.5
    };
    let mut x = Array2::zeros((n, 40));
    let mut y = Vec::with_capacity(n);
    for i in 0..n {
        let c = i % 8;
        for j in 0..40 {
            x[[i, j]] = 4.0 * next()
                + if j / 5 == c { 6.0 } else { 0.0 }
                + if j == 0 { -300.0 } else { 0.0 };
        }
        y.push(c);
    }
    Dataset::new(x, y, 8).unwrap()
}

fn trainer(arch: Arch, cfg: TrainConfig) -> Trainer {
    Trainer::new(
        arch.default_config(),
        cfg,
        ser_mfcc::MfccConfig::librosa_0_6().into(),
        labels(),
    )
    .unwrap()
}

#[test]
fn same_seed_same_weights_and_history_bit_for_bit() {
    let data = synthetic(64, 1);
    let val = synthetic(16, 2);
    for arch in Arch::ALL {
        let cfg = TrainConfig {
            epochs: 2,
            batch_size: 8,
            seed: 7,
            ..TrainConfig::default()
        };
        let run = || {
            let mut t = trainer(arch, cfg.clone());
            t.fit(&data, Some(&val), "synthetic", &mut |_| {}).unwrap();
            let c = t.classifier().unwrap();
            let mut w: Vec<(String, Vec<f32>)> = c
                .weights()
                .unwrap()
                .into_iter()
                .map(|(k, v)| (k, v.flatten_all().unwrap().to_vec1().unwrap()))
                .collect();
            w.sort_by(|a, b| a.0.cmp(&b.0));
            (w, t.record().history.clone())
        };
        let (w1, h1) = run();
        let (w2, h2) = run();
        assert_eq!(h1.len(), 2);
        for (a, b) in h1.iter().zip(&h2) {
            assert_eq!(a.train_loss.to_bits(), b.train_loss.to_bits(), "{arch:?}");
            assert_eq!(a.val_loss.map(f64::to_bits), b.val_loss.map(f64::to_bits));
        }
        for ((na, a), (nb, b)) in w1.iter().zip(&w2) {
            assert_eq!(na, nb);
            assert!(
                a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits()),
                "{arch:?} {na}"
            );
        }
        // A different seed gives different weights.
        let mut t = trainer(
            arch,
            TrainConfig {
                seed: 8,
                ..cfg.clone()
            },
        );
        t.fit(&data, Some(&val), "synthetic", &mut |_| {}).unwrap();
        assert_ne!(
            t.record().history[0].train_loss.to_bits(),
            h1[0].train_loss.to_bits()
        );
    }
}

#[test]
fn every_architecture_learns_separable_data() {
    let data = synthetic(256, 3);
    let val = synthetic(64, 4);
    for arch in Arch::ALL {
        let optimizer = match arch {
            Arch::D => OptimizerConfig::rmsprop(1e-3),
            _ => OptimizerConfig::adam(),
        };
        let cfg = TrainConfig {
            epochs: 25,
            batch_size: 16,
            seed: 1,
            optimizer,
            standardize: true,
            ..TrainConfig::default()
        };
        let mut t = trainer(arch, cfg);
        let mut seen = 0;
        t.fit(&data, Some(&val), "synthetic", &mut |_| seen += 1)
            .unwrap();
        assert_eq!(seen, 25);
        let last = t.record().history.last().unwrap();
        assert!(last.val_accuracy.unwrap() > 0.9, "{arch:?}: {last:?}");
        assert!(last.train_loss < t.record().history[0].train_loss);
        // The classifier applies the stored normalisation to raw features.
        let c = t.classifier().unwrap();
        assert!(c.meta().normalization.is_some());
        let pred = ser_models::predict_classes(&c, val.features()).unwrap();
        let acc = pred
            .iter()
            .zip(val.labels())
            .filter(|(p, y)| p == y)
            .count() as f64
            / val.len() as f64;
        assert!(
            (acc - last.val_accuracy.unwrap()).abs() < 1e-9,
            "{arch:?} {acc}"
        );
    }
}

#[test]
fn batch_size_one_works() {
    let data = synthetic(16, 5);
    let mut t = trainer(
        Arch::B,
        TrainConfig {
            epochs: 1,
            batch_size: 1,
            ..TrainConfig::default()
        },
    );
    t.fit(&data, None, "synthetic", &mut |_| {}).unwrap();
    assert_eq!(t.record().optimizer_steps, 16);
    assert!(t.record().history[0].val_loss.is_none());
}

#[test]
fn resume_gives_the_uninterrupted_result() {
    let data = synthetic(48, 6);
    let val = synthetic(16, 7);
    for arch in [Arch::A, Arch::C] {
        let cfg = TrainConfig {
            epochs: 4,
            batch_size: 8,
            seed: 3,
            standardize: true,
            lr_schedule: LrSchedule::Cosine { min_lr: 1e-4 },
            early_stopping: Some(EarlyStopping {
                patience: 10,
                ..EarlyStopping::default()
            }),
            ..TrainConfig::default()
        };
        let mut full = trainer(arch, cfg.clone());
        full.fit(&data, Some(&val), "synthetic", &mut |_| {})
            .unwrap();

        let dir2 = tempfile::tempdir().unwrap();
        let mut prefix = trainer(
            arch,
            TrainConfig {
                epochs: 4,
                ..cfg.clone()
            },
        )
        .with_checkpoint_dir(dir2.path());
        let mut stop_after = 0;
        // Emulate a crash after epoch 2: the checkpoint of epoch 2 is written after its callback,
        // so copy it away in the callback of epoch 3.
        let snap = tempfile::tempdir().unwrap();
        prefix
            .fit(&data, Some(&val), "synthetic", &mut |r| {
                stop_after = r.epoch;
                if r.epoch == 3 {
                    for f in ["model.json", "model.safetensors", "train_state.safetensors"] {
                        std::fs::copy(dir2.path().join(f), snap.path().join(f)).unwrap();
                    }
                }
            })
            .unwrap();
        assert_eq!(stop_after, 4);
        let mut resumed = Trainer::resume(snap.path()).unwrap();
        assert_eq!(resumed.record().history.len(), 2);
        resumed
            .fit(&data, Some(&val), "synthetic", &mut |_| {})
            .unwrap();
        let strip = |t: &Trainer| {
            t.record()
                .history
                .iter()
                .map(|r| {
                    (
                        r.epoch,
                        r.train_loss.to_bits(),
                        r.train_accuracy.to_bits(),
                        r.val_loss.map(f64::to_bits),
                        r.lr.to_bits(),
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(strip(&resumed), strip(&full), "{arch:?}");
        let a = full.classifier().unwrap().weights().unwrap();
        let b = resumed.classifier().unwrap().weights().unwrap();
        for (k, v) in &a {
            let x: Vec<f32> = v.flatten_all().unwrap().to_vec1().unwrap();
            let y: Vec<f32> = b[k].flatten_all().unwrap().to_vec1().unwrap();
            assert!(
                x.iter().zip(&y).all(|(p, q)| p.to_bits() == q.to_bits()),
                "{arch:?} {k}"
            );
        }
        // Resuming with other data is refused.
        let mut again = Trainer::resume(snap.path()).unwrap();
        assert!(again
            .fit(&synthetic(48, 99), Some(&val), "other", &mut |_| {})
            .is_err());
    }
}

#[test]
fn early_stopping_stops_and_restores_best() {
    let data = synthetic(64, 8);
    // Validation labels shuffled: the validation loss soon rises.
    let (x, mut y) = synthetic(32, 9).into_parts();
    y.rotate_left(3);
    let val = Dataset::new(x, y, 8).unwrap();
    let cfg = TrainConfig {
        epochs: 60,
        batch_size: 8,
        early_stopping: Some(EarlyStopping {
            patience: 3,
            min_delta: 0.0,
            restore_best: true,
        }),
        ..TrainConfig::default()
    };
    let mut t = trainer(Arch::B, cfg);
    t.fit(&data, Some(&val), "synthetic", &mut |_| {}).unwrap();
    let r = t.record().clone();
    assert!(r.stopped_early && r.finished);
    assert!(r.history.len() < 60);
    let best = r.best_epoch.unwrap();
    assert_eq!(r.history.len(), best + 3);
    // The restored weights give the best epoch's validation loss.
    let c = t.classifier().unwrap();
    let p = c.predict_batch(val.features()).unwrap();
    let loss: f64 = val
        .labels()
        .iter()
        .enumerate()
        .map(|(i, &y)| -(f64::from(p[[i, y]])).ln())
        .sum::<f64>()
        / 32.0;
    assert!(
        (loss - r.best_val_loss.unwrap()).abs() < 1e-4,
        "{loss} vs {:?}",
        r.best_val_loss
    );
}

#[test]
fn checkpoint_round_trip_and_atomic_files() {
    let data = synthetic(32, 10);
    let mut t = trainer(
        Arch::D,
        TrainConfig {
            epochs: 1,
            batch_size: 8,
            standardize: true,
            ..TrainConfig::default()
        },
    );
    t.fit(&data, None, "synthetic for the round trip", &mut |_| {})
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    t.save(dir.path()).unwrap();
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.contains(".tmp")), "{names:?}");
    let loaded = Classifier::from_dir(dir.path()).unwrap();
    let orig = t.classifier().unwrap();
    let x = data.features().row(3).to_vec();
    assert_eq!(loaded.predict(&x).unwrap(), orig.predict(&x).unwrap());
    // The plain-Rust single-vector path equals the candle network (with normalisation).
    for (a, b) in loaded
        .predict(&x)
        .unwrap()
        .iter()
        .zip(loaded.predict_candle(&x).unwrap())
    {
        assert!((a - b).abs() < 1e-5);
    }
    let rec = loaded.meta().training.as_ref().unwrap();
    assert_eq!(rec.data.description, "synthetic for the round trip");
    assert_eq!(rec.data.n_train, 32);
    assert_eq!(loaded.meta().normalization, orig.meta().normalization);
    assert!(matches!(loaded.model_config(), ModelConfig::D(_)));
    // Truncated weight file on disk: the checksum in model.json catches it.
    let w = std::fs::read(dir.path().join("model.safetensors")).unwrap();
    std::fs::write(dir.path().join("model.safetensors"), &w[..w.len() / 2]).unwrap();
    assert!(matches!(
        Classifier::from_dir(dir.path()),
        Err(ser_models::ModelError::ChecksumMismatch { .. })
    ));
    // Missing directory.
    assert!(matches!(
        Classifier::from_dir(dir.path().join("nope")),
        Err(ser_models::ModelError::Io { .. })
    ));
}

#[test]
fn invalid_training_input_is_an_error() {
    let mut t = trainer(
        Arch::B,
        TrainConfig {
            epochs: 1,
            ..TrainConfig::default()
        },
    );
    // Label range, row count and finiteness are checked once, by the constructor.
    assert!(matches!(
        Dataset::new(Array2::zeros((4, 40)), vec![0, 1, 2, 8], 8),
        Err(ser_models::ModelError::Label {
            row: 3,
            label: 8,
            n_classes: 8,
        })
    ));
    assert!(Dataset::new(Array2::zeros((4, 40)), vec![0; 3], 8).is_err());
    let mut nan = Array2::zeros((4, 40));
    nan[[2, 5]] = f32::NAN;
    assert!(matches!(
        Dataset::new(nan, vec![0; 4], 8),
        Err(ser_models::ModelError::NonFiniteFeature {
            row: 2,
            column: 5,
            ..
        })
    ));
    // fit checks that the data fits the model: feature width and number of classes.
    let narrow = Dataset::new(Array2::zeros((4, 39)), vec![0; 4], 8).unwrap();
    assert!(t.fit(&narrow, None, "", &mut |_| {}).is_err());
    let nine = Dataset::new(Array2::zeros((4, 40)), vec![0, 1, 2, 8], 9).unwrap();
    assert!(matches!(
        t.fit(&nine, None, "", &mut |_| {}),
        Err(ser_models::ModelError::Shape {
            expected: 8,
            actual: 9,
            ..
        })
    ));
    let es = TrainConfig {
        early_stopping: Some(EarlyStopping::default()),
        ..TrainConfig::default()
    };
    let mut t = trainer(Arch::B, es);
    assert!(t.fit(&synthetic(8, 1), None, "", &mut |_| {}).is_err());
    assert!(Trainer::new(
        Arch::B.default_config(),
        TrainConfig {
            batch_size: 0,
            ..TrainConfig::default()
        },
        ser_mfcc::MfccConfig::librosa_0_6().into(),
        labels()
    )
    .is_err());
}

/// Time per epoch of each model on 1152 vectors (the study's training size for our 6-fold CV),
/// at batch 32 and batch 1. Run with `cargo test -p ser-models --release --test training -- --ignored --nocapture`.
#[test]
#[ignore]
fn epoch_timing() {
    let data = synthetic(1152, 11);
    let only = std::env::var("SER_TIMING_ARCH").ok();
    for arch in Arch::ALL {
        if only.as_deref().is_some_and(|o| o != arch.letter()) {
            continue;
        }
        for bs in [32usize, 1] {
            let epochs = if bs == 1 { 1 } else { 3 };
            let mut t = trainer(
                arch,
                TrainConfig {
                    epochs,
                    batch_size: bs,
                    optimizer: OptimizerConfig::study(arch),
                    ..TrainConfig::default()
                },
            );
            let start = std::time::Instant::now();
            t.fit(&data, None, "timing", &mut |_| {}).unwrap();
            let per = start.elapsed().as_secs_f64() / epochs as f64;
            println!("model {arch}: batch {bs:>2}: {per:.3} s/epoch (1152 vectors)");
        }
    }
}

#[test]
fn any_label_set_trains_saves_and_loads_by_name() {
    // Three classes with names the study never had: the checkpoint keeps them in order.
    let labels = LabelSet::from_names(["frustrated", "Anger", "neutral"]).unwrap();
    let model = ModelConfig::B(ser_models::ModelBConfig {
        n_classes: 3,
        ..Default::default()
    });
    let cfg = TrainConfig {
        epochs: 1,
        batch_size: 8,
        ..TrainConfig::default()
    };
    let mut t = Trainer::new(
        model.clone(),
        cfg.clone(),
        ser_mfcc::MfccConfig::librosa_0_6().into(),
        labels.clone(),
    )
    .unwrap();
    let data = synthetic(24, 5);
    let three = Dataset::new(
        data.features().to_owned(),
        data.labels().iter().map(|l| l % 3).collect(),
        3,
    )
    .unwrap();
    t.fit(&three, None, "three classes", &mut |_| {}).unwrap();
    let dir = tempfile::tempdir().unwrap();
    t.save(dir.path()).unwrap();
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("model.json")).unwrap()).unwrap();
    assert_eq!(
        json["labels"],
        serde_json::json!(["frustrated", "angry", "neutral"])
    );
    let loaded = Classifier::from_dir(dir.path()).unwrap();
    assert_eq!(loaded.labels(), &labels);
    assert_eq!(loaded.predict(&[0.0; 40]).unwrap().len(), 3);
    // Labels that do not fit the model's classes are rejected up front.
    assert!(Trainer::new(
        model,
        cfg,
        ser_mfcc::MfccConfig::librosa_0_6().into(),
        LabelSet::study()
    )
    .is_err());
}

#[test]
fn from_classifier_starts_from_its_weights() {
    let start = Classifier::seed(ser_models::SeedModel::B).unwrap();
    let t = Trainer::from_classifier(&start, TrainConfig::default()).unwrap();
    let same = t.classifier().unwrap();
    assert_eq!(same.labels(), start.labels());
    assert_eq!(same.meta().normalization, start.meta().normalization);
    let x: Vec<f32> = (0..40).map(|i| -20.0 + i as f32).collect();
    assert_eq!(same.predict(&x).unwrap(), start.predict(&x).unwrap());
    // A fresh trainer with the same seed does not reproduce the trained weights.
    let fresh = trainer(Arch::B, TrainConfig::default())
        .classifier()
        .unwrap();
    assert_ne!(fresh.predict(&x).unwrap(), start.predict(&x).unwrap());
}

/// An MLP over the 40-value synthetic data, trained briefly with `seed`.
fn mlp_member(seed: u64, data: &Dataset) -> Classifier {
    let model = ModelConfig::Mlp(ser_models::MlpConfig {
        input_len: 40,
        n_classes: 8,
        hidden: vec![16],
        ..Default::default()
    });
    let cfg = TrainConfig {
        epochs: 3,
        batch_size: 16,
        seed,
        standardize: true,
        ..TrainConfig::default()
    };
    let mut t = Trainer::new(
        model,
        cfg,
        ser_mfcc::MfccConfig::librosa_0_6().into(),
        labels(),
    )
    .unwrap();
    t.fit(data, None, "synthetic", &mut |_| {}).unwrap();
    t.classifier().unwrap()
}

#[test]
fn an_ensemble_averages_its_members_probabilities() {
    let data = synthetic(64, 5);
    let test = synthetic(16, 6);
    let members: Vec<Classifier> = (1..=3).map(|s| mlp_member(s, &data)).collect();
    ensemble_matches_mean(&members, &test);
}

#[test]
fn an_ensemble_of_members_with_their_own_normalisations_averages_them() {
    // Trained on different rows, so each member standardises its inputs differently; the
    // ensemble keeps member 0's normalisation and folds the others' into their first layer.
    let test = synthetic(16, 6);
    let members: Vec<Classifier> = (1..=3)
        .map(|s| mlp_member(s, &synthetic(48 + 8 * s as usize, 10 + s)))
        .collect();
    let norms: Vec<_> = members
        .iter()
        .map(|m| m.meta().normalization.clone())
        .collect();
    assert!(norms[0].is_some() && norms[0] != norms[1] && norms[1] != norms[2]);
    ensemble_matches_mean(&members, &test);
}

/// The ensemble of `members`, saved and loaded, predicts the mean of their probabilities on
/// every row of `test`, on all three prediction paths.
fn ensemble_matches_mean(members: &[Classifier], test: &Dataset) {
    let ens = Classifier::ensemble(members).unwrap();
    let ModelConfig::Mlp(m) = ens.model_config() else {
        panic!("not an MLP")
    };
    assert_eq!(m.members, 3);
    assert_eq!(ens.meta().member_training.len(), 3);
    assert!(ens.meta().training.is_none());
    let dir = tempfile::tempdir().unwrap();
    ens.save(dir.path()).unwrap();
    let loaded = Classifier::from_dir(dir.path()).unwrap();
    let batch = loaded.predict_batch(test.features()).unwrap();
    for (r, row) in test.features().rows().into_iter().enumerate() {
        let x = row.to_vec();
        let mut mean = [0f32; 8];
        for c in members {
            for (acc, p) in mean.iter_mut().zip(c.predict(&x).unwrap()) {
                *acc += p / members.len() as f32;
            }
        }
        // Members differ, so the mean differs from each member: the average is really taken.
        assert!(members
            .iter()
            .all(|c| c.predict(&x).unwrap() != mean.to_vec()));
        for (k, p) in [
            loaded.predict(&x).unwrap(),
            loaded.predict_candle(&x).unwrap(),
            batch.row(r).to_vec(),
        ]
        .into_iter()
        .enumerate()
        {
            for (a, b) in p.iter().zip(&mean) {
                assert!((a - b).abs() < 1e-5, "path {k} row {r}: {p:?} vs {mean:?}");
            }
        }
    }
}

#[test]
fn an_ensemble_refuses_mismatched_members() {
    let data = synthetic(64, 5);
    let test = synthetic(16, 6);
    let members: Vec<Classifier> = (1..=3).map(|s| mlp_member(s, &data)).collect();
    let ens = Classifier::ensemble(&members).unwrap();
    // One member is that member; an empty list, a different shape or an ensemble of
    // ensembles is refused.
    let one = Classifier::ensemble(&members[..1]).unwrap();
    assert_eq!(
        one.predict(&test.features().row(0).to_vec()).unwrap(),
        members[0]
            .predict(&test.features().row(0).to_vec())
            .unwrap()
    );
    assert!(Classifier::ensemble(&[]).is_err());
    assert!(Classifier::ensemble(&[ens.clone(), ens]).is_err());
    let other = trainer(Arch::B, TrainConfig::default())
        .classifier()
        .unwrap();
    assert!(Classifier::ensemble(&[members[0].clone(), other]).is_err());
}
