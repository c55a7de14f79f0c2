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

impl Conv1dBlock {
    /// The same convolution with candle's `conv1d` (the reference the im2col path is tested against).
    pub fn forward_reference(&self, xs: &Tensor) -> candle_core::Result<Tensor> {
        let c = self.bias.dim(0)?;
        xs.conv1d(&self.weight, self.pad, 1, 1, 1)?
            .broadcast_add(&self.bias.reshape((1, c, 1))?)?
            .relu()
    }
}

impl Module for Conv1dBlock {
    /// `[b, in, len]` -> `[b, out, len']`: im2col in channels-last order (`k` time-shifted narrows
    /// of `[b, len, in]` concatenated into `[b * len', k * in]`), one 2-D matmul with the kernel
    /// permuted to `[k * in, out]`, bias, ReLU. For these small inputs this is much faster than
    /// candle's conv1d, and its gradient is right (candle 0.11's conv1d gradient is not: see the
    /// finite-difference test).
    fn forward(&self, xs: &Tensor) -> candle_core::Result<Tensor> {
        let (out_c, in_c, k) = self.weight.dims3()?;
        let (b, _, _) = xs.dims3()?;
        let x = if self.pad > 0 {
            xs.pad_with_zeros(2, self.pad, self.pad)?
        } else {
            xs.clone()
        };
        let l = x.dim(2)?;
        if l < k {
            return Err(candle_core::Error::Msg(format!(
                "conv1d: length {l} shorter than kernel {k}"
            )));
        }
        let lout = l - k + 1;
        let xt = x.transpose(1, 2)?.contiguous()?; // [b, l, in]
        let cols: Vec<Tensor> = (0..k)
            .map(|j| xt.narrow(1, j, lout))
            .collect::<candle_core::Result<_>>()?;
        let cols = Tensor::cat(&cols, 2)?.reshape((b * lout, k * in_c))?; // column j * in + c
        let w = self
            .weight
            .permute((2, 1, 0))?
            .contiguous()?
            .reshape((k * in_c, out_c))?;
        cols.matmul(&w)?
            .broadcast_add(&self.bias)?
            .relu()?
            .reshape((b, lout, out_c))?
            .transpose(1, 2)?
            .contiguous()
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
    /// steps are one candle matmul; the recurrence (one `[b, h] x [h, 4h]` matmul per step) and its
    /// backpropagation through time run in one fused custom op.
    pub fn forward_last(&self, xs: &Tensor) -> candle_core::Result<Tensor> {
        let (b, t, i) = xs.dims3()?;
        if t == 0 {
            return Tensor::zeros((b, self.hidden), xs.dtype(), xs.device());
        }
        let xp = self.projections(xs, b, t, i)?;
        xp.apply_op2(
            &self.recurrent,
            crate::lstm_op::FusedLstm::new(self.activation),
        )
    }

    fn projections(
        &self,
        xs: &Tensor,
        b: usize,
        t: usize,
        i: usize,
    ) -> candle_core::Result<Tensor> {
        // [t, b, 4h], contiguous per step.
        xs.transpose(0, 1)?
            .contiguous()?
            .reshape((t * b, i))?
            .matmul(&self.kernel)?
            .broadcast_add(&self.bias)?
            .reshape((t, b, 4 * self.hidden))
    }

    /// The same as [`Lstm::forward_last`] built from elementary candle ops (autograd through
    /// ~15 ops per step): the reference the fused op is tested against.
    pub fn forward_last_unfused(&self, xs: &Tensor) -> candle_core::Result<Tensor> {
        let (b, t, i) = xs.dims3()?;
        let h = self.hidden;
        let xp = self.projections(xs, b, t, i)?;
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use candle_core::{DType, Device, Var};
    use candle_nn::VarMap;

    fn rand_tensor(shape: &[usize], seed: u64, scale: f64) -> Tensor {
        let mut rng = crate::rng::stream(seed, crate::rng::Purpose::Init, 99);
        let n: usize = shape.iter().product();
        let v: Vec<f32> = (0..n)
            .map(|_| (scale * crate::rng::normal_f64(&mut rng)) as f32)
            .collect();
        Tensor::from_vec(v, shape, &Device::Cpu).unwrap()
    }

    /// All elements of `t`, flattened, as f64.
    pub(crate) fn values(t: &Tensor) -> Vec<f64> {
        t.flatten_all()
            .unwrap()
            .to_dtype(DType::F64)
            .unwrap()
            .to_vec1()
            .unwrap()
    }

    /// `sum(t * w)`, the scalar loss the gradient checks differentiate.
    fn weighted_sum(t: &Tensor, w: &Tensor) -> Tensor {
        (t * w).unwrap().sum_all().unwrap()
    }

    /// Largest |element| of `t`.
    fn max_abs(t: &Tensor) -> f64 {
        values(t).iter().fold(0.0, |m, v| m.max(v.abs()))
    }

    fn max_abs_diff(a: &Tensor, b: &Tensor) -> f64 {
        max_abs(&(a - b).unwrap())
    }

    #[test]
    fn fused_lstm_matches_unfused_forward_and_gradients() {
        for act in [
            RecurrentActivation::HardSigmoid,
            RecurrentActivation::Sigmoid,
        ] {
            let vm = VarMap::new();
            let vb = VarBuilder::from_varmap(&vm, DType::F32, &Device::Cpu);
            let (b, t, h) = (3, 7, 5);
            let lstm = Lstm::new(1, h, act, vb).unwrap();
            // Random weights, large enough to visit the hard sigmoid's saturated parts.
            for (i, var) in vm.all_vars().iter().enumerate() {
                var.set(&rand_tensor(var.dims(), i as u64, 1.5)).unwrap();
            }
            let x = Var::from_tensor(&rand_tensor(&[b, t, 1], 42, 2.0)).unwrap();
            let w = rand_tensor(&[b, h], 7, 1.0);
            let fused = lstm.forward_last(x.as_tensor()).unwrap();
            let unfused = lstm.forward_last_unfused(x.as_tensor()).unwrap();
            assert!(max_abs_diff(&fused, &unfused) < 1e-5, "{act:?}");
            let gf = weighted_sum(&fused, &w).backward().unwrap();
            let gu = weighted_sum(&unfused, &w).backward().unwrap();
            for var in vm.all_vars().iter().chain(std::iter::once(&x)) {
                let a = gf.get(var.as_tensor()).unwrap();
                let c = gu.get(var.as_tensor()).unwrap();
                let scale = max_abs(c).max(1.0);
                assert!(
                    max_abs_diff(a, c) / scale < 1e-4,
                    "{act:?} {:?}",
                    var.dims()
                );
            }
        }
    }

    /// Gradient of `sum(w * conv(x))` by central differences on every element of `t`, in f64.
    fn finite_differences(t: &Var, f: &dyn Fn() -> f64) -> Vec<f64> {
        let base = values(t);
        let eps = 1e-6;
        (0..base.len())
            .map(|i| {
                let mut v = [0f64; 2];
                for (slot, d) in [eps, -eps].into_iter().enumerate() {
                    let mut p = base.clone();
                    p[i] += d;
                    t.set(&Tensor::from_vec(p, t.shape(), &Device::Cpu).unwrap())
                        .unwrap();
                    v[slot] = f();
                }
                t.set(&Tensor::from_vec(base.clone(), t.shape(), &Device::Cpu).unwrap())
                    .unwrap();
                (v[0] - v[1]) / (2.0 * eps)
            })
            .collect()
    }

    /// Largest |autograd - finite difference| over the elements of `var`.
    fn max_grad_error(grads: &candle_core::backprop::GradStore, var: &Var, fd: &[f64]) -> f64 {
        let g = values(grads.get(var).unwrap());
        fd.iter()
            .zip(&g)
            .map(|(p, q)| (p - q).abs())
            .fold(0.0, f64::max)
    }

    #[test]
    fn im2col_conv_matches_candle_forward_and_finite_difference_gradients() {
        // candle 0.11's conv1d has a wrong kernel/input gradient here (error ~5 vs finite
        // differences); the im2col path has the right one.
        for (pad, k) in [(Padding::Valid, 3), (Padding::Same, 5)] {
            let vm = VarMap::new();
            let vb = VarBuilder::from_varmap(&vm, DType::F64, &Device::Cpu);
            let conv = Conv1dBlock::new(3, 4, k, pad, vb).unwrap();
            for (i, var) in vm.all_vars().iter().enumerate() {
                var.set(
                    &rand_tensor(var.dims(), 10 + i as u64, 1.0)
                        .to_dtype(DType::F64)
                        .unwrap(),
                )
                .unwrap();
            }
            let x = Var::from_tensor(
                &rand_tensor(&[2, 3, 9], 3, 1.0)
                    .to_dtype(DType::F64)
                    .unwrap(),
            )
            .unwrap();
            let r = conv.forward_reference(x.as_tensor()).unwrap();
            let w = rand_tensor(r.dims(), 4, 1.0).to_dtype(DType::F64).unwrap();
            let a = conv.forward(x.as_tensor()).unwrap();
            let diff = max_abs_diff(&a, &r);
            assert!(diff < 1e-9, "forward {diff}");
            let loss = || {
                weighted_sum(&conv.forward(x.as_tensor()).unwrap(), &w)
                    .to_scalar::<f64>()
                    .unwrap()
            };
            let ga = weighted_sum(&a, &w).backward().unwrap();
            let wvar = vm.data().lock().unwrap()["weight"].clone();
            for var in [&wvar, &x] {
                let fd = finite_differences(var, &loss);
                let worst = max_grad_error(&ga, var, &fd);
                assert!(worst < 1e-6, "{pad:?} k{k} {:?}: {worst}", var.dims());
                let gr = weighted_sum(&conv.forward_reference(x.as_tensor()).unwrap(), &w)
                    .backward()
                    .unwrap();
                let worst_ref = max_grad_error(&gr, var, &fd);
                eprintln!("{pad:?} k{k} {:?}: max |grad - fd|: im2col {worst:e}, candle conv1d {worst_ref:e}", var.dims());
            }
        }
    }

    #[test]
    fn hard_sigmoid_lstm_one_step_by_hand() {
        // One unit, one step: c = i * tanh(z_c), h = o * tanh(c), gates clip(0.2 z + 0.5, 0, 1).
        let vm = VarMap::new();
        let vb = VarBuilder::from_varmap(&vm, DType::F32, &Device::Cpu);
        let lstm = Lstm::new(1, 1, RecurrentActivation::HardSigmoid, vb).unwrap();
        let data = vm.data().lock().unwrap();
        data["kernel"]
            .set(&Tensor::new(&[[1.0f32, 2.0, 0.5, -1.0]], &Device::Cpu).unwrap())
            .unwrap();
        data["bias"]
            .set(&Tensor::new(&[0.1f32, 0.0, 0.0, 4.0], &Device::Cpu).unwrap())
            .unwrap();
        drop(data);
        let x = 0.8f32;
        let out = lstm
            .forward_last(&Tensor::new(&[[[x]]], &Device::Cpu).unwrap())
            .unwrap();
        let hs = |z: f32| (0.2 * z + 0.5).clamp(0.0, 1.0);
        let c = hs(x + 0.1) * (0.5 * x).tanh();
        let want = hs(-x + 4.0) * c.tanh();
        let got = out.flatten_all().unwrap().to_vec1::<f32>().unwrap()[0];
        assert!((got - want).abs() < 1e-6, "{got} {want}");
    }

    #[test]
    fn max_pool_drops_tail_and_has_correct_gradient() {
        let (b, c, l, k) = (2, 3, 11, 4);
        let x = Var::from_tensor(
            &rand_tensor(&[b, c, l], 5, 1.0)
                .to_dtype(DType::F64)
                .unwrap(),
        )
        .unwrap();
        let y = max_pool1d(x.as_tensor(), k).unwrap();
        assert_eq!(y.dims(), &[b, c, l / k]);
        let w = rand_tensor(&[b, c, l / k], 6, 1.0)
            .to_dtype(DType::F64)
            .unwrap();
        let loss = || {
            weighted_sum(&max_pool1d(x.as_tensor(), k).unwrap(), &w)
                .to_scalar::<f64>()
                .unwrap()
        };
        let grads = weighted_sum(&y, &w).backward().unwrap();
        let g = values(grads.get(x.as_tensor()).unwrap());
        for (i, (fd, g)) in finite_differences(&x, &loss).iter().zip(&g).enumerate() {
            assert!((fd - g).abs() < 1e-6, "element {i}: fd {fd} autograd {g}");
        }
        // The tail (positions 8..11) gets no gradient.
        for bi in 0..b {
            for ci in 0..c {
                for li in (l / k) * k..l {
                    assert_eq!(g[(bi * c + ci) * l + li], 0.0);
                }
            }
        }
    }

    #[test]
    fn dropout_masks_are_seeded_and_only_in_training() {
        let x = Tensor::ones((4, 100), DType::F32, &Device::Cpu).unwrap();
        let a = Dropout::new(0.4, SharedRng::new(3));
        let b = Dropout::new(0.4, SharedRng::new(3));
        let ya = values(&a.forward_t(&x, true).unwrap());
        let yb = values(&b.forward_t(&x, true).unwrap());
        assert_eq!(ya, yb);
        let zeros = ya.iter().filter(|v| **v == 0.0).count();
        assert!((120..200).contains(&zeros), "{zeros}");
        assert!(ya
            .iter()
            .all(|v| *v == 0.0 || (*v - 1.0 / 0.6).abs() < 1e-6));
        let eval = values(&a.forward_t(&x, false).unwrap());
        assert!(eval.iter().all(|v| *v == 1.0));
    }
}
