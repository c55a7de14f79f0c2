//! The frame-level MFCC (+ deltas) sequence extractor.

use ndarray::{Array2, Axis, Slice};

use crate::config::MfccSequenceConfig;
use crate::delta::DeltaFilter;
use crate::error::MfccError;
use crate::mfcc::Mfcc;

/// A planned frame-level MFCC sequence extractor with optional deltas: output `[frames,
/// n_mfcc * (1 + n_deltas)]`, **time-major** (row = frame; the layout a sequence model
/// consumes), columns `0..n_mfcc` the MFCCs, then `n_mfcc` columns per derivative order
/// `1..=n_deltas`. It is the transpose of librosa's
/// `np.concatenate([m, delta(m, width=w, order=1), ..])` with `m = feature.mfcc(...)`.
///
/// ```
/// use ser_mfcc::{MfccSequence, MfccSequenceConfig};
/// let samples: Vec<f32> = (0..16000).map(|i| (i as f32 * 0.05).sin() * 0.1).collect();
/// let mut seq = MfccSequence::new(MfccSequenceConfig::default())?; // 20 MFCCs + d + dd
/// let x = seq.compute(&samples)?;
/// assert_eq!(x.dim(), (1 + 16000 / 160, 60));                   // [frames, 60]
/// # Ok::<(), ser_mfcc::MfccError>(())
/// ```
///
/// The MFCCs are [`Mfcc::compute_into`]'s and the deltas [`delta`](crate::delta)'s
/// (`mode="interp"`, computed from the f32 MFCCs as librosa does).
#[derive(Debug, Clone)]
pub struct MfccSequence {
    cfg: MfccSequenceConfig,
    mfcc: Mfcc,
    /// One planned filter per derivative order `1..=n_deltas`.
    deltas: Vec<DeltaFilter>,
    /// MFCCs `[n_mfcc, frames]` of the last input (reused).
    scratch: Array2<f32>,
}

impl MfccSequence {
    /// Plans an extractor for `cfg`.
    ///
    /// # Errors
    /// [`MfccError::InvalidConfig`] when [`MfccSequenceConfig::validate`] fails.
    pub fn new(cfg: MfccSequenceConfig) -> Result<Self, MfccError> {
        cfg.validate()?;
        let deltas = (1..=cfg.n_deltas)
            .map(|order| DeltaFilter::new(cfg.delta_width, order))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            mfcc: Mfcc::new(cfg.mfcc.clone())?,
            deltas,
            scratch: Array2::zeros((0, 0)),
            cfg,
        })
    }

    /// The configuration this extractor was built with.
    pub fn config(&self) -> &MfccSequenceConfig {
        &self.cfg
    }

    /// Output shape `[frames, n_mfcc * (1 + n_deltas)]` for an input of `n_samples` samples.
    ///
    /// # Errors
    /// [`MfccError::EmptyInput`]; [`MfccError::TooShort`] when not centred and shorter than `n_fft`.
    pub fn output_shape(&self, n_samples: usize) -> Result<(usize, usize), MfccError> {
        Ok((self.cfg.mfcc.n_frames(n_samples)?, self.cfg.output_dim()))
    }

    /// The sequence of `samples` (mono, at `config().mfcc.sample_rate` Hz), shape `[frames,
    /// n_mfcc * (1 + n_deltas)]`.
    ///
    /// # Errors
    /// As [`Mfcc::compute`]; with `n_deltas > 0` also [`MfccError::InvalidConfig`] (field
    /// `width`) when the clip has fewer than `delta_width` frames (librosa raises too).
    pub fn compute(&mut self, samples: &[f32]) -> Result<Array2<f32>, MfccError> {
        crate::logmel::new_output(|out| self.compute_into(samples, out))
    }

    /// As [`MfccSequence::compute`], writing into `out`. When `out` already has the output
    /// shape it is overwritten in place (any layout); otherwise it is replaced by a new array.
    /// The MFCC scratch `[n_mfcc, frames]` is reused while the input length stays the same
    /// and [`Mfcc`]'s own scratch grows to the longest input seen, so once warm on an input
    /// length this does not allocate.
    ///
    /// # Errors
    /// As [`MfccSequence::compute`]; on error `out` is left unchanged.
    pub fn compute_into(
        &mut self,
        samples: &[f32],
        out: &mut Array2<f32>,
    ) -> Result<(), MfccError> {
        let frames = self.cfg.mfcc.n_frames(samples.len())?;
        if let Some(d) = self.deltas.first() {
            d.check_frames(frames)?;
        }
        self.mfcc.compute_into(samples, &mut self.scratch)?;
        let shape = self.output_shape(samples.len())?;
        if out.dim() != shape {
            *out = Array2::zeros(shape);
        }
        let n = self.cfg.mfcc.n_mfcc;
        out.slice_axis_mut(Axis(1), Slice::from(..n))
            .assign(&self.scratch.t());
        for (i, d) in self.deltas.iter().enumerate() {
            let block = out.slice_axis_mut(Axis(1), Slice::from(n * (i + 1)..n * (i + 2)));
            d.apply(self.scratch.view(), block.reversed_axes());
        }
        Ok(())
    }
}
