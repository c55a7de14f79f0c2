//! ASED (Amharic Speech Emotion Dataset, Retta et al. 2022, doi:10.1145/3529759):
//! `xn-yy-aa-gg-bb`, e.g. `a5-03-01-02-50.wav`.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{
    all_digits, file_name_of, stem_of, two_digits, ClipName, CorpusFormat, CorpusKind, NameErr,
    ParsedName,
};
use crate::{CorpusError, Emotion, Gender, Label};

codes! {
    /// ASED emotion codes (letter and folder number) and their classes (five: no calm,
    /// disgust, surprise or boredom). The published corpus writes one sad clip with an
    /// upper-case `S4`; codes are read case-insensitively.
    pub enum AsedEmotion {
        /// `n1`: neutral (folder `01Neutral`).
        Neutral = "n1" => Neutral,
        /// `f2`: fear (folder `02Fearful`).
        Fearful = "f2" => Fearful,
        /// `h3`: happiness (folder `03Happy`).
        Happy = "h3" => Happy,
        /// `s4`: sadness (folder `04Sad`).
        Sad = "s4" => Sad,
        /// `a5`: anger (folder `05Angry`).
        Angry = "a5" => Angry,
    }
}

/// The ASED format.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ased;

impl CorpusFormat for Ased {
    fn kind(&self) -> CorpusKind {
        CorpusKind::Ased
    }
    fn title(&self) -> &'static str {
        "ASED"
    }
    fn naming(&self) -> &'static str {
        "a5-03-01-02-50"
    }
    fn emotions(&self) -> &'static [Emotion] {
        AsedEmotion::EMOTIONS
    }
    fn detect(&self, file_name: &str) -> bool {
        let parts: Vec<&str> = stem_of(file_name).split('-').collect();
        let first = parts[0].as_bytes();
        parts.len() == 5
            && first.len() == 2
            && first[0].is_ascii_alphabetic()
            && first[1].is_ascii_digit()
            && parts[1..].iter().all(|p| all_digits(p))
    }
    fn parse(&self, path: &Path, _root: Option<&Path>) -> Result<ParsedName, CorpusError> {
        AsedName::parse(file_name_of(path)?).map(ParsedName::from)
    }
}

/// A parsed ASED name `xn-yy-aa-gg-bb`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AsedName {
    /// Field 1: emotion letter and folder number.
    pub emotion: AsedEmotion,
    /// Field 2: sentence 1..=7.
    pub sentence: u8,
    /// Field 3: repetition 1..=2.
    pub repetition: u8,
    /// Field 4: `01` female, `02` male.
    pub gender: Gender,
    /// Field 5: speaker 1..=65.
    pub speaker: u8,
}

impl AsedName {
    /// Parses `a5-03-01-02-50[.ext]`.
    ///
    /// # Errors
    /// [`CorpusError::BadShape`] / [`CorpusError::BadField`] naming the wrong field.
    pub fn parse(file_name: &str) -> Result<Self, CorpusError> {
        let err = NameErr::new(file_name, CorpusKind::Ased);
        let parts: Vec<&str> = stem_of(file_name).split('-').collect();
        let [emotion, sentence, repetition, gender, speaker] = parts[..] else {
            return Err(err.shape("5 fields xn-yy-aa-gg-bb", parts.len(), "field"));
        };
        let number = |field: &'static str, s: &str, hi: u8| match two_digits(s) {
            Some(n) if (1..=hi).contains(&n) => Ok(n),
            _ => Err(err.field(field, s, format!("01..{hi:02}"))),
        };
        let emotion_code = AsedEmotion::from_code(&emotion.to_ascii_lowercase())
            .ok_or_else(|| err.field("emotion", emotion, AsedEmotion::expected()))?;
        let sentence = number("sentence", sentence, 7)?;
        let repetition = number("repetition", repetition, 2)?;
        let gender = match gender {
            "01" => Gender::Female,
            "02" => Gender::Male,
            _ => return Err(err.field("gender", gender, "01 (female) or 02 (male)")),
        };
        let speaker = number("speaker", speaker, 65)?;
        Ok(AsedName {
            emotion: emotion_code,
            sentence,
            repetition,
            gender,
            speaker,
        })
    }

    /// The canonical stem `a5-03-01-02-50` (lower-case emotion code).
    pub fn stem(&self) -> String {
        format!(
            "{}-{:02}-{:02}-{:02}-{:02}",
            self.emotion,
            self.sentence,
            self.repetition,
            match self.gender {
                Gender::Female => 1,
                Gender::Male => 2,
            },
            self.speaker
        )
    }
}

impl ClipName for AsedName {
    fn label(&self) -> Label {
        self.emotion.emotion().into()
    }
    fn speaker_id(&self) -> Option<String> {
        Some(format!("ased:{:02}", self.speaker))
    }
    fn speaker_gender(&self) -> Option<Gender> {
        Some(self.gender)
    }
    fn performance(&self) -> Option<String> {
        Some(format!("ased:{}", self.stem()))
    }
}
