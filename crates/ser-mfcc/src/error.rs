//! The crate's error type.

/// Everything that can go wrong in `ser-mfcc`.
///
/// Variants carry the offending field or position and the expected/actual values.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum MfccError {
    /// The input signal has no samples (librosa raises too).
    #[error("empty input: expected at least 1 sample, got 0")]
    EmptyInput,
    /// A sample is NaN or infinite; `index` is the first such sample.
    #[error("non-finite input sample at index {index}: got {value}, expected a finite value")]
    NonFinite {
        /// Index of the first non-finite sample.
        index: usize,
        /// Its value (NaN, +inf or -inf).
        value: f32,
    },
    /// A sample's magnitude exceeds [`MAX_SAMPLE_MAGNITUDE`](crate::MAX_SAMPLE_MAGNITUDE), so
    /// the power spectrum could overflow `f32`; `index` is the first such sample.
    #[error("input sample at index {index} is {value:e}, beyond the largest magnitude {limit:e} the f32 power spectrum can hold")]
    TooLarge {
        /// Index of the first such sample.
        index: usize,
        /// Its value.
        value: f32,
        /// The limit, [`MAX_SAMPLE_MAGNITUDE`](crate::MAX_SAMPLE_MAGNITUDE).
        limit: f32,
    },
    /// With `center = false` the input must hold at least one full frame.
    #[error("input too short for uncentered analysis: expected at least {expected} samples (n_fft), got {actual}")]
    TooShort {
        /// Samples needed (`n_fft`).
        expected: usize,
        /// Samples given.
        actual: usize,
    },
    /// A configuration value is out of range.
    #[error("invalid configuration `{field}`: expected {expected}, got {actual}")]
    InvalidConfig {
        /// Name of the field (e.g. `"n_mfcc"`).
        field: &'static str,
        /// What would be valid.
        expected: String,
        /// What was given.
        actual: String,
    },
    /// An array or slice argument has the wrong shape.
    #[error("shape mismatch for `{what}`: expected {expected:?}, got {actual:?}")]
    ShapeMismatch {
        /// Which argument.
        what: &'static str,
        /// Expected shape.
        expected: Vec<usize>,
        /// Actual shape.
        actual: Vec<usize>,
    },
    /// The FFT backend refused the buffers (internal invariant; should not happen).
    #[error("FFT failed: {message}")]
    Fft {
        /// The backend's message.
        message: String,
    },
}

pub(crate) fn invalid(
    field: &'static str,
    expected: impl Into<String>,
    actual: impl ToString,
) -> MfccError {
    MfccError::InvalidConfig {
        field,
        expected: expected.into(),
        actual: actual.to_string(),
    }
}

/// The largest sample magnitude the extractors accept: 1e12. Audio is nominally within ±1;
/// beyond about 1e15 the `f32` power spectrum of a 2048-point frame overflows and the MFCCs
/// would silently be wrong, so larger (finite) samples are [`MfccError::TooLarge`].
pub const MAX_SAMPLE_MAGNITUDE: f32 = 1e12;

/// Checks every sample: the first NaN or ±inf is [`MfccError::NonFinite`], the first one beyond
/// [`MAX_SAMPLE_MAGNITUDE`] is [`MfccError::TooLarge`].
///
/// Scans in blocks with one branch-free comparison (`|x| <= limit` is false for NaN too), so
/// the common all-valid case stays vectorised.
#[inline(always)]
pub(crate) fn check_finite(samples: &[f32]) -> Result<(), MfccError> {
    const BLOCK: usize = 256;
    for (b, chunk) in samples.chunks(BLOCK).enumerate() {
        let all_ok = chunk
            .iter()
            .fold(true, |acc, x| acc & (x.abs() <= MAX_SAMPLE_MAGNITUDE));
        if !all_ok {
            if let Some(i) = chunk
                .iter()
                .position(|x| !x.is_finite() || x.abs() > MAX_SAMPLE_MAGNITUDE)
            {
                let (index, value) = (b * BLOCK + i, chunk[i]);
                return Err(if value.is_finite() {
                    MfccError::TooLarge {
                        index,
                        value,
                        limit: MAX_SAMPLE_MAGNITUDE,
                    }
                } else {
                    MfccError::NonFinite { index, value }
                });
            }
        }
    }
    Ok(())
}
