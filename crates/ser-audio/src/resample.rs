//! Offline, high-quality sample-rate conversion of mono `f32` signals (rubato 5).

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{
    Async, Fft, FixedAsync, FixedSync, SincInterpolationParameters, SincInterpolationType,
    WindowFunction,
};

use crate::AudioError;

/// The longest output, in samples, the resampler will produce: 2^28 (about 3.4 hours at
/// 22050 Hz, 1 GiB of `f32`). Longer requests fail with [`AudioError::TooLong`] instead of
/// exhausting memory (a small corrupt file can declare a sample rate of 1 Hz, which would
/// otherwise be upsampled 22050-fold).
pub const MAX_SAMPLES: u64 = 1 << 28;

/// The largest sample magnitude [`Resampler`] accepts: 1e30. The resampler's FFTs sum up to
/// tens of thousands of samples, so much larger values (which only corrupt float files hold;
/// audio is nominally within ±1) would overflow `f32` and come out as NaN. Larger inputs fail
/// with [`AudioError::TooLoud`].
pub const MAX_RESAMPLE_MAGNITUDE: f32 = 1e30;

/// Target FFT block length (input and output side) for the synchronous FFT resampler. Longer
/// blocks give a sharper anti-alias filter; 2048 puts the 48 kHz -> 22050 Hz cutoff at about
/// 98 % of the output Nyquist frequency.
const FFT_TARGET_BLOCK: usize = 2048;

/// Above this many frames in the smallest exact FFT block (`rate / gcd(from, to)` on either side)
/// the FFT resampler would need huge transforms; such ratios use the asynchronous sinc resampler.
const FFT_MAX_MIN_BLOCK: usize = 1 << 14;

/// Input chunk length of the asynchronous sinc resampler, in frames.
const SINC_CHUNK: usize = 1024;

enum Engine {
    /// Same rate: a plain copy.
    Passthrough,
    /// Any other ratio: a rubato resampler (synchronous FFT, or asynchronous sinc for ratios whose
    /// exact FFT block would be huge).
    Rubato(Box<dyn rubato::Resampler<f32> + Send>),
}

/// A planned, reusable resampler for mono `f32` signals from one fixed rate to another.
///
/// Built once with [`Resampler::new`] (FFT plans, filter and scratch buffers), then used for any
/// number of clips with [`process`](Resampler::process) or the allocation-free (once warmed up)
/// [`process_into`](Resampler::process_into). Each call resamples one whole clip from a clean
/// state, so results do not depend on earlier calls.
///
/// Method: rubato's synchronous FFT resampler (windowed-sinc anti-alias filter, BlackmanHarris²
/// window, applied in the frequency domain on blocks of about 2048 frames; for 48 kHz -> 22050 Hz
/// the passband reaches about 98 % of the output Nyquist frequency). Ratios whose exact block
/// would be longer than 16384 frames (e.g. 44101 Hz -> 22050 Hz) use rubato's asynchronous sinc
/// resampler (256-tap BlackmanHarris² sinc, cubic interpolation) instead.
///
/// Output: time-aligned with the input (the resampler's delay is trimmed, so sample `k` of the
/// output sits at time `k / to` seconds like sample `k * from / to` of the input) and exactly
/// `ceil(n * to / from)` samples long, as `librosa.resample` gives. Same rate: a copy.
pub struct Resampler {
    from: u32,
    to: u32,
    engine: Engine,
}

impl std::fmt::Debug for Resampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let engine = match &self.engine {
            Engine::Passthrough => "passthrough",
            Engine::Rubato(r) if r.is_adjustable() => "rubato async sinc",
            Engine::Rubato(_) => "rubato fft",
        };
        f.debug_struct("Resampler")
            .field("from", &self.from)
            .field("to", &self.to)
            .field("engine", &engine)
            .finish()
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Output length librosa gives: `ceil(n * to / from)`, exact integer arithmetic.
///
/// Returns 0 when `from` is 0 (an invalid rate, rejected elsewhere).
pub fn output_len(n: usize, from: u32, to: u32) -> u64 {
    if from == 0 {
        return 0;
    }
    let num = n as u128 * u128::from(to);
    let out = num.div_ceil(u128::from(from));
    u64::try_from(out).unwrap_or(u64::MAX)
}

impl Resampler {
    /// Plans a resampler from `from` Hz to `to` Hz (mono).
    ///
    /// # Errors
    /// [`AudioError::InvalidRate`] if either rate is zero; [`AudioError::Resample`] if rubato
    /// rejects the configuration (not expected for non-zero rates).
    pub fn new(from: u32, to: u32) -> Result<Self, AudioError> {
        if from == 0 || to == 0 {
            return Err(AudioError::InvalidRate { from, to });
        }
        if from == to {
            return Ok(Self {
                from,
                to,
                engine: Engine::Passthrough,
            });
        }
        let g = gcd(u64::from(from), u64::from(to));
        // Both fit in usize: they are at most u32::MAX.
        let min_in = (u64::from(from) / g) as usize;
        let min_out = (u64::from(to) / g) as usize;
        let err = |e: rubato::ResamplerConstructionError| AudioError::Resample {
            from,
            to,
            detail: e.to_string(),
        };
        let engine: Box<dyn rubato::Resampler<f32> + Send> =
            if min_in.max(min_out) <= FFT_MAX_MIN_BLOCK {
                // Number of minimal blocks per FFT block: as many as fit in the target length on the
                // longer side, at least one, and with an even output block: rubato's delay is
                // half the output block, so an odd one would leave the output half a sample late.
                let blocks = (FFT_TARGET_BLOCK / min_in.max(min_out)).max(1);
                let blocks = blocks + (blocks * min_out) % 2;
                Box::new(
                    Fft::<f32>::new_custom(
                        from as usize,
                        to as usize,
                        blocks * min_in,
                        1,
                        1,
                        WindowFunction::BlackmanHarris2,
                        FixedSync::Both,
                    )
                    .map_err(err)?,
                )
            } else {
                let params = SincInterpolationParameters {
                    sinc_len: 256,
                    f_cutoff: None,
                    oversampling_factor: 256,
                    interpolation: SincInterpolationType::Cubic,
                    window: WindowFunction::BlackmanHarris2,
                };
                Box::new(
                    Async::<f32>::new_sinc(
                        f64::from(to) / f64::from(from),
                        1.0,
                        &params,
                        SINC_CHUNK,
                        1,
                        FixedAsync::Input,
                    )
                    .map_err(err)?,
                )
            };
        Ok(Self {
            from,
            to,
            engine: Engine::Rubato(engine),
        })
    }

    /// Input rate in Hz.
    pub fn from_rate(&self) -> u32 {
        self.from
    }

    /// Output rate in Hz.
    pub fn to_rate(&self) -> u32 {
        self.to
    }

    /// Output length for `n` input samples: `ceil(n * to / from)`.
    pub fn output_len(&self, n: usize) -> u64 {
        output_len(n, self.from, self.to)
    }

    /// Resamples one whole clip (mono, any length, at [`from_rate`](Self::from_rate)) into a new
    /// vector of `ceil(n * to / from)` samples at [`to_rate`](Self::to_rate).
    ///
    /// # Errors
    /// [`AudioError::TooLong`] if the output would exceed [`MAX_SAMPLES`];
    /// [`AudioError::TooLoud`] if a sample is not finite or exceeds
    /// [`MAX_RESAMPLE_MAGNITUDE`] in magnitude (rates differ); [`AudioError::Resample`] if rubato fails (not expected).
    pub fn process(&mut self, input: &[f32]) -> Result<Vec<f32>, AudioError> {
        let mut out = Vec::new();
        self.process_into(input, &mut out)?;
        Ok(out)
    }

    /// Like [`process`](Self::process), writing into `out` (cleared first). Once `out` has
    /// grown to its working size this allocates nothing.
    ///
    /// On return `out.len() == ceil(input.len() * to / from)`.
    ///
    /// # Errors
    /// As [`process`](Self::process).
    pub fn process_into(&mut self, input: &[f32], out: &mut Vec<f32>) -> Result<(), AudioError> {
        out.clear();
        let want = self.output_len(input.len());
        if want > MAX_SAMPLES {
            return Err(AudioError::TooLong {
                path: None,
                input: input.len(),
                output: want,
                limit: MAX_SAMPLES,
                from: self.from,
                to: self.to,
            });
        }
        // want <= 2^28 fits in usize on every platform this crate supports (>= 32-bit).
        let want = want as usize;
        let (from, to) = (self.from, self.to);
        let engine = match &mut self.engine {
            Engine::Passthrough => {
                out.extend_from_slice(input);
                return Ok(());
            }
            Engine::Rubato(r) => r,
        };
        if input.is_empty() {
            return Ok(());
        }
        if let Some((index, value)) = crate::first_sample_where(input, |v| {
            !v.is_finite() || v.abs() > MAX_RESAMPLE_MAGNITUDE
        }) {
            return Err(AudioError::TooLoud {
                path: None,
                index,
                value,
                limit: MAX_RESAMPLE_MAGNITUDE,
            });
        }
        let fail = |detail: String| AudioError::Resample { from, to, detail };
        engine.reset();
        let needed = engine.process_all_needed_output_len(input.len()).max(want);
        out.resize(needed, 0.0);
        let adapter_in =
            InterleavedSlice::new(input, 1, input.len()).map_err(|e| fail(e.to_string()))?;
        let mut adapter_out = InterleavedSlice::new_mut(out.as_mut_slice(), 1, needed)
            .map_err(|e| fail(e.to_string()))?;
        engine
            .process_all_into_buffer(&adapter_in, &mut adapter_out, input.len(), None)
            .map_err(|e| fail(e.to_string()))?;
        // rubato computes its length as ceil(ratio * n) in f64, which can differ by one from the
        // exact integer ceil; the buffer holds valid samples past its count either way (it is
        // filled in whole chunks), so cut to the exact length.
        out.truncate(want);
        Ok(())
    }
}

/// Resamples a mono clip from `from` Hz to `to` Hz in one call: plans a [`Resampler`] and runs
/// it once. Output length `ceil(samples.len() * to / from)`; same rate returns a copy.
///
/// For many clips at the same pair of rates, build one [`Resampler`] and reuse it.
///
/// # Errors
/// [`AudioError::InvalidRate`] if a rate is zero; otherwise as [`Resampler::process`].
pub fn resample(samples: &[f32], from: u32, to: u32) -> Result<Vec<f32>, AudioError> {
    Resampler::new(from, to)?.process(samples)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_len_is_exact_ceil() {
        assert_eq!(output_len(0, 48000, 22050), 0);
        assert_eq!(output_len(1, 48000, 22050), 1);
        assert_eq!(output_len(320, 48000, 22050), 147);
        assert_eq!(output_len(321, 48000, 22050), 148);
        assert_eq!(output_len(158558, 48000, 22050), 72838); // 72837.58 -> 72838
        assert_eq!(output_len(10, 1, u32::MAX), 10 * u64::from(u32::MAX));
    }

    #[test]
    fn gcd_works() {
        assert_eq!(gcd(48000, 22050), 150);
        assert_eq!(gcd(7, 13), 1);
    }
}
