//! [`Emotion`]: the emotions the toolkit knows by name.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::LabelError;

/// An emotion the toolkit knows by name. The discriminant is a stable index: 0..7 are the
/// study's eight classes in RAVDESS order (RAVDESS emotion field minus one), 8 is boredom
/// (EmoDB's `L`, which RAVDESS lacks).
///
/// `Display`/`FromStr` and serde use the lower-case names (`"neutral"`, ..., `"boredom"`);
/// [`Emotion::from_alias`] also reads the synonyms other corpora write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Emotion {
    /// Index 0 (RAVDESS `01`).
    Neutral = 0,
    /// Index 1 (RAVDESS `02`); no other corpus here has it.
    Calm = 1,
    /// Index 2 (RAVDESS `03`).
    Happy = 2,
    /// Index 3 (RAVDESS `04`).
    Sad = 3,
    /// Index 4 (RAVDESS `05`).
    Angry = 4,
    /// Index 5 (RAVDESS `06`).
    Fearful = 5,
    /// Index 6 (RAVDESS `07`).
    Disgust = 6,
    /// Index 7 (RAVDESS `08`).
    Surprised = 7,
    /// Index 8: EmoDB's boredom (`L`, Langeweile); not one of the study's classes.
    Boredom = 8,
}

impl Emotion {
    /// Every known emotion in index order.
    pub const ALL: [Emotion; 9] = [
        Emotion::Neutral,
        Emotion::Calm,
        Emotion::Happy,
        Emotion::Sad,
        Emotion::Angry,
        Emotion::Fearful,
        Emotion::Disgust,
        Emotion::Surprised,
        Emotion::Boredom,
    ];

    /// The study's eight classes in its order (RAVDESS's emotions), indices 0..7: the first
    /// eight of [`Emotion::ALL`].
    pub const STUDY: [Emotion; 8] = {
        let mut out = [Emotion::Neutral; 8];
        let mut i = 0;
        while i < 8 {
            out[i] = Self::ALL[i];
            i += 1;
        }
        out
    };

    /// The stable index (0..7 the study's classes, 8 boredom).
    pub fn index(self) -> usize {
        self as usize
    }

    /// The emotion of index `i`, `None` past the last.
    pub fn from_index(i: usize) -> Option<Self> {
        Self::ALL.get(i).copied()
    }

    /// The lower-case name (`"neutral"`, ..., `"surprised"`, `"boredom"`).
    pub fn name(self) -> &'static str {
        match self {
            Emotion::Neutral => "neutral",
            Emotion::Calm => "calm",
            Emotion::Happy => "happy",
            Emotion::Sad => "sad",
            Emotion::Angry => "angry",
            Emotion::Fearful => "fearful",
            Emotion::Disgust => "disgust",
            Emotion::Surprised => "surprised",
            Emotion::Boredom => "boredom",
        }
    }

    /// Reads a name as corpora and users write it: case and surrounding blanks ignored, and the
    /// usual synonyms accepted (`anger`, `fear`/`afraid`, `happiness`/`joy`, `sadness`,
    /// `surprise`/`ps`/`pleasant surprise`, `disgusted`, `bored`, `neutrality`). `None` for
    /// anything else (such a name can still be a [`crate::Label::Other`]).
    pub fn from_alias(s: &str) -> Option<Self> {
        let l = s.trim().to_lowercase().replace(['_', '-'], " ");
        let e = match l.as_str() {
            "neutral" | "neutrality" | "neu" => Emotion::Neutral,
            "calm" => Emotion::Calm,
            "happy" | "happiness" | "joy" | "hap" => Emotion::Happy,
            "sad" | "sadness" => Emotion::Sad,
            "angry" | "anger" | "ang" => Emotion::Angry,
            "fearful" | "fear" | "afraid" | "fea" => Emotion::Fearful,
            "disgust" | "disgusted" | "dis" => Emotion::Disgust,
            "surprised" | "surprise" | "ps" | "pleasant surprise" | "pleasant surprised" => {
                Emotion::Surprised
            }
            "boredom" | "bored" => Emotion::Boredom,
            _ => return None,
        };
        Some(e)
    }
}

impl fmt::Display for Emotion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

impl FromStr for Emotion {
    type Err = LabelError;

    /// Parses a lower-case name exactly as [`Emotion::name`] writes it (use
    /// [`Emotion::from_alias`] for synonyms).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|e| e.name() == s)
            .ok_or_else(|| LabelError::UnknownEmotion {
                actual: s.to_string(),
                expected: Self::ALL.map(Emotion::name).join(", "),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indices_names_roundtrip() {
        for (i, e) in Emotion::ALL.into_iter().enumerate() {
            assert_eq!(e.index(), i);
            assert_eq!(Emotion::from_index(i), Some(e));
            assert_eq!(e.to_string().parse::<Emotion>().unwrap(), e);
            assert_eq!(Emotion::from_alias(e.name()), Some(e));
            let j = serde_json::to_string(&e).unwrap();
            assert_eq!(j, format!("\"{}\"", e.name()));
            assert_eq!(serde_json::from_str::<Emotion>(&j).unwrap(), e);
        }
        assert_eq!(Emotion::from_index(9), None);
        assert_eq!(Emotion::STUDY, Emotion::ALL[..8]);
        assert!("Neutral".parse::<Emotion>().is_err());
        assert!("".parse::<Emotion>().is_err());
    }

    #[test]
    fn aliases() {
        for (alias, e) in [
            ("Anger", Emotion::Angry),
            (" fear ", Emotion::Fearful),
            ("happiness", Emotion::Happy),
            ("SADNESS", Emotion::Sad),
            ("ps", Emotion::Surprised),
            ("pleasant_surprise", Emotion::Surprised),
            ("bored", Emotion::Boredom),
            ("NEU", Emotion::Neutral),
        ] {
            assert_eq!(Emotion::from_alias(alias), Some(e), "{alias}");
        }
        assert_eq!(Emotion::from_alias("frustrated"), None);
        assert_eq!(Emotion::from_alias(""), None);
    }
}
