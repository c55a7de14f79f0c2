//! Scanning a directory tree into a [`Corpus`].

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use ser_audio::discover::{self, SkipReason, Skipped, WalkOptions};

use crate::corpora::{parse_path, parse_under, CorpusKind, ParsedName};
use crate::{CorpusError, Emotion, Gender, Label, LabelSet};

/// File extensions (lower-case, compared case-insensitively) treated as audio by [`scan`]:
/// [`ser_audio::discover::AUDIO_EXTENSIONS`], the ones `ser-audio` decodes.
pub use ser_audio::discover::AUDIO_EXTENSIONS;

/// One labelled clip.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    /// The file, as found by the scanner (root joined with the relative path).
    pub path: PathBuf,
    /// The corpus whose naming scheme labelled it.
    pub corpus: CorpusKind,
    /// The class: a known emotion for the named corpora, any label for user corpora.
    /// (Serialised as `label`; older files with `emotion` still read.)
    #[serde(alias = "emotion")]
    pub label: Label,
    /// Corpus-qualified speaker id (`ravdess:07`), `None` when the name does not tell.
    pub speaker: Option<String>,
    /// The speaker's gender, `None` when unknown.
    pub gender: Option<Gender>,
    /// The take: items with the same performance id are twins (the same performance in another
    /// medium, see [`crate::names`]). When the name does not tell, `file:<path>`.
    pub performance: String,
    /// All parsed fields of the name.
    pub name: ParsedName,
    /// `true` for a simulated audio-video twin added by
    /// [`crate::split::study_split`]: feature extraction resamples the source to 44.1 kHz
    /// stereo 16-bit first (as the study's ffmpeg extraction), then loads it like any clip.
    #[serde(default)]
    pub simulated_av_twin: bool,
}

impl Item {
    /// Labels `path` by its name (`force` picks the scheme instead of
    /// [`crate::corpora::detect`]).
    ///
    /// # Errors
    /// See [`parse_path`].
    pub fn from_path(
        path: impl AsRef<Path>,
        force: Option<CorpusKind>,
    ) -> Result<Self, CorpusError> {
        let path = path.as_ref();
        Ok(Self::from_name(
            path.to_path_buf(),
            parse_path(path, force)?,
        ))
    }

    /// The item of `path` whose name parsed as `name`.
    pub fn from_name(path: PathBuf, name: ParsedName) -> Self {
        Item {
            corpus: name.kind(),
            label: name.label(),
            speaker: name.speaker(),
            gender: name.gender(),
            performance: name
                .performance_id()
                .unwrap_or_else(|| format!("file:{}", path.display())),
            path,
            name,
            simulated_av_twin: false,
        }
    }

    /// The emotion, `None` for a user corpus's label that is not a known emotion.
    pub fn emotion(&self) -> Option<Emotion> {
        self.label.emotion()
    }

    /// The speaker id used for speaker-independent splits: [`Item::speaker`], or
    /// `<corpus>:unknown` — all clips of unknown speaker of one corpus are kept together, so
    /// they can never leak a speaker across sides.
    pub fn speaker_key(&self) -> String {
        self.speaker
            .clone()
            .unwrap_or_else(|| format!("{}:unknown", self.corpus.id()))
    }
}

/// A file the scanner did not turn into an [`Item`], with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejected {
    /// The file.
    pub path: PathBuf,
    /// Why: the [`CorpusError`] with its causes, or the walker's [`SkipReason`].
    pub reason: String,
}

/// A scanned corpus: the labelled items in sorted path order and the rejected files.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Corpus {
    /// Labelled clips, sorted by path.
    pub items: Vec<Item>,
    /// Files that are not audio or whose names do not parse, sorted by path.
    pub rejected: Vec<Rejected>,
}

/// Options of [`scan_with`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScanOptions {
    /// Apply this corpus's naming scheme to every file instead of detecting it per file
    /// (required for the folder-per-label layout, [`CorpusKind::Folders`]). Default `None`
    /// (detect).
    pub force: Option<CorpusKind>,
    /// Descend into symbolic links to directories. Default `false` (they are rejected with a
    /// reason, which avoids cycles).
    pub follow_dir_links: bool,
}

/// Scans `dir` recursively with default [`ScanOptions`].
///
/// # Errors
/// [`CorpusError::NotADirectory`] or [`CorpusError::Io`] when the tree cannot be read; bad
/// files are not errors, they land in [`Corpus::rejected`].
pub fn scan(dir: impl AsRef<Path>) -> Result<Corpus, CorpusError> {
    scan_with(dir, &ScanOptions::default())
}

/// Scans `dir` recursively with [`ser_audio::discover::walk`]. Items and rejected files come
/// out sorted by path (byte order of the path components), so the result does not depend on
/// the file system's listing order. Everything the walker passes over (files that are not
/// audio, hidden entries, links to directories not followed, dangling links) is rejected with
/// the walker's reason.
///
/// # Errors
/// See [`scan`].
pub fn scan_with(dir: impl AsRef<Path>, opts: &ScanOptions) -> Result<Corpus, CorpusError> {
    let dir = dir.as_ref();
    let meta = fs::metadata(dir).map_err(|source| CorpusError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    if !meta.is_dir() {
        return Err(CorpusError::NotADirectory {
            path: dir.to_path_buf(),
        });
    }
    let walk_opts = WalkOptions {
        follow_dir_links: opts.follow_dir_links,
    };
    let found = discover::walk(dir, &walk_opts).map_err(|e| walk_error(dir, e))?;
    let mut items = Vec::with_capacity(found.audio.len());
    let mut rejected = Vec::new();
    for path in found.audio {
        match classify(&path, dir, opts.force) {
            Ok(item) => items.push(item),
            Err(e) => rejected.push(Rejected {
                reason: crate::error::chain(&e),
                path,
            }),
        }
    }
    for Skipped { path, reason } in found.skipped {
        let reason = match reason {
            SkipReason::NotAudio { extension } => CorpusError::NotAudio {
                path: path.clone(),
                extension,
            }
            .to_string(),
            other => other.to_string(),
        };
        rejected.push(Rejected { path, reason });
    }
    rejected.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Corpus { items, rejected })
}

/// Reads a corpus from `path`: with [`ScanOptions::force`] set, as that corpus
/// ([`crate::CorpusFormat::load`]: a folder scanned under its scheme, or a manifest file); without,
/// a file is read as a manifest ([`crate::corpora::read_manifest`]) and a folder is scanned
/// with per-file detection ([`scan_with`]).
///
/// # Errors
/// As [`scan_with`] or [`crate::corpora::read_manifest`].
pub fn open(path: impl AsRef<Path>, opts: &ScanOptions) -> Result<Corpus, CorpusError> {
    let path = path.as_ref();
    match opts.force {
        Some(kind) => kind.format().load(path, opts),
        None if path.is_file() => crate::corpora::read_manifest(path),
        None => scan_with(path, opts),
    }
}

/// [`CorpusError::NotAudio`] unless `path`'s extension is one of [`AUDIO_EXTENSIONS`].
pub(crate) fn check_audio_extension(path: &Path) -> Result<(), CorpusError> {
    if discover::is_audio_path(path) {
        Ok(())
    } else {
        Err(CorpusError::NotAudio {
            path: path.to_path_buf(),
            extension: path
                .extension()
                .map(|e| e.to_string_lossy().to_ascii_lowercase())
                .unwrap_or_default(),
        })
    }
}

fn classify(path: &Path, root: &Path, force: Option<CorpusKind>) -> Result<Item, CorpusError> {
    check_audio_extension(path)?;
    let name = parse_under(path, Some(root), force)?;
    Ok(Item::from_name(path.to_path_buf(), name))
}

/// The walker's I/O errors as [`CorpusError::Io`]; anything else it reports as
/// [`CorpusError::Audio`] on `dir`.
fn walk_error(dir: &Path, e: ser_audio::AudioError) -> CorpusError {
    match e {
        ser_audio::AudioError::Io { path, source } => CorpusError::Io { path, source },
        other => CorpusError::Audio {
            path: dir.to_path_buf(),
            source: other,
        },
    }
}

impl Corpus {
    /// Concatenates corpora in order (items and rejected lists appended as given, not
    /// re-sorted), e.g. for the study's protocol over several corpora.
    pub fn concat(parts: impl IntoIterator<Item = Corpus>) -> Corpus {
        let mut out = Corpus::default();
        for c in parts {
            out.items.extend(c.items);
            out.rejected.extend(c.rejected);
        }
        out
    }

    /// Groups of two or more items sharing a performance id (twins), each group in item order,
    /// groups ordered by their first item.
    pub fn twins(&self) -> Vec<Vec<PathBuf>> {
        twin_groups(&self.items)
            .into_iter()
            .map(|g| g.into_iter().map(|i| self.items[i].path.clone()).collect())
            .collect()
    }

    /// Number of items per speaker key ([`Item::speaker_key`]).
    pub fn speakers(&self) -> BTreeMap<String, usize> {
        let mut m = BTreeMap::new();
        for it in &self.items {
            *m.entry(it.speaker_key()).or_insert(0) += 1;
        }
        m
    }

    /// The classes present, known emotions first in [`Emotion::index`] order, then other
    /// labels by name; `None` for an empty corpus.
    pub fn labels(&self) -> Option<LabelSet> {
        let present: std::collections::BTreeSet<&Label> =
            self.items.iter().map(|it| &it.label).collect();
        LabelSet::new(present.into_iter().cloned().collect()).ok()
    }

    /// Number of items per class of `labels` (index `i` counts `labels.get(i)`); items whose
    /// label is not in the set are not counted.
    pub fn label_counts(&self, labels: &LabelSet) -> Vec<usize> {
        let mut c = vec![0; labels.len()];
        for i in self
            .items
            .iter()
            .filter_map(|it| labels.index_of(&it.label))
        {
            c[i] += 1;
        }
        c
    }
}

/// Index groups (into `items`) of two or more items with the same performance id.
pub fn twin_groups(items: &[Item]) -> Vec<Vec<usize>> {
    let mut by: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, it) in items.iter().enumerate() {
        by.entry(it.performance.as_str()).or_default().push(i);
    }
    let mut groups: Vec<Vec<usize>> = by.into_values().filter(|g| g.len() > 1).collect();
    groups.sort();
    groups
}
