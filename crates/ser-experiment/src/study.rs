//! The reproduction of the 2019 study (Das 2019), tested honestly: every architecture under four
//! protocols, the study's released seed models, and a default model chosen by cross-validation.
//! `examples/reproduce.rs` drives it; the types here are its `results.json`.
//!
//! 1. [`Stage::StudyTwins`]: the study's protocol: RAVDESS speech with simulated audio-video
//!    twins placed in front, 80/10/10 without shuffling, no early stopping (the leak: the twin of
//!    every test clip is in the training side).
//! 2. [`Stage::Study`]: the same protocol without twins.
//! 3. [`Stage::SpeakerCv`]: speaker-independent k-fold CV, with and without feature
//!    standardisation, early stopping on validation loss.
//! 4. [`Stage::CrossCorpus`]: trained on RAVDESS speech (validation: fold 0's test speakers,
//!    early stopping), tested on SAVEE.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use ser_corpus::features::FeatureConfig;
use ser_corpus::split::{self, Side, SpeakerFoldConfig, SpeakerFolds, StudySplitConfig};
use ser_corpus::Item;
use ser_labels::LabelSet;
use ser_mfcc::FrontendSpec;
use ser_models::{
    Arch, Classifier, Dataset, EarlyStopping, EpochRecord, Metrics, OptimizerConfig, SeedModel,
    TrainConfig,
};
use serde::{Deserialize, Serialize};

use crate::aggregate::{mean_std, select_best, CvSummary, FoldResult};
use crate::error::{ExperimentError, Result};
use crate::leaks::LeakReport;
use crate::runner::{evaluate_mapped, Job, JobResult};
use crate::table::FeatureTable;

/// The protocol a training belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// The study's split with simulated audio-video twins (leaking).
    StudyTwins,
    /// The study's split without twins.
    Study,
    /// Speaker-independent cross-validation.
    SpeakerCv,
    /// Trained on RAVDESS, tested on SAVEE.
    CrossCorpus,
}

impl Stage {
    /// The stage's key in `results.json` (`study_twins`, `study`, `speaker_cv`, `cross_corpus`).
    pub fn key(self) -> &'static str {
        match self {
            Stage::StudyTwins => "study_twins",
            Stage::Study => "study",
            Stage::SpeakerCv => "speaker_cv",
            Stage::CrossCorpus => "cross_corpus",
        }
    }
}

/// Identifies one training of the reproduction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StudyKey {
    /// The protocol.
    pub stage: Stage,
    /// The architecture.
    pub arch: Arch,
    /// Feature standardisation.
    pub standardize: bool,
    /// The CV fold ([`Stage::SpeakerCv`] only).
    pub fold: Option<usize>,
}

/// Parameters of the reproduction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudyConfig {
    /// Epochs (study stages) and maximum epochs with early stopping (other stages). Default 100.
    pub epochs: usize,
    /// Mini-batch size. Default 32 (Keras' default, as the released code).
    pub batch_size: usize,
    /// Seed of initialisation, shuffling and dropout. Default 42.
    pub seed: u64,
    /// Early-stopping patience in epochs (CV and cross-corpus). Default 10.
    pub patience: usize,
    /// The speaker folds. Default [`SpeakerFoldConfig::default`] (6 folds, gender-balanced).
    pub folds: SpeakerFoldConfig,
    /// Run only the first this many CV folds (`None`: all). Default `None`.
    pub max_folds: Option<usize>,
    /// Architectures, in result order. Default A, B, C, D.
    pub archs: Vec<Arch>,
}

impl Default for StudyConfig {
    fn default() -> Self {
        Self {
            epochs: 100,
            batch_size: 32,
            seed: 42,
            patience: 10,
            folds: SpeakerFoldConfig::default(),
            max_folds: None,
            archs: Arch::ALL.to_vec(),
        }
    }
}

impl StudyConfig {
    /// The training configuration of one training: the study's optimiser for `arch`, early
    /// stopping with [`StudyConfig::patience`] when `early_stopping`.
    pub fn train_config(
        &self,
        arch: Arch,
        standardize: bool,
        epochs: usize,
        early_stopping: bool,
    ) -> TrainConfig {
        TrainConfig {
            epochs,
            batch_size: self.batch_size,
            seed: self.seed,
            optimizer: OptimizerConfig::study(arch),
            standardize,
            early_stopping: early_stopping.then(|| EarlyStopping {
                patience: self.patience,
                ..EarlyStopping::default()
            }),
            ..TrainConfig::default()
        }
    }
}

/// Sizes and leaks of a single split, as `results.json` records them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SplitInfo {
    /// Training items.
    pub n_train: usize,
    /// Validation items.
    pub n_val: usize,
    /// Test items.
    pub n_test: usize,
    /// Validation / test clips whose twin is in training.
    pub twin_in_train: BTreeMap<Side, usize>,
    /// Number of leaks ([`LeakReport::leaks`]).
    pub leak_reports: usize,
    /// Leaking speakers.
    pub leaking_speakers: usize,
    /// Leaking performances (twins).
    pub leaking_performances: usize,
    /// Leaking duplicate groups.
    pub leaking_duplicates: usize,
}

impl From<&LeakReport> for SplitInfo {
    fn from(r: &LeakReport) -> Self {
        Self {
            n_train: r.n_train,
            n_val: r.n_val,
            n_test: r.n_test,
            twin_in_train: r.twin_in_train.clone(),
            leak_reports: r.leaks.len(),
            leaking_speakers: r.speakers(),
            leaking_performances: r.performances(),
            leaking_duplicates: r.duplicates(),
        }
    }
}

/// One CV fold's speakers and sizes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FoldInfo {
    /// Fold index.
    pub fold: usize,
    /// Test speakers.
    pub test_speakers: Vec<String>,
    /// Validation speakers.
    pub validation_speakers: Vec<String>,
    /// Training rows.
    pub n_train: usize,
    /// Validation rows.
    pub n_val: usize,
    /// Test rows.
    pub n_test: usize,
}

/// The trainings of the reproduction and what the splits look like.
#[derive(Debug, Clone)]
pub struct StudyPlan {
    /// Every training, stage by stage.
    pub jobs: Vec<Job<StudyKey>>,
    /// Leak reports of the two single-split stages.
    pub splits: BTreeMap<Stage, LeakReport>,
    /// The CV folds run.
    pub folds: Vec<FoldInfo>,
    /// The speaker folds (all of them, also those not run).
    pub speaker_folds: SpeakerFolds,
    /// Test data of each fold run (for the seed models).
    pub fold_tests: Vec<Arc<Dataset>>,
}

fn description(key: &StudyKey) -> String {
    format!(
        "reproduce {} model {:?} standardize {} fold {:?}",
        key.stage.key(),
        key.arch,
        key.standardize,
        key.fold
    )
}

/// The clips of a reproduction: RAVDESS speech for the speaker-independent stages, and the
/// study protocol's clips (speech, then song when available: the study's order).
#[derive(Debug, Clone, Copy)]
pub struct StudyInputs<'a> {
    /// RAVDESS speech clips (speaker CV, cross-corpus training).
    pub speech: &'a [Item],
    /// Groups of identical files among `speech`.
    pub speech_duplicates: &'a [Vec<PathBuf>],
    /// The study protocol's clips in the study's order (speech, then song).
    pub study: &'a [Item],
    /// Groups of identical files among `study`.
    pub study_duplicates: &'a [Vec<PathBuf>],
}

/// Plans every training: `inputs` the clips, `table` their features (every clip of `inputs`,
/// with simulated twins), `savee` the cross-corpus test set in `table`'s classes, `mfcc` the
/// features' frontend.
///
/// # Errors
/// Split errors (too few speakers for the folds) and dataset errors.
pub fn plan(
    inputs: StudyInputs<'_>,
    table: &FeatureTable,
    savee: Arc<Dataset>,
    mfcc: &FrontendSpec,
    cfg: &StudyConfig,
) -> Result<StudyPlan> {
    let (items, duplicates) = (inputs.speech, inputs.speech_duplicates);
    let labels = table.label_set().clone();
    let job = |key: StudyKey,
               tc: TrainConfig,
               train: &Arc<Dataset>,
               val: &Arc<Dataset>,
               eval: (&str, &Arc<Dataset>)| Job {
        key,
        description: description(&key),
        model: key.arch.default_config(),
        train_config: tc,
        features: mfcc.clone(),
        labels: labels.clone(),
        train: Arc::clone(train),
        validation: Some(Arc::clone(val)),
        evals: vec![(eval.0.to_string(), Arc::clone(eval.1))],
    };
    let mut jobs = Vec::new();
    let mut splits = BTreeMap::new();
    for (stage, twins) in [(Stage::StudyTwins, true), (Stage::Study, false)] {
        let sp = split::study_split(
            inputs.study,
            &StudySplitConfig {
                simulated_av_twins: twins,
                ..StudySplitConfig::default()
            },
        )?;
        splits.insert(stage, LeakReport::of(&sp, inputs.study_duplicates));
        let d = table.split_data(&sp)?;
        let (train, val, test) = (Arc::new(d.train), Arc::new(d.validation), Arc::new(d.test));
        for &arch in &cfg.archs {
            let key = StudyKey {
                stage,
                arch,
                standardize: false,
                fold: None,
            };
            let tc = cfg.train_config(arch, false, cfg.epochs, false);
            jobs.push(job(key, tc, &train, &val, ("test", &test)));
        }
    }
    let folds = split::speaker_kfold(items, duplicates, &cfg.folds)?;
    let n_folds = cfg
        .max_folds
        .map_or(folds.folds.len(), |m| m.min(folds.folds.len()));
    let mut fold_info = Vec::new();
    let mut fold_tests = Vec::new();
    for (k, f) in folds.folds.iter().enumerate().take(n_folds) {
        let train = Arc::new(table.indexed(&folds.items, &f.train)?);
        let val = Arc::new(table.indexed(&folds.items, &f.validation)?);
        let test = Arc::new(table.indexed(&folds.items, &f.test)?);
        fold_info.push(FoldInfo {
            fold: k,
            test_speakers: f.test_speakers.clone(),
            validation_speakers: f.validation_speakers.clone(),
            n_train: train.len(),
            n_val: val.len(),
            n_test: test.len(),
        });
        for &arch in &cfg.archs {
            for standardize in [false, true] {
                let key = StudyKey {
                    stage: Stage::SpeakerCv,
                    arch,
                    standardize,
                    fold: Some(k),
                };
                let tc = cfg.train_config(arch, standardize, cfg.epochs, true);
                jobs.push(job(key, tc, &train, &val, ("test", &test)));
            }
        }
        fold_tests.push(test);
    }
    // Cross-corpus: all RAVDESS speech but fold 0's test speakers, who validate.
    let f0 = folds.folds.first().ok_or(ExperimentError::Empty {
        what: "speaker folds",
    })?;
    let cc_ix: Vec<usize> = f0.train.iter().chain(&f0.validation).copied().collect();
    let cc_train = Arc::new(table.indexed(&folds.items, &cc_ix)?);
    let cc_val = Arc::new(table.indexed(&folds.items, &f0.test)?);
    for &arch in &cfg.archs {
        let key = StudyKey {
            stage: Stage::CrossCorpus,
            arch,
            standardize: false,
            fold: None,
        };
        let tc = cfg.train_config(arch, false, cfg.epochs, true);
        jobs.push(job(key, tc, &cc_train, &cc_val, ("savee", &savee)));
    }
    Ok(StudyPlan {
        jobs,
        splits,
        folds: fold_info,
        speaker_folds: folds,
        fold_tests,
    })
}

/// One training of a single-split stage in `results.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelRow {
    /// Architecture letter.
    pub model: Arch,
    /// Training rows.
    pub n_train: usize,
    /// Validation rows.
    pub n_val: usize,
    /// Metrics on the training data.
    pub train: Metrics,
    /// Metrics on the validation data.
    pub val: Option<Metrics>,
    /// Metrics on each evaluation set by name.
    pub eval: BTreeMap<String, Metrics>,
    /// Epochs run.
    pub epochs_run: usize,
    /// Best epoch (early stopping).
    pub best_epoch: Option<usize>,
    /// Stopped by early stopping.
    pub stopped_early: bool,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// Per-epoch history.
    pub history: Vec<EpochRecord>,
}

impl From<&JobResult<StudyKey>> for ModelRow {
    fn from(r: &JobResult<StudyKey>) -> Self {
        Self {
            model: r.key.arch,
            n_train: r.n_train,
            n_val: r.n_val,
            train: r.train.clone(),
            val: r.val.clone(),
            eval: r
                .evals
                .iter()
                .map(|e| (e.name.clone(), e.metrics.clone()))
                .collect(),
            epochs_run: r.epochs_run,
            best_epoch: r.best_epoch,
            stopped_early: r.stopped_early,
            seconds: r.seconds,
            history: r.history.clone(),
        }
    }
}

/// A single-split stage in `results.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageResults {
    /// One row per architecture, in architecture order.
    pub models: Vec<ModelRow>,
    /// Seconds of training summed over the stage's trainings.
    pub training_seconds: f64,
    /// The split's sizes and leaks (study stages).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub split: Option<SplitInfo>,
}

/// One configuration's cross-validation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CvRow {
    /// Architecture.
    pub model: Arch,
    /// Feature standardisation.
    pub standardize: bool,
    /// The summary over folds.
    #[serde(flatten)]
    pub summary: CvSummary,
}

/// The configuration chosen by mean CV UAR.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BestConfig {
    /// Architecture.
    pub model: Arch,
    /// Feature standardisation.
    pub standardize: bool,
    /// Its mean CV UAR.
    pub uar_mean: f64,
}

/// The speaker cross-validation in `results.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpeakerCvResults {
    /// The folds run.
    pub folds: Vec<FoldInfo>,
    /// One row per (architecture, standardisation), architectures in order, without before with.
    pub rows: Vec<CvRow>,
    /// Early-stopping patience.
    pub patience: usize,
    /// Maximum epochs.
    pub max_epochs: usize,
    /// The best row ([`select_best`]: ties to the earlier row).
    pub best: BestConfig,
    /// Seconds of training summed over the CV trainings.
    pub training_seconds: f64,
}

impl SpeakerCvResults {
    /// The row of the best configuration.
    pub fn best_row(&self) -> Option<&CvRow> {
        self.rows
            .iter()
            .find(|r| r.model == self.best.model && r.standardize == self.best.standardize)
    }
}

/// Training seconds summed per stage.
pub fn stage_seconds(results: &[JobResult<StudyKey>]) -> BTreeMap<Stage, f64> {
    let mut out = BTreeMap::new();
    for r in results {
        *out.entry(r.key.stage).or_default() += r.seconds;
    }
    out
}

/// The results of a single-split stage (rows in job order).
pub fn stage_results(
    results: &[JobResult<StudyKey>],
    stage: Stage,
    split: Option<&LeakReport>,
) -> StageResults {
    let rows: Vec<&JobResult<StudyKey>> = results.iter().filter(|r| r.key.stage == stage).collect();
    StageResults {
        models: rows.iter().map(|&r| ModelRow::from(r)).collect(),
        training_seconds: rows.iter().map(|r| r.seconds).sum(),
        split: split.map(SplitInfo::from),
    }
}

/// The cross-validation summary per (architecture, standardisation) and the best configuration.
///
/// # Errors
/// [`ExperimentError::Empty`] without CV results; aggregation errors.
pub fn speaker_cv_results(
    results: &[JobResult<StudyKey>],
    plan: &StudyPlan,
    cfg: &StudyConfig,
    n_classes: usize,
) -> Result<SpeakerCvResults> {
    let mut rows = Vec::new();
    for &arch in &cfg.archs {
        for standardize in [false, true] {
            let folds: Vec<FoldResult> = results
                .iter()
                .filter(|r| {
                    r.key.stage == Stage::SpeakerCv
                        && r.key.arch == arch
                        && r.key.standardize == standardize
                })
                .filter_map(|r| {
                    Some(FoldResult {
                        seed: cfg.seed,
                        fold: r.key.fold?,
                        metrics: r.eval("test")?.clone(),
                        epochs_run: r.epochs_run,
                        best_epoch: r.best_epoch,
                        seconds: r.seconds,
                    })
                })
                .collect();
            rows.push(CvRow {
                model: arch,
                standardize,
                summary: CvSummary::from_folds(n_classes, &folds)?,
            });
        }
    }
    let candidates: Vec<((Arch, bool), CvSummary)> = rows
        .iter()
        .map(|r| ((r.model, r.standardize), r.summary.clone()))
        .collect();
    let ((model, standardize), best) = select_best(&candidates).ok_or(ExperimentError::Empty {
        what: "speaker CV model selection",
    })?;
    Ok(SpeakerCvResults {
        folds: plan.folds.clone(),
        best: BestConfig {
            model: *model,
            standardize: *standardize,
            uar_mean: best.uar_mean,
        },
        rows,
        patience: cfg.patience,
        max_epochs: cfg.epochs,
        training_seconds: stage_seconds(results)
            .get(&Stage::SpeakerCv)
            .copied()
            .unwrap_or(0.0),
    })
}

/// Mean and population std of accuracy and UAR over folds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FoldMeans {
    /// Mean accuracy.
    pub accuracy_mean: f64,
    /// Population std of the accuracy.
    pub accuracy_std: f64,
    /// Mean UAR.
    pub uar_mean: f64,
    /// Population std of the UAR.
    pub uar_std: f64,
}

impl FoldMeans {
    /// Over the given per-fold metrics.
    pub fn of(metrics: &[Metrics]) -> Self {
        let acc = mean_std(&metrics.iter().map(|m| m.accuracy).collect::<Vec<_>>());
        let uar = mean_std(&metrics.iter().map(|m| m.uar).collect::<Vec<_>>());
        Self {
            accuracy_mean: acc.mean,
            accuracy_std: acc.std,
            uar_mean: uar.mean,
            uar_std: uar.std,
        }
    }
}

/// One of the study's released models, tested on SAVEE and on the CV test folds (which it was
/// trained on: not an honest number).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeedRow {
    /// Which seed model.
    pub model: SeedModel,
    /// Metrics on SAVEE (in the model's class order).
    pub savee: Metrics,
    /// Means over the CV test folds.
    pub ravdess_folds_not_honest: FoldMeans,
}

/// Evaluates a seed model on SAVEE and on each fold's test data; the datasets' labels index
/// `labels` and are mapped onto the model's classes.
///
/// # Errors
/// [`ExperimentError::MissingLabel`] for a class the model lacks; prediction errors.
pub fn seed_row(
    which: SeedModel,
    model: &Classifier,
    savee: &Dataset,
    fold_tests: &[Arc<Dataset>],
    labels: &LabelSet,
) -> Result<SeedRow> {
    let folds = fold_tests
        .iter()
        .map(|d| evaluate_mapped(model, d, labels))
        .collect::<Result<Vec<_>>>()?;
    Ok(SeedRow {
        model: which,
        savee: evaluate_mapped(model, savee, labels)?,
        ravdess_folds_not_honest: FoldMeans::of(&folds),
    })
}

/// The default model: the best CV configuration trained on all data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DefaultModel {
    /// Architecture.
    pub model: Arch,
    /// Feature standardisation.
    pub standardize: bool,
    /// Epochs trained (the mean best epoch of its CV folds, rounded, at least 1).
    pub epochs: usize,
    /// Training rows.
    pub n_train: usize,
    /// Metrics on the training data.
    pub train: Metrics,
    /// Metrics on SAVEE.
    pub savee: Metrics,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// Where it was saved.
    pub dir: PathBuf,
}

/// The job that trains the default model on `train` (all data, no validation) for the best CV
/// configuration's mean best epoch count, evaluated on `savee`.
///
/// # Errors
/// [`ExperimentError::Empty`] if the CV results lack the best row.
pub fn default_model_job(
    cv: &SpeakerCvResults,
    cfg: &StudyConfig,
    train: Arc<Dataset>,
    savee: Arc<Dataset>,
    mfcc: &FrontendSpec,
    labels: &LabelSet,
    description: String,
) -> Result<Job<StudyKey>> {
    let row = cv.best_row().ok_or(ExperimentError::Empty {
        what: "best speaker CV row",
    })?;
    let epochs = default_epochs(row.summary.mean_best_epoch);
    let arch = cv.best.model;
    Ok(Job {
        key: StudyKey {
            stage: Stage::SpeakerCv,
            arch,
            standardize: cv.best.standardize,
            fold: None,
        },
        description,
        model: arch.default_config(),
        train_config: cfg.train_config(arch, cv.best.standardize, epochs, false),
        features: mfcc.clone(),
        labels: labels.clone(),
        train,
        validation: None,
        evals: vec![("savee".into(), savee)],
    })
}

/// Epochs for a final model: `mean_best_epoch` rounded, at least 1.
pub fn default_epochs(mean_best_epoch: f64) -> usize {
    mean_best_epoch.round().max(1.0) as usize
}

/// How a run was made (`results.json`'s `run`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    /// Maximum epochs.
    pub epochs: usize,
    /// Mini-batch size.
    pub batch_size: usize,
    /// Seed.
    pub seed: u64,
    /// Early-stopping patience.
    pub patience: usize,
    /// Parallel trainings.
    pub jobs: usize,
    /// Smoke-test mode.
    pub quick: bool,
    /// RAVDESS data directory.
    pub data: PathBuf,
    /// SAVEE directory.
    pub savee: PathBuf,
    /// RAVDESS clips.
    pub n_ravdess: usize,
    /// SAVEE clips.
    pub n_savee: usize,
    /// Seconds of feature extraction.
    pub feature_seconds: f64,
    /// Wall-clock seconds of all trainings.
    pub training_wall_seconds: f64,
    /// Wall-clock seconds of the whole run.
    pub total_seconds: f64,
    /// Training seconds per stage.
    pub stage_training_seconds: BTreeMap<Stage, f64>,
    /// The features.
    pub feature_config: FeatureConfig,
}

/// Everything `results.json` holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudyResults {
    /// Protocol 1.
    pub study_twins: StageResults,
    /// Protocol 2.
    pub study: StageResults,
    /// Protocol 3.
    pub speaker_cv: SpeakerCvResults,
    /// Protocol 4.
    pub cross_corpus: StageResults,
    /// The study's released models.
    pub seed_models: Vec<SeedRow>,
    /// The default model, if trained.
    pub default_model: Option<DefaultModel>,
    /// How the run was made.
    pub run: RunInfo,
}
