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
//! The protocols (study split with and without simulated audio-video twins, speaker-independent
//! 6-fold CV with and without standardisation, cross-corpus on SAVEE) are described in
//! `ser_experiment::study`. Then the default model: the configuration with the best mean CV UAR,
//! trained on all RAVDESS speech for the mean best epoch count of its CV folds, saved to
//! `--default-out`.
//!
//! Independent trainings run on `--jobs` threads, each training single-threaded. Writes
//! `results.json`, the per-epoch plots of protocol 1 and the CV confusion matrix into `--out`
//! (copied into `--figures`). RAVDESS is CC BY-NC-SA 4.0 (Livingstone & Russo 2018).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "common/progress.rs"]
mod progress;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Parser;
use ser_corpus::features::{ExtractOptions, FeatureConfig};
use ser_corpus::{CorpusKind, Item, LabelSet, ScanOptions};
use ser_experiment::study::{self, Stage, StudyConfig, StudyResults};
use ser_experiment::{FeatureTable, ProgressEvent, RunnerConfig, UnknownLabels};
use ser_models::{Classifier, SeedModel};

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
    /// RAVDESS song clips, added after the speech clips in the study's protocol (the study's
    /// order); default `DATA/ravdess-song` when it exists. The speaker-independent stages
    /// stay on speech.
    #[arg(long)]
    song: Option<PathBuf>,
    /// Leave the song clips out of the study protocol even when they exist.
    #[arg(long)]
    no_song: bool,
}

/// The feature table of `items` (with their simulated twins if asked), failures printed.
fn table(
    items: &[Item],
    twins: bool,
    fcfg: &FeatureConfig,
    cache: &std::path::Path,
) -> Result<FeatureTable> {
    let opts = ExtractOptions {
        cache_dir: Some(cache.to_path_buf()),
        progress: progress::feature_progress(false),
    };
    let (t, failures) = FeatureTable::extract(
        items,
        twins,
        fcfg,
        &opts,
        LabelSet::study(),
        UnknownLabels::Error,
    )?;
    for f in &failures {
        eprintln!("skipped {}: {}", f.path.display(), f.reason);
    }
    Ok(t)
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
    let cfg = StudyConfig {
        epochs: args.epochs,
        batch_size: args.batch_size,
        seed: args.seed,
        patience: args.patience,
        max_folds: args.quick.then_some(2),
        ..StudyConfig::default()
    };

    // ---- data ----
    let corpus = ser_corpus::scan(&ravdess_dir)
        .with_context(|| format!("scanning {}", ravdess_dir.display()))?;
    if corpus.items.is_empty() {
        bail!("no labelled clips under {}", ravdess_dir.display());
    }
    let force = ScanOptions {
        force: Some(CorpusKind::Savee),
        ..ScanOptions::default()
    };
    let savee = ser_corpus::scan_with(&savee_dir, &force)
        .with_context(|| format!("scanning {}", savee_dir.display()))?;
    eprintln!(
        "RAVDESS: {} clips, SAVEE: {} clips",
        corpus.items.len(),
        savee.items.len()
    );
    let song_dir = args
        .song
        .clone()
        .unwrap_or_else(|| data.join("ravdess-song"));
    let song_items = if args.no_song || !song_dir.is_dir() {
        Vec::new()
    } else {
        ser_corpus::scan(&song_dir)
            .with_context(|| format!("scanning {}", song_dir.display()))?
            .items
    };
    eprintln!("RAVDESS song: {} clips", song_items.len());
    // The study's order: speech, then song (study_split puts the twins in front).
    let study_items: Vec<Item> = corpus.items.iter().chain(&song_items).cloned().collect();
    let fcfg = FeatureConfig::study();
    let ravdess_table = table(&study_items, true, &fcfg, &args.cache)?;
    let savee_table = table(&savee.items, false, &fcfg, &args.cache)?;
    let (dups, _) = ser_corpus::features::find_duplicates(&corpus.items);
    let (study_dups, _) = ser_corpus::features::find_duplicates(&study_items);
    let t_features = t0.elapsed().as_secs_f64();
    eprintln!("features: {t_features:.1} s");

    // Every training single-threaded from here on (candle's CPU matmul reads this per call);
    // the global rayon pool (feature extraction) is already built.
    std::env::set_var("RAYON_NUM_THREADS", "1");

    let savee_ds = Arc::new(savee_table.dataset(&savee.items)?);
    let plan = study::plan(
        study::StudyInputs {
            speech: &corpus.items,
            speech_duplicates: &dups,
            study: &study_items,
            study_duplicates: &study_dups,
        },
        &ravdess_table,
        Arc::clone(&savee_ds),
        &fcfg.frontend,
        &cfg,
    )?;
    for (stage, r) in &plan.splits {
        eprintln!(
            "{}: train {} / val {} / test {}; clips whose twin is in training: {:?}",
            stage.key(),
            r.n_train,
            r.n_val,
            r.n_test,
            r.twin_in_train
        );
    }
    eprintln!("{} trainings on {} threads", plan.jobs.len(), args.jobs);

    // ---- trainings ----
    let t_train0 = Instant::now();
    let runner = RunnerConfig {
        threads: args.jobs.max(1),
        ..RunnerConfig::default()
    };
    let results = ser_experiment::run_jobs(&plan.jobs, &runner, &|ev| match ev {
        ProgressEvent::Finished {
            done,
            total,
            result: r,
            ..
        } => {
            let main = r.evals.first();
            eprintln!(
                "[{done}/{total}] {:>7.1} s  {} model {:?} std {} fold {:?}: {} epochs (best {:?}), {} acc {:.3} ({:.1} s)",
                t0.elapsed().as_secs_f64(),
                r.key.stage.key(),
                r.key.arch,
                r.key.standardize,
                r.key.fold,
                r.epochs_run,
                r.best_epoch,
                main.map_or("", |e| e.name.as_str()),
                main.map_or(0.0, |e| e.metrics.accuracy),
                r.seconds
            );
        }
        ProgressEvent::Failed { job, error, .. } => {
            eprintln!("{} failed: {error}", job.description)
        }
        _ => {}
    })?;
    let t_train = t_train0.elapsed().as_secs_f64();

    // ---- summaries and figures ----
    let stage_seconds = study::stage_seconds(&results);
    for (k, s) in &stage_seconds {
        eprintln!(
            "stage {}: {s:.1} s of training (single-thread seconds)",
            k.key()
        );
    }
    let labels = ravdess_table.label_set();
    let stage = |s: Stage| study::stage_results(&results, s, plan.splits.get(&s));
    let (study_twins, study_plain) = (stage(Stage::StudyTwins), stage(Stage::Study));
    for (s, res, what) in [
        (
            Stage::StudyTwins,
            &study_twins,
            "study protocol, with AV twins",
        ),
        (Stage::Study, &study_plain, "study protocol, no twins"),
    ] {
        for r in &res.models {
            ser_models::plot::plot_history(
                &r.history,
                &format!("Model_{:?} ({what})", r.model),
                args.out
                    .join(format!("history_{}_{:?}.svg", s.key(), r.model)),
            )?;
        }
    }
    let cv = study::speaker_cv_results(&results, &plan, &cfg, labels.len())?;
    for r in &cv.rows {
        let s = &r.summary;
        eprintln!(
            "CV model {:?} std {}: accuracy {:.3} ± {:.3}, UAR {:.3} ± {:.3}, mean best epoch {:.1}",
            r.model, r.standardize, s.accuracy_mean, s.accuracy_std, s.uar_mean, s.uar_std,
            s.mean_best_epoch
        );
    }
    let best_row = cv.best_row().context("best CV row")?;
    ser_models::plot::plot_confusion(
        &best_row.summary.confusion_sum,
        labels,
        &format!(
            "Model_{:?}{}: speaker 6-fold CV, all test folds",
            cv.best.model,
            if cv.best.standardize {
                " + standardisation"
            } else {
                ""
            }
        ),
        args.out.join("confusion_speaker_cv_best.svg"),
    )?;

    // ---- the study's seed models ----
    let seed_fcfg = FeatureConfig::for_frontend(Classifier::seed(SeedModel::B)?.frontend().clone());
    let (seed_savee, seed_folds) = if seed_fcfg.fingerprint()? == fcfg.fingerprint()? {
        (Arc::clone(&savee_ds), plan.fold_tests.clone())
    } else {
        let t = table(&corpus.items, false, &seed_fcfg, &args.cache)?;
        let s = table(&savee.items, false, &seed_fcfg, &args.cache)?;
        let folds = &plan.speaker_folds;
        let tests = (folds.folds.iter().take(plan.folds.len()))
            .map(|f| Ok(Arc::new(t.indexed(&folds.items, &f.test)?)))
            .collect::<Result<Vec<_>>>()?;
        (Arc::new(s.dataset(&savee.items)?), tests)
    };
    let mut seed_models = Vec::new();
    for which in SeedModel::ALL {
        let model = Classifier::seed(which)?;
        if model.frontend() != &seed_fcfg.frontend {
            bail!("seed model {which:?} has another feature config");
        }
        let row = study::seed_row(which, &model, &seed_savee, &seed_folds, labels)?;
        let f = &row.ravdess_folds_not_honest;
        eprintln!(
            "seed {which:?}: SAVEE accuracy {:.3} UAR {:.3}; RAVDESS folds (trained on them!) accuracy {:.3} UAR {:.3}",
            row.savee.accuracy, row.savee.uar, f.accuracy_mean, f.uar_mean
        );
        seed_models.push(row);
    }

    // ---- the default model ----
    let mut default_model = None;
    if let Some(dir) = &args.default_out {
        let train = Arc::new(ravdess_table.dataset(&corpus.items)?);
        let epochs = study::default_epochs(best_row.summary.mean_best_epoch);
        let desc = format!(
            "all {} RAVDESS speech clips ({}), {epochs} epochs = mean best epoch of speaker CV; \
             chosen by mean speaker-CV UAR {:.4}; seed {}",
            train.len(),
            ravdess_dir.display(),
            cv.best.uar_mean,
            args.seed
        );
        let job = study::default_model_job(
            &cv,
            &cfg,
            train,
            Arc::clone(&savee_ds),
            &fcfg.frontend,
            labels,
            desc,
        )?;
        let trained = ser_experiment::train_job(&job)?;
        std::fs::create_dir_all(dir)?;
        trained.trainer.save(dir)?;
        let r = trained.result;
        let sv = r.eval("savee").context("savee metrics")?.clone();
        eprintln!(
            "default model: Model_{:?} std {}, {epochs} epochs on {} clips, train accuracy {:.3}, SAVEE accuracy {:.3} UAR {:.3} ({:.1} s) -> {}",
            cv.best.model, cv.best.standardize, r.n_train, r.train.accuracy, sv.accuracy, sv.uar,
            r.seconds, dir.display()
        );
        default_model = Some(study::DefaultModel {
            model: cv.best.model,
            standardize: cv.best.standardize,
            epochs,
            n_train: r.n_train,
            train: r.train,
            savee: sv,
            seconds: r.seconds,
            dir: dir.clone(),
        });
    }

    let total = t0.elapsed().as_secs_f64();
    let out = StudyResults {
        study_twins,
        study: study_plain,
        cross_corpus: stage(Stage::CrossCorpus),
        speaker_cv: cv,
        seed_models,
        default_model,
        run: study::RunInfo {
            epochs: args.epochs,
            batch_size: args.batch_size,
            seed: args.seed,
            patience: args.patience,
            jobs: args.jobs,
            quick: args.quick,
            data,
            savee: savee_dir,
            n_ravdess: corpus.items.len(),
            n_savee: savee.items.len(),
            feature_seconds: t_features,
            training_wall_seconds: t_train,
            total_seconds: total,
            stage_training_seconds: stage_seconds,
            feature_config: fcfg,
        },
    };
    let path = args.out.join("results.json");
    std::fs::write(&path, serde_json::to_string_pretty(&out)?)?;
    if let Some(figs) = &args.figures {
        std::fs::create_dir_all(figs)?;
        for e in std::fs::read_dir(&args.out)? {
            let p = e?.path();
            if p.extension().is_some_and(|x| x == "svg") {
                std::fs::copy(&p, figs.join(p.file_name().context("name")?))?;
            }
        }
    }
    eprintln!(
        "done: features {t_features:.1} s, trainings {t_train:.1} s wall, total {total:.1} s; {}",
        path.display()
    );
    Ok(())
}
