//! [`Probabilities`]: a model's class probabilities, named by its labels.

use std::sync::Arc;

use ser_labels::{Label, LabelSet};
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

/// The class probabilities of one classification, in the model's label order: `values()[i]` is
/// the probability of `labels().get(i)`. As many classes as the model has (8 for the study's
/// models, in [`LabelSet::study`] order); the values sum to 1.
///
/// Serialises as a JSON object `{"neutral": p, "calm": p, ...}` in the model's label order.
#[derive(Debug, Clone, PartialEq)]
pub struct Probabilities {
    labels: Arc<LabelSet>,
    values: Vec<f32>,
}

impl Probabilities {
    /// Pairs `values` (`[labels.len()]`, the model's output order) with the model's labels.
    /// `None` when the lengths differ.
    pub fn new(labels: Arc<LabelSet>, values: Vec<f32>) -> Option<Self> {
        (values.len() == labels.len()).then_some(Self { labels, values })
    }

    /// The model's labels, index = position in [`Self::values`].
    pub fn labels(&self) -> &LabelSet {
        &self.labels
    }

    /// The shared label set (cheap to clone).
    pub fn label_set(&self) -> &Arc<LabelSet> {
        &self.labels
    }

    /// The probabilities in the model's label order, `[labels().len()]`.
    pub fn values(&self) -> &[f32] {
        &self.values
    }

    /// The probability of `label`; `None` when the model has no such class.
    pub fn get(&self, label: &Label) -> Option<f32> {
        self.labels.index_of(label).map(|i| self.values[i])
    }

    /// Each label with its probability, in the model's label order.
    pub fn iter(&self) -> impl Iterator<Item = (&Label, f32)> + '_ {
        self.labels.iter().zip(self.values.iter().copied())
    }

    /// The most probable label and its probability (the first in label order on ties).
    pub fn top(&self) -> (&Label, f32) {
        let i = ser_models::argmax(&self.values);
        (&self.labels.labels()[i], self.values[i])
    }

    /// Every label with its probability, most probable first (ties in label order).
    pub fn ranked(&self) -> Vec<(&Label, f32)> {
        let mut out: Vec<(usize, f32)> = self.values.iter().copied().enumerate().collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        out.into_iter()
            .map(|(i, p)| (&self.labels.labels()[i], p))
            .collect()
    }
}

impl Serialize for Probabilities {
    /// `{"<label>": p, ...}` in the model's label order.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.values.len()))?;
        for (label, p) in self.iter() {
            map.serialize_entry(label.name(), &p)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ser_labels::Emotion;

    #[test]
    fn ranked_top_and_lookup() {
        let study = Arc::new(LabelSet::study());
        let p =
            Probabilities::new(study, vec![0.1, 0.05, 0.4, 0.05, 0.2, 0.1, 0.05, 0.05]).unwrap();
        let happy = Label::from(Emotion::Happy);
        assert_eq!(p.top(), (&happy, 0.4));
        let r = p.ranked();
        assert_eq!(r[0], (&happy, 0.4));
        assert_eq!(r[1], (&Label::from(Emotion::Angry), 0.2));
        // ties keep label order
        assert_eq!(r[2], (&Label::from(Emotion::Neutral), 0.1));
        assert_eq!(r[3], (&Label::from(Emotion::Fearful), 0.1));
        assert_eq!(p.get(&Label::from(Emotion::Angry)), Some(0.2));
        assert_eq!(p.get(&Label::from(Emotion::Boredom)), None);
    }

    #[test]
    fn any_labels_serialise_in_model_order() {
        let labels = Arc::new(LabelSet::from_names(["sad", "frustrated", "calm"]).unwrap());
        assert!(Probabilities::new(Arc::clone(&labels), vec![0.5, 0.5]).is_none());
        let p = Probabilities::new(labels, vec![0.2, 0.7, 0.1]).unwrap();
        assert_eq!(p.top().0.name(), "frustrated");
        assert_eq!(
            serde_json::to_string(&p).unwrap(),
            r#"{"sad":0.2,"frustrated":0.7,"calm":0.1}"#
        );
    }
}
