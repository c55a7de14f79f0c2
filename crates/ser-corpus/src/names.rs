//! File-name parsing for the supported corpora.
//!
//! | corpus  | file name (any extension)                 | speaker id      | gender            |
//! |---------|-------------------------------------------|-----------------|-------------------|
//! | RAVDESS | `MM-VV-EE-II-SS-RR-AA` e.g. `03-01-05-02-01-01-12.wav` | `ravdess:12` | odd actor male, even female |
//! | SAVEE   | `DC_a01.wav`, `DC/a01.wav`, bare `a01.wav` | `savee:DC` (none when bare) | all four (DC, JE, JK, KL) male |
//! | CREMA-D | `1001_DFA_ANG_XX.wav`                      | `crema-d:1001`  | not in the name (None) |
//! | TESS    | `OAF_back_angry.wav`                       | `tess:OAF`      | both (OAF, YAF) female |
//! | EmoDB   | `03a01Fa.wav`                              | `emodb:03`      | 03 10 11 12 15 male, 08 09 13 14 16 female |
//!
//! The emotion mapping onto [`Emotion`] is documented on [`Emotion`]. A *performance id*
//! identifies one take independently of the medium: for RAVDESS it drops the modality digit, so
//! `01-01-03-01-02-01-07.mp4` (audio-video) and `03-01-03-01-02-01-07.wav` (audio only) are
//! twins; for the other corpora it is the corpus and the stem (the same name with another
//! extension is the same take).

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{CorpusError, Emotion, Gender};

/// The corpus a file belongs to (detected from its name, see [`detect`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum CorpusKind {
    /// RAVDESS (Livingstone & Russo 2018), `MM-VV-EE-II-SS-RR-AA`.
    #[serde(rename = "ravdess")]
    Ravdess,
    /// SAVEE (Jackson & Haq 2014), `DC_a01` / `DC/a01` / `a01`.
    #[serde(rename = "savee")]
    Savee,
    /// CREMA-D (Cao et al. 2014), `1001_DFA_ANG_XX`.
    #[serde(rename = "crema-d")]
    CremaD,
    /// TESS (Toronto emotional speech set), `OAF_back_angry`.
    #[serde(rename = "tess")]
    Tess,
    /// EmoDB (Berlin database of emotional speech), `03a01Fa`.
    #[serde(rename = "emodb")]
    EmoDb,
}

impl CorpusKind {
    /// All supported corpora.
    pub const ALL: [CorpusKind; 5] = [
        CorpusKind::Ravdess,
        CorpusKind::Savee,
        CorpusKind::CremaD,
        CorpusKind::Tess,
        CorpusKind::EmoDb,
    ];

    /// The lower-case id used in JSON, speaker ids and on the command line
    /// (`"ravdess"`, `"savee"`, `"crema-d"`, `"tess"`, `"emodb"`).
    pub fn id(self) -> &'static str {
        match self {
            CorpusKind::Ravdess => "ravdess",
            CorpusKind::Savee => "savee",
            CorpusKind::CremaD => "crema-d",
            CorpusKind::Tess => "tess",
            CorpusKind::EmoDb => "emodb",
        }
    }
}

impl fmt::Display for CorpusKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CorpusKind::Ravdess => "RAVDESS",
            CorpusKind::Savee => "SAVEE",
            CorpusKind::CremaD => "CREMA-D",
            CorpusKind::Tess => "TESS",
            CorpusKind::EmoDb => "EmoDB",
        })
    }
}

impl FromStr for CorpusKind {
    type Err = CorpusError;

    /// Accepts the [`CorpusKind::id`] (case-insensitive).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let l = s.to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|k| k.id() == l || (l == "cremad" && *k == CorpusKind::CremaD))
            .ok_or_else(|| CorpusError::UnknownCorpus {
                actual: s.to_string(),
            })
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
    /// `01`: speech.
    Speech = 1,
    /// `02`: song (emotions 01..06 only).
    Song = 2,
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

/// The file stem: the name up to its last `.` (the whole name if it has none).
pub fn stem_of(file_name: &str) -> &str {
    match file_name.rfind('.') {
        Some(i) if i > 0 => &file_name[..i],
        _ => file_name,
    }
}

fn two_digits(s: &str) -> Option<u8> {
    let b = s.as_bytes();
    if b.len() == 2 && b.iter().all(u8::is_ascii_digit) {
        Some((b[0] - b'0') * 10 + (b[1] - b'0'))
    } else {
        None
    }
}

impl RavdessName {
    /// Parses a RAVDESS file name (with any extension or none).
    ///
    /// # Errors
    /// [`CorpusError::BadShape`] unless there are exactly 7 `-`-separated fields,
    /// [`CorpusError::BadField`] naming the first invalid field, e.g. `emotion 09 out of 01..08`.
    pub fn parse(file_name: &str) -> Result<Self, CorpusError> {
        let stem = stem_of(file_name);
        let parts: Vec<&str> = stem.split('-').collect();
        if parts.len() != 7 {
            return Err(CorpusError::BadShape {
                name: file_name.to_string(),
                corpus: CorpusKind::Ravdess,
                expected: "7 two-digit fields MM-VV-EE-II-SS-RR-AA",
                actual: format!("{} field(s)", parts.len()),
            });
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
        let bad = |field: &'static str, actual: &str, expected: String| CorpusError::BadField {
            name: file_name.to_string(),
            corpus: CorpusKind::Ravdess,
            field,
            actual: actual.to_string(),
            expected,
        };
        let mut v = [0u8; 7];
        for (i, ((field, lo, hi), part)) in FIELDS.iter().zip(&parts).enumerate() {
            let range = format!("{lo:02}..{hi:02}");
            match two_digits(part) {
                Some(x) if (*lo..=*hi).contains(&x) => v[i] = x,
                Some(_) => return Err(bad(field, part, range)),
                None => return Err(bad(field, part, format!("two digits {range}"))),
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
        if vocal_channel == VocalChannel::Song && v[2] > 6 {
            return Err(bad(
                "emotion",
                parts[2],
                "01..06 (song has no disgust or surprise)".into(),
            ));
        }
        if v[2] == 1 && v[3] == 2 {
            return Err(bad(
                "intensity",
                parts[3],
                "01 (neutral has normal intensity only)".into(),
            ));
        }
        let emotion = Emotion::STUDY
            .get(usize::from(v[2]).wrapping_sub(1))
            .copied()
            .ok_or_else(|| bad("emotion", parts[2], "01..08".into()))?;
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

/// The four SAVEE speakers (all male).
pub const SAVEE_SPEAKERS: [&str; 4] = ["DC", "JE", "JK", "KL"];

/// A parsed SAVEE name: `DC_a01`, `DC/a01` or bare `a01`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SaveeName {
    /// One of [`SAVEE_SPEAKERS`], `None` for a bare name outside a speaker folder.
    pub speaker: Option<String>,
    /// The emotion code as written: `a`, `d`, `f`, `h`, `n`, `sa` or `su`.
    pub code: String,
    /// Sentence number: 1..=15 (1..=30 for neutral).
    pub number: u8,
    /// The mapped emotion.
    pub emotion: Emotion,
}

fn savee_emotion(code: &str) -> Option<Emotion> {
    Some(match code {
        "a" => Emotion::Angry,
        "d" => Emotion::Disgust,
        "f" => Emotion::Fearful,
        "h" => Emotion::Happy,
        "n" => Emotion::Neutral,
        "sa" => Emotion::Sad,
        "su" => Emotion::Surprised,
        _ => return None,
    })
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
        let stem = stem_of(file_name);
        let bad = |field: &'static str, actual: &str, expected: &str| CorpusError::BadField {
            name: file_name.to_string(),
            corpus: CorpusKind::Savee,
            field,
            actual: actual.to_string(),
            expected: expected.to_string(),
        };
        let (speaker, rest) = match stem.split_once('_') {
            Some((sp, rest)) => {
                if !SAVEE_SPEAKERS.contains(&sp) {
                    return Err(bad("speaker", sp, "DC, JE, JK or KL"));
                }
                (Some(sp.to_string()), rest)
            }
            None => (folder.map(str::to_string), stem),
        };
        if rest.starts_with('c') {
            return Err(CorpusError::NotEmotionClip {
                name: file_name.to_string(),
                corpus: CorpusKind::Savee,
                reason:
                    "SAVEE names starting with 'c' are not emotion clips (the study skipped them)",
            });
        }
        let split = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let (code, digits) = rest.split_at(split);
        let emotion = savee_emotion(code)
            .ok_or_else(|| bad("emotion code", code, "a, d, f, h, n, sa or su"))?;
        let max = if code == "n" { 30 } else { 15 };
        let expected = format!("01..{max}");
        let number = match two_digits(digits) {
            Some(n) if (1..=max).contains(&n) => n,
            _ => return Err(bad("sentence number", digits, &expected)),
        };
        Ok(SaveeName {
            speaker,
            code: code.to_string(),
            number,
            emotion,
        })
    }

    /// The flat-layout stem `DC_a01` (or `a01` without speaker).
    pub fn stem(&self) -> String {
        match &self.speaker {
            Some(s) => format!("{s}_{}{:02}", self.code, self.number),
            None => format!("{}{:02}", self.code, self.number),
        }
    }
}

/// CREMA-D sentence codes.
pub const CREMA_D_SENTENCES: [&str; 12] = [
    "IEO", "TIE", "IOM", "IWW", "TAI", "MTI", "IWL", "ITH", "DFA", "ITS", "TSI", "WSI",
];

/// A parsed CREMA-D name `1001_DFA_ANG_XX`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CremaDName {
    /// Actor 1001..=1091.
    pub actor: u16,
    /// One of [`CREMA_D_SENTENCES`].
    pub sentence: String,
    /// `ANG`, `DIS`, `FEA`, `HAP`, `NEU` or `SAD` mapped onto [`Emotion`].
    pub emotion: Emotion,
    /// `LO`, `MD`, `HI` or `XX` (unspecified).
    pub level: String,
}

impl CremaDName {
    /// Parses `1001_DFA_ANG_XX[.ext]`.
    ///
    /// # Errors
    /// [`CorpusError::BadShape`] / [`CorpusError::BadField`] naming the wrong field.
    pub fn parse(file_name: &str) -> Result<Self, CorpusError> {
        let stem = stem_of(file_name);
        let parts: Vec<&str> = stem.split('_').collect();
        let bad = |field: &'static str, actual: &str, expected: &str| CorpusError::BadField {
            name: file_name.to_string(),
            corpus: CorpusKind::CremaD,
            field,
            actual: actual.to_string(),
            expected: expected.to_string(),
        };
        let [actor, sentence, emo, level] = parts[..] else {
            return Err(CorpusError::BadShape {
                name: file_name.to_string(),
                corpus: CorpusKind::CremaD,
                expected: "4 fields ACTOR_SEN_EMO_LVL",
                actual: format!("{} field(s)", parts.len()),
            });
        };
        let actor_n = match actor.parse::<u16>() {
            Ok(a) if actor.len() == 4 && (1001..=1091).contains(&a) => a,
            _ => return Err(bad("actor", actor, "1001..1091")),
        };
        if !CREMA_D_SENTENCES.contains(&sentence) {
            return Err(bad(
                "sentence",
                sentence,
                "IEO TIE IOM IWW TAI MTI IWL ITH DFA ITS TSI WSI",
            ));
        }
        let emotion = match emo {
            "ANG" => Emotion::Angry,
            "DIS" => Emotion::Disgust,
            "FEA" => Emotion::Fearful,
            "HAP" => Emotion::Happy,
            "NEU" => Emotion::Neutral,
            "SAD" => Emotion::Sad,
            _ => return Err(bad("emotion", emo, "ANG DIS FEA HAP NEU SAD")),
        };
        if !["LO", "MD", "HI", "XX"].contains(&level) {
            return Err(bad("level", level, "LO MD HI XX"));
        }
        Ok(CremaDName {
            actor: actor_n,
            sentence: sentence.to_string(),
            emotion,
            level: level.to_string(),
        })
    }
}

/// A parsed TESS name `OAF_back_angry`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TessName {
    /// `OAF` (older talker) or `YAF` (younger talker), both female.
    pub speaker: String,
    /// The target word (`back`, ...).
    pub word: String,
    /// `angry`, `disgust`, `fear`, `happy`, `neutral`, `ps` (pleasant surprise) or `sad`
    /// (case-insensitive) mapped onto [`Emotion`].
    pub emotion: Emotion,
}

impl TessName {
    /// Parses `OAF_back_angry[.ext]`.
    ///
    /// # Errors
    /// [`CorpusError::BadShape`] / [`CorpusError::BadField`] naming the wrong field.
    pub fn parse(file_name: &str) -> Result<Self, CorpusError> {
        let stem = stem_of(file_name);
        let parts: Vec<&str> = stem.split('_').collect();
        let bad = |field: &'static str, actual: &str, expected: &str| CorpusError::BadField {
            name: file_name.to_string(),
            corpus: CorpusKind::Tess,
            field,
            actual: actual.to_string(),
            expected: expected.to_string(),
        };
        let [speaker, word, emo] = parts[..] else {
            return Err(CorpusError::BadShape {
                name: file_name.to_string(),
                corpus: CorpusKind::Tess,
                expected: "3 fields SPEAKER_word_emotion",
                actual: format!("{} field(s)", parts.len()),
            });
        };
        if speaker != "OAF" && speaker != "YAF" {
            return Err(bad("speaker", speaker, "OAF or YAF"));
        }
        if word.is_empty() || !word.chars().all(|c| c.is_ascii_alphabetic()) {
            return Err(bad("word", word, "a non-empty alphabetic word"));
        }
        let emotion = match emo.to_ascii_lowercase().as_str() {
            "angry" => Emotion::Angry,
            "disgust" => Emotion::Disgust,
            "fear" => Emotion::Fearful,
            "happy" => Emotion::Happy,
            "neutral" => Emotion::Neutral,
            "ps" => Emotion::Surprised,
            "sad" => Emotion::Sad,
            _ => {
                return Err(bad(
                    "emotion",
                    emo,
                    "angry disgust fear happy neutral ps sad",
                ))
            }
        };
        Ok(TessName {
            speaker: speaker.to_string(),
            word: word.to_string(),
            emotion,
        })
    }
}

/// A parsed EmoDB name `03a01Fa`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EmoDbName {
    /// Speaker 03, 08, 09, 10, 11, 12, 13, 14, 15 or 16.
    pub speaker: u8,
    /// Text code: a01 a02 a04 a05 a07 b01 b02 b03 b09 b10.
    pub text: String,
    /// Emotion letter W/E/A/F/T/N mapped onto [`Emotion`] (L, boredom, is rejected).
    pub emotion: Emotion,
    /// Version letter a..z.
    pub version: char,
}

const EMODB_MALE: [u8; 5] = [3, 10, 11, 12, 15];
const EMODB_FEMALE: [u8; 5] = [8, 9, 13, 14, 16];
const EMODB_TEXTS: [&str; 10] = [
    "a01", "a02", "a04", "a05", "a07", "b01", "b02", "b03", "b09", "b10",
];

impl EmoDbName {
    /// Parses `03a01Fa[.ext]`.
    ///
    /// # Errors
    /// [`CorpusError::BadShape`] / [`CorpusError::BadField`] naming the wrong field;
    /// [`CorpusError::NotEmotionClip`] for boredom (`L`).
    pub fn parse(file_name: &str) -> Result<Self, CorpusError> {
        let stem = stem_of(file_name);
        let bad = |field: &'static str, actual: &str, expected: &str| CorpusError::BadField {
            name: file_name.to_string(),
            corpus: CorpusKind::EmoDb,
            field,
            actual: actual.to_string(),
            expected: expected.to_string(),
        };
        if stem.len() != 7 || !stem.is_ascii() {
            return Err(CorpusError::BadShape {
                name: file_name.to_string(),
                corpus: CorpusKind::EmoDb,
                expected: "7 characters SStttEv (e.g. 03a01Fa)",
                actual: format!("{} character(s)", stem.chars().count()),
            });
        }
        let (sp, rest) = stem.split_at(2);
        let (text, rest) = rest.split_at(3);
        let (emo, version) = rest.split_at(1);
        let speaker = match two_digits(sp) {
            Some(s) if EMODB_MALE.contains(&s) || EMODB_FEMALE.contains(&s) => s,
            _ => return Err(bad("speaker", sp, "03 08 09 10 11 12 13 14 15 16")),
        };
        if !EMODB_TEXTS.contains(&text) {
            return Err(bad("text", text, "a01 a02 a04 a05 a07 b01 b02 b03 b09 b10"));
        }
        let emotion = match emo {
            "W" => Emotion::Angry,
            "E" => Emotion::Disgust,
            "A" => Emotion::Fearful,
            "F" => Emotion::Happy,
            "T" => Emotion::Sad,
            "N" => Emotion::Neutral,
            "L" => {
                return Err(CorpusError::NotEmotionClip {
                    name: file_name.to_string(),
                    corpus: CorpusKind::EmoDb,
                    reason: "EmoDB boredom (L) has no counterpart in the 8-emotion set",
                })
            }
            _ => return Err(bad("emotion", emo, "W L E A F T N")),
        };
        let version = match version.chars().next() {
            Some(c) if c.is_ascii_lowercase() => c,
            _ => return Err(bad("version", version, "a..z")),
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
        if EMODB_MALE.contains(&self.speaker) {
            Gender::Male
        } else {
            Gender::Female
        }
    }
}

/// A file name parsed under one corpus's scheme.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "corpus", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum ParsedName {
    /// RAVDESS.
    #[serde(rename = "ravdess")]
    Ravdess(RavdessName),
    /// SAVEE.
    #[serde(rename = "savee")]
    Savee(SaveeName),
    /// CREMA-D.
    #[serde(rename = "crema-d")]
    CremaD(CremaDName),
    /// TESS.
    #[serde(rename = "tess")]
    Tess(TessName),
    /// EmoDB.
    #[serde(rename = "emodb")]
    EmoDb(EmoDbName),
}

impl ParsedName {
    /// The corpus.
    pub fn kind(&self) -> CorpusKind {
        match self {
            ParsedName::Ravdess(_) => CorpusKind::Ravdess,
            ParsedName::Savee(_) => CorpusKind::Savee,
            ParsedName::CremaD(_) => CorpusKind::CremaD,
            ParsedName::Tess(_) => CorpusKind::Tess,
            ParsedName::EmoDb(_) => CorpusKind::EmoDb,
        }
    }

    /// The emotion label.
    pub fn emotion(&self) -> Emotion {
        match self {
            ParsedName::Ravdess(n) => n.emotion,
            ParsedName::Savee(n) => n.emotion,
            ParsedName::CremaD(n) => n.emotion,
            ParsedName::Tess(n) => n.emotion,
            ParsedName::EmoDb(n) => n.emotion,
        }
    }

    /// The corpus-qualified speaker id (`ravdess:07`, `savee:DC`, ...), `None` if unknown.
    pub fn speaker(&self) -> Option<String> {
        match self {
            ParsedName::Ravdess(n) => Some(n.speaker()),
            ParsedName::Savee(n) => n.speaker.as_ref().map(|s| format!("savee:{s}")),
            ParsedName::CremaD(n) => Some(format!("crema-d:{}", n.actor)),
            ParsedName::Tess(n) => Some(format!("tess:{}", n.speaker)),
            ParsedName::EmoDb(n) => Some(format!("emodb:{:02}", n.speaker)),
        }
    }

    /// The speaker's gender, `None` when the name does not tell (CREMA-D).
    pub fn gender(&self) -> Option<Gender> {
        match self {
            ParsedName::Ravdess(n) => Some(n.gender()),
            ParsedName::Savee(_) => Some(Gender::Male),
            ParsedName::CremaD(_) => None,
            ParsedName::Tess(_) => Some(Gender::Female),
            ParsedName::EmoDb(n) => Some(n.gender()),
        }
    }

    /// The performance (take) id, `None` when it cannot be told from the name (a bare SAVEE
    /// name without speaker).
    pub fn performance_id(&self) -> Option<String> {
        match self {
            ParsedName::Ravdess(n) => Some(n.performance_id()),
            ParsedName::Savee(n) => n.speaker.is_some().then(|| format!("savee:{}", n.stem())),
            ParsedName::CremaD(n) => Some(format!(
                "crema-d:{}_{}_{}_{}",
                n.actor,
                n.sentence,
                match n.emotion {
                    Emotion::Angry => "ANG",
                    Emotion::Disgust => "DIS",
                    Emotion::Fearful => "FEA",
                    Emotion::Happy => "HAP",
                    Emotion::Neutral => "NEU",
                    _ => "SAD",
                },
                n.level
            )),
            ParsedName::Tess(n) => Some(format!(
                "tess:{}_{}_{}",
                n.speaker,
                n.word,
                n.emotion.name()
            )),
            ParsedName::EmoDb(n) => Some(format!(
                "emodb:{:02}{}{}{}",
                n.speaker,
                n.text,
                n.emotion.name(),
                n.version
            )),
        }
    }
}

fn file_name_of(path: &Path) -> Result<&str, CorpusError> {
    path.file_name()
        .and_then(|s| s.to_str())
        .ok_or_else(|| CorpusError::BadFileName {
            path: path.to_path_buf(),
        })
}

/// Guesses the corpus from the *shape* of a file name (not its validity): the scheme whose
/// separators and field kinds match. `None` if no scheme fits. A name that fits a shape but
/// has a wrong field is then reported by that corpus's parser with the field at fault.
pub fn detect(file_name: &str) -> Option<CorpusKind> {
    let stem = stem_of(file_name);
    let b = stem.as_bytes();
    let dashes = stem.matches('-').count();
    if dashes >= 2 && stem.chars().all(|c| c.is_ascii_digit() || c == '-') {
        return Some(CorpusKind::Ravdess);
    }
    let us: Vec<&str> = stem.split('_').collect();
    match us.len() {
        4 if us[0].len() == 4 && us[0].chars().all(|c| c.is_ascii_digit()) => {
            return Some(CorpusKind::CremaD)
        }
        3 if us[0].len() == 3 && us[0].chars().all(|c| c.is_ascii_uppercase()) => {
            return Some(CorpusKind::Tess)
        }
        2 if us[0].len() == 2
            && us[0].chars().all(|c| c.is_ascii_uppercase())
            && is_savee_bare(us[1]) =>
        {
            return Some(CorpusKind::Savee)
        }
        _ => {}
    }
    if b.len() == 7
        && b[..2].iter().all(u8::is_ascii_digit)
        && b[2].is_ascii_lowercase()
        && b[3..5].iter().all(u8::is_ascii_digit)
        && b[5].is_ascii_uppercase()
        && b[6].is_ascii_lowercase()
    {
        return Some(CorpusKind::EmoDb);
    }
    if is_savee_bare(stem) {
        return Some(CorpusKind::Savee);
    }
    None
}

fn is_savee_bare(s: &str) -> bool {
    let letters = s.chars().take_while(|c| c.is_ascii_lowercase()).count();
    (1..=2).contains(&letters)
        && s.len() == letters + 2
        && s[letters..].chars().all(|c| c.is_ascii_digit())
}

/// Parses `path`'s file name under `force`'s scheme, or the scheme [`detect`]ed from the name.
/// For SAVEE the parent folder supplies the speaker of a bare name (`DC/a01.wav`).
///
/// # Errors
/// [`CorpusError::UnknownNaming`] when no scheme fits; otherwise the corpus parser's error.
pub fn parse_path(path: &Path, force: Option<CorpusKind>) -> Result<ParsedName, CorpusError> {
    let name = file_name_of(path)?;
    let kind = match force.or_else(|| detect(name)) {
        Some(k) => k,
        None => {
            return Err(CorpusError::UnknownNaming {
                name: name.to_string(),
            })
        }
    };
    Ok(match kind {
        CorpusKind::Ravdess => ParsedName::Ravdess(RavdessName::parse(name)?),
        CorpusKind::Savee => ParsedName::Savee(SaveeName::parse_path(path)?),
        CorpusKind::CremaD => ParsedName::CremaD(CremaDName::parse(name)?),
        CorpusKind::Tess => ParsedName::Tess(TessName::parse(name)?),
        CorpusKind::EmoDb => ParsedName::EmoDb(EmoDbName::parse(name)?),
    })
}
