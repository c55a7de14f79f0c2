//! The networks: [`Network`] builds any [`ModelConfig`] from a `VarBuilder`.

use std::collections::BTreeMap;
use std::sync::Mutex;

use candle_core::{DType, Device, Module, ModuleT, Shape, Tensor, Var, D};
use candle_nn::{Init, Linear, VarBuilder, VarMap};
use rand_chacha::ChaCha8Rng;

use crate::config::{conv_output_shape, ConvStage, MlpConfig, ModelAConfig, ModelConfig};
use crate::error::{ModelError, Result};
use crate::layers::{glorot, max_pool1d, Conv1dBlock, Dropout, Lstm};
use crate::rng::{normal_f64, stream, uniform_f64, Purpose, SharedRng};

/// A glorot-uniform / zero-bias dense layer (candle layout `weight` `[out, in]`, `bias` `[out]`).
pub(crate) fn dense(in_dim: usize, out_dim: usize, vb: VarBuilder) -> candle_core::Result<Linear> {
    let w = vb.get_with_hints((out_dim, in_dim), "weight", glorot(in_dim, out_dim))?;
    let b = vb.get_with_hints(out_dim, "bias", Init::Const(0.0))?;
    Ok(Linear::new(w, Some(b)))
}

/// Model_A: LSTM -> (Dense -> Dropout -> ReLU)* -> Dense. Tensor names `lstm.*`, `dense1..N.*`.
#[derive(Debug, Clone)]
pub struct LstmNet {
    lstm: Lstm,
    hidden: Vec<(Linear, Dropout)>,
    out: Linear,
}

impl LstmNet {
    /// Build from `vb`; dropout masks from `rng`.
    pub fn new(cfg: &ModelAConfig, vb: VarBuilder, rng: &SharedRng) -> candle_core::Result<Self> {
        let lstm = Lstm::new(1, cfg.hidden, cfg.recurrent_activation, vb.pp("lstm"))?;
        let mut hidden = Vec::with_capacity(cfg.dense.len());
        let mut prev = cfg.hidden;
        for (i, &w) in cfg.dense.iter().enumerate() {
            hidden.push((
                dense(prev, w, vb.pp(format!("dense{}", i + 1)))?,
                Dropout::new(cfg.dropout, rng.clone()),
            ));
            prev = w;
        }
        let out = dense(
            prev,
            cfg.n_classes,
            vb.pp(format!("dense{}", cfg.dense.len() + 1)),
        )?;
        Ok(Self { lstm, hidden, out })
    }
}

impl ModuleT for LstmNet {
    fn forward_t(&self, xs: &Tensor, train: bool) -> candle_core::Result<Tensor> {
        let (b, l) = xs.dims2()?;
        let mut x = self.lstm.forward_last(&xs.reshape((b, l, 1))?)?;
        for (lin, drop) in &self.hidden {
            x = drop.forward_t(&lin.forward(&x)?, train)?.relu()?;
        }
        self.out.forward(&x)
    }
}

#[derive(Debug, Clone)]
enum Stage {
    Conv(Conv1dBlock),
    Pool(usize),
    Dropout(Dropout),
}

/// A Conv1D network (B, C, D): stages, Flatten (channel-major, candle order), Dense.
/// Tensor names `conv0..N.*`, `dense.*`.
#[derive(Debug, Clone)]
pub struct ConvNet {
    stages: Vec<Stage>,
    dense: Linear,
}

impl ConvNet {
    /// Build the given stages for `input_len` inputs and `n_classes` outputs.
    pub fn new(
        stages: &[ConvStage],
        input_len: usize,
        n_classes: usize,
        vb: VarBuilder,
        rng: &SharedRng,
    ) -> candle_core::Result<Self> {
        let mut out = Vec::with_capacity(stages.len());
        let mut in_c = 1;
        let mut n_conv = 0;
        for s in stages {
            out.push(match *s {
                ConvStage::Conv {
                    filters,
                    kernel,
                    padding,
                } => {
                    let blk = Conv1dBlock::new(
                        in_c,
                        filters,
                        kernel,
                        padding,
                        vb.pp(format!("conv{n_conv}")),
                    )?;
                    n_conv += 1;
                    in_c = filters;
                    Stage::Conv(blk)
                }
                ConvStage::Pool(k) => Stage::Pool(k),
                ConvStage::Dropout(p) => Stage::Dropout(Dropout::new(p, rng.clone())),
            });
        }
        let (c, l) = conv_output_shape(stages, input_len)
            .map_err(|e| candle_core::Error::Msg(e.to_string()))?;
        let dense = dense(c * l, n_classes, vb.pp("dense"))?;
        Ok(Self { stages: out, dense })
    }
}

impl ModuleT for ConvNet {
    fn forward_t(&self, xs: &Tensor, train: bool) -> candle_core::Result<Tensor> {
        let (b, l) = xs.dims2()?;
        let mut x = xs.reshape((b, 1, l))?;
        for s in &self.stages {
            x = match s {
                Stage::Conv(c) => c.forward(&x)?,
                Stage::Pool(k) => max_pool1d(&x, *k)?,
                Stage::Dropout(d) => d.forward_t(&x, train)?,
            };
        }
        self.dense.forward(&x.flatten_from(1)?)
    }
}

/// One MLP: input dropout, (Dense -> ReLU -> Dropout)*, Dense.
#[derive(Debug, Clone)]
struct MlpMember {
    input_dropout: Dropout,
    hidden: Vec<(Linear, Dropout)>,
    out: Linear,
}

impl MlpMember {
    fn new(cfg: &MlpConfig, vb: VarBuilder, rng: &SharedRng) -> candle_core::Result<Self> {
        let mut hidden = Vec::with_capacity(cfg.hidden.len());
        let mut prev = cfg.input_len;
        for (i, &w) in cfg.hidden.iter().enumerate() {
            hidden.push((
                dense(prev, w, vb.pp(format!("hidden{i}")))?,
                Dropout::new(cfg.dropout, rng.clone()),
            ));
            prev = w;
        }
        Ok(Self {
            input_dropout: Dropout::new(cfg.input_dropout, rng.clone()),
            hidden,
            out: dense(prev, cfg.n_classes, vb.pp("out"))?,
        })
    }

    fn forward_t(&self, xs: &Tensor, train: bool) -> candle_core::Result<Tensor> {
        let mut x = self.input_dropout.forward_t(xs, train)?;
        for (lin, drop) in &self.hidden {
            x = drop.forward_t(&lin.forward(&x)?.relu()?, train)?;
        }
        self.out.forward(&x)
    }
}

/// The MLP: input dropout, (Dense -> ReLU -> Dropout)*, Dense. Tensor names `hidden0..N.*`,
/// `out.*`; an ensemble ([`MlpConfig::members`] > 1) has one such MLP per `member{i}.` prefix
/// and outputs the log of the members' mean class probabilities.
#[derive(Debug, Clone)]
pub struct MlpNet {
    members: Vec<MlpMember>,
}

impl MlpNet {
    /// Build from `vb`; dropout masks from `rng`.
    pub fn new(cfg: &MlpConfig, vb: VarBuilder, rng: &SharedRng) -> candle_core::Result<Self> {
        let members = if cfg.members == 1 {
            vec![MlpMember::new(cfg, vb, rng)?]
        } else {
            (0..cfg.members)
                .map(|i| MlpMember::new(cfg, vb.pp(format!("member{i}")), rng))
                .collect::<candle_core::Result<_>>()?
        };
        Ok(Self { members })
    }
}

impl ModuleT for MlpNet {
    fn forward_t(&self, xs: &Tensor, train: bool) -> candle_core::Result<Tensor> {
        if let [only] = self.members.as_slice() {
            return only.forward_t(xs, train);
        }
        // log(mean_i softmax_i) = logsumexp_i(log_softmax_i) - ln(members).
        let logp = self
            .members
            .iter()
            .map(|m| candle_nn::ops::log_softmax(&m.forward_t(xs, train)?, D::Minus1))
            .collect::<candle_core::Result<Vec<_>>>()?;
        Tensor::stack(&logp, 0)?.log_sum_exp(0)? - (self.members.len() as f64).ln()
    }
}

#[derive(Debug, Clone)]
enum Body {
    Lstm(LstmNet),
    Conv(ConvNet),
    Mlp(MlpNet),
}

/// Any of the networks. Input `[batch, input_len]` (Keras `(batch, input_len, 1)`), output
/// logits `[batch, n_classes]`. Dropout is active only in `forward_t(.., true)`.
#[derive(Debug, Clone)]
pub struct Network {
    cfg: ModelConfig,
    body: Body,
    rng: SharedRng,
}

impl Network {
    /// Build the network of `cfg` from `vb`; dropout masks come from `rng`.
    pub fn new(cfg: &ModelConfig, vb: VarBuilder, rng: SharedRng) -> Result<Self> {
        cfg.validate()?;
        let body = match (cfg, cfg.conv_stages()) {
            (ModelConfig::A(a), _) => Body::Lstm(LstmNet::new(a, vb, &rng)?),
            (ModelConfig::Mlp(m), _) => Body::Mlp(MlpNet::new(m, vb, &rng)?),
            (_, Some(stages)) => Body::Conv(ConvNet::new(
                &stages,
                cfg.input_len(),
                cfg.n_classes(),
                vb,
                &rng,
            )?),
            (_, None) => {
                return Err(ModelError::Config {
                    field: "arch",
                    reason: "no stages for a conv architecture".into(),
                })
            }
        };
        Ok(Self {
            cfg: cfg.clone(),
            body,
            rng,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &ModelConfig {
        &self.cfg
    }

    /// The dropout generator shared by the layers.
    pub fn dropout_rng(&self) -> &SharedRng {
        &self.rng
    }
}

impl ModuleT for Network {
    fn forward_t(&self, xs: &Tensor, train: bool) -> candle_core::Result<Tensor> {
        match &self.body {
            Body::Lstm(n) => n.forward_t(xs, train),
            Body::Conv(n) => n.forward_t(xs, train),
            Body::Mlp(n) => n.forward_t(xs, train),
        }
    }
}

/// Names and shapes of the weight tensors of `cfg`, sorted by name.
pub fn param_shapes(cfg: &ModelConfig) -> Result<BTreeMap<String, Vec<usize>>> {
    let shapes = std::sync::Arc::new(Mutex::new(BTreeMap::new()));
    let vb = VarBuilder::from_backend(
        Box::new(SharedRecorder(shapes.clone())),
        DType::F32,
        Device::Cpu,
    );
    Network::new(cfg, vb, SharedRng::new(0))?;
    let out = shapes.lock().map(|m| m.clone()).unwrap_or_default();
    Ok(out)
}

/// Records the tensors a config asks for (name -> shape) and returns zeros.
struct SharedRecorder(std::sync::Arc<Mutex<BTreeMap<String, Vec<usize>>>>);

impl candle_nn::var_builder::SimpleBackend for SharedRecorder {
    fn get(
        &self,
        s: Shape,
        name: &str,
        _h: Init,
        dtype: DType,
        dev: &Device,
    ) -> candle_core::Result<Tensor> {
        if let Ok(mut m) = self.0.lock() {
            m.insert(name.to_string(), s.dims().to_vec());
        }
        Tensor::zeros(s, dtype, dev)
    }
    fn get_unchecked(
        &self,
        name: &str,
        _dtype: DType,
        _dev: &Device,
    ) -> candle_core::Result<Tensor> {
        Err(candle_core::Error::CannotFindTensor {
            path: name.to_string(),
        })
    }
    fn contains_tensor(&self, _name: &str) -> bool {
        false
    }
}

/// Number of trainable parameters of `cfg`.
pub fn param_count(cfg: &ModelConfig) -> Result<usize> {
    Ok(param_shapes(cfg)?
        .values()
        .map(|s| s.iter().product::<usize>())
        .sum())
}

/// Creates variables from the seeded generator following the init hints.
struct SeededInit {
    vars: VarMap,
    rng: Mutex<ChaCha8Rng>,
}

impl candle_nn::var_builder::SimpleBackend for SeededInit {
    fn get(
        &self,
        s: Shape,
        name: &str,
        h: Init,
        dtype: DType,
        dev: &Device,
    ) -> candle_core::Result<Tensor> {
        let n = s.elem_count();
        let mut rng = self
            .rng
            .lock()
            .map_err(|_| candle_core::Error::Msg("init RNG poisoned".into()))?;
        let data: Vec<f32> = match h {
            Init::Const(v) => vec![v as f32; n],
            Init::Uniform { lo, up } => (0..n)
                .map(|_| (lo + (up - lo) * uniform_f64(&mut rng)) as f32)
                .collect(),
            Init::Randn { mean, stdev } => (0..n)
                .map(|_| (mean + stdev * normal_f64(&mut rng)) as f32)
                .collect(),
            Init::Kaiming { .. } => {
                return Err(candle_core::Error::Msg(format!(
                    "{name}: Kaiming init not supported"
                )))
            }
        };
        drop(rng);
        let var = Var::from_tensor(&Tensor::from_vec(data, s, dev)?.to_dtype(dtype)?)?;
        let t = var.as_tensor().clone();
        let mut map = self
            .vars
            .data()
            .lock()
            .map_err(|_| candle_core::Error::Msg("var map poisoned".into()))?;
        map.insert(name.to_string(), var);
        Ok(t)
    }
    fn get_unchecked(
        &self,
        name: &str,
        _dtype: DType,
        _dev: &Device,
    ) -> candle_core::Result<Tensor> {
        Err(candle_core::Error::CannotFindTensor {
            path: name.to_string(),
        })
    }
    fn contains_tensor(&self, _name: &str) -> bool {
        false
    }
}

/// A `VarBuilder` whose variables are drawn from the init hints with the ChaCha8 init stream of
/// `seed` (in creation order) and collected in the returned `VarMap`.
pub(crate) fn seeded_var_builder(seed: u64, dtype: DType) -> (VarBuilder<'static>, VarMap) {
    let vars = VarMap::new();
    let backend = SeededInit {
        vars: vars.clone(),
        rng: Mutex::new(stream(seed, Purpose::Init, 0)),
    };
    (
        VarBuilder::from_backend(Box::new(backend), dtype, Device::Cpu),
        vars,
    )
}

/// Orthonormalise the rows of a `[r, c]` matrix (`r <= c`) in place: modified Gram-Schmidt, as
/// Keras' `orthogonal` initialiser yields a matrix with orthonormal rows.
fn orthonormal_rows(data: &mut [f64], r: usize, c: usize) {
    for i in 0..r {
        for j in 0..i {
            let dot: f64 = (0..c).map(|k| data[i * c + k] * data[j * c + k]).sum();
            for k in 0..c {
                data[i * c + k] -= dot * data[j * c + k];
            }
        }
        let norm = (0..c)
            .map(|k| data[i * c + k].powi(2))
            .sum::<f64>()
            .sqrt()
            .max(1e-12);
        for k in 0..c {
            data[i * c + k] /= norm;
        }
    }
}

/// A freshly initialised network with its variables (Keras initialisers: glorot-uniform kernels,
/// zero biases, orthogonal LSTM recurrent kernel, LSTM forget-gate bias 1), all drawn from the
/// ChaCha8 stream of `seed`.
pub fn init_network(cfg: &ModelConfig, seed: u64) -> Result<(Network, VarMap)> {
    let (vb, vars) = seeded_var_builder(seed, DType::F32);
    let net = Network::new(cfg, vb, SharedRng::new(seed))?;
    if let ModelConfig::A(a) = cfg {
        let map = vars.data().lock().map_err(|_| ModelError::Config {
            field: "vars",
            reason: "poisoned".into(),
        })?;
        let h = a.hidden;
        if let Some(rec) = map.get("lstm.recurrent_kernel") {
            let mut d: Vec<f64> = rec.flatten_all()?.to_dtype(DType::F64)?.to_vec1()?;
            // Rows of [h, 4h] are orthonormal (h <= 4h).
            orthonormal_rows(&mut d, h, 4 * h);
            rec.set(&Tensor::from_vec(d, (h, 4 * h), &Device::Cpu)?.to_dtype(DType::F32)?)?;
        }
        if let Some(b) = map.get("lstm.bias") {
            let mut d = vec![0f32; 4 * h];
            d[h..2 * h].fill(1.0);
            b.set(&Tensor::from_vec(d, 4 * h, &Device::Cpu)?)?;
        }
    }
    Ok((net, vars))
}

/// Check `tensors` against the shapes `cfg` needs: every tensor present with the right shape, no
/// extra tensors.
pub fn check_tensors(
    cfg: &ModelConfig,
    tensors: &std::collections::HashMap<String, Tensor>,
) -> Result<()> {
    let shapes = param_shapes(cfg)?;
    for (name, expected) in &shapes {
        match tensors.get(name) {
            None => {
                return Err(ModelError::MissingTensor {
                    name: name.clone(),
                    expected: expected.clone(),
                })
            }
            Some(t) if t.dims() != expected.as_slice() => {
                return Err(ModelError::TensorShape {
                    name: name.clone(),
                    expected: expected.clone(),
                    actual: t.dims().to_vec(),
                })
            }
            Some(_) => {}
        }
    }
    let extra: Vec<&String> = tensors
        .keys()
        .filter(|k| !shapes.contains_key(*k))
        .collect();
    if let Some(first) = extra.iter().min() {
        return Err(ModelError::UnexpectedTensors {
            arch: cfg.arch(),
            count: extra.len(),
            example: (*first).clone(),
        });
    }
    Ok(())
}

/// Build an inference network from named weights (checked first).
pub fn network_from_tensors(
    cfg: &ModelConfig,
    tensors: std::collections::HashMap<String, Tensor>,
) -> Result<Network> {
    check_tensors(cfg, &tensors)?;
    let tensors = tensors
        .into_iter()
        .map(|(k, v)| Ok((k, v.to_dtype(DType::F32)?)))
        .collect::<Result<std::collections::HashMap<_, _>>>()?;
    let vb = VarBuilder::from_tensors(tensors, DType::F32, &Device::Cpu);
    Network::new(cfg, vb, SharedRng::new(0))
}
