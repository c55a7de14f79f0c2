//! Timelines in bounded memory: recordings of any length, from a file
//! ([`Recognizer::timeline_file`], two passes) or pushed as they arrive, e.g. from a microphone
//! ([`Recognizer::timeline_stream`], [`TimelineStream`]).
//!
//! The audio goes through in blocks: decoded packet by packet ([`ser_audio::AudioStream`]),
//! resampled chunk by chunk ([`ser_audio::Resampler::push`]) and cut into the windows of
//! [`window_spans`](crate::window_spans) as soon as each is complete (a window cutter, which
//! holds at most two windows of samples). What grows with the recording's length is small:
//! the voice-activity detector's two numbers per 10 ms frame while it reads a file (2.9 MB per
//! hour, its per-frame decision 0.36 MB per hour afterwards), the features of each speech
//! window while adapting to the speaker (1.2 KB per window with the default model: 4.2 MB per
//! hour) and the results (one [`TimelineWindow`] per hop).

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use ser_audio::{AudioStream, Resampler};
use ser_mfcc::VadDecision;

use crate::recognizer::{Prediction, Recognizer, Timings};
use crate::timeline::{Timeline, TimelineWindow};
use crate::{Error, Probabilities};

/// Cuts a signal that arrives in blocks into the windows of
/// [`window_spans`](crate::window_spans) (same spans, tested), each handed over as soon as its
/// last sample has arrived; the end-aligned tail window (or the one short window of a signal no
/// longer than a window) at [`finish`](Self::finish). Holds at most `2 * window` samples.
#[derive(Debug, Clone)]
pub(crate) struct WindowCutter {
    window: usize,
    hop: usize,
    /// Samples from `buf_start` on that a window may still need.
    buf: Vec<f32>,
    buf_start: usize,
    /// Samples pushed so far.
    pushed: usize,
    /// Index of the next regular window (`next * hop .. next * hop + window`).
    next: usize,
    /// End of the last window handed over.
    last_end: Option<usize>,
}

impl WindowCutter {
    /// Windows of `window` samples every `hop` samples (0 is taken as 1).
    pub(crate) fn new(window: usize, hop: usize) -> Self {
        let window = window.max(1);
        Self {
            window,
            hop: hop.max(1),
            buf: Vec::with_capacity(2 * window),
            buf_start: 0,
            pushed: 0,
            next: 0,
            last_end: None,
        }
    }

    /// Samples pushed so far.
    pub(crate) fn samples(&self) -> usize {
        self.pushed
    }

    /// Samples of memory held (the buffer's capacity): at most `2 * window`.
    #[cfg(test)]
    pub(crate) fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// Takes the next samples; `emit(span, samples)` for each window completed by them.
    pub(crate) fn push(
        &mut self,
        mut input: &[f32],
        mut emit: impl FnMut(Range<usize>, &[f32]) -> Result<(), Error>,
    ) -> Result<(), Error> {
        while !input.is_empty() {
            let start = self.next * self.hop;
            let end = start + self.window;
            // At most up to the next window's end, and at most a window at a time.
            let take = end
                .saturating_sub(self.pushed)
                .clamp(1, self.window)
                .min(input.len());
            self.buf.extend_from_slice(&input[..take]);
            self.pushed += take;
            input = &input[take..];
            if self.pushed == end {
                emit(start..end, self.slice(start..end))?;
                self.next += 1;
                self.last_end = Some(end);
            }
            // Keep what the next window, or a tail window ending here, needs.
            let keep_from = (self.next * self.hop).min(self.pushed.saturating_sub(self.window));
            let drop = keep_from.saturating_sub(self.buf_start).min(self.buf.len());
            self.buf.drain(..drop);
            self.buf_start += drop;
        }
        Ok(())
    }

    /// Ends the signal: `emit` for the window(s) still due (see [`window_spans`]:
    /// the one window `0..n` of a signal of `n <= window` samples, or the full-length window
    /// aligned to the end when the last regular one stops short of it).
    ///
    /// [`window_spans`]: crate::window_spans
    pub(crate) fn finish(
        &mut self,
        mut emit: impl FnMut(Range<usize>, &[f32]) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let n = self.pushed;
        let span = match self.last_end {
            None => 0..n,
            Some(end) if end < n => n - self.window..n,
            Some(_) => return Ok(()),
        };
        self.last_end = Some(n);
        emit(span.clone(), self.slice(span))
    }

    /// The pushed samples `span` (within the buffer).
    fn slice(&self, span: Range<usize>) -> &[f32] {
        let lo = span
            .start
            .saturating_sub(self.buf_start)
            .min(self.buf.len());
        let hi = span.end.saturating_sub(self.buf_start).min(self.buf.len());
        &self.buf[lo..hi]
    }
}

/// Per-window predictions over audio pushed as it arrives (a microphone, a network stream):
/// made by [`Recognizer::timeline_stream`]. Each [`push`](Self::push) returns the windows its
/// samples completed; [`finish`](Self::finish) the last one(s). The windows are those of
/// [`Recognizer::predict_timeline`] ([`window_spans`](crate::window_spans): 3 s every 1 s by
/// default, the tail aligned to the end) and memory does not grow with the stream's length
/// (two windows of samples and one resampler chunk).
///
/// Speech or not: without the whole recording, each window is judged by the voice-activity
/// detector over that window alone (its noise floor and loudest frame are the window's), as
/// [`Recognizer::predict_clip`] judges a clip; [`Recognizer::predict_timeline`] and
/// [`Recognizer::timeline_file`] use the whole recording's. The two agree where speech is
/// clearly louder than its surroundings and may differ in windows of quiet speech next to
/// loud speech. The classification of a window with speech is the same. A speaker adaptation
/// set on the recognizer ([`Recognizer::adapt`]) applies to every window.
///
/// ```
/// let mut recognizer = ser::Recognizer::try_default()?;
/// let rate = 16_000; // the microphone's rate; resampled to the model's
/// let mut stream = recognizer.timeline_stream(rate)?;
/// let mut windows = Vec::new();
/// for _ in 0..5 {
///     let block = vec![0.0f32; 1600]; // 100 ms of audio as it arrives (here: silence)
///     for w in stream.push(&block)? {
///         println!("{:.1}-{:.1} s: {:?}", w.start, w.end, w.label);
///         windows.push(w);
///     }
/// }
/// let end = stream.finish()?;
/// windows.extend(end.windows);
/// assert_eq!(windows.len(), 1); // 0.5 s: one window, no speech
/// assert!(!windows[0].speech && windows[0].label.is_none());
/// assert!((end.duration - 0.5).abs() < 1e-3);
/// # Ok::<(), ser::Error>(())
/// ```
#[derive(Debug)]
pub struct TimelineStream<'r> {
    recognizer: &'r mut Recognizer,
    /// Used in errors.
    name: String,
    /// From the input's rate to the model's, when they differ.
    resampler: Option<Resampler>,
    /// Resampled samples of the current push.
    resampled: Vec<f32>,
    cutter: WindowCutter,
    /// The whole recording's speech decision (files), or `None`: each window's own.
    recording: Option<VadDecision>,
    timings: Timings,
}

/// What [`TimelineStream::finish`] returns: the last windows and totals over the stream.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamEnd {
    /// The windows the end of the stream completed (the end-aligned tail window, or the one
    /// window of a stream no longer than a window; none when the last regular window ends
    /// exactly at the end).
    pub windows: Vec<TimelineWindow>,
    /// Length of the stream in seconds (at the model's rate).
    pub duration: f64,
    /// Time spent, summed over the stream.
    pub timings: Timings,
}

impl<'r> TimelineStream<'r> {
    fn new(
        recognizer: &'r mut Recognizer,
        name: &str,
        sample_rate: u32,
        recording: Option<VadDecision>,
    ) -> Result<Self, Error> {
        if sample_rate == 0 {
            return Err(Error::SampleRate {
                input: name.to_string(),
                actual: sample_rate,
            });
        }
        let target = recognizer.sample_rate();
        let (window, hop) = recognizer.timeline_config().in_samples(target)?;
        let resampler = (sample_rate != target)
            .then(|| Resampler::new(sample_rate, target))
            .transpose()
            .map_err(|source| Error::Audio {
                input: name.to_string(),
                source,
            })?;
        Ok(Self {
            recognizer,
            name: name.to_string(),
            resampler,
            resampled: Vec::new(),
            cutter: WindowCutter::new(window, hop),
            recording,
            timings: Timings::default(),
        })
    }

    /// Takes the next samples (mono, at the rate given to [`Recognizer::timeline_stream`]) and
    /// returns the windows they completed, in time order (often none: a window is complete
    /// once its last sample has arrived, one every hop).
    ///
    /// # Errors
    /// [`Error::Audio`] for a sample resampling refuses (not finite, or beyond
    /// [`ser_audio::MAX_RESAMPLE_MAGNITUDE`]), [`Error::Vad`] for a sample the speech
    /// detector refuses, and the feature and model errors of the windows.
    pub fn push(&mut self, samples: &[f32]) -> Result<Vec<TimelineWindow>, Error> {
        let Some(resampler) = &mut self.resampler else {
            return self.cut(Some(samples));
        };
        let start = Instant::now();
        let mut resampled = std::mem::take(&mut self.resampled);
        resampled.clear();
        let pushed = resampler
            .push(samples, &mut resampled)
            .map_err(|source| Error::Audio {
                input: self.name.clone(),
                source,
            });
        self.timings.decode += start.elapsed();
        let windows = pushed.and_then(|()| self.cut(Some(&resampled)));
        self.resampled = resampled;
        windows
    }

    /// The windows `input` (at the model's rate) completes, or with `None` the stream's last.
    fn cut(&mut self, input: Option<&[f32]>) -> Result<Vec<TimelineWindow>, Error> {
        let mut windows = Vec::new();
        let Self {
            recognizer,
            name,
            cutter,
            recording,
            timings,
            ..
        } = self;
        let mut emit = |span: Range<usize>, samples: &[f32]| {
            let w = recognizer.timeline_window(name, span, samples, recording.as_ref(), timings)?;
            windows.push(w);
            Ok(())
        };
        match input {
            Some(samples) => cutter.push(samples, &mut emit)?,
            None => cutter.finish(&mut emit)?,
        }
        Ok(windows)
    }

    /// Ends the stream: the last window(s) and the totals.
    ///
    /// # Errors
    /// [`Error::Empty`] when no samples were pushed; otherwise as [`push`](Self::push).
    pub fn finish(mut self) -> Result<StreamEnd, Error> {
        let mut windows = Vec::new();
        if let Some(mut resampler) = self.resampler.take() {
            // The resampler's held chunk and delay line, then cut as they are.
            let start = Instant::now();
            let mut tail = Vec::new();
            resampler.finish(&mut tail).map_err(|source| Error::Audio {
                input: self.name.clone(),
                source,
            })?;
            self.timings.decode += start.elapsed();
            windows = self.cut(Some(&tail))?;
        }
        if self.cutter.samples() == 0 {
            return Err(Error::Empty { input: self.name });
        }
        windows.extend(self.cut(None)?);
        Ok(StreamEnd {
            windows,
            duration: self.cutter.samples() as f64
                / f64::from(self.recognizer.sample_rate().max(1)),
            timings: self.timings,
        })
    }

    /// Samples of memory the window cutter holds (for the bounded-memory test).
    #[cfg(test)]
    pub(crate) fn buffered(&self) -> usize {
        self.cutter.capacity() + self.resampled.capacity()
    }
}

/// [`Recognizer::timeline_file`]'s answer: the timeline and what the first pass found.
#[derive(Debug, Clone, PartialEq)]
pub struct FileTimeline {
    /// The per-window predictions, equal (within float rounding) to
    /// [`Recognizer::timeline_clip`] of the decoded file.
    pub timeline: Timeline,
    /// Whether the recognizer adapted to the recording's own speaker (then the adaptation is
    /// still set: call [`Recognizer::clear_adaptation`] when done, as after
    /// [`Recognizer::adapt_to_recording_if_long`]).
    pub adapted: bool,
    /// The voice-activity detector over the whole recording: whether it holds speech.
    pub speech: bool,
    /// Seconds of the recording the detector judged speech.
    pub speech_seconds: f64,
}

impl FileTimeline {
    /// A summary of the recording that needs no more than its timeline: speech as the
    /// detector found over the whole recording, probabilities the mean of the speech windows'
    /// (`None`, and no label, when no window holds speech), the timeline's duration and times.
    /// Not [`Recognizer::predict_clip`]'s whole-clip prediction, which needs the whole
    /// recording in memory.
    pub fn summary(&self) -> Prediction {
        let speech: Vec<&Probabilities> = self
            .timeline
            .windows
            .iter()
            .filter_map(|w| w.probabilities.as_ref())
            .collect();
        let probabilities = speech.first().and_then(|first| {
            let mut sum = vec![0.0f64; first.values().len()];
            for p in &speech {
                for (s, &v) in sum.iter_mut().zip(p.values()) {
                    *s += f64::from(v);
                }
            }
            let n = speech.len() as f64;
            let mean = sum.into_iter().map(|s| (s / n) as f32).collect();
            Probabilities::new(Arc::clone(&self.timeline.labels), mean)
        });
        Prediction {
            speech: self.speech,
            speech_seconds: self.speech_seconds,
            label: probabilities.as_ref().map(|p| p.top().0.clone()),
            probabilities,
            labels: Arc::clone(&self.timeline.labels),
            duration: self.timeline.duration,
            timings: self.timeline.timings,
        }
    }
}

impl Recognizer {
    /// Per-window predictions over audio pushed block by block as it arrives (mono, at
    /// `sample_rate` Hz; resampled to the model's rate in chunks): see [`TimelineStream`].
    ///
    /// # Errors
    /// [`Error::SampleRate`] for 0 Hz, [`Error::TimelineConfig`] for an invalid window
    /// placement.
    pub fn timeline_stream(&mut self, sample_rate: u32) -> Result<TimelineStream<'_>, Error> {
        TimelineStream::new(self, "<stream>", sample_rate, None)
    }

    /// The timeline of an audio file in memory that does not grow with the recording's length
    /// (see [`crate::stream`]'s numbers), equal within float rounding to loading the file
    /// ([`Self::load_file`]) and calling [`Self::timeline_clip`] (tested), in two passes over
    /// the file:
    ///
    /// 1. the voice-activity detector over the whole recording ([`ser_mfcc::VadStream`]: its
    ///    noise floor and loudest frame are the recording's) and, with `adapt_to_itself`, the
    ///    features of every window for the speaker's statistics;
    /// 2. the windows, classified as they are completed ([`TimelineStream`]).
    ///
    /// With `adapt_to_itself` the recognizer adapts to the recording's own speaker when
    /// [`Self::adapt_to_recording_if_long`] would (the model has an adapted variant, the
    /// recording lasts at least [`crate::SELF_ADAPT_MIN_SECONDS`] and at least two windows
    /// hold speech): the same statistics as [`Self::adapt_to_recording`].
    ///
    /// ```no_run
    /// let mut recognizer = ser::Recognizer::try_default()?;
    /// let streamed = recognizer.timeline_file("meeting.flac", true)?; // any length
    /// for w in &streamed.timeline.windows {
    ///     println!("{:.0}-{:.0} s: {:?}", w.start, w.end, w.label);
    /// }
    /// if streamed.adapted {
    ///     recognizer.clear_adaptation();
    /// }
    /// # Ok::<(), ser::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`Self::load_file`] and [`Self::timeline_clip`].
    pub fn timeline_file(
        &mut self,
        path: impl AsRef<Path>,
        adapt_to_itself: bool,
    ) -> Result<FileTimeline, Error> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let (window, hop) = self.timeline_config().in_samples(self.sample_rate())?;
        let adapt = adapt_to_itself && self.can_adapt();

        // Pass 1: the recording's speech decision, and the adaptation rows.
        let mut timings = Timings::default();
        let mut audio = self.open_stream(path, &name, &mut timings)?;
        let mut vad = self
            .speech_detector()
            .stream(self.sample_rate())
            .map_err(|source| Error::Vad {
                input: name.clone(),
                source,
            })?;
        let mut cutter = WindowCutter::new(window, hop);
        let mut rows = Vec::new();
        let mut block = Vec::new();
        while self.read_block(&mut audio, &mut block, &name, &mut timings)? {
            let start = Instant::now();
            vad.push(&block).map_err(|source| Error::Vad {
                input: name.clone(),
                source,
            })?;
            timings.vad += start.elapsed();
            if adapt {
                let start = Instant::now();
                cutter.push(&block, |_, w| {
                    rows.extend(self.adaptation_row(&name, w)?);
                    Ok(())
                })?;
                timings.features += start.elapsed();
            }
        }
        if adapt {
            cutter.finish(|_, w| {
                rows.extend(self.adaptation_row(&name, w)?);
                Ok(())
            })?;
        }
        let start = Instant::now();
        let mut decision = vad.finish().map_err(|source| Error::Vad {
            input: name.clone(),
            source,
        })?;
        timings.vad += start.elapsed();
        // Only the mask is read from here on.
        decision.energy_db = Vec::new();
        let duration = audio.samples_read() as f64 / f64::from(self.sample_rate().max(1));
        let adapted =
            adapt && self.may_self_adapt(duration) && self.fit_adaptation(&rows, "windows").is_ok();
        drop(rows);
        let (speech, speech_seconds) = (decision.speech, decision.speech_seconds);

        // Pass 2: the windows.
        let mut audio = self.open_stream(path, &name, &mut timings)?;
        let mut decode = timings.decode;
        let mut stream = TimelineStream::new(self, &name, audio.sample_rate(), Some(decision))?;
        let mut windows = Vec::new();
        loop {
            let start = Instant::now();
            let more = audio.read(&mut block).map_err(|source| Error::Audio {
                input: name.clone(),
                source,
            })?;
            decode += start.elapsed();
            if !more {
                break;
            }
            windows.extend(stream.push(&block)?);
        }
        let end = stream.finish()?;
        windows.extend(end.windows);
        let totals = Timings {
            decode: decode + end.timings.decode,
            vad: timings.vad + end.timings.vad,
            features: timings.features + end.timings.features,
            inference: timings.inference + end.timings.inference,
        };
        Ok(FileTimeline {
            timeline: self.timeline_of(windows, duration, totals),
            adapted,
            speech,
            speech_seconds,
        })
    }

    /// Opens `path` for streaming at the model's rate with the load options.
    fn open_stream(
        &self,
        path: &Path,
        name: &str,
        timings: &mut Timings,
    ) -> Result<AudioStream, Error> {
        let start = Instant::now();
        let audio = AudioStream::open(path, self.load_options()).map_err(|source| Error::Audio {
            input: name.to_string(),
            source,
        });
        timings.decode += start.elapsed();
        audio
    }

    /// The next block of `audio` into `block`; `false` at the end.
    fn read_block(
        &self,
        audio: &mut AudioStream,
        block: &mut Vec<f32>,
        name: &str,
        timings: &mut Timings,
    ) -> Result<bool, Error> {
        let start = Instant::now();
        let more = audio.read(block).map_err(|source| Error::Audio {
            input: name.to_string(),
            source,
        });
        timings.decode += start.elapsed();
        more
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::window_spans;

    fn cut(n: usize, window: usize, hop: usize, block: usize) -> Vec<Range<usize>> {
        let x: Vec<f32> = (0..n).map(|i| i as f32).collect();
        let mut c = WindowCutter::new(window, hop);
        let mut spans = Vec::new();
        let mut check = |span: Range<usize>, w: &[f32]| {
            // The samples handed over are the span's.
            assert_eq!(w, &x[span.clone()]);
            spans.push(span);
            Ok(())
        };
        for b in x.chunks(block.max(1)) {
            c.push(b, &mut check).unwrap();
            assert!(
                c.capacity() <= 2 * window,
                "{} > 2 * {window}",
                c.capacity()
            );
        }
        c.finish(&mut check).unwrap();
        spans
    }

    /// Memory must not grow with the stream's length: five minutes pushed in blocks of 100 ms
    /// (a counting source: no signal is ever held) leave the buffers as they were after the
    /// first seconds, within two windows of samples.
    #[test]
    fn pushed_stream_buffers_stay_bounded() {
        let mut r = Recognizer::try_default().unwrap();
        // Few windows (the test is about the buffers, not the classifier).
        r.set_timeline_config(crate::TimelineConfig {
            window: 3.0,
            hop: 20.0,
        })
        .unwrap();
        let rate = 22_050u32; // resampled to the model's rate in chunks
        let (window, _) = r.timeline_config().in_samples(r.sample_rate()).unwrap();
        let mut stream = r.timeline_stream(rate).unwrap();
        let block_len = rate as usize / 10;
        let mut next = 0u64;
        let mut block = vec![0.0f32; block_len];
        let mut windows = 0;
        let mut early = 0;
        for b in 0..5 * 60 * 10 {
            for v in &mut block {
                // Quiet deterministic noise, counted out sample by sample.
                next = next
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                *v = ((next >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 1e-3;
            }
            windows += stream.push(&block).unwrap().len();
            if b == 100 {
                early = stream.buffered();
            }
            assert!(
                stream.buffered() <= 2 * window + 2 * block_len,
                "{} samples held after {b} blocks",
                stream.buffered()
            );
        }
        assert_eq!(
            stream.buffered(),
            early,
            "the buffers grew after the first 10 s"
        );
        let end = stream.finish().unwrap();
        assert!((end.duration - 300.0).abs() < 1e-3, "{}", end.duration);
        assert_eq!(windows + end.windows.len(), 16); // 0, 20, ..., 280 s and the tail
    }

    #[test]
    fn cutter_gives_the_spans_of_window_spans() {
        for n in [0, 1, 5, 29, 30, 31, 50, 55, 97, 200] {
            for (w, h) in [(30, 10), (30, 7), (30, 30), (13, 5), (10, 12), (1, 1)] {
                for block in [1, 3, 7, 10, 30, 31, 64, 1000] {
                    assert_eq!(
                        cut(n, w, h, block),
                        window_spans(n, w, h),
                        "n {n}, window {w}, hop {h}, blocks of {block}"
                    );
                }
            }
        }
    }
}
