//! Sequence models over frames: an x-vector style network that reads a whole clip's frames
//! (`[frames, n_in]`, any number of frames) instead of one per-clip feature row.
//!
//! [`SeqNet`]: 1-D convolutions over time (own im2col + matmul, "same" padding, ReLU; the first
//! ones with stride 2 to reduce the frame rate early), attentive statistics pooling (attention
//! weights over frames from a small tanh layer and a softmax over time, then the weighted mean
//! and weighted standard deviation of every channel), a dense ReLU layer with dropout, and the
//! output layer (logits).
//!
//! With the defaults ([`SeqConfig::default`]: 64 log-mel bands in, convolutions 64 ch k5 s2,
//! 128 ch k3 s2, 128 ch k3 s1, attention 64, input statistics shortcut, dense 128, 8 classes)
//! the network has 153 160 parameters and costs about 18.7 MFLOP per 3 s clip (300 frames at 10 ms), forward
//! ([`SeqConfig::param_count`], [`SeqConfig::flops`]; asserted in the tests against the budget
//! of 1 M parameters and 40 MFLOP).
//!
//! Batching: a mini-batch is processed clip by clip (each clip its own length, no padding) and
//! the clips' logits are stacked into `[batch, n_classes]` for one loss and one backward pass,
//! so a clip's output does not depend on what it is batched with.
//!
//! [`SeqTrainer`] trains a [`SeqNet`] on labelled clips (seeded init, shuffling, dropout and
//! SpecAugment-style masks, AdamW, early stopping on the validation loss restoring the best
//! weights, per-feature standardisation) and returns a [`SeqModel`] for prediction.

use std::collections::HashMap;
use std::time::Instant;

use candle_core::{DType, Device, Module, ModuleT, Tensor, D};
use candle_nn::{Init, Linear, VarBuilder, VarMap};
use ndarray::{Array2, ArrayView2};
use rand_chacha::rand_core::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::error::{ModelError, Result};
use crate::layers::{glorot, Dropout};
use crate::model::{dense, seeded_var_builder};
use crate::optim::{Optimizer, OptimizerConfig};
use crate::rng::{shuffle, stream, Purpose, SharedRng};
use crate::train::{snapshot, EarlyStopping, EpochRecord, LrSchedule};

/// One convolution over time: `channels` outputs, kernel `kernel` frames (odd), step `stride`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeqConv {
    /// Output channels (>= 1).
    pub channels: usize,
    /// Kernel length in frames (odd, >= 1; "same" padding of `(kernel - 1) / 2` each side).
    pub kernel: usize,
    /// Step in frames (>= 1): the output has `ceil(frames / stride)` frames.
    pub stride: usize,
}

/// Architecture of a [`SeqNet`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SeqConfig {
    /// Features per input frame. Default 64 (log-mel bands of `LogMelConfig::default()`).
    pub n_in: usize,
    /// Number of classes. Default 8.
    pub n_classes: usize,
    /// Convolutions over time, in order (at least one). Default `[64 k5 s2, 128 k3 s2,
    /// 128 k3 s1]`: the frame rate drops from 100 to 25 per second after two layers.
    pub convs: Vec<SeqConv>,
    /// Width of the attention's hidden tanh layer. Default 64.
    pub attention: usize,
    /// Width of the dense ReLU layer after pooling (0: none, pooled statistics go straight to
    /// the output layer). Default 128.
    pub hidden: usize,
    /// Dropout rate on the pooled statistics and after the dense layer, `[0, 1)`. Default 0.3.
    pub dropout: f32,
    /// Also pool the plain (unweighted) mean and std of the input frames and concatenate them to
    /// the attentive statistics (a shortcut to the per-clip statistics a feature-row model
    /// sees). Default true (it raised the 2-fold RAVDESS UAR from 0.42 to 0.45, adapted 0.48 to
    /// 0.54, one seed).
    pub input_stats: bool,
    /// Layer normalisation over the channels of every frame after each convolution (before
    /// the ReLU), with a learnt gain and bias per channel. Default false.
    pub layer_norm: bool,
}

impl Default for SeqConfig {
    fn default() -> Self {
        Self {
            n_in: 64,
            n_classes: 8,
            convs: vec![
                SeqConv {
                    channels: 64,
                    kernel: 5,
                    stride: 2,
                },
                SeqConv {
                    channels: 128,
                    kernel: 3,
                    stride: 2,
                },
                SeqConv {
                    channels: 128,
                    kernel: 3,
                    stride: 1,
                },
            ],
            attention: 64,
            hidden: 128,
            dropout: 0.3,
            input_stats: true,
            layer_norm: false,
        }
    }
}

impl SeqConfig {
    /// Check every field.
    ///
    /// Errors: [`ModelError::Config`] naming the first bad field.
    pub fn validate(&self) -> Result<()> {
        let bad = |field: &'static str, reason: String| Err(ModelError::Config { field, reason });
        if self.n_in == 0 {
            return bad("n_in", "must be >= 1".into());
        }
        if self.n_classes < 2 {
            return bad("n_classes", format!("{} < 2", self.n_classes));
        }
        if self.convs.is_empty() {
            return bad("convs", "at least one convolution".into());
        }
        for (i, c) in self.convs.iter().enumerate() {
            if c.channels == 0 || c.stride == 0 || c.kernel % 2 == 0 {
                return bad(
                    "convs",
                    format!("layer {i}: channels and stride >= 1, odd kernel: {c:?}"),
                );
            }
        }
        if self.attention == 0 {
            return bad("attention", "must be >= 1".into());
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return bad("dropout", format!("{} not in [0, 1)", self.dropout));
        }
        Ok(())
    }

    /// Number of trainable parameters.
    pub fn param_count(&self) -> usize {
        let mut n = 0;
        let mut prev = self.n_in;
        for c in &self.convs {
            n += c.kernel * prev * c.channels + c.channels;
            if self.layer_norm {
                n += 2 * c.channels;
            }
            prev = c.channels;
        }
        n += prev * self.attention + 2 * self.attention;
        let mut width = self.pooled_width();
        if self.hidden > 0 {
            n += width * self.hidden + self.hidden;
            width = self.hidden;
        }
        n + width * self.n_classes + self.n_classes
    }

    /// Width of the pooled vector: twice the last convolution's channels (+ `2 * n_in` with
    /// `input_stats`).
    pub fn pooled_width(&self) -> usize {
        let c = self.convs.last().map_or(self.n_in, |c| c.channels);
        2 * c + if self.input_stats { 2 * self.n_in } else { 0 }
    }

    /// Frames after all convolutions for an input of `frames` frames.
    pub fn out_frames(&self, frames: usize) -> usize {
        self.convs.iter().fold(frames, |t, c| t.div_ceil(c.stride))
    }

    /// Floating-point operations of one forward pass over `frames` frames (a multiply-add counts
    /// 2; bias, ReLU, tanh, exp count 1 per element; dropout is off at inference).
    pub fn flops(&self, frames: usize) -> usize {
        let mut f = 0;
        let mut t = frames;
        let mut prev = self.n_in;
        for c in &self.convs {
            t = t.div_ceil(c.stride);
            f += 2 * t * c.kernel * prev * c.channels + 2 * t * c.channels;
            if self.layer_norm {
                f += 8 * t * c.channels;
            }
            prev = c.channels;
        }
        let a = self.attention;
        // hidden tanh layer, score, softmax over time, weighted mean, squares and weighted
        // second moment, std.
        f += 2 * t * prev * a + 2 * t * a + 2 * t * a + 4 * t + 2 * t * prev + 3 * t * prev;
        f += 6 * prev;
        if self.input_stats {
            f += 4 * frames * self.n_in;
        }
        let mut width = self.pooled_width();
        if self.hidden > 0 {
            f += 2 * width * self.hidden + 2 * self.hidden;
            width = self.hidden;
        }
        f + 2 * width * self.n_classes + self.n_classes
    }
}

/// A 1-D convolution over time on time-major input, without activation: `[frames, in]` ->
/// `[ceil(frames / stride), out]`, "same" zero padding of `(k - 1) / 2` frames each side.
/// Weights (names): `weight` `[out, in, k]` (candle's conv layout), `bias` `[out]`.
///
/// Computed as im2col + one matmul: the `k` time-shifted copies of the padded input are
/// concatenated into `[frames, k * in]`, every `stride`-th row is kept, and the rows are
/// multiplied with the kernel permuted to `[k * in, out]`. Only narrow, cat, reshape and matmul
/// take part, whose gradients are right (candle 0.11's own conv1d kernel gradient is not).
#[derive(Debug, Clone)]
pub struct StridedConv1d {
    weight: Tensor,
    bias: Tensor,
    stride: usize,
}

impl StridedConv1d {
    /// Build from `vb` (glorot-uniform kernel over fans `in * k` / `out * k`, zero bias).
    pub fn new(in_c: usize, conv: SeqConv, vb: VarBuilder) -> candle_core::Result<Self> {
        let (out_c, k) = (conv.channels, conv.kernel);
        let weight = vb.get_with_hints((out_c, in_c, k), "weight", glorot(in_c * k, out_c * k))?;
        let bias = vb.get_with_hints(out_c, "bias", Init::Const(0.0))?;
        Ok(Self {
            weight,
            bias,
            stride: conv.stride,
        })
    }
}

impl Module for StridedConv1d {
    fn forward(&self, xs: &Tensor) -> candle_core::Result<Tensor> {
        let (out_c, in_c, k) = self.weight.dims3()?;
        let (t, c) = xs.dims2()?;
        if c != in_c || t == 0 {
            return Err(candle_core::Error::Msg(format!(
                "conv over time: expected [frames >= 1, {in_c}], got [{t}, {c}]"
            )));
        }
        let pad = (k - 1) / 2;
        let x = xs.pad_with_zeros(0, pad, pad)?;
        let shifted: Vec<Tensor> = (0..k)
            .map(|j| x.narrow(0, j, t))
            .collect::<candle_core::Result<_>>()?;
        let mut cols = Tensor::cat(&shifted, 1)?; // [t, k * in], column j * in + c
        let s = self.stride;
        if s > 1 {
            let tout = t.div_ceil(s);
            cols = cols
                .pad_with_zeros(0, 0, tout * s - t)?
                .reshape((tout, s * k * in_c))?
                .narrow(1, 0, k * in_c)?
                .contiguous()?;
        }
        let w = self
            .weight
            .permute((2, 1, 0))?
            .contiguous()?
            .reshape((k * in_c, out_c))?;
        cols.matmul(&w)?.broadcast_add(&self.bias)
    }
}

/// Layer normalisation over the last axis of `[frames, channels]`: every frame is shifted and
/// scaled to mean 0 and variance 1 over its channels (`+ 1e-5` in the variance), then multiplied
/// by `gain` `[channels]` (init 1) and shifted by `bias` `[channels]` (init 0).
#[derive(Debug, Clone)]
pub struct FrameNorm {
    gain: Tensor,
    bias: Tensor,
}

impl FrameNorm {
    /// Build from `vb` (names `gain`, `bias`).
    pub fn new(channels: usize, vb: VarBuilder) -> candle_core::Result<Self> {
        Ok(Self {
            gain: vb.get_with_hints(channels, "gain", Init::Const(1.0))?,
            bias: vb.get_with_hints(channels, "bias", Init::Const(0.0))?,
        })
    }
}

impl Module for FrameNorm {
    fn forward(&self, xs: &Tensor) -> candle_core::Result<Tensor> {
        let centred = xs.broadcast_sub(&xs.mean_keepdim(D::Minus1)?)?;
        let scale = centred
            .sqr()?
            .mean_keepdim(D::Minus1)?
            .affine(1.0, STD_EPS)?
            .sqrt()?;
        centred
            .broadcast_div(&scale)?
            .broadcast_mul(&self.gain)?
            .broadcast_add(&self.bias)
    }
}

/// Attentive statistics pooling: `[frames, channels]` -> `[1, 2 * channels]`.
///
/// Scores `e_t = v . tanh(W h_t + b)` (one per frame), weights `alpha = softmax_t(e)`, output
/// the weighted mean `mu = sum_t alpha_t h_t` and weighted standard deviation
/// `sqrt(max(sum_t alpha_t h_t^2 - mu^2, 0) + 1e-5)`, concatenated. Weights (names): `weight`
/// `[channels, attention]`, `bias` `[attention]`, `score` `[attention, 1]`.
#[derive(Debug, Clone)]
pub struct AttentiveStatsPool {
    weight: Tensor,
    bias: Tensor,
    score: Tensor,
}

/// Added to the weighted variance before the square root (keeps the gradient finite).
const STD_EPS: f64 = 1e-5;

impl AttentiveStatsPool {
    /// Build from `vb` (glorot-uniform matrices, zero bias).
    pub fn new(channels: usize, attention: usize, vb: VarBuilder) -> candle_core::Result<Self> {
        Ok(Self {
            weight: vb.get_with_hints(
                (channels, attention),
                "weight",
                glorot(channels, attention),
            )?,
            bias: vb.get_with_hints(attention, "bias", Init::Const(0.0))?,
            score: vb.get_with_hints((attention, 1), "score", glorot(attention, 1))?,
        })
    }

    /// The attention weights over the frames of `h` `[frames, channels]`: `[frames, 1]`,
    /// summing to 1.
    pub fn weights(&self, h: &Tensor) -> candle_core::Result<Tensor> {
        let e = h
            .matmul(&self.weight)?
            .broadcast_add(&self.bias)?
            .tanh()?
            .matmul(&self.score)?; // [t, 1]
                                   // Softmax over time; the max is a constant shift (no gradient needed through it).
        let m = e.max_keepdim(0)?.detach();
        let ex = e.broadcast_sub(&m)?.exp()?;
        ex.broadcast_div(&ex.sum_keepdim(0)?)
    }
}

impl Module for AttentiveStatsPool {
    fn forward(&self, h: &Tensor) -> candle_core::Result<Tensor> {
        let alpha = self.weights(h)?.t()?; // [1, t]
        let mean = alpha.matmul(h)?; // [1, c]
        let second = alpha.matmul(&h.sqr()?)?;
        let std = (second - mean.sqr()?)?
            .relu()?
            .affine(1.0, STD_EPS)?
            .sqrt()?;
        Tensor::cat(&[mean, std], D::Minus1)
    }
}

/// The sequence network (see the module docs). Tensor names: `conv0..N.{weight,bias}`,
/// `conv0..N.norm.{gain,bias}` (with `layer_norm`),
/// `pool.{weight,bias,score}`, `hidden.{weight,bias}` (when `hidden > 0`), `out.{weight,bias}`.
#[derive(Debug, Clone)]
pub struct SeqNet {
    cfg: SeqConfig,
    convs: Vec<(StridedConv1d, Option<FrameNorm>)>,
    pool: AttentiveStatsPool,
    hidden: Option<Linear>,
    out: Linear,
    dropout: Dropout,
    rng: SharedRng,
}

impl SeqNet {
    /// Build from `vb`; dropout masks from `rng`.
    ///
    /// Errors: [`ModelError::Config`] from [`SeqConfig::validate`]; candle errors from `vb`.
    pub fn new(cfg: &SeqConfig, vb: VarBuilder, rng: SharedRng) -> Result<Self> {
        cfg.validate()?;
        let mut convs = Vec::with_capacity(cfg.convs.len());
        let mut prev = cfg.n_in;
        for (i, c) in cfg.convs.iter().enumerate() {
            let vb = vb.pp(format!("conv{i}"));
            let norm = if cfg.layer_norm {
                Some(FrameNorm::new(c.channels, vb.pp("norm"))?)
            } else {
                None
            };
            convs.push((StridedConv1d::new(prev, *c, vb)?, norm));
            prev = c.channels;
        }
        let pool = AttentiveStatsPool::new(prev, cfg.attention, vb.pp("pool"))?;
        let mut width = cfg.pooled_width();
        let hidden = if cfg.hidden > 0 {
            let l = dense(width, cfg.hidden, vb.pp("hidden"))?;
            width = cfg.hidden;
            Some(l)
        } else {
            None
        };
        Ok(Self {
            cfg: cfg.clone(),
            convs,
            pool,
            hidden,
            out: dense(width, cfg.n_classes, vb.pp("out"))?,
            dropout: Dropout::new(cfg.dropout, rng.clone()),
            rng,
        })
    }

    /// A network with fresh weights drawn from the init stream of `seed` (dtype `F32` for
    /// training, `F64` for gradient checks), with its variables.
    ///
    /// Errors: as [`SeqNet::new`].
    pub fn init(cfg: &SeqConfig, seed: u64, dtype: DType) -> Result<(Self, VarMap)> {
        let (vb, vars) = seeded_var_builder(seed, dtype);
        Ok((Self::new(cfg, vb, SharedRng::new(seed))?, vars))
    }

    /// The architecture.
    pub fn config(&self) -> &SeqConfig {
        &self.cfg
    }

    /// The pooled statistics of one clip `[frames, n_in]` -> `[1, pooled_width]`.
    pub fn embed(&self, xs: &Tensor) -> candle_core::Result<Tensor> {
        let mut h = xs.clone();
        for (conv, norm) in &self.convs {
            h = conv.forward(&h)?;
            if let Some(n) = norm {
                h = n.forward(&h)?;
            }
            h = h.relu()?;
        }
        let pooled = self.pool.forward(&h)?;
        if !self.cfg.input_stats {
            return Ok(pooled);
        }
        let mean = xs.mean_keepdim(0)?;
        let std = xs
            .broadcast_sub(&mean)?
            .sqr()?
            .mean_keepdim(0)?
            .affine(1.0, STD_EPS)?
            .sqrt()?;
        Tensor::cat(&[pooled, mean, std], D::Minus1)
    }

    /// Logits `[n_classes]` of one clip `xs` `[frames >= 1, n_in]` (dropout only when `train`).
    pub fn forward_clip(&self, xs: &Tensor, train: bool) -> candle_core::Result<Tensor> {
        let mut z = self.dropout.forward_t(&self.embed(xs)?, train)?;
        if let Some(h) = &self.hidden {
            z = self.dropout.forward_t(&h.forward(&z)?.relu()?, train)?;
        }
        self.out.forward(&z)?.squeeze(0)
    }

    /// Logits of several clips stacked: `[clips, n_classes]`.
    pub fn forward_clips(&self, clips: &[Tensor], train: bool) -> candle_core::Result<Tensor> {
        let logits: Vec<Tensor> = clips
            .iter()
            .map(|c| self.forward_clip(c, train))
            .collect::<candle_core::Result<_>>()?;
        Tensor::stack(&logits, 0)
    }
}

/// SpecAugment-style masks on the standardised input (masked values set to 0, the feature mean).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SpecAugment {
    /// Number of time masks per clip. Default 2.
    pub time_masks: usize,
    /// Longest time mask in frames (each is uniform in `0..=max_time`, at most a fifth of the
    /// clip). Default 20.
    pub max_time: usize,
    /// Number of feature (frequency) masks per clip. Default 2.
    pub freq_masks: usize,
    /// Widest feature mask (uniform in `0..=max_freq`). Default 8.
    pub max_freq: usize,
}

impl Default for SpecAugment {
    fn default() -> Self {
        Self {
            time_masks: 2,
            max_time: 20,
            freq_masks: 2,
            max_freq: 8,
        }
    }
}

/// A uniform integer in `0..n` (`n >= 1`).
fn below(rng: &mut ChaCha8Rng, n: usize) -> usize {
    (rng.next_u64() % n.max(1) as u64) as usize
}

impl SpecAugment {
    /// Mask `x` `[frames, features]` in place with draws from `rng`.
    pub(crate) fn apply(&self, x: &mut Array2<f32>, rng: &mut ChaCha8Rng) {
        let (t, f) = x.dim();
        let max_t = self.max_time.min(t / 5);
        for _ in 0..self.time_masks {
            let w = below(rng, max_t + 1);
            let s = below(rng, t - w + 1);
            for r in s..s + w {
                x.row_mut(r).fill(0.0);
            }
        }
        let max_f = self.max_freq.min(f);
        for _ in 0..self.freq_masks {
            let w = below(rng, max_f + 1);
            let s = below(rng, f - w + 1);
            for c in s..s + w {
                x.column_mut(c).fill(0.0);
            }
        }
    }
}

/// Training settings of a [`SeqTrainer`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SeqTrainConfig {
    /// Most epochs. Default 60.
    pub epochs: usize,
    /// Clips per mini-batch (>= 1). Default 16.
    pub batch_size: usize,
    /// Optimiser. Default AdamW (lr 1e-3, weight decay 0.01).
    pub optimizer: OptimizerConfig,
    /// Learning-rate schedule over `epochs`. Default constant.
    pub lr_schedule: LrSchedule,
    /// Seed of initialisation, shuffling, dropout and masks. Default 0.
    pub seed: u64,
    /// Early stopping on the validation loss (used when validation clips are given). Default
    /// patience 15 (the validation loss of 4 unseen speakers is noisy: patience 8 stopped a
    /// RAVDESS fold at epoch 17 with UAR 0.38, 15 at epoch 33 with 0.45), restoring the best
    /// epoch's weights.
    pub early_stopping: EarlyStopping,
    /// Standardise each input feature with its mean and std over all training frames.
    /// Default true.
    pub standardize: bool,
    /// SpecAugment masks on training clips (none: no augmentation). Default
    /// [`SpecAugment::default`].
    pub spec_augment: Option<SpecAugment>,
}

impl Default for SeqTrainConfig {
    fn default() -> Self {
        Self {
            epochs: 60,
            batch_size: 16,
            optimizer: OptimizerConfig::adamw(),
            lr_schedule: LrSchedule::Constant,
            seed: 0,
            early_stopping: EarlyStopping {
                patience: 15,
                ..EarlyStopping::default()
            },
            standardize: true,
            spec_augment: Some(SpecAugment::default()),
        }
    }
}

/// Trains a [`SeqNet`] on labelled clips.
#[derive(Debug, Clone)]
pub struct SeqTrainer {
    net: SeqConfig,
    cfg: SeqTrainConfig,
}

/// A trained sequence model: the network, its input standardisation and training history.
pub struct SeqModel {
    net: SeqNet,
    vars: VarMap,
    mean: Vec<f32>,
    std: Vec<f32>,
    history: Vec<EpochRecord>,
    best_epoch: Option<usize>,
}

impl std::fmt::Debug for SeqModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SeqModel")
            .field("config", &self.net.cfg)
            .field("epochs_run", &self.history.len())
            .field("best_epoch", &self.best_epoch)
            .finish_non_exhaustive()
    }
}

/// Check every clip: `[frames >= 1, n_in]`, finite, label `< n_classes`.
fn check_clips(clips: &[(Array2<f32>, usize)], n_in: usize, n_classes: usize) -> Result<()> {
    for (row, (x, label)) in clips.iter().enumerate() {
        check_clip(x.view(), n_in)?;
        if *label >= n_classes {
            return Err(ModelError::Label {
                row,
                label: *label,
                n_classes,
            });
        }
    }
    Ok(())
}

fn check_clip(x: ArrayView2<'_, f32>, n_in: usize) -> Result<()> {
    if x.ncols() != n_in {
        return Err(ModelError::Shape {
            what: "features per frame",
            expected: n_in,
            actual: x.ncols(),
        });
    }
    if x.nrows() == 0 {
        return Err(ModelError::Shape {
            what: "frames in a clip (at least)",
            expected: 1,
            actual: 0,
        });
    }
    if let Some(((row, column), &value)) = x.indexed_iter().find(|(_, v)| !v.is_finite()) {
        return Err(ModelError::NonFiniteFeature { row, column, value });
    }
    Ok(())
}

/// Per-feature mean and std (population, floored at 1e-6) over all frames of `clips`.
fn feature_stats(clips: &[(Array2<f32>, usize)], n_in: usize) -> (Vec<f32>, Vec<f32>) {
    let mut sum = vec![0f64; n_in];
    let mut sq = vec![0f64; n_in];
    let mut n = 0usize;
    for (x, _) in clips {
        for row in x.rows() {
            for (j, &v) in row.iter().enumerate() {
                sum[j] += f64::from(v);
                sq[j] += f64::from(v) * f64::from(v);
            }
        }
        n += x.nrows();
    }
    let n = n.max(1) as f64;
    let mean: Vec<f64> = sum.iter().map(|s| s / n).collect();
    let std = sq
        .iter()
        .zip(&mean)
        .map(|(q, m)| ((q / n - m * m).max(0.0).sqrt().max(1e-6)) as f32)
        .collect();
    (mean.iter().map(|&m| m as f32).collect(), std)
}

fn standardized(x: &Array2<f32>, mean: &[f32], std: &[f32]) -> Array2<f32> {
    let mut y = x.clone();
    for mut row in y.rows_mut() {
        for ((v, m), s) in row.iter_mut().zip(mean).zip(std) {
            *v = (*v - m) / s;
        }
    }
    y
}

fn to_tensor(x: &Array2<f32>) -> candle_core::Result<Tensor> {
    let x = x.as_standard_layout();
    Tensor::from_slice(
        x.as_slice().unwrap_or_default(),
        (x.nrows(), x.ncols()),
        &Device::Cpu,
    )
}

fn restore(vars: &VarMap, saved: &HashMap<String, Tensor>) -> Result<()> {
    let map = vars.data().lock().map_err(|_| ModelError::Config {
        field: "vars",
        reason: "poisoned lock".into(),
    })?;
    for (k, v) in map.iter() {
        if let Some(t) = saved.get(k) {
            v.set(t)?;
        }
    }
    Ok(())
}

impl SeqTrainer {
    /// A trainer for architecture `net` with settings `cfg`.
    ///
    /// Errors: [`ModelError::Config`] for an invalid architecture or batch size 0.
    pub fn new(net: SeqConfig, cfg: SeqTrainConfig) -> Result<Self> {
        net.validate()?;
        if cfg.batch_size == 0 {
            return Err(ModelError::Config {
                field: "batch_size",
                reason: "must be >= 1".into(),
            });
        }
        Ok(Self { net, cfg })
    }

    /// Train on `train` (clips `[frames, n_in]` with class indices) and stop early on `val`
    /// (may be empty: then all epochs run and the last weights are kept).
    ///
    /// Errors: [`ModelError::Shape`], [`ModelError::Label`], [`ModelError::NonFiniteFeature`]
    /// for bad clips (also an empty `train`), [`ModelError::NonFinite`] when the loss diverges.
    pub fn fit(
        &self,
        train: &[(Array2<f32>, usize)],
        val: &[(Array2<f32>, usize)],
    ) -> Result<SeqModel> {
        let (n_in, n_classes) = (self.net.n_in, self.net.n_classes);
        if train.is_empty() {
            return Err(ModelError::Shape {
                what: "training clips (at least)",
                expected: 1,
                actual: 0,
            });
        }
        check_clips(train, n_in, n_classes)?;
        check_clips(val, n_in, n_classes)?;
        let (mean, std) = if self.cfg.standardize {
            feature_stats(train, n_in)
        } else {
            (vec![0.0; n_in], vec![1.0; n_in])
        };
        let seed = self.cfg.seed;
        let (net, vars) = SeqNet::init(&self.net, seed, DType::F32)?;
        let mut model = SeqModel {
            net,
            vars,
            mean,
            std,
            history: Vec::new(),
            best_epoch: None,
        };
        let train_x: Vec<Array2<f32>> = train
            .iter()
            .map(|(x, _)| standardized(x, &model.mean, &model.std))
            .collect();
        let val_x: Vec<Tensor> = val
            .iter()
            .map(|(x, _)| to_tensor(&standardized(x, &model.mean, &model.std)))
            .collect::<candle_core::Result<_>>()?;
        let val_y: Vec<usize> = val.iter().map(|(_, y)| *y).collect();
        let mut opt = Optimizer::new(self.cfg.optimizer.clone(), &model.vars)?;
        let stop = &self.cfg.early_stopping;
        let mut best: Option<(f64, HashMap<String, Tensor>)> = None;
        let mut bad_epochs = 0;
        let mut order: Vec<usize> = (0..train.len()).collect();
        for epoch in 0..self.cfg.epochs {
            let t0 = Instant::now();
            let e = epoch as u64;
            let base = self.cfg.optimizer.lr();
            opt.set_lr(self.cfg.lr_schedule.lr(base, epoch, self.cfg.epochs));
            model.net.rng.reseed(seed, e);
            shuffle(&mut order, &mut stream(seed, Purpose::Shuffle, e));
            let mut aug_rng = stream(seed, Purpose::Augment, e);
            let (mut loss_sum, mut correct) = (0.0, 0usize);
            for batch in order.chunks(self.cfg.batch_size) {
                let clips: Vec<Tensor> = batch
                    .iter()
                    .map(|&i| match &self.cfg.spec_augment {
                        Some(aug) => {
                            let mut x = train_x[i].clone();
                            aug.apply(&mut x, &mut aug_rng);
                            to_tensor(&x)
                        }
                        None => to_tensor(&train_x[i]),
                    })
                    .collect::<candle_core::Result<_>>()?;
                let y: Vec<u32> = batch.iter().map(|&i| train[i].1 as u32).collect();
                let logits = model.net.forward_clips(&clips, true)?;
                let yt = Tensor::new(y.as_slice(), &Device::Cpu)?;
                let loss = candle_nn::loss::cross_entropy(&logits, &yt)?;
                let l = f64::from(loss.to_scalar::<f32>()?);
                if !l.is_finite() {
                    return Err(ModelError::NonFinite { epoch: epoch + 1 });
                }
                loss_sum += l * batch.len() as f64;
                correct += count_correct(&logits, &y)?;
                opt.step(&loss.backward()?)?;
            }
            let (val_loss, val_accuracy) = if val.is_empty() {
                (None, None)
            } else {
                let logits = model.net.forward_clips(&val_x, false)?;
                let y: Vec<u32> = val_y.iter().map(|&v| v as u32).collect();
                let yt = Tensor::new(y.as_slice(), &Device::Cpu)?;
                let l =
                    f64::from(candle_nn::loss::cross_entropy(&logits, &yt)?.to_scalar::<f32>()?);
                let acc = count_correct(&logits, &y)? as f64 / val.len() as f64;
                (Some(l), Some(acc))
            };
            model.history.push(EpochRecord {
                epoch: epoch + 1,
                train_loss: loss_sum / train.len() as f64,
                train_accuracy: correct as f64 / train.len() as f64,
                val_loss,
                val_accuracy,
                lr: opt.lr(),
                seconds: t0.elapsed().as_secs_f64(),
            });
            if let Some(vl) = val_loss {
                let improved = best.as_ref().is_none_or(|(b, _)| vl < b - stop.min_delta);
                if improved {
                    best = Some((vl, snapshot(&model.vars)?));
                    model.best_epoch = Some(epoch + 1);
                    bad_epochs = 0;
                } else {
                    bad_epochs += 1;
                    if bad_epochs >= stop.patience {
                        break;
                    }
                }
            }
        }
        if stop.restore_best {
            if let Some((_, saved)) = &best {
                restore(&model.vars, saved)?;
            }
        }
        Ok(model)
    }
}

fn count_correct(logits: &Tensor, y: &[u32]) -> Result<usize> {
    let pred: Vec<u32> = logits.argmax(D::Minus1)?.to_vec1()?;
    Ok(pred.iter().zip(y).filter(|(p, t)| p == t).count())
}

impl SeqModel {
    /// Class probabilities `[n_classes]` of one clip `x` `[frames >= 1, n_in]` (raw features:
    /// the model standardises them as in training).
    ///
    /// Errors: [`ModelError::Shape`] for a wrong width or no frames,
    /// [`ModelError::NonFiniteFeature`].
    pub fn predict_proba(&self, x: &Array2<f32>) -> Result<Vec<f32>> {
        check_clip(x.view(), self.net.cfg.n_in)?;
        let xs = to_tensor(&standardized(x, &self.mean, &self.std))?;
        let logits = self.net.forward_clip(&xs, false)?;
        Ok(candle_nn::ops::softmax(&logits, 0)?.to_vec1()?)
    }

    /// The network.
    pub fn net(&self) -> &SeqNet {
        &self.net
    }

    /// The network's variables (by tensor name).
    pub fn vars(&self) -> &VarMap {
        &self.vars
    }

    /// Per-feature mean and std used to standardise inputs (`[n_in]` each).
    pub fn normalization(&self) -> (&[f32], &[f32]) {
        (&self.mean, &self.std)
    }

    /// One record per epoch run.
    pub fn history(&self) -> &[EpochRecord] {
        &self.history
    }

    /// The 1-based epoch whose weights were kept (best validation loss), if validated.
    pub fn best_epoch(&self) -> Option<usize> {
        self.best_epoch
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::tests::values;
    use candle_core::Var;

    fn randn(shape: &[usize], seed: u64) -> Tensor {
        let mut rng = stream(seed, Purpose::Init, 7);
        let n: usize = shape.iter().product();
        let v: Vec<f64> = (0..n).map(|_| crate::rng::normal_f64(&mut rng)).collect();
        Tensor::from_vec(v, shape, &Device::Cpu).unwrap()
    }

    /// Largest |autograd - central difference| / max(1, |fd|) of the scalar `loss` over every
    /// element of every var in `vars` (f64).
    fn grad_check(vars: &[Var], loss: &dyn Fn() -> Tensor) -> f64 {
        let grads = loss().backward().unwrap();
        let eps = 1e-6;
        let mut worst = 0f64;
        for var in vars {
            let g = values(grads.get(var.as_tensor()).unwrap());
            let base = values(var.as_tensor());
            for (i, gi) in g.iter().enumerate() {
                let at = |d: f64| {
                    let mut p = base.clone();
                    p[i] += d;
                    var.set(&Tensor::from_vec(p, var.shape(), &Device::Cpu).unwrap())
                        .unwrap();
                    loss().to_scalar::<f64>().unwrap()
                };
                let fd = (at(eps) - at(-eps)) / (2.0 * eps);
                worst = worst.max((fd - gi).abs() / fd.abs().max(1.0));
            }
            var.set(&Tensor::from_vec(base, var.shape(), &Device::Cpu).unwrap())
                .unwrap();
        }
        worst
    }

    fn all_vars(vm: &VarMap) -> Vec<Var> {
        let mut v: Vec<(String, Var)> = vm
            .data()
            .lock()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v.into_iter().map(|(_, v)| v).collect()
    }

    /// [`grad_check`] of `sum(w * layer(x))` (random `w` from `seed`) over the layer's
    /// variables in `vm` and the input `x`.
    fn layer_grad_error(vm: &VarMap, x: &Var, seed: u64, layer: &dyn Fn(&Tensor) -> Tensor) -> f64 {
        let w = randn(layer(x.as_tensor()).dims(), seed);
        let loss = || (layer(x.as_tensor()) * &w).unwrap().sum_all().unwrap();
        let mut vars = all_vars(vm);
        vars.push(x.clone());
        grad_check(&vars, &loss)
    }

    #[test]
    fn default_fits_the_budget() {
        let cfg = SeqConfig::default();
        let (_, vars) = SeqNet::init(&cfg, 0, DType::F32).unwrap();
        let counted: usize = all_vars(&vars).iter().map(|v| v.elem_count()).sum();
        assert_eq!(cfg.param_count(), counted);
        assert_eq!(cfg.param_count(), 153_160);
        assert!(cfg.param_count() <= 1_000_000);
        let mflop = cfg.flops(300) as f64 / 1e6;
        assert!(mflop <= 40.0, "{mflop} MFLOP per 3 s");
        assert!((18.0..20.0).contains(&mflop), "{mflop} (module docs)");
        assert_eq!(cfg.out_frames(300), 75);
        assert_eq!(cfg.out_frames(7), 2);
    }

    #[test]
    fn strided_conv_matches_direct_sum_and_finite_differences() {
        for (k, s, t) in [(3, 2, 7), (5, 2, 8), (3, 1, 5), (1, 3, 7)] {
            let (vb, vm) = seeded_var_builder(k as u64, DType::F64);
            let conv = SeqConv {
                channels: 3,
                kernel: k,
                stride: s,
            };
            let layer = StridedConv1d::new(2, conv, vb).unwrap();
            for (i, var) in all_vars(&vm).iter().enumerate() {
                var.set(&randn(var.dims(), 10 + i as u64)).unwrap();
            }
            let x = Var::from_tensor(&randn(&[t, 2], 3)).unwrap();
            let y = layer.forward(x.as_tensor()).unwrap();
            let tout = t.div_ceil(s);
            assert_eq!(y.dims(), &[tout, 3]);
            // Direct definition: y[o, c] = b[c] + sum_{j, i} w[c, i, j] x[o s + j - p, i].
            let (xv, wv, bv) = (
                values(x.as_tensor()),
                values(&layer.weight),
                values(&layer.bias),
            );
            let yv = values(&y);
            let p = (k - 1) / 2;
            for o in 0..tout {
                for c in 0..3 {
                    let mut want = bv[c];
                    for j in 0..k {
                        let ti = (o * s + j) as isize - p as isize;
                        if ti < 0 || ti >= t as isize {
                            continue;
                        }
                        for i in 0..2 {
                            want += wv[(c * 2 + i) * k + j] * xv[ti as usize * 2 + i];
                        }
                    }
                    assert!((yv[o * 3 + c] - want).abs() < 1e-12, "k{k} s{s} {o} {c}");
                }
            }
            let err = layer_grad_error(&vm, &x, 4, &|x| layer.forward(x).unwrap());
            eprintln!("strided conv k{k} s{s} t{t}: max gradient error {err:e}");
            assert!(err < 1e-6, "k{k} s{s}: {err}");
        }
    }

    #[test]
    fn attentive_pooling_by_hand_and_finite_differences() {
        let (vb, vm) = seeded_var_builder(1, DType::F64);
        let pool = AttentiveStatsPool::new(3, 4, vb).unwrap();
        for (i, var) in all_vars(&vm).iter().enumerate() {
            var.set(&randn(var.dims(), 20 + i as u64)).unwrap();
        }
        let h = Var::from_tensor(&randn(&[6, 3], 5)).unwrap();
        let out = values(&pool.forward(h.as_tensor()).unwrap());
        assert_eq!(out.len(), 6);
        // By hand: weights sum to one; mean and std as weighted moments.
        let a = values(&pool.weights(h.as_tensor()).unwrap());
        assert!((a.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        let hv = values(h.as_tensor());
        for c in 0..3 {
            let mu: f64 = (0..6).map(|t| a[t] * hv[t * 3 + c]).sum();
            let var: f64 = (0..6).map(|t| a[t] * (hv[t * 3 + c] - mu).powi(2)).sum();
            assert!((out[c] - mu).abs() < 1e-12);
            assert!((out[3 + c] - (var + STD_EPS).sqrt()).abs() < 1e-9);
        }
        let err = layer_grad_error(&vm, &h, 6, &|h| pool.forward(h).unwrap());
        eprintln!("attentive stats pooling: max gradient error {err:e}");
        assert!(err < 1e-6, "{err}");
        // One frame: weight 1, std sqrt(eps), still finite gradients.
        let one = pool.forward(&randn(&[1, 3], 8)).unwrap();
        assert!(values(&one).iter().all(|v| v.is_finite()));
    }

    #[test]
    fn frame_norm_normalises_and_finite_differences() {
        let (vb, vm) = seeded_var_builder(2, DType::F64);
        let norm = FrameNorm::new(4, vb).unwrap();
        for (i, var) in all_vars(&vm).iter().enumerate() {
            var.set(&randn(var.dims(), 30 + i as u64)).unwrap();
        }
        let x = Var::from_tensor(&randn(&[5, 4], 9)).unwrap();
        let (g, b) = (values(&norm.gain), values(&norm.bias));
        let y = values(&norm.forward(x.as_tensor()).unwrap());
        let xv = values(x.as_tensor());
        for t in 0..5 {
            let row = &xv[t * 4..t * 4 + 4];
            let m = row.iter().sum::<f64>() / 4.0;
            let v = row.iter().map(|r| (r - m).powi(2)).sum::<f64>() / 4.0;
            for c in 0..4 {
                let want = (row[c] - m) / (v + STD_EPS).sqrt() * g[c] + b[c];
                assert!((y[t * 4 + c] - want).abs() < 1e-12);
            }
        }
        let err = layer_grad_error(&vm, &x, 11, &|x| norm.forward(x).unwrap());
        eprintln!("frame layer norm: max gradient error {err:e}");
        assert!(err < 1e-6, "{err}");
    }

    fn tiny() -> SeqConfig {
        SeqConfig {
            n_in: 3,
            n_classes: 3,
            convs: vec![
                SeqConv {
                    channels: 4,
                    kernel: 3,
                    stride: 2,
                },
                SeqConv {
                    channels: 3,
                    kernel: 3,
                    stride: 1,
                },
            ],
            attention: 3,
            hidden: 4,
            dropout: 0.0,
            input_stats: true,
            layer_norm: true,
        }
    }

    #[test]
    fn whole_net_finite_differences_on_cross_entropy() {
        let (net, vm) = SeqNet::init(&tiny(), 3, DType::F64).unwrap();
        // Biases away from zero so that ReLU kinks are not hit by the +-eps steps.
        for (i, var) in all_vars(&vm).iter().enumerate() {
            var.set(&(randn(var.dims(), 40 + i as u64) * 0.7).unwrap())
                .unwrap();
        }
        let clips = [randn(&[9, 3], 1), randn(&[4, 3], 2), randn(&[1, 3], 3)];
        let y = Tensor::new(&[2u32, 0, 1], &Device::Cpu).unwrap();
        let loss = || {
            let logits = net.forward_clips(&clips, false).unwrap();
            candle_nn::loss::cross_entropy(&logits, &y).unwrap()
        };
        let err = grad_check(&all_vars(&vm), &loss);
        eprintln!("whole SeqNet: max gradient error {err:e}");
        assert!(err < 1e-5, "{err}");
    }

    fn toy_clips(n: usize, seed: u64) -> Vec<(Array2<f32>, usize)> {
        // Class c: feature c is raised over a random stretch; lengths 5..25 frames.
        let mut rng = stream(seed, Purpose::Init, 3);
        (0..n)
            .map(|i| {
                let c = i % 3;
                let t = 5 + below(&mut rng, 20);
                let mut x = Array2::from_shape_fn((t, 3), |_| {
                    crate::rng::normal_f64(&mut rng) as f32 * 0.5 + 4.0
                });
                x.column_mut(c).mapv_inplace(|v| v + 1.5);
                (x, c)
            })
            .collect()
    }

    #[test]
    fn trainer_learns_toy_task_reproducibly() {
        let cfg = SeqTrainConfig {
            epochs: 15,
            batch_size: 8,
            optimizer: OptimizerConfig::AdamW {
                lr: 0.01,
                beta1: 0.9,
                beta2: 0.999,
                eps: 1e-7,
                weight_decay: 0.0,
            },
            seed: 5,
            ..SeqTrainConfig::default()
        };
        let net = SeqConfig {
            dropout: 0.1,
            ..tiny()
        };
        let train = toy_clips(60, 1);
        let val = toy_clips(30, 2);
        let trainer = SeqTrainer::new(net, cfg).unwrap();
        let a = trainer.fit(&train, &val).unwrap();
        let b = trainer.fit(&train, &val).unwrap();
        assert_eq!(
            a.history(),
            {
                let h: Vec<EpochRecord> = b
                    .history()
                    .iter()
                    .cloned()
                    .zip(a.history())
                    .map(|(mut r, ra)| {
                        r.seconds = ra.seconds;
                        r
                    })
                    .collect();
                h
            }
            .as_slice()
        );
        let best = a.best_epoch().unwrap();
        let best_val = a.history()[best - 1].val_accuracy.unwrap();
        assert!(best_val > 0.8, "{:?}", a.history());
        // Restored weights: prediction accuracy on val equals the best epoch's.
        let correct = val
            .iter()
            .filter(|(x, y)| {
                let p = a.predict_proba(x).unwrap();
                assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-5);
                crate::argmax(&p) == *y
            })
            .count();
        assert!((correct as f64 / val.len() as f64 - best_val).abs() < 1e-9);
    }

    #[test]
    fn bad_input_is_an_error() {
        let trainer = SeqTrainer::new(tiny(), SeqTrainConfig::default()).unwrap();
        let wide = vec![(Array2::zeros((4, 5)), 0)];
        assert!(matches!(
            trainer.fit(&wide, &[]),
            Err(ModelError::Shape { .. })
        ));
        let empty = vec![(Array2::zeros((0, 3)), 0)];
        assert!(matches!(
            trainer.fit(&empty, &[]),
            Err(ModelError::Shape { .. })
        ));
        let label = vec![(Array2::zeros((4, 3)), 7)];
        assert!(matches!(
            trainer.fit(&label, &[]),
            Err(ModelError::Label { .. })
        ));
        let mut nan = Array2::zeros((4, 3));
        nan[[2, 1]] = f32::NAN;
        assert!(matches!(
            trainer.fit(&[(nan, 0)], &[]),
            Err(ModelError::NonFiniteFeature {
                row: 2,
                column: 1,
                ..
            })
        ));
        assert!(SeqTrainer::new(
            SeqConfig {
                convs: vec![],
                ..tiny()
            },
            SeqTrainConfig::default()
        )
        .is_err());
    }

    #[test]
    fn spec_augment_is_seeded_and_masks_to_zero() {
        let aug = SpecAugment::default();
        let x = Array2::from_elem((100, 64), 1.0f32);
        let mut a = x.clone();
        let mut b = x.clone();
        aug.apply(&mut a, &mut stream(1, Purpose::Augment, 0));
        aug.apply(&mut b, &mut stream(1, Purpose::Augment, 0));
        assert_eq!(a, b);
        let zeros = a.iter().filter(|v| **v == 0.0).count();
        assert!(zeros > 0 && zeros < a.len() / 2, "{zeros}");
        // Tiny clips and narrow inputs do not panic.
        let mut small = Array2::from_elem((2, 3), 1.0f32);
        aug.apply(&mut small, &mut stream(1, Purpose::Augment, 1));
    }
}
