//! TESS (Toronto emotional speech set): `OAF_back_angry`.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{file_name_of, stem_of, ClipName, CorpusFormat, CorpusKind, NameErr, ParsedName};
use crate::{CorpusError, Emotion, Gender, Label};

codes! {
    /// TESS emotion words (case-insensitive in names) and their classes (no calm, no boredom).
    pub enum TessEmotion {
        /// `angry`.
        Angry = "angry" => Angry,
        /// `disgust`.
        Disgust = "disgust" => Disgust,
        /// `fear`.
        Fear = "fear" => Fearful,
        /// `happy`.
        Happy = "happy" => Happy,
        /// `neutral`.
        Neutral = "neutral" => Neutral,
        /// `ps`: pleasant surprise.
        PleasantSurprise = "ps" => Surprised,
        /// `sad`.
        Sad = "sad" => Sad,
    }
}

/// The TESS format.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tess;

impl CorpusFormat for Tess {
    fn kind(&self) -> CorpusKind {
        CorpusKind::Tess
    }
    fn title(&self) -> &'static str {
        "TESS"
    }
    fn naming(&self) -> &'static str {
        "OAF_back_angry"
    }
    fn emotions(&self) -> &'static [Emotion] {
        TessEmotion::EMOTIONS
    }
    fn detect(&self, file_name: &str) -> bool {
        let parts: Vec<&str> = stem_of(file_name).split('_').collect();
        parts.len() == 3 && parts[0].len() == 3 && parts[0].chars().all(|c| c.is_ascii_uppercase())
    }
    fn parse(&self, path: &Path, _root: Option<&Path>) -> Result<ParsedName, CorpusError> {
        TessName::parse(file_name_of(path)?).map(ParsedName::from)
    }
}

/// A parsed TESS name `OAF_back_angry`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TessName {
    /// `OAF` (older talker) or `YAF` (younger talker), both female.
    pub speaker: String,
    /// The target word (`back`, ...).
    pub word: String,
    /// The emotion word.
    pub emotion: TessEmotion,
}

impl TessName {
    /// Parses `OAF_back_angry[.ext]`.
    ///
    /// # Errors
    /// [`CorpusError::BadShape`] / [`CorpusError::BadField`] naming the wrong field.
    pub fn parse(file_name: &str) -> Result<Self, CorpusError> {
        let err = NameErr::new(file_name, CorpusKind::Tess);
        let parts: Vec<&str> = stem_of(file_name).split('_').collect();
        let [speaker, word, emotion] = parts[..] else {
            return Err(err.shape("3 fields SPEAKER_word_emotion", parts.len(), "field"));
        };
        if speaker != "OAF" && speaker != "YAF" {
            return Err(err.field("speaker", speaker, "OAF or YAF"));
        }
        if word.is_empty() || !word.chars().all(|c| c.is_ascii_alphabetic()) {
            return Err(err.field("word", word, "a non-empty alphabetic word"));
        }
        let emotion = TessEmotion::from_code(&emotion.to_ascii_lowercase())
            .ok_or_else(|| err.field("emotion", emotion, TessEmotion::expected()))?;
        Ok(TessName {
            speaker: speaker.to_string(),
            word: word.to_string(),
            emotion,
        })
    }
}

impl ClipName for TessName {
    fn label(&self) -> Label {
        self.emotion.emotion().into()
    }
    fn speaker_id(&self) -> Option<String> {
        Some(format!("tess:{}", self.speaker))
    }
    fn speaker_gender(&self) -> Option<Gender> {
        Some(Gender::Female)
    }
    fn performance(&self) -> Option<String> {
        Some(format!(
            "tess:{}_{}_{}",
            self.speaker, self.word, self.emotion
        ))
    }
}
