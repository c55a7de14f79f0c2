//! # ser — speech emotion recognition in Rust
//!
//! Facade crate: re-exports the workspace's library crates.
//!
//! - [`audio`]: decoding and resampling ([`ser_audio`]).
//! - [`mfcc`]: the librosa-compatible MFCC frontend ([`ser_mfcc`]).
//! - [`corpus`]: corpora, labels, splits and cached features ([`ser_corpus`]).
//! - [`models`]: the candle models, training and evaluation ([`ser_models`]).

pub use ser_audio as audio;
pub use ser_corpus as corpus;
pub use ser_mfcc as mfcc;
pub use ser_models as models;
