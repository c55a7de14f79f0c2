//! Sliding-window analysis of long recordings: window placement and the per-window result types.

use std::ops::Range;
use std::sync::Arc;

use ser_labels::{Label, LabelSet};
use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

use crate::{Error, Probabilities, Timings};

/// Where the windows of [`crate::Recognizer::predict_timeline`] go.
///
/// Default: 3 s windows every 1 s. Both values are in seconds and must be finite and > 0; a hop
/// larger than the window leaves gaps, which is allowed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimelineConfig {
    /// Window length in seconds (default 3.0, about the length of a RAVDESS sentence).
    pub window: f64,
    /// Distance between window starts in seconds (default 1.0).
    pub hop: f64,
}

impl Default for TimelineConfig {
    fn default() -> Self {
        Self {
            window: 3.0,
            hop: 1.0,
        }
    }
}

impl TimelineConfig {
    /// Checks that both lengths are finite and > 0.
    pub fn validate(&self) -> Result<(), Error> {
        let ok = |v: f64| v.is_finite() && v > 0.0;
        if ok(self.window) && ok(self.hop) {
            Ok(())
        } else {
            Err(Error::TimelineConfig {
                window: self.window,
                hop: self.hop,
            })
        }
    }

    /// The window and hop in samples at `sample_rate` (each at least 1 sample).
    pub fn in_samples(&self, sample_rate: u32) -> Result<(usize, usize), Error> {
        self.validate()?;
        let to_samples = |s: f64| ((s * f64::from(sample_rate)).round() as usize).max(1);
        Ok((to_samples(self.window), to_samples(self.hop)))
    }
}

/// The sample ranges of the windows over a signal of `n` samples, `window` and `hop` in samples.
///
/// - `n <= window` (a clip no longer than one window, including an empty one): one window `0..n`.
/// - Otherwise windows start at `0, hop, 2 hop, ...` while they fit entirely; when the last of
///   them stops short of the end, one more full-length window is aligned to the end (`n - window
///   .. n`), so the tail is analysed with as much context as every other window and no window is
///   shorter than `window`.
///
/// `window` and `hop` of 0 are treated as 1.
pub fn window_spans(n: usize, window: usize, hop: usize) -> Vec<Range<usize>> {
    let window = window.max(1);
    let hop = hop.max(1);
    if n <= window {
        #[allow(clippy::single_range_in_vec_init)] // one window, deliberately
        return vec![0..n];
    }
    let mut spans: Vec<Range<usize>> = (0..=(n - window) / hop)
        .map(|i| i * hop..i * hop + window)
        .collect();
    if spans.last().is_some_and(|last| last.end < n) {
        spans.push(n - window..n);
    }
    spans
}

/// The result for one window of a [`Timeline`].
///
/// A window without speech (see [`crate::Recognizer::timeline_clip`]) is not classified:
/// `label` and `probabilities` are `None`.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineWindow {
    /// Start of the window in seconds from the start of the clip.
    pub start: f64,
    /// End of the window in seconds (exclusive).
    pub end: f64,
    /// Whether the window holds speech.
    pub speech: bool,
    /// Seconds of the window the voice-activity detector judged speech.
    pub speech_seconds: f64,
    /// The most probable of the model's labels in this window; `None` without speech.
    pub label: Option<Label>,
    /// The probability of each of the model's labels, in its label order, summing to 1;
    /// `None` without speech.
    pub probabilities: Option<Probabilities>,
}

impl TimelineWindow {
    /// The probability of the window's label; `None` without speech.
    pub fn confidence(&self) -> Option<f32> {
        let label = self.label.as_ref()?;
        self.probabilities.as_ref()?.get(label)
    }
}

/// Per-window predictions over a recording (see [`crate::Recognizer::predict_timeline`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    /// The model's labels, in its output order (every window's probabilities name these).
    pub labels: Arc<LabelSet>,
    /// The window placement used.
    pub config: TimelineConfig,
    /// Length of the analysed audio in seconds.
    pub duration: f64,
    /// The windows in time order (at least one).
    pub windows: Vec<TimelineWindow>,
    /// Time spent, summed over all windows.
    pub timings: Timings,
}

impl Serialize for TimelineWindow {
    /// `{"start": s, "end": s, "speech": true, "speech_s": s, "emotion": "calm",
    /// "probabilities": {"neutral": p, ... every label}}` (`emotion` is the window's label name;
    /// probabilities in the model's label order). Without speech `"speech": false` and
    /// `emotion` and `probabilities` are `null`.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("TimelineWindow", 6)?;
        s.serialize_field("start", &self.start)?;
        s.serialize_field("end", &self.end)?;
        s.serialize_field("speech", &self.speech)?;
        s.serialize_field("speech_s", &self.speech_seconds)?;
        s.serialize_field("emotion", &self.label)?;
        s.serialize_field("probabilities", &self.probabilities)?;
        s.end()
    }
}

impl Serialize for Timeline {
    /// `{"labels": [...], "window_s", "hop_s", "duration_s", "windows": [...], "timings_ms":
    /// {...}}` (`labels` in the model's order).
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Timeline", 6)?;
        s.serialize_field("labels", &*self.labels)?;
        s.serialize_field("window_s", &self.config.window)?;
        s.serialize_field("hop_s", &self.config.hop)?;
        s.serialize_field("duration_s", &self.duration)?;
        s.serialize_field("windows", &self.windows)?;
        s.serialize_field("timings_ms", &self.timings)?;
        s.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_clip_gives_one_window() {
        assert_eq!(window_spans(10, 30, 10), vec![0..10]);
        assert_eq!(window_spans(30, 30, 10), vec![0..30]);
        assert_eq!(window_spans(0, 30, 10), vec![0..0]);
    }

    #[test]
    fn exact_fit_adds_no_tail_window() {
        assert_eq!(window_spans(50, 30, 10), vec![0..30, 10..40, 20..50]);
    }

    #[test]
    fn partial_tail_gets_an_end_aligned_window() {
        assert_eq!(
            window_spans(55, 30, 10),
            vec![0..30, 10..40, 20..50, 25..55]
        );
        // hop larger than the window: gaps, plus the tail.
        assert_eq!(window_spans(25, 10, 12), vec![0..10, 12..22, 15..25]);
    }

    #[test]
    fn windows_cover_the_clip_and_have_full_length() {
        for n in 31..200 {
            for (w, h) in [(30, 10), (30, 7), (30, 30), (13, 5)] {
                let spans = window_spans(n, w, h);
                assert_eq!(spans[0].start, 0);
                assert_eq!(spans.last().unwrap().end, n);
                assert!(spans.iter().all(|s| s.len() == w && s.end <= n));
                assert!(spans.windows(2).all(|p| p[0].start < p[1].start));
            }
        }
    }

    #[test]
    fn config_in_samples_and_validation() {
        let cfg = TimelineConfig::default();
        assert_eq!(cfg.in_samples(22050).unwrap(), (66150, 22050));
        for (window, hop) in [
            (0.0, 1.0),
            (3.0, -1.0),
            (f64::NAN, 1.0),
            (3.0, f64::INFINITY),
        ] {
            let err = TimelineConfig { window, hop }.validate().unwrap_err();
            assert!(matches!(err, Error::TimelineConfig { .. }), "{err}");
        }
    }
}
