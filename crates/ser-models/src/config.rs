//! Model configurations: one serde type per architecture of the study.

use serde::{Deserialize, Serialize};

use crate::error::{ModelError, Result};

/// The architectures: the study's four, and the multi-layer perceptron over per-clip
/// statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Arch {
    /// Model_A: LSTM(128) -> Dense(64) -> Dense(32) -> Dense(8).
    A,
    /// Model_B: four valid Conv1D (k 3) with two MaxPool(2).
    B,
    /// Model_C: four same Conv1D (k 5), MaxPool(8), dropout.
    C,
    /// Model_D: two same Conv1D(128, k 5), MaxPool(8), dropout.
    D,
    /// A multi-layer perceptron ([`MlpConfig`]).
    Mlp,
}

impl Arch {
    /// The study's four, in order.
    pub const ALL: [Arch; 4] = [Arch::A, Arch::B, Arch::C, Arch::D];

    /// The study's configuration of this architecture (8 classes, 40 inputs); for
    /// [`Arch::Mlp`] [`MlpConfig::default`].
    pub fn default_config(self) -> ModelConfig {
        match self {
            Arch::A => ModelConfig::A(ModelAConfig::default()),
            Arch::B => ModelConfig::B(ModelBConfig::default()),
            Arch::C => ModelConfig::C(ModelCConfig::default()),
            Arch::D => ModelConfig::D(ModelDConfig::default()),
            Arch::Mlp => ModelConfig::Mlp(MlpConfig::default()),
        }
    }

    /// Lower-case name (`"a"` .. `"d"`, `"mlp"`).
    pub fn letter(self) -> &'static str {
        match self {
            Arch::A => "a",
            Arch::B => "b",
            Arch::C => "c",
            Arch::D => "d",
            Arch::Mlp => "mlp",
        }
    }
}

impl std::fmt::Display for Arch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.letter())
    }
}

impl std::str::FromStr for Arch {
    type Err = ModelError;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "a" => Ok(Arch::A),
            "b" => Ok(Arch::B),
            "c" => Ok(Arch::C),
            "d" => Ok(Arch::D),
            "mlp" => Ok(Arch::Mlp),
            other => Err(ModelError::Config {
                field: "arch",
                reason: format!("unknown architecture {other:?} (expected a, b, c, d or mlp)"),
            }),
        }
    }
}

/// The LSTM's recurrent (gate) activation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum RecurrentActivation {
    /// Keras 2.2.4 default `clip(0.2 x + 0.5, 0, 1)` (the study's Model_A).
    #[default]
    HardSigmoid,
    /// The logistic function `1 / (1 + e^-x)`.
    Sigmoid,
}

/// Model_A: LSTM over the `input_len` coefficients (one feature per step), then dense layers with
/// dropout and ReLU, then a dense output layer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelAConfig {
    /// Input length (number of MFCCs, time steps of the LSTM). Default 40.
    pub input_len: usize,
    /// Number of classes. Default 8.
    pub n_classes: usize,
    /// LSTM units. Default 128.
    pub hidden: usize,
    /// Hidden dense layer widths. Default `[64, 32]`.
    pub dense: Vec<usize>,
    /// Dropout rate after each hidden dense layer (training only). Default 0.4.
    pub dropout: f32,
    /// Gate activation of the LSTM. Default hard sigmoid (Keras 2.2.4).
    pub recurrent_activation: RecurrentActivation,
}

impl Default for ModelAConfig {
    fn default() -> Self {
        Self {
            input_len: 40,
            n_classes: 8,
            hidden: 128,
            dense: vec![64, 32],
            dropout: 0.4,
            recurrent_activation: RecurrentActivation::HardSigmoid,
        }
    }
}

/// Model_B: Conv1D(8,k3) Conv1D(16,k3) MaxPool(2) Conv1D(32,k3) Conv1D(16,k3) MaxPool(2), valid
/// padding, ReLU, Flatten, Dense.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelBConfig {
    /// Input length. Default 40.
    pub input_len: usize,
    /// Number of classes. Default 8.
    pub n_classes: usize,
}

impl Default for ModelBConfig {
    fn default() -> Self {
        Self {
            input_len: 40,
            n_classes: 8,
        }
    }
}

/// Model_C: Conv1D(8,k5) Conv1D(16,k5) Dropout MaxPool(8) Conv1D(32,k5) Dropout Conv1D(16,k5),
/// same padding, ReLU, Flatten, Dense.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelCConfig {
    /// Input length. Default 40.
    pub input_len: usize,
    /// Number of classes. Default 8.
    pub n_classes: usize,
    /// The two dropout rates. Default `[0.1, 0.2]`.
    pub dropout: [f32; 2],
}

impl Default for ModelCConfig {
    fn default() -> Self {
        Self {
            input_len: 40,
            n_classes: 8,
            dropout: [0.1, 0.2],
        }
    }
}

/// Model_D: Conv1D(filters,k5) Dropout MaxPool(8) Conv1D(filters,k5) Dropout, same padding, ReLU,
/// Flatten, Dense.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelDConfig {
    /// Input length. Default 40.
    pub input_len: usize,
    /// Number of classes. Default 8.
    pub n_classes: usize,
    /// Filters of both convolutions. Default 128.
    pub filters: usize,
    /// Dropout rate after each convolution. Default 0.1.
    pub dropout: f32,
}

impl Default for ModelDConfig {
    fn default() -> Self {
        Self {
            input_len: 40,
            n_classes: 8,
            filters: 128,
            dropout: 0.1,
        }
    }
}

/// A multi-layer perceptron over one feature vector per clip (e.g. the per-clip speech
/// statistics of `ser_mfcc::SpeechStats`): input dropout, then per hidden layer Dense -> ReLU
/// -> Dropout, then a Dense output layer. Tensor names `hidden0..N.*`, `out.*` (prefixed
/// `member{i}.` in an ensemble, see [`MlpConfig::members`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MlpConfig {
    /// Input length. Default 295 (`SpeechStatsConfig::default().output_dim()`).
    pub input_len: usize,
    /// Number of classes. Default 8.
    pub n_classes: usize,
    /// Hidden layer widths (empty: multinomial logistic regression). Default `[256]`.
    pub hidden: Vec<usize>,
    /// Dropout rate after each hidden layer (training only). Default 0.5.
    pub dropout: f32,
    /// Dropout rate on the input features (training only). Default 0.2.
    pub input_dropout: f32,
    /// Ensemble size: this many MLPs of the same shape whose class probabilities are averaged
    /// (the output "logits" are the log of that mean). With more than one, every tensor name
    /// gets a `member{i}.` prefix. Members are normally trained separately with different
    /// seeds and joined by [`Classifier::ensemble`](crate::Classifier::ensemble); training such a
    /// network as one fits the mixture instead. Default 1 (absent from the JSON).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub members: usize,
}

fn one() -> usize {
    1
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_one(n: &usize) -> bool {
    *n == 1
}

impl Default for MlpConfig {
    fn default() -> Self {
        Self {
            input_len: 295,
            n_classes: 8,
            hidden: vec![256],
            dropout: 0.5,
            input_dropout: 0.2,
            members: 1,
        }
    }
}

/// A model configuration of any architecture. Serialised with an `"arch"` tag, e.g.
/// `{"arch": "B", "input_len": 40, "n_classes": 8}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "arch")]
pub enum ModelConfig {
    /// Model_A (LSTM).
    A(ModelAConfig),
    /// Model_B (Conv1D).
    B(ModelBConfig),
    /// Model_C (Conv1D).
    C(ModelCConfig),
    /// Model_D (Conv1D).
    D(ModelDConfig),
    /// Multi-layer perceptron.
    Mlp(MlpConfig),
}

impl Default for ModelConfig {
    fn default() -> Self {
        ModelConfig::B(ModelBConfig::default())
    }
}

/// Convolution padding, as Keras.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Padding {
    /// No padding: output length `len - k + 1`.
    Valid,
    /// Zero padding `(k-1)/2` on both sides (odd `k`): output length `len`.
    Same,
}

/// One stage of a generic Conv1D network.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ConvStage {
    /// Conv1D (stride 1) + ReLU.
    Conv {
        /// Output channels.
        filters: usize,
        /// Kernel size.
        kernel: usize,
        /// Padding.
        padding: Padding,
    },
    /// Max pooling with window = stride = the value; Keras 'valid' (the tail is dropped).
    Pool(usize),
    /// Dropout with this rate (training only).
    Dropout(f32),
}

impl ModelConfig {
    /// The architecture.
    pub fn arch(&self) -> Arch {
        match self {
            ModelConfig::A(_) => Arch::A,
            ModelConfig::B(_) => Arch::B,
            ModelConfig::C(_) => Arch::C,
            ModelConfig::D(_) => Arch::D,
            ModelConfig::Mlp(_) => Arch::Mlp,
        }
    }

    /// Input length (number of features).
    pub fn input_len(&self) -> usize {
        match self {
            ModelConfig::A(c) => c.input_len,
            ModelConfig::B(c) => c.input_len,
            ModelConfig::C(c) => c.input_len,
            ModelConfig::D(c) => c.input_len,
            ModelConfig::Mlp(c) => c.input_len,
        }
    }

    /// Number of output classes.
    pub fn n_classes(&self) -> usize {
        match self {
            ModelConfig::A(c) => c.n_classes,
            ModelConfig::B(c) => c.n_classes,
            ModelConfig::C(c) => c.n_classes,
            ModelConfig::D(c) => c.n_classes,
            ModelConfig::Mlp(c) => c.n_classes,
        }
    }

    /// The same network with `n` output classes (e.g. one per class of a user's corpus).
    pub fn with_n_classes(mut self, n: usize) -> Self {
        match &mut self {
            ModelConfig::A(c) => c.n_classes = n,
            ModelConfig::B(c) => c.n_classes = n,
            ModelConfig::C(c) => c.n_classes = n,
            ModelConfig::D(c) => c.n_classes = n,
            ModelConfig::Mlp(c) => c.n_classes = n,
        }
        self
    }

    /// The stages of the Conv1D architectures (B, C, D); `None` for A and the MLP.
    pub fn conv_stages(&self) -> Option<Vec<ConvStage>> {
        use ConvStage::{Conv, Dropout, Pool};
        use Padding::{Same, Valid};
        let conv = |filters, kernel, padding| Conv {
            filters,
            kernel,
            padding,
        };
        match self {
            ModelConfig::A(_) | ModelConfig::Mlp(_) => None,
            ModelConfig::B(_) => Some(vec![
                conv(8, 3, Valid),
                conv(16, 3, Valid),
                Pool(2),
                conv(32, 3, Valid),
                conv(16, 3, Valid),
                Pool(2),
            ]),
            ModelConfig::C(c) => Some(vec![
                conv(8, 5, Same),
                conv(16, 5, Same),
                Dropout(c.dropout[0]),
                Pool(8),
                conv(32, 5, Same),
                Dropout(c.dropout[1]),
                conv(16, 5, Same),
            ]),
            ModelConfig::D(c) => Some(vec![
                conv(c.filters, 5, Same),
                Dropout(c.dropout),
                Pool(8),
                conv(c.filters, 5, Same),
                Dropout(c.dropout),
            ]),
        }
    }

    /// Check the ranges (lengths positive, dropout in `[0, 1)`, the input long enough for the
    /// convolutions and pools).
    pub fn validate(&self) -> Result<()> {
        let check_p = |p: f32| -> Result<()> {
            if (0.0..1.0).contains(&p) {
                Ok(())
            } else {
                Err(ModelError::Config {
                    field: "dropout",
                    reason: format!("{p} not in [0, 1)"),
                })
            }
        };
        if self.input_len() == 0 {
            return Err(ModelError::Config {
                field: "input_len",
                reason: "must be > 0".into(),
            });
        }
        if self.n_classes() < 2 {
            return Err(ModelError::Config {
                field: "n_classes",
                reason: "must be >= 2".into(),
            });
        }
        if let ModelConfig::A(c) = self {
            check_p(c.dropout)?;
            if c.hidden == 0 || c.dense.contains(&0) {
                return Err(ModelError::Config {
                    field: "hidden",
                    reason: "widths must be > 0".into(),
                });
            }
        }
        if let ModelConfig::Mlp(c) = self {
            check_p(c.dropout)?;
            check_p(c.input_dropout)?;
            if c.members == 0 {
                return Err(ModelError::Config {
                    field: "members",
                    reason: "an ensemble needs at least one member".into(),
                });
            }
            if c.hidden.contains(&0) {
                return Err(ModelError::Config {
                    field: "hidden",
                    reason: "widths must be > 0".into(),
                });
            }
        }
        if let Some(stages) = self.conv_stages() {
            let (_, len) = conv_output_shape(&stages, self.input_len())?;
            if len == 0 {
                return Err(ModelError::Config {
                    field: "input_len",
                    reason: format!("{} too short for the architecture", self.input_len()),
                });
            }
            for s in &stages {
                match *s {
                    ConvStage::Dropout(p) => check_p(p)?,
                    ConvStage::Conv {
                        filters,
                        kernel,
                        padding,
                    } => {
                        if filters == 0
                            || kernel == 0
                            || (padding == Padding::Same && kernel % 2 == 0)
                        {
                            return Err(ModelError::Config {
                                field: "conv",
                                reason: format!("filters {filters} kernel {kernel}: need > 0 and odd kernel for same"),
                            });
                        }
                    }
                    ConvStage::Pool(0) => {
                        return Err(ModelError::Config {
                            field: "pool",
                            reason: "size must be > 0".into(),
                        })
                    }
                    ConvStage::Pool(_) => {}
                }
            }
        }
        Ok(())
    }
}

/// `(channels, length)` after the stages, from 1 channel of `input_len`.
pub(crate) fn conv_output_shape(stages: &[ConvStage], input_len: usize) -> Result<(usize, usize)> {
    let mut c = 1;
    let mut l = input_len;
    for s in stages {
        match *s {
            ConvStage::Conv {
                filters,
                kernel,
                padding,
            } => {
                c = filters;
                if padding == Padding::Valid {
                    l = l
                        .checked_add(1)
                        .and_then(|v| v.checked_sub(kernel))
                        .ok_or_else(|| ModelError::Config {
                            field: "input_len",
                            reason: format!("length {l} shorter than kernel {kernel}"),
                        })?;
                }
            }
            ConvStage::Pool(k) => l = l.checked_div(k).unwrap_or(0),
            ConvStage::Dropout(_) => {}
        }
    }
    Ok((c, l))
}
