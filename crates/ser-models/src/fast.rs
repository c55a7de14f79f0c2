//! Plain-Rust inference of one feature vector (no candle): the per-op overhead of candle
//! (~4 µs per op, dozens of ops) dominates for a single 40-vector, so [`crate::Classifier::predict`]
//! runs this path. It is tested against the candle [`crate::Network`] on every architecture.

use std::collections::HashMap;

use candle_core::Tensor;

use crate::classifier::softmax;
use crate::config::{ConvStage, ModelConfig, Padding, RecurrentActivation};
use crate::error::{ModelError, Result};

#[derive(Debug, Clone)]
struct Dense {
    w: Vec<f32>, // [out, in]
    b: Vec<f32>,
    n_in: usize,
}

impl Dense {
    fn forward(&self, x: &[f32], out: &mut Vec<f32>) {
        out.clear();
        out.extend(self.b.iter().enumerate().map(|(o, &b)| {
            let row = &self.w[o * self.n_in..(o + 1) * self.n_in];
            b + row.iter().zip(x).map(|(w, v)| w * v).sum::<f32>()
        }));
    }
}

#[derive(Debug, Clone)]
enum Stage {
    /// Kernel as `[k, in, out]` (out fastest) for a cache-friendly inner loop.
    Conv {
        w: Vec<f32>,
        b: Vec<f32>,
        k: usize,
        in_c: usize,
        out_c: usize,
        pad: usize,
    },
    Pool(usize),
}

#[derive(Debug, Clone)]
enum Body {
    Mlp(Vec<Dense>),
    Conv(Vec<Stage>),
    Lstm {
        kernel: Vec<f32>,
        rec: Vec<f32>,
        bias: Vec<f32>,
        h: usize,
        act: RecurrentActivation,
        hidden: Vec<Dense>,
    },
}

/// `tanh` through one `exp` (several times faster than libm's `tanhf`; relative error ~1e-7).
#[inline]
fn tanh(x: f32) -> f32 {
    if x.abs() > 15.0 {
        return x.signum();
    }
    let e = (2.0 * x).exp();
    (e - 1.0) / (e + 1.0)
}

/// One network for single-vector inference.
#[derive(Debug, Clone)]
pub(crate) struct Net {
    body: Body,
    out: Dense,
}

/// A network for single-vector inference, or an ensemble of MLPs ([`MlpConfig::members`]
/// > 1) whose class probabilities are averaged.
///
/// [`MlpConfig::members`]: crate::MlpConfig::members
#[derive(Debug, Clone)]
pub(crate) enum FastNet {
    Single(Net),
    Ensemble(Vec<Net>),
}

/// The values of tensor `name`, flattened, as `f32`.
pub(crate) fn get(t: &HashMap<String, Tensor>, name: &str) -> Result<Vec<f32>> {
    let x = t.get(name).ok_or_else(|| ModelError::MissingTensor {
        name: name.into(),
        expected: vec![],
    })?;
    Ok(x.to_dtype(candle_core::DType::F32)?
        .flatten_all()?
        .to_vec1()?)
}

fn dense(t: &HashMap<String, Tensor>, prefix: &str) -> Result<Dense> {
    let w = get(t, &format!("{prefix}.weight"))?;
    let b = get(t, &format!("{prefix}.bias"))?;
    let n_in = w.len() / b.len().max(1);
    Ok(Dense { w, b, n_in })
}

impl FastNet {
    /// Build from checked tensors (see `check_tensors`).
    pub(crate) fn new(cfg: &ModelConfig, t: &HashMap<String, Tensor>) -> Result<Self> {
        match cfg {
            ModelConfig::Mlp(m) if m.members > 1 => Ok(Self::Ensemble(
                (0..m.members)
                    .map(|i| Net::mlp(m, t, &format!("member{i}.")))
                    .collect::<Result<_>>()?,
            )),
            _ => Ok(Self::Single(Net::new(cfg, t)?)),
        }
    }

    /// Whether the plain-Rust path is also the faster one for batches (the conv nets and MLPs;
    /// the LSTM batches better through candle's matmuls).
    pub(crate) fn prefers_batches(&self) -> bool {
        match self {
            Self::Single(n) => n.prefers_batches(),
            Self::Ensemble(_) => true,
        }
    }

    /// Logits of one vector; for an ensemble the log of the members' mean probabilities.
    pub(crate) fn logits(&self, x: &[f32]) -> Vec<f32> {
        match self {
            Self::Single(n) => n.logits(x),
            Self::Ensemble(members) => {
                let mut mean: Vec<f32> = Vec::new();
                for m in members {
                    let p = softmax(&m.logits(x));
                    mean.resize(p.len(), 0.0);
                    for (acc, v) in mean.iter_mut().zip(p) {
                        *acc += v / members.len() as f32;
                    }
                }
                mean.into_iter().map(f32::ln).collect()
            }
        }
    }
}

impl Net {
    /// An MLP whose tensors are named `{prefix}hidden{i}.*` and `{prefix}out.*`.
    fn mlp(m: &crate::MlpConfig, t: &HashMap<String, Tensor>, prefix: &str) -> Result<Self> {
        Ok(Self {
            body: Body::Mlp(
                (0..m.hidden.len())
                    .map(|i| dense(t, &format!("{prefix}hidden{i}")))
                    .collect::<Result<_>>()?,
            ),
            out: dense(t, &format!("{prefix}out"))?,
        })
    }

    fn new(cfg: &ModelConfig, t: &HashMap<String, Tensor>) -> Result<Self> {
        match (cfg, cfg.conv_stages()) {
            (ModelConfig::Mlp(m), _) => Self::mlp(m, t, ""),
            (ModelConfig::A(a), _) => {
                let hidden = (1..=a.dense.len())
                    .map(|i| dense(t, &format!("dense{i}")))
                    .collect::<Result<_>>()?;
                let out = dense(t, &format!("dense{}", a.dense.len() + 1))?;
                Ok(Self {
                    body: Body::Lstm {
                        kernel: get(t, "lstm.kernel")?,
                        rec: get(t, "lstm.recurrent_kernel")?,
                        bias: get(t, "lstm.bias")?,
                        h: a.hidden,
                        act: a.recurrent_activation,
                        hidden,
                    },
                    out,
                })
            }
            (_, Some(stages)) => {
                let mut out_stages = Vec::new();
                let mut in_c = 1;
                let mut n = 0;
                for s in &stages {
                    match *s {
                        ConvStage::Conv {
                            filters,
                            kernel,
                            padding,
                        } => {
                            let w = get(t, &format!("conv{n}.weight"))?; // [out, in, k]
                            let mut wt = vec![0f32; w.len()];
                            for o in 0..filters {
                                for c in 0..in_c {
                                    for j in 0..kernel {
                                        wt[(j * in_c + c) * filters + o] =
                                            w[(o * in_c + c) * kernel + j];
                                    }
                                }
                            }
                            let pad = if padding == Padding::Same {
                                (kernel - 1) / 2
                            } else {
                                0
                            };
                            out_stages.push(Stage::Conv {
                                w: wt,
                                b: get(t, &format!("conv{n}.bias"))?,
                                k: kernel,
                                in_c,
                                out_c: filters,
                                pad,
                            });
                            in_c = filters;
                            n += 1;
                        }
                        ConvStage::Pool(k) => out_stages.push(Stage::Pool(k)),
                        ConvStage::Dropout(_) => {}
                    }
                }
                Ok(Self {
                    body: Body::Conv(out_stages),
                    out: dense(t, "dense")?,
                })
            }
            (_, None) => Err(ModelError::Config {
                field: "arch",
                reason: "no stages".into(),
            }),
        }
    }

    fn prefers_batches(&self) -> bool {
        matches!(self.body, Body::Conv(_) | Body::Mlp(_))
    }

    fn logits(&self, x: &[f32]) -> Vec<f32> {
        let mut feat = Vec::new();
        match &self.body {
            Body::Mlp(hidden) => {
                let mut cur = x.to_vec();
                for d in hidden {
                    d.forward(&cur, &mut feat);
                    feat.iter_mut().for_each(|v| *v = v.max(0.0));
                    std::mem::swap(&mut cur, &mut feat);
                }
                feat = cur;
            }
            Body::Conv(stages) => {
                // Activation channels-last: [len, channels].
                let mut a: Vec<f32> = x.to_vec();
                let mut len = x.len();
                let mut ch = 1;
                for s in stages {
                    match s {
                        Stage::Conv {
                            w,
                            b,
                            k,
                            in_c,
                            out_c,
                            pad,
                        } => {
                            let (k, in_c, out_c, pad) = (*k, *in_c, *out_c, *pad);
                            let lout = len + 2 * pad + 1 - k;
                            let mut y = vec![0f32; lout * out_c];
                            for t in 0..lout {
                                let yr = &mut y[t * out_c..(t + 1) * out_c];
                                yr.copy_from_slice(b);
                                for j in 0..k {
                                    let src = t + j;
                                    if src < pad || src >= pad + len {
                                        continue;
                                    }
                                    let xr = &a[(src - pad) * in_c..(src - pad + 1) * in_c];
                                    for (c, &xv) in xr.iter().enumerate() {
                                        let wr =
                                            &w[(j * in_c + c) * out_c..(j * in_c + c + 1) * out_c];
                                        for (yv, wv) in yr.iter_mut().zip(wr) {
                                            *yv += xv * wv;
                                        }
                                    }
                                }
                                yr.iter_mut().for_each(|v| *v = v.max(0.0));
                            }
                            a = y;
                            len = lout;
                            ch = out_c;
                        }
                        Stage::Pool(p) => {
                            let n = len / p;
                            let mut y = vec![f32::NEG_INFINITY; n * ch];
                            for t in 0..n * p {
                                let dst = &mut y[(t / p) * ch..(t / p + 1) * ch];
                                for (d, &v) in dst.iter_mut().zip(&a[t * ch..(t + 1) * ch]) {
                                    *d = d.max(v);
                                }
                            }
                            a = y;
                            len = n;
                        }
                    }
                }
                // Flatten in candle order (channel-major).
                feat.resize(len * ch, 0.0);
                for t in 0..len {
                    for c in 0..ch {
                        feat[c * len + t] = a[t * ch + c];
                    }
                }
            }
            Body::Lstm {
                kernel,
                rec,
                bias,
                h,
                act,
                hidden,
            } => {
                let h = *h;
                let g4 = 4 * h;
                let gate = |z: f32| match act {
                    RecurrentActivation::HardSigmoid => (0.2 * z + 0.5).clamp(0.0, 1.0),
                    RecurrentActivation::Sigmoid => 1.0 / (1.0 + (-z).exp()),
                };
                let mut hs = vec![0f32; h];
                let mut cs = vec![0f32; h];
                let mut z = vec![0f32; g4];
                for &xv in x {
                    for (zi, (kv, bv)) in z.iter_mut().zip(kernel.iter().zip(bias)) {
                        *zi = xv * kv + bv;
                    }
                    for (r, &hv) in hs.iter().enumerate() {
                        if hv != 0.0 {
                            for (zi, rv) in z.iter_mut().zip(&rec[r * g4..(r + 1) * g4]) {
                                *zi += hv * rv;
                            }
                        }
                    }
                    for j in 0..h {
                        let i = gate(z[j]);
                        let f = gate(z[h + j]);
                        let g = tanh(z[2 * h + j]);
                        let o = gate(z[3 * h + j]);
                        cs[j] = f * cs[j] + i * g;
                        hs[j] = o * tanh(cs[j]);
                    }
                }
                let mut cur = hs;
                let mut next = Vec::new();
                for d in hidden {
                    d.forward(&cur, &mut next);
                    next.iter_mut().for_each(|v| *v = v.max(0.0));
                    std::mem::swap(&mut cur, &mut next);
                }
                feat = cur;
            }
        }
        let mut out = Vec::new();
        self.out.forward(&feat, &mut out);
        out
    }
}
