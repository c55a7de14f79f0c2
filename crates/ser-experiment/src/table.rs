//! [`FeatureTable`]: every clip's feature row with its class index and speaker, looked up by
//! item, turned into [`Dataset`]s for the sides of a split.

use std::collections::HashMap;
use std::path::PathBuf;

use ndarray::{Array2, ArrayView2};
use ser_corpus::features::{extract_features, ExtractOptions, Failure, FeatureConfig, Features};
use ser_corpus::split::{Side, Split};
use ser_corpus::Item;
use ser_labels::{Label, LabelSet};
use ser_models::Dataset;

use crate::error::{ExperimentError, Result};

/// What [`FeatureTable::new`] does with an item whose class is not in the label set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum UnknownLabels {
    /// Fail with [`ExperimentError::MissingLabel`] (default).
    #[default]
    Error,
    /// Leave the item out of the table (its clips then appear in no dataset).
    Skip,
}

/// The class of an item (the one place that reads an item's label).
pub fn item_label(item: &Item) -> Label {
    item.label.clone()
}

/// The group whose unlabelled clips adapt to an item's speaker: its speaker id
/// ([`Item::speaker`]) when the name tells, else its folder.
pub fn adaptation_group(item: &Item) -> String {
    match &item.speaker {
        Some(s) => s.clone(),
        None => format!(
            "folder:{}",
            item.path
                .parent()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        ),
    }
}

/// Every row of `x` `[rows, n]` standardised by the mean and population standard deviation
/// of the rows with the same `groups` entry ([`ser_models::Normalization::fit`]; a group of
/// one row becomes zeros, a constant column keeps std 1). `groups` has one entry per row;
/// rows beyond it are left as they are.
pub fn standardize_groups(x: ArrayView2<'_, f32>, groups: &[String]) -> Array2<f32> {
    let mut members: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, g) in groups.iter().enumerate().take(x.nrows()) {
        members.entry(g.as_str()).or_default().push(i);
    }
    let mut out = x.to_owned();
    for rows in members.values() {
        let norm = ser_models::Normalization::fit(x.select(ndarray::Axis(0), rows).view());
        for &r in rows {
            if let Some(row) = out.row_mut(r).into_slice() {
                norm.apply(row);
            }
        }
    }
    out
}

/// Feature rows of a corpus, looked up by `(path, simulated_av_twin)`: a simulated audio-video
/// twin has its own row (extracted through 44.1 kHz 16-bit as the study's ffmpeg extraction
/// did, so it is the same take but not bit-identical features).
#[derive(Debug, Clone)]
pub struct FeatureTable {
    x: Array2<f32>,
    labels: Vec<usize>,
    items: Vec<Item>,
    label_set: LabelSet,
    row: HashMap<(PathBuf, bool), usize>,
}

/// The datasets of the three sides of a split (items without a feature row left out).
#[derive(Debug, Clone)]
pub struct SplitData {
    /// Training rows.
    pub train: Dataset,
    /// Validation rows (possibly empty).
    pub validation: Dataset,
    /// Test rows (possibly empty).
    pub test: Dataset,
}

impl SplitData {
    /// The dataset of one side.
    pub fn side(&self, side: Side) -> &Dataset {
        match side {
            Side::Train => &self.train,
            Side::Validation => &self.validation,
            Side::Test => &self.test,
        }
    }
}

impl FeatureTable {
    /// A table from extracted features: class indices are positions in `labels`.
    ///
    /// # Errors
    /// [`ExperimentError::MissingLabel`] for an item whose class `labels` lacks, with
    /// [`UnknownLabels::Error`]; [`ExperimentError::Shape`] if rows and items disagree.
    pub fn new(features: Features, labels: LabelSet, unknown: UnknownLabels) -> Result<Self> {
        let Features { x, items, .. } = features;
        if x.nrows() != items.len() {
            return Err(ExperimentError::Shape {
                what: "feature rows for items",
                expected: items.len(),
                actual: x.nrows(),
            });
        }
        let mut keep = Vec::with_capacity(items.len());
        let mut class = Vec::with_capacity(items.len());
        for (i, it) in items.iter().enumerate() {
            let label = item_label(it);
            match (labels.index_of(&label), unknown) {
                (Some(c), _) => {
                    keep.push(i);
                    class.push(c);
                }
                (None, UnknownLabels::Skip) => {}
                (None, UnknownLabels::Error) => {
                    return Err(ExperimentError::MissingLabel {
                        what: "feature table",
                        label: label.name().to_string(),
                        expected: labels.names(),
                    })
                }
            }
        }
        let (x, items) = if keep.len() == items.len() {
            (x, items)
        } else {
            let mut kx = Array2::zeros((keep.len(), x.ncols()));
            for (r, &i) in keep.iter().enumerate() {
                kx.row_mut(r).assign(&x.row(i));
            }
            (kx, keep.iter().map(|&i| items[i].clone()).collect())
        };
        let row = items
            .iter()
            .enumerate()
            .map(|(i, it)| ((it.path.clone(), it.simulated_av_twin), i))
            .collect();
        Ok(Self {
            x,
            labels: class,
            items,
            label_set: labels,
            row,
        })
    }

    /// Extracts (through `options`' cache) the features of `items`, and with `with_twins` also
    /// those of each item's simulated audio-video twin (appended after the items), and builds
    /// the table. Clips that could not be read are returned, not dropped silently.
    ///
    /// # Errors
    /// Extraction errors ([`ExperimentError::Corpus`]) and those of [`FeatureTable::new`].
    pub fn extract(
        items: &[Item],
        with_twins: bool,
        config: &FeatureConfig,
        options: &ExtractOptions,
        labels: LabelSet,
        unknown: UnknownLabels,
    ) -> Result<(Self, Vec<Failure>)> {
        let mut all = items.to_vec();
        if with_twins {
            all.extend(
                items
                    .iter()
                    .filter(|it| !it.simulated_av_twin)
                    .map(|it| Item {
                        simulated_av_twin: true,
                        ..it.clone()
                    }),
            );
        }
        let mut feats = extract_features(&all, config, options)?;
        let failures = std::mem::take(&mut feats.failures);
        Ok((Self::new(feats, labels, unknown)?, failures))
    }

    /// Features `[rows, n_features]`.
    pub fn x(&self) -> ArrayView2<'_, f32> {
        self.x.view()
    }

    /// Class index (into [`FeatureTable::label_set`]) of each row, `[rows]`.
    pub fn labels(&self) -> &[usize] {
        &self.labels
    }

    /// The item of each row, `[rows]`.
    pub fn items(&self) -> &[Item] {
        &self.items
    }

    /// Speaker key ([`Item::speaker_key`]) of each row, `[rows]`.
    pub fn speakers(&self) -> Vec<String> {
        self.items.iter().map(Item::speaker_key).collect()
    }

    /// The table with every row standardised by the statistics of its
    /// [`adaptation_group`]'s rows (their mean and population standard deviation per column,
    /// [`ser_models::Normalization::fit`]; no labels used): speaker adaptation. A group of one
    /// row becomes zeros; a constant column keeps std 1.
    pub fn standardized_by_speaker(&self) -> Self {
        let groups: Vec<String> = self.items.iter().map(adaptation_group).collect();
        Self {
            x: standardize_groups(self.x.view(), &groups),
            ..self.clone()
        }
    }

    /// The classes.
    pub fn label_set(&self) -> &LabelSet {
        &self.label_set
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// No rows?
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The row of an item (matched by path and twin flag), `None` if it has none.
    pub fn row_of(&self, item: &Item) -> Option<usize> {
        self.row
            .get(&(item.path.clone(), item.simulated_av_twin))
            .copied()
    }

    /// The rows of `items` in their order, items without a row left out.
    ///
    /// # Errors
    /// Never in practice ([`ExperimentError::Model`] if rows and labels disagreed).
    pub fn dataset<'a>(&self, items: impl IntoIterator<Item = &'a Item>) -> Result<Dataset> {
        let rows: Vec<usize> = items.into_iter().filter_map(|it| self.row_of(it)).collect();
        let mut x = Array2::zeros((rows.len(), self.x.ncols()));
        for (i, &r) in rows.iter().enumerate() {
            x.row_mut(i).assign(&self.x.row(r));
        }
        Ok(Dataset::new(
            x,
            rows.iter().map(|&r| self.labels[r]).collect(),
            self.label_set.len(),
        )?)
    }

    /// The rows of `split.items[indices]`.
    ///
    /// # Errors
    /// As [`FeatureTable::dataset`].
    pub fn indexed(&self, items: &[Item], indices: &[usize]) -> Result<Dataset> {
        self.dataset(indices.iter().filter_map(|&i| items.get(i)))
    }

    /// The datasets of a split's three sides.
    ///
    /// # Errors
    /// As [`FeatureTable::dataset`].
    pub fn split_data(&self, split: &Split) -> Result<SplitData> {
        Ok(SplitData {
            train: self.indexed(&split.items, &split.train)?,
            validation: self.indexed(&split.items, &split.validation)?,
            test: self.indexed(&split.items, &split.test)?,
        })
    }
}
