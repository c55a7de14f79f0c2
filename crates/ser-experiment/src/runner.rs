//! The fold runner: independent trainings on a local rayon pool, longest first, results in job
//! order whatever the thread count.
//!
//! Each training is seeded ([`TrainConfig::seed`]), so its numbers do not depend on which thread
//! runs it or when. For bit-identical numbers across thread counts, every training must itself
//! be single-threaded: candle's CPU kernels read `RAYON_NUM_THREADS` per call, so a driver that
//! runs several trainings at once sets it to `1` after its feature extraction (a library does not
//! touch the environment).

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use rayon::iter::{ParallelBridge, ParallelIterator};
use ser_labels::LabelSet;
use ser_mfcc::FrontendSpec;
use ser_models::{
    Arch, Classifier, Dataset, EpochRecord, Metrics, ModelConfig, TrainConfig, Trainer,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{ExperimentError, Result};

/// One training: a model, its hyper-parameters and data, and the sets to evaluate it on.
#[derive(Debug, Clone)]
pub struct Job<K> {
    /// The caller's key (e.g. stage, configuration, seed and fold); copied into the result.
    pub key: K,
    /// Free text for the training record (and error messages).
    pub description: String,
    /// The network.
    pub model: ModelConfig,
    /// Hyper-parameters (epochs, seed, early stopping, standardisation, ...).
    pub train_config: TrainConfig,
    /// The features the data was made with (stored in the checkpoint).
    pub features: FrontendSpec,
    /// The classes: index `i` of a dataset label is `labels[i]`.
    pub labels: LabelSet,
    /// Training data.
    pub train: Arc<Dataset>,
    /// Validation data (early stopping needs it).
    pub validation: Option<Arc<Dataset>>,
    /// Named evaluation sets (e.g. `"test"`, `"savee"`), evaluated after training in order.
    pub evals: Vec<(String, Arc<Dataset>)>,
}

impl<K> Job<K> {
    /// A digest (SHA-256, lower-case hex) of everything that determines the trained weights:
    /// model, hyper-parameters (seed included), frontend, labels, and the training and
    /// validation data ([`Dataset::fingerprint`]). Trainings are deterministic, so two jobs
    /// with the same key train bit-identical weights; [`train_or_load`] relies on this.
    ///
    /// # Errors
    /// [`ExperimentError::JobKey`] if the description cannot be encoded.
    pub fn weights_key(&self) -> Result<String> {
        let description = serde_json::to_vec(&(
            &self.model,
            &self.train_config,
            &self.features,
            &self.labels,
            self.train.fingerprint(),
            self.validation.as_deref().map(Dataset::fingerprint),
        ))
        .map_err(|source| ExperimentError::JobKey { source })?;
        Ok(format!("{:x}", Sha256::digest(&description)))
    }
}

/// The trained classifier of `job`. With a run directory `dir`, a training finished by an
/// earlier call with an equal [`Job::weights_key`] is loaded from `dir/<key>/` instead of being
/// run again, and a new one is saved there (atomically), so an interrupted evaluation resumes
/// where it stopped. A checkpoint there that does not load is trained again and replaced.
/// The classifier's training record ([`CheckpointMeta::training`](ser_models::CheckpointMeta))
/// says how it was trained (epochs, best epoch, rows, seconds).
///
/// # Errors
/// Model and training errors; [`ExperimentError::RunDir`] when the checkpoint cannot be saved.
pub fn train_or_load<K>(job: &Job<K>, dir: Option<&Path>) -> Result<Classifier> {
    let cached = match dir {
        Some(d) => Some(d.join(job.weights_key()?)),
        None => None,
    };
    if let Some(path) = &cached {
        if let Ok(c) = Classifier::from_dir(path) {
            return Ok(c);
        }
    }
    let model = fit_job(job)?.classifier()?;
    if let Some(path) = &cached {
        model.save(path).map_err(|source| ExperimentError::RunDir {
            path: path.clone(),
            source,
        })?;
    }
    Ok(model)
}

/// Single-thread seconds per epoch on 1152 feature vectors (docs/PERFORMANCE.md): the cost
/// model of the longest-first schedule.
pub fn epoch_seconds(arch: Arch) -> f64 {
    match arch {
        Arch::A => 1.0,
        Arch::B => 0.1,
        Arch::C => 0.09,
        Arch::D => 0.38,
        #[allow(unreachable_patterns)]
        _ => 1.0,
    }
}

impl<K> Job<K> {
    /// Expected single-thread seconds: [`epoch_seconds`] x epochs x training rows / 1152, halved
    /// with early stopping (which typically stops halfway). Used only for scheduling.
    pub fn estimated_cost(&self) -> f64 {
        let stop = if self.train_config.early_stopping.is_some() {
            0.5
        } else {
            1.0
        };
        epoch_seconds(self.model.arch()) * self.train_config.epochs as f64 * self.train.len() as f64
            / 1152.0
            * stop
    }
}

/// Metrics on one named evaluation set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// The set's name (from [`Job::evals`]).
    pub name: String,
    /// The metrics.
    pub metrics: Metrics,
}

/// What one training gave.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobResult<K> {
    /// The job's key.
    pub key: K,
    /// Training rows.
    pub n_train: usize,
    /// Validation rows (0 without validation).
    pub n_val: usize,
    /// Metrics on the training data (final weights, inference mode).
    pub train: Metrics,
    /// Metrics on the validation data.
    pub val: Option<Metrics>,
    /// Metrics on each evaluation set, in [`Job::evals`] order.
    pub evals: Vec<Evaluation>,
    /// Epochs run.
    pub epochs_run: usize,
    /// 1-based epoch of the best validation loss (early stopping restores it).
    pub best_epoch: Option<usize>,
    /// Stopped by early stopping.
    pub stopped_early: bool,
    /// Wall-clock seconds of training and evaluation.
    pub seconds: f64,
    /// Per-epoch history.
    pub history: Vec<EpochRecord>,
}

impl<K> JobResult<K> {
    /// The metrics of the evaluation set `name`.
    pub fn eval(&self, name: &str) -> Option<&Metrics> {
        self.evals
            .iter()
            .find(|e| e.name == name)
            .map(|e| &e.metrics)
    }

    /// The best epoch, or the epochs run without early stopping.
    pub fn effective_epochs(&self) -> usize {
        self.best_epoch.unwrap_or(self.epochs_run)
    }
}

/// A finished training: its result and the trainer (to save the checkpoint).
#[derive(Debug)]
pub struct Trained<K> {
    /// The numbers.
    pub result: JobResult<K>,
    /// The trainer holding the final (or best, with early stopping) weights.
    pub trainer: Trainer,
}

/// The order in which the runner starts jobs (results always come back in job order).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Schedule {
    /// Greedy longest-first by [`Job::estimated_cost`] (ties in job order): the long trainings
    /// do not end up alone at the end. Default.
    #[default]
    LongestFirst,
    /// In job order.
    AsGiven,
}

/// How the runner runs jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunnerConfig {
    /// Trainings at once (threads of the runner's own rayon pool); 0: rayon's default (one per
    /// CPU). Default 1.
    pub threads: usize,
    /// Start order. Default [`Schedule::LongestFirst`].
    pub schedule: Schedule,
}

impl Default for RunnerConfig {
    fn default() -> Self {
        Self {
            threads: 1,
            schedule: Schedule::LongestFirst,
        }
    }
}

/// What the runner reports while it works (from its worker threads).
#[derive(Debug)]
#[non_exhaustive]
pub enum ProgressEvent<'a, K> {
    /// A training starts.
    Started {
        /// Its index in the job list.
        index: usize,
        /// The job.
        job: &'a Job<K>,
    },
    /// A training finished.
    Finished {
        /// Its index in the job list.
        index: usize,
        /// Jobs finished (or failed) so far, this one included.
        done: usize,
        /// Jobs in all.
        total: usize,
        /// Its result.
        result: &'a JobResult<K>,
    },
    /// A training failed (the runner goes on with the others, then returns the first error).
    Failed {
        /// Its index in the job list.
        index: usize,
        /// Jobs finished (or failed) so far, this one included.
        done: usize,
        /// Jobs in all.
        total: usize,
        /// The job.
        job: &'a Job<K>,
        /// What went wrong.
        error: &'a ExperimentError,
    },
}

/// Metrics of `model` on `data` whose labels are the model's own class indices.
///
/// # Errors
/// Prediction errors (feature width), labels out of the model's range.
pub fn evaluate(model: &Classifier, data: &Dataset) -> Result<Metrics> {
    let pred = ser_models::predict_classes(model, data.features())?;
    Ok(Metrics::compute(
        data.labels(),
        &pred,
        model.labels().len(),
    )?)
}

/// Metrics of `model` on `data` whose labels index `labels` (e.g. a corpus's classes): the
/// ground truth is mapped onto the model's classes by label; the confusion matrix is in the
/// model's class order.
///
/// # Errors
/// [`ExperimentError::MissingLabel`] for a class of `data` the model lacks (or an index
/// outside `labels`); prediction errors.
pub fn evaluate_mapped(model: &Classifier, data: &Dataset, labels: &LabelSet) -> Result<Metrics> {
    let model_set = model.labels();
    let onto = labels.map_onto(model_set);
    let truth = data
        .labels()
        .iter()
        .map(|&l| {
            onto.get(l)
                .copied()
                .flatten()
                .ok_or_else(|| ExperimentError::MissingLabel {
                    what: "model",
                    label: labels
                        .get(l)
                        .map_or_else(|| format!("#{l}"), |x| x.name().to_string()),
                    expected: model_set.names(),
                })
        })
        .collect::<Result<Vec<_>>>()?;
    let pred = ser_models::predict_classes(model, data.features())?;
    Ok(Metrics::compute(&truth, &pred, model_set.len())?)
}

/// A trainer that has run `job`'s training.
fn fit_job<K>(job: &Job<K>) -> Result<Trainer> {
    let mut trainer = Trainer::new(
        job.model.clone(),
        job.train_config.clone(),
        job.features.clone(),
        job.labels.clone(),
    )?;
    trainer.fit(
        &job.train,
        job.validation.as_deref(),
        &job.description,
        &mut |_| {},
    )?;
    Ok(trainer)
}

/// Trains one job and evaluates it on its training, validation and evaluation sets.
///
/// # Errors
/// Model configuration, training and evaluation errors.
pub fn train_job<K: Clone>(job: &Job<K>) -> Result<Trained<K>> {
    let start = Instant::now();
    let trainer = fit_job(job)?;
    let model = trainer.classifier()?;
    let rec = trainer.record();
    let train = evaluate(&model, &job.train)?;
    let val = job
        .validation
        .as_deref()
        .map(|v| evaluate(&model, v))
        .transpose()?;
    let evals = job
        .evals
        .iter()
        .map(|(name, ds)| {
            Ok(Evaluation {
                name: name.clone(),
                metrics: evaluate(&model, ds)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let result = JobResult {
        key: job.key.clone(),
        n_train: job.train.len(),
        n_val: job.validation.as_ref().map_or(0, |v| v.len()),
        train,
        val,
        evals,
        epochs_run: rec.history.len(),
        best_epoch: rec.best_epoch,
        stopped_early: rec.stopped_early,
        seconds: start.elapsed().as_secs_f64(),
        history: rec.history.clone(),
    };
    Ok(Trained { result, trainer })
}

/// Applies `f` to every task on a local rayon pool of `threads` threads (0: rayon's default),
/// starting tasks in descending `cost` (ties in task order), and returns the outputs in task
/// order.
///
/// # Errors
/// [`ExperimentError::ThreadPool`] if the pool cannot be built.
pub fn map_longest_first<T, R, C, F>(tasks: &[T], threads: usize, cost: C, f: F) -> Result<Vec<R>>
where
    T: Sync,
    R: Send,
    C: Fn(&T) -> f64,
    F: Fn(usize, &T) -> R + Sync,
{
    let costs: Vec<f64> = tasks.iter().map(cost).collect();
    let mut order: Vec<usize> = (0..tasks.len()).collect();
    order.sort_by(|&a, &b| costs[b].total_cmp(&costs[a]));
    map_in_order(tasks, threads, order, f)
}

/// `f` over `tasks`, started in `order` (each thread takes the next index when free: greedy
/// list scheduling), outputs in task order.
fn map_in_order<T, R, F>(tasks: &[T], threads: usize, order: Vec<usize>, f: F) -> Result<Vec<R>>
where
    T: Sync,
    R: Send,
    F: Fn(usize, &T) -> R + Sync,
{
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|source| ExperimentError::ThreadPool { threads, source })?;
    let mut out: Vec<(usize, R)> = pool.install(|| {
        order
            .into_iter()
            .par_bridge()
            .filter_map(|i| tasks.get(i).map(|t| (i, f(i, t))))
            .collect()
    });
    out.sort_by_key(|(i, _)| *i);
    Ok(out.into_iter().map(|(_, r)| r).collect())
}

/// Trains every job on `config.threads` threads and returns the results in job order (the same
/// numbers for any thread count and schedule, see the module docs). `progress` hears of every
/// start, finish and failure. Results are serde data, so a caller can store them and resume a
/// run by passing only the jobs still missing.
///
/// # Errors
/// [`ExperimentError::Job`] for the first failed job in job order (after all jobs ran);
/// [`ExperimentError::ThreadPool`].
pub fn run_jobs<K>(
    jobs: &[Job<K>],
    config: &RunnerConfig,
    progress: &(dyn Fn(ProgressEvent<'_, K>) + Sync),
) -> Result<Vec<JobResult<K>>>
where
    K: Clone + Send + Sync,
{
    let total = jobs.len();
    let done = AtomicUsize::new(0);
    let run = |index: usize, job: &Job<K>| {
        progress(ProgressEvent::Started { index, job });
        let outcome = train_job(job).map(|t| t.result);
        let done = done.fetch_add(1, Ordering::SeqCst) + 1;
        match &outcome {
            Ok(result) => progress(ProgressEvent::Finished {
                index,
                done,
                total,
                result,
            }),
            Err(error) => progress(ProgressEvent::Failed {
                index,
                done,
                total,
                job,
                error,
            }),
        }
        outcome
    };
    let outcomes = match config.schedule {
        Schedule::LongestFirst => {
            map_longest_first(jobs, config.threads, Job::estimated_cost, run)?
        }
        Schedule::AsGiven => map_in_order(jobs, config.threads, (0..total).collect(), run)?,
    };
    outcomes
        .into_iter()
        .enumerate()
        .map(|(index, r)| {
            r.map_err(|e| ExperimentError::Job {
                index,
                description: jobs
                    .get(index)
                    .map_or_else(String::new, |j| j.description.clone()),
                source: Box::new(e),
            })
        })
        .collect()
}
