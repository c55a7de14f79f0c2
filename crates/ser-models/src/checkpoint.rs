//! Checkpoint files: `model.safetensors` (weights) + `model.json` ([`CheckpointMeta`]).

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};
use ser_labels::LabelSet;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::ModelConfig;
use crate::error::{ModelError, Result};
use crate::train::TrainingRecord;

/// The `format` value of a checkpoint JSON.
pub const CHECKPOINT_FORMAT: &str = "ser-models-checkpoint";
/// The current checkpoint version: 2 carries a [`CheckpointMeta::checksum`]. Version 1
/// (no checksum, written before 2026-12) still loads.
pub const CHECKPOINT_VERSION: u32 = 2;
/// The last version without a checksum; still accepted.
const LEGACY_VERSION: u32 = 1;
/// Prefix of [`CheckpointMeta::checksum`].
const CHECKSUM_PREFIX: &str = "sha256:";
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
    /// `"sha256:<64 hex digits>"`: SHA-256 over the exact bytes of `model.json` (with these 64
    /// digits written as zeros) followed by the bytes of `model.safetensors`, so a truncated,
    /// bit-flipped or mixed-up pair of files is detected on load
    /// ([`ModelError::ChecksumMismatch`]) instead of giving wrong answers. Filled in when the
    /// checkpoint is written; required from version 2 on, `None` in memory and in version-1
    /// files. Declared first so that it is the first string of the JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksum: Option<String>,
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
            checksum: None,
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
        if self.version != CHECKPOINT_VERSION && self.version != LEGACY_VERSION {
            return Err(err(format!(
                "version {}, expected {CHECKPOINT_VERSION} (or {LEGACY_VERSION})",
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

/// `"sha256:"` followed by 64 zeros: the checksum's place holder while it is computed.
fn checksum_placeholder() -> String {
    format!("{CHECKSUM_PREFIX}{}", "0".repeat(64))
}

/// SHA-256 of the JSON bytes (checksum digits zeroed, `zeroed_at` = their offset) and the
/// weight bytes, as `"sha256:<hex>"`.
fn checksum_of(json: &[u8], zeroed_at: usize, weights: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update((json.len() as u64).to_le_bytes());
    h.update(&json[..zeroed_at]);
    h.update([b'0'; 64]);
    h.update(&json[zeroed_at + 64..]);
    h.update(weights);
    format!("{CHECKSUM_PREFIX}{:x}", h.finalize())
}

/// The offset of the 64 checksum digits in `json`: the first occurrence of `"sha256:<hex>"`
/// (the checksum is the first field written).
fn digits_offset(json: &[u8], checksum: &str) -> Option<usize> {
    let quoted = format!("\"{checksum}\"");
    json.windows(quoted.len())
        .position(|w| w == quoted.as_bytes())
        .map(|p| p + 1 + CHECKSUM_PREFIX.len())
}

impl CheckpointMeta {
    /// Check [`CheckpointMeta::checksum`] against the files' bytes: `json` is the exact
    /// `model.json` this description was parsed from, `weights` the `model.safetensors` bytes.
    /// Version-1 checkpoints carry no checksum and pass; a version-2 checkpoint without one,
    /// or with one that does not match, is an error naming `path`.
    pub fn verify_checksum(&self, json: &[u8], weights: &[u8], path: &Path) -> Result<()> {
        let Some(expected) = &self.checksum else {
            if self.version == LEGACY_VERSION {
                return Ok(());
            }
            return Err(ModelError::Checkpoint {
                path: path.to_path_buf(),
                reason: format!("version {} checkpoint without a checksum", self.version),
            });
        };
        let well_formed = expected.len() == CHECKSUM_PREFIX.len() + 64
            && expected.starts_with(CHECKSUM_PREFIX)
            && expected[CHECKSUM_PREFIX.len()..]
                .bytes()
                .all(|b| b.is_ascii_hexdigit());
        let actual = match digits_offset(json, expected) {
            Some(at) if well_formed => checksum_of(json, at, weights),
            _ => String::from("(not computable: malformed checksum field)"),
        };
        if &actual != expected {
            return Err(ModelError::ChecksumMismatch {
                path: path.to_path_buf(),
                expected: expected.clone(),
                actual,
            });
        }
        Ok(())
    }

    /// The bytes of `model.json` and `model.safetensors` for this description and weights,
    /// at the current version and with the checksum filled in.
    pub(crate) fn to_files(
        &self,
        tensors: &HashMap<String, Tensor>,
        path: &Path,
    ) -> Result<(Vec<u8>, Vec<u8>)> {
        let weights = weights_to_bytes(tensors, path)?;
        let placeholder = checksum_placeholder();
        let mut meta = self.clone();
        meta.version = CHECKPOINT_VERSION;
        meta.checksum = Some(placeholder.clone());
        let mut json = serde_json::to_vec_pretty(&meta).map_err(|source| ModelError::Json {
            path: path.to_path_buf(),
            source,
        })?;
        let at = digits_offset(&json, &placeholder).ok_or_else(|| ModelError::Checkpoint {
            path: path.to_path_buf(),
            reason: "checksum field missing from the serialised JSON".into(),
        })?;
        let sum = checksum_of(&json, at, &weights);
        json[at..at + 64].copy_from_slice(&sum.as_bytes()[CHECKSUM_PREFIX.len()..]);
        Ok((json, weights))
    }

    /// Parse `model.json` bytes, check consistency and the checksum over them and `weights`.
    pub(crate) fn from_files(
        json: &[u8],
        jpath: &Path,
        weights: &[u8],
        checked_path: &Path,
    ) -> Result<Self> {
        let mut meta = Self::from_json(json, jpath)?;
        meta.verify_checksum(json, weights, checked_path)?;
        meta.checksum = None;
        Ok(meta)
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
    write_all_atomic(&[(path, bytes)])
}

/// The temporary name `path` is written under before it is renamed into place.
fn temp_path(path: &Path) -> PathBuf {
    let dir = path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    dir.join(format!(".{name}.tmp-{}", std::process::id()))
}

/// Write several files: every one to a temporary file in its directory first (written and
/// flushed to disk), and only when all of them are complete rename them into place in order.
/// A failure while writing (disk full, permissions, a crash) leaves the previous files
/// untouched and removes the temporary ones.
pub(crate) fn write_all_atomic(files: &[(&Path, &[u8])]) -> Result<()> {
    let mut written: Vec<(PathBuf, &Path)> = Vec::with_capacity(files.len());
    let outcome = files.iter().try_for_each(|&(path, bytes)| {
        let tmp = temp_path(path);
        let io = |source| ModelError::Io {
            path: tmp.clone(),
            source,
        };
        let mut f = std::fs::File::create(&tmp).map_err(io)?;
        written.push((tmp.clone(), path));
        f.write_all(bytes).map_err(io)?;
        f.sync_all().map_err(io)
    });
    if let Err(e) = outcome {
        for (tmp, _) in &written {
            // Best effort: the error that matters is `e`.
            let _ = std::fs::remove_file(tmp);
        }
        return Err(e);
    }
    for (tmp, path) in &written {
        std::fs::rename(tmp, path).map_err(|source| ModelError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    }
    Ok(())
}

/// Metadata key of a training state file holding the run's [`CheckpointMeta`] JSON.
const STATE_META_KEY: &str = "ser.meta";
/// Metadata key of a training state file holding its SHA-256 (hex) over the meta JSON and the
/// tensor data.
const STATE_SUM_KEY: &str = "ser.sha256";

fn state_sum(meta_json: &str, data: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update((meta_json.len() as u64).to_le_bytes());
    h.update(meta_json.as_bytes());
    h.update(data);
    format!("{:x}", h.finalize())
}

/// One self-contained, checksummed safetensors file: `tensors` plus `meta` (as JSON in the
/// header's metadata) and a SHA-256 over both. Used for a training run's resumable state, so
/// that weights, optimiser moments and the training record always come from the same epoch.
pub(crate) fn state_to_bytes(
    meta: &CheckpointMeta,
    tensors: &HashMap<String, Tensor>,
    path: &Path,
) -> Result<Vec<u8>> {
    let meta_json = serde_json::to_string(meta).map_err(|source| ModelError::Json {
        path: path.to_path_buf(),
        source,
    })?;
    // The data region does not depend on the header's metadata: hash it from a plain
    // serialisation, then write the file with the checksum in its header.
    let plain = weights_to_bytes(tensors, path)?;
    let (_, data) = split_header(&plain, path)?;
    let info = HashMap::from([
        (STATE_SUM_KEY.to_string(), state_sum(&meta_json, data)),
        (STATE_META_KEY.to_string(), meta_json),
    ]);
    let mut views: Vec<(&String, &Tensor)> = tensors.iter().collect();
    views.sort_by(|a, b| a.0.cmp(b.0));
    safetensors::serialize(views, Some(info)).map_err(|e| ModelError::Weights {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

/// The string metadata of a safetensors header (`__metadata__`).
type HeaderInfo = HashMap<String, String>;

/// The header metadata (empty when there is none) and the tensor data region (after the
/// 8-byte length and the header) of safetensors bytes.
fn split_header<'a>(bytes: &'a [u8], path: &Path) -> Result<(HeaderInfo, &'a [u8])> {
    let (n, header) =
        safetensors::SafeTensors::read_metadata(bytes).map_err(|e| ModelError::Weights {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
    let data = bytes.get(8 + n..).ok_or_else(|| ModelError::Weights {
        path: path.to_path_buf(),
        reason: format!("header of {n} bytes runs past the end of the file"),
    })?;
    Ok((header.metadata().clone().unwrap_or_default(), data))
}

/// Read a file written by [`state_to_bytes`]: the checksum is verified before anything is
/// parsed further ([`ModelError::ChecksumMismatch`] when it differs).
pub(crate) fn state_from_bytes(
    bytes: &[u8],
    path: &Path,
) -> Result<(CheckpointMeta, HashMap<String, Tensor>)> {
    let (info, data) = split_header(bytes, path)?;
    let (Some(meta_json), Some(expected)) = (info.get(STATE_META_KEY), info.get(STATE_SUM_KEY))
    else {
        return Err(ModelError::Checkpoint {
            path: path.to_path_buf(),
            reason: "not a training state of this version (no run description or checksum in \
                     its header): start the run again"
                .into(),
        });
    };
    let actual = state_sum(meta_json, data);
    if &actual != expected {
        return Err(ModelError::ChecksumMismatch {
            path: path.to_path_buf(),
            expected: format!("{CHECKSUM_PREFIX}{expected}"),
            actual: format!("{CHECKSUM_PREFIX}{actual}"),
        });
    }
    let meta = CheckpointMeta::from_json(meta_json.as_bytes(), path)?;
    Ok((meta, load_weights(bytes, path)?))
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

/// Write a checkpoint directory: both files complete on disk under temporary names before
/// either replaces the previous one ([`write_all_atomic`]; weights renamed first, then the
/// JSON). A failed save leaves the previous checkpoint intact; the checksum detects the pair
/// being mixed should the process die between the two renames.
pub(crate) fn save_dir(
    dir: &Path,
    meta: &CheckpointMeta,
    tensors: &HashMap<String, Tensor>,
) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|source| ModelError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let (json, weights) = meta.to_files(tensors, dir)?;
    write_all_atomic(&[
        (&dir.join(WEIGHTS_FILE), &weights),
        (&dir.join(CONFIG_FILE), &json),
    ])
}
