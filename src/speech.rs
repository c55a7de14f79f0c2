//! Speech or not: the [`Recognizer`](crate::Recognizer)'s voice-activity detector and how its
//! per-frame decision is read for a whole clip and for each timeline window.
//!
//! Silence and non-speech are not emotions. Before the model is run, the recognizer asks
//! [`ser_mfcc::Vad`] (its documentation says what counts as speech: digital silence, a DC
//! level, steady noise, hum and pure tones do not) whether the audio holds speech. Without
//! speech there is no emotion and the model is not run.

use std::ops::Range;

use ser_mfcc::{MfccError, Vad, VadConfig, VadDecision, VadStream};

/// The detector with its configuration, the [`Vad`] (FFT plan and buffers) made on first
/// use. The default holds [`VadConfig::default`].
#[derive(Debug, Default, Clone)]
pub(crate) struct SpeechDetector {
    config: VadConfig,
    vad: Option<Vad>,
}

impl SpeechDetector {
    /// A detector with `config` (validated).
    pub(crate) fn new(config: VadConfig) -> Result<Self, MfccError> {
        config.validate()?;
        Ok(Self { config, vad: None })
    }

    /// The configuration.
    pub(crate) fn config(&self) -> &VadConfig {
        &self.config
    }

    /// The decision over `samples` (mono, at `sample_rate` Hz).
    pub(crate) fn decide(
        &mut self,
        samples: &[f32],
        sample_rate: u32,
    ) -> Result<VadDecision, MfccError> {
        let vad = match &mut self.vad {
            Some(vad) => vad,
            none => none.insert(Vad::new(self.config.clone())?),
        };
        vad.decide(samples, sample_rate)
    }

    /// A detector fed block by block whose decision, at the end, equals [`Self::decide`]
    /// over everything pushed ([`ser_mfcc::VadStream`]).
    pub(crate) fn stream(&self, sample_rate: u32) -> Result<VadStream, MfccError> {
        Vad::new(self.config.clone())?.stream(sample_rate)
    }

    /// Seconds of speech in the sample range `span` of a clip whose decision is `decision`,
    /// taken at `sample_rate` Hz: the speech frames whose centres (`t * hop` samples) lie in
    /// `span`, times the hop. With whether that is speech by the clip rule
    /// ([`VadConfig::min_clip_speech_ms`]).
    pub(crate) fn in_span(
        &self,
        decision: &VadDecision,
        span: &Range<usize>,
        sample_rate: u32,
    ) -> Result<(bool, f64), MfccError> {
        let (_, hop) = self.config.frame_and_hop(sample_rate)?;
        let first = span.start.div_ceil(hop);
        let end = span.end.div_ceil(hop).min(decision.mask.len());
        let frames = decision
            .mask
            .get(first..end)
            .map_or(0, |m| m.iter().filter(|&&s| s).count());
        let seconds = frames as f64 * decision.hop_seconds;
        let speech = frames > 0 && seconds * 1000.0 >= self.config.min_clip_speech_ms;
        Ok((speech, seconds))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn window_takes_the_frames_centred_in_it() {
        let sr = 1000; // hop 10 samples, frames of 25
        let d = SpeechDetector::default();
        let mut mask = vec![false; 101];
        mask[30..60].iter_mut().for_each(|m| *m = true); // 300 ms of speech, 300..600 samples
        let decision = VadDecision {
            speech: true,
            speech_frames: 30,
            total_frames: 101,
            speech_seconds: 0.3,
            total_seconds: 1.0,
            hop_seconds: 0.01,
            energy_db: vec![0.0; mask.len()],
            mask,
        };
        let (speech, s) = d.in_span(&decision, &(0..1000), sr).unwrap();
        assert!(speech);
        assert!((s - 0.3).abs() < 1e-9);
        // 400..700: frames 40..70, 20 speech frames = 200 ms < 250 ms.
        let (speech, s) = d.in_span(&decision, &(400..700), sr).unwrap();
        assert!(!speech);
        assert!((s - 0.2).abs() < 1e-9);
        let (speech, s) = d.in_span(&decision, &(700..1000), sr).unwrap();
        assert!(!speech);
        assert_eq!(s, 0.0);
        // A span past the mask's end.
        assert_eq!(
            d.in_span(&decision, &(2000..3000), sr).unwrap(),
            (false, 0.0)
        );
    }

    #[test]
    fn clones_detect_alike() {
        let mut a = SpeechDetector::default();
        let _ = a.decide(&[0.0; 100], 16_000).unwrap();
        let mut b = a.clone();
        assert_eq!(
            a.decide(&[0.0; 1000], 16_000).unwrap(),
            b.decide(&[0.0; 1000], 16_000).unwrap()
        );
        assert!(SpeechDetector::new(VadConfig {
            hop_ms: 0.0,
            ..VadConfig::default()
        })
        .is_err());
    }
}
