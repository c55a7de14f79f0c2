//! EmoDB (Berlin database of emotional speech, Burkhardt et al. 2005): `03a01Fa`.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{
    file_name_of, stem_of, two_digits, ClipName, CorpusFormat, CorpusKind, NameErr, ParsedName,
};
use crate::{CorpusError, Emotion, Gender, Label};

codes! {
    /// EmoDB emotion letters (German initials) and their classes. EmoDB has boredom
    /// ([`Emotion::Boredom`], which the study's eight classes lack) and no calm or surprise.
    pub enum EmoDbEmotion {
        /// `W`: Wut, anger.
        W = "W" => Angry,
        /// `L`: Langeweile, boredom.
        L = "L" => Boredom,
        /// `E`: Ekel, disgust.
        E = "E" => Disgust,
        /// `A`: Angst, fear.
        A = "A" => Fearful,
        /// `F`: Freude, happiness.
        F = "F" => Happy,
        /// `T`: Trauer, sadness.
        T = "T" => Sad,
        /// `N`: neutral.
        N = "N" => Neutral,
    }
}

/// Male EmoDB speakers.
const MALE: [u8; 5] = [3, 10, 11, 12, 15];
/// Female EmoDB speakers.
const FEMALE: [u8; 5] = [8, 9, 13, 14, 16];
/// The ten EmoDB texts.
const TEXTS: [&str; 10] = [
    "a01", "a02", "a04", "a05", "a07", "b01", "b02", "b03", "b09", "b10",
];

/// The EmoDB format.
#[derive(Debug, Clone, Copy, Default)]
pub struct EmoDb;

impl CorpusFormat for EmoDb {
    fn kind(&self) -> CorpusKind {
        CorpusKind::EmoDb
    }
    fn title(&self) -> &'static str {
        "EmoDB"
    }
    fn naming(&self) -> &'static str {
        "03a01Fa"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["emo-db", "berlin"]
    }
    fn emotions(&self) -> &'static [Emotion] {
        EmoDbEmotion::EMOTIONS
    }
    fn detect(&self, file_name: &str) -> bool {
        let b = stem_of(file_name).as_bytes();
        b.len() == 7
            && b[..2].iter().all(u8::is_ascii_digit)
            && b[2].is_ascii_lowercase()
            && b[3..5].iter().all(u8::is_ascii_digit)
            && b[5].is_ascii_uppercase()
            && b[6].is_ascii_lowercase()
    }
    fn parse(&self, path: &Path, _root: Option<&Path>) -> Result<ParsedName, CorpusError> {
        EmoDbName::parse(file_name_of(path)?).map(ParsedName::from)
    }
}

/// A parsed EmoDB name `03a01Fa`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EmoDbName {
    /// Speaker 03, 08, 09, 10, 11, 12, 13, 14, 15 or 16.
    pub speaker: u8,
    /// Text code: a01 a02 a04 a05 a07 b01 b02 b03 b09 b10.
    pub text: String,
    /// The emotion letter.
    pub emotion: EmoDbEmotion,
    /// Version letter a..z.
    pub version: char,
}

impl EmoDbName {
    /// Parses `03a01Fa[.ext]`.
    ///
    /// # Errors
    /// [`CorpusError::BadShape`] / [`CorpusError::BadField`] naming the wrong field.
    pub fn parse(file_name: &str) -> Result<Self, CorpusError> {
        let err = NameErr::new(file_name, CorpusKind::EmoDb);
        let stem = stem_of(file_name);
        if stem.len() != 7 || !stem.is_ascii() {
            return Err(err.shape(
                "7 characters SStttEv (e.g. 03a01Fa)",
                stem.chars().count(),
                "character",
            ));
        }
        let (sp, rest) = stem.split_at(2);
        let (text, rest) = rest.split_at(3);
        let (emotion, version) = rest.split_at(1);
        let speaker = match two_digits(sp) {
            Some(s) if MALE.contains(&s) || FEMALE.contains(&s) => s,
            _ => return Err(err.field("speaker", sp, "03 08 09 10 11 12 13 14 15 16")),
        };
        if !TEXTS.contains(&text) {
            return Err(err.field("text", text, TEXTS.join(" ")));
        }
        let emotion = EmoDbEmotion::from_code(emotion)
            .ok_or_else(|| err.field("emotion", emotion, EmoDbEmotion::expected()))?;
        let version = match version.chars().next() {
            Some(c) if c.is_ascii_lowercase() => c,
            _ => return Err(err.field("version", version, "a..z")),
        };
        Ok(EmoDbName {
            speaker,
            text: text.to_string(),
            emotion,
            version,
        })
    }

    /// The speaker's gender.
    pub fn gender(&self) -> Gender {
        if MALE.contains(&self.speaker) {
            Gender::Male
        } else {
            Gender::Female
        }
    }
}

impl ClipName for EmoDbName {
    fn label(&self) -> Label {
        self.emotion.emotion().into()
    }
    fn speaker_id(&self) -> Option<String> {
        Some(format!("emodb:{:02}", self.speaker))
    }
    fn speaker_gender(&self) -> Option<Gender> {
        Some(self.gender())
    }
    fn performance(&self) -> Option<String> {
        Some(format!(
            "emodb:{:02}{}{}{}",
            self.speaker, self.text, self.emotion, self.version
        ))
    }
}
