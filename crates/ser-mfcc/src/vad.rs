//! Voice-activity detection: [`Vad`] (what counts as speech is documented there).

use std::ops::Range;
use std::sync::Arc;

use ndarray::{Array2, ArrayView2, Axis};
use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};
use serde::{Deserialize, Serialize};

use crate::error::{check_finite, invalid, MfccError};
use crate::stft::hann_window;

/// Lowest frame energy reported, dBFS (digital silence).
pub const VAD_ENERGY_FLOOR_DBFS: f32 = -120.0;

/// Longest analysis frame (and hop) the [`Vad`] accepts, samples (2^20): bounds the FFT plan
/// and its buffers for absurd sample rates or frame lengths.
pub const VAD_MAX_FRAME: usize = 1 << 20;

/// Settings of the [`Vad`]; every threshold is documented with its default.
///
/// Times are milliseconds and converted at the input's own sample rate (frame and hop rounded
/// to whole samples), levels are dB. See [`Vad`] for how they combine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct VadConfig {
    /// Analysis frame length, ms. Default 25.
    pub frame_ms: f64,
    /// Hop between frames, ms (the mask's resolution). Default 10.
    pub hop_ms: f64,
    /// Lower edge of the analysed band, Hz (below it: DC, rumble, mains hum). Default 100.
    pub band_low_hz: f64,
    /// Upper edge of the analysed band, Hz (clamped to the Nyquist rate). Default 4000.
    pub band_high_hz: f64,
    /// Absolute floor: quieter frames are not speech, dBFS (full-scale sine = -3 dBFS).
    /// Default -60.
    pub abs_floor_dbfs: f64,
    /// Frames more than this far below the clip's loudest frame are not speech, dB. Default 40.
    pub max_below_peak_db: f64,
    /// Percentile (0..=100) of the clip's frame energies taken as its noise floor. Default 10.
    pub noise_percentile: f64,
    /// Frames must be at least this far above the noise floor, dB. Default 6.
    pub above_noise_db: f64,
    /// Frames with a spectral flatness above this (0..=1) are noise-like, not speech.
    /// Default 0.5.
    pub max_flatness: f64,
    /// Gaps between speech runs shorter than this are filled, ms. Default 200.
    pub max_gap_ms: f64,
    /// Speech runs (after filling) shorter than this are dropped, ms. Default 100.
    pub min_run_ms: f64,
    /// Runs whose frame energy has an interquartile range (75th minus 25th percentile over
    /// the run's frames) below this are steady sound (a tone, a hum, a noise burst), not
    /// speech, dB. Default 1.5.
    pub min_run_spread_db: f64,
    /// A clip is speech when its speech frames total at least this, ms. Default 250.
    pub min_clip_speech_ms: f64,
}

impl Default for VadConfig {
    fn default() -> Self {
        Self {
            frame_ms: 25.0,
            hop_ms: 10.0,
            band_low_hz: 100.0,
            band_high_hz: 4000.0,
            abs_floor_dbfs: -60.0,
            max_below_peak_db: 40.0,
            noise_percentile: 10.0,
            above_noise_db: 6.0,
            max_flatness: 0.5,
            max_gap_ms: 200.0,
            min_run_ms: 100.0,
            min_run_spread_db: 1.5,
            min_clip_speech_ms: 250.0,
        }
    }
}

impl VadConfig {
    /// Checks every field's range.
    ///
    /// # Errors
    /// [`MfccError::InvalidConfig`] naming the first bad field.
    pub fn validate(&self) -> Result<(), MfccError> {
        let positive = |v: f64| v.is_finite() && v > 0.0;
        let non_negative = |v: f64| v.is_finite() && v >= 0.0;
        let checks = [
            (
                "frame_ms",
                positive(self.frame_ms),
                "a finite number > 0",
                self.frame_ms,
            ),
            (
                "hop_ms",
                positive(self.hop_ms),
                "a finite number > 0",
                self.hop_ms,
            ),
            (
                "band_low_hz",
                non_negative(self.band_low_hz),
                "a finite number >= 0",
                self.band_low_hz,
            ),
            (
                "band_high_hz",
                self.band_high_hz.is_finite() && self.band_high_hz > self.band_low_hz,
                "a finite number > band_low_hz",
                self.band_high_hz,
            ),
            (
                "abs_floor_dbfs",
                self.abs_floor_dbfs.is_finite(),
                "a finite dB value",
                self.abs_floor_dbfs,
            ),
            (
                "max_below_peak_db",
                non_negative(self.max_below_peak_db),
                "a finite number >= 0",
                self.max_below_peak_db,
            ),
            (
                "noise_percentile",
                (0.0..=100.0).contains(&self.noise_percentile),
                "0..=100",
                self.noise_percentile,
            ),
            (
                "above_noise_db",
                non_negative(self.above_noise_db),
                "a finite number >= 0",
                self.above_noise_db,
            ),
            (
                "max_flatness",
                (0.0..=1.0).contains(&self.max_flatness),
                "0..=1",
                self.max_flatness,
            ),
            (
                "max_gap_ms",
                non_negative(self.max_gap_ms),
                "a finite number >= 0",
                self.max_gap_ms,
            ),
            (
                "min_run_ms",
                non_negative(self.min_run_ms),
                "a finite number >= 0",
                self.min_run_ms,
            ),
            (
                "min_run_spread_db",
                non_negative(self.min_run_spread_db),
                "a finite number >= 0",
                self.min_run_spread_db,
            ),
            (
                "min_clip_speech_ms",
                non_negative(self.min_clip_speech_ms),
                "a finite number >= 0",
                self.min_clip_speech_ms,
            ),
        ];
        match checks.into_iter().find(|c| !c.1) {
            Some((field, _, expected, value)) => Err(invalid(field, expected, value)),
            None => Ok(()),
        }
    }

    /// Frame length and hop in samples at `sample_rate` (rounded; frame within
    /// `4..=`[`VAD_MAX_FRAME`], hop >= 1).
    ///
    /// # Errors
    /// [`MfccError::InvalidConfig`] for `sample_rate == 0` or a rate that puts fewer than 4 or
    /// more than [`VAD_MAX_FRAME`] samples in a frame (below 160 Hz or above about 42 MHz with
    /// 25 ms frames).
    pub fn frame_and_hop(&self, sample_rate: u32) -> Result<(usize, usize), MfccError> {
        if sample_rate == 0 {
            return Err(invalid("sample_rate", "> 0 Hz", sample_rate));
        }
        let sr = f64::from(sample_rate);
        let frame = (self.frame_ms * sr / 1000.0).round();
        let hop = (self.hop_ms * sr / 1000.0).round().max(1.0);
        let max = VAD_MAX_FRAME as f64;
        if !((4.0..=max).contains(&frame) && hop <= max) {
            return Err(invalid(
                "sample_rate",
                format!(
                    "a rate giving 4..={VAD_MAX_FRAME} samples per {} ms frame and hop",
                    self.frame_ms
                ),
                sample_rate,
            ));
        }
        Ok((frame as usize, hop as usize))
    }
}

/// What [`Vad::decide`] found in one clip.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VadDecision {
    /// Whether the clip holds speech: `speech_seconds >= min_clip_speech_ms / 1000`.
    pub speech: bool,
    /// Number of frames judged speech.
    pub speech_frames: usize,
    /// Number of frames, `1 + n / hop` (0 for no samples).
    pub total_frames: usize,
    /// `speech_frames * hop_seconds`, seconds.
    pub speech_seconds: f64,
    /// Length of the clip, `n / sample_rate` seconds.
    pub total_seconds: f64,
    /// Hop between frames, seconds (`hop` samples / sample rate).
    pub hop_seconds: f64,
    /// Per-frame decision, shape `[total_frames]`; frame `t` is centred at `t * hop_seconds`.
    pub mask: Vec<bool>,
    /// Per-frame band energy, dBFS (floored at [`VAD_ENERGY_FLOOR_DBFS`]), shape `[total_frames]`.
    pub energy_db: Vec<f32>,
}

impl VadDecision {
    /// Fraction of frames judged speech (0 for an empty clip).
    pub fn speech_fraction(&self) -> f64 {
        if self.total_frames == 0 {
            0.0
        } else {
            self.speech_frames as f64 / self.total_frames as f64
        }
    }

    /// Contiguous speech runs as frame ranges (see [`speech_spans`]).
    pub fn spans(&self) -> Vec<Range<usize>> {
        speech_spans(&self.mask)
    }

    /// The mask for another frame grid: `n_frames` frames every `hop_seconds`, frame `i`
    /// centred at `i * hop_seconds` (see [`speech_mask`]).
    pub fn mask_for(&self, n_frames: usize, hop_seconds: f64) -> Vec<bool> {
        speech_mask(&self.mask, self.hop_seconds, n_frames, hop_seconds)
    }
}

/// Contiguous runs of `true` in a per-frame mask, as frame index ranges in order.
pub fn speech_spans(mask: &[bool]) -> Vec<Range<usize>> {
    let mut spans = Vec::new();
    let mut start = None;
    for (i, &m) in mask.iter().enumerate() {
        match (m, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                spans.push(s..i);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        spans.push(s..mask.len());
    }
    spans
}

/// Maps a VAD mask (frames every `mask_hop_seconds`, frame `t` centred at `t * mask_hop_seconds`)
/// onto `n_frames` frames every `hop_seconds` (same convention): frame `i` takes the VAD frame
/// nearest to its centre, clamped to the last one; with the same hop this is the mask itself,
/// truncated or extended by its last value. An empty mask or a non-positive/non-finite hop gives
/// all `false`.
pub fn speech_mask(
    mask: &[bool],
    mask_hop_seconds: f64,
    n_frames: usize,
    hop_seconds: f64,
) -> Vec<bool> {
    let ok = |h: f64| h.is_finite() && h > 0.0;
    let Some(last) = mask.len().checked_sub(1) else {
        return vec![false; n_frames];
    };
    if !ok(mask_hop_seconds) || !ok(hop_seconds) {
        return vec![false; n_frames];
    }
    let ratio = hop_seconds / mask_hop_seconds;
    (0..n_frames)
        .map(|i| {
            let t = (i as f64 * ratio).round();
            let t = if t.is_finite() && t >= 0.0 {
                (t as usize).min(last)
            } else {
                last
            };
            mask[t]
        })
        .collect()
}

/// The rows of a `[frames, n]` feature matrix whose `mask` entry is `true`, shape
/// `[selected, n]`.
///
/// # Errors
/// [`MfccError::ShapeMismatch`] if `mask.len()` differs from the number of rows (align it with
/// [`speech_mask`] / [`VadDecision::mask_for`] first).
pub fn select_frames(
    features: ArrayView2<'_, f32>,
    mask: &[bool],
) -> Result<Array2<f32>, MfccError> {
    if mask.len() != features.nrows() {
        return Err(MfccError::ShapeMismatch {
            what: "select_frames mask",
            expected: vec![features.nrows()],
            actual: vec![mask.len()],
        });
    }
    let rows: Vec<usize> = mask
        .iter()
        .enumerate()
        .filter_map(|(i, &m)| m.then_some(i))
        .collect();
    Ok(features.select(Axis(0), &rows))
}

/// Per-rate analysis plan: frame/hop, window, FFT and buffers.
#[derive(Clone)]
struct Plan {
    sample_rate: u32,
    frame: usize,
    hop: usize,
    window: Vec<f32>,
    /// `sum(w^2)`, for the mean-square normalisation.
    window_power: f64,
    /// Band bins `lo..hi`.
    bins: Range<usize>,
    fft: Arc<dyn RealToComplex<f32>>,
    input: Vec<f32>,
    spectrum: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
}

impl Plan {
    /// Band energy (dBFS) and flatness of frame `t` of a clip of `n > 0` samples, the clip's
    /// sample `i` read by `sample(i)`: the frame is centred on sample `t * hop`; outside the
    /// clip the edge sample repeats.
    fn frame_at(
        &mut self,
        t: usize,
        n: usize,
        sample: impl Fn(usize) -> f32,
    ) -> Result<(f32, f32), MfccError> {
        let start = (t * self.hop) as isize - (self.frame / 2) as isize;
        let mut sum = 0.0f64;
        for (i, x) in self.input.iter_mut().enumerate() {
            let idx = (start + i as isize).clamp(0, n as isize - 1) as usize;
            *x = sample(idx);
            sum += f64::from(*x);
        }
        let mean = (sum / self.frame as f64) as f32;
        for (x, &w) in self.input.iter_mut().zip(&self.window) {
            *x = (*x - mean) * w;
        }
        self.fft
            .process_with_scratch(&mut self.input, &mut self.spectrum, &mut self.scratch)
            .map_err(|e| MfccError::Fft {
                message: e.to_string(),
            })?;
        let band = &self.spectrum[self.bins.clone()];
        let (mut total, mut log_sum) = (0.0f64, 0.0f64);
        for c in band {
            let p = f64::from(c.re) * f64::from(c.re) + f64::from(c.im) * f64::from(c.im);
            total += p;
            log_sum += (p + 1e-30).ln();
        }
        let nb = band.len().max(1) as f64;
        // Parseval: one-sided bins count twice; normalise by the window's power.
        let mean_square = 2.0 * total / (self.frame as f64 * self.window_power);
        let db = 10.0 * (mean_square + 1e-30).log10();
        let arith = total / nb + 1e-30;
        let flat = ((log_sum / nb).exp() / arith).clamp(0.0, 1.0);
        Ok(((db as f32).max(VAD_ENERGY_FLOOR_DBFS), flat as f32))
    }
}

/// A [`Vad`] fed block by block ([`Vad::stream`]): [`push`](Self::push) the clip's samples as
/// they arrive, [`finish`](Self::finish) for the decision, which equals
/// [`Vad::decide`] over the whole clip. The thresholds are relative to the whole clip (its
/// loudest frame and noise percentile), so the decision comes at the end; the samples are not
/// kept, only two numbers per frame (band energy and flatness, 8 bytes per 10 ms hop: 2.9 MB
/// per hour) and at most one frame and one block of samples.
///
/// ```
/// use ser_mfcc::{Vad, VadConfig};
/// let sr = 16_000;
/// let x: Vec<f32> = (0..3 * sr).map(|i| 0.2 * (i as f32 * 0.11).sin()).collect();
/// let mut vad = Vad::new(VadConfig::default())?;
/// let mut stream = vad.stream(sr as u32)?;
/// for block in x.chunks(1000) {
///     stream.push(block)?;
/// }
/// assert_eq!(stream.finish()?, vad.decide(&x, sr as u32)?);
/// # Ok::<(), ser_mfcc::MfccError>(())
/// ```
#[derive(Clone)]
pub struct VadStream {
    /// The detector, its plan made for `sample_rate`.
    vad: Vad,
    sample_rate: u32,
    /// Samples from `buf_start` on that a frame still needs.
    buf: Vec<f32>,
    buf_start: usize,
    /// Samples pushed.
    pushed: usize,
    energy_db: Vec<f32>,
    flatness: Vec<f32>,
}

impl std::fmt::Debug for VadStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VadStream")
            .field("sample_rate", &self.sample_rate)
            .field("pushed", &self.pushed)
            .field("frames", &self.energy_db.len())
            .finish_non_exhaustive()
    }
}

impl VadStream {
    /// Analyses the next samples of the clip (mono, at the stream's sample rate): every frame
    /// that lies entirely within the samples so far.
    ///
    /// # Errors
    /// [`MfccError::NonFinite`] / [`MfccError::TooLarge`] for a bad sample (as
    /// [`Vad::decide`]).
    pub fn push(&mut self, samples: &[f32]) -> Result<(), MfccError> {
        check_finite(samples)?;
        let Some(plan) = self.vad.plan.as_ref() else {
            return Ok(());
        };
        // In pieces of at most one hop, so the buffer stays within a frame and two hops.
        let piece = plan.hop.max(1);
        for part in samples.chunks(piece) {
            self.buf.extend_from_slice(part);
            self.pushed += part.len();
            self.analyse_ready(None)?;
        }
        Ok(())
    }

    /// Samples pushed so far.
    pub fn samples(&self) -> usize {
        self.pushed
    }

    /// Samples held for frames still to analyse (bounded by a frame and two hops).
    pub fn buffered(&self) -> usize {
        self.buf.capacity()
    }

    /// Analyses the frames that are ready: those within the samples pushed, or with `n`
    /// (the clip's length) every frame of the clip.
    fn analyse_ready(&mut self, n: Option<usize>) -> Result<(), MfccError> {
        let Some(plan) = self.vad.plan.as_mut() else {
            return Ok(());
        };
        let half = plan.frame / 2;
        let total = n.unwrap_or(self.pushed);
        if total == 0 {
            return Ok(());
        }
        let frames = 1 + total / plan.hop;
        loop {
            let t = self.energy_db.len();
            if t >= frames {
                break;
            }
            // Frame t needs samples up to t * hop - half + frame (clamped to the clip).
            let end = (t * plan.hop + plan.frame).saturating_sub(half);
            if n.is_none() && end > self.pushed {
                break;
            }
            // Frames read from their start on (clamped to sample 0 at the left edge), and the
            // buffer keeps every sample from the next frame's start.
            let (buf, buf_start) = (&self.buf, self.buf_start);
            let (e, f) = plan.frame_at(t, total, |i| {
                buf.get(i.saturating_sub(buf_start)).copied().unwrap_or(0.0)
            })?;
            self.energy_db.push(e);
            self.flatness.push(f);
        }
        // Drop the samples no later frame reads.
        let next_start = (self.energy_db.len() * plan.hop).saturating_sub(half);
        let drop = next_start
            .saturating_sub(self.buf_start)
            .min(self.buf.len());
        self.buf.drain(..drop);
        self.buf_start += drop;
        Ok(())
    }

    /// The decision over everything pushed: [`Vad::decide`] of the whole clip.
    ///
    /// # Errors
    /// [`MfccError::Fft`] if the FFT fails (not expected: its buffers are its own).
    pub fn finish(mut self) -> Result<VadDecision, MfccError> {
        let n = self.pushed;
        let hop = self.vad.plan.as_ref().map_or(1, |p| p.hop);
        // The frames at the end, which read past the last sample (it repeats).
        self.analyse_ready(Some(n))?;
        Ok(self
            .vad
            .decide_frames(self.energy_db, &self.flatness, hop, n, self.sample_rate))
    }
}

/// An energy- and spectrum-based voice-activity detector: which frames of a clip hold speech,
/// and whether a clip holds any.
///
/// Silence and non-speech are not emotions, so a recogniser first asks [`Vad::decide`] whether
/// there is speech at all and, for frame-level features, which frames to keep
/// ([`VadDecision::mask_for`], [`select_frames`]).
///
/// ```
/// use ser_mfcc::{Vad, VadConfig};
/// let sr = 16_000;
/// let mut vad = Vad::new(VadConfig::default())?;
/// // 60 s of digital silence: no speech.
/// let d = vad.decide(&vec![0.0; 60 * sr as usize], sr)?;
/// assert!(!d.speech);
/// assert_eq!(d.speech_frames, 0);
/// assert_eq!(d.total_frames, 1 + 60 * 16_000 / 160);
/// # Ok::<(), ser_mfcc::MfccError>(())
/// ```
///
/// # What counts as speech
/// Not speech (tested in `tests/vad.rs`):
/// - **digital silence** (all zeros) and anything quieter than
///   [`abs_floor_dbfs`](VadConfig::abs_floor_dbfs) (-60 dBFS);
/// - **a DC level** (any constant offset; each frame's mean is removed before analysis);
/// - **steady noise**: white or pink noise at any level, a mains **hum** (50/60 Hz with
///   harmonics), a **pure tone**: anything whose frame energy does not rise well above its own
///   floor ([`above_noise_db`](VadConfig::above_noise_db)) or does not move within a run
///   ([`min_run_spread_db`](VadConfig::min_run_spread_db)), and noise-like frames
///   ([`max_flatness`](VadConfig::max_flatness));
/// - clicks and bursts shorter than [`min_run_ms`](VadConfig::min_run_ms) (100 ms).
///
/// Speech: voiced, modulated sound in the speech band whose frames total at least
/// [`min_clip_speech_ms`](VadConfig::min_clip_speech_ms) (250 ms), also in steady white
/// noise at 10 dB SNR. Every committed RAVDESS and SAVEE fixture is speech, and so is every
/// clip of the RAVDESS speech corpus (1440 of 1440, the gated test `ravdess_corpus`).
/// Music, laughter or a cough may well count as speech: this is an energy- and
/// spectrum-based detector, not a classifier.
///
/// # The algorithm
/// Frames of [`frame_ms`](VadConfig::frame_ms) (25 ms) every [`hop_ms`](VadConfig::hop_ms)
/// (10 ms) at the input's own rate, **centred** as librosa's `center=True`: frame `t` is centred
/// on sample `t * hop` (edges repeat the first/last sample), so a clip of `n > 0` samples has
/// `1 + n / hop` frames (0 frames for no samples). Per frame: remove the mean, apply a periodic
/// Hann window, take the power spectrum, and keep the band
/// [`band_low_hz`](VadConfig::band_low_hz)..=[`band_high_hz`](VadConfig::band_high_hz)
/// (100-4000 Hz). From it:
/// - `energy_db`: the band's mean square in dB relative to full scale (a full-scale sine in
///   the band is -3 dBFS; floored at -120 dBFS);
/// - `flatness`: geometric over arithmetic mean of the band's power bins (0 for a pure tone,
///   about 0.6 for white noise).
///
/// A frame is a speech candidate when **all** hold:
/// 1. `energy_db >= abs_floor_dbfs` (-60 dBFS);
/// 2. `energy_db >= loudest frame - max_below_peak_db` (40 dB);
/// 3. `energy_db >= floor + above_noise_db` (6 dB), where `floor` is the clip's
///    [`noise_percentile`](VadConfig::noise_percentile)-th percentile (10th) of `energy_db`:
///    steady signals never rise above their own floor, so they never pass;
/// 4. `flatness <= max_flatness` (0.5).
///
/// Then smoothing: gaps shorter than [`max_gap_ms`](VadConfig::max_gap_ms) (200 ms) between
/// candidate runs are filled (hangover), runs shorter than
/// [`min_run_ms`](VadConfig::min_run_ms) (100 ms) are dropped, and so are runs whose
/// `energy_db` has an interquartile range below
/// [`min_run_spread_db`](VadConfig::min_run_spread_db) (1.5 dB; speech is modulated at the
/// syllable rate, a tone or noise burst is not, and the quartiles ignore its onset and end).
/// The clip is speech when the remaining frames total at least `min_clip_speech_ms` (250 ms).
///
/// Holds the FFT plan for the last sample rate seen; reuse one `Vad` for many clips.
#[derive(Clone)]
pub struct Vad {
    config: VadConfig,
    plan: Option<Plan>,
}

impl std::fmt::Debug for Vad {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vad")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Vad {
    /// A detector with `config`.
    ///
    /// # Errors
    /// [`MfccError::InvalidConfig`] from [`VadConfig::validate`].
    pub fn new(config: VadConfig) -> Result<Self, MfccError> {
        config.validate()?;
        Ok(Self { config, plan: None })
    }

    /// The configuration.
    pub fn config(&self) -> &VadConfig {
        &self.config
    }

    /// Number of frames for `n_samples` samples at `sample_rate`: `1 + n / hop`, 0 for none.
    ///
    /// # Errors
    /// As [`VadConfig::frame_and_hop`].
    pub fn n_frames(&self, n_samples: usize, sample_rate: u32) -> Result<usize, MfccError> {
        let (_, hop) = self.config.frame_and_hop(sample_rate)?;
        Ok(if n_samples == 0 {
            0
        } else {
            1 + n_samples / hop
        })
    }

    /// Per-frame speech decision (shape `[1 + n / hop]`, frame `t` centred on sample
    /// `t * hop`), as [`decide`](Self::decide)`.mask`.
    ///
    /// # Errors
    /// As [`decide`](Self::decide).
    pub fn frames(&mut self, samples: &[f32], sample_rate: u32) -> Result<Vec<bool>, MfccError> {
        Ok(self.decide(samples, sample_rate)?.mask)
    }

    /// Whether `samples` (mono, nominally within ±1, at `sample_rate` Hz) hold speech, with the
    /// per-frame mask. An empty clip has 0 frames and no speech.
    ///
    /// # Errors
    /// [`MfccError::NonFinite`] / [`MfccError::TooLarge`] for a bad sample,
    /// [`MfccError::InvalidConfig`] for a sample rate the frame length does not fit (0 Hz, or
    /// below 160 Hz with the default 25 ms frames).
    pub fn decide(&mut self, samples: &[f32], sample_rate: u32) -> Result<VadDecision, MfccError> {
        check_finite(samples)?;
        let (energy_db, flatness, hop) = self.analyse(samples, sample_rate)?;
        Ok(self.decide_frames(energy_db, &flatness, hop, samples.len(), sample_rate))
    }

    /// A detector that takes its clip block by block ([`VadStream::push`]) and decides at the
    /// end exactly as [`decide`](Self::decide) over the whole clip (same frames, same
    /// clip-wide noise floor and peak; tested bit for bit).
    ///
    /// # Errors
    /// [`MfccError::InvalidConfig`] for a sample rate the frame length does not fit (as
    /// [`decide`](Self::decide)).
    pub fn stream(&self, sample_rate: u32) -> Result<VadStream, MfccError> {
        let mut vad = Vad::new(self.config.clone())?;
        let plan = vad.plan_for(sample_rate)?;
        let keep = plan.frame + plan.hop;
        Ok(VadStream {
            vad,
            sample_rate,
            buf: Vec::with_capacity(2 * keep),
            buf_start: 0,
            pushed: 0,
            energy_db: Vec::new(),
            flatness: Vec::new(),
        })
    }

    /// The decision from the per-frame band energies (dBFS) and flatness of a clip of
    /// `n_samples` samples, frames every `hop` samples: thresholds, hangover and the clip rule
    /// (see [`Vad`]).
    fn decide_frames(
        &self,
        energy_db: Vec<f32>,
        flatness: &[f32],
        hop: usize,
        n_samples: usize,
        sample_rate: u32,
    ) -> VadDecision {
        let c = &self.config;
        let sr = f64::from(sample_rate);
        let hop_seconds = hop as f64 / sr;
        let hop_ms = hop_seconds * 1000.0;
        let n = energy_db.len();

        let peak = energy_db.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let floor = percentile(&energy_db, c.noise_percentile);
        let threshold = (c.abs_floor_dbfs)
            .max(f64::from(peak) - c.max_below_peak_db)
            .max(f64::from(floor) + c.above_noise_db);
        let mut mask: Vec<bool> = energy_db
            .iter()
            .zip(flatness)
            .map(|(&e, &f)| f64::from(e) >= threshold && f64::from(f) <= c.max_flatness)
            .collect();

        // Hangover: fill short gaps between runs, then drop short and steady runs.
        let spans = speech_spans(&mask);
        for pair in spans.windows(2) {
            let gap = pair[0].end..pair[1].start;
            if (gap.len() as f64) * hop_ms < c.max_gap_ms {
                mask[gap].iter_mut().for_each(|m| *m = true);
            }
        }
        for span in speech_spans(&mask) {
            let short = (span.len() as f64) * hop_ms < c.min_run_ms;
            if short || spread(&energy_db[span.clone()]) < c.min_run_spread_db {
                mask[span].iter_mut().for_each(|m| *m = false);
            }
        }

        let speech_frames = mask.iter().filter(|&&m| m).count();
        let speech_seconds = speech_frames as f64 * hop_seconds;
        VadDecision {
            speech: n > 0 && speech_seconds * 1000.0 >= c.min_clip_speech_ms,
            speech_frames,
            total_frames: n,
            speech_seconds,
            total_seconds: n_samples as f64 / sr,
            hop_seconds,
            mask,
            energy_db,
        }
    }

    /// Per-frame band energy (dBFS) and spectral flatness, and the hop in samples.
    fn analyse(
        &mut self,
        samples: &[f32],
        sample_rate: u32,
    ) -> Result<(Vec<f32>, Vec<f32>, usize), MfccError> {
        let plan = self.plan_for(sample_rate)?;
        let n = samples.len();
        let frames = if n == 0 { 0 } else { 1 + n / plan.hop };
        let mut energy = Vec::with_capacity(frames);
        let mut flatness = Vec::with_capacity(frames);
        for t in 0..frames {
            let (e, f) = plan.frame_at(t, n, |i| samples[i])?;
            energy.push(e);
            flatness.push(f);
        }
        Ok((energy, flatness, plan.hop))
    }

    /// The plan for `sample_rate`, made on first use of a new rate.
    fn plan_for(&mut self, sample_rate: u32) -> Result<&mut Plan, MfccError> {
        let plan = match self.plan.take() {
            Some(p) if p.sample_rate == sample_rate => p,
            _ => {
                let (frame, hop) = self.config.frame_and_hop(sample_rate)?;
                let fft = RealFftPlanner::<f32>::new().plan_fft_forward(frame);
                let window = hann_window(frame, frame);
                let window_power = window.iter().map(|&w| f64::from(w) * f64::from(w)).sum();
                let sr = f64::from(sample_rate);
                let bin_hz = sr / frame as f64;
                let n_bins = frame / 2 + 1;
                // Bin 0 (DC) is never in the band; the band holds at least one bin.
                let lo = ((self.config.band_low_hz / bin_hz).ceil() as usize).clamp(1, n_bins - 1);
                let hi = ((self.config.band_high_hz / bin_hz).floor() as usize + 1)
                    .clamp(lo + 1, n_bins);
                Plan {
                    sample_rate,
                    frame,
                    hop,
                    window,
                    window_power,
                    bins: lo..hi,
                    input: fft.make_input_vec(),
                    spectrum: fft.make_output_vec(),
                    scratch: fft.make_scratch_vec(),
                    fft,
                }
            }
        };
        Ok(self.plan.insert(plan))
    }
}

/// The `p`-th percentile (0..=100, nearest rank below) of `values`; -inf for none.
pub(crate) fn percentile(values: &[f32], p: f64) -> f32 {
    nearest_rank(&sorted(values), p).unwrap_or(f32::NEG_INFINITY)
}

/// `values` sorted ascending (a copy).
pub(crate) fn sorted(values: &[f32]) -> Vec<f32> {
    let mut v = values.to_vec();
    v.sort_by(f32::total_cmp);
    v
}

/// The `p`-th percentile (0..=100, nearest rank below) of the ascending `sorted`; `None` for
/// none. For several percentiles of the same values, sort once and call this for each.
pub(crate) fn nearest_rank(sorted: &[f32], p: f64) -> Option<f32> {
    let last = sorted.len().checked_sub(1)?;
    let idx = ((p / 100.0) * last as f64).floor() as usize;
    sorted.get(idx.min(last)).copied()
}

/// Interquartile range (75th minus 25th percentile), dB.
fn spread(values: &[f32]) -> f64 {
    f64::from(percentile(values, 75.0) - percentile(values, 25.0))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn spans_and_masks() {
        let m = [false, true, true, false, true];
        assert_eq!(speech_spans(&m), vec![1..3, 4..5]);
        assert_eq!(speech_spans(&[]), Vec::<Range<usize>>::new());
        assert_eq!(
            speech_mask(&m, 0.01, 7, 0.01),
            vec![false, true, true, false, true, true, true]
        );
        assert_eq!(speech_mask(&m, 0.01, 3, 0.02), vec![false, true, true]);
        assert_eq!(speech_mask(&[], 0.01, 2, 0.01), vec![false, false]);
        assert_eq!(speech_mask(&m, 0.0, 2, 0.01), vec![false, false]);
    }

    #[test]
    fn percentile_and_spread() {
        assert_eq!(percentile(&[3.0, 1.0, 2.0], 0.0), 1.0);
        assert_eq!(percentile(&[3.0, 1.0, 2.0], 100.0), 3.0);
        assert_eq!(spread(&[1.0, 1.0]), 0.0);
        assert_eq!(spread(&[0.0, 1.0, 2.0, 3.0, 4.0]), 2.0);
    }

    #[test]
    fn stream_equals_whole_clip_decision() {
        let sr = 16_000u32;
        // Speech-like bursts (modulated tone) between silences, with a DC offset.
        let x: Vec<f32> = (0..5 * sr as usize + 137)
            .map(|i| {
                let t = i as f32 / sr as f32;
                let on = ((t * 1.3).sin() > 0.0) as u8 as f32;
                0.01 + on * 0.3 * (t * 900.0).sin() * (1.0 + (t * 25.0).sin())
            })
            .collect();
        let mut vad = Vad::new(VadConfig::default()).unwrap();
        for n in [0, 1, 7, 200, 399, 400, 401, 16_000, x.len()] {
            let whole = vad.decide(&x[..n], sr).unwrap();
            for block in [1, 13, 160, 161, 4096, 100_000] {
                if block == 1 && n > 20_000 {
                    continue;
                }
                let mut s = vad.stream(sr).unwrap();
                for b in x[..n].chunks(block) {
                    s.push(b).unwrap();
                    assert!(s.buffered() <= 2 * (400 + 160), "{}", s.buffered());
                }
                assert_eq!(s.samples(), n);
                assert_eq!(s.finish().unwrap(), whole, "n {n}, blocks of {block}");
            }
        }
        assert!(vad.decide(&x, sr).unwrap().speech);
        let mut s = vad.stream(sr).unwrap();
        assert!(s.push(&[0.0, f32::NAN]).is_err());
    }

    #[test]
    fn full_scale_sine_is_minus_3_dbfs() {
        let sr = 16_000u32;
        let x: Vec<f32> = (0..sr)
            .map(|i| (2.0 * std::f32::consts::PI * 1000.0 * i as f32 / sr as f32).sin())
            .collect();
        let mut vad = Vad::new(VadConfig::default()).unwrap();
        let (e, f, _) = vad.analyse(&x, sr).unwrap();
        let mid = e[e.len() / 2];
        assert!((mid + 3.0).abs() < 0.1, "{mid}");
        assert!(f[f.len() / 2] < 0.05);
    }
}
