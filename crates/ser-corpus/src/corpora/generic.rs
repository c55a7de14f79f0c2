//! User corpora with any label names: a manifest file ([`Manifest`], [`read_manifest`]) or one
//! folder per label ([`Folders`]).
//!
//! A manifest is either CSV with a header row naming the columns `path`, `emotion` (or
//! `label`) and optionally `speaker` (in any order; fields may be double-quoted, `""` is a
//! quote), or JSON lines, one object `{"path": .., "emotion": .., "speaker": ..}` per line
//! (`label` may stand for `emotion`, `speaker` may be missing or null). Blank lines and lines
//! starting with `#` are skipped. Relative paths are resolved against the manifest's folder.
//! Labels are read by [`Label::parse`]: known emotions and their synonyms become [`Emotion`]s,
//! any other name is kept as it is (lower-cased).
//!
//! ```text
//! path,emotion,speaker
//! alice/take1.wav,angry,alice
//! bob/take7.wav,frustrated,bob
//! ```

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{file_name_of, ClipName, CorpusFormat, CorpusKind, ParsedName};
use crate::{Corpus, CorpusError, Emotion, Gender, Item, Label, ScanOptions};

/// The manifest corpus (see the module docs). It is read by [`read_manifest`], not by file
/// names: [`CorpusFormat::parse`] on a single path is an error.
#[derive(Debug, Clone, Copy, Default)]
pub struct Manifest;

impl CorpusFormat for Manifest {
    fn kind(&self) -> CorpusKind {
        CorpusKind::Manifest
    }
    fn title(&self) -> &'static str {
        "manifest"
    }
    fn naming(&self) -> &'static str {
        "rows path,emotion,speaker in a CSV or JSON-lines file"
    }
    fn emotions(&self) -> &'static [Emotion] {
        &[]
    }
    fn detect(&self, _file_name: &str) -> bool {
        false
    }
    fn parse(&self, path: &Path, _root: Option<&Path>) -> Result<ParsedName, CorpusError> {
        Err(CorpusError::NotByName {
            path: path.to_path_buf(),
            corpus: CorpusKind::Manifest,
        })
    }
    fn load(&self, path: &Path, _opts: &ScanOptions) -> Result<Corpus, CorpusError> {
        read_manifest(path)
    }
}

/// One manifest row.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ManifestEntry {
    /// 1-based line number in the manifest.
    pub line: usize,
    /// The label as read by [`Label::parse`].
    pub label: Label,
    /// The speaker as written, `None` when the row has none.
    pub speaker: Option<String>,
}

impl ClipName for ManifestEntry {
    fn label(&self) -> Label {
        self.label.clone()
    }
    fn speaker_id(&self) -> Option<String> {
        self.speaker.as_ref().map(|s| format!("manifest:{s}"))
    }
    fn speaker_gender(&self) -> Option<Gender> {
        None
    }
    fn performance(&self) -> Option<String> {
        None
    }
}

/// The folder-per-label layout: `DIR/<label>/clip.wav` (deeper folders allowed: the first
/// folder below the scanned `DIR` is the label), any label names ([`Label::parse`]), speakers
/// unknown.
#[derive(Debug, Clone, Copy, Default)]
pub struct Folders;

impl CorpusFormat for Folders {
    fn kind(&self) -> CorpusKind {
        CorpusKind::Folders
    }
    fn title(&self) -> &'static str {
        "folders"
    }
    fn naming(&self) -> &'static str {
        "DIR/<label>/clip.wav"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["folder", "folder-per-label", "folder-per-emotion"]
    }
    fn emotions(&self) -> &'static [Emotion] {
        &[]
    }
    fn detect(&self, _file_name: &str) -> bool {
        false
    }
    fn parse(&self, path: &Path, root: Option<&Path>) -> Result<ParsedName, CorpusError> {
        file_name_of(path)?;
        let folder = match root.and_then(|r| path.strip_prefix(r).ok()) {
            Some(rel) => rel.iter().next().filter(|_| rel.iter().nth(1).is_some()),
            None => path.parent().and_then(Path::file_name),
        };
        let no_folder = || CorpusError::NoLabelFolder {
            path: path.to_path_buf(),
        };
        let folder = folder.and_then(|f| f.to_str()).ok_or_else(no_folder)?;
        let label = Label::parse(folder).map_err(|_| no_folder())?;
        Ok(ParsedName::Folders(FolderName {
            label,
            folder: folder.to_string(),
        }))
    }
}

/// A clip of the folder layout.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FolderName {
    /// The label read from the folder name.
    pub label: Label,
    /// The folder name as written.
    pub folder: String,
}

impl ClipName for FolderName {
    fn label(&self) -> Label {
        self.label.clone()
    }
    fn speaker_id(&self) -> Option<String> {
        None
    }
    fn speaker_gender(&self) -> Option<Gender> {
        None
    }
    fn performance(&self) -> Option<String> {
        None
    }
}

/// One row before it becomes an item.
#[derive(Deserialize)]
struct Row {
    path: String,
    #[serde(alias = "label")]
    emotion: String,
    #[serde(default)]
    speaker: Option<String>,
}

/// Reads a manifest (CSV or JSON lines, see the module docs) into a corpus, items in the
/// manifest's order, nothing rejected (a bad row is an error). JSON lines when the extension
/// is `jsonl`, `ndjson` or `json`, or the first row starts with `{`; CSV otherwise.
///
/// # Errors
/// [`CorpusError::Io`] when the file cannot be read; [`CorpusError::ManifestRow`] naming the
/// line of the first bad row (missing column or field, bad JSON, empty label, a path that is
/// not an audio file, a row with the wrong number of fields).
pub fn read_manifest(path: &Path) -> Result<Corpus, CorpusError> {
    let text = fs::read_to_string(path).map_err(|source| CorpusError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let base = path.parent().unwrap_or(Path::new(""));
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
        .peekable();
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let json = matches!(ext.as_str(), "jsonl" | "ndjson" | "json")
        || lines.peek().is_some_and(|(_, l)| l.starts_with('{'));
    let bad = |line: usize, reason: String| CorpusError::ManifestRow {
        path: path.to_path_buf(),
        line,
        reason,
    };
    let mut rows = Vec::new();
    if json {
        for (n, l) in lines {
            let row: Row = serde_json::from_str(l).map_err(|e| bad(n, e.to_string()))?;
            rows.push((n, row));
        }
    } else {
        let (header_line, header) = lines.next().ok_or_else(|| {
            bad(
                1,
                "empty manifest: expected a header path,emotion[,speaker]".into(),
            )
        })?;
        let header = split_csv(header).map_err(|r| bad(header_line, r))?;
        let col = |names: &[&str]| {
            header
                .iter()
                .position(|h| names.contains(&h.trim().to_ascii_lowercase().as_str()))
        };
        let (p, e, s) = (
            col(&["path"]),
            col(&["emotion", "label"]),
            col(&["speaker"]),
        );
        let (Some(p), Some(e)) = (p, e) else {
            return Err(bad(
                header_line,
                format!(
                    "header {:?}: expected columns path, emotion (or label) and optionally speaker",
                    header.join(",")
                ),
            ));
        };
        for (n, l) in lines {
            let fields = split_csv(l).map_err(|r| bad(n, r))?;
            if fields.len() != header.len() {
                return Err(bad(
                    n,
                    format!("{} field(s), the header has {}", fields.len(), header.len()),
                ));
            }
            let speaker = s.map(|s| fields[s].clone());
            rows.push((
                n,
                Row {
                    path: fields[p].clone(),
                    emotion: fields[e].clone(),
                    speaker,
                },
            ));
        }
    }
    let items = rows
        .into_iter()
        .map(|(n, row)| manifest_item(base, n, row).map_err(|r| bad(n, r)))
        .collect::<Result<_, _>>()?;
    Ok(Corpus {
        items,
        rejected: Vec::new(),
    })
}

/// A manifest row as an item, or why not.
fn manifest_item(base: &Path, line: usize, row: Row) -> Result<Item, String> {
    let rel = row.path.trim();
    if rel.is_empty() {
        return Err("empty path".into());
    }
    let file = PathBuf::from(rel);
    let file = if file.is_absolute() {
        file
    } else {
        base.join(file)
    };
    crate::scan::check_audio_extension(&file).map_err(|e| e.to_string())?;
    let label = Label::parse(&row.emotion).map_err(|e| format!("emotion: {e}"))?;
    let speaker = row
        .speaker
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    Ok(Item::from_name(
        file,
        ParsedName::Manifest(ManifestEntry {
            line,
            label,
            speaker,
        }),
    ))
}

/// Splits one CSV line into fields (RFC 4180 quoting within the line).
fn split_csv(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut was_quoted = false;
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                cur.push('"');
            }
            ('"', true) => quoted = false,
            ('"', false) if cur.trim().is_empty() && !was_quoted => {
                cur.clear();
                quoted = true;
                was_quoted = true;
            }
            (',', false) => {
                fields.push(std::mem::take(&mut cur));
                was_quoted = false;
            }
            (c, _) => cur.push(c),
        }
    }
    if quoted {
        return Err("unterminated quoted field".into());
    }
    fields.push(cur);
    Ok(fields.into_iter().map(|f| f.trim().to_string()).collect())
}
