//! The supported corpora, each behind one trait ([`CorpusFormat`]) and registered in one table
//! ([`REGISTRY`]).
//!
//! | corpus  | file name (any extension)                 | speaker id      | gender            |
//! |---------|-------------------------------------------|-----------------|-------------------|
//! | RAVDESS | `MM-VV-EE-II-SS-RR-AA` e.g. `03-01-05-02-01-01-12.wav` (speech `VV=01`, song `VV=02`) | `ravdess:12` | odd actor male, even female |
//! | SAVEE   | `DC_a01.wav`, `DC/a01.wav`, bare `a01.wav` | `savee:DC` (none when bare) | all four (DC, JE, JK, KL) male |
//! | CREMA-D | `1001_DFA_ANG_XX.wav`                      | `crema-d:1001`  | not in the name (None) |
//! | TESS    | `OAF_back_angry.wav`                       | `tess:OAF`      | both (OAF, YAF) female |
//! | EmoDB   | `03a01Fa.wav`                              | `emodb:03`      | 03 10 11 12 15 male, 08 09 13 14 16 female |
//! | ASED    | `a5-03-01-02-50.wav`                       | `ased:50`       | field 4: 01 female, 02 male |
//! | nEMO    | `EB0_anger_1.wav`                          | `nemo:EB0`      | EB0 IC0 KD0 MK0 female, the others male |
//! | manifest | a CSV / JSON-lines file of `path, emotion, speaker` rows | `manifest:<speaker>` | None |
//! | folders | `DIR/<label>/clip.wav`, any label name     | None            | None |
//!
//! Each corpus maps its own codes onto [`Emotion`] in one explicit table (see the `*Emotion`
//! code enums, e.g. [`EmoDbEmotion`]); [`CorpusFormat::emotions`] lists the classes a corpus
//! has, [`CorpusFormat::lacks`] those it does not (EmoDB has boredom but no calm or surprise,
//! RAVDESS song has no disgust or surprise, see [`VocalChannel::emotions`]). User corpora
//! (manifest, folders) take any label names ([`crate::Label::parse`]).
//!
//! A *performance id* identifies one take independently of the medium: for RAVDESS it drops the
//! modality digit, so `01-01-03-01-02-01-07.mp4` (audio-video) and `03-01-03-01-02-01-07.wav`
//! (audio only) are twins; for the other corpora it is the corpus and the parsed fields (the
//! same name with another extension is the same take).
//!
//! Adding a corpus: one file here implementing [`CorpusFormat`] for a unit struct and
//! [`ClipName`] for its parsed name, and one line in the `corpora!` table below.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{Corpus, CorpusError, Emotion, Gender, Label, LabelSet, ScanOptions};

/// Declares a closed set of codes as file names write them: an enum with `as_str`,
/// `from_code`, `ALL`, `expected()` and `Display`; with `=> Emotion` per code also the explicit
/// mapping onto [`Emotion`] (`emotion()`, `EMOTIONS`).
macro_rules! codes {
    (@base $(#[$m:meta])* $name:ident { $( $(#[$vm:meta])* $v:ident = $code:literal, )+ }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash,
                 serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $( $(#[$vm])* #[serde(rename = $code)] $v, )+
        }

        impl $name {
            /// Every code, in the corpus's order.
            pub const ALL: &'static [$name] = &[$($name::$v),+];

            /// The code as the file names write it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$v => $code,)+
                }
            }

            /// Reads a code exactly as the file names write it.
            pub fn from_code(code: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|c| c.as_str() == code)
            }

            /// The codes joined by spaces (what a bad-field error expects).
            pub fn expected() -> String {
                Self::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(" ")
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
    ($(#[$m:meta])* pub enum $name:ident {
        $( $(#[$vm:meta])* $v:ident = $code:literal => $emo:ident, )+
    }) => {
        codes!(@base $(#[$m])* $name { $( $(#[$vm])* $v = $code, )+ });

        impl $name {
            /// The emotion classes of these codes, in the corpus's order.
            pub const EMOTIONS: &'static [Emotion] = &[$(Emotion::$emo),+];

            /// The emotion class this code maps onto.
            pub fn emotion(self) -> Emotion {
                match self {
                    $($name::$v => Emotion::$emo,)+
                }
            }

            /// The code of `emotion`, `None` when the corpus lacks it.
            pub fn from_emotion(emotion: Emotion) -> Option<Self> {
                Self::ALL.iter().copied().find(|c| c.emotion() == emotion)
            }
        }
    };
    ($(#[$m:meta])* pub enum $name:ident { $( $(#[$vm:meta])* $v:ident = $code:literal, )+ }) => {
        codes!(@base $(#[$m])* $name { $( $(#[$vm])* $v = $code, )+ });
    };
}

mod ased;
mod crema_d;
mod emodb;
mod generic;
mod nemo;
mod ravdess;
mod savee;
mod tess;

pub use ased::{Ased, AsedEmotion, AsedName};
pub use crema_d::{CremaD, CremaDEmotion, CremaDName, CremaLevel, CremaSentence};
pub use emodb::{EmoDb, EmoDbEmotion, EmoDbName};
pub use generic::{read_manifest, FolderName, Folders, Manifest, ManifestEntry};
pub use nemo::{Nemo, NemoEmotion, NemoName};
pub use ravdess::{Intensity, Modality, Ravdess, RavdessName, VocalChannel};
pub use savee::{Savee, SaveeCode, SaveeName, SAVEE_SPEAKERS};
pub use tess::{Tess, TessEmotion, TessName};

/// One corpus: its naming scheme, its classes and how it is read.
///
/// Implemented by one unit struct per corpus and registered in [`REGISTRY`]; reach one through
/// [`CorpusKind::format`].
pub trait CorpusFormat: Sync {
    /// The corpus's kind (its entry in [`REGISTRY`]).
    fn kind(&self) -> CorpusKind;

    /// The display name (`"RAVDESS"`, `"CREMA-D"`, ...), used in messages.
    fn title(&self) -> &'static str;

    /// The naming scheme in a few words (e.g. `"MM-VV-EE-II-SS-RR-AA"`), used in messages.
    fn naming(&self) -> &'static str;

    /// Other accepted spellings of [`CorpusKind::id`] (lower-case), e.g. `cremad`.
    fn aliases(&self) -> &'static [&'static str] {
        &[]
    }

    /// The emotion classes this corpus has, in its own order; empty for user corpora, whose
    /// labels are whatever their files say.
    fn emotions(&self) -> &'static [Emotion];

    /// [`CorpusFormat::emotions`] as a label set, `None` for user corpora (any labels).
    fn labels(&self) -> Option<LabelSet> {
        LabelSet::from_emotions(self.emotions()).ok()
    }

    /// The known emotions this corpus does not have (empty for user corpora), e.g. calm and
    /// surprise for EmoDB, boredom for RAVDESS.
    fn lacks(&self) -> Vec<Emotion> {
        let has = self.emotions();
        if has.is_empty() {
            return Vec::new();
        }
        Emotion::ALL
            .into_iter()
            .filter(|e| !has.contains(e))
            .collect()
    }

    /// Whether a file name has this corpus's *shape* (not whether it is valid): separators and
    /// field kinds. Shapes of different corpora do not overlap. Always `false` for corpora that
    /// are not told by file names (manifest, folders).
    fn detect(&self, file_name: &str) -> bool;

    /// Parses `path` under this corpus's scheme. `root` is the scanned folder (the folder
    /// layout labels a clip by the first folder below it); `None` for a lone path.
    ///
    /// # Errors
    /// [`CorpusError::BadShape`] / [`CorpusError::BadField`] naming the field at fault,
    /// [`CorpusError::NotEmotionClip`] for well-formed names of clips that are not emotion
    /// clips, [`CorpusError::BadFileName`] for a path without a UTF-8 name.
    fn parse(&self, path: &Path, root: Option<&Path>) -> Result<ParsedName, CorpusError>;

    /// Reads the corpus at `path`. The default scans the folder `path` applying this scheme to
    /// every file ([`crate::scan_with`] with `force` set to this kind); the manifest corpus
    /// reads the manifest file instead.
    ///
    /// # Errors
    /// As [`crate::scan_with`] (or [`read_manifest`]).
    fn load(&self, path: &Path, opts: &ScanOptions) -> Result<Corpus, CorpusError> {
        crate::scan_with(
            path,
            &ScanOptions {
                force: Some(self.kind()),
                ..opts.clone()
            },
        )
    }
}

/// What an item needs from a parsed name; implemented by each corpus's name type.
pub trait ClipName {
    /// The class (a known emotion for the named corpora, any label for user corpora).
    fn label(&self) -> Label;
    /// The corpus-qualified speaker id (`ravdess:07`, `savee:DC`, ...), `None` if unknown.
    fn speaker_id(&self) -> Option<String>;
    /// The speaker's gender, `None` when the corpus does not tell.
    fn speaker_gender(&self) -> Option<Gender>;
    /// The take (see the module docs), `None` when the name does not tell.
    fn performance(&self) -> Option<String>;
}

/// The registry: declares [`CorpusKind`], [`ParsedName`] and [`REGISTRY`] from one line per
/// corpus: `Variant(NameType) = "id" => FormatStruct;`.
macro_rules! corpora {
    ($( $(#[$doc:meta])* $variant:ident($name:ty) = $id:literal => $format:expr; )+) => {
        /// A corpus (its naming scheme); [`CorpusKind::format`] gives its [`CorpusFormat`].
        ///
        /// Serialised, parsed and printed on the command line as [`CorpusKind::id`];
        /// `Display` is the corpus's title (`RAVDESS`, `CREMA-D`, ...).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash,
                 Serialize, Deserialize)]
        #[non_exhaustive]
        pub enum CorpusKind {
            $( $(#[$doc])* #[serde(rename = $id)] $variant, )+
        }

        impl CorpusKind {
            /// Every registered corpus, in detection order.
            pub const ALL: [CorpusKind; [$($id),+].len()] = [$(CorpusKind::$variant),+];

            /// The lower-case id used in JSON, speaker ids and on the command line
            /// (`"ravdess"`, `"savee"`, `"crema-d"`, `"tess"`, `"emodb"`, `"ased"`, `"nemo"`,
            /// `"manifest"`, `"folders"`).
            pub fn id(self) -> &'static str {
                match self {
                    $(CorpusKind::$variant => $id,)+
                }
            }

            /// The corpus's naming scheme and classes.
            pub fn format(self) -> &'static dyn CorpusFormat {
                match self {
                    $(CorpusKind::$variant => &$format,)+
                }
            }
        }

        /// A file name parsed under one corpus's scheme (serialised with a `"corpus"` tag).
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(tag = "corpus")]
        #[non_exhaustive]
        pub enum ParsedName {
            $( $(#[$doc])* #[serde(rename = $id)] $variant($name), )+
        }

        impl ParsedName {
            /// The corpus.
            pub fn kind(&self) -> CorpusKind {
                match self {
                    $(ParsedName::$variant(_) => CorpusKind::$variant,)+
                }
            }

            fn fields(&self) -> &dyn ClipName {
                match self {
                    $(ParsedName::$variant(n) => n,)+
                }
            }
        }

        $(
            impl From<$name> for ParsedName {
                fn from(n: $name) -> Self {
                    ParsedName::$variant(n)
                }
            }
        )+

        /// Every corpus's format, in detection order (the first whose
        /// [`CorpusFormat::detect`] accepts a name labels it).
        pub static REGISTRY: &[&dyn CorpusFormat] = &[$(&$format),+];
    };
}

corpora! {
    /// RAVDESS (Livingstone & Russo 2018), speech and song, `MM-VV-EE-II-SS-RR-AA`.
    Ravdess(RavdessName) = "ravdess" => ravdess::Ravdess;
    /// SAVEE (Jackson & Haq 2014), `DC_a01` / `DC/a01` / `a01`.
    Savee(SaveeName) = "savee" => savee::Savee;
    /// CREMA-D (Cao et al. 2014), `1001_DFA_ANG_XX`.
    CremaD(CremaDName) = "crema-d" => crema_d::CremaD;
    /// TESS (Toronto emotional speech set), `OAF_back_angry`.
    Tess(TessName) = "tess" => tess::Tess;
    /// EmoDB (Berlin database of emotional speech), `03a01Fa`.
    EmoDb(EmoDbName) = "emodb" => emodb::EmoDb;
    /// ASED (Amharic speech emotion dataset, Retta et al. 2022), `a5-03-01-02-50`.
    Ased(AsedName) = "ased" => ased::Ased;
    /// nEMO (Polish emotional speech), `EB0_anger_1`.
    Nemo(NemoName) = "nemo" => nemo::Nemo;
    /// A user corpus listed in a manifest (CSV or JSON lines of path, emotion, speaker).
    Manifest(ManifestEntry) = "manifest" => generic::Manifest;
    /// A user corpus in one folder per label: `DIR/<label>/clip.wav`.
    Folders(FolderName) = "folders" => generic::Folders;
}

impl fmt::Display for CorpusKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.format().title())
    }
}

impl FromStr for CorpusKind {
    type Err = CorpusError;

    /// Accepts the [`CorpusKind::id`] or one of the [`CorpusFormat::aliases`]
    /// (case-insensitive).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let l = s.trim().to_ascii_lowercase();
        REGISTRY
            .iter()
            .map(|f| f.kind())
            .find(|k| k.id() == l || k.format().aliases().contains(&l.as_str()))
            .ok_or_else(|| CorpusError::UnknownCorpus {
                actual: s.to_string(),
                expected: CorpusKind::ALL.map(CorpusKind::id).join(", "),
            })
    }
}

impl ParsedName {
    /// The class.
    pub fn label(&self) -> Label {
        self.fields().label()
    }

    /// The emotion, `None` for a user corpus's label that is not a known emotion.
    pub fn emotion(&self) -> Option<Emotion> {
        self.label().emotion()
    }

    /// The corpus-qualified speaker id (`ravdess:07`, `savee:DC`, ...), `None` if unknown.
    pub fn speaker(&self) -> Option<String> {
        self.fields().speaker_id()
    }

    /// The speaker's gender, `None` when the corpus does not tell (CREMA-D names, user
    /// corpora).
    pub fn gender(&self) -> Option<Gender> {
        self.fields().speaker_gender()
    }

    /// The performance (take) id, `None` when it cannot be told from the name (a bare SAVEE
    /// name without speaker, user corpora).
    pub fn performance_id(&self) -> Option<String> {
        self.fields().performance()
    }
}

/// The file stem: the name up to its last `.` (the whole name if it has none).
pub fn stem_of(file_name: &str) -> &str {
    match file_name.rfind('.') {
        Some(i) if i > 0 => &file_name[..i],
        _ => file_name,
    }
}

/// `"07"` -> 7; `None` unless exactly two ASCII digits.
pub(crate) fn two_digits(s: &str) -> Option<u8> {
    let b = s.as_bytes();
    if b.len() == 2 && b.iter().all(u8::is_ascii_digit) {
        Some((b[0] - b'0') * 10 + (b[1] - b'0'))
    } else {
        None
    }
}

/// Whether `s` is non-empty and all ASCII digits.
pub(crate) fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// The path's file name as UTF-8.
pub(crate) fn file_name_of(path: &Path) -> Result<&str, CorpusError> {
    path.file_name()
        .and_then(|s| s.to_str())
        .ok_or_else(|| CorpusError::BadFileName {
            path: path.to_path_buf(),
        })
}

/// The one error helper of the name parsers: the file name and corpus every error carries.
#[derive(Clone, Copy)]
pub(crate) struct NameErr<'a> {
    name: &'a str,
    corpus: CorpusKind,
}

impl<'a> NameErr<'a> {
    /// Errors about `name` under `corpus`'s scheme.
    pub(crate) fn new(name: &'a str, corpus: CorpusKind) -> Self {
        Self { name, corpus }
    }

    /// [`CorpusError::BadField`]: `field` holds `actual`, expected `expected`.
    pub(crate) fn field(
        self,
        field: &'static str,
        actual: &str,
        expected: impl Into<String>,
    ) -> CorpusError {
        CorpusError::BadField {
            name: self.name.to_string(),
            corpus: self.corpus,
            field,
            actual: actual.to_string(),
            expected: expected.into(),
        }
    }

    /// [`CorpusError::BadShape`]: expected `expected`, got `count` `unit`s.
    pub(crate) fn shape(self, expected: &'static str, count: usize, unit: &str) -> CorpusError {
        CorpusError::BadShape {
            name: self.name.to_string(),
            corpus: self.corpus,
            expected,
            actual: format!("{count} {unit}(s)"),
        }
    }

    /// [`CorpusError::NotEmotionClip`] with `reason`.
    pub(crate) fn not_clip(self, reason: &'static str) -> CorpusError {
        CorpusError::NotEmotionClip {
            name: self.name.to_string(),
            corpus: self.corpus,
            reason,
        }
    }
}

/// Guesses the corpus from the *shape* of a file name (not its validity): the first registered
/// corpus whose [`CorpusFormat::detect`] accepts it. `None` if no scheme fits. A name that fits
/// a shape but has a wrong field is then reported by that corpus's parser with the field at
/// fault.
pub fn detect(file_name: &str) -> Option<CorpusKind> {
    REGISTRY
        .iter()
        .find(|f| f.detect(file_name))
        .map(|f| f.kind())
}

/// Parses `path` under `force`'s scheme, or the scheme [`detect`]ed from its file name. For
/// SAVEE the parent folder supplies the speaker of a bare name (`DC/a01.wav`); for the folder
/// layout the parent folder is the label.
///
/// # Errors
/// [`CorpusError::UnknownNaming`] when no scheme fits; otherwise the corpus parser's error.
pub fn parse_path(path: &Path, force: Option<CorpusKind>) -> Result<ParsedName, CorpusError> {
    parse_under(path, None, force)
}

/// [`parse_path`] for a file found under the scanned folder `root`.
pub(crate) fn parse_under(
    path: &Path,
    root: Option<&Path>,
    force: Option<CorpusKind>,
) -> Result<ParsedName, CorpusError> {
    let kind = match force {
        Some(k) => k,
        None => {
            let name = file_name_of(path)?;
            detect(name).ok_or_else(|| CorpusError::UnknownNaming {
                name: name.to_string(),
                schemes: REGISTRY
                    .iter()
                    .filter(|f| !f.emotions().is_empty())
                    .map(|f| format!("{} {}", f.title(), f.naming()))
                    .collect::<Vec<_>>()
                    .join(", "),
            })?
        }
    };
    kind.format().parse(path, root)
}
