//! [`Label`]: one class, a known emotion or any other name.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{Emotion, LabelError};

/// One class of a model or a corpus.
///
/// Serialised, displayed and parsed as its name: a known emotion's name (synonyms are resolved
/// by [`Emotion::from_alias`] when parsing), or any other non-empty name, trimmed and
/// lower-cased.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Label {
    /// A known emotion.
    Emotion(Emotion),
    /// Any other class name (lower-case, trimmed, never an emotion's name or synonym).
    Other(String),
}

impl Label {
    /// Reads a label name: an emotion (synonyms included) or any other non-empty name.
    pub fn parse(name: &str) -> Result<Self, LabelError> {
        if let Some(e) = Emotion::from_alias(name) {
            return Ok(Label::Emotion(e));
        }
        let t = name.trim();
        if t.is_empty() {
            return Err(LabelError::EmptyName);
        }
        Ok(Label::Other(t.to_lowercase()))
    }

    /// The name (an emotion's lower-case name, or the other name).
    pub fn name(&self) -> &str {
        match self {
            Label::Emotion(e) => e.name(),
            Label::Other(s) => s,
        }
    }

    /// The emotion, if this label is a known one.
    pub fn emotion(&self) -> Option<Emotion> {
        match self {
            Label::Emotion(e) => Some(*e),
            Label::Other(_) => None,
        }
    }
}

impl From<Emotion> for Label {
    fn from(e: Emotion) -> Self {
        Label::Emotion(e)
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

impl FromStr for Label {
    type Err = LabelError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Label::parse(s)
    }
}

impl Serialize for Label {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Label {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Label::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_table() {
        for (text, expected) in [
            ("angry", Label::Emotion(Emotion::Angry)),
            ("Anger", Label::Emotion(Emotion::Angry)),
            ("  Frustrated ", Label::Other("frustrated".into())),
            ("boredom", Label::Emotion(Emotion::Boredom)),
        ] {
            assert_eq!(Label::parse(text).unwrap(), expected, "{text}");
            assert_eq!(expected.to_string().parse::<Label>().unwrap(), expected);
        }
        assert_eq!(Label::parse("  "), Err(LabelError::EmptyName));
    }

    #[test]
    fn display_honours_width() {
        assert_eq!(format!("{:>5}|", Label::from(Emotion::Sad)), "  sad|");
        assert_eq!(format!("{:<6}|", Emotion::Calm), "calm  |");
    }

    #[test]
    fn serde_as_name() {
        let l = Label::Other("contempt".into());
        assert_eq!(serde_json::to_string(&l).unwrap(), "\"contempt\"");
        let e: Label = serde_json::from_str("\"Fear\"").unwrap();
        assert_eq!(e, Label::Emotion(Emotion::Fearful));
        assert!(serde_json::from_str::<Label>("\"\"").is_err());
    }
}
