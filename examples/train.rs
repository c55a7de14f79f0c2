//! Train one of the study's models on a corpus directory.
//!
//! ```text
//! cargo run --release --example train -- --model b --data /work/shared/data/ravdess \
//!     [--protocol study|study-twins|stratified|speaker-fold] [--fold K] [--epochs N] \
//!     [--batch-size N] [--seed N] [--standardize] [--patience N] [--cache DIR] --out DIR
//! ```
//!
//! Writes the checkpoint (`model.json`, `model.safetensors`) and `history.{svg,png}` (loss and
//! accuracy per epoch) and `confusion.{svg,png}` (test side) into `--out`, prints the test
//! metrics. RAVDESS is CC BY-NC-SA 4.0 (Livingstone & Russo 2018).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::{Parser, ValueEnum};
use ser_corpus::features::{ExtractOptions, FeatureConfig};
use ser_corpus::split::{self, SpeakerFoldConfig, StratifiedConfig, StudySplitConfig};
use ser_corpus::LabelSet;
use ser_experiment::{FeatureTable, SplitData, UnknownLabels};
use ser_models::{Arch, EarlyStopping, OptimizerConfig, TrainConfig, Trainer, EMOTION_LABELS};

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
    /// Architecture: a, b, c or d.
    #[arg(long)]
    model: Arch,
    /// Corpus directory (RAVDESS layout).
    #[arg(long)]
    data: PathBuf,
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
    let corpus = ser_corpus::scan(&args.data)
        .with_context(|| format!("scanning {}", args.data.display()))?;
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
    let fcfg = FeatureConfig::study();
    let (table, failures) = FeatureTable::extract(
        &split.items,
        false,
        &fcfg,
        &ExtractOptions {
            cache_dir: Some(args.cache.clone()),
            ..ExtractOptions::default()
        },
        LabelSet::study(),
        UnknownLabels::Error,
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
        optimizer: OptimizerConfig::study(args.model),
        standardize: args.standardize,
        early_stopping: args.patience.map(|patience| EarlyStopping {
            patience,
            ..EarlyStopping::default()
        }),
        ..TrainConfig::default()
    };
    let names: Vec<String> = EMOTION_LABELS.iter().map(|s| s.to_string()).collect();
    let mut trainer = Trainer::new(
        args.model.default_config(),
        cfg,
        fcfg.mfcc.clone(),
        names.clone(),
    )?;
    let bar = indicatif::ProgressBar::new(args.epochs as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{prefix} [{bar:30}] {pos}/{len} epochs {msg} ({elapsed})",
        )
        .unwrap()
        .progress_chars("=> "),
    );
    bar.set_prefix(format!("model {}", args.model));
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
    let title = format!("Model_{:?} ({:?})", args.model, args.protocol);
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
