//! nEMO (Polish emotional speech, Christop 2024): `{speaker}_{emotion}_{n}`, e.g.
//! `EB0_anger_1.wav`.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{
    all_digits, file_name_of, stem_of, ClipName, CorpusFormat, CorpusKind, NameErr, ParsedName,
};
use crate::{CorpusError, Emotion, Gender, Label};

codes! {
    /// nEMO emotion words and their classes (six: no calm, disgust or boredom).
    pub enum NemoEmotion {
        /// `anger`.
        Anger = "anger" => Angry,
        /// `fear`.
        Fear = "fear" => Fearful,
        /// `happiness`.
        Happiness = "happiness" => Happy,
        /// `neutral`.
        Neutral = "neutral" => Neutral,
        /// `sadness`.
        Sadness = "sadness" => Sad,
        /// `surprised`.
        Surprised = "surprised" => Surprised,
    }
}

/// The nine nEMO speakers with their gender (from the corpus's `data.tsv`).
const SPEAKERS: [(&str, Gender); 9] = [
    ("EB0", Gender::Female),
    ("IC0", Gender::Female),
    ("KD0", Gender::Female),
    ("KS0", Gender::Male),
    ("MK0", Gender::Female),
    ("MP0", Gender::Male),
    ("SM0", Gender::Male),
    ("TP0", Gender::Male),
    ("WR0", Gender::Male),
];

/// The nEMO format.
#[derive(Debug, Clone, Copy, Default)]
pub struct Nemo;

impl CorpusFormat for Nemo {
    fn kind(&self) -> CorpusKind {
        CorpusKind::Nemo
    }
    fn title(&self) -> &'static str {
        "nEMO"
    }
    fn naming(&self) -> &'static str {
        "EB0_anger_1"
    }
    fn emotions(&self) -> &'static [Emotion] {
        NemoEmotion::EMOTIONS
    }
    fn detect(&self, file_name: &str) -> bool {
        let parts: Vec<&str> = stem_of(file_name).split('_').collect();
        let [speaker, emotion, n] = parts[..] else {
            return false;
        };
        let letters = speaker.bytes().take_while(u8::is_ascii_uppercase).count();
        letters >= 1
            && all_digits(&speaker[letters..])
            && !emotion.is_empty()
            && emotion.bytes().all(|b| b.is_ascii_lowercase())
            && all_digits(n)
    }
    fn parse(&self, path: &Path, _root: Option<&Path>) -> Result<ParsedName, CorpusError> {
        NemoName::parse(file_name_of(path)?).map(ParsedName::from)
    }
}

/// A parsed nEMO name `EB0_anger_1`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NemoName {
    /// One of the nine speakers (`EB0`, `IC0`, `KD0`, `KS0`, `MK0`, `MP0`, `SM0`, `TP0`,
    /// `WR0`).
    pub speaker: String,
    /// The emotion word.
    pub emotion: NemoEmotion,
    /// The clip number, from 1.
    pub number: u16,
}

impl NemoName {
    /// Parses `EB0_anger_1[.ext]`.
    ///
    /// # Errors
    /// [`CorpusError::BadShape`] / [`CorpusError::BadField`] naming the wrong field.
    pub fn parse(file_name: &str) -> Result<Self, CorpusError> {
        let err = NameErr::new(file_name, CorpusKind::Nemo);
        let parts: Vec<&str> = stem_of(file_name).split('_').collect();
        let [speaker, emotion, number] = parts[..] else {
            return Err(err.shape("3 fields SPEAKER_emotion_n", parts.len(), "field"));
        };
        if !SPEAKERS.iter().any(|(s, _)| *s == speaker) {
            let all: Vec<&str> = SPEAKERS.iter().map(|(s, _)| *s).collect();
            return Err(err.field("speaker", speaker, all.join(" ")));
        }
        let emotion = NemoEmotion::from_code(emotion)
            .ok_or_else(|| err.field("emotion", emotion, NemoEmotion::expected()))?;
        let number = match number.parse::<u16>() {
            Ok(n) if n >= 1 && all_digits(number) && !number.starts_with('0') => n,
            _ => return Err(err.field("number", number, "1, 2, ... without leading zeros")),
        };
        Ok(NemoName {
            speaker: speaker.to_string(),
            emotion,
            number,
        })
    }
}

impl ClipName for NemoName {
    fn label(&self) -> Label {
        self.emotion.emotion().into()
    }
    fn speaker_id(&self) -> Option<String> {
        Some(format!("nemo:{}", self.speaker))
    }
    fn speaker_gender(&self) -> Option<Gender> {
        SPEAKERS
            .iter()
            .find(|(s, _)| *s == self.speaker)
            .map(|&(_, g)| g)
    }
    fn performance(&self) -> Option<String> {
        Some(format!(
            "nemo:{}_{}_{}",
            self.speaker, self.emotion, self.number
        ))
    }
}
