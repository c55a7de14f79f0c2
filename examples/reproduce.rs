//! Reproduce the 2019 study and test it honestly: all four models under four protocols, plus
//! the bundled default model.
//!
//! ```text
//! cargo run --release --example reproduce -- --data DIR [--savee DIR] [--epochs 100] \
//!     [--batch-size 32] [--seed 42] [--patience 10] [--out runs/reproduce] [--jobs 2] \
//!     [--default-out models/default] [--figures docs/figures] [--quick]
//! ```
//!
//! `DIR` (default `$SER_DATA_DIR`) holds `ravdess/` (`Actor_01` .. `Actor_24`); SAVEE defaults to
//! `DIR/seed/SAVEE_files` (either SAVEE layout is accepted).
//!
//! 1. The study's protocol: RAVDESS speech with simulated audio-video twins placed in front,
//!    80/10/10 without shuffling, `--epochs` epochs, no early stopping (the leak: the twin of
//!    every test clip is in the training side).
//! 2. The same protocol without twins.
//! 3. Speaker-independent 6-fold CV (4 actors per fold, gender-balanced, validation speakers
//!    from the training speakers), with and without feature standardisation, early stopping on
//!    validation loss (`--patience`, best weights restored, at most `--epochs`).
//! 4. Cross-corpus: trained on RAVDESS speech (validation: 4 held-out actors, early stopping),
//!    tested on SAVEE; the study's seed models likewise.
//!
//! Then the default model: the configuration with the best mean CV UAR, trained on all RAVDESS
//! speech for the mean best epoch count of its CV folds, saved to `--default-out`.
//!
//! Independent trainings run on `--jobs` threads, each training single-threaded. Writes
//! `results.json`, the per-epoch plots of protocol 1 and the CV confusion matrix into `--out`
//! (copied into `--figures`). RAVDESS is CC BY-NC-SA 4.0 (Livingstone & Russo 2018).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "common/progress.rs"]
mod progress;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Parser;
use ndarray::Array2;
use ser_corpus::features::{extract_features, AudioConfig, ExtractOptions, FeatureConfig};
use ser_corpus::split::{self, Side, SpeakerFoldConfig, StudySplitConfig};
use ser_corpus::{CorpusKind, Item, ScanOptions};
use ser_models::{
    Arch, Classifier, Dataset, EarlyStopping, EpochRecord, LabelSet, Metrics, OptimizerConfig,
    SeedModel, TrainConfig, Trainer,
};
use serde_json::{json, Value};

#[derive(Debug, Parser)]
struct Args {
    /// Data directory holding `ravdess/` (default: $SER_DATA_DIR).
    #[arg(long)]
    data: Option<PathBuf>,
    /// SAVEE directory (default: DATA/seed/SAVEE_files).
    #[arg(long)]
    savee: Option<PathBuf>,
    /// Epochs (protocols 1-2) and maximum epochs with early stopping (3-4).
    #[arg(long, default_value_t = 100)]
    epochs: usize,
    /// Mini-batch size (the released code used Keras' default 32).
    #[arg(long, default_value_t = 32)]
    batch_size: usize,
    /// Seed of initialisation, shuffling and dropout.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Early-stopping patience (epochs) for protocols 3-4.
    #[arg(long, default_value_t = 10)]
    patience: usize,
    /// Output directory.
    #[arg(long, default_value = "runs/reproduce")]
    out: PathBuf,
    /// Parallel trainings.
    #[arg(long, default_value_t = 2)]
    jobs: usize,
    /// Where to write the default model (skipped if not given).
    #[arg(long)]
    default_out: Option<PathBuf>,
    /// Copy the figures here too.
    #[arg(long)]
    figures: Option<PathBuf>,
    /// Feature cache directory.
    #[arg(long, default_value = "target/ser-cache")]
    cache: PathBuf,
    /// Smoke test: 3 epochs, 2 CV folds.
    #[arg(long)]
    quick: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Stage {
    StudyTwins,
    Study,
    SpeakerCv,
    CrossCorpus,
}

impl Stage {
    fn key(self) -> &'static str {
        match self {
            Stage::StudyTwins => "study_twins",
            Stage::Study => "study",
            Stage::SpeakerCv => "speaker_cv",
            Stage::CrossCorpus => "cross_corpus",
        }
    }
}

/// Features of every clip, looked up by path and twin flag: a simulated audio-video twin has its
/// own row, extracted through 44.1 kHz 16-bit as the study's ffmpeg extraction did, so it is the
/// same take but not bit-identical features.
struct FeatureTable {
    x: Array2<f32>,
    row: HashMap<(PathBuf, bool), usize>,
}

impl FeatureTable {
    fn dataset(&self, items: &[&Item]) -> Result<Dataset> {
        let kept: Vec<(usize, usize)> = items
            .iter()
            .filter_map(|it| {
                self.row
                    .get(&(it.path.clone(), it.simulated_av_twin))
                    .and_then(|&r| Some((r, it.emotion()?.index())))
            })
            .collect();
        let mut x = Array2::zeros((kept.len(), self.x.ncols()));
        for (i, &(r, _)) in kept.iter().enumerate() {
            x.row_mut(i).assign(&self.x.row(r));
        }
        Ok(Dataset::new(
            x,
            kept.iter().map(|&(_, l)| l).collect(),
            labels().len(),
        )?)
    }
}

/// Extracts (through the cache) the features of `items`, and with `with_twins` also those of
/// each item's simulated audio-video twin.
fn features(
    items: &[Item],
    with_twins: bool,
    fcfg: &FeatureConfig,
    cache: &Path,
) -> Result<FeatureTable> {
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
    let feats = extract_features(
        &all,
        fcfg,
        &ExtractOptions {
            cache_dir: Some(cache.to_path_buf()),
            progress: progress::feature_progress(false),
        },
    )?;
    for f in &feats.failures {
        eprintln!("skipped {}: {}", f.path.display(), f.reason);
    }
    let row = feats
        .items
        .iter()
        .enumerate()
        .map(|(i, it)| ((it.path.clone(), it.simulated_av_twin), i))
        .collect();
    Ok(FeatureTable { x: feats.x, row })
}

struct Task {
    stage: Stage,
    arch: Arch,
    standardize: bool,
    fold: Option<usize>,
    train: Dataset,
    val: Option<Dataset>,
    /// Named evaluation sets (e.g. "test", "savee").
    evals: Vec<(String, Dataset)>,
    epochs: usize,
    patience: Option<usize>,
    /// Expected cost for scheduling (longest first).
    cost: f64,
}

struct TaskResult {
    stage: Stage,
    arch: Arch,
    standardize: bool,
    fold: Option<usize>,
    n_train: usize,
    n_val: usize,
    train: Metrics,
    val: Option<Metrics>,
    evals: Vec<(String, Metrics)>,
    epochs_run: usize,
    best_epoch: Option<usize>,
    stopped_early: bool,
    seconds: f64,
    history: Vec<EpochRecord>,
}

fn labels() -> LabelSet {
    LabelSet::study()
}

fn train_config(
    arch: Arch,
    standardize: bool,
    epochs: usize,
    patience: Option<usize>,
    a: &Args,
) -> TrainConfig {
    TrainConfig {
        epochs,
        batch_size: a.batch_size,
        seed: a.seed,
        optimizer: OptimizerConfig::study(arch),
        standardize,
        early_stopping: patience.map(|patience| EarlyStopping {
            patience,
            ..EarlyStopping::default()
        }),
        ..TrainConfig::default()
    }
}

fn eval(model: &Classifier, ds: &Dataset) -> Result<Metrics> {
    let pred = ser_models::predict_classes(model, ds.features())?;
    Ok(Metrics::compute(ds.labels(), &pred, labels().len())?)
}

fn run_task(t: &Task, a: &Args, fcfg: &FeatureConfig) -> Result<TaskResult> {
    let start = Instant::now();
    let cfg = train_config(t.arch, t.standardize, t.epochs, t.patience, a);
    let mut trainer = Trainer::new(t.arch.default_config(), cfg, fcfg.mfcc.clone(), labels())?;
    let desc = format!(
        "reproduce {} model {:?} standardize {} fold {:?}",
        t.stage.key(),
        t.arch,
        t.standardize,
        t.fold
    );
    trainer.fit(&t.train, t.val.as_ref(), &desc, &mut |_| {})?;
    let model = trainer.classifier()?;
    let rec = trainer.record();
    let train = eval(&model, &t.train)?;
    let val = t.val.as_ref().map(|v| eval(&model, v)).transpose()?;
    let evals = t
        .evals
        .iter()
        .map(|(n, ds)| Ok((n.clone(), eval(&model, ds)?)))
        .collect::<Result<Vec<_>>>()?;
    Ok(TaskResult {
        stage: t.stage,
        arch: t.arch,
        standardize: t.standardize,
        fold: t.fold,
        n_train: t.train.len(),
        n_val: t.val.as_ref().map_or(0, |v| v.len()),
        train,
        val,
        evals,
        epochs_run: rec.history.len(),
        best_epoch: rec.best_epoch,
        stopped_early: rec.stopped_early,
        seconds: start.elapsed().as_secs_f64(),
        history: rec.history.clone(),
    })
}

fn metrics_json(m: &Metrics) -> Value {
    json!({"n": m.n, "accuracy": m.accuracy, "uar": m.uar, "macro_f1": m.macro_f1,
           "confusion": m.confusion})
}

fn mean_std(v: &[f64]) -> (f64, f64) {
    let n = v.len().max(1) as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
    (mean, var.sqrt())
}

/// Seconds per epoch on 1152 vectors, one thread (docs/PERFORMANCE.md), for scheduling.
fn epoch_cost(arch: Arch) -> f64 {
    match arch {
        Arch::A => 1.0,
        Arch::B => 0.1,
        Arch::C => 0.09,
        Arch::D => 0.38,
        #[allow(unreachable_patterns)]
        _ => 1.0,
    }
}

const ARCHS: [Arch; 4] = [Arch::A, Arch::B, Arch::C, Arch::D];
const SEEDS: [SeedModel; 4] = [SeedModel::A, SeedModel::B, SeedModel::C, SeedModel::D];

/// Ground truth in a seed model's label order (matched by name).
fn seed_eval(model: &Classifier, items: &[&Item], table: &FeatureTable) -> Result<Metrics> {
    let ds = table.dataset(items)?;
    let names = model.labels();
    let onto = labels().map_onto(names);
    let truth: Vec<usize> = ds
        .labels()
        .iter()
        .map(|&l| {
            onto.get(l)
                .copied()
                .flatten()
                .with_context(|| format!("seed model lacks class {l}"))
        })
        .collect::<Result<_>>()?;
    let pred = ser_models::predict_classes(model, ds.features())?;
    Ok(Metrics::compute(&truth, &pred, names.len())?)
}

fn main() -> Result<()> {
    let mut args = Args::parse();
    if args.quick {
        args.epochs = args.epochs.min(3);
    }
    let t0 = Instant::now();
    let data = match args.data.clone() {
        Some(d) => d,
        None => PathBuf::from(
            std::env::var_os("SER_DATA_DIR").context("give --data or set SER_DATA_DIR")?,
        ),
    };
    let ravdess_dir = data.join("ravdess");
    let savee_dir = args
        .savee
        .clone()
        .unwrap_or_else(|| data.join("seed").join("SAVEE_files"));
    std::fs::create_dir_all(&args.out)?;

    // ---- data ----
    let corpus = ser_corpus::scan(&ravdess_dir)
        .with_context(|| format!("scanning {}", ravdess_dir.display()))?;
    if corpus.items.is_empty() {
        bail!("no labelled clips under {}", ravdess_dir.display());
    }
    let savee = ser_corpus::scan_with(
        &savee_dir,
        &ScanOptions {
            force: Some(CorpusKind::Savee),
            ..ScanOptions::default()
        },
    )
    .with_context(|| format!("scanning {}", savee_dir.display()))?;
    eprintln!(
        "RAVDESS: {} clips, SAVEE: {} clips",
        corpus.items.len(),
        savee.items.len()
    );
    let fcfg = FeatureConfig::study();
    let table = features(&corpus.items, true, &fcfg, &args.cache)?;
    let savee_table = features(&savee.items, false, &fcfg, &args.cache)?;
    let (dups, _) = ser_corpus::features::find_duplicates(&corpus.items);
    let t_features = t0.elapsed().as_secs_f64();
    eprintln!("features: {t_features:.1} s");

    // Every training single-threaded from here on (candle's CPU matmul reads this per call);
    // the global rayon pool (feature extraction) is already built.
    std::env::set_var("RAYON_NUM_THREADS", "1");

    let savee_refs: Vec<&Item> = savee.items.iter().collect();
    let savee_ds = savee_table.dataset(&savee_refs)?;

    // ---- tasks ----
    let mut tasks: Vec<Task> = Vec::new();
    let mut protocol_info = serde_json::Map::new();
    for (stage, twins) in [(Stage::StudyTwins, true), (Stage::Study, false)] {
        let sp = split::study_split(
            &corpus.items,
            &StudySplitConfig {
                simulated_av_twins: twins,
                ..StudySplitConfig::default()
            },
        )?;
        // Leaking pairs: a clip on the validation/test side whose twin is in training.
        let mut side_of: HashMap<(&str, bool), Side> = HashMap::new();
        for side in [Side::Train, Side::Validation, Side::Test] {
            for it in sp.side_items(side) {
                side_of.insert((it.performance.as_str(), it.simulated_av_twin), side);
            }
        }
        let mut leaks = BTreeMap::new();
        for side in [Side::Validation, Side::Test] {
            let n = sp
                .side_items(side)
                .iter()
                .filter(|it| {
                    side_of.get(&(it.performance.as_str(), !it.simulated_av_twin))
                        == Some(&Side::Train)
                })
                .count();
            leaks.insert(format!("{side:?}").to_lowercase(), n);
        }
        let leak_lines = sp.leaks(&dups).len();
        eprintln!(
            "{}: train {} / val {} / test {}; clips whose twin is in training: {:?}",
            stage.key(),
            sp.train.len(),
            sp.validation.len(),
            sp.test.len(),
            leaks
        );
        protocol_info.insert(
            stage.key().into(),
            json!({"n_train": sp.train.len(), "n_val": sp.validation.len(), "n_test": sp.test.len(),
                   "twin_in_train": leaks, "leak_reports": leak_lines}),
        );
        let train = table.dataset(&sp.side_items(Side::Train))?;
        let val = table.dataset(&sp.side_items(Side::Validation))?;
        let test = table.dataset(&sp.side_items(Side::Test))?;
        for arch in ARCHS {
            tasks.push(Task {
                stage,
                arch,
                standardize: false,
                fold: None,
                cost: epoch_cost(arch) * args.epochs as f64 * train.len() as f64 / 1152.0,
                train: train.clone(),
                val: Some(val.clone()),
                evals: vec![("test".into(), test.clone())],
                epochs: args.epochs,
                patience: None,
            });
        }
    }
    let folds = split::speaker_kfold(&corpus.items, &dups, &SpeakerFoldConfig::default())?;
    let n_folds = if args.quick { 2 } else { folds.folds.len() };
    let mut fold_info = Vec::new();
    for (k, f) in folds.folds.iter().enumerate().take(n_folds) {
        let pick = |ix: &[usize]| -> Vec<&Item> { ix.iter().map(|&i| &folds.items[i]).collect() };
        let train = table.dataset(&pick(&f.train))?;
        let val = table.dataset(&pick(&f.validation))?;
        let test = table.dataset(&pick(&f.test))?;
        fold_info.push(json!({"fold": k, "test_speakers": f.test_speakers,
            "validation_speakers": f.validation_speakers, "n_train": train.len(),
            "n_val": val.len(), "n_test": test.len()}));
        for arch in ARCHS {
            for standardize in [false, true] {
                tasks.push(Task {
                    stage: Stage::SpeakerCv,
                    arch,
                    standardize,
                    fold: Some(k),
                    // Early stopping: assume about half the epochs.
                    cost: epoch_cost(arch) * args.epochs as f64 * 0.5,
                    train: train.clone(),
                    val: Some(val.clone()),
                    evals: vec![("test".into(), test.clone())],
                    epochs: args.epochs,
                    patience: Some(args.patience),
                });
            }
        }
    }
    // Cross-corpus: all RAVDESS speech but fold 0's test speakers as validation.
    let f0 = &folds.folds[0];
    let cc_train_ix: Vec<usize> = f0.train.iter().chain(&f0.validation).copied().collect();
    let cc_train = table.dataset(
        &cc_train_ix
            .iter()
            .map(|&i| &folds.items[i])
            .collect::<Vec<_>>(),
    )?;
    let cc_val = table.dataset(&f0.test.iter().map(|&i| &folds.items[i]).collect::<Vec<_>>())?;
    for arch in ARCHS {
        tasks.push(Task {
            stage: Stage::CrossCorpus,
            arch,
            standardize: false,
            fold: None,
            cost: epoch_cost(arch) * args.epochs as f64 * 0.6,
            train: cc_train.clone(),
            val: Some(cc_val.clone()),
            evals: vec![("savee".into(), savee_ds.clone())],
            epochs: args.epochs,
            patience: Some(args.patience),
        });
    }
    tasks.sort_by(|x, y| y.cost.total_cmp(&x.cost));
    eprintln!("{} trainings on {} threads", tasks.len(), args.jobs);

    // ---- trainings: greedy longest-first over `jobs` workers ----
    let t_train0 = Instant::now();
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<TaskResult>>> =
        Mutex::new((0..tasks.len()).map(|_| None).collect());
    let errors: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.jobs.max(1))
        .build()?;
    pool.scope(|s| {
        for _ in 0..args.jobs.max(1) {
            s.spawn(|_| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(t) = tasks.get(i) else { break };
                match run_task(t, &args, &fcfg) {
                    Ok(r) => {
                        let d = done.fetch_add(1, Ordering::SeqCst) + 1;
                        let main = r.evals.first().map_or(0.0, |(_, m)| m.accuracy);
                        eprintln!(
                            "[{d}/{}] {:>7.1} s  {} model {:?} std {} fold {:?}: {} epochs (best {:?}), {} acc {:.3} ({:.1} s)",
                            tasks.len(),
                            t0.elapsed().as_secs_f64(),
                            r.stage.key(),
                            r.arch,
                            r.standardize,
                            r.fold,
                            r.epochs_run,
                            r.best_epoch,
                            r.evals.first().map_or("", |(n, _)| n.as_str()),
                            main,
                            r.seconds
                        );
                        results.lock().unwrap()[i] = Some(r);
                    }
                    Err(e) => errors.lock().unwrap().push(format!(
                        "{} model {:?} fold {:?}: {e:#}",
                        t.stage.key(),
                        t.arch,
                        t.fold
                    )),
                }
            });
        }
    });
    let errors = errors.into_inner().unwrap();
    if !errors.is_empty() {
        bail!("trainings failed:\n{}", errors.join("\n"));
    }
    let results: Vec<TaskResult> = results
        .into_inner()
        .unwrap()
        .into_iter()
        .flatten()
        .collect();
    let t_train = t_train0.elapsed().as_secs_f64();

    // ---- stage summaries ----
    let mut stage_seconds: BTreeMap<&str, f64> = BTreeMap::new();
    for r in &results {
        *stage_seconds.entry(r.stage.key()).or_default() += r.seconds;
    }
    for (k, s) in &stage_seconds {
        eprintln!("stage {k}: {s:.1} s of training (single-thread seconds)");
    }
    let names = labels();
    let mut out = serde_json::Map::new();
    let fig_dir = args.out.clone();
    for stage in [Stage::StudyTwins, Stage::Study, Stage::CrossCorpus] {
        let mut rows = Vec::new();
        for r in results.iter().filter(|r| r.stage == stage) {
            let ev: serde_json::Map<String, Value> = r
                .evals
                .iter()
                .map(|(n, m)| (n.clone(), metrics_json(m)))
                .collect();
            rows.push(
                json!({"model": format!("{:?}", r.arch), "train": metrics_json(&r.train),
                "val": r.val.as_ref().map(metrics_json), "eval": ev, "n_train": r.n_train,
                "n_val": r.n_val, "epochs_run": r.epochs_run, "best_epoch": r.best_epoch,
                "stopped_early": r.stopped_early, "seconds": r.seconds,
                "history": r.history}),
            );
            if stage == Stage::StudyTwins || stage == Stage::Study {
                let title = format!(
                    "Model_{:?} ({})",
                    r.arch,
                    if stage == Stage::StudyTwins {
                        "study protocol, with AV twins"
                    } else {
                        "study protocol, no twins"
                    }
                );
                ser_models::plot::plot_history(
                    &r.history,
                    &title,
                    fig_dir.join(format!("history_{}_{:?}.svg", stage.key(), r.arch)),
                )?;
            }
        }
        rows.sort_by_key(|v| v["model"].as_str().unwrap_or("").to_string());
        let mut o = json!({"models": rows, "training_seconds": stage_seconds.get(stage.key())});
        if let Some(p) = protocol_info.get(stage.key()) {
            o["split"] = p.clone();
        }
        out.insert(stage.key().into(), o);
    }

    // Speaker CV: per (arch, standardize).
    let mut cv_rows = Vec::new();
    let mut best: Option<(f64, Arch, bool)> = None;
    for arch in ARCHS {
        for standardize in [false, true] {
            let rs: Vec<&TaskResult> = results
                .iter()
                .filter(|r| {
                    r.stage == Stage::SpeakerCv && r.arch == arch && r.standardize == standardize
                })
                .collect();
            let acc: Vec<f64> = rs.iter().map(|r| r.evals[0].1.accuracy).collect();
            let uar: Vec<f64> = rs.iter().map(|r| r.evals[0].1.uar).collect();
            let best_epochs: Vec<f64> = rs
                .iter()
                .map(|r| r.best_epoch.unwrap_or(r.epochs_run) as f64)
                .collect();
            let (am, asd) = mean_std(&acc);
            let (um, usd) = mean_std(&uar);
            let (be, _) = mean_std(&best_epochs);
            let mut conf = vec![vec![0usize; names.len()]; names.len()];
            for r in &rs {
                for (i, row) in r.evals[0].1.confusion.iter().enumerate() {
                    for (j, c) in row.iter().enumerate() {
                        conf[i][j] += c;
                    }
                }
            }
            eprintln!(
                "CV model {arch:?} std {standardize}: accuracy {am:.3} ± {asd:.3}, UAR {um:.3} ± {usd:.3}, mean best epoch {be:.1}"
            );
            if best.is_none_or(|(b, _, _)| um > b) {
                best = Some((um, arch, standardize));
            }
            cv_rows.push(
                json!({"model": format!("{arch:?}"), "standardize": standardize,
                "accuracy_mean": am, "accuracy_std": asd, "uar_mean": um, "uar_std": usd,
                "accuracy": acc, "uar": uar, "best_epochs": best_epochs,
                "mean_best_epoch": be, "confusion": conf,
                "epochs_run": rs.iter().map(|r| r.epochs_run).collect::<Vec<_>>(),
                "seconds": rs.iter().map(|r| r.seconds).sum::<f64>()}),
            );
        }
    }
    let (best_uar, best_arch, best_std) = best.context("no CV results")?;
    let best_row = cv_rows
        .iter()
        .find(|v| v["model"] == format!("{best_arch:?}") && v["standardize"] == best_std)
        .cloned()
        .context("best row")?;
    let best_conf: Vec<Vec<usize>> = serde_json::from_value(best_row["confusion"].clone())?;
    let conf_title = format!(
        "Model_{best_arch:?}{}: speaker 6-fold CV, all test folds",
        if best_std { " + standardisation" } else { "" }
    );
    ser_models::plot::plot_confusion(
        &best_conf,
        &names,
        &conf_title,
        fig_dir.join("confusion_speaker_cv_best.svg"),
    )?;
    out.insert(
        "speaker_cv".into(),
        json!({"folds": fold_info, "rows": cv_rows, "patience": args.patience,
               "max_epochs": args.epochs,
               "best": {"model": format!("{best_arch:?}"), "standardize": best_std, "uar_mean": best_uar},
               "training_seconds": stage_seconds.get("speaker_cv")}),
    );

    // ---- the study's seed models ----
    let seed_feats_cfg = Classifier::seed(SeedModel::B)?.feature_config().clone();
    let seed_fcfg = FeatureConfig {
        audio: AudioConfig::default(),
        mfcc: seed_feats_cfg,
    };
    let same_cfg = seed_fcfg.fingerprint()? == fcfg.fingerprint()?;
    let (seed_table, seed_savee) = if same_cfg {
        (None, None)
    } else {
        (
            Some(features(&corpus.items, false, &seed_fcfg, &args.cache)?),
            Some(features(&savee.items, false, &seed_fcfg, &args.cache)?),
        )
    };
    let seed_table = seed_table.as_ref().unwrap_or(&table);
    let seed_savee = seed_savee.as_ref().unwrap_or(&savee_table);
    let mut seed_rows = Vec::new();
    for which in SEEDS {
        let model = Classifier::seed(which)?;
        if model.feature_config() != &seed_fcfg.mfcc {
            bail!("seed model {which:?} has another feature config");
        }
        let sv = seed_eval(&model, &savee_refs, seed_savee)?;
        let mut fold_acc = Vec::new();
        let mut fold_uar = Vec::new();
        for f in folds.folds.iter().take(n_folds) {
            let items: Vec<&Item> = f.test.iter().map(|&i| &folds.items[i]).collect();
            let m = seed_eval(&model, &items, seed_table)?;
            fold_acc.push(m.accuracy);
            fold_uar.push(m.uar);
        }
        let (am, asd) = mean_std(&fold_acc);
        let (um, usd) = mean_std(&fold_uar);
        eprintln!(
            "seed {which:?}: SAVEE accuracy {:.3} UAR {:.3}; RAVDESS folds (trained on them!) accuracy {am:.3} UAR {um:.3}",
            sv.accuracy, sv.uar
        );
        seed_rows.push(
            json!({"model": format!("{which:?}"), "savee": metrics_json(&sv),
            "ravdess_folds_not_honest": {"accuracy_mean": am, "accuracy_std": asd,
            "uar_mean": um, "uar_std": usd}}),
        );
    }
    out.insert("seed_models".into(), json!(seed_rows));

    // ---- the default model ----
    let mut default_info = Value::Null;
    if let Some(dir) = &args.default_out {
        let epochs = best_row["mean_best_epoch"]
            .as_f64()
            .unwrap_or(args.epochs as f64)
            .round()
            .max(1.0) as usize;
        let all: Vec<&Item> = corpus.items.iter().collect();
        let train = table.dataset(&all)?;
        let t = Instant::now();
        let cfg = train_config(best_arch, best_std, epochs, None, &args);
        let mut trainer =
            Trainer::new(best_arch.default_config(), cfg, fcfg.mfcc.clone(), labels())?;
        let desc = format!(
            "all {} RAVDESS speech clips ({}), {epochs} epochs = mean best epoch of speaker CV; \
             chosen by mean speaker-CV UAR {best_uar:.4}; seed {}",
            train.len(),
            ravdess_dir.display(),
            args.seed
        );
        trainer.fit(&train, None, &desc, &mut |_| {})?;
        std::fs::create_dir_all(dir)?;
        trainer.save(dir)?;
        let model = trainer.classifier()?;
        let train_m = eval(&model, &train)?;
        let sv = eval(&model, &savee_ds)?;
        let secs = t.elapsed().as_secs_f64();
        eprintln!(
            "default model: Model_{best_arch:?} std {best_std}, {epochs} epochs on {} clips, train accuracy {:.3}, SAVEE accuracy {:.3} UAR {:.3} ({secs:.1} s) -> {}",
            train.len(),
            train_m.accuracy,
            sv.accuracy,
            sv.uar,
            dir.display()
        );
        default_info = json!({"model": format!("{best_arch:?}"), "standardize": best_std,
            "epochs": epochs, "n_train": train.len(), "train": metrics_json(&train_m),
            "savee": metrics_json(&sv), "seconds": secs, "dir": dir});
    }
    out.insert("default_model".into(), default_info);

    let total = t0.elapsed().as_secs_f64();
    out.insert(
        "run".into(),
        json!({"epochs": args.epochs, "batch_size": args.batch_size, "seed": args.seed,
               "patience": args.patience, "jobs": args.jobs, "quick": args.quick,
               "data": data, "savee": savee_dir, "n_ravdess": corpus.items.len(),
               "n_savee": savee.items.len(), "feature_seconds": t_features,
               "training_wall_seconds": t_train, "total_seconds": total,
               "stage_training_seconds": stage_seconds,
               "feature_config": fcfg}),
    );
    std::fs::write(
        args.out.join("results.json"),
        serde_json::to_string_pretty(&Value::Object(out))?,
    )?;
    if let Some(figs) = &args.figures {
        std::fs::create_dir_all(figs)?;
        for e in std::fs::read_dir(&fig_dir)? {
            let p = e?.path();
            if p.extension().is_some_and(|x| x == "svg") {
                std::fs::copy(&p, figs.join(p.file_name().context("name")?))?;
            }
        }
    }
    eprintln!(
        "done: features {t_features:.1} s, trainings {t_train:.1} s wall, total {total:.1} s; {}",
        args.out.join("results.json").display()
    );
    Ok(())
}
