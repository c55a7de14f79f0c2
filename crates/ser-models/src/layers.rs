//! Building blocks in candle-nn style: a generic Conv1D block, Keras-'valid' max pooling, dropout
//! with a seeded mask, and a Keras-compatible LSTM.

use candle_core::{Module, ModuleT, Tensor, D};
use candle_nn::{Init, VarBuilder};

use crate::config::{Padding, RecurrentActivation};
use crate::rng::{uniform_f32, SharedRng};

/// Keras `glorot_uniform` bounds for the given fans.
pub(crate) fn glorot(fan_in: usize, fan_out: usize) -> Init {
    let limit = (6.0 / (fan_in + fan_out) as f64).sqrt();
    Init::Uniform {
        lo: -limit,
        up: limit,
    }
}

/// Conv1D (stride 1) + bias + ReLU on `[batch, in_channels, len]`.
/// Weights: `weight` `[out, in, k]` (candle layout), `bias` `[out]`.
#[derive(Debug, Clone)]
pub struct Conv1dBlock {
    weight: Tensor,
    bias: Tensor,
    pad: usize,
}

impl Conv1dBlock {
    /// Build from `vb` (names `weight`, `bias`); Keras glorot-uniform / zero init.
    pub fn new(
        in_c: usize,
        out_c: usize,
        k: usize,
        padding: Padding,
        vb: VarBuilder,
    ) -> candle_core::Result<Self> {
        let weight = vb.get_with_hints((out_c, in_c, k), "weight", glorot(in_c * k, out_c * k))?;
        let bias = vb.get_with_hints(out_c, "bias", Init::Const(0.0))?;
        let pad = match padding {
            Padding::Valid => 0,
            Padding::Same => (k - 1) / 2,
        };
        Ok(Self { weight, bias, pad })
    }
}

impl Module for Conv1dBlock {
    fn forward(&self, xs: &Tensor) -> candle_core::Result<Tensor> {
        let c = self.bias.dim(0)?;
        xs.conv1d(&self.weight, self.pad, 1, 1, 1)?
            .broadcast_add(&self.bias.reshape((1, c, 1))?)?
            .relu()
    }
}

/// Max pooling over the last axis of `[batch, channels, len]` with window = stride = `size`,
/// Keras 'valid': the last `len % size` steps are dropped. Built from narrow + reshape + max
/// (candle 0.11's `max_pool2d` has a wrong gradient).
pub fn max_pool1d(xs: &Tensor, size: usize) -> candle_core::Result<Tensor> {
    let (b, c, l) = xs.dims3()?;
    let n = l / size;
    xs.narrow(2, 0, n * size)?
        .reshape((b, c, n, size))?
        .max(D::Minus1)
}

/// Dropout (inverted: kept values scaled by `1/(1-p)`) whose masks come from a seeded generator.
#[derive(Debug, Clone)]
pub struct Dropout {
    p: f32,
    rng: SharedRng,
}

impl Dropout {
    /// Dropout of rate `p` drawing from `rng`.
    pub fn new(p: f32, rng: SharedRng) -> Self {
        Self { p, rng }
    }
}

impl ModuleT for Dropout {
    fn forward_t(&self, xs: &Tensor, train: bool) -> candle_core::Result<Tensor> {
        if !train || self.p <= 0.0 {
            return Ok(xs.clone());
        }
        let n = xs.elem_count();
        let scale = 1.0 / (1.0 - self.p);
        let mut guard = self
            .rng
            .0
            .lock()
            .map_err(|_| candle_core::Error::Msg("dropout RNG poisoned".into()))?;
        let mask: Vec<f32> = (0..n)
            .map(|_| {
                if uniform_f32(&mut guard) < self.p {
                    0.0
                } else {
                    scale
                }
            })
            .collect();
        drop(guard);
        xs.mul(&Tensor::from_vec(mask, xs.shape(), xs.device())?)
    }
}

/// Keras LSTM (gate order i, f, c, o; `tanh` activation; configurable recurrent activation),
/// returning the last hidden state. Weights in Keras layout: `kernel` `[in, 4h]`,
/// `recurrent_kernel` `[h, 4h]`, `bias` `[4h]`.
#[derive(Debug, Clone)]
pub struct Lstm {
    kernel: Tensor,
    recurrent: Tensor,
    bias: Tensor,
    hidden: usize,
    activation: RecurrentActivation,
}

impl Lstm {
    /// Build from `vb`. Init hints: glorot-uniform kernel, standard normal recurrent kernel (the
    /// trainer orthogonalises it, as Keras' `orthogonal`), zero bias (the trainer sets the forget
    /// gate's bias to 1, as Keras' `unit_forget_bias`).
    pub fn new(
        input: usize,
        hidden: usize,
        activation: RecurrentActivation,
        vb: VarBuilder,
    ) -> candle_core::Result<Self> {
        let kernel = vb.get_with_hints((input, 4 * hidden), "kernel", glorot(input, 4 * hidden))?;
        let recurrent = vb.get_with_hints(
            (hidden, 4 * hidden),
            "recurrent_kernel",
            Init::Randn {
                mean: 0.0,
                stdev: 1.0,
            },
        )?;
        let bias = vb.get_with_hints(4 * hidden, "bias", Init::Const(0.0))?;
        Ok(Self {
            kernel,
            recurrent,
            bias,
            hidden,
            activation,
        })
    }

    fn gate(&self, z: &Tensor) -> candle_core::Result<Tensor> {
        match self.activation {
            RecurrentActivation::HardSigmoid => z.affine(0.2, 0.5)?.clamp(0f32, 1f32),
            RecurrentActivation::Sigmoid => candle_nn::ops::sigmoid(z),
        }
    }

    /// `xs` `[batch, steps, in]` -> last hidden state `[batch, h]`. The input projections of all
    /// steps are one matmul; each step is one `[b, h] x [h, 4h]` matmul.
    pub fn forward_last(&self, xs: &Tensor) -> candle_core::Result<Tensor> {
        let (b, t, i) = xs.dims3()?;
        let h = self.hidden;
        // [t, b, 4h], contiguous per step.
        let xp = xs
            .transpose(0, 1)?
            .contiguous()?
            .reshape((t * b, i))?
            .matmul(&self.kernel)?
            .broadcast_add(&self.bias)?
            .reshape((t, b, 4 * h))?;
        let mut state: Option<(Tensor, Tensor)> = None;
        for step in 0..t {
            let x = xp.get(step)?;
            let z = match &state {
                Some((hp, _)) => (x + hp.matmul(&self.recurrent)?)?,
                None => x,
            };
            let g = self.gate(&z)?;
            let ig = g.narrow(1, 0, h)?;
            let og = g.narrow(1, 3 * h, h)?;
            let cand = z.narrow(1, 2 * h, h)?.tanh()?;
            let c = match &state {
                Some((_, cp)) => ((g.narrow(1, h, h)? * cp)? + (ig * cand)?)?,
                None => (ig * cand)?,
            };
            let hn = (og * c.tanh()?)?;
            state = Some((hn, c));
        }
        match state {
            Some((hn, _)) => Ok(hn),
            None => Tensor::zeros((b, h), xs.dtype(), xs.device()),
        }
    }
}
