//! Training on real RAVDESS speech (needs `SER_DATA_DIR`, e.g. /work/shared/data; skipped
//! otherwise): Model_B on speaker fold 0 must beat chance clearly, and the seed models must
//! recognise the clips they were trained on. RAVDESS: CC BY-NC-SA 4.0 (Livingstone & Russo 2018).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use ndarray::Array2;
use ser_corpus::features::{extract_features, ExtractOptions, FeatureConfig};
use ser_corpus::split::{speaker_kfold, Side, SpeakerFoldConfig};
use ser_models::{Arch, Classifier, Dataset, Metrics, SeedModel, TrainConfig, Trainer};

use common::data_dir;

#[test]
fn model_b_learns_ravdess_speaker_fold_and_seed_models_know_their_training_data() {
    let Some(dir) = data_dir().map(|d| d.join("ravdess")) else {
        return;
    };
    let corpus = ser_corpus::scan(&dir).unwrap();
    assert_eq!(corpus.items.len(), 1440);
    let opts = ExtractOptions {
        cache_dir: Some(std::path::PathBuf::from("target/ser-cache")),
        progress: None,
    };
    let feats = extract_features(&corpus.items, &FeatureConfig::study(), &opts).unwrap();
    assert!(feats.failures.is_empty());
    let labels = feats.labels().unwrap();

    // The seed models saw all of these clips in training (the study's split): well above chance.
    for which in SeedModel::ALL {
        let m = Classifier::seed(which).unwrap();
        let pred = ser_models::predict_classes(&m, feats.x.view()).unwrap();
        let acc = Metrics::compute(&labels, &pred, 8).unwrap().accuracy;
        eprintln!("seed {which:?} on RAVDESS speech: accuracy {acc:.3}");
        assert!(acc > 0.3, "{which:?} {acc}");
    }

    let (dups, _) = ser_corpus::features::find_duplicates(&corpus.items);
    let folds = speaker_kfold(&corpus.items, &dups, &SpeakerFoldConfig::default()).unwrap();
    let split = folds.split(0).unwrap();
    // The split's items are the corpus items (same order), so indices map to feature rows.
    assert_eq!(split.items, feats.items);
    let take = |side: Side| {
        let idx = split.indices(side);
        let mut x = Array2::zeros((idx.len(), 40));
        for (r, &i) in idx.iter().enumerate() {
            x.row_mut(r).assign(&feats.x.row(i));
        }
        Dataset::new(x, idx.iter().map(|&i| labels[i]).collect(), 8).unwrap()
    };
    let (train, val, test) = (take(Side::Train), take(Side::Validation), take(Side::Test));
    let cfg = TrainConfig {
        epochs: 30,
        standardize: true,
        seed: 1,
        ..TrainConfig::study(Arch::B)
    };
    let names = ser_models::LabelSet::study();
    let mut t = Trainer::new(
        Arch::B.default_config(),
        cfg,
        ser_mfcc::MfccConfig::librosa_0_6().into(),
        names,
    )
    .unwrap();
    t.fit(
        &train,
        Some(&val),
        "RAVDESS speech, speaker fold 0",
        &mut |_| {},
    )
    .unwrap();
    let m = t.classifier().unwrap();
    let pred = ser_models::predict_classes(&m, test.features()).unwrap();
    let metrics = Metrics::compute(test.labels(), &pred, 8).unwrap();
    eprintln!(
        "Model_B speaker fold 0 (30 epochs, standardised): accuracy {:.3} UAR {:.3}",
        metrics.accuracy, metrics.uar
    );
    assert!(metrics.accuracy > 0.25 && metrics.uar > 0.25, "{metrics:?}");
}
