//! Training: mini-batch cross-entropy with Adam / AdamW / RMSprop, seeded shuffling and dropout,
//! optional early stopping, learning-rate schedules, feature standardisation, per-epoch history,
//! checkpoints with resume.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use candle_core::{Device, ModuleT, Tensor};
use candle_nn::VarMap;
use ndarray::{Array2, ArrayView2};
use ser_labels::LabelSet;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::checkpoint::{self, CheckpointMeta, Normalization};
use crate::classifier::Classifier;
use crate::config::ModelConfig;
use crate::error::{ModelError, Result};
use crate::model::{check_tensors, init_network, Network};
use crate::optim::{Optimizer, OptimizerConfig};
use crate::rng::{shuffle, stream, Purpose};

/// File holding everything a resumable run needs: weights, optimiser state, best weights and
/// the run description (one checksummed file).
pub const TRAIN_STATE_FILE: &str = "train_state.safetensors";
/// Prefix of the current weights in [`TRAIN_STATE_FILE`].
const STATE_WEIGHTS: &str = "weights.";
/// Prefix of the best weights so far in [`TRAIN_STATE_FILE`].
const STATE_BEST: &str = "best.";

/// Feature rows and their class indices, checked once on construction.
///
/// Invariants (enforced by [`Dataset::new`], fields private): one label per feature row, every
/// label `< n_classes`, every feature finite. [`Trainer::fit`] relies on them and only checks
/// that the data fits the model (feature width and number of classes).
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    features: Array2<f32>,
    labels: Vec<usize>,
    n_classes: usize,
}

impl Dataset {
    /// Rows `features` `[n, n_features]` (raw MFCC means) with class indices `labels` `[n]`,
    /// each `< n_classes`.
    ///
    /// Errors: [`ModelError::Shape`] when the row and label counts differ,
    /// [`ModelError::Label`] for the first label out of range, [`ModelError::NonFiniteFeature`]
    /// for the first NaN or infinite feature.
    pub fn new(features: Array2<f32>, labels: Vec<usize>, n_classes: usize) -> Result<Self> {
        if features.nrows() != labels.len() {
            return Err(ModelError::Shape {
                what: "labels for feature rows",
                expected: features.nrows(),
                actual: labels.len(),
            });
        }
        if let Some((row, &label)) = labels.iter().enumerate().find(|(_, &l)| l >= n_classes) {
            return Err(ModelError::Label {
                row,
                label,
                n_classes,
            });
        }
        if let Some(((row, column), &value)) = features.indexed_iter().find(|(_, v)| !v.is_finite())
        {
            return Err(ModelError::NonFiniteFeature { row, column, value });
        }
        Ok(Self {
            features,
            labels,
            n_classes,
        })
    }

    /// The feature rows `[n, n_features]`.
    pub fn features(&self) -> ArrayView2<'_, f32> {
        self.features.view()
    }

    /// The class index of each row, `[n]`.
    pub fn labels(&self) -> &[usize] {
        &self.labels
    }

    /// Number of classes the labels index (every label is below it).
    pub fn n_classes(&self) -> usize {
        self.n_classes
    }

    /// Width of a feature row.
    pub fn n_features(&self) -> usize {
        self.features.ncols()
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// No rows?
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The features and labels, e.g. to edit and check again with [`Dataset::new`].
    pub fn into_parts(self) -> (Array2<f32>, Vec<usize>) {
        (self.features, self.labels)
    }

    /// SHA-256 (lower-case hex) of the feature bits (`f32`, little-endian, row-major) followed by
    /// the labels (`u64`, little-endian): identifies the data in a training record, so that a
    /// resumed run refuses other data.
    pub fn fingerprint(&self) -> String {
        let mut h = Sha256::new();
        for v in &self.features {
            h.update(v.to_bits().to_le_bytes());
        }
        for &l in &self.labels {
            h.update((l as u64).to_le_bytes());
        }
        format!("{:x}", h.finalize())
    }
}

/// Learning-rate schedule over epochs (0-based epoch `e`, base rate `lr`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LrSchedule {
    /// `lr` throughout (the study).
    #[default]
    Constant,
    /// `lr * gamma^(e / every)`.
    Step {
        /// Epochs per step (> 0).
        every: usize,
        /// Factor per step.
        gamma: f64,
    },
    /// Cosine from `lr` at epoch 0 to `min_lr` at the last epoch.
    Cosine {
        /// Final rate.
        min_lr: f64,
    },
}

impl LrSchedule {
    /// The rate of epoch `e` (0-based) out of `epochs`.
    pub fn lr(&self, base: f64, e: usize, epochs: usize) -> f64 {
        match *self {
            LrSchedule::Constant => base,
            LrSchedule::Step { every, gamma } => base * gamma.powi((e / every.max(1)) as i32),
            LrSchedule::Cosine { min_lr } => {
                let frac = if epochs > 1 {
                    e as f64 / (epochs - 1) as f64
                } else {
                    0.0
                };
                min_lr + 0.5 * (base - min_lr) * (1.0 + (std::f64::consts::PI * frac).cos())
            }
        }
    }
}

/// Early stopping on the validation loss.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EarlyStopping {
    /// Stop after this many epochs without improvement. Default 10.
    pub patience: usize,
    /// An improvement must lower the loss by more than this. Default 0.
    pub min_delta: f64,
    /// Put back the weights of the best epoch at the end. Default true.
    pub restore_best: bool,
}

impl Default for EarlyStopping {
    fn default() -> Self {
        Self {
            patience: 10,
            min_delta: 0.0,
            restore_best: true,
        }
    }
}

/// Training hyper-parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Number of epochs. Default 100 (the study).
    pub epochs: usize,
    /// Mini-batch size (>= 1). Default 32 (Keras' `fit` default).
    pub batch_size: usize,
    /// Optimiser. Default Keras Adam.
    pub optimizer: OptimizerConfig,
    /// Learning-rate schedule. Default constant.
    pub lr_schedule: LrSchedule,
    /// Seed of initialisation, shuffling and dropout. Default 0.
    pub seed: u64,
    /// Shuffle the training rows each epoch. Default true.
    pub shuffle: bool,
    /// Early stopping on validation loss (needs validation data). Default none.
    pub early_stopping: Option<EarlyStopping>,
    /// Standardise the features with the training split's mean and std. Default false (the study).
    pub standardize: bool,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            epochs: 100,
            batch_size: 32,
            optimizer: OptimizerConfig::adam(),
            lr_schedule: LrSchedule::Constant,
            seed: 0,
            shuffle: true,
            early_stopping: None,
            standardize: false,
        }
    }
}

impl TrainConfig {
    /// The study's settings for an architecture (100 epochs, batch 32, Adam, RMSprop 5e-5 for D).
    pub fn study(arch: crate::Arch) -> Self {
        Self {
            optimizer: OptimizerConfig::study(arch),
            ..Self::default()
        }
    }
}

/// One epoch of the history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// 1-based epoch.
    pub epoch: usize,
    /// Mean training loss over the epoch's batches (training mode, as Keras reports it).
    pub train_loss: f64,
    /// Training accuracy over the epoch's batches (training mode).
    pub train_accuracy: f64,
    /// Validation loss (inference mode), if validation data was given.
    pub val_loss: Option<f64>,
    /// Validation accuracy, if validation data was given.
    pub val_accuracy: Option<f64>,
    /// Learning rate used.
    pub lr: f64,
    /// Wall-clock seconds of the epoch.
    pub seconds: f64,
}

/// What the model was trained on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct DataDescription {
    /// Free text (corpus, protocol, split).
    pub description: String,
    /// Training rows.
    pub n_train: usize,
    /// Validation rows.
    pub n_val: usize,
    /// [`Dataset::fingerprint`] of the training data.
    pub train_fingerprint: String,
    /// Fingerprint of the validation data (empty when none).
    pub val_fingerprint: String,
}

/// The training record stored in a checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingRecord {
    /// Hyper-parameters.
    pub config: TrainConfig,
    /// Data.
    pub data: DataDescription,
    /// One entry per epoch run.
    pub history: Vec<EpochRecord>,
    /// Optimiser steps taken.
    pub optimizer_steps: u64,
    /// Best validation loss so far (early stopping).
    pub best_val_loss: Option<f64>,
    /// 1-based epoch of the best validation loss.
    pub best_epoch: Option<usize>,
    /// Epochs since the best (early stopping).
    pub bad_epochs: usize,
    /// The run is over (all epochs, or stopped early).
    pub finished: bool,
    /// Stopped by early stopping.
    pub stopped_early: bool,
    /// Total training seconds.
    pub seconds: f64,
}

/// A training run of one model.
pub struct Trainer {
    meta: CheckpointMeta,
    cfg: TrainConfig,
    net: Network,
    vars: VarMap,
    opt: Optimizer,
    best: Option<HashMap<String, Tensor>>,
    record: TrainingRecord,
    checkpoint_dir: Option<PathBuf>,
}

impl std::fmt::Debug for Trainer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trainer")
            .field("model", &self.meta.model)
            .field("config", &self.cfg)
            .field("epochs_run", &self.record.history.len())
            .finish_non_exhaustive()
    }
}

/// A copy of every variable's current value, by name (through [`VarMap::data`]).
pub(crate) fn snapshot(vars: &VarMap) -> Result<HashMap<String, Tensor>> {
    let map = vars.data().lock().map_err(|_| ModelError::Config {
        field: "vars",
        reason: "poisoned lock".into(),
    })?;
    map.iter()
        .map(|(k, v)| Ok((k.clone(), v.as_tensor().copy()?)))
        .collect()
}

impl Trainer {
    /// A fresh run: weights initialised from `cfg.seed`.
    pub fn new(
        model: ModelConfig,
        cfg: TrainConfig,
        features: ser_mfcc::FrontendSpec,
        labels: LabelSet,
    ) -> Result<Self> {
        if cfg.batch_size == 0 {
            return Err(ModelError::Config {
                field: "batch_size",
                reason: "must be >= 1".into(),
            });
        }
        if let LrSchedule::Step { every: 0, .. } = cfg.lr_schedule {
            return Err(ModelError::Config {
                field: "lr_schedule",
                reason: "step every must be >= 1".into(),
            });
        }
        let meta = CheckpointMeta::new(model, features, labels);
        meta.validate(Path::new("<new model>"))?;
        let (net, vars) = init_network(&meta.model, cfg.seed)?;
        let opt = Optimizer::new(cfg.optimizer.clone(), &vars)?;
        let record = TrainingRecord {
            config: cfg.clone(),
            data: DataDescription::default(),
            history: Vec::new(),
            optimizer_steps: 0,
            best_val_loss: None,
            best_epoch: None,
            bad_epochs: 0,
            finished: false,
            stopped_early: false,
            seconds: 0.0,
        };
        Ok(Self {
            meta,
            cfg,
            net,
            vars,
            opt,
            best: None,
            record,
            checkpoint_dir: None,
        })
    }

    /// A fresh run that starts from a trained model's weights instead of a random
    /// initialisation (fine-tuning): the classifier's architecture, feature configuration,
    /// labels and normalisation are kept (with `cfg.standardize` the first [`Trainer::fit`]
    /// re-estimates the normalisation on its training data).
    pub fn from_classifier(start: &Classifier, cfg: TrainConfig) -> Result<Self> {
        Self::from_weights(start.meta(), cfg, &start.weights()?)
    }

    /// A fresh run with `meta`'s model, features, labels and normalisation and these weights.
    fn from_weights(
        meta: &CheckpointMeta,
        cfg: TrainConfig,
        weights: &HashMap<String, Tensor>,
    ) -> Result<Self> {
        let mut t = Trainer::new(
            meta.model.clone(),
            cfg,
            meta.features.clone(),
            meta.labels.clone(),
        )?;
        check_tensors(&meta.model, weights)?;
        // check_tensors guarantees the same names and shapes as the fresh network's variables.
        t.vars.set(weights.iter())?;
        t.meta.normalization = meta.normalization.clone();
        Ok(t)
    }

    /// Save a resumable checkpoint into `dir` after every epoch.
    pub fn with_checkpoint_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.checkpoint_dir = Some(dir.as_ref().to_path_buf());
        self
    }

    /// Continue a run from a checkpoint directory written with [`Trainer::with_checkpoint_dir`].
    /// Everything comes from its one self-contained, checksummed [`TRAIN_STATE_FILE`] (weights,
    /// optimiser state, best weights, history, epoch), so a run killed at any moment, even
    /// while saving, resumes from one consistent epoch; later epochs draw the same shuffles and
    /// dropout masks as an uninterrupted run, so the final weights are bit-identical.
    pub fn resume(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref();
        let spath = dir.join(TRAIN_STATE_FILE);
        let (meta, state) = checkpoint::state_from_bytes(&checkpoint::read(&spath)?, &spath)?;
        let record = meta
            .training
            .clone()
            .ok_or_else(|| ModelError::Checkpoint {
                path: spath.clone(),
                reason: "no training record: not a resumable checkpoint".into(),
            })?;
        let part = |prefix: &str| -> HashMap<String, Tensor> {
            state
                .iter()
                .filter_map(|(k, v)| k.strip_prefix(prefix).map(|n| (n.to_string(), v.clone())))
                .collect()
        };
        let mut t = Self::from_weights(&meta, record.config.clone(), &part(STATE_WEIGHTS))?;
        t.opt.load_state(&state, record.optimizer_steps)?;
        let best = part(STATE_BEST);
        if !best.is_empty() {
            check_tensors(&meta.model, &best)?;
            t.best = Some(best);
        }
        t.record = record;
        t.checkpoint_dir = Some(dir.to_path_buf());
        Ok(t)
    }

    /// The training record so far.
    pub fn record(&self) -> &TrainingRecord {
        &self.record
    }

    /// The network being trained.
    pub fn network(&self) -> &Network {
        &self.net
    }

    /// The normalisation in use (set by the first [`Trainer::fit`] when `standardize`).
    pub fn normalization(&self) -> Option<&Normalization> {
        self.meta.normalization.as_ref()
    }

    /// Run the remaining epochs on `train` (validation on `val` if given), calling `on_epoch`
    /// after each. `description` goes into the training record.
    ///
    /// The steps (private methods): check the data against the model, bind the data to the run
    /// (fingerprints; the normalisation is fitted on the first call), then per epoch train,
    /// validate, decide on early stopping, finish the run after the last epoch (restoring the
    /// best weights) and save the resumable checkpoint.
    pub fn fit(
        &mut self,
        train: &Dataset,
        val: Option<&Dataset>,
        description: &str,
        on_epoch: &mut dyn FnMut(&EpochRecord),
    ) -> Result<&TrainingRecord> {
        self.check_data(train, val)?;
        self.bind_data(train, val, description)?;
        let xtrain = self.normalized(train);
        let xval = val.map(|v| (self.normalized(v), v.labels()));
        let start = self.record.history.len();
        for e in start..self.cfg.epochs {
            if self.record.finished {
                break;
            }
            let te = Instant::now();
            let lr = self
                .cfg
                .lr_schedule
                .lr(self.cfg.optimizer.lr(), e, self.cfg.epochs);
            let (train_loss, train_accuracy) = self.train_epoch(e, lr, &xtrain, train.labels())?;
            let (val_loss, val_accuracy) = match &xval {
                Some((x, y)) if !y.is_empty() => {
                    let (l, a) = self.validate(x, y)?;
                    (Some(l), Some(a))
                }
                _ => (None, None),
            };
            let rec = EpochRecord {
                epoch: e + 1,
                train_loss,
                train_accuracy,
                val_loss,
                val_accuracy,
                lr,
                seconds: te.elapsed().as_secs_f64(),
            };
            self.record.history.push(rec.clone());
            self.record.optimizer_steps = self.opt.steps();
            self.early_stopping_step(e, val_loss)?;
            if self.record.stopped_early || e + 1 == self.cfg.epochs {
                self.finish_run()?;
            }
            self.record.seconds += te.elapsed().as_secs_f64();
            on_epoch(&rec);
            if let Some(dir) = &self.checkpoint_dir {
                self.save_resumable(dir)?;
            }
        }
        if self.cfg.epochs <= start {
            self.record.finished = true;
        }
        Ok(&self.record)
    }

    /// Step 1: the data fits the model. Row/label agreement, label range and finiteness are
    /// [`Dataset`] invariants; here only the feature width, the number of classes, a non-empty
    /// training set and validation data for early stopping are checked.
    fn check_data(&self, train: &Dataset, val: Option<&Dataset>) -> Result<()> {
        let n_in = self.meta.model.input_len();
        let n_classes = self.meta.model.n_classes();
        for (what, classes, ds) in [
            ("training features", "training classes", Some(train)),
            ("validation features", "validation classes", val),
        ] {
            let Some(ds) = ds else { continue };
            if ds.n_features() != n_in {
                return Err(ModelError::Shape {
                    what,
                    expected: n_in,
                    actual: ds.n_features(),
                });
            }
            if ds.n_classes() != n_classes {
                return Err(ModelError::Shape {
                    what: classes,
                    expected: n_classes,
                    actual: ds.n_classes(),
                });
            }
        }
        if train.is_empty() {
            return Err(ModelError::Shape {
                what: "training rows",
                expected: 1,
                actual: 0,
            });
        }
        if self.cfg.early_stopping.is_some() && val.is_none_or(Dataset::is_empty) {
            return Err(ModelError::Config {
                field: "early_stopping",
                reason: "needs validation data".into(),
            });
        }
        Ok(())
    }

    /// Step 2: on the first call record the data (description, sizes, fingerprints) and fit the
    /// normalisation on the training rows; on a resumed run refuse data whose fingerprints
    /// differ from the recorded ones.
    fn bind_data(
        &mut self,
        train: &Dataset,
        val: Option<&Dataset>,
        description: &str,
    ) -> Result<()> {
        let data = DataDescription {
            description: description.to_string(),
            n_train: train.len(),
            n_val: val.map_or(0, Dataset::len),
            train_fingerprint: train.fingerprint(),
            val_fingerprint: val.map(Dataset::fingerprint).unwrap_or_default(),
        };
        if self.record.history.is_empty() {
            self.record.data = data;
            if self.cfg.standardize {
                self.meta.normalization = Some(Normalization::fit(train.features()));
            }
            return Ok(());
        }
        let recorded = &self.record.data;
        if recorded.train_fingerprint == data.train_fingerprint
            && recorded.val_fingerprint == data.val_fingerprint
        {
            return Ok(());
        }
        let reason = if recorded.train_fingerprint.len() != data.train_fingerprint.len() {
            "the training state has a data fingerprint from an older version (FNV-1a, not \
             SHA-256) and cannot be resumed: start the run again"
        } else {
            "resumed with different training/validation data (fingerprint mismatch)"
        };
        Err(ModelError::Checkpoint {
            path: self.checkpoint_dir.clone().unwrap_or_default(),
            reason: reason.into(),
        })
    }

    /// The rows of `d` flattened `[n * n_in]`, standardised when the run has a normalisation.
    fn normalized(&self, d: &Dataset) -> Vec<f32> {
        let mut x: Vec<f32> = d.features().iter().copied().collect();
        if let Some(n) = &self.meta.normalization {
            x.chunks_mut(d.n_features()).for_each(|r| n.apply(r));
        }
        x
    }

    /// Step 3: one epoch of mini-batch updates at rate `lr` over the rows `x` `[n * n_in]`
    /// (shuffled and with dropout masks drawn from the seed and the 0-based epoch `e`). Returns
    /// the mean training loss and the training accuracy (training mode).
    fn train_epoch(
        &mut self,
        e: usize,
        lr: f64,
        x: &[f32],
        labels: &[usize],
    ) -> Result<(f64, f64)> {
        let n_in = self.meta.model.input_len();
        let seed = self.cfg.seed;
        self.opt.set_lr(lr);
        let mut order: Vec<usize> = (0..labels.len()).collect();
        if self.cfg.shuffle {
            shuffle(&mut order, &mut stream(seed, Purpose::Shuffle, e as u64));
        }
        self.net.dropout_rng().reseed(seed, e as u64);
        let (mut loss_sum, mut correct) = (0f64, 0usize);
        let mut xb = Vec::with_capacity(self.cfg.batch_size * n_in);
        let mut yb = Vec::with_capacity(self.cfg.batch_size);
        for chunk in order.chunks(self.cfg.batch_size) {
            xb.clear();
            yb.clear();
            for &i in chunk {
                xb.extend_from_slice(&x[i * n_in..(i + 1) * n_in]);
                yb.push(labels[i] as u32);
            }
            let xt = Tensor::from_slice(&xb, (chunk.len(), n_in), &Device::Cpu)?;
            let yt = Tensor::from_slice(&yb, chunk.len(), &Device::Cpu)?;
            let logits = self.net.forward_t(&xt, true)?;
            let loss = candle_nn::loss::cross_entropy(&logits, &yt)?;
            let grads = loss.backward()?;
            self.opt.step(&grads)?;
            let l = f64::from(loss.to_scalar::<f32>()?);
            if !l.is_finite() {
                return Err(ModelError::NonFinite { epoch: e + 1 });
            }
            loss_sum += l * chunk.len() as f64;
            let pred: Vec<u32> = logits.argmax(1)?.to_vec1()?;
            correct += pred.iter().zip(&yb).filter(|(p, y)| p == y).count();
        }
        let n = labels.len() as f64;
        Ok((loss_sum / n, correct as f64 / n))
    }

    /// Step 4: mean cross-entropy and accuracy on the validation rows (inference mode).
    fn validate(&self, x: &[f32], labels: &[usize]) -> Result<(f64, f64)> {
        evaluate_loss(&self.net, x, labels, self.meta.model.input_len())
    }

    /// Step 5: early stopping after 0-based epoch `e` with validation loss `val_loss`: a new best
    /// resets the patience (and snapshots the weights when they are to be restored), otherwise
    /// the run stops once the patience is used up.
    fn early_stopping_step(&mut self, e: usize, val_loss: Option<f64>) -> Result<()> {
        let (Some(es), Some(vl)) = (&self.cfg.early_stopping, val_loss) else {
            return Ok(());
        };
        if self
            .record
            .best_val_loss
            .is_none_or(|b| vl < b - es.min_delta)
        {
            self.record.best_val_loss = Some(vl);
            self.record.best_epoch = Some(e + 1);
            self.record.bad_epochs = 0;
            if es.restore_best {
                self.best = Some(snapshot(&self.vars)?);
            }
        } else {
            self.record.bad_epochs += 1;
            if self.record.bad_epochs >= es.patience {
                self.record.stopped_early = true;
            }
        }
        Ok(())
    }

    /// Step 6: mark the run finished and put back the best weights when early stopping asks
    /// for it (through [`VarMap::set`]).
    fn finish_run(&mut self) -> Result<()> {
        self.record.finished = true;
        if let (Some(es), Some(best)) = (&self.cfg.early_stopping, &self.best) {
            if es.restore_best {
                self.vars.set(best.iter())?;
            }
        }
        Ok(())
    }

    fn current_meta(&self) -> CheckpointMeta {
        let mut meta = self.meta.clone();
        meta.training = Some(self.record.clone());
        meta
    }

    /// The model as trained so far (with its normalisation and training record).
    pub fn classifier(&self) -> Result<Classifier> {
        Classifier::from_parts(self.current_meta(), snapshot(&self.vars)?)
    }

    /// Write an inference checkpoint (`model.json` + `model.safetensors`).
    pub fn save(&self, dir: impl AsRef<Path>) -> Result<()> {
        checkpoint::save_dir(dir.as_ref(), &self.current_meta(), &snapshot(&self.vars)?)
    }

    /// Write a resumable checkpoint: the inference checkpoint plus [`TRAIN_STATE_FILE`], one
    /// self-contained file (written atomically) with the weights, optimiser moments, best
    /// weights and the run description, checksummed. [`Trainer::resume`] reads only that file.
    pub fn save_resumable(&self, dir: impl AsRef<Path>) -> Result<()> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|source| ModelError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let meta = self.current_meta();
        let weights = snapshot(&self.vars)?;
        let mut state = self.opt.state_tensors()?;
        for (k, v) in &weights {
            state.insert(format!("{STATE_WEIGHTS}{k}"), v.clone());
        }
        if let Some(best) = &self.best {
            for (k, v) in best {
                state.insert(format!("{STATE_BEST}{k}"), v.clone());
            }
        }
        let spath = dir.join(TRAIN_STATE_FILE);
        let bytes = checkpoint::state_to_bytes(&meta, &state, &spath)?;
        checkpoint::write_atomic(&spath, &bytes)?;
        // The inference checkpoint of the same epoch, from the same snapshot.
        checkpoint::save_dir(dir, &meta, &weights)
    }
}

/// Mean cross-entropy and accuracy of `net` (inference mode) on rows `x` `[n * n_in]`.
fn evaluate_loss(net: &Network, x: &[f32], y: &[usize], n_in: usize) -> Result<(f64, f64)> {
    let (mut loss, mut correct) = (0f64, 0usize);
    let rows = y.len();
    const CHUNK: usize = 512;
    for start in (0..rows).step_by(CHUNK) {
        let n = CHUNK.min(rows - start);
        let xt = Tensor::from_slice(
            &x[start * n_in..(start + n) * n_in],
            (n, n_in),
            &Device::Cpu,
        )?;
        let yv: Vec<u32> = y[start..start + n].iter().map(|&v| v as u32).collect();
        let yt = Tensor::from_slice(&yv, n, &Device::Cpu)?;
        let logits = net.forward_t(&xt, false)?;
        loss +=
            f64::from(candle_nn::loss::cross_entropy(&logits, &yt)?.to_scalar::<f32>()?) * n as f64;
        let pred: Vec<u32> = logits.argmax(1)?.to_vec1()?;
        correct += pred.iter().zip(&yv).filter(|(p, y)| p == y).count();
    }
    Ok((loss / rows as f64, correct as f64 / rows as f64))
}

/// Predicted class of each row of `features` `[n, input_len]`.
pub fn predict_classes(model: &Classifier, features: ArrayView2<f32>) -> Result<Vec<usize>> {
    let p = model.predict_batch(features)?;
    Ok(p.rows()
        .into_iter()
        .map(|r| crate::classifier::argmax(r.as_slice().unwrap_or(&r.to_vec())))
        .collect())
}
