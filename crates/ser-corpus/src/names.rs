//! File-name parsing, kept under its old path: everything here is defined in
//! [`crate::corpora`] (one module per corpus behind [`crate::corpora::CorpusFormat`]).

pub use crate::corpora::{
    detect, parse_path, stem_of, AsedName, CorpusKind, CremaDName, EmoDbName, Intensity, Modality,
    NemoName, ParsedName, RavdessName, SaveeName, TessName, VocalChannel, SAVEE_SPEAKERS,
};
