//! [`Classifier`]: a trained network with its feature config, labels and normalisation.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{Device, ModuleT, Tensor};
use ndarray::{Array2, ArrayView2};
use ser_labels::LabelSet;

use crate::checkpoint::{self, CheckpointMeta, CONFIG_FILE, WEIGHTS_FILE};
use crate::config::ModelConfig;
use crate::error::{ModelError, Result};
use crate::fast::{self, FastNet};
use crate::model::{network_from_tensors, Network};

/// The study's released Keras weights, converted and embedded in the crate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum SeedModel {
    /// Model_A (LSTM).
    A,
    /// Model_B (Conv1D).
    B,
    /// Model_C (Conv1D).
    C,
    /// Model_D (Conv1D).
    D,
}

impl SeedModel {
    /// All four.
    pub const ALL: [SeedModel; 4] = [SeedModel::A, SeedModel::B, SeedModel::C, SeedModel::D];

    /// The embedded `(model.json, model.safetensors)` bytes.
    pub fn files(self) -> (&'static [u8], &'static [u8]) {
        match self {
            SeedModel::A => (
                include_bytes!("../assets/seed/model_a.json"),
                include_bytes!("../assets/seed/model_a.safetensors"),
            ),
            SeedModel::B => (
                include_bytes!("../assets/seed/model_b.json"),
                include_bytes!("../assets/seed/model_b.safetensors"),
            ),
            SeedModel::C => (
                include_bytes!("../assets/seed/model_c.json"),
                include_bytes!("../assets/seed/model_c.safetensors"),
            ),
            SeedModel::D => (
                include_bytes!("../assets/seed/model_d.json"),
                include_bytes!("../assets/seed/model_d.safetensors"),
            ),
        }
    }

    /// The architecture.
    pub fn arch(self) -> crate::Arch {
        match self {
            SeedModel::A => crate::Arch::A,
            SeedModel::B => crate::Arch::B,
            SeedModel::C => crate::Arch::C,
            SeedModel::D => crate::Arch::D,
        }
    }
}

/// A trained model ready for inference. Cheap to share (`&self` prediction; `Send + Sync`).
#[derive(Debug, Clone)]
pub struct Classifier {
    net: Network,
    fast: FastNet,
    meta: CheckpointMeta,
    tensors: HashMap<String, Tensor>,
}

impl Classifier {
    /// Load a checkpoint directory (`model.json` + `model.safetensors`).
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref();
        let jpath = dir.join(CONFIG_FILE);
        let wpath = dir.join(WEIGHTS_FILE);
        let json = checkpoint::read(&jpath)?;
        let weights = checkpoint::read(&wpath)?;
        Self::load(&json, &jpath, &weights, &wpath, dir)
    }

    /// Load from the bytes of `model.json` and `model.safetensors`.
    pub fn from_bytes(config_json: &[u8], weights: &[u8]) -> Result<Self> {
        let mem = PathBuf::from("<memory>");
        Self::load(config_json, &mem, weights, &mem, &mem)
    }

    /// One of the study's four models (embedded; no files needed).
    pub fn seed(which: SeedModel) -> Result<Self> {
        let (json, weights) = which.files();
        let name = PathBuf::from(format!("<embedded seed model {which:?}>"));
        Self::load(json, &name, weights, &name, &name)
    }

    /// Parse, verify the checksum over both files (errors name `checkpoint`), then build.
    fn load(
        json: &[u8],
        jpath: &Path,
        weights: &[u8],
        wpath: &Path,
        checkpoint: &Path,
    ) -> Result<Self> {
        let meta = CheckpointMeta::from_files(json, jpath, weights, checkpoint)?;
        let tensors = checkpoint::load_weights(weights, wpath)?;
        Self::from_parts(meta, tensors)
    }

    /// Build from a description and named weights (checked against the config).
    pub fn from_parts(meta: CheckpointMeta, tensors: HashMap<String, Tensor>) -> Result<Self> {
        meta.validate(Path::new("<memory>"))?;
        let net = network_from_tensors(&meta.model, tensors.clone())?;
        let fast = FastNet::new(&meta.model, &tensors)?;
        Ok(Self {
            net,
            fast,
            meta,
            tensors,
        })
    }

    /// Joins MLPs trained separately (typically with different seeds or training speakers)
    /// into one ensemble checkpoint that averages their class probabilities
    /// ([`MlpConfig::members`]). The members must be single MLPs of the same shape, with the
    /// same frontend, labels and speaker standardisation, and all with or all without an input
    /// normalisation. The ensemble keeps member 0's normalisation; a member whose own
    /// normalisation differs (it was fitted on other training rows) has the difference folded
    /// into its first dense layer, which is exact algebra (`W ((x - m) / s) + b` rewritten for
    /// member 0's `m0, s0`), so every member predicts what it predicted alone, to float
    /// rounding. The result keeps each member's training record in
    /// [`CheckpointMeta::member_training`] and the first member's provenance.
    ///
    /// [`MlpConfig::members`]: crate::MlpConfig::members
    pub fn ensemble(members: &[Classifier]) -> Result<Self> {
        let mismatch = |reason: String| ModelError::Config {
            field: "members",
            reason,
        };
        let first = members
            .first()
            .ok_or_else(|| mismatch("an ensemble needs at least one member".into()))?;
        let ModelConfig::Mlp(base) = &first.meta.model else {
            return Err(mismatch(format!(
                "only MLPs form ensembles, member 0 is {:?}",
                first.meta.model.arch()
            )));
        };
        if members.len() == 1 {
            return Ok(first.clone());
        }
        let mut tensors = HashMap::new();
        let mut member_training = Vec::with_capacity(members.len());
        for (i, m) in members.iter().enumerate() {
            let same = m.meta.model == first.meta.model
                && base.members == 1
                && m.meta.features == first.meta.features
                && m.meta.labels == first.meta.labels
                && m.meta.normalization.is_some() == first.meta.normalization.is_some()
                && m.meta.speaker_standardized == first.meta.speaker_standardized;
            if !same {
                return Err(mismatch(format!(
                    "member {i} differs from member 0 in model, frontend, labels, speaker \
                     standardisation or presence of a normalisation (or is already an ensemble)"
                )));
            }
            let mut own = m.tensors.clone();
            if let (Some(from), Some(to)) = (&m.meta.normalization, &first.meta.normalization) {
                if from != to {
                    let layer = if base.hidden.is_empty() {
                        "out"
                    } else {
                        "hidden0"
                    };
                    renormalize_dense(&mut own, layer, from, to)?;
                }
            }
            for (name, t) in own {
                tensors.insert(format!("member{i}.{name}"), t);
            }
            member_training.extend(m.meta.training.clone());
        }
        let mut meta = first.meta.clone();
        meta.model = ModelConfig::Mlp(crate::MlpConfig {
            members: members.len(),
            ..base.clone()
        });
        meta.training = None;
        meta.member_training = member_training;
        Self::from_parts(meta, tensors)
    }

    /// Write a checkpoint directory (atomic file writes).
    ///
    /// Both files are written completely under temporary names before they replace a previous
    /// checkpoint, so a failed save leaves it intact; `model.json` records a checksum of both.
    pub fn save(&self, dir: impl AsRef<Path>) -> Result<()> {
        checkpoint::save_dir(dir.as_ref(), &self.meta, &self.weights()?)
    }

    /// The weights as named tensors.
    pub fn weights(&self) -> Result<HashMap<String, Tensor>> {
        Ok(self.tensors.clone())
    }

    /// The feature configuration the model expects (MFCC means over time).
    pub fn frontend(&self) -> &ser_mfcc::FrontendSpec {
        &self.meta.features
    }

    /// The classes, index = output unit (as many as the model has outputs).
    pub fn labels(&self) -> &LabelSet {
        &self.meta.labels
    }

    /// The model configuration.
    pub fn model_config(&self) -> &ModelConfig {
        &self.meta.model
    }

    /// The whole checkpoint description (normalisation, training record, provenance).
    pub fn meta(&self) -> &CheckpointMeta {
        &self.meta
    }

    /// Number of input features.
    pub fn input_len(&self) -> usize {
        self.meta.model.input_len()
    }

    /// Class probabilities `[n_classes]` for one feature vector `[input_len]` (raw MFCC means;
    /// the stored normalisation is applied here).
    pub fn predict(&self, features: &[f32]) -> Result<Vec<f32>> {
        let x = self.normalized_input(features)?;
        Ok(softmax(&self.fast.logits(&x)))
    }

    /// Checks the length of one feature vector and applies the stored normalisation.
    fn normalized_input(&self, features: &[f32]) -> Result<Vec<f32>> {
        let n = self.input_len();
        if features.len() != n {
            return Err(ModelError::Shape {
                what: "feature vector length",
                expected: n,
                actual: features.len(),
            });
        }
        let mut x = features.to_vec();
        if let Some(norm) = &self.meta.normalization {
            norm.apply(&mut x);
        }
        Ok(x)
    }

    /// [`Classifier::predict`] through the candle network instead of the plain-Rust path (the
    /// two agree to float rounding; this one exists for testing and comparison).
    pub fn predict_candle(&self, features: &[f32]) -> Result<Vec<f32>> {
        let n = self.input_len();
        let x = self.normalized_input(features)?;
        let logits = self
            .net
            .forward_t(&Tensor::from_vec(x, (1, n), &Device::Cpu)?, false)?;
        Ok(softmax_rows(&logits)?.remove(0))
    }

    /// Class probabilities `[n, n_classes]` for feature rows `[n, input_len]`.
    pub fn predict_batch(&self, features: ArrayView2<f32>) -> Result<Array2<f32>> {
        let (rows, cols) = features.dim();
        let n = self.input_len();
        if cols != n {
            return Err(ModelError::Shape {
                what: "feature columns",
                expected: n,
                actual: cols,
            });
        }
        let k = self.meta.model.n_classes();
        let mut out = Array2::zeros((rows, k));
        if rows == 0 {
            return Ok(out);
        }
        let mut x: Vec<f32> = features.iter().copied().collect();
        if let Some(norm) = &self.meta.normalization {
            for row in x.chunks_mut(n) {
                norm.apply(row);
            }
        }
        if self.fast.prefers_batches() {
            for (i, row) in x.chunks(n).enumerate() {
                for (j, p) in softmax(&self.fast.logits(row)).into_iter().enumerate() {
                    out[[i, j]] = p;
                }
            }
            return Ok(out);
        }
        let logits = self
            .net
            .forward_t(&Tensor::from_vec(x, (rows, n), &Device::Cpu)?, false)?;
        for (i, p) in softmax_rows(&logits)?.into_iter().enumerate() {
            for (j, v) in p.into_iter().enumerate() {
                out[[i, j]] = v;
            }
        }
        Ok(out)
    }

    /// Index of the most probable class for one feature vector.
    pub fn predict_class(&self, features: &[f32]) -> Result<usize> {
        Ok(argmax(&self.predict(features)?))
    }
}

/// Index of the largest value (first on ties; 0 for an empty slice).
pub fn argmax(v: &[f32]) -> usize {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x > v[best] {
            best = i;
        }
    }
    best
}

/// Numerically stable softmax of one row of logits, in f64.
pub(crate) fn softmax(r: &[f32]) -> Vec<f32> {
    let m = r.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b));
    let e: Vec<f64> = r.iter().map(|&v| f64::from(v - m).exp()).collect();
    let s: f64 = e.iter().sum();
    e.into_iter().map(|v| (v / s) as f32).collect()
}

/// Numerically stable softmax of each row of `[n, k]` logits, in f64.
pub(crate) fn softmax_rows(logits: &Tensor) -> Result<Vec<Vec<f32>>> {
    let rows: Vec<Vec<f32>> = logits.to_vec2()?;
    Ok(rows.into_iter().map(|r| softmax(&r)).collect())
}

/// Rewrites the dense layer `layer` (`{layer}.weight` `[out, in]`, `{layer}.bias` `[out]`) of a
/// network trained on inputs normalised by `from` so that it gives the same outputs on inputs
/// normalised by `to`: with `x_from = x_to * (s_to / s_from) + (m_to - m_from) / s_from`,
/// `W' = W diag(s_to / s_from)` and `b' = b + W ((m_to - m_from) / s_from)`.
fn renormalize_dense(
    tensors: &mut HashMap<String, Tensor>,
    layer: &str,
    from: &checkpoint::Normalization,
    to: &checkpoint::Normalization,
) -> Result<()> {
    let (wn, bn) = (format!("{layer}.weight"), format!("{layer}.bias"));
    let (w, b) = (fast::get(tensors, &wn)?, fast::get(tensors, &bn)?);
    let (in_dim, out_dim) = (from.mean.len(), b.len());
    if to.mean.len() != in_dim {
        return Err(ModelError::Shape {
            what: "member 0's normalisation length",
            expected: in_dim,
            actual: to.mean.len(),
        });
    }
    if w.len() != out_dim * in_dim {
        return Err(ModelError::Shape {
            what: "first dense layer weights, [outputs, normalised inputs]",
            expected: out_dim * in_dim,
            actual: w.len(),
        });
    }
    let scale: Vec<f64> = (0..in_dim)
        .map(|j| f64::from(to.std[j]) / f64::from(from.std[j]))
        .collect();
    let shift: Vec<f64> = (0..in_dim)
        .map(|j| (f64::from(to.mean[j]) - f64::from(from.mean[j])) / f64::from(from.std[j]))
        .collect();
    let mut w2 = Vec::with_capacity(w.len());
    let mut b2 = Vec::with_capacity(out_dim);
    for (row, &bias) in w.chunks(in_dim).zip(&b) {
        let mut acc = f64::from(bias);
        for ((&v, s), t) in row.iter().zip(&scale).zip(&shift) {
            w2.push((f64::from(v) * s) as f32);
            acc += f64::from(v) * t;
        }
        b2.push(acc as f32);
    }
    tensors.insert(wn, Tensor::from_vec(w2, (out_dim, in_dim), &Device::Cpu)?);
    tensors.insert(bn, Tensor::from_vec(b2, out_dim, &Device::Cpu)?);
    Ok(())
}
