//! The 8-class emotion label set of the study (RAVDESS order) and the mapping of other
//! corpora's label sets onto it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// One of the 8 RAVDESS emotions, in the study's order: the discriminant is the class index
/// used by the models (RAVDESS emotion field minus one).
///
/// `Display`/`FromStr` and serde use the lower-case names (`"neutral"`, ..., `"surprised"`).
///
/// Other corpora map onto this set as follows (see [`crate::names`]):
///
/// | corpus  | label                     | `Emotion`   |
/// |---------|---------------------------|-------------|
/// | SAVEE   | `n` / `a` / `d` / `f` / `h` / `sa` / `su` | neutral / angry / disgust / fearful / happy / sad / surprised (no calm) |
/// | CREMA-D | `NEU` / `ANG` / `DIS` / `FEA` / `HAP` / `SAD` | neutral / angry / disgust / fearful / happy / sad (no calm, no surprise) |
/// | TESS    | `neutral` / `angry` / `disgust` / `fear` / `happy` / `sad` / `ps` (pleasant surprise) | neutral / angry / disgust / fearful / happy / sad / surprised |
/// | EmoDB   | `N` / `W` (Ärger) / `E` (Ekel) / `A` (Angst) / `F` (Freude) / `T` (Trauer) | neutral / angry / disgust / fearful / happy / sad; `L` (boredom) has no counterpart and is rejected |
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Emotion {
    /// Index 0 (RAVDESS `01`).
    Neutral = 0,
    /// Index 1 (RAVDESS `02`).
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
}

impl Emotion {
    /// All 8 emotions in index order.
    pub const ALL: [Emotion; 8] = [
        Emotion::Neutral,
        Emotion::Calm,
        Emotion::Happy,
        Emotion::Sad,
        Emotion::Angry,
        Emotion::Fearful,
        Emotion::Disgust,
        Emotion::Surprised,
    ];

    /// The class index 0..7.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The emotion of class index `i`, `None` when `i > 7`.
    pub fn from_index(i: usize) -> Option<Self> {
        Self::ALL.get(i).copied()
    }

    /// The lower-case name (`"neutral"`, ..., `"surprised"`).
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
        }
    }

    /// The 8 names in index order, e.g. for a model's label list.
    pub fn names() -> [&'static str; 8] {
        Self::ALL.map(Emotion::name)
    }
}

impl fmt::Display for Emotion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Emotion {
    type Err = crate::CorpusError;

    /// Parses a lower-case name exactly as [`Emotion::name`] writes it.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|e| e.name() == s)
            .ok_or_else(|| crate::CorpusError::UnknownEmotion {
                actual: s.to_string(),
            })
    }
}

/// A speaker's gender as given by the corpus documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Gender {
    /// Male speaker.
    Male,
    /// Female speaker.
    Female,
}

impl Gender {
    /// `"male"` or `"female"`.
    pub fn name(self) -> &'static str {
        match self {
            Gender::Male => "male",
            Gender::Female => "female",
        }
    }
}

impl fmt::Display for Gender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
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
            let j = serde_json::to_string(&e).unwrap();
            assert_eq!(j, format!("\"{}\"", e.name()));
            assert_eq!(serde_json::from_str::<Emotion>(&j).unwrap(), e);
        }
        assert_eq!(Emotion::from_index(8), None);
        assert_eq!(
            Emotion::names(),
            [
                "neutral",
                "calm",
                "happy",
                "sad",
                "angry",
                "fearful",
                "disgust",
                "surprised"
            ]
        );
        assert!("Neutral".parse::<Emotion>().is_err());
        assert!("".parse::<Emotion>().is_err());
    }
}
