//! The evaluation command: speaker-independent benchmarks of the statistics recipe (per-clip
//! speech statistics + MLP), with and without speaker adaptation, written into
//! `docs/results.json` (never by hand) and printed as tables.
//!
//! ```text
//! cargo run --release --example benchmark -- --data ../shared/data [--extra DIR] \
//!     --stage ravdess|song|emodb|cross|ablation|select|default-model \
//!     [--seeds 1,2,3] [--jobs 2] [--out docs/results.json] [--cache target/ser-cache] \
//!     [--runs target/ser-runs]
//! ```
//!
//! Resumable: every finished training is kept under `--runs`, keyed by everything that
//! determines its weights (`Job::weights_key`), and a rerun loads it instead of training again
//! (trainings are deterministic, so the numbers are the same either way).
//!
//! - `ravdess`: RAVDESS speech, the 6 speaker-independent folds (fold k tests actors
//!   {2k+1, 2k+2, 2k+13, 2k+14} and trains on the other 20; ensemble member m early-stops on
//!   the 4 actors of fold k+1+m and trains on the other 16, see `Recipe::rotate_validation`),
//!   every seed, global features and speaker-adapted features: keys `ravdess_speaker_6fold`
//!   and `ravdess_speaker_6fold_adapted`.
//! - `song`: the same folds with RAVDESS song clips of the 16 training actors added to
//!   training: `ravdess_speaker_6fold_with_song{,_adapted}`.
//! - `emodb`: EmoDB leave-one-speaker-out on its 7 classes: `emodb_loso{,_adapted}`.
//! - `cross`: each corpus held out whole, trained on the others (7 shared classes, calm
//!   merged into neutral): `cross_corpus`.
//! - `ablation`: each recipe change on and off, 2 folds, first seed: `ablation`.
//! - `select`: candidate recipes by 6-fold CV (first seed): `recipe_selection`.
//! - `default-model`: trains the default model pair on every training corpus and writes it to
//!   `--model-out` (default `models/default`).
//!
//! `--data` holds `ravdess/` and `ravdess-song/`; `--extra` (or `SER_EXTRA_DATA`) holds
//! `emodb/`, `ased/`, `nemo/` (fetched as `shared/data/README.md` says).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "common/progress.rs"]
mod progress;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::{Parser, ValueEnum};
use ndarray::{concatenate, Axis};
use ser::{Emotion, Label, LabelSet};
use ser_corpus::features::{ExtractOptions, FeatureConfig};
use ser_corpus::split::{SpeakerFoldConfig, Split};
use ser_corpus::{CorpusKind, Item, ScanOptions};
use ser_experiment::{
    evaluate, map_longest_first, mean_std, train_or_load, FeatureTable, Job, Protocol,
    UnknownLabels,
};
use ser_mfcc::{FrontendSpec, SpeechStatsConfig};
use ser_models::{
    argmax, Dataset, EarlyStopping, LrSchedule, Metrics, MlpConfig, ModelConfig, OptimizerConfig,
    TrainConfig,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Stage {
    Ravdess,
    Song,
    Emodb,
    Cross,
    Ablation,
    Select,
    DefaultModel,
}

#[derive(Debug, Parser)]
struct Args {
    /// Directory with ravdess/ and ravdess-song/ (default: $SER_DATA_DIR).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Directory with emodb/, ased/, nemo/ (default: $SER_EXTRA_DATA).
    #[arg(long)]
    extra: Option<PathBuf>,
    /// What to run.
    #[arg(long, value_enum)]
    stage: Stage,
    /// Seeds (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "1,2,3")]
    seeds: Vec<u64>,
    /// Trainings at once.
    #[arg(long, default_value_t = 2)]
    jobs: usize,
    /// The results file to update.
    #[arg(long, default_value = "docs/results.json")]
    out: PathBuf,
    /// Feature cache directory.
    #[arg(long, default_value = "target/ser-cache")]
    cache: PathBuf,
    /// Finished trainings (one checkpoint per job, keyed by everything that determines its
    /// weights): a rerun or an interrupted run loads them instead of training again.
    #[arg(long, default_value = "target/ser-runs")]
    runs: PathBuf,
    /// A recipe JSON file (default: the built-in recipe).
    #[arg(long)]
    recipe: Option<PathBuf>,
    /// Where `default-model` writes the model pair.
    #[arg(long, default_value = "models/default")]
    model_out: PathBuf,
}

/// Everything that defines a training recipe.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
struct Recipe {
    frontend: SpeechStatsConfig,
    hidden: Vec<usize>,
    dropout: f32,
    input_dropout: f32,
    epochs: usize,
    batch_size: usize,
    lr: f64,
    weight_decay: f64,
    patience: usize,
    cosine: bool,
    /// Speed-perturbed copies of every training clip (each speed a pseudo-speaker for
    /// adaptation); empty for none.
    speeds: Vec<f64>,
    /// Noisy copies of every training clip: white noise at each of these SNRs (dB).
    noise_snr_db: Vec<f64>,
    /// Models per prediction (seeds `seed * 1000 + m`), probabilities averaged.
    ensemble: usize,
    /// Other corpora (`emodb`, `ased`, `nemo`, under `--extra`) whose clips are added to every
    /// RAVDESS training side (their speakers never meet RAVDESS's).
    with_corpora: Vec<String>,
    /// Each ensemble member early-stops on other validation speakers (member `m` of fold `k`
    /// on the test speakers of fold `(k + 1 + m) mod n`, so member 0 keeps the fold's own
    /// validation set) and trains on the rest: together the members learn from every speaker
    /// outside the test fold. Needs fewer members than folds.
    rotate_validation: bool,
}

impl Default for Recipe {
    fn default() -> Self {
        Self {
            frontend: SpeechStatsConfig {
                prosody: true,
                ..SpeechStatsConfig::default()
            },
            hidden: vec![256],
            dropout: 0.5,
            input_dropout: 0.2,
            epochs: 150,
            batch_size: 128,
            lr: 1e-3,
            weight_decay: 1e-2,
            patience: 20,
            cosine: false,
            speeds: vec![0.8, 0.85, 0.9, 0.95, 1.05, 1.1, 1.15, 1.2],
            noise_snr_db: vec![15.0],
            ensemble: 5,
            with_corpora: vec![],
            rotate_validation: true,
        }
    }
}

impl Recipe {
    /// Where member `member`'s validation speakers start in a pooled corpus's sorted speaker
    /// list ([`pooled`]): `member` with [`Recipe::rotate_validation`], else 0.
    fn validation_offset(&self, member: usize) -> usize {
        if self.rotate_validation {
            member
        } else {
            0
        }
    }

    fn spec(&self) -> FrontendSpec {
        FrontendSpec::SpeechStats(self.frontend.clone())
    }

    fn model(&self, n_classes: usize) -> ModelConfig {
        ModelConfig::Mlp(MlpConfig {
            input_len: self.frontend.output_dim(),
            n_classes,
            hidden: self.hidden.clone(),
            dropout: self.dropout,
            input_dropout: self.input_dropout,
            members: 1,
        })
    }

    fn train_config(&self, seed: u64, early_stopping: bool) -> TrainConfig {
        TrainConfig {
            epochs: self.epochs,
            batch_size: self.batch_size,
            optimizer: OptimizerConfig::AdamW {
                lr: self.lr,
                beta1: 0.9,
                beta2: 0.999,
                eps: 1e-7,
                weight_decay: self.weight_decay,
            },
            lr_schedule: if self.cosine {
                LrSchedule::Cosine { min_lr: 0.0 }
            } else {
                LrSchedule::Constant
            },
            seed,
            shuffle: true,
            early_stopping: early_stopping.then_some(EarlyStopping {
                patience: self.patience,
                min_delta: 0.0,
                restore_best: true,
            }),
            standardize: true,
        }
    }
}

/// A corpus's feature tables: global and speaker-standardised.
struct Tables {
    global: FeatureTable,
    adapted: FeatureTable,
}

impl Tables {
    fn get(&self, adapted: bool) -> &FeatureTable {
        if adapted {
            &self.adapted
        } else {
            &self.global
        }
    }
}

fn scan(dir: &Path, kind: CorpusKind) -> Result<Vec<Item>> {
    let c = ser_corpus::open(
        dir,
        &ScanOptions {
            force: Some(kind),
            ..ScanOptions::default()
        },
    )
    .with_context(|| format!("scanning {}", dir.display()))?;
    if c.items.is_empty() {
        bail!("no labelled clips under {}", dir.display());
    }
    Ok(c.items)
}

/// Calm merged into neutral (the shared label set of multi-corpus training).
fn merge_calm(items: &mut [Item]) {
    for it in items {
        if it.label == Label::from(Emotion::Calm) {
            it.label = Emotion::Neutral.into();
        }
    }
}

fn tables(items: &[Item], recipe: &Recipe, labels: &LabelSet, cache: &Path) -> Result<Tables> {
    tables_at(items, recipe, labels, cache, 1.0, None)
}

/// The main corpus's tables at each of the recipe's augmentation speeds.
fn augmented(
    items: &[Item],
    recipe: &Recipe,
    labels: &LabelSet,
    cache: &Path,
) -> Result<Vec<Tables>> {
    let speeds = recipe.speeds.iter().map(|&s| (s, None));
    let noises = recipe.noise_snr_db.iter().map(|&n| (1.0, Some(n)));
    speeds
        .chain(noises)
        .map(|(s, n)| tables_at(items, recipe, labels, cache, s, n))
        .collect()
}

fn tables_at(
    items: &[Item],
    recipe: &Recipe,
    labels: &LabelSet,
    cache: &Path,
    speed: f64,
    noise_snr_db: Option<f64>,
) -> Result<Tables> {
    let mut cfg = FeatureConfig::for_frontend(recipe.spec());
    cfg.audio.speed = speed;
    cfg.audio.noise_snr_db = noise_snr_db;
    let (global, failures) = FeatureTable::extract(
        items,
        false,
        &cfg,
        &ExtractOptions {
            cache_dir: Some(cache.to_path_buf()),
            progress: progress::feature_progress(false),
        },
        labels.clone(),
        UnknownLabels::Skip,
    )?;
    for f in &failures {
        eprintln!("warning: {}: {}", f.path.display(), f.reason);
    }
    let adapted = global.standardized_by_speaker();
    Ok(Tables { global, adapted })
}

fn concat(parts: &[Dataset]) -> Result<Dataset> {
    let n_classes = parts.first().map_or(0, Dataset::n_classes);
    let views: Vec<_> = parts.iter().map(Dataset::features).collect();
    let x = concatenate(Axis(0), &views)?;
    let labels = parts.iter().flat_map(|d| d.labels().to_vec()).collect();
    Ok(Dataset::new(x, labels, n_classes)?)
}

/// Rows of `t` whose speaker is in `speakers`.
fn rows_of(t: &FeatureTable, speakers: &HashSet<String>) -> Result<Dataset> {
    Ok(t.dataset(
        t.items()
            .iter()
            .filter(|it| speakers.contains(&it.speaker_key())),
    )?)
}

/// Rows of `t` whose speaker is not in `exclude`.
fn rows_without(t: &FeatureTable, exclude: &HashSet<String>) -> Result<Dataset> {
    Ok(t.dataset(
        t.items()
            .iter()
            .filter(|it| !exclude.contains(&it.speaker_key())),
    )?)
}

fn speakers_of(split: &Split, idx: &[usize]) -> HashSet<String> {
    idx.iter().map(|&i| split.items[i].speaker_key()).collect()
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
struct Key {
    variant: String,
    adapted: bool,
    seed: u64,
    fold: usize,
    member: usize,
}

/// A training set and its (possibly empty) early-stopping validation set.
type TrainVal = (Arc<Dataset>, Option<Arc<Dataset>>);

/// One CV: the first `folds` of `splits` of the main corpus (all of them define the rotating
/// validation groups, [`Recipe::rotate_validation`]), `extra` corpora added to every training
/// side (their clips of test and validation speakers left out), every seed, global and
/// adapted.
#[allow(clippy::too_many_arguments)]
fn cv_jobs(
    variant: &str,
    main: &Tables,
    extra: &[&Tables],
    splits: &[Split],
    recipe: &Recipe,
    seeds: &[u64],
    labels: &LabelSet,
    adapted: &[bool],
    folds: usize,
) -> Result<Vec<Job<Key>>> {
    let members = recipe.ensemble.max(1);
    if recipe.rotate_validation && members >= splits.len() {
        bail!(
            "rotate_validation needs fewer ensemble members ({members}) than folds ({})",
            splits.len()
        );
    }
    let mut jobs = Vec::new();
    for &a in adapted {
        for (fold, split) in splits.iter().enumerate().take(folds) {
            let t = main.get(a);
            let test_speakers = speakers_of(split, &split.test);
            let test = Arc::new(t.indexed(&split.items, &split.test)?);
            // Member m's validation speakers: the fold's own, or with rotation the test
            // speakers of fold (fold + 1 + m) mod n, so that the members together learn from
            // every speaker outside the test fold. Either way it trains on every row (main and
            // `extra` corpora) of the speakers outside its test and validation sets.
            let mut sides: HashMap<Vec<String>, TrainVal> = HashMap::new();
            for member in 0..members {
                let val_speakers = if recipe.rotate_validation {
                    let other = &splits[(fold + 1 + member) % splits.len()];
                    speakers_of(other, &other.test)
                } else {
                    speakers_of(split, &split.validation)
                };
                let mut group: Vec<String> = val_speakers.iter().cloned().collect();
                group.sort();
                if !sides.contains_key(&group) {
                    let mut exclude = test_speakers.clone();
                    exclude.extend(val_speakers.iter().cloned());
                    let val = rows_of(t, &val_speakers)?;
                    let mut train = vec![rows_without(t, &exclude)?];
                    for e in extra {
                        train.push(rows_without(e.get(a), &exclude)?);
                    }
                    let val = (!val.is_empty()).then(|| Arc::new(val));
                    sides.insert(group.clone(), (Arc::new(concat(&train)?), val));
                }
                let (train, validation) = &sides[&group];
                for &seed in seeds {
                    jobs.push(Job {
                        key: Key {
                            variant: variant.to_string(),
                            adapted: a,
                            seed,
                            fold,
                            member,
                        },
                        description: format!(
                            "{variant} adapted={a} seed {seed} fold {fold} member {member}"
                        ),
                        model: recipe.model(labels.len()),
                        train_config: recipe
                            .train_config(seed * 1000 + member as u64, validation.is_some()),
                        features: recipe.spec(),
                        labels: labels.clone(),
                        train: Arc::clone(train),
                        validation: validation.clone(),
                        evals: vec![("test".into(), Arc::clone(&test))],
                    });
                }
            }
        }
    }
    Ok(jobs)
}

/// One trained member.
struct Outcome {
    key: Key,
    classifier: ser_models::Classifier,
    test: Arc<Dataset>,
    epochs_run: usize,
    best_epoch: Option<usize>,
    n_train: usize,
    seconds: f64,
}

/// One evaluated (ensemble) model.
struct Scored {
    key: Key,
    metrics: Metrics,
    epochs_run: usize,
    best_epoch: Option<usize>,
    n_train: usize,
    seconds: f64,
}

/// Trains (or loads from `runs`, see [`train_or_load`]) every job; each (variant, adapted,
/// seed, fold) group of members scored as one ensemble.
fn run(jobs: &[Job<Key>], threads: usize, runs: &Path) -> Result<Vec<Scored>> {
    // Every training single-threaded (candle's CPU matmul reads this per call; the runner's
    // pool runs `threads` trainings at once): the same numbers for any --jobs.
    std::env::set_var("RAYON_NUM_THREADS", "1");
    let t0 = Instant::now();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let total = jobs.len();
    let outcomes = map_longest_first(jobs, threads, Job::estimated_cost, |_, job| {
        let classifier = train_or_load(job, Some(runs))?;
        let rec = classifier
            .meta()
            .training
            .clone()
            .context("a trained model without its training record")?;
        let test = Arc::clone(&job.evals[0].1);
        let d = done.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        eprintln!(
            "[{d}/{total} {:.0}s] {}: UAR {:.3} ({} epochs, best {:?})",
            t0.elapsed().as_secs_f64(),
            job.description,
            evaluate(&classifier, &test)?.uar,
            rec.history.len(),
            rec.best_epoch
        );
        anyhow::Ok(Outcome {
            key: job.key.clone(),
            classifier,
            test,
            epochs_run: rec.history.len(),
            best_epoch: rec.best_epoch,
            n_train: rec.data.n_train,
            seconds: rec.seconds,
        })
    })?
    .into_iter()
    .collect::<Result<Vec<_>>>()?;
    // Each (variant, adapted, seed, fold) group of members is one ensemble checkpoint, which
    // averages their probabilities, as the shipped model does.
    let mut groups: BTreeMap<(String, bool, u64, usize), Vec<&Outcome>> = BTreeMap::new();
    for o in &outcomes {
        let k = &o.key;
        groups
            .entry((k.variant.clone(), k.adapted, k.seed, k.fold))
            .or_default()
            .push(o);
    }
    groups
        .into_values()
        .map(|members| {
            let first = members[0];
            let classifiers: Vec<_> = members.iter().map(|m| m.classifier.clone()).collect();
            let p = ser_models::Classifier::ensemble(&classifiers)?
                .predict_batch(first.test.features())?;
            let pred: Vec<usize> = p.rows().into_iter().map(|r| argmax(&r.to_vec())).collect();
            let metrics = Metrics::compute(first.test.labels(), &pred, p.ncols())?;
            Ok(Scored {
                key: Key {
                    member: 0,
                    ..first.key.clone()
                },
                metrics,
                epochs_run: members.iter().map(|m| m.epochs_run).sum::<usize>() / members.len(),
                best_epoch: first.best_epoch,
                n_train: first.n_train,
                seconds: members.iter().map(|m| m.seconds).sum(),
            })
        })
        .collect()
}

/// The results.json entry of one (variant, adapted) group.
fn summarize(results: &[Scored], variant: &str, adapted: bool, extra: Value) -> Value {
    let rs: Vec<&Scored> = results
        .iter()
        .filter(|r| r.key.variant == variant && r.key.adapted == adapted)
        .collect();
    let mut seeds: Vec<u64> = rs.iter().map(|r| r.key.seed).collect();
    seeds.sort_unstable();
    seeds.dedup();
    let n_folds = rs.iter().map(|r| r.key.fold + 1).max().unwrap_or(0);
    let uar = |r: &Scored| r.metrics.uar;
    let acc = |r: &Scored| r.metrics.accuracy;
    // the mean of `metric` over the runs that `keep`
    let mean_where = |keep: &dyn Fn(&Scored) -> bool, metric: &dyn Fn(&Scored) -> f64| {
        let v: Vec<f64> = rs.iter().filter(|r| keep(r)).map(|r| metric(r)).collect();
        mean_std(&v).mean
    };
    let per_fold: Vec<f64> = (0..n_folds)
        .map(|k| mean_where(&|r| r.key.fold == k, &uar))
        .collect();
    let acc_fold: Vec<f64> = (0..n_folds)
        .map(|k| mean_where(&|r| r.key.fold == k, &acc))
        .collect();
    let ms = mean_std(&per_fold);
    let seed_means: Vec<f64> = seeds
        .iter()
        .map(|s| mean_where(&|r| r.key.seed == *s, &uar))
        .collect();
    let runs: Vec<Value> = rs
        .iter()
        .map(|r| {
            json!({"seed": r.key.seed, "fold": r.key.fold, "uar": uar(r), "accuracy": acc(r),
                   "epochs_run": r.epochs_run, "best_epoch": r.best_epoch, "n_train": r.n_train,
                   "n_test": r.metrics.n, "seconds": r.seconds})
        })
        .collect();
    let mut v = json!({
        "uar_mean": ms.mean,
        "uar_std": ms.std,
        "per_fold": per_fold,
        "accuracy_mean": mean_std(&acc_fold).mean,
        "seeds": seeds,
        "uar_per_seed": seed_means,
        "uar_std_over_seeds": mean_std(&seed_means).std,
        "runs": runs,
        "train_seconds_total": rs.iter().map(|r| r.seconds).sum::<f64>(),
        "adapted": adapted,
    });
    if let (Value::Object(m), Value::Object(e)) = (&mut v, extra) {
        m.extend(e);
    }
    v
}

fn update_results(path: &Path, entries: Vec<(String, Value)>) -> Result<()> {
    let mut root: Value = match std::fs::read(path) {
        Ok(b) => {
            serde_json::from_slice(&b).with_context(|| format!("reading {}", path.display()))?
        }
        Err(_) => json!({}),
    };
    let Value::Object(map) = &mut root else {
        bail!("{} is not a JSON object", path.display());
    };
    for (k, v) in entries {
        map.insert(k, v);
    }
    std::fs::write(path, serde_json::to_string_pretty(&root)? + "\n")?;
    eprintln!("updated {}", path.display());
    Ok(())
}

/// Prints and stores `base` (one clip at a time) and `base_adapted`.
fn write_pair(out: &Path, results: &[Scored], base: &str, note: &Value) -> Result<()> {
    let mut entries = Vec::new();
    for (a, suffix) in [(false, ""), (true, "_adapted")] {
        let key = format!("{base}{suffix}");
        let v = summarize(results, base, a, note.clone());
        print_entry(&key, &v);
        entries.push((key, v));
    }
    update_results(out, entries)
}

fn print_entry(name: &str, v: &Value) {
    let f = |k: &str| v[k].as_f64().unwrap_or(f64::NAN);
    let folds: Vec<String> = v["per_fold"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|x| format!("{:.3}", x.as_f64().unwrap_or(f64::NAN)))
                .collect()
        })
        .unwrap_or_default();
    println!(
        "{name:<44} UAR {:.3} +- {:.3}  acc {:.3}  folds {}",
        f("uar_mean"),
        f("uar_std"),
        f("accuracy_mean"),
        folds.join(" ")
    );
}

fn ravdess_splits(items: &[Item]) -> Result<Vec<Split>> {
    let splits = Protocol::SpeakerKFold(SpeakerFoldConfig::default()).splits(items, &[])?;
    // Check the folds are the documented ones (and the baseline's).
    for (k, s) in splits.iter().enumerate() {
        let mut got: Vec<String> = speakers_of(s, &s.test).into_iter().collect();
        got.sort();
        let mut want: Vec<String> = [2 * k + 1, 2 * k + 2, 2 * k + 13, 2 * k + 14]
            .iter()
            .map(|a| format!("ravdess:{a:02}"))
            .collect();
        want.sort();
        if got != want {
            bail!("fold {k} tests {got:?}, expected {want:?}");
        }
    }
    Ok(splits)
}

fn protocol_note(text: &str, recipe: &Recipe, labels: &LabelSet) -> Value {
    json!({"protocol": text, "recipe": recipe, "labels": labels.names(),
           "command": std::env::args().collect::<Vec<_>>().join(" ")})
}

fn main() -> Result<()> {
    let mut args = Args::parse();
    let env_dir = |k: &str| std::env::var_os(k).map(PathBuf::from);
    args.extra = args.extra.or_else(|| env_dir("SER_EXTRA_DATA"));
    let data = args
        .data
        .clone()
        .or_else(|| env_dir("SER_DATA_DIR"))
        .context("--data or SER_DATA_DIR (the directory with ravdess/)")?;
    let recipe: Recipe = match &args.recipe {
        Some(p) => serde_json::from_slice(&std::fs::read(p)?)?,
        None => Recipe::default(),
    };
    let t0 = Instant::now();
    let study = LabelSet::study();
    match args.stage {
        Stage::Ravdess | Stage::Song => {
            let items = scan(&data.join("ravdess"), CorpusKind::Ravdess)?;
            let splits = ravdess_splits(&items)?;
            let main = CorpusTables::extract(&items, &recipe, &study, &args.cache)?;
            let song;
            let mut extra: Vec<&Tables> = main.aug.iter().collect();
            let others = other_corpora(args.extra.as_deref(), &recipe, &study, &args.cache)?;
            for o in &others {
                extra.extend(o.all());
            }
            let base = if args.stage == Stage::Song {
                let s = scan(&data.join("ravdess-song"), CorpusKind::Ravdess)?;
                song = CorpusTables::extract(&s, &recipe, &study, &args.cache)?;
                extra.extend(song.all());
                "ravdess_speaker_6fold_with_song"
            } else {
                "ravdess_speaker_6fold"
            };
            let jobs = cv_jobs(
                base,
                &main.main,
                &extra,
                &splits,
                &recipe,
                &args.seeds,
                &study,
                &[false, true],
                splits.len(),
            )?;
            let results = run(&jobs, args.jobs, &args.runs)?;
            let validation = if recipe.rotate_validation {
                "ensemble member m trains on the other 20 minus the 4 actors of fold (k+1+m) mod 6, its early-stopping validation set, so the members together learn from all 20"
            } else {
                "trains on the other 20 minus the next fold's 4 actors, which are the early-stopping validation set"
            };
            let note = protocol_note(
                &format!("RAVDESS speech, 6 speaker-independent folds (fold k tests actors 2k+1, 2k+2, 2k+13, 2k+14; {validation}); UAR over the 8 classes; per_fold = mean over seeds; uar_std = population std over the 6 fold means"),
                &recipe,
                &study,
            );
            write_pair(&args.out, &results, base, &note)?;
        }
        Stage::Emodb => {
            let extra = args
                .extra
                .clone()
                .context("--extra (EmoDB directory parent)")?;
            let items = scan(&extra.join("emodb"), CorpusKind::EmoDb)?;
            let mut names: Vec<Label> = Vec::new();
            for e in Emotion::ALL {
                let l = Label::from(e);
                if items.iter().any(|it| it.label == l) {
                    names.push(l);
                }
            }
            let labels = LabelSet::new(names)?;
            let splits = Protocol::LeaveOneSpeakerOut {
                validation_folds: 1,
            }
            .splits(&items, &[])?;
            let main = CorpusTables::extract(&items, &recipe, &labels, &args.cache)?;
            let extra: Vec<&Tables> = main.aug.iter().collect();
            let jobs = cv_jobs(
                "emodb_loso",
                &main.main,
                &extra,
                &splits,
                &recipe,
                &args.seeds,
                &labels,
                &[false, true],
                splits.len(),
            )?;
            let results = run(&jobs, args.jobs, &args.runs)?;
            let validation = if recipe.rotate_validation {
                "ensemble member m of fold k early-stops on speaker k+1+m mod 10"
            } else {
                "early stopping on the next speaker"
            };
            let note = protocol_note(
                &format!("EmoDB leave-one-speaker-out (10 folds, {validation}), its own 7 classes (boredom included); UAR over the 7 classes"),
                &recipe,
                &labels,
            );
            write_pair(&args.out, &results, "emodb_loso", &note)?;
        }
        Stage::Ablation | Stage::Select => {
            let items = scan(&data.join("ravdess"), CorpusKind::Ravdess)?;
            let splits = ravdess_splits(&items)?;
            let seeds = vec![args.seeds[0]];
            let (variants, folds): (Vec<(String, Recipe)>, usize) = if args.stage == Stage::Ablation
            {
                (ablations(&recipe), 2)
            } else {
                (candidates(&recipe), splits.len())
            };
            let mut jobs = Vec::new();
            let mut all_tables = BTreeMap::new();
            for (name, r) in &variants {
                let fp = serde_json::to_string(&(&r.frontend, &r.speeds, &r.noise_snr_db))?;
                if !all_tables.contains_key(&fp) {
                    let c = CorpusTables::extract(&items, r, &study, &args.cache)?;
                    all_tables.insert(fp.clone(), c);
                }
                let c = &all_tables[&fp];
                let extra: Vec<&Tables> = c.aug.iter().collect();
                jobs.extend(cv_jobs(
                    name,
                    &c.main,
                    &extra,
                    &splits,
                    r,
                    &seeds,
                    &study,
                    &[false, true],
                    folds,
                )?);
            }
            let results = run(&jobs, args.jobs, &args.runs)?;
            let mut rows = Vec::new();
            for (name, r) in &variants {
                for a in [false, true] {
                    let v = summarize(&results, name, a, json!({}));
                    print_entry(&format!("{name} adapted={a}"), &v);
                    rows.push(
                        json!({"variant": name, "adapted": a, "uar_mean": v["uar_mean"],
                        "uar_std": v["uar_std"], "per_fold": v["per_fold"], "recipe": r,
                        "train_seconds_total": v["train_seconds_total"]}),
                    );
                }
            }
            let key = if args.stage == Stage::Ablation {
                "ablation"
            } else {
                "recipe_selection"
            };
            let n = folds;
            update_results(
                &args.out,
                vec![(
                    key.into(),
                    json!({"protocol": format!("RAVDESS speech, the first {n} of the 6 speaker-independent folds, seed {}", seeds[0]), "rows": rows, "command": std::env::args().collect::<Vec<_>>().join(" ")}),
                )],
            )?;
        }
        Stage::Cross => {
            let labels = shared_labels();
            let corpora = all_corpora(&data, args.extra.as_deref(), &recipe, &labels, &args.cache)?;
            let mut jobs = Vec::new();
            let mut variants: Vec<String> = Vec::new();
            for (held, (name, _)) in corpora.iter().enumerate() {
                // trained on every other corpus; and, for the others, on RAVDESS alone
                let mut sets: Vec<(String, Box<Include>)> =
                    vec![(name.clone(), Box::new(move |i| i != held))];
                if held != 0 {
                    sets.push((
                        format!("{name} (trained on RAVDESS only)"),
                        Box::new(|i| i == 0),
                    ));
                }
                for (variant, include) in sets {
                    variants.push(variant.clone());
                    for a in [false, true] {
                        let t = corpora[held].1.main.get(a);
                        let test = Arc::new(t.dataset(t.items())?);
                        for member in 0..recipe.ensemble.max(1) {
                            let (train, val) =
                                pooled(&corpora, &*include, a, recipe.validation_offset(member))?;
                            for &seed in &args.seeds {
                                jobs.push(Job {
                                    key: Key {
                                        variant: variant.clone(),
                                        adapted: a,
                                        seed,
                                        fold: 0,
                                        member,
                                    },
                                    description: format!(
                                        "cross-corpus: {variant} held out, adapted={a} seed {seed} member {member}"
                                    ),
                                    model: recipe.model(labels.len()),
                                    train_config: recipe
                                        .train_config(seed * 1000 + member as u64, true),
                                    features: recipe.spec(),
                                    labels: labels.clone(),
                                    train: Arc::clone(&train),
                                    validation: Some(Arc::clone(&val)),
                                    evals: vec![("test".into(), Arc::clone(&test))],
                                });
                            }
                        }
                    }
                }
            }
            let results = run(&jobs, args.jobs, &args.runs)?;
            let mut rows = serde_json::Map::new();
            for name in &variants {
                for (a, suffix) in [(false, ""), (true, "_adapted")] {
                    let v = summarize(&results, name, a, json!({}));
                    print_entry(&format!("held out: {name}{suffix}"), &v);
                    rows.insert(format!("{name}{suffix}"), v);
                }
            }
            let validation = if recipe.rotate_validation {
                "ensemble member m early-stops on every 10th speaker of the training corpora starting at the m-th (sorted ids)"
            } else {
                "early stopping on every 10th speaker of the training corpora"
            };
            let mut entry = protocol_note(
                &format!("each corpus held out whole; trained on all the others (speed-perturbed copies per the recipe), {validation}; 7 shared classes (RAVDESS calm merged into neutral, EmoDB boredom left out); UAR over the held-out corpus's classes"),
                &recipe,
                &labels,
            );
            if let Value::Object(m) = &mut entry {
                m.insert("held_out".into(), Value::Object(rows));
            }
            update_results(&args.out, vec![("cross_corpus".into(), entry)])?;
        }
        Stage::DefaultModel => {
            let labels = shared_labels();
            let corpora = all_corpora(&data, args.extra.as_deref(), &recipe, &labels, &args.cache)?;
            let names: Vec<&str> = corpora.iter().map(|(n, _)| n.as_str()).collect();
            let seed = args.seeds[0];
            // Every member of both variants, trained in parallel (each single-threaded, as in
            // `run`), then one ensemble checkpoint per variant.
            let mut jobs = Vec::new();
            for a in [false, true] {
                for member in 0..recipe.ensemble.max(1) {
                    let (train, val) =
                        pooled(&corpora, &|_| true, a, recipe.validation_offset(member))?;
                    jobs.push(Job {
                        key: Key {
                            variant: "default".into(),
                            adapted: a,
                            seed,
                            fold: 0,
                            member,
                        },
                        description: format!("default model, adapted={a}, member {member}"),
                        model: recipe.model(labels.len()),
                        train_config: recipe.train_config(seed * 1000 + member as u64, true),
                        features: recipe.spec(),
                        labels: labels.clone(),
                        train,
                        validation: Some(val),
                        evals: vec![],
                    });
                }
            }
            std::env::set_var("RAYON_NUM_THREADS", "1");
            let trained = map_longest_first(&jobs, args.jobs, Job::estimated_cost, |_, job| {
                train_or_load(job, Some(&args.runs))
            })?
            .into_iter()
            .collect::<Result<Vec<_>, _>>()?;
            for (a, dir) in [
                (false, args.model_out.clone()),
                (true, args.model_out.join(ser::ADAPTED_DIR)),
            ] {
                let mut members = Vec::new();
                let mut uars = Vec::new();
                for (job, m) in jobs
                    .iter()
                    .zip(&trained)
                    .filter(|(j, _)| j.key.adapted == a)
                {
                    let val = job
                        .validation
                        .as_deref()
                        .context("a job without validation")?;
                    let uar = evaluate(m, val)?.uar;
                    eprintln!(
                        "{}: {} training rows, best epoch {:?}, UAR {uar:.3} on its {} validation rows",
                        job.description,
                        job.train.len(),
                        m.meta().training.as_ref().and_then(|r| r.best_epoch),
                        val.len(),
                    );
                    members.push(m.clone());
                    uars.push(uar);
                }
                let clf = ser_models::Classifier::ensemble(&members)?;
                // With rotating validation no speaker is unseen by every member, so the
                // ensemble itself has no clean validation set: only the members are scored.
                let scored = mean_std(&uars);
                eprintln!(
                    "adapted={a}: ensemble of {}, members' validation UAR {:.3} +- {:.3}",
                    members.len(),
                    scored.mean,
                    scored.std,
                );
                let mut meta = clf.meta().clone();
                meta.speaker_standardized = a;
                meta.provenance = Some(format!(
                    "ser benchmark --stage default-model (recipe in training record), trained on {} ({}); licence: CC BY-NC-SA 4.0 (RAVDESS, nEMO), research use (EmoDB), cite ASED",
                    names.join(", "),
                    if a { "features standardised per speaker" } else { "features as they are" }
                ));
                let clf = ser_models::Classifier::from_parts(meta, clf.weights()?)?;
                clf.save(&dir)?;
                eprintln!("wrote {}", dir.display());
            }
        }
    }
    eprintln!("wall time {:.0} s", t0.elapsed().as_secs_f64());
    Ok(())
}

/// The default model's classes: seven emotions every training corpus can label (RAVDESS's
/// calm, which no other corpus has, merged into neutral; EmoDB's boredom left out).
fn shared_labels() -> LabelSet {
    let seven: Vec<Emotion> = Emotion::STUDY
        .into_iter()
        .filter(|e| *e != Emotion::Calm)
        .collect();
    LabelSet::from_emotions(&seven).expect("distinct emotions")
}

/// A corpus with its augmented copies.
struct CorpusTables {
    main: Tables,
    aug: Vec<Tables>,
}

impl CorpusTables {
    /// The tables of `items` and of the recipe's augmented copies of them.
    fn extract(items: &[Item], recipe: &Recipe, labels: &LabelSet, cache: &Path) -> Result<Self> {
        Ok(Self {
            main: tables(items, recipe, labels, cache)?,
            aug: augmented(items, recipe, labels, cache)?,
        })
    }

    /// The main table, then the augmented ones.
    fn all(&self) -> impl Iterator<Item = &Tables> {
        std::iter::once(&self.main).chain(&self.aug)
    }
}

/// RAVDESS speech and, when `extra` is given, EmoDB, ASED and nEMO, with calm merged into
/// neutral.
fn all_corpora(
    data: &Path,
    extra: Option<&Path>,
    recipe: &Recipe,
    labels: &LabelSet,
    cache: &Path,
) -> Result<Vec<(String, CorpusTables)>> {
    let mut list = vec![(
        "ravdess".to_string(),
        data.join("ravdess"),
        CorpusKind::Ravdess,
    )];
    if let Some(e) = extra {
        for (n, k) in [
            ("emodb", CorpusKind::EmoDb),
            ("ased", CorpusKind::Ased),
            ("nemo", CorpusKind::Nemo),
        ] {
            list.push((n.to_string(), e.join(n), k));
        }
    }
    let mut out = Vec::new();
    for (name, dir, kind) in list {
        let mut items = scan(&dir, kind)?;
        merge_calm(&mut items);
        eprintln!("{name}: {} clips", items.len());
        out.push((name, CorpusTables::extract(&items, recipe, labels, cache)?));
    }
    Ok(out)
}

/// The recipe's `with_corpora`, in the given classes (clips of other classes left out).
fn other_corpora(
    extra: Option<&Path>,
    recipe: &Recipe,
    labels: &LabelSet,
    cache: &Path,
) -> Result<Vec<CorpusTables>> {
    let mut out = Vec::new();
    for name in &recipe.with_corpora {
        let dir = extra
            .context("--extra (the directory of the recipe's with_corpora)")?
            .join(name);
        let kind: CorpusKind = name.parse().with_context(|| format!("corpus {name}"))?;
        let items = scan(&dir, kind)?;
        out.push(CorpusTables::extract(&items, recipe, labels, cache)?);
    }
    Ok(out)
}

/// Which corpora (by index) a pooled training set includes.
type Include = dyn Fn(usize) -> bool;

/// Training and validation data pooled over the `corpora` that `include` accepts: every 10th
/// speaker (sorted ids, starting at the `offset`-th) of each corpus validates, the others (with
/// their augmented copies) train.
fn pooled(
    corpora: &[(String, CorpusTables)],
    include: &Include,
    adapted: bool,
    offset: usize,
) -> Result<(Arc<Dataset>, Arc<Dataset>)> {
    let mut train = Vec::new();
    let mut val = Vec::new();
    for (i, (_, c)) in corpora.iter().enumerate() {
        if !include(i) {
            continue;
        }
        let t = c.main.get(adapted);
        let mut speakers: Vec<String> = t.items().iter().map(Item::speaker_key).collect();
        speakers.sort();
        speakers.dedup();
        let val_speakers: HashSet<String> =
            speakers.iter().skip(offset).step_by(10).cloned().collect();
        val.push(rows_of(t, &val_speakers)?);
        train.push(rows_without(t, &val_speakers)?);
        for a in &c.aug {
            train.push(rows_without(a.get(adapted), &val_speakers)?);
        }
    }
    Ok((Arc::new(concat(&train)?), Arc::new(concat(&val)?)))
}

/// The ablation variants: the recipe, then one change each.
fn ablations(base: &Recipe) -> Vec<(String, Recipe)> {
    let mut v = vec![("recipe".to_string(), base.clone())];
    let mut add = |name: &str, f: &dyn Fn(&mut Recipe)| {
        let mut r = base.clone();
        f(&mut r);
        v.push((name.to_string(), r));
    };
    add("no speed perturbation", &|r| r.speeds.clear());
    add("4 speeds (0.8 0.9 1.1 1.2) instead of 8", &|r| {
        r.speeds = vec![0.8, 0.9, 1.1, 1.2]
    });
    add("no noisy copy", &|r| r.noise_snr_db.clear());
    add("noisy copy at 25 dB SNR instead of 15", &|r| {
        r.noise_snr_db = vec![25.0]
    });
    add("no VAD (all frames)", &|r| r.frontend.vad = None);
    add("no pitch", &|r| r.frontend.pitch = None);
    add("no prosodic dynamics", &|r| r.frontend.prosody = false);
    add("percentiles 10/50/90 of each MFCC and band", &|r| {
        r.frontend.percentiles = vec![10.0, 50.0, 90.0]
    });
    add("batch 32 instead of 128", &|r| r.batch_size = 32);
    add("linear (no hidden layer)", &|r| r.hidden.clear());
    add("no dropout", &|r| {
        r.dropout = 0.0;
        r.input_dropout = 0.0
    });
    // the ensemble's effect, whichever way the base recipe has it, and that of rotating its
    // members' validation speakers
    if base.ensemble > 1 {
        add(
            &format!("one model instead of an ensemble of {}", base.ensemble),
            &|r| r.ensemble = 1,
        );
    } else {
        add("an ensemble of 5 instead of one model", &|r| r.ensemble = 5);
    }
    // the rotation's effect on an ensemble (the row above has the base recipe's rotation)
    let members = base.ensemble.max(5);
    let how = if base.rotate_validation {
        "every member validated on the same speakers"
    } else {
        "each member validated on other speakers"
    };
    add(&format!("an ensemble of {members}, {how}"), &|r| {
        r.ensemble = members;
        r.rotate_validation = !base.rotate_validation
    });
    v
}

/// Recipe candidates for selection by CV.
fn candidates(base: &Recipe) -> Vec<(String, Recipe)> {
    let mut v = Vec::new();
    for hidden in [vec![], vec![128], vec![256], vec![512]] {
        for wd in [1e-2, 1e-1] {
            let mut r = base.clone();
            r.hidden = hidden.clone();
            r.weight_decay = wd;
            v.push((format!("hidden {hidden:?} wd {wd}"), r));
        }
    }
    v
}
