//! Offline, high-quality sample-rate conversion of mono `f32` signals (rubato 5).

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{
    Async, Fft, FixedAsync, FixedSync, Indexing, SincInterpolationParameters,
    SincInterpolationType, WindowFunction,
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
    /// Where the signal being resampled stands (see [`Resampler::push`]).
    state: ChunkState,
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
    output_len_u64(n as u64, from, to)
}

/// [`output_len`] for a count given as `u64` (saturating at `u64::MAX`).
fn output_len_u64(n: u64, from: u32, to: u32) -> u64 {
    if from == 0 {
        return 0;
    }
    let out = (u128::from(n) * u128::from(to)).div_ceil(u128::from(from));
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
                state: ChunkState::default(),
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
        let engine = Engine::Rubato(engine);
        let mut state = ChunkState::default();
        state.reset(&engine);
        Ok(Self {
            from,
            to,
            engine,
            state,
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
    /// On return `out.len() == ceil(input.len() * to / from)`. The same as
    /// [`push`](Self::push) of the whole input and [`finish`](Self::finish), in one call.
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
        self.reset();
        out.reserve(want as usize);
        let pushed = self.push(input, out);
        // `finish` also when `push` failed: the next signal starts from a clean state.
        let finished = self.finish(out);
        pushed.and(finished)
    }

    /// Forgets any signal pushed so far: the next [`push`](Self::push) starts a new one.
    pub fn reset(&mut self) {
        if let Engine::Rubato(engine) = &mut self.engine {
            engine.reset();
        }
        self.state.reset(&self.engine);
    }

    /// Resamples the next block of a signal that arrives in blocks (a long file decoded packet
    /// by packet, a microphone), appending the output that is ready to `out`; call
    /// [`finish`](Self::finish) after the last block. Memory stays bounded by one chunk of
    /// about 2048 frames whatever the signal's length, and the concatenated output of any
    /// split into blocks is bit-identical to [`process`](Self::process) of the whole signal
    /// (tested): the resampler works on fixed chunks either way, and the partial last chunk
    /// and the delay trimming are the same. [`process`](Self::process) or
    /// [`reset`](Self::reset) in between abandons the signal being pushed.
    ///
    /// ```
    /// # fn main() -> Result<(), ser_audio::AudioError> {
    /// let x: Vec<f32> = (0..10_000).map(|i| (i as f32 * 0.05).sin()).collect();
    /// let mut rs = ser_audio::Resampler::new(48000, 22050)?;
    /// let whole = rs.process(&x)?;
    /// let mut streamed = Vec::new();
    /// for block in x.chunks(333) {
    ///     rs.push(block, &mut streamed)?;
    /// }
    /// rs.finish(&mut streamed)?;
    /// assert_eq!(streamed, whole);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`AudioError::TooLoud`] (its `index` counted from the start of the signal) if a sample
    /// is not finite or exceeds [`MAX_RESAMPLE_MAGNITUDE`] (rates differ);
    /// [`AudioError::TooLong`] if one chunk's output would exceed [`MAX_SAMPLES`] (an absurd
    /// ratio such as 1 Hz to 4 GHz); [`AudioError::Resample`] if rubato fails (not expected).
    pub fn push(&mut self, input: &[f32], out: &mut Vec<f32>) -> Result<(), AudioError> {
        let (from, to) = (self.from, self.to);
        let engine = match &mut self.engine {
            Engine::Passthrough => {
                out.extend_from_slice(input);
                self.state.pushed += input.len() as u64;
                return Ok(());
            }
            Engine::Rubato(r) => r,
        };
        if let Some((index, value)) = crate::first_sample_where(input, |v| {
            !v.is_finite() || v.abs() > MAX_RESAMPLE_MAGNITUDE
        }) {
            return Err(AudioError::TooLoud {
                path: None,
                index: self.state.pushed as usize + index,
                value,
                limit: MAX_RESAMPLE_MAGNITUDE,
            });
        }
        self.state.push(engine.as_mut(), input, out, from, to)
    }

    /// Ends the signal begun by [`push`](Self::push): resamples the held partial chunk, flushes
    /// the resampler's delay line and appends the rest of the output to `out`, so the output
    /// totals exactly `ceil(n * to / from)` samples for the `n` samples pushed. Then the
    /// resampler is ready for a new signal.
    ///
    /// # Errors
    /// As [`push`](Self::push), less the sample checks.
    pub fn finish(&mut self, out: &mut Vec<f32>) -> Result<(), AudioError> {
        let (from, to) = (self.from, self.to);
        let result = match &mut self.engine {
            Engine::Passthrough => Ok(()),
            Engine::Rubato(engine) => self.state.finish(engine.as_mut(), out, from, to),
        };
        self.reset();
        result
    }
}

/// The block-by-block driver of a rubato resampler shared by [`Resampler::process_into`] and
/// [`Resampler::push`]: the same steps as rubato's `process_all_into_buffer` (fixed input
/// chunks while more than one chunk is left, the rest as a partial chunk padded with zeros,
/// then zero chunks until the output is complete, the startup delay dropped), but fed as the
/// input arrives.
#[derive(Debug, Default)]
struct ChunkState {
    /// Input frames per chunk (`input_frames_next`, fixed for both engines).
    chunk: usize,
    /// Input not yet resampled: at most one chunk.
    pending: Vec<f32>,
    /// One chunk of output (`output_frames_max`), allocated on first use.
    scratch: Vec<f32>,
    /// Output frames still to drop at the start (the resampler's delay).
    to_trim: usize,
    /// Input frames pushed since the last reset.
    pushed: u64,
    /// Output frames appended since the last reset.
    emitted: u64,
}

impl ChunkState {
    /// Back to the start of a signal, sized for `engine`.
    fn reset(&mut self, engine: &Engine) {
        self.pending.clear();
        self.pushed = 0;
        self.emitted = 0;
        match engine {
            Engine::Passthrough => {
                self.chunk = 0;
                self.to_trim = 0;
            }
            Engine::Rubato(r) => {
                self.chunk = r.input_frames_next().max(1);
                self.to_trim = r.output_delay();
                if self.pending.capacity() < self.chunk {
                    self.pending.reserve_exact(self.chunk);
                }
            }
        }
    }

    fn push(
        &mut self,
        engine: &mut (dyn rubato::Resampler<f32> + Send),
        mut input: &[f32],
        out: &mut Vec<f32>,
        from: u32,
        to: u32,
    ) -> Result<(), AudioError> {
        self.pushed += input.len() as u64;
        let chunk = self.chunk;
        if !self.pending.is_empty() {
            let take = (chunk - self.pending.len()).min(input.len());
            self.pending.extend_from_slice(&input[..take]);
            input = &input[take..];
            if input.is_empty() {
                // A full pending chunk waits: it may be the signal's last (a partial one).
                return Ok(());
            }
            let pending = std::mem::take(&mut self.pending);
            let done = self.process(engine, &pending, None, out, from, to);
            self.pending = pending;
            self.pending.clear();
            done?;
        }
        while input.len() > chunk {
            self.process(engine, &input[..chunk], None, out, from, to)?;
            input = &input[chunk..];
        }
        self.pending.extend_from_slice(input);
        Ok(())
    }

    fn finish(
        &mut self,
        engine: &mut (dyn rubato::Resampler<f32> + Send),
        out: &mut Vec<f32>,
        from: u32,
        to: u32,
    ) -> Result<(), AudioError> {
        let want = output_len_u64(self.pushed, from, to);
        if !self.pending.is_empty() {
            let pending = std::mem::take(&mut self.pending);
            let done = self.process(engine, &pending, Some(pending.len()), out, from, to);
            self.pending = pending;
            done?;
        }
        while self.emitted < want {
            self.process(engine, &[], Some(0), out, from, to)?;
        }
        // rubato's chunks may overshoot the exact length `ceil(n * to / from)`: cut it.
        let extra = (self.emitted - want) as usize;
        out.truncate(out.len().saturating_sub(extra));
        self.emitted = want;
        Ok(())
    }

    /// Resamples one chunk (`partial`: its valid length, the rest zeros) and appends the output
    /// past the startup delay.
    fn process(
        &mut self,
        engine: &mut (dyn rubato::Resampler<f32> + Send),
        input: &[f32],
        partial: Option<usize>,
        out: &mut Vec<f32>,
        from: u32,
        to: u32,
    ) -> Result<(), AudioError> {
        let fail = |detail: String| AudioError::Resample { from, to, detail };
        // One chunk's output, allocated on first use (absurd ratios are refused here rather
        // than exhausting memory).
        let frames = engine.output_frames_max();
        if frames as u64 > MAX_SAMPLES {
            return Err(AudioError::TooLong {
                path: None,
                input: input.len(),
                output: frames as u64,
                limit: MAX_SAMPLES,
                from,
                to,
            });
        }
        if self.scratch.len() < frames {
            self.scratch.resize(frames, 0.0);
        }
        let adapter_in =
            InterleavedSlice::new(input, 1, input.len()).map_err(|e| fail(e.to_string()))?;
        let mut adapter_out = InterleavedSlice::new_mut(self.scratch.as_mut_slice(), 1, frames)
            .map_err(|e| fail(e.to_string()))?;
        let indexing = Indexing {
            partial_len: partial,
            ..Indexing::default()
        };
        let (_, produced) = engine
            .process_into_buffer(&adapter_in, &mut adapter_out, Some(&indexing))
            .map_err(|e| fail(e.to_string()))?;
        let produced = produced.min(frames);
        let skip = self.to_trim.min(produced);
        self.to_trim -= skip;
        out.extend_from_slice(&self.scratch[skip..produced]);
        self.emitted += (produced - skip) as u64;
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

    /// The whole-clip path as it was before streaming: rubato's own `process_all_into_buffer`.
    fn rubato_process_all(rs: &mut Resampler, input: &[f32]) -> Vec<f32> {
        let want = rs.output_len(input.len()) as usize;
        let Engine::Rubato(engine) = &mut rs.engine else {
            return input.to_vec();
        };
        engine.reset();
        let needed = engine.process_all_needed_output_len(input.len()).max(want);
        let mut out = vec![0.0; needed];
        let a_in = InterleavedSlice::new(input, 1, input.len()).unwrap();
        let mut a_out = InterleavedSlice::new_mut(out.as_mut_slice(), 1, needed).unwrap();
        engine
            .process_all_into_buffer(&a_in, &mut a_out, input.len(), None)
            .unwrap();
        out.truncate(want);
        out
    }

    #[test]
    fn streamed_blocks_equal_the_whole_signal_bit_for_bit() {
        let x: Vec<f32> = (0..50_000)
            .map(|i| {
                let t = i as f32;
                0.5 * (t * 0.031).sin() + 0.2 * (t * 0.47).sin() * (t * 0.001).cos()
            })
            .collect();
        // FFT engine (48 kHz -> 22050 Hz, 44.1 kHz -> 16 kHz), the async sinc engine
        // (44101 Hz), upsampling, and the pass-through.
        for (from, to) in [
            (48000, 22050),
            (44100, 16000),
            (44101, 22050),
            (8000, 16000),
            (16000, 16000),
        ] {
            let mut rs = Resampler::new(from, to).unwrap();
            let reference = rubato_process_all(&mut rs, &x);
            assert_eq!(rs.process(&x).unwrap(), reference, "{from} -> {to}");
            for n in [0, 1, 100, 2047, 2048, 2049, 4096, 50_000] {
                let want = rs.output_len(n) as usize;
                let whole = rs.process(&x[..n]).unwrap();
                assert_eq!(whole.len(), want);
                for block in [1, 7, 333, 2048, 2049, 65_536] {
                    if block == 1 && n > 5000 {
                        continue; // slow in debug builds; 7 covers tiny blocks
                    }
                    let mut out = Vec::new();
                    for b in x[..n].chunks(block) {
                        rs.push(b, &mut out).unwrap();
                    }
                    rs.finish(&mut out).unwrap();
                    assert_eq!(out, whole, "{from} -> {to}, n {n}, blocks of {block}");
                }
            }
        }
    }

    #[test]
    fn streaming_holds_at_most_one_chunk() {
        let mut rs = Resampler::new(48000, 22050).unwrap();
        let block = vec![0.1f32; 4000];
        let mut out = Vec::new();
        for _ in 0..200 {
            out.clear();
            rs.push(&block, &mut out).unwrap();
            assert!(rs.state.pending.len() <= rs.state.chunk);
            assert!(rs.state.pending.capacity() <= 2 * rs.state.chunk);
        }
        // A bad sample is reported at its index in the whole signal.
        let err = rs.push(&[0.0, f32::NAN], &mut out).unwrap_err();
        assert!(
            matches!(err, AudioError::TooLoud { index, .. } if index == 200 * 4000 + 1),
            "{err}"
        );
    }

    #[test]
    fn gcd_works() {
        assert_eq!(gcd(48000, 22050), 150);
        assert_eq!(gcd(7, 13), 1);
    }
}
