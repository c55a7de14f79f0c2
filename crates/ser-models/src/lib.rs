//! ser-models: the study's four emotion models (Das 2019) in candle.
//!
//! * [`Network`] builds any [`ModelConfig`] (Model_A LSTM, Model_B/C/D Conv1D) from a candle
//!   `VarBuilder`; input `[batch, 40]` (Keras `(batch, 40, 1)`), output logits `[batch, 8]`.
//! * [`Classifier`] is a trained model with its feature config, labels ([`LabelSet`], any number
//!   of classes; the study's models carry [`LabelSet::study`]) and normalisation:
//!   [`Classifier::seed`] gives the study's released weights (converted from Keras by
//!   `tools/convert/convert_keras.py`, embedded), [`Classifier::from_dir`] loads a checkpoint.
//! * [`Trainer`] trains any architecture reproducibly (seeded ChaCha8 init, shuffling, dropout)
//!   with Keras-style Adam, AdamW or RMSprop, early stopping, schedules and resumable checkpoints.
//! * [`SeqNet`] / [`SeqTrainer`]: a sequence model over frames `[frames, n_in]` of any length
//!   (strided 1-D convolutions, attentive statistics pooling), trained on labelled clips.
//! * [`Metrics`] (accuracy, UAR, macro F1, confusion) and, with the cargo feature `plot` (off by
//!   default), `plot` (training curves, confusion heat maps, SVG/PNG).

mod checkpoint;
mod classifier;
mod config;
mod error;
mod fast;
mod layers;
mod lstm_op;
mod metrics;
mod model;
mod optim;
#[cfg(feature = "plot")]
pub mod plot;
mod rng;
mod seq;
mod train;

pub use checkpoint::{
    CheckpointMeta, Normalization, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, CONFIG_FILE, WEIGHTS_FILE,
};
pub use classifier::{argmax, Classifier, SeedModel};
pub use config::{
    Arch, ConvStage, MlpConfig, ModelAConfig, ModelBConfig, ModelCConfig, ModelConfig,
    ModelDConfig, Padding, RecurrentActivation,
};
pub use error::{ModelError, Result};
pub use layers::{max_pool1d, Conv1dBlock, Dropout, Lstm};
pub use metrics::{confusion_matrix, Metrics};
pub use model::{
    check_tensors, init_network, network_from_tensors, param_count, param_shapes, ConvNet, LstmNet,
    MlpNet, Network,
};
pub use optim::{Optimizer, OptimizerConfig};
pub use rng::SharedRng;
pub use seq::{
    AttentiveStatsPool, FrameNorm, SeqConfig, SeqConv, SeqModel, SeqNet, SeqTrainConfig,
    SeqTrainer, SpecAugment, StridedConv1d,
};
pub use ser_labels::{Emotion, Label, LabelSet};
pub use train::{
    predict_classes, DataDescription, Dataset, EarlyStopping, EpochRecord, LrSchedule, TrainConfig,
    Trainer, TrainingRecord, TRAIN_STATE_FILE,
};
