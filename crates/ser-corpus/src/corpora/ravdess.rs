//! RAVDESS (Livingstone & Russo 2018, doi:10.1371/journal.pone.0196391), speech and song:
//! `MM-VV-EE-II-SS-RR-AA`.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{
    file_name_of, stem_of, two_digits, ClipName, CorpusFormat, CorpusKind, NameErr, ParsedName,
};
use crate::{CorpusError, Emotion, Gender, Label};

/// The RAVDESS format. Emotion field `EE` = 01..08 maps onto [`Emotion::STUDY`] in order
/// (neutral, calm, happy, sad, angry, fearful, disgust, surprised); song (`VV = 02`) has
/// 01..06 only ([`VocalChannel::emotions`]). No boredom.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ravdess;

impl CorpusFormat for Ravdess {
    fn kind(&self) -> CorpusKind {
        CorpusKind::Ravdess
    }
    fn title(&self) -> &'static str {
        "RAVDESS"
    }
    fn naming(&self) -> &'static str {
        "MM-VV-EE-II-SS-RR-AA"
    }
    fn emotions(&self) -> &'static [Emotion] {
        VocalChannel::Speech.emotions()
    }
    fn detect(&self, file_name: &str) -> bool {
        let stem = stem_of(file_name);
        stem.matches('-').count() >= 2 && stem.chars().all(|c| c.is_ascii_digit() || c == '-')
    }
    fn parse(&self, path: &Path, _root: Option<&Path>) -> Result<ParsedName, CorpusError> {
        RavdessName::parse(file_name_of(path)?).map(ParsedName::from)
    }
}

/// RAVDESS modality (first field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Modality {
    /// `01`: full audio-video (`.mp4`).
    AudioVideo = 1,
    /// `02`: video only.
    VideoOnly = 2,
    /// `03`: audio only (`.wav`).
    AudioOnly = 3,
}

/// RAVDESS vocal channel (second field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VocalChannel {
    /// `01`: speech (all eight study emotions).
    Speech = 1,
    /// `02`: song (emotions 01..06 only: no disgust, no surprise).
    Song = 2,
}

impl VocalChannel {
    /// The emotions this channel has, in RAVDESS order (field value − 1 = position).
    pub fn emotions(self) -> &'static [Emotion] {
        match self {
            VocalChannel::Speech => &Emotion::STUDY,
            VocalChannel::Song => {
                const SONG: [Emotion; 6] = [
                    Emotion::Neutral,
                    Emotion::Calm,
                    Emotion::Happy,
                    Emotion::Sad,
                    Emotion::Angry,
                    Emotion::Fearful,
                ];
                &SONG
            }
        }
    }
}

/// RAVDESS emotional intensity (fourth field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Intensity {
    /// `01`: normal (the only intensity of neutral).
    Normal = 1,
    /// `02`: strong.
    Strong = 2,
}

/// A parsed RAVDESS name `MM-VV-EE-II-SS-RR-AA`.
///
/// Validation follows the corpus: modality 01..03, vocal channel 01..02, emotion 01..08
/// (01..06 for song), intensity 01..02 (01 only for neutral), statement 01..02 (`01` "Kids are
/// talking by the door", `02` "Dogs are sitting by the door"), repetition 01..02, actor 01..24.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RavdessName {
    /// Field 1.
    pub modality: Modality,
    /// Field 2.
    pub vocal_channel: VocalChannel,
    /// Field 3 (class index = field − 1).
    pub emotion: Emotion,
    /// Field 4.
    pub intensity: Intensity,
    /// Field 5: 1 or 2.
    pub statement: u8,
    /// Field 6: 1 or 2.
    pub repetition: u8,
    /// Field 7: 1..=24.
    pub actor: u8,
}

impl RavdessName {
    /// Parses a RAVDESS file name (with any extension or none).
    ///
    /// # Errors
    /// [`CorpusError::BadShape`] unless there are exactly 7 `-`-separated fields,
    /// [`CorpusError::BadField`] naming the first invalid field, e.g. `emotion 09 out of 01..08`.
    pub fn parse(file_name: &str) -> Result<Self, CorpusError> {
        let err = NameErr::new(file_name, CorpusKind::Ravdess);
        let parts: Vec<&str> = stem_of(file_name).split('-').collect();
        if parts.len() != 7 {
            return Err(err.shape(
                "7 two-digit fields MM-VV-EE-II-SS-RR-AA",
                parts.len(),
                "field",
            ));
        }
        const FIELDS: [(&str, u8, u8); 7] = [
            ("modality", 1, 3),
            ("vocal channel", 1, 2),
            ("emotion", 1, 8),
            ("intensity", 1, 2),
            ("statement", 1, 2),
            ("repetition", 1, 2),
            ("actor", 1, 24),
        ];
        let mut v = [0u8; 7];
        for (i, ((field, lo, hi), part)) in FIELDS.iter().zip(&parts).enumerate() {
            let range = format!("{lo:02}..{hi:02}");
            match two_digits(part) {
                Some(x) if (*lo..=*hi).contains(&x) => v[i] = x,
                Some(_) => return Err(err.field(field, part, range)),
                None => return Err(err.field(field, part, format!("two digits {range}"))),
            }
        }
        let modality = match v[0] {
            1 => Modality::AudioVideo,
            2 => Modality::VideoOnly,
            _ => Modality::AudioOnly,
        };
        let vocal_channel = if v[1] == 1 {
            VocalChannel::Speech
        } else {
            VocalChannel::Song
        };
        let emotion = vocal_channel
            .emotions()
            .get(usize::from(v[2]) - 1)
            .copied()
            .ok_or_else(|| {
                err.field(
                    "emotion",
                    parts[2],
                    "01..06 (song has no disgust or surprise)",
                )
            })?;
        if emotion == Emotion::Neutral && v[3] == 2 {
            return Err(err.field(
                "intensity",
                parts[3],
                "01 (neutral has normal intensity only)",
            ));
        }
        Ok(RavdessName {
            modality,
            vocal_channel,
            emotion,
            intensity: if v[3] == 1 {
                Intensity::Normal
            } else {
                Intensity::Strong
            },
            statement: v[4],
            repetition: v[5],
            actor: v[6],
        })
    }

    /// The stem `MM-VV-EE-II-SS-RR-AA` (also the `Display` form).
    pub fn stem(&self) -> String {
        format!(
            "{:02}-{:02}-{:02}-{:02}-{:02}-{:02}-{:02}",
            self.modality as u8,
            self.vocal_channel as u8,
            self.emotion.index() + 1,
            self.intensity as u8,
            self.statement,
            self.repetition,
            self.actor
        )
    }

    /// The file name with extension `ext` (without the dot), e.g. `file_name("wav")`.
    pub fn file_name(&self, ext: &str) -> String {
        format!("{}.{ext}", self.stem())
    }

    /// Odd actors are male, even actors female.
    pub fn gender(&self) -> Gender {
        if self.actor % 2 == 1 {
            Gender::Male
        } else {
            Gender::Female
        }
    }

    /// `ravdess:AA`, the actor's speaker id.
    pub fn speaker(&self) -> String {
        format!("ravdess:{:02}", self.actor)
    }

    /// The take independent of the modality: `ravdess:VV-EE-II-SS-RR-AA`.
    pub fn performance_id(&self) -> String {
        let s = self.stem();
        format!("ravdess:{}", &s[3..])
    }
}

impl ClipName for RavdessName {
    fn label(&self) -> Label {
        self.emotion.into()
    }
    fn speaker_id(&self) -> Option<String> {
        Some(self.speaker())
    }
    fn speaker_gender(&self) -> Option<Gender> {
        Some(self.gender())
    }
    fn performance(&self) -> Option<String> {
        Some(self.performance_id())
    }
}

impl fmt::Display for RavdessName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.stem())
    }
}

impl FromStr for RavdessName {
    type Err = CorpusError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}
