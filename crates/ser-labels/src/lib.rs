//! # ser-labels
//!
//! The one definition of emotion labels for every `ser` crate: the bottom of the workspace, with
//! no dependency beyond `serde` and `thiserror`, so inference code can name classes without
//! pulling in corpora or models.
//!
//! - [`Emotion`]: the emotions the toolkit knows by name: the study's eight (RAVDESS order,
//!   indices 0..7) plus EmoDB's boredom (index 8). [`Emotion::from_alias`] reads the names other
//!   corpora use (`anger`, `fear`, `happiness`, `ps`, ...).
//! - [`Label`]: one class of a model or corpus: a known [`Emotion`] or any other name (a user's
//!   own corpus may say `frustrated`).
//! - [`LabelSet`]: an ordered list of distinct labels: index `i` is output unit `i` of a model.
//!   A classifier maps its labels once with [`LabelSet::index_of`] or [`LabelSet::map_onto`].
//!
//! ```
//! use ser_labels::{Emotion, Label, LabelSet};
//!
//! let study = LabelSet::study();
//! assert_eq!(study.len(), 8);
//! assert_eq!(study.index_of(&Label::from(Emotion::Angry)), Some(4));
//!
//! // Any number of classes, any names; known synonyms become emotions.
//! let mine = LabelSet::from_names(["Anger", "neutral", "frustrated"])?;
//! assert_eq!(mine.get(0), Some(&Label::Emotion(Emotion::Angry)));
//! assert_eq!(mine.get(2).map(Label::name), Some("frustrated"));
//! assert_eq!(mine.map_onto(&study), vec![Some(4), Some(0), None]);
//! # Ok::<(), ser_labels::LabelError>(())
//! ```

mod emotion;
mod label;
mod set;

pub use emotion::Emotion;
pub use label::Label;
pub use set::LabelSet;

/// What can go wrong when naming labels.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LabelError {
    /// A name that is not one of [`Emotion::name`]'s (for `Emotion::from_str`).
    #[error("unknown emotion {actual:?} (expected one of {expected})")]
    UnknownEmotion {
        /// The name given.
        actual: String,
        /// The accepted names, comma-separated.
        expected: String,
    },
    /// An empty (or all-blank) label name.
    #[error("empty label name")]
    EmptyName,
    /// A label set without labels.
    #[error("a label set needs at least one label")]
    EmptySet,
    /// The same label twice in one set (after synonyms are resolved).
    #[error("label {label:?} appears twice (at {first} and {second})")]
    Duplicate {
        /// The label's name.
        label: String,
        /// Index of its first occurrence.
        first: usize,
        /// Index of its second occurrence.
        second: usize,
    },
}
