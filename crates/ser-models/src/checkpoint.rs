//! Checkpoint files: `model.safetensors` (weights) + `model.json` ([`CheckpointMeta`]).

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};
use ser_labels::LabelSet;
use serde::{Deserialize, Serialize};

use crate::config::ModelConfig;
use crate::error::{ModelError, Result};
use crate::train::TrainingRecord;

/// The `format` value of a checkpoint JSON.
pub const CHECKPOINT_FORMAT: &str = "ser-models-checkpoint";
/// The current checkpoint version.
pub const CHECKPOINT_VERSION: u32 = 1;
/// File name of the weights in a checkpoint directory.
pub const WEIGHTS_FILE: &str = "model.safetensors";
/// File name of the JSON in a checkpoint directory.
pub const CONFIG_FILE: &str = "model.json";

/// Feature standardisation `(x - mean) / std`, estimated on the training split only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Normalization {
    /// Per-feature mean, `[n_features]`.
    pub mean: Vec<f32>,
    /// Per-feature standard deviation (> 0), `[n_features]`.
    pub std: Vec<f32>,
}

impl Normalization {
    /// Mean and (population) standard deviation of each column of `features` `[n, d]`; a
    /// standard deviation below 1e-8 is replaced by 1.
    pub fn fit(features: ndarray::ArrayView2<f32>) -> Self {
        let n = features.nrows().max(1) as f64;
        let mut mean = Vec::with_capacity(features.ncols());
        let mut std = Vec::with_capacity(features.ncols());
        for col in features.columns() {
            let m = col.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
            let var = col.iter().map(|&v| (f64::from(v) - m).powi(2)).sum::<f64>() / n;
            let s = var.sqrt();
            mean.push(m as f32);
            std.push(if s < 1e-8 { 1.0 } else { s as f32 });
        }
        Self { mean, std }
    }

    /// Apply in place to one feature vector.
    pub fn apply(&self, x: &mut [f32]) {
        for ((v, m), s) in x.iter_mut().zip(&self.mean).zip(&self.std) {
            *v = (*v - m) / s;
        }
    }

    fn validate(&self, n: usize, path: &Path) -> Result<()> {
        if self.mean.len() != n || self.std.len() != n {
            return Err(ModelError::Checkpoint {
                path: path.to_path_buf(),
                reason: format!(
                    "normalisation has {} means and {} stds, the model takes {n} features",
                    self.mean.len(),
                    self.std.len()
                ),
            });
        }
        if self.std.iter().any(|s| !(s.is_finite() && *s > 0.0))
            || self.mean.iter().any(|m| !m.is_finite())
        {
            return Err(ModelError::Checkpoint {
                path: path.to_path_buf(),
                reason: "normalisation has a non-finite mean or a non-positive std".into(),
            });
        }
        Ok(())
    }
}

/// The JSON half of a checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointMeta {
    /// Always [`CHECKPOINT_FORMAT`].
    pub format: String,
    /// [`CHECKPOINT_VERSION`].
    pub version: u32,
    /// The network.
    pub model: ModelConfig,
    /// How the input features are computed from samples: the full frontend specification, so
    /// every consumer rebuilds exactly the frontend the model was trained with. Checkpoints
    /// written before frontends existed store a bare MFCC configuration, read as
    /// [`FrontendSpec::MeanMfcc`](ser_mfcc::FrontendSpec::MeanMfcc).
    #[serde(deserialize_with = "ser_mfcc::FrontendSpec::deserialize_or_legacy")]
    pub features: ser_mfcc::FrontendSpec,
    /// The classes, index = output unit ([`LabelSet::study`] for the study's models); a list of
    /// names in the JSON.
    pub labels: LabelSet,
    /// Standardisation applied to the features before the network (`None`: raw MFCC means).
    pub normalization: Option<Normalization>,
    /// How the model was trained (`None` for imported weights and ensembles).
    pub training: Option<TrainingRecord>,
    /// How each member of an ensemble ([`MlpConfig::members`](crate::MlpConfig::members) > 1)
    /// was trained, in member order; empty otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub member_training: Vec<TrainingRecord>,
    /// Where the weights come from and their licence.
    #[serde(default)]
    pub provenance: Option<String>,
    /// The model was trained on features standardised **per speaker** first (each speaker's
    /// own mean and standard deviation over their clips, [`Normalization::fit`], no labels),
    /// then by `normalization`: callers standardise a speaker's features the same way before
    /// [`Classifier::predict`](crate::Classifier::predict). Default false.
    #[serde(default)]
    pub speaker_standardized: bool,
}

impl CheckpointMeta {
    /// A new description with format and version filled in.
    pub fn new(model: ModelConfig, features: ser_mfcc::FrontendSpec, labels: LabelSet) -> Self {
        Self {
            speaker_standardized: false,
            format: CHECKPOINT_FORMAT.into(),
            version: CHECKPOINT_VERSION,
            model,
            features,
            labels,
            normalization: None,
            training: None,
            member_training: Vec::new(),
            provenance: None,
        }
    }

    /// Parse and check consistency (format, version, config ranges, labels and normalisation sizes).
    pub fn from_json(bytes: &[u8], path: &Path) -> Result<Self> {
        let meta: CheckpointMeta =
            serde_json::from_slice(bytes).map_err(|source| ModelError::Json {
                path: path.to_path_buf(),
                source,
            })?;
        meta.validate(path)?;
        Ok(meta)
    }

    /// Check consistency.
    pub fn validate(&self, path: &Path) -> Result<()> {
        let err = |reason: String| ModelError::Checkpoint {
            path: path.to_path_buf(),
            reason,
        };
        if self.format != CHECKPOINT_FORMAT {
            return Err(err(format!(
                "format {:?}, expected {CHECKPOINT_FORMAT:?}",
                self.format
            )));
        }
        if self.version != CHECKPOINT_VERSION {
            return Err(err(format!(
                "version {}, expected {CHECKPOINT_VERSION}",
                self.version
            )));
        }
        self.model.validate()?;
        if self.labels.len() != self.model.n_classes() {
            return Err(err(format!(
                "{} labels for {} classes",
                self.labels.len(),
                self.model.n_classes()
            )));
        }
        if self.features.is_sequence() {
            return Err(err(
                "the feature frontend gives a frame sequence, the model takes one vector per clip"
                    .into(),
            ));
        }
        if self.features.output_dim() != self.model.input_len() {
            return Err(err(format!(
                "the feature frontend gives {} values, the model takes {}",
                self.features.output_dim(),
                self.model.input_len()
            )));
        }
        self.features
            .validate()
            .map_err(|e| err(format!("feature frontend: {e}")))?;
        if let Some(n) = &self.normalization {
            n.validate(self.model.input_len(), path)?;
        }
        Ok(())
    }
}

/// Parse safetensors bytes into named CPU tensors.
pub(crate) fn load_weights(bytes: &[u8], path: &Path) -> Result<HashMap<String, Tensor>> {
    candle_core::safetensors::load_buffer(bytes, &Device::Cpu).map_err(|e| ModelError::Weights {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

pub(crate) fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| ModelError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Write `bytes` to `path` atomically: a temporary file in the same directory, flushed, then renamed.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let io = |source| ModelError::Io {
        path: path.to_path_buf(),
        source,
    };
    let dir = path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let mut f = std::fs::File::create(&tmp).map_err(io)?;
    f.write_all(bytes).map_err(io)?;
    f.sync_all().map_err(io)?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(io)
}

/// Serialise named tensors to safetensors bytes.
pub(crate) fn weights_to_bytes(tensors: &HashMap<String, Tensor>, path: &Path) -> Result<Vec<u8>> {
    let views: Vec<(&String, &Tensor)> = {
        let mut v: Vec<_> = tensors.iter().collect();
        v.sort_by(|a, b| a.0.cmp(b.0));
        v
    };
    safetensors::serialize(views, None).map_err(|e| ModelError::Weights {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

/// Write a checkpoint directory atomically file by file (weights first, then the JSON).
pub(crate) fn save_dir(
    dir: &Path,
    meta: &CheckpointMeta,
    tensors: &HashMap<String, Tensor>,
) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|source| ModelError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let wpath = dir.join(WEIGHTS_FILE);
    write_atomic(&wpath, &weights_to_bytes(tensors, &wpath)?)?;
    let jpath = dir.join(CONFIG_FILE);
    let json = serde_json::to_vec_pretty(meta).map_err(|source| ModelError::Json {
        path: jpath.clone(),
        source,
    })?;
    write_atomic(&jpath, &json)
}
