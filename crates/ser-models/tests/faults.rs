//! Faults survived: corrupted checkpoints are detected (never a wrong answer), a failed save
//! keeps the previous checkpoint, and a training run killed with SIGKILL resumes to weights
//! bit-identical to an uninterrupted run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use ndarray::Array2;
use ser_models::{
    Classifier, Dataset, LabelSet, MlpConfig, ModelConfig, ModelError, TrainConfig, Trainer,
    CONFIG_FILE, TRAIN_STATE_FILE, WEIGHTS_FILE,
};

/// Separable synthetic rows: class c has a bump at coefficients 5c..5c+5, plus seeded noise.
fn synthetic(n: usize, seed: u64) -> Dataset {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 40) as f32 / (1u64 << 24) as f32 - 0.5
    };
    let mut x = Array2::zeros((n, 40));
    let mut y = Vec::with_capacity(n);
    for i in 0..n {
        let c = i % 8;
        for j in 0..40 {
            x[[i, j]] = 2.0 * next() + if j / 5 == c { 3.0 } else { 0.0 };
        }
        y.push(c);
    }
    Dataset::new(x, y, 8).unwrap()
}

fn small_mlp() -> ModelConfig {
    ModelConfig::Mlp(MlpConfig {
        input_len: 40,
        n_classes: 8,
        hidden: vec![12],
        ..MlpConfig::default()
    })
}

fn trainer(epochs: usize, seed: u64) -> Trainer {
    let cfg = TrainConfig {
        epochs,
        batch_size: 8,
        seed,
        standardize: true,
        ..TrainConfig::default()
    };
    Trainer::new(
        small_mlp(),
        cfg,
        ser_mfcc::MfccConfig::librosa_0_6().into(),
        LabelSet::study(),
    )
    .unwrap()
}

/// A small trained checkpoint written to a fresh directory: (dir, json bytes, weight bytes).
fn saved(seed: u64) -> (tempfile::TempDir, Vec<u8>, Vec<u8>) {
    let mut t = trainer(2, seed);
    t.fit(&synthetic(64, 1), None, "synthetic", &mut |_| {})
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    t.save(dir.path()).unwrap();
    let json = std::fs::read(dir.path().join(CONFIG_FILE)).unwrap();
    let weights = std::fs::read(dir.path().join(WEIGHTS_FILE)).unwrap();
    (dir, json, weights)
}

fn bits(c: &Classifier) -> HashMap<String, Vec<u32>> {
    c.weights()
        .unwrap()
        .into_iter()
        .map(|(k, v)| {
            let x: Vec<f32> = v.flatten_all().unwrap().to_vec1().unwrap();
            (k, x.into_iter().map(f32::to_bits).collect())
        })
        .collect()
}

#[test]
fn a_saved_checkpoint_records_a_checksum_and_loads() {
    let (dir, json, _) = saved(1);
    let text = String::from_utf8(json).unwrap();
    assert!(text.contains("\"checksum\": \"sha256:"), "{text}");
    assert!(text.contains("\"version\": 2"));
    let c = Classifier::from_dir(dir.path()).unwrap();
    // The checksum describes the files, not the model: it is not kept in memory.
    assert!(c.meta().checksum.is_none());
    // Saving what was loaded gives the same bytes (the checksum is deterministic).
    let again = tempfile::tempdir().unwrap();
    c.save(again.path()).unwrap();
    assert_eq!(
        std::fs::read(again.path().join(CONFIG_FILE)).unwrap(),
        text.as_bytes()
    );
}

#[test]
fn every_single_bit_flip_in_either_file_is_detected() {
    let (_dir, json, weights) = saved(2);
    let mut checked = 0;
    for i in 0..json.len() {
        let mut j = json.clone();
        j[i] ^= 1 << (i % 8);
        assert!(
            Classifier::from_bytes(&j, &weights).is_err(),
            "bit {} of byte {i} of model.json flipped: loaded",
            i % 8
        );
        checked += 1;
    }
    for i in 0..weights.len() {
        let mut w = weights.clone();
        w[i] ^= 1 << (i % 8);
        match Classifier::from_bytes(&json, &w) {
            Err(ModelError::ChecksumMismatch { .. }) => {}
            other => panic!("byte {i} of model.safetensors flipped: {other:?}"),
        }
        checked += 1;
    }
    assert!(checked > 2000, "{checked}");
}

#[test]
fn truncated_checkpoints_are_detected() {
    let (_dir, json, weights) = saved(3);
    for keep in [0, 1, 7, 8, 9, 100, weights.len() / 2, weights.len() - 1] {
        let err = Classifier::from_bytes(&json, &weights[..keep]).unwrap_err();
        assert!(
            matches!(err, ModelError::ChecksumMismatch { .. }),
            "weights cut to {keep}: {err}"
        );
    }
    for keep in [0, 1, json.len() / 3, json.len() / 2, json.len() - 2] {
        assert!(
            Classifier::from_bytes(&json[..keep], &weights).is_err(),
            "{keep}"
        );
    }
    // On disk the error names the checkpoint directory.
    let (dir, _, weights) = saved(3);
    std::fs::write(
        dir.path().join(WEIGHTS_FILE),
        &weights[..weights.len() - 10],
    )
    .unwrap();
    let msg = Classifier::from_dir(dir.path()).unwrap_err().to_string();
    assert!(
        msg.contains(&dir.path().display().to_string()) && msg.contains("corrupt"),
        "{msg}"
    );
}

#[test]
fn weights_of_another_checkpoint_are_detected() {
    // Same architecture and shapes, other seed: without a checksum this would load and give
    // another model's answers under this one's normalisation.
    let (_a, json_a, _) = saved(4);
    let (_b, _, weights_b) = saved(5);
    let err = Classifier::from_bytes(&json_a, &weights_b).unwrap_err();
    assert!(matches!(err, ModelError::ChecksumMismatch { .. }), "{err}");
}

#[test]
fn version_1_checkpoints_load_without_a_checksum_version_2_need_one() {
    let (_dir, json, weights) = saved(6);
    let mut meta: serde_json::Value = serde_json::from_slice(&json).unwrap();
    let obj = meta.as_object_mut().unwrap();
    obj.remove("checksum");
    let v2 = serde_json::to_vec_pretty(&meta).unwrap();
    let err = Classifier::from_bytes(&v2, &weights).unwrap_err();
    assert!(err.to_string().contains("without a checksum"), "{err}");
    meta["version"] = 1.into();
    let v1 = serde_json::to_vec_pretty(&meta).unwrap();
    Classifier::from_bytes(&v1, &weights).unwrap();
}

#[test]
fn a_failed_save_leaves_the_previous_checkpoint_intact() {
    let (dir, json, weights) = saved(7);
    let before = bits(&Classifier::from_dir(dir.path()).unwrap());
    // Block the temporary name of model.json (a directory there): the weights' temporary file
    // is written, the JSON's cannot be, so nothing may be renamed into place.
    let blocker = dir
        .path()
        .join(format!(".{CONFIG_FILE}.tmp-{}", std::process::id()));
    std::fs::create_dir(&blocker).unwrap();
    let mut other = trainer(3, 99);
    other
        .fit(&synthetic(64, 2), None, "other", &mut |_| {})
        .unwrap();
    let err = other.save(dir.path()).unwrap_err();
    assert!(matches!(err, ModelError::Io { .. }), "{err}");
    assert_eq!(std::fs::read(dir.path().join(CONFIG_FILE)).unwrap(), json);
    assert_eq!(
        std::fs::read(dir.path().join(WEIGHTS_FILE)).unwrap(),
        weights
    );
    assert_eq!(bits(&Classifier::from_dir(dir.path()).unwrap()), before);
    // No temporary weight file is left behind.
    std::fs::remove_dir(&blocker).unwrap();
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // Once the obstacle is gone the save succeeds.
    other.save(dir.path()).unwrap();
    assert_ne!(bits(&Classifier::from_dir(dir.path()).unwrap()), before);
}

#[test]
fn a_corrupted_training_state_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = trainer(2, 8).with_checkpoint_dir(dir.path());
    t.fit(&synthetic(64, 1), None, "synthetic", &mut |_| {})
        .unwrap();
    let path = dir.path().join(TRAIN_STATE_FILE);
    let good = std::fs::read(&path).unwrap();
    Trainer::resume(dir.path()).unwrap();
    // Flip one bit every 97 bytes (header and data), one at a time.
    for i in (0..good.len()).step_by(97) {
        let mut b = good.clone();
        b[i] ^= 0x10;
        std::fs::write(&path, &b).unwrap();
        assert!(Trainer::resume(dir.path()).is_err(), "byte {i} flipped");
    }
    std::fs::write(&path, &good[..good.len() / 2]).unwrap();
    assert!(Trainer::resume(dir.path()).is_err());
}

/// Environment variable that turns [`training_child_process`] on: the checkpoint directory.
const CHILD_DIR: &str = "SER_FAULTS_CHILD_DIR";
const KILLED_EPOCHS: usize = 120;
const KILLED_SEED: u64 = 11;

fn killed_run_data() -> (Dataset, Dataset) {
    (synthetic(256, 21), synthetic(64, 22))
}

/// Not a test on its own: the child process of [`sigkill_mid_training_then_resume_is_bit_identical`]
/// (run with `--ignored` and the directory in `SER_FAULTS_CHILD_DIR`). Trains with a checkpoint
/// after every epoch and prints `epoch N` after each until it is killed.
#[test]
#[ignore = "child process of sigkill_mid_training_then_resume_is_bit_identical"]
fn training_child_process() {
    let Some(dir) = std::env::var_os(CHILD_DIR) else {
        return;
    };
    let (train, val) = killed_run_data();
    let mut t = trainer(KILLED_EPOCHS, KILLED_SEED).with_checkpoint_dir(Path::new(&dir));
    t.fit(&train, Some(&val), "killed run", &mut |r| {
        println!("epoch {}", r.epoch);
        // Keeps the whole run well over a second, so the parent kills it long before its end
        // even on a loaded machine; the kill still lands in training, saving or here.
        std::thread::sleep(std::time::Duration::from_millis(5));
    })
    .unwrap();
}

#[test]
fn sigkill_mid_training_then_resume_is_bit_identical() {
    let (train, val) = killed_run_data();
    let mut full = trainer(KILLED_EPOCHS, KILLED_SEED);
    full.fit(&train, Some(&val), "killed run", &mut |_| {})
        .unwrap();
    let expected = bits(&full.classifier().unwrap());

    // Kill the child at a few points after different epochs: mid-epoch or mid-save, wherever
    // SIGKILL lands, resuming must give the uninterrupted weights.
    for (after_epoch, delay_ms) in [(3, 0), (5, 3), (8, 7)] {
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "training_child_process",
                "--ignored",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env(CHILD_DIR, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut seen = 0;
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap();
            if let Some(n) = line.strip_prefix("epoch ") {
                seen = n.trim().parse().unwrap();
                if seen >= after_epoch {
                    break;
                }
            }
        }
        assert!(
            seen >= after_epoch,
            "the child stopped before epoch {after_epoch}"
        );
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        child.kill().unwrap(); // SIGKILL on Unix
        let status = child.wait().unwrap();
        assert!(!status.success(), "the child finished before it was killed");

        let mut resumed = Trainer::resume(dir.path()).unwrap();
        let done = resumed.record().history.len();
        // `epoch N` is printed before epoch N's checkpoint is written.
        assert!(
            done + 1 >= after_epoch && done < KILLED_EPOCHS,
            "resumed at epoch {done}"
        );
        resumed
            .fit(&train, Some(&val), "killed run", &mut |_| {})
            .unwrap();
        assert_eq!(resumed.record().history.len(), KILLED_EPOCHS);
        assert_eq!(
            bits(&resumed.classifier().unwrap()),
            expected,
            "killed after epoch {after_epoch} (+{delay_ms} ms), resumed from epoch {done}"
        );
    }
}
