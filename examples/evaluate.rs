//! Evaluate a model on a corpus directory.
//!
//! ```text
//! cargo run --release --example evaluate -- --model seed-b|DIR --corpus ravdess|savee DIR [--json] [--cache DIR]
//! ```
//!
//! Prints accuracy, UAR (over the classes the corpus has: SAVEE has no calm, and a prediction of
//! calm counts as wrong), macro F1 and the confusion matrix; with `--json` one object
//! `{"n", "accuracy", "uar", "macro_f1", "labels": [...], "confusion": [[...]], "per_class_recall": [...]}`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::{Parser, ValueEnum};
use ser_corpus::features::{
    extract_features, AudioConfig, ExtractOptions, FeatureConfig, Progress,
};
use ser_corpus::{CorpusKind, Emotion, LabelSet, ScanOptions};
use ser_experiment::{evaluate_mapped, FeatureTable, UnknownLabels};
use ser_models::{Classifier, SeedModel};

#[derive(Debug, Clone, Copy, ValueEnum)]
enum CorpusArg {
    Ravdess,
    Savee,
}

#[derive(Debug, Parser)]
struct Args {
    /// `seed-a` .. `seed-d` (the study's weights) or a checkpoint directory.
    #[arg(long)]
    model: String,
    /// Corpus naming scheme and directory.
    #[arg(long, num_args = 2, value_names = ["KIND", "DIR"])]
    corpus: Vec<String>,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
    /// Feature cache directory.
    #[arg(long, default_value = "target/ser-cache")]
    cache: PathBuf,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let kind =
        CorpusArg::from_str(&args.corpus[0], true).map_err(|e| anyhow::anyhow!("--corpus: {e}"))?;
    let dir = PathBuf::from(&args.corpus[1]);
    let model = if PathBuf::from(&args.model).is_dir() {
        Classifier::from_dir(&args.model)?
    } else {
        Classifier::seed(args.model.parse::<SeedModel>()?)?
    };
    let force = match kind {
        CorpusArg::Ravdess => CorpusKind::Ravdess,
        CorpusArg::Savee => CorpusKind::Savee,
    };
    let corpus = ser_corpus::scan_with(
        &dir,
        &ScanOptions {
            force: Some(force),
            ..ScanOptions::default()
        },
    )
    .with_context(|| format!("scanning {}", dir.display()))?;
    if corpus.items.is_empty() {
        bail!("no labelled clips under {}", dir.display());
    }
    let fcfg = FeatureConfig {
        audio: AudioConfig::default(),
        mfcc: model.feature_config().clone(),
    };
    let progress = if args.json {
        Progress::Hidden
    } else {
        Progress::default()
    };
    let feats = extract_features(
        &corpus.items,
        &fcfg,
        &ExtractOptions {
            cache_dir: Some(args.cache.clone()),
            progress,
        },
    )?;
    for f in &feats.failures {
        eprintln!("skipped {}: {}", f.path.display(), f.reason);
    }
    // Ground truth in the corpus's classes, mapped onto the model's by label.
    let table = FeatureTable::new(
        feats,
        LabelSet::from_emotions(&Emotion::ALL)?,
        UnknownLabels::Error,
    )?;
    let m = evaluate_mapped(&model, &table.dataset(table.items())?, table.label_set())?;
    let labels = model.labels().to_vec();
    if args.json {
        let obj = serde_json::json!({
            "n": m.n,
            "accuracy": m.accuracy,
            "uar": m.uar,
            "macro_f1": m.macro_f1,
            "labels": labels,
            "confusion": m.confusion,
            "per_class_recall": m.per_class_recall,
        });
        println!("{obj}");
    } else {
        println!(
            "{} clips: accuracy {:.4}  UAR {:.4}  macro-F1 {:.4}",
            m.n, m.accuracy, m.uar, m.macro_f1
        );
        println!(
            "confusion (rows true, columns predicted): {}",
            labels.join(" ")
        );
        for (l, row) in labels.iter().zip(&m.confusion) {
            let cells: Vec<String> = row.iter().map(|c| format!("{c:>4}")).collect();
            println!("{l:>10} {}", cells.join(""));
        }
    }
    Ok(())
}
