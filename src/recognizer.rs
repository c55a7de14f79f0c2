//! [`Recognizer`]: audio loading + MFCC features + a classifier, from a file, bytes or samples to
//! the most probable [`Label`] with the probabilities of all the model's labels.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ser_audio::LoadOptions;
use ser_labels::{Emotion, Label, LabelSet};
use ser_mfcc::{Frontend, FrontendSpec, VadConfig, VadDecision};
use ser_models::{Classifier, SeedModel};
use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

use crate::probabilities::Probabilities;
use crate::speech::SpeechDetector;
use crate::timeline::{window_spans, Timeline, TimelineConfig, TimelineWindow};
use crate::Error;

/// The embedded default model's `model.json` (checkpoint directory `models/default/`).
const DEFAULT_CONFIG: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/models/default/model.json"
));
/// The embedded default model's `model.safetensors`.
const DEFAULT_WEIGHTS: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/models/default/model.safetensors"
));

/// Shortest recording [`Recognizer::adapt_to_recording_if_long`] adapts to, seconds: a
/// speaker's statistics need several windows (3 s every 1 s: at least 8 here).
pub const SELF_ADAPT_MIN_SECONDS: f64 = 10.0;

/// Subdirectory of a checkpoint directory holding its speaker-adapted variant.
pub const ADAPTED_DIR: &str = "adapted";

/// The embedded default model's speaker-adapted variant (`models/default/adapted/`).
const DEFAULT_ADAPTED_CONFIG: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/models/default/adapted/model.json"
));
/// Its weights.
const DEFAULT_ADAPTED_WEIGHTS: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/models/default/adapted/model.safetensors"
));

/// Name used in errors for audio given as samples rather than a file.
const SAMPLES_INPUT: &str = "<samples>";

/// Which model to use, as named on command lines and in the demo's API: the one parser of model
/// names for every tool (predict, evaluate, train's starting point, the demo).
///
/// Parsed from (and displayed as) `default`, `seed-a` .. `seed-d` (case-insensitive), or any
/// other string as a checkpoint directory. Load it with [`Recognizer::from_choice`] or, for the
/// bare classifier, [`ModelChoice::load`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelChoice {
    /// The model embedded in the library (`models/default/`).
    Default,
    /// One of the 2019 study's four released models, converted and embedded by `ser-models`.
    Seed(SeedModel),
    /// A checkpoint directory holding `model.json` and `model.safetensors`.
    Dir(PathBuf),
}

impl ModelChoice {
    /// The five models that need no file: the default and the four seed models, in that order.
    pub const BUILTIN: [ModelChoice; 5] = [
        ModelChoice::Default,
        ModelChoice::Seed(SeedModel::A),
        ModelChoice::Seed(SeedModel::B),
        ModelChoice::Seed(SeedModel::C),
        ModelChoice::Seed(SeedModel::D),
    ];

    /// A one-line human description.
    pub fn description(&self) -> String {
        match self {
            ModelChoice::Default => {
                "The bundled default model: speech statistics + an ensemble of 5 MLPs, 7 \
                 emotions, trained on RAVDESS, EmoDB, ASED and nEMO; on unseen RAVDESS speakers \
                 UAR 0.61 per clip, 0.69 adapted to the speaker (CC BY-NC-SA 4.0)"
                    .into()
            }
            ModelChoice::Seed(SeedModel::A) => {
                "The 2019 study's Model A: LSTM(128) + dense layers, 77,160 parameters".into()
            }
            ModelChoice::Seed(SeedModel::B) => {
                "The 2019 study's Model B: four 1-D convolutions (valid), 4,456 parameters".into()
            }
            ModelChoice::Seed(SeedModel::C) => {
                "The 2019 study's Model C: four 1-D convolutions (same) + dropout, 6,520 parameters"
                    .into()
            }
            ModelChoice::Seed(SeedModel::D) => {
                "The 2019 study's Model D: two wide 1-D convolutions, 87,944 parameters".into()
            }
            ModelChoice::Dir(dir) => format!("Checkpoint {}", dir.display()),
        }
    }

    /// Loads the speaker-adapted variant of this model, if it has one: a classifier trained on
    /// features standardised per speaker ([`ser_models::CheckpointMeta::speaker_standardized`]),
    /// stored in the checkpoint directory's `adapted/` subdirectory (embedded for the default
    /// model). `Ok(None)` for models without one (the study's).
    pub fn load_adapted(&self) -> Result<Option<Classifier>, Error> {
        let loaded = match self {
            ModelChoice::Default => Some(Classifier::from_bytes(
                DEFAULT_ADAPTED_CONFIG,
                DEFAULT_ADAPTED_WEIGHTS,
            )),
            ModelChoice::Seed(_) => None,
            ModelChoice::Dir(dir) => {
                let sub = dir.join(ADAPTED_DIR);
                sub.join(ser_models::CONFIG_FILE)
                    .is_file()
                    .then(|| Classifier::from_dir(&sub))
            }
        };
        loaded.transpose().map_err(|source| Error::LoadModel {
            model: format!("{self} (adapted variant)"),
            source,
        })
    }

    /// Loads the classifier this names (embedded bytes, a seed model or a checkpoint directory).
    pub fn load(&self) -> Result<Classifier, Error> {
        let loaded = match self {
            ModelChoice::Default => Classifier::from_bytes(DEFAULT_CONFIG, DEFAULT_WEIGHTS),
            ModelChoice::Seed(which) => Classifier::seed(*which),
            ModelChoice::Dir(dir) => Classifier::from_dir(dir),
        };
        loaded.map_err(|source| Error::LoadModel {
            model: self.to_string(),
            source,
        })
    }
}

impl fmt::Display for ModelChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModelChoice::Default => f.write_str("default"),
            ModelChoice::Seed(SeedModel::A) => f.write_str("seed-a"),
            ModelChoice::Seed(SeedModel::B) => f.write_str("seed-b"),
            ModelChoice::Seed(SeedModel::C) => f.write_str("seed-c"),
            ModelChoice::Seed(SeedModel::D) => f.write_str("seed-d"),
            ModelChoice::Dir(dir) => write!(f, "{}", dir.display()),
        }
    }
}

impl FromStr for ModelChoice {
    type Err = Error;

    /// `default`, `seed-a` .. `seed-d` (case-insensitive); other `seed-*` names are rejected;
    /// anything else (non-empty) is taken as a checkpoint directory.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.to_ascii_lowercase();
        match lower.as_str() {
            "default" => Ok(ModelChoice::Default),
            "seed-a" => Ok(ModelChoice::Seed(SeedModel::A)),
            "seed-b" => Ok(ModelChoice::Seed(SeedModel::B)),
            "seed-c" => Ok(ModelChoice::Seed(SeedModel::C)),
            "seed-d" => Ok(ModelChoice::Seed(SeedModel::D)),
            _ if s.is_empty() || lower.starts_with("seed-") => Err(Error::UnknownModel {
                actual: s.to_string(),
            }),
            _ => Ok(ModelChoice::Dir(PathBuf::from(s))),
        }
    }
}

/// Time spent in each stage of a prediction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timings {
    /// Reading, decoding, mixing to mono and resampling to the model's sample rate.
    pub decode: Duration,
    /// Deciding whether the audio holds speech (the voice-activity detector).
    pub vad: Duration,
    /// Computing the MFCC feature vector(s) (0 without speech: the model is not run).
    pub features: Duration,
    /// Running the classifier (0 without speech).
    pub inference: Duration,
}

impl Timings {
    /// The sum of the four stages.
    pub fn total(&self) -> Duration {
        self.decode + self.vad + self.features + self.inference
    }
}

/// [`Recognizer::analyze`]'s answer for one recording.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    /// The whole clip's prediction.
    pub prediction: Prediction,
    /// The per-window timeline, when asked for.
    pub timeline: Option<Timeline>,
    /// Whether the prediction and timeline were made adapted to the recording's own speaker.
    pub adapted: bool,
}

/// The result of classifying one clip.
///
/// Silence and non-speech are not emotions: when the recognizer's voice-activity detector finds
/// no speech in the clip (see [`ser_mfcc::Vad`] for what counts), `speech` is `false`, the model
/// is not run, and [`label`](Self::label) and [`probabilities`](Self::probabilities) are `None`.
/// With speech both are `Some`.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    /// Whether the clip holds speech (the voice-activity detector's clip decision).
    pub speech: bool,
    /// Seconds of the clip the voice-activity detector judged speech.
    pub speech_seconds: f64,
    /// The most probable of the model's labels (the first in label order on ties); `None`
    /// without speech.
    pub label: Option<Label>,
    /// The probability of each of the model's labels, in its label order, summing to 1; `None`
    /// without speech.
    pub probabilities: Option<Probabilities>,
    /// The model's labels, in its output order (also without speech).
    pub labels: Arc<LabelSet>,
    /// Length of the analysed audio in seconds.
    pub duration: f64,
    /// Time spent per stage.
    pub timings: Timings,
}

impl Prediction {
    /// The predicted label as a known emotion (`None` without speech or for a model's own
    /// class names).
    pub fn emotion(&self) -> Option<Emotion> {
        self.label.as_ref().and_then(Label::emotion)
    }

    /// The probability of the predicted label; `None` without speech.
    pub fn confidence(&self) -> Option<f32> {
        self.label
            .as_ref()
            .and_then(|label| self.probability(label))
    }

    /// The probability of `label`; `None` without speech or when the model has no such class.
    pub fn probability(&self, label: &Label) -> Option<f32> {
        self.probabilities.as_ref().and_then(|p| p.get(label))
    }

    /// The model's labels, in its output order.
    pub fn labels(&self) -> &LabelSet {
        &self.labels
    }

    /// All the model's labels with their probabilities, most probable first; empty without
    /// speech.
    pub fn ranked(&self) -> Vec<(&Label, f32)> {
        self.probabilities
            .as_ref()
            .map_or_else(Vec::new, Probabilities::ranked)
    }
}

/// Milliseconds as a float, for JSON.
fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

impl Serialize for Timings {
    /// `{"decode": ms, "vad": ms, "features": ms, "inference": ms}` (milliseconds, floats).
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Timings", 4)?;
        s.serialize_field("decode", &ms(self.decode))?;
        s.serialize_field("vad", &ms(self.vad))?;
        s.serialize_field("features", &ms(self.features))?;
        s.serialize_field("inference", &ms(self.inference))?;
        s.end()
    }
}

impl Serialize for Prediction {
    /// `{"speech": true, "speech_s": s, "emotion": "angry", "confidence": p, "probabilities":
    /// {"neutral": p, ... every label}, "labels": ["neutral", ...], "duration_s": s,
    /// "timings_ms": {"decode", "vad", "features", "inference"}}`; `probabilities` and `labels`
    /// in the model's label order, `emotion` is the predicted label's name. Without speech:
    /// `"speech": false` and `emotion`, `confidence` and `probabilities` are `null`.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Prediction", 8)?;
        s.serialize_field("speech", &self.speech)?;
        s.serialize_field("speech_s", &self.speech_seconds)?;
        s.serialize_field("emotion", &self.label)?;
        s.serialize_field("confidence", &self.confidence())?;
        s.serialize_field("probabilities", &self.probabilities)?;
        s.serialize_field("labels", self.labels())?;
        s.serialize_field("duration_s", &self.duration)?;
        s.serialize_field("timings_ms", &self.timings)?;
        s.end()
    }
}

/// One speaker's feature statistics ([`Recognizer::adapt`]): the per-value mean and standard
/// deviation of the model's features over that speaker's unlabelled clips (or windows).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpeakerAdaptation {
    /// Mean and standard deviation per feature value.
    pub normalization: ser_models::Normalization,
    /// Clips (or windows) with speech the statistics come from.
    pub n: usize,
}

/// Decoded audio ready for a [`Recognizer`]: mono, at the model's feature sample rate.
#[derive(Debug, Clone, PartialEq)]
pub struct Clip {
    /// The file path, upload name or `"<samples>"`, used in errors.
    pub name: String,
    /// Mono samples at `sample_rate`.
    pub samples: Vec<f32>,
    /// Sample rate of `samples` in Hz (the model's feature rate).
    pub sample_rate: u32,
    /// Time spent decoding and resampling.
    pub decode_time: Duration,
}

impl Clip {
    /// Length in seconds.
    pub fn duration(&self) -> f64 {
        self.samples.len() as f64 / f64::from(self.sample_rate.max(1))
    }
}

/// Speech emotion recognition in one object: audio loading options, a voice-activity detector,
/// an MFCC extractor built from the model's feature configuration, and a [`Classifier`].
///
/// Every prediction first asks the voice-activity detector ([`ser_mfcc::Vad`], default
/// [`VadConfig`]; see [`Self::set_vad_config`]) whether the audio holds speech; without speech
/// there is no emotion ([`Prediction::speech`] is `false`, [`Prediction::label`] `None`).
///
/// ```no_run
/// let mut recognizer = ser::Recognizer::try_default()?;
/// let prediction = recognizer.predict_file("clip.wav")?;
/// match (&prediction.label, prediction.confidence()) {
///     (Some(label), Some(p)) => println!("{label} ({:.0} %)", 100.0 * p),
///     _ => println!("no speech"),
/// }
/// # Ok::<(), ser::Error>(())
/// ```
///
/// Methods take `&mut self` because the extractor reuses its buffers; give each thread its own
/// recognizer (`clone()` shares the FFT plans and copies the small model) or share one behind a
/// `Mutex`.
#[derive(Clone)]
pub struct Recognizer {
    model: ModelChoice,
    load: LoadOptions,
    frontend: Frontend,
    classifier: Classifier,
    /// The speaker-standardised variant, used while an adaptation is set.
    adapted: Option<Classifier>,
    /// The current speaker's statistics ([`Recognizer::adapt`]).
    speaker: Option<SpeakerAdaptation>,
    /// The classifier's labels, shared by every prediction.
    labels: Arc<LabelSet>,
    timeline: TimelineConfig,
    /// Speech or not, asked before the model runs.
    speech: SpeechDetector,
}

impl fmt::Debug for Recognizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recognizer")
            .field("model", &self.model)
            .field("sample_rate", &self.sample_rate())
            .field("timeline", &self.timeline)
            .field("vad", self.speech.config())
            .finish_non_exhaustive()
    }
}

impl Default for Recognizer {
    /// The embedded default model; see [`Recognizer::try_default`].
    ///
    /// # Panics
    /// Only if the model bytes embedded at build time are corrupt, which the crate's tests rule
    /// out (`embedded_default_model_loads`). Use [`Recognizer::try_default`] to get an error.
    #[allow(clippy::expect_used)]
    fn default() -> Self {
        Self::try_default().expect("the embedded default model is valid (tested)")
    }
}

impl Recognizer {
    /// The model embedded in the library (`models/default/` at build time): no file needed.
    pub fn try_default() -> Result<Self, Error> {
        Self::from_choice(&ModelChoice::Default)
    }

    /// One of the study's four released models (embedded in `ser-models`).
    pub fn seed(which: SeedModel) -> Result<Self, Error> {
        Self::from_choice(&ModelChoice::Seed(which))
    }

    /// A checkpoint directory holding `model.json` and `model.safetensors`.
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Self, Error> {
        Self::from_choice(&ModelChoice::Dir(dir.as_ref().to_path_buf()))
    }

    /// The model named by `choice`.
    pub fn from_choice(choice: &ModelChoice) -> Result<Self, Error> {
        let mut r = Self::with_classifier(choice.clone(), choice.load()?)?;
        if let Some(adapted) = choice.load_adapted()? {
            r.set_adapted_classifier(adapted)?;
        }
        Ok(r)
    }

    /// Sets the speaker-standardised variant used after [`Self::adapt`]: it must take the
    /// same features (frontend) and have the same labels as the main classifier.
    pub fn set_adapted_classifier(&mut self, adapted: Classifier) -> Result<(), Error> {
        if adapted.frontend() != self.classifier.frontend()
            || adapted.labels() != self.classifier.labels()
            || !adapted.meta().speaker_standardized
        {
            return Err(Error::AdaptedModelMismatch {
                model: self.model.to_string(),
            });
        }
        self.adapted = Some(adapted);
        Ok(())
    }

    /// Whether this model can adapt to a speaker (it has a speaker-standardised variant).
    pub fn can_adapt(&self) -> bool {
        self.adapted.is_some()
    }

    /// Adapts to one speaker from their unlabelled clips: every later prediction standardises
    /// its features with the mean and standard deviation of these clips' features and uses
    /// the model's speaker-adapted variant, until [`Self::clear_adaptation`]. Clips without
    /// speech ([`ser_mfcc::Vad`]) are left out; at least two must remain.
    ///
    /// # Errors
    /// [`Error::NotAdaptable`] for a model without an adapted variant,
    /// [`Error::AdaptationData`] for fewer than two clips with speech, and the feature errors
    /// of [`Self::features`].
    pub fn adapt<'c>(
        &mut self,
        clips: impl IntoIterator<Item = &'c Clip>,
    ) -> Result<&SpeakerAdaptation, Error> {
        let segments: Vec<(&str, &[f32])> = clips
            .into_iter()
            .map(|c| (c.name.as_str(), c.samples.as_slice()))
            .collect();
        self.adapt_segments(&segments, "clips")
    }

    /// Adapts to the speaker of one long recording ([`Self::adapt`] over its
    /// [`Self::timeline_config`] windows: 3 s every 1 s by default).
    ///
    /// # Errors
    /// As [`Self::adapt`].
    pub fn adapt_to_recording(&mut self, clip: &Clip) -> Result<&SpeakerAdaptation, Error> {
        let (window, hop) = self.timeline.in_samples(clip.sample_rate)?;
        let segments: Vec<(&str, &[f32])> = window_spans(clip.samples.len(), window, hop)
            .into_iter()
            .map(|span| (clip.name.as_str(), &clip.samples[span]))
            .collect();
        self.adapt_segments(&segments, "windows")
    }

    /// Adapts to the recording's own speaker ([`Self::adapt_to_recording`]) when that can
    /// work: the model has an adapted variant, the recording lasts at least
    /// [`SELF_ADAPT_MIN_SECONDS`] and enough of its windows hold speech. Returns whether it
    /// adapted (otherwise any previous adaptation is kept). The rule behind `predict
    /// --timeline` and the demo's timeline; call [`Self::clear_adaptation`] afterwards.
    pub fn adapt_to_recording_if_long(&mut self, clip: &Clip) -> bool {
        self.may_self_adapt(clip.duration()) && self.adapt_to_recording(clip).is_ok()
    }

    /// A clip's prediction and, with `timeline`, its timeline; with `adapt_to_itself` the
    /// recognizer first adapts to the clip's own speaker when
    /// [`Self::adapt_to_recording_if_long`] would, and forgets that adaptation afterwards (a
    /// previous one is kept otherwise). The rule of `predict` and the demo for one decoded
    /// recording.
    ///
    /// # Errors
    /// As [`Self::predict_clip`] and [`Self::timeline_clip`].
    pub fn analyze(
        &mut self,
        clip: &Clip,
        timeline: bool,
        adapt_to_itself: bool,
    ) -> Result<Analysis, Error> {
        let adapted = adapt_to_itself && self.adapt_to_recording_if_long(clip);
        let answer = (|| {
            let prediction = self.predict_clip(clip)?;
            let timeline = timeline.then(|| self.timeline_clip(clip)).transpose()?;
            Ok(Analysis {
                prediction,
                timeline,
                adapted,
            })
        })();
        if adapted {
            self.clear_adaptation();
        }
        answer
    }

    /// Whether a recording of `duration` seconds is one to adapt to its own speaker: the
    /// model has an adapted variant and it lasts at least [`SELF_ADAPT_MIN_SECONDS`].
    pub(crate) fn may_self_adapt(&self, duration: f64) -> bool {
        self.can_adapt() && duration >= SELF_ADAPT_MIN_SECONDS
    }

    fn adapt_segments(
        &mut self,
        segments: &[(&str, &[f32])],
        what: &'static str,
    ) -> Result<&SpeakerAdaptation, Error> {
        self.check_adaptable()?;
        let mut rows = Vec::new();
        for &(name, samples) in segments {
            rows.extend(self.adaptation_row(name, samples)?);
        }
        self.fit_adaptation(&rows, what)
    }

    /// [`Error::NotAdaptable`] for a model without an adapted variant.
    pub(crate) fn check_adaptable(&self) -> Result<(), Error> {
        if self.adapted.is_none() {
            return Err(Error::NotAdaptable {
                model: self.model.to_string(),
            });
        }
        Ok(())
    }

    /// The features one clip (or window) adds to a speaker's statistics: `None` without speech
    /// (the detector over these samples alone).
    pub(crate) fn adaptation_row(
        &mut self,
        name: &str,
        samples: &[f32],
    ) -> Result<Option<Vec<f32>>, Error> {
        let decision = self
            .speech
            .decide(samples, self.sample_rate())
            .map_err(|source| Error::Vad {
                input: name.to_string(),
                source,
            })?;
        if !decision.speech {
            return Ok(None);
        }
        self.raw_features(name, samples, Some(&decision)).map(Some)
    }

    /// Sets the speaker adaptation fitted to `rows` ([`Self::adaptation_row`]); at least two.
    pub(crate) fn fit_adaptation(
        &mut self,
        rows: &[Vec<f32>],
        what: &'static str,
    ) -> Result<&SpeakerAdaptation, Error> {
        self.check_adaptable()?;
        if rows.len() < 2 {
            return Err(Error::AdaptationData {
                what,
                needed: 2,
                actual: rows.len(),
            });
        }
        let dim = rows[0].len();
        let x = ndarray::Array2::from_shape_fn((rows.len(), dim), |(i, j)| rows[i][j]);
        let adaptation = SpeakerAdaptation {
            normalization: ser_models::Normalization::fit(x.view()),
            n: rows.len(),
        };
        Ok(self.speaker.insert(adaptation))
    }

    /// The current speaker adaptation, if any.
    pub fn adaptation(&self) -> Option<&SpeakerAdaptation> {
        self.speaker.as_ref()
    }

    /// Sets (or with `None` clears) the speaker adaptation, e.g. one computed by another
    /// recognizer of the same model.
    ///
    /// # Errors
    /// [`Error::NotAdaptable`] when setting one on a model without an adapted variant.
    pub fn set_adaptation(&mut self, adaptation: Option<SpeakerAdaptation>) -> Result<(), Error> {
        if adaptation.is_some() && self.adapted.is_none() {
            return Err(Error::NotAdaptable {
                model: self.model.to_string(),
            });
        }
        self.speaker = adaptation;
        Ok(())
    }

    /// Back to predicting each clip on its own (no speaker statistics).
    pub fn clear_adaptation(&mut self) {
        self.speaker = None;
    }

    /// Wraps an already loaded classifier with any labels; `choice` names it in errors and
    /// [`Self::model`].
    ///
    /// Fails when its feature configuration cannot build an MFCC extractor.
    pub fn with_classifier(choice: ModelChoice, classifier: Classifier) -> Result<Self, Error> {
        let labels = Arc::new(classifier.labels().clone());
        let spec = classifier.frontend();
        let sample_rate = spec.sample_rate();
        let frontend = spec.build().map_err(|source| Error::FeatureConfig {
            model: choice.to_string(),
            source,
        })?;
        let load = LoadOptions {
            target_rate: Some(sample_rate),
            ..LoadOptions::default()
        };
        Ok(Self {
            model: choice,
            load,
            frontend,
            classifier,
            adapted: None,
            speaker: None,
            labels,
            timeline: TimelineConfig::default(),
            speech: SpeechDetector::default(),
        })
    }

    /// Which model this is.
    pub fn model(&self) -> &ModelChoice {
        &self.model
    }

    /// The classifier.
    pub fn classifier(&self) -> &Classifier {
        &self.classifier
    }

    /// The model's labels, in its output order (every [`Prediction`] names these).
    pub fn labels(&self) -> &LabelSet {
        &self.labels
    }

    /// The feature frontend the model was trained with (from its checkpoint).
    pub fn frontend(&self) -> &FrontendSpec {
        self.classifier.frontend()
    }

    /// The model's feature sample rate in Hz (22050 for the study's models).
    pub fn sample_rate(&self) -> u32 {
        self.classifier.frontend().sample_rate()
    }

    /// The options used to load files and bytes.
    pub fn load_options(&self) -> &LoadOptions {
        &self.load
    }

    /// Sets the options used to load files and bytes (e.g. an offset or a maximum duration).
    /// `target_rate` is replaced by the model's sample rate: the model only understands that one.
    pub fn set_load_options(&mut self, opts: LoadOptions) {
        self.load = LoadOptions {
            target_rate: Some(self.sample_rate()),
            ..opts
        };
    }

    /// The window placement of [`Self::predict_timeline`].
    pub fn timeline_config(&self) -> TimelineConfig {
        self.timeline
    }

    /// Sets the window placement of [`Self::predict_timeline`]; rejects non-finite or
    /// non-positive lengths.
    pub fn set_timeline_config(&mut self, cfg: TimelineConfig) -> Result<(), Error> {
        cfg.validate()?;
        self.timeline = cfg;
        Ok(())
    }

    /// The voice-activity detector's settings (default [`VadConfig::default`]).
    pub fn vad_config(&self) -> &VadConfig {
        self.speech.config()
    }

    /// Sets the voice-activity detector's settings (what counts as speech); rejects an invalid
    /// configuration ([`VadConfig::validate`]).
    pub fn set_vad_config(&mut self, config: VadConfig) -> Result<(), Error> {
        self.speech = SpeechDetector::new(config).map_err(|source| Error::VadConfig { source })?;
        Ok(())
    }

    /// The voice-activity detector's decision over a whole clip: whether it holds speech, and
    /// the per-frame mask (frames every 10 ms by default). [`Self::predict_clip`] and
    /// [`Self::timeline_clip`] use this.
    pub fn detect_speech(&mut self, clip: &Clip) -> Result<VadDecision, Error> {
        if clip.samples.is_empty() {
            return Err(Error::Empty {
                input: clip.name.clone(),
            });
        }
        self.speech
            .decide(&clip.samples, clip.sample_rate)
            .map_err(|source| Error::Vad {
                input: clip.name.clone(),
                source,
            })
    }

    /// Decodes an audio file (any format `ser-audio` reads) to a [`Clip`] at the model's rate.
    pub fn load_file(&self, path: impl AsRef<Path>) -> Result<Clip, Error> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let start = Instant::now();
        let audio = ser_audio::load(path, &self.load).map_err(|source| Error::Audio {
            input: name.clone(),
            source,
        })?;
        self.finish_clip(name, audio.samples, audio.sample_rate, start)
    }

    /// Decodes an in-memory audio file (e.g. an upload); `name` (its file name) is used as a
    /// format hint by its extension and in errors.
    pub fn load_bytes(&self, bytes: &[u8], name: &str) -> Result<Clip, Error> {
        let start = Instant::now();
        let audio =
            ser_audio::load_bytes(bytes, name, &self.load).map_err(|source| Error::Audio {
                input: name.to_string(),
                source,
            })?;
        self.finish_clip(name.to_string(), audio.samples, audio.sample_rate, start)
    }

    /// Wraps mono `samples` at `sample_rate` Hz as a [`Clip`], resampling to the model's rate
    /// when they differ.
    pub fn clip_from_samples(
        &self,
        samples: &[f32],
        sample_rate: u32,
        name: &str,
    ) -> Result<Clip, Error> {
        if sample_rate == 0 {
            return Err(Error::SampleRate {
                input: name.to_string(),
                actual: sample_rate,
            });
        }
        self.finish_clip(
            name.to_string(),
            samples.to_vec(),
            sample_rate,
            Instant::now(),
        )
    }

    /// Resamples to the model's rate if needed and checks the clip is not empty.
    fn finish_clip(
        &self,
        name: String,
        samples: Vec<f32>,
        sample_rate: u32,
        start: Instant,
    ) -> Result<Clip, Error> {
        let target = self.sample_rate();
        let samples = if sample_rate == target {
            samples
        } else {
            ser_audio::resample(&samples, sample_rate, target).map_err(|source| Error::Audio {
                input: name.clone(),
                source,
            })?
        };
        if samples.is_empty() {
            return Err(Error::Empty { input: name });
        }
        Ok(Clip {
            name,
            samples,
            sample_rate: target,
            decode_time: start.elapsed(),
        })
    }

    /// Classifies an audio file.
    pub fn predict_file(&mut self, path: impl AsRef<Path>) -> Result<Prediction, Error> {
        let clip = self.load_file(path)?;
        self.predict_clip(&clip)
    }

    /// Classifies an in-memory audio file (e.g. an upload named `name`).
    pub fn predict_bytes(&mut self, bytes: &[u8], name: &str) -> Result<Prediction, Error> {
        let clip = self.load_bytes(bytes, name)?;
        self.predict_clip(&clip)
    }

    /// Classifies mono samples at `sample_rate` Hz (resampled to the model's rate if needed).
    pub fn predict_samples(
        &mut self,
        samples: &[f32],
        sample_rate: u32,
    ) -> Result<Prediction, Error> {
        let clip = self.clip_from_samples(samples, sample_rate, SAMPLES_INPUT)?;
        self.predict_clip(&clip)
    }

    /// Classifies a decoded clip as a whole (one feature vector: the mean MFCC over the clip)
    /// when it holds speech ([`Self::detect_speech`]); without speech the model is not run and
    /// the prediction has no label.
    pub fn predict_clip(&mut self, clip: &Clip) -> Result<Prediction, Error> {
        let (decision, mut timings) = self.detect_speech_timed(clip)?;
        let probabilities =
            self.classify_speech(&decision, &clip.name, &clip.samples, &mut timings)?;
        Ok(Prediction {
            speech: decision.speech,
            speech_seconds: decision.speech_seconds,
            label: probabilities.as_ref().map(|p| p.top().0.clone()),
            probabilities,
            labels: Arc::clone(&self.labels),
            duration: clip.duration(),
            timings,
        })
    }

    /// Per-window predictions over mono `samples` at `sample_rate` Hz, with the windows of
    /// [`Self::timeline_config`] (default 3 s every 1 s; see [`window_spans`] for the tail and
    /// for clips shorter than a window, which give one window).
    pub fn predict_timeline(
        &mut self,
        samples: &[f32],
        sample_rate: u32,
    ) -> Result<Timeline, Error> {
        let clip = self.clip_from_samples(samples, sample_rate, SAMPLES_INPUT)?;
        self.timeline_clip(&clip)
    }

    /// Per-window predictions over a decoded clip (see [`Self::predict_timeline`]).
    ///
    /// Speech or not per window: the voice-activity detector runs once over the whole clip
    /// (its noise floor and loudest frame are the recording's), and a window holds speech when
    /// the speech frames centred in it total at least
    /// [`min_clip_speech_ms`](VadConfig::min_clip_speech_ms) (250 ms by default). Only windows
    /// with speech are classified; the others have no label.
    pub fn timeline_clip(&mut self, clip: &Clip) -> Result<Timeline, Error> {
        let (window, hop) = self.timeline.in_samples(clip.sample_rate)?;
        let (decision, mut timings) = self.detect_speech_timed(clip)?;
        let mut windows = Vec::new();
        for span in window_spans(clip.samples.len(), window, hop) {
            let samples = &clip.samples[span.clone()];
            windows.push(self.timeline_window(
                &clip.name,
                span,
                samples,
                Some(&decision),
                &mut timings,
            )?);
        }
        Ok(self.timeline_of(windows, clip.duration(), timings))
    }

    /// One timeline window: the samples `span` (at the model's rate) of a recording, `samples`
    /// those samples. Speech or not from `recording`, the detector's decision over the whole
    /// recording ([`SpeechDetector::in_span`]), or without one from the detector over the
    /// window alone; classified only with speech. The time spent is added to `timings`.
    pub(crate) fn timeline_window(
        &mut self,
        input: &str,
        span: Range<usize>,
        samples: &[f32],
        recording: Option<&VadDecision>,
        timings: &mut Timings,
    ) -> Result<TimelineWindow, Error> {
        let rate = self.sample_rate();
        let vad_error = |source| Error::Vad {
            input: input.to_string(),
            source,
        };
        // The window's own decision, when made, is reused by the frontend.
        let (speech, speech_seconds, own) = match recording {
            Some(decision) => {
                let (speech, seconds) = self
                    .speech
                    .in_span(decision, &span, rate)
                    .map_err(vad_error)?;
                (speech, seconds, None)
            }
            None => {
                let start = Instant::now();
                let d = self.speech.decide(samples, rate).map_err(vad_error)?;
                timings.vad += start.elapsed();
                (d.speech, d.speech_seconds, Some(d))
            }
        };
        let probabilities = if speech {
            Some(self.classify_timed(input, samples, own.as_ref(), timings)?)
        } else {
            None
        };
        let seconds = |i: usize| i as f64 / f64::from(rate.max(1));
        Ok(TimelineWindow {
            start: seconds(span.start),
            end: seconds(span.end),
            speech,
            speech_seconds,
            label: probabilities.as_ref().map(|p| p.top().0.clone()),
            probabilities,
        })
    }

    /// A timeline from its windows, for a recording of `duration` seconds.
    pub(crate) fn timeline_of(
        &self,
        windows: Vec<TimelineWindow>,
        duration: f64,
        timings: Timings,
    ) -> Timeline {
        Timeline {
            labels: Arc::clone(&self.labels),
            config: self.timeline,
            duration,
            windows,
            timings,
        }
    }

    /// The voice-activity detector.
    pub(crate) fn speech_detector(&self) -> &SpeechDetector {
        &self.speech
    }

    /// [`Self::detect_speech`] with the timings so far (the clip's decoding and the detector).
    fn detect_speech_timed(&mut self, clip: &Clip) -> Result<(VadDecision, Timings), Error> {
        let start = Instant::now();
        let decision = self.detect_speech(clip)?;
        let timings = Timings {
            decode: clip.decode_time,
            vad: start.elapsed(),
            ..Timings::default()
        };
        Ok((decision, timings))
    }

    /// [`Self::classify`] when `decision` (over exactly `samples`) found speech, adding its
    /// times to `timings`; `None` (the model not run) without speech.
    fn classify_speech(
        &mut self,
        decision: &VadDecision,
        input: &str,
        samples: &[f32],
        timings: &mut Timings,
    ) -> Result<Option<Probabilities>, Error> {
        if !decision.speech {
            return Ok(None);
        }
        self.classify_timed(input, samples, Some(decision), timings)
            .map(Some)
    }

    /// [`Self::classify`], adding its times to `timings`.
    fn classify_timed(
        &mut self,
        input: &str,
        samples: &[f32],
        decision: Option<&VadDecision>,
        timings: &mut Timings,
    ) -> Result<Probabilities, Error> {
        let (probabilities, features, inference) = self.classify(input, samples, decision)?;
        timings.features += features;
        timings.inference += inference;
        Ok(probabilities)
    }

    /// The model's input for a clip, computed with the model's frontend ([`Self::frontend`]):
    /// the mean over time of its MFCCs, `[n_mfcc]` (40) for the study's models, the speech
    /// statistics `[output_dim]` for the statistics models.
    pub fn features(&mut self, clip: &Clip) -> Result<Vec<f32>, Error> {
        self.raw_features(&clip.name, &clip.samples, None)
    }

    /// The frontend's features of `samples`; `decision` is the speech detector's decision over
    /// exactly these samples, if made (frontends that select speech frames reuse it).
    fn raw_features(
        &mut self,
        input: &str,
        samples: &[f32],
        decision: Option<&VadDecision>,
    ) -> Result<Vec<f32>, Error> {
        if samples.is_empty() {
            return Err(Error::Empty {
                input: input.to_string(),
            });
        }
        let vad = decision.map(|d| (self.speech.config(), d));
        let mut out = ndarray::Array2::zeros((0, 0));
        self.frontend
            .compute_with_vad_into(samples, vad, &mut out)
            .map_err(|source| Error::Features {
                input: input.to_string(),
                source,
            })?;
        Ok(out.iter().copied().collect())
    }

    /// Mean-MFCC features and the model's probabilities (in its label order), with the time of
    /// both stages.
    fn classify(
        &mut self,
        input: &str,
        samples: &[f32],
        decision: Option<&VadDecision>,
    ) -> Result<(Probabilities, Duration, Duration), Error> {
        if samples.is_empty() {
            return Err(Error::Empty {
                input: input.to_string(),
            });
        }
        let start = Instant::now();
        let features = self.raw_features(input, samples, decision)?;
        let features_time = start.elapsed();
        let start = Instant::now();
        let (model, features) = match (&self.speaker, &self.adapted) {
            (Some(speaker), Some(adapted)) => {
                let mut f = features;
                speaker.normalization.apply(&mut f);
                (adapted, f)
            }
            _ => (&self.classifier, features),
        };
        let output = model
            .predict(&features)
            .map_err(|source| Error::Inference {
                input: input.to_string(),
                source,
            })?;
        let inference_time = start.elapsed();
        let actual = output.len();
        let probabilities =
            Probabilities::new(Arc::clone(&self.labels), output).ok_or_else(|| {
                Error::OutputSize {
                    input: input.to_string(),
                    expected: self.labels.len(),
                    actual,
                }
            })?;
        Ok((probabilities, features_time, inference_time))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_default_model_loads() {
        let r = Recognizer::try_default().unwrap();
        assert_eq!(r.model(), &ModelChoice::Default);
        assert!(r.sample_rate() > 0);
        let _ = Recognizer::default();
    }

    #[test]
    fn clones_predict_independently_and_identically() {
        let mut a = Recognizer::try_default().unwrap();
        let mut b = a.clone();
        let samples: Vec<f32> = (0..30000).map(|i| (i as f32 * 0.01).sin() * 0.3).collect();
        let pa = a.predict_samples(&samples, 22050).unwrap();
        let pb = std::thread::spawn(move || b.predict_samples(&samples, 22050).unwrap())
            .join()
            .unwrap();
        assert_eq!(pa.probabilities, pb.probabilities);
    }

    #[test]
    fn model_choice_parses_and_displays() {
        for choice in ModelChoice::BUILTIN {
            let text = choice.to_string();
            assert_eq!(text.parse::<ModelChoice>().unwrap(), choice);
            assert_eq!(text.to_uppercase().parse::<ModelChoice>().unwrap(), choice);
        }
        for (text, expected) in [
            ("default", Some(ModelChoice::Default)),
            ("Default", Some(ModelChoice::Default)),
            ("seed-a", Some(ModelChoice::Seed(SeedModel::A))),
            ("SEED-B", Some(ModelChoice::Seed(SeedModel::B))),
            ("seed-c", Some(ModelChoice::Seed(SeedModel::C))),
            ("seed-d", Some(ModelChoice::Seed(SeedModel::D))),
            ("runs/b", Some(ModelChoice::Dir(PathBuf::from("runs/b")))),
            ("b", Some(ModelChoice::Dir(PathBuf::from("b")))),
            (
                "./default",
                Some(ModelChoice::Dir(PathBuf::from("./default"))),
            ),
            ("seed-e", None),
            ("seed-", None),
            ("", None),
        ] {
            match (text.parse::<ModelChoice>(), expected) {
                (Ok(got), Some(want)) => assert_eq!(got, want, "{text:?}"),
                (Err(e), None) => assert!(matches!(e, Error::UnknownModel { .. }), "{text:?}: {e}"),
                (got, want) => panic!("{text:?}: got {got:?}, expected {want:?}"),
            }
        }
    }

    #[test]
    fn every_builtin_choice_loads() {
        for choice in ModelChoice::BUILTIN {
            let c = choice.load().unwrap();
            let adapted = choice.load_adapted().unwrap();
            if choice == ModelChoice::Default {
                assert_eq!(c.labels().len(), 7);
                let a = adapted.unwrap();
                assert_eq!(a.labels(), c.labels());
                assert_eq!(a.frontend(), c.frontend());
                assert!(a.meta().speaker_standardized && !c.meta().speaker_standardized);
            } else {
                assert_eq!(c.labels(), &LabelSet::study(), "{choice}");
                assert!(adapted.is_none());
            }
        }
        let missing = ModelChoice::Dir(PathBuf::from("no/such/checkpoint"));
        assert!(matches!(missing.load(), Err(Error::LoadModel { .. })));
    }
}
