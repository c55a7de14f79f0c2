//! SAVEE (Surrey Audio-Visual Expressed Emotion, Jackson & Haq 2014): `DC_a01`, `DC/a01` or
//! bare `a01`.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{
    file_name_of, stem_of, two_digits, ClipName, CorpusFormat, CorpusKind, NameErr, ParsedName,
};
use crate::{CorpusError, Emotion, Gender, Label};

/// The four SAVEE speakers (all male).
pub const SAVEE_SPEAKERS: [&str; 4] = ["DC", "JE", "JK", "KL"];

codes! {
    /// SAVEE emotion codes and their classes. SAVEE has no calm and no boredom; names starting
    /// with `c` (common sentences) are not emotion clips.
    pub enum SaveeCode {
        /// `a`: anger.
        A = "a" => Angry,
        /// `d`: disgust.
        D = "d" => Disgust,
        /// `f`: fear.
        F = "f" => Fearful,
        /// `h`: happiness.
        H = "h" => Happy,
        /// `n`: neutral (sentences 01..30).
        N = "n" => Neutral,
        /// `sa`: sadness.
        Sa = "sa" => Sad,
        /// `su`: surprise.
        Su = "su" => Surprised,
    }
}

/// The SAVEE format.
#[derive(Debug, Clone, Copy, Default)]
pub struct Savee;

impl CorpusFormat for Savee {
    fn kind(&self) -> CorpusKind {
        CorpusKind::Savee
    }
    fn title(&self) -> &'static str {
        "SAVEE"
    }
    fn naming(&self) -> &'static str {
        "[DC_]a01"
    }
    fn emotions(&self) -> &'static [Emotion] {
        SaveeCode::EMOTIONS
    }
    fn detect(&self, file_name: &str) -> bool {
        let stem = stem_of(file_name);
        match stem.split_once('_') {
            Some((sp, rest)) => {
                sp.len() == 2 && sp.chars().all(|c| c.is_ascii_uppercase()) && is_bare(rest)
            }
            None => is_bare(stem),
        }
    }
    fn parse(&self, path: &Path, _root: Option<&Path>) -> Result<ParsedName, CorpusError> {
        SaveeName::parse_path(path).map(ParsedName::from)
    }
}

/// `a01`, `sa12`: one or two lower-case letters and two digits.
fn is_bare(s: &str) -> bool {
    let letters = s.chars().take_while(|c| c.is_ascii_lowercase()).count();
    (1..=2).contains(&letters)
        && s.len() == letters + 2
        && s[letters..].chars().all(|c| c.is_ascii_digit())
}

/// A parsed SAVEE name: `DC_a01`, `DC/a01` or bare `a01`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SaveeName {
    /// One of [`SAVEE_SPEAKERS`], `None` for a bare name outside a speaker folder.
    pub speaker: Option<String>,
    /// The emotion code.
    pub code: SaveeCode,
    /// Sentence number: 1..=15 (1..=30 for neutral).
    pub number: u8,
}

impl SaveeName {
    /// Parses a file name alone (`DC_a01.wav` or `a01.wav`).
    ///
    /// # Errors
    /// [`CorpusError::NotEmotionClip`] for names starting with `c`; [`CorpusError::BadField`] or
    /// [`CorpusError::BadShape`] for anything else that is not a SAVEE name.
    pub fn parse(file_name: &str) -> Result<Self, CorpusError> {
        Self::parse_with_folder(file_name, None)
    }

    /// Parses `path`, taking the speaker from its parent folder (`DC/a01.wav`) when the name
    /// itself has none.
    ///
    /// # Errors
    /// As [`SaveeName::parse`]; [`CorpusError::BadFileName`] for a path without a UTF-8 name.
    pub fn parse_path(path: &Path) -> Result<Self, CorpusError> {
        let name = file_name_of(path)?;
        let folder = path
            .parent()
            .and_then(Path::file_name)
            .and_then(|s| s.to_str())
            .filter(|f| SAVEE_SPEAKERS.contains(f));
        Self::parse_with_folder(name, folder)
    }

    fn parse_with_folder(file_name: &str, folder: Option<&str>) -> Result<Self, CorpusError> {
        let err = NameErr::new(file_name, CorpusKind::Savee);
        let stem = stem_of(file_name);
        let (speaker, rest) = match stem.split_once('_') {
            Some((sp, rest)) => {
                if !SAVEE_SPEAKERS.contains(&sp) {
                    return Err(err.field("speaker", sp, SAVEE_SPEAKERS.join(" ")));
                }
                (Some(sp.to_string()), rest)
            }
            None => (folder.map(str::to_string), stem),
        };
        if rest.starts_with('c') {
            return Err(err.not_clip(
                "SAVEE names starting with 'c' are not emotion clips (the study skipped them)",
            ));
        }
        let split = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let (code, digits) = rest.split_at(split);
        let code = SaveeCode::from_code(code)
            .ok_or_else(|| err.field("emotion code", code, SaveeCode::expected()))?;
        let max = if code == SaveeCode::N { 30 } else { 15 };
        let number = match two_digits(digits) {
            Some(n) if (1..=max).contains(&n) => n,
            _ => return Err(err.field("sentence number", digits, format!("01..{max}"))),
        };
        Ok(SaveeName {
            speaker,
            code,
            number,
        })
    }

    /// The emotion class of [`SaveeName::code`].
    pub fn emotion(&self) -> Emotion {
        self.code.emotion()
    }

    /// The flat-layout stem `DC_a01` (or `a01` without speaker).
    pub fn stem(&self) -> String {
        match &self.speaker {
            Some(s) => format!("{s}_{}{:02}", self.code, self.number),
            None => format!("{}{:02}", self.code, self.number),
        }
    }
}

impl ClipName for SaveeName {
    fn label(&self) -> Label {
        self.emotion().into()
    }
    fn speaker_id(&self) -> Option<String> {
        self.speaker.as_ref().map(|s| format!("savee:{s}"))
    }
    fn speaker_gender(&self) -> Option<Gender> {
        Some(Gender::Male)
    }
    fn performance(&self) -> Option<String> {
        self.speaker
            .is_some()
            .then(|| format!("savee:{}", self.stem()))
    }
}
