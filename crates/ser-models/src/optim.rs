//! Optimisers with Keras 2.2.4 semantics, updating candle `Var`s on the CPU.
//!
//! * Adam (Keras): `lr_t = lr * sqrt(1 - b2^t) / (1 - b1^t)`, `m = b1 m + (1-b1) g`,
//!   `v = b2 v + (1-b2) g^2`, `p -= lr_t * m / (sqrt(v) + eps)` — Keras adds `eps` to the
//!   uncorrected `sqrt(v)`. No weight decay (unlike candle's `ParamsAdamW::default()`).
//! * AdamW (decoupled weight decay, Loshchilov & Hutter):
//!   `p -= lr * (m_hat / (sqrt(v_hat) + eps) + wd * p)` with bias-corrected `m_hat`, `v_hat`.
//! * RMSprop (Keras): `a = rho a + (1-rho) g^2`, `p -= lr * g / (sqrt(a) + eps)`.

use std::collections::HashMap;

use candle_core::backprop::GradStore;
use candle_core::{DType, Device, Tensor, Var};
use candle_nn::VarMap;
use serde::{Deserialize, Serialize};

use crate::error::{ModelError, Result};

/// Optimiser and its hyper-parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OptimizerConfig {
    /// Keras Adam.
    Adam {
        /// Learning rate (Keras default 1e-3).
        lr: f64,
        /// First-moment decay (0.9).
        beta1: f64,
        /// Second-moment decay (0.999).
        beta2: f64,
        /// Epsilon added to `sqrt(v)` (Keras 1e-7).
        eps: f64,
    },
    /// Adam with decoupled weight decay.
    AdamW {
        /// Learning rate (1e-3).
        lr: f64,
        /// First-moment decay (0.9).
        beta1: f64,
        /// Second-moment decay (0.999).
        beta2: f64,
        /// Epsilon (1e-7).
        eps: f64,
        /// Decoupled weight decay (0.01).
        weight_decay: f64,
    },
    /// Keras RMSprop.
    RmsProp {
        /// Learning rate (Keras default 1e-3; the study's Model_D used 5e-5).
        lr: f64,
        /// Decay of the squared-gradient average (0.9).
        rho: f64,
        /// Epsilon added to `sqrt(a)` (1e-7).
        eps: f64,
    },
}

impl Default for OptimizerConfig {
    fn default() -> Self {
        Self::adam()
    }
}

impl OptimizerConfig {
    /// Keras Adam defaults: lr 1e-3, betas 0.9 / 0.999, eps 1e-7.
    pub fn adam() -> Self {
        OptimizerConfig::Adam {
            lr: 1e-3,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-7,
        }
    }
    /// AdamW: lr 1e-3, betas 0.9 / 0.999, eps 1e-7, weight decay 0.01.
    pub fn adamw() -> Self {
        OptimizerConfig::AdamW {
            lr: 1e-3,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-7,
            weight_decay: 0.01,
        }
    }
    /// Keras RMSprop with this learning rate, rho 0.9, eps 1e-7.
    pub fn rmsprop(lr: f64) -> Self {
        OptimizerConfig::RmsProp {
            lr,
            rho: 0.9,
            eps: 1e-7,
        }
    }
    /// The study's optimiser for an architecture: RMSprop(5e-5) for D, Adam for the others.
    pub fn study(arch: crate::Arch) -> Self {
        match arch {
            crate::Arch::D => Self::rmsprop(5e-5),
            _ => Self::adam(),
        }
    }
    /// The base learning rate.
    pub fn lr(&self) -> f64 {
        match *self {
            OptimizerConfig::Adam { lr, .. }
            | OptimizerConfig::AdamW { lr, .. }
            | OptimizerConfig::RmsProp { lr, .. } => lr,
        }
    }
    fn validate(&self) -> Result<()> {
        let bad = |field: &'static str, v: f64| ModelError::Config {
            field,
            reason: format!("{v} out of range"),
        };
        let lr = self.lr();
        if !(lr.is_finite() && lr > 0.0) {
            return Err(bad("lr", lr));
        }
        match *self {
            OptimizerConfig::Adam {
                beta1, beta2, eps, ..
            }
            | OptimizerConfig::AdamW {
                beta1, beta2, eps, ..
            } => {
                if !(0.0..1.0).contains(&beta1) {
                    return Err(bad("beta1", beta1));
                }
                if !(0.0..1.0).contains(&beta2) {
                    return Err(bad("beta2", beta2));
                }
                if eps.is_nan() || eps <= 0.0 {
                    return Err(bad("eps", eps));
                }
            }
            OptimizerConfig::RmsProp { rho, eps, .. } => {
                if !(0.0..1.0).contains(&rho) {
                    return Err(bad("rho", rho));
                }
                if eps.is_nan() || eps <= 0.0 {
                    return Err(bad("eps", eps));
                }
            }
        }
        Ok(())
    }
}

/// An optimiser bound to the variables of a network (sorted by name).
#[derive(Debug)]
pub struct Optimizer {
    cfg: OptimizerConfig,
    lr: f64,
    vars: Vec<(String, Var)>,
    m: Vec<Vec<f32>>,
    v: Vec<Vec<f32>>,
    t: u64,
}

impl Optimizer {
    /// Bind to all variables of `vars`, with zero state.
    pub fn new(cfg: OptimizerConfig, vars: &VarMap) -> Result<Self> {
        cfg.validate()?;
        let mut list: Vec<(String, Var)> = vars
            .data()
            .lock()
            .map_err(|_| ModelError::Config {
                field: "vars",
                reason: "poisoned lock".into(),
            })?
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        list.sort_by(|a, b| a.0.cmp(&b.0));
        let zeros = |var: &Var| vec![0f32; var.elem_count()];
        let m = list.iter().map(|(_, v)| zeros(v)).collect();
        let v = list.iter().map(|(_, v)| zeros(v)).collect();
        Ok(Self {
            lr: cfg.lr(),
            cfg,
            vars: list,
            m,
            v,
            t: 0,
        })
    }

    /// Set the current learning rate (for schedules).
    pub fn set_lr(&mut self, lr: f64) {
        self.lr = lr;
    }

    /// The current learning rate.
    pub fn lr(&self) -> f64 {
        self.lr
    }

    /// Number of steps taken.
    pub fn steps(&self) -> u64 {
        self.t
    }

    /// One update from the gradients of a backward pass (variables without a gradient are kept).
    pub fn step(&mut self, grads: &GradStore) -> Result<()> {
        self.t += 1;
        let t = self.t as i32;
        let lr = self.lr;
        for (idx, (_, var)) in self.vars.iter().enumerate() {
            let Some(g) = grads.get(var.as_tensor()) else {
                continue;
            };
            let g: Vec<f32> = g.flatten_all()?.to_vec1()?;
            let mut p: Vec<f32> = var.as_tensor().flatten_all()?.to_vec1()?;
            let m = &mut self.m[idx];
            let v = &mut self.v[idx];
            match self.cfg {
                OptimizerConfig::Adam {
                    beta1, beta2, eps, ..
                } => {
                    let lr_t = (lr * (1.0 - beta2.powi(t)).sqrt() / (1.0 - beta1.powi(t))) as f32;
                    let (b1, b2, e) = (beta1 as f32, beta2 as f32, eps as f32);
                    for i in 0..p.len() {
                        m[i] = b1 * m[i] + (1.0 - b1) * g[i];
                        v[i] = b2 * v[i] + (1.0 - b2) * g[i] * g[i];
                        p[i] -= lr_t * m[i] / (v[i].sqrt() + e);
                    }
                }
                OptimizerConfig::AdamW {
                    beta1,
                    beta2,
                    eps,
                    weight_decay,
                    ..
                } => {
                    let c1 = (1.0 - beta1.powi(t)) as f32;
                    let c2 = (1.0 - beta2.powi(t)) as f32;
                    let (b1, b2, e, wd, lr) = (
                        beta1 as f32,
                        beta2 as f32,
                        eps as f32,
                        weight_decay as f32,
                        lr as f32,
                    );
                    for i in 0..p.len() {
                        m[i] = b1 * m[i] + (1.0 - b1) * g[i];
                        v[i] = b2 * v[i] + (1.0 - b2) * g[i] * g[i];
                        let mh = m[i] / c1;
                        let vh = v[i] / c2;
                        p[i] -= lr * (mh / (vh.sqrt() + e) + wd * p[i]);
                    }
                }
                OptimizerConfig::RmsProp { rho, eps, .. } => {
                    let (r, e, lr) = (rho as f32, eps as f32, lr as f32);
                    for i in 0..p.len() {
                        v[i] = r * v[i] + (1.0 - r) * g[i] * g[i];
                        p[i] -= lr * g[i] / (v[i].sqrt() + e);
                    }
                }
            }
            var.set(&Tensor::from_vec(p, var.shape(), &Device::Cpu)?)?;
        }
        Ok(())
    }

    /// The optimiser state as named tensors (`opt.m.<var>`, `opt.v.<var>`).
    pub fn state_tensors(&self) -> Result<HashMap<String, Tensor>> {
        let mut out = HashMap::new();
        for (idx, (name, var)) in self.vars.iter().enumerate() {
            out.insert(
                format!("opt.m.{name}"),
                Tensor::from_vec(self.m[idx].clone(), var.shape(), &Device::Cpu)?,
            );
            out.insert(
                format!("opt.v.{name}"),
                Tensor::from_vec(self.v[idx].clone(), var.shape(), &Device::Cpu)?,
            );
        }
        Ok(out)
    }

    /// Restore state saved by [`Optimizer::state_tensors`] after `steps` steps.
    pub fn load_state(&mut self, tensors: &HashMap<String, Tensor>, steps: u64) -> Result<()> {
        for (idx, (name, var)) in self.vars.iter().enumerate() {
            for (prefix, slot) in [("opt.m.", &mut self.m[idx]), ("opt.v.", &mut self.v[idx])] {
                let key = format!("{prefix}{name}");
                let t = tensors.get(&key).ok_or_else(|| ModelError::MissingTensor {
                    name: key.clone(),
                    expected: var.dims().to_vec(),
                })?;
                if t.dims() != var.dims() {
                    return Err(ModelError::TensorShape {
                        name: key,
                        expected: var.dims().to_vec(),
                        actual: t.dims().to_vec(),
                    });
                }
                *slot = t.to_dtype(DType::F32)?.flatten_all()?.to_vec1()?;
            }
        }
        self.t = steps;
        Ok(())
    }
}
