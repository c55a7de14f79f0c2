//! [`LabelSet`]: the ordered classes of a model or corpus.

use std::collections::HashMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{Emotion, Label, LabelError};

/// An ordered, non-empty list of distinct labels: index `i` names output unit `i` of a model (or
/// class `i` of a corpus's confusion matrix). Serialised as a list of names.
#[derive(Clone, PartialEq, Eq)]
pub struct LabelSet {
    labels: Vec<Label>,
    index: HashMap<Label, usize>,
}

impl LabelSet {
    /// A set from labels in order; fails when empty or when a label repeats.
    pub fn new(labels: Vec<Label>) -> Result<Self, LabelError> {
        if labels.is_empty() {
            return Err(LabelError::EmptySet);
        }
        let mut index = HashMap::with_capacity(labels.len());
        for (i, l) in labels.iter().enumerate() {
            if let Some(first) = index.insert(l.clone(), i) {
                return Err(LabelError::Duplicate {
                    label: l.name().to_string(),
                    first,
                    second: i,
                });
            }
        }
        Ok(Self { labels, index })
    }

    /// A set from names (each read by [`Label::parse`]).
    pub fn from_names<I, S>(names: I) -> Result<Self, LabelError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let labels = names
            .into_iter()
            .map(|n| Label::parse(n.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(labels)
    }

    /// A set of known emotions in the given order.
    pub fn from_emotions(emotions: &[Emotion]) -> Result<Self, LabelError> {
        Self::new(emotions.iter().map(|&e| Label::Emotion(e)).collect())
    }

    /// The study's eight classes in its order ([`Emotion::STUDY`]).
    pub fn study() -> Self {
        let labels: Vec<Label> = Emotion::STUDY.iter().map(|&e| Label::Emotion(e)).collect();
        let index = labels.iter().cloned().zip(0..).collect();
        Self { labels, index }
    }

    /// Number of classes (at least 1).
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Always `false`: a set has at least one label (for clippy's `len_without_is_empty`).
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The label of class `i`.
    pub fn get(&self, i: usize) -> Option<&Label> {
        self.labels.get(i)
    }

    /// The class index of `label`, if the set has it.
    pub fn index_of(&self, label: &Label) -> Option<usize> {
        self.index.get(label).copied()
    }

    /// The class index of a known emotion, if the set has it.
    pub fn index_of_emotion(&self, emotion: Emotion) -> Option<usize> {
        self.index_of(&Label::Emotion(emotion))
    }

    /// Whether the set has `label`.
    pub fn contains(&self, label: &Label) -> bool {
        self.index.contains_key(label)
    }

    /// The labels in order.
    pub fn labels(&self) -> &[Label] {
        &self.labels
    }

    /// The labels in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Label> {
        self.labels.iter()
    }

    /// The names in order.
    pub fn names(&self) -> Vec<String> {
        self.labels.iter().map(|l| l.name().to_string()).collect()
    }

    /// For each of this set's labels, its index in `other` (`None` where `other` lacks it): the
    /// one mapping from a corpus's classes onto a model's, or between two models.
    pub fn map_onto(&self, other: &LabelSet) -> Vec<Option<usize>> {
        self.labels.iter().map(|l| other.index_of(l)).collect()
    }
}

impl fmt::Debug for LabelSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.labels.iter().map(Label::name))
            .finish()
    }
}

impl fmt::Display for LabelSet {
    /// The names joined by `", "`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.names().join(", "))
    }
}

impl<'a> IntoIterator for &'a LabelSet {
    type Item = &'a Label;
    type IntoIter = std::slice::Iter<'a, Label>;
    fn into_iter(self) -> Self::IntoIter {
        self.labels.iter()
    }
}

impl Serialize for LabelSet {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.labels.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for LabelSet {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let labels = Vec::<Label>::deserialize(deserializer)?;
        LabelSet::new(labels).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn study_set() {
        let s = LabelSet::study();
        assert_eq!(s.len(), 8);
        for (i, e) in Emotion::STUDY.into_iter().enumerate() {
            assert_eq!(s.index_of_emotion(e), Some(i));
        }
        assert_eq!(s.index_of_emotion(Emotion::Boredom), None);
        assert_eq!(s, LabelSet::from_emotions(&Emotion::STUDY).unwrap());
    }

    #[test]
    fn rejects_empty_and_duplicates() {
        assert_eq!(
            LabelSet::from_names(Vec::<String>::new()),
            Err(LabelError::EmptySet)
        );
        assert_eq!(
            LabelSet::from_names(["anger", "neutral", "angry"]),
            Err(LabelError::Duplicate {
                label: "angry".into(),
                first: 0,
                second: 2
            })
        );
    }

    #[test]
    fn serde_roundtrip_and_map() {
        let s = LabelSet::from_names(["sad", "frustrated", "happy"]).unwrap();
        let j = serde_json::to_string(&s).unwrap();
        assert_eq!(j, r#"["sad","frustrated","happy"]"#);
        assert_eq!(serde_json::from_str::<LabelSet>(&j).unwrap(), s);
        assert!(serde_json::from_str::<LabelSet>(r#"["sad","sadness"]"#).is_err());
        assert_eq!(s.map_onto(&LabelSet::study()), vec![Some(3), None, Some(2)]);
        assert_eq!(format!("{s}"), "sad, frustrated, happy");
    }
}
