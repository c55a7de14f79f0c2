//! Train one of the study's models on a corpus directory.
//!
//! ```text
//! cargo run --release --example train -- --model b --data /work/shared/data/ravdess \
//!     [--protocol study|study-twins|stratified|speaker-fold] [--fold K] [--epochs N] \
//!     [--batch-size N] [--seed N] [--standardize] [--patience N] [--cache DIR] --out DIR
//! cargo run --release --example train -- --init seed-b|default|DIR --data ... --out DIR
//! cargo run --release --example train -- --model b --corpus folders|manifest|emodb|... \
//!     --data DIR_OR_MANIFEST --protocol stratified --out DIR
//! ```
//!
//! `--model` picks an architecture trained from a seeded random start, with the study's eight
//! labels when every clip has one of them and otherwise with the corpus's own classes (your
//! recordings in a manifest or one folder per emotion, EmoDB's boredom, ...); `--init` (parsed like every tool's `--model`: `ser::ModelChoice`) starts from a
//! trained model's weights instead, keeping its architecture, labels, feature configuration and
//! normalisation (fine-tuning). Clips of a class the model lacks are left out.
//!
//! Writes the checkpoint (`model.json`, `model.safetensors`) and `history.{svg,png}` (loss and
//! accuracy per epoch) and `confusion.{svg,png}` (test side) into `--out`, prints the test
//! metrics. RAVDESS is CC BY-NC-SA 4.0 (Livingstone & Russo 2018).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "common/progress.rs"]
mod progress;

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::{Parser, ValueEnum};
use ser::{LabelSet, ModelChoice};
use ser_corpus::features::{ExtractOptions, FeatureConfig};
use ser_corpus::split::{self, SpeakerFoldConfig, StratifiedConfig, StudySplitConfig};
use ser_corpus::{CorpusKind, ScanOptions};
use ser_experiment::{FeatureTable, SplitData, UnknownLabels};
use ser_models::{Arch, EarlyStopping, OptimizerConfig, TrainConfig, Trainer};

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ProtocolArg {
    /// The study's unshuffled 80/10/10 split.
    Study,
    /// The study's split with simulated audio-video twins in front (the leak).
    StudyTwins,
    /// Stratified by emotion, twins kept on one side.
    Stratified,
    /// Speaker-independent 6-fold CV, fold `--fold`.
    SpeakerFold,
}

#[derive(Debug, Parser)]
struct Args {
    /// Architecture to train from a random start: a, b, c or d.
    #[arg(long, required_unless_present = "init", conflicts_with = "init")]
    model: Option<Arch>,
    /// Start from this trained model instead: default, seed-a .. seed-d, or a checkpoint
    /// directory.
    #[arg(long)]
    init: Option<ModelChoice>,
    /// Corpus directory, or a manifest file (CSV / JSON lines: path, emotion, speaker).
    #[arg(long)]
    data: PathBuf,
    /// Corpus kind (ravdess, savee, crema-d, tess, emodb, ased, nemo, manifest, folders);
    /// default: a file is a manifest, a folder is scanned with per-file name detection.
    #[arg(long)]
    corpus: Option<CorpusKind>,
    #[arg(long, value_enum, default_value = "speaker-fold")]
    protocol: ProtocolArg,
    /// Fold for speaker-fold (0-based).
    #[arg(long, default_value_t = 0)]
    fold: usize,
    #[arg(long, default_value_t = 100)]
    epochs: usize,
    #[arg(long, default_value_t = 32)]
    batch_size: usize,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Standardise features with the training split's mean and std.
    #[arg(long)]
    standardize: bool,
    /// Early stopping on validation loss with this patience (restores the best epoch).
    #[arg(long)]
    patience: Option<usize>,
    /// Feature cache directory.
    #[arg(long, default_value = "target/ser-cache")]
    cache: PathBuf,
    /// Output directory.
    #[arg(long)]
    out: PathBuf,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let start = args.init.as_ref().map(ModelChoice::load).transpose()?;
    let arch = match (&start, args.model) {
        (Some(c), _) => c.model_config().arch(),
        (None, Some(arch)) => arch,
        (None, None) => bail!("give --model or --init"),
    };
    let corpus = ser_corpus::open(
        &args.data,
        &ScanOptions {
            force: args.corpus,
            ..ScanOptions::default()
        },
    )
    .with_context(|| format!("reading corpus {}", args.data.display()))?;
    if corpus.items.is_empty() {
        bail!("no labelled clips under {}", args.data.display());
    }
    let (dups, _) = ser_corpus::features::find_duplicates(&corpus.items);
    let split = match args.protocol {
        ProtocolArg::Study | ProtocolArg::StudyTwins => split::study_split(
            &corpus.items,
            &StudySplitConfig {
                simulated_av_twins: matches!(args.protocol, ProtocolArg::StudyTwins),
                ..StudySplitConfig::default()
            },
        )?,
        ProtocolArg::Stratified => split::stratified_split(
            &corpus.items,
            &dups,
            &StratifiedConfig {
                seed: args.seed,
                ..StratifiedConfig::default()
            },
        )?,
        ProtocolArg::SpeakerFold => {
            split::speaker_kfold(&corpus.items, &dups, &SpeakerFoldConfig::default())?
                .split(args.fold)
                .with_context(|| format!("no fold {}", args.fold))?
        }
    };
    let fcfg = match &start {
        Some(c) => FeatureConfig::for_frontend(c.frontend().clone()),
        None => FeatureConfig::study(),
    };
    // The model's classes: the starting model's; else the study's eight when every clip has one
    // of them, else the corpus's own. Clips of other classes are left out.
    let study = LabelSet::study();
    let names = match &start {
        Some(c) => c.labels().clone(),
        None => match corpus.labels() {
            Some(own) if own.iter().any(|l| !study.contains(l)) => own,
            _ => study,
        },
    };
    let (table, failures) = FeatureTable::extract(
        &split.items,
        false,
        &fcfg,
        &ExtractOptions {
            cache_dir: Some(args.cache.clone()),
            progress: progress::feature_progress(false),
        },
        names.clone(),
        UnknownLabels::Skip,
    )?;
    for f in &failures {
        eprintln!("skipped {}: {}", f.path.display(), f.reason);
    }
    // Failed clips have no row and are left out of every side.
    let SplitData {
        train,
        validation: val,
        test,
    } = table.split_data(&split)?;
    eprintln!(
        "{:?}: train {} / validation {} / test {}",
        args.protocol,
        train.len(),
        val.len(),
        test.len()
    );

    let cfg = TrainConfig {
        epochs: args.epochs,
        batch_size: args.batch_size,
        seed: args.seed,
        optimizer: OptimizerConfig::study(arch),
        standardize: args.standardize,
        early_stopping: args.patience.map(|patience| EarlyStopping {
            patience,
            ..EarlyStopping::default()
        }),
        ..TrainConfig::default()
    };
    let mut trainer = match &start {
        Some(c) => Trainer::from_classifier(c, cfg)?,
        None => Trainer::new(
            arch.default_config().with_n_classes(names.len()),
            cfg,
            fcfg.frontend.clone(),
            names.clone(),
        )?,
    };
    let bar = indicatif::ProgressBar::new(args.epochs as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{prefix} [{bar:30}] {pos}/{len} epochs {msg} ({elapsed})",
        )
        .unwrap()
        .progress_chars("=> "),
    );
    bar.set_prefix(format!("model {arch}"));
    let description = format!(
        "{} {:?} fold {}",
        args.data.display(),
        args.protocol,
        args.fold
    );
    let val_opt = if val.is_empty() { None } else { Some(&val) };
    trainer.fit(&train, val_opt, &description, &mut |r| {
        bar.set_message(format!(
            "loss {:.3} acc {:.3} | val loss {} acc {}",
            r.train_loss,
            r.train_accuracy,
            r.val_loss.map_or("-".into(), |v| format!("{v:.3}")),
            r.val_accuracy.map_or("-".into(), |v| format!("{v:.3}"))
        ));
        bar.inc(1);
    })?;
    bar.finish();
    std::fs::create_dir_all(&args.out)?;
    trainer.save(&args.out)?;
    let model = trainer.classifier()?;
    let title = format!("Model_{arch:?} ({:?})", args.protocol);
    for ext in ["svg", "png"] {
        ser_models::plot::plot_history(
            &trainer.record().history,
            &title,
            args.out.join(format!("history.{ext}")),
        )?;
    }
    if !test.is_empty() {
        let m = ser_experiment::evaluate(&model, &test)?;
        for ext in ["svg", "png"] {
            ser_models::plot::plot_confusion(
                &m.confusion,
                &names,
                &format!("{title}: test"),
                args.out.join(format!("confusion.{ext}")),
            )?;
        }
        println!(
            "test: n {} accuracy {:.4} UAR {:.4} macro-F1 {:.4}",
            m.n, m.accuracy, m.uar, m.macro_f1
        );
    }
    println!("checkpoint written to {}", args.out.display());
    Ok(())
}
