//! CREMA-D (Cao et al. 2014): `1001_DFA_ANG_XX`.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{file_name_of, stem_of, ClipName, CorpusFormat, CorpusKind, NameErr, ParsedName};
use crate::{CorpusError, Emotion, Gender, Label};

codes! {
    /// CREMA-D emotion codes and their classes (no calm, no surprise, no boredom).
    pub enum CremaDEmotion {
        /// `ANG`: anger.
        Ang = "ANG" => Angry,
        /// `DIS`: disgust.
        Dis = "DIS" => Disgust,
        /// `FEA`: fear.
        Fea = "FEA" => Fearful,
        /// `HAP`: happy.
        Hap = "HAP" => Happy,
        /// `NEU`: neutral.
        Neu = "NEU" => Neutral,
        /// `SAD`: sad.
        Sad = "SAD" => Sad,
    }
}

codes! {
    /// The twelve CREMA-D sentences.
    pub enum CremaSentence {
        /// "It's eleven o'clock."
        Ieo = "IEO",
        /// "That is exactly what happened."
        Tie = "TIE",
        /// "I'm on my way to the meeting."
        Iom = "IOM",
        /// "I wonder what this is about."
        Iww = "IWW",
        /// "The airplane is almost full."
        Tai = "TAI",
        /// "Maybe tomorrow it will be cold."
        Mti = "MTI",
        /// "I would like a new alarm clock."
        Iwl = "IWL",
        /// "I think I have a doctor's appointment."
        Ith = "ITH",
        /// "Don't forget a jacket."
        Dfa = "DFA",
        /// "I think I've seen this before."
        Its = "ITS",
        /// "The surface is slick."
        Tsi = "TSI",
        /// "We'll stop in a couple of minutes."
        Wsi = "WSI",
    }
}

codes! {
    /// CREMA-D emotion level.
    pub enum CremaLevel {
        /// `LO`: low.
        Low = "LO",
        /// `MD`: medium.
        Medium = "MD",
        /// `HI`: high.
        High = "HI",
        /// `XX`: unspecified.
        Unspecified = "XX",
    }
}

/// The CREMA-D format.
#[derive(Debug, Clone, Copy, Default)]
pub struct CremaD;

impl CorpusFormat for CremaD {
    fn kind(&self) -> CorpusKind {
        CorpusKind::CremaD
    }
    fn title(&self) -> &'static str {
        "CREMA-D"
    }
    fn naming(&self) -> &'static str {
        "1001_DFA_ANG_XX"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["cremad", "crema"]
    }
    fn emotions(&self) -> &'static [Emotion] {
        CremaDEmotion::EMOTIONS
    }
    fn detect(&self, file_name: &str) -> bool {
        let parts: Vec<&str> = stem_of(file_name).split('_').collect();
        parts.len() == 4 && parts[0].len() == 4 && parts[0].chars().all(|c| c.is_ascii_digit())
    }
    fn parse(&self, path: &Path, _root: Option<&Path>) -> Result<ParsedName, CorpusError> {
        CremaDName::parse(file_name_of(path)?).map(ParsedName::from)
    }
}

/// A parsed CREMA-D name `1001_DFA_ANG_XX`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CremaDName {
    /// Actor 1001..=1091.
    pub actor: u16,
    /// The sentence.
    pub sentence: CremaSentence,
    /// The emotion code.
    pub emotion: CremaDEmotion,
    /// The emotion level.
    pub level: CremaLevel,
}

impl CremaDName {
    /// Parses `1001_DFA_ANG_XX[.ext]`.
    ///
    /// # Errors
    /// [`CorpusError::BadShape`] / [`CorpusError::BadField`] naming the wrong field (an
    /// unknown emotion code is an error, never a guess).
    pub fn parse(file_name: &str) -> Result<Self, CorpusError> {
        let err = NameErr::new(file_name, CorpusKind::CremaD);
        let parts: Vec<&str> = stem_of(file_name).split('_').collect();
        let [actor, sentence, emotion, level] = parts[..] else {
            return Err(err.shape("4 fields ACTOR_SEN_EMO_LVL", parts.len(), "field"));
        };
        let actor_n = match actor.parse::<u16>() {
            Ok(a) if actor.len() == 4 && (1001..=1091).contains(&a) => a,
            _ => return Err(err.field("actor", actor, "1001..1091")),
        };
        Ok(CremaDName {
            actor: actor_n,
            sentence: CremaSentence::from_code(sentence)
                .ok_or_else(|| err.field("sentence", sentence, CremaSentence::expected()))?,
            emotion: CremaDEmotion::from_code(emotion)
                .ok_or_else(|| err.field("emotion", emotion, CremaDEmotion::expected()))?,
            level: CremaLevel::from_code(level)
                .ok_or_else(|| err.field("level", level, CremaLevel::expected()))?,
        })
    }

    /// The stem `1001_DFA_ANG_XX`.
    pub fn stem(&self) -> String {
        format!(
            "{}_{}_{}_{}",
            self.actor, self.sentence, self.emotion, self.level
        )
    }
}

impl ClipName for CremaDName {
    fn label(&self) -> Label {
        self.emotion.emotion().into()
    }
    fn speaker_id(&self) -> Option<String> {
        Some(format!("crema-d:{}", self.actor))
    }
    fn speaker_gender(&self) -> Option<Gender> {
        None
    }
    fn performance(&self) -> Option<String> {
        Some(format!("crema-d:{}", self.stem()))
    }
}
