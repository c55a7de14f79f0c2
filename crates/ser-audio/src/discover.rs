//! Finding audio files: the one list of file extensions this crate decodes, and the one
//! recursive directory walker every tool uses (the corpus scanner, `predict`, `evaluate`, the
//! corpus tools).
//!
//! Files are picked by extension ([`AUDIO_EXTENSIONS`], case-insensitive), which is cheap and
//! never opens a file. The extension is only a filter: [`load`](crate::load) recognises the
//! container by its content, so a file whose extension lies (an AIFF file named `.wav`) still
//! decodes.
//!
//! ```
//! # fn main() -> Result<(), ser_audio::AudioError> {
//! # let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/data/ravdess");
//! use ser_audio::discover::{audio_files, is_audio_path};
//!
//! assert!(is_audio_path("clip.FLAC") && !is_audio_path("notes.txt"));
//! let files = audio_files(dir)?; // recursive, sorted
//! assert_eq!(files.len(), 4);
//! # Ok(())
//! # }
//! ```
//!
//! # The walk
//! [`walk`] descends into sub-directories recursively and returns the audio files and every
//! other entry it passed over ([`Skipped`], with the reason), both sorted by path (component
//! by component), so the result does not depend on the file system's listing order.
//!
//! - A directory is never a file, whatever its name: a directory named `x.wav` is descended
//!   into, not listed.
//! - Hidden entries (name starting with `.`, e.g. `.git`, macOS `._clip.wav` resource files)
//!   are skipped ([`SkipReason::Hidden`]); hidden directories are not descended into. The root
//!   itself is walked whatever its name.
//! - Symbolic links to files are followed. Symbolic links to directories are skipped unless
//!   [`WalkOptions::follow_dir_links`] is set (the default avoids cycles). A link that points
//!   nowhere is [`SkipReason::Unreadable`].
//! - A root that is a file is a walk of that one file.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use crate::AudioError;

/// File extensions (lower-case, compared case-insensitively) of the audio files this crate
/// decodes; each is proven by a test decoding a committed fixture under that name.
///
/// | extensions | container / codec |
/// |---|---|
/// | `wav`, `wave` | RIFF WAVE (PCM, float, A-law/µ-law, ADPCM) |
/// | `aif`, `aiff` | AIFF (PCM) |
/// | `caf` | Core Audio Format (PCM) |
/// | `flac` | FLAC |
/// | `mp3` | MPEG-1/2 Layer III |
/// | `ogg`, `oga` | Ogg Vorbis |
/// | `m4a`, `mp4` | AAC-LC in MP4 (`mp4`: RAVDESS audio-video files carry an audio track) |
/// | `aac` | AAC-LC in ADTS |
/// | `mka`, `mkv`, `webm` | Matroska / WebM with FLAC or Vorbis |
///
/// Not listed: `.opus`. Symphonia recognises Ogg Opus but has no Opus decoder, and the Rust Opus
/// decoders available wrap the C libopus; such a file is
/// [`AudioError::UnsupportedCodec`] (codec `"opus"`) when loaded by name.
pub const AUDIO_EXTENSIONS: &[&str] = &[
    "wav", "wave", "aif", "aiff", "caf", "flac", "mp3", "ogg", "oga", "m4a", "mp4", "aac", "mka",
    "mkv", "webm",
];

/// Whether `path`'s extension is one of [`AUDIO_EXTENSIONS`] (case-insensitive). Looks at the
/// name only; see [`walk`] for telling files from directories.
pub fn is_audio_path(path: impl AsRef<Path>) -> bool {
    path.as_ref()
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| {
            AUDIO_EXTENSIONS
                .iter()
                .any(|known| known.eq_ignore_ascii_case(e))
        })
}

/// Options of [`walk`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WalkOptions {
    /// Descend into symbolic links to directories. Default `false`: they are skipped with
    /// [`SkipReason::DirLinkNotFollowed`], which avoids cycles.
    pub follow_dir_links: bool,
}

/// The result of [`walk`]: audio files and everything else passed over, both sorted by path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Walk {
    /// Files with an audio extension, sorted by path.
    pub audio: Vec<PathBuf>,
    /// Entries that are not audio files (or could not be examined), sorted by path.
    pub skipped: Vec<Skipped>,
}

/// An entry [`walk`] passed over, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The file, link or directory.
    pub path: PathBuf,
    /// Why it is not in [`Walk::audio`].
    pub reason: SkipReason,
}

/// Why [`walk`] passed over an entry.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// A file whose extension is not one of [`AUDIO_EXTENSIONS`].
    NotAudio {
        /// Its extension, lower-case; empty if it has none.
        extension: String,
    },
    /// A hidden entry (name starting with `.`); a hidden directory is not descended into.
    Hidden,
    /// A symbolic link to a directory, not followed ([`WalkOptions::follow_dir_links`]).
    DirLinkNotFollowed,
    /// The entry could not be examined (e.g. a link pointing nowhere).
    Unreadable {
        /// What the file system reported.
        detail: String,
    },
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::NotAudio { extension } => {
                write!(f, "not an audio file (extension {extension:?})")
            }
            SkipReason::Hidden => f.write_str("hidden (name starts with '.')"),
            SkipReason::DirLinkNotFollowed => {
                f.write_str("symbolic link to a directory not followed")
            }
            SkipReason::Unreadable { detail } => write!(f, "unreadable: {detail}"),
        }
    }
}

/// The audio files under `root` (recursive, sorted; see [`walk`] with default options).
///
/// # Errors
/// As [`walk`].
pub fn audio_files(root: impl AsRef<Path>) -> Result<Vec<PathBuf>, AudioError> {
    walk(root, &WalkOptions::default()).map(|w| w.audio)
}

/// Walks `root` recursively (see the [module docs](self) for the rules).
///
/// # Errors
/// [`AudioError::NotFound`] if `root` does not exist; [`AudioError::Io`] (naming the directory
/// or entry) when a directory cannot be listed or an entry's metadata cannot be read.
pub fn walk(root: impl AsRef<Path>, opts: &WalkOptions) -> Result<Walk, AudioError> {
    let root = root.as_ref();
    let mut out = Walk::default();
    let meta = fs::metadata(root).map_err(|e| crate::io_error(root, e))?;
    if meta.is_dir() {
        walk_dir(root, opts, &mut out)?;
    } else {
        classify_file(root.to_path_buf(), &mut out);
    }
    out.audio.sort();
    out.skipped.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

fn classify_file(path: PathBuf, out: &mut Walk) {
    if is_audio_path(&path) {
        out.audio.push(path);
    } else {
        let extension = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        out.skipped.push(Skipped {
            path,
            reason: SkipReason::NotAudio { extension },
        });
    }
}

fn walk_dir(dir: &Path, opts: &WalkOptions, out: &mut Walk) -> Result<(), AudioError> {
    let io = |e| crate::io_error(dir, e);
    let mut entries = Vec::new();
    for entry in fs::read_dir(dir).map_err(io)? {
        entries.push(entry.map_err(io)?.path());
    }
    entries.sort();
    for path in entries {
        let skip = |out: &mut Walk, path, reason| out.skipped.push(Skipped { path, reason });
        if path
            .file_name()
            .is_some_and(|n| n.as_encoded_bytes().first() == Some(&b'.'))
        {
            skip(out, path, SkipReason::Hidden);
            continue;
        }
        let link = fs::symlink_metadata(&path).map_err(|e| crate::io_error(&path, e))?;
        // Follow links to see what they point at; a dangling link is skipped as unreadable.
        let meta = match fs::metadata(&path) {
            Ok(m) => m,
            Err(e) => {
                let detail = e.to_string();
                skip(out, path, SkipReason::Unreadable { detail });
                continue;
            }
        };
        if !meta.is_dir() {
            classify_file(path, out);
        } else if link.file_type().is_symlink() && !opts.follow_dir_links {
            skip(out, path, SkipReason::DirLinkNotFollowed);
        } else {
            walk_dir(&path, opts, out)?;
        }
    }
    Ok(())
}
