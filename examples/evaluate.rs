//! Evaluate a model on a corpus directory.
//!
//! ```text
//! cargo run --release --example evaluate -- [--model default|seed-a..seed-d|DIR] --corpus KIND DIR [--json] [--cache DIR]
//! ```
//!
//! `--model` is parsed like every tool's (`ser::ModelChoice`; default `default`). Clips of a
//! class the model lacks are skipped (and counted on stderr).
//!
//! Prints accuracy, UAR (over the classes the corpus has: SAVEE has no calm, and a prediction of
//! calm counts as wrong), macro F1 and the confusion matrix; with `--json` one object
//! `{"n", "accuracy", "uar", "macro_f1", "labels": [...], "confusion": [[...]], "per_class_recall": [...]}`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "common/progress.rs"]
mod progress;

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Parser;
use ser::{Label, ModelChoice};
use ser_corpus::features::{extract_features, AudioConfig, ExtractOptions, FeatureConfig};
use ser_corpus::{CorpusKind, ScanOptions};
use ser_models::Metrics;

#[derive(Debug, Parser)]
struct Args {
    /// Model: default, seed-a, seed-b, seed-c, seed-d, or a checkpoint directory.
    #[arg(long, default_value = "default")]
    model: ModelChoice,
    /// Corpus kind (ravdess, savee, crema-d, tess, emodb, ased, nemo, manifest, folders) and
    /// its directory (the manifest file for `manifest`).
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
    let kind: CorpusKind = args.corpus[0].parse().context("--corpus")?;
    let dir = PathBuf::from(&args.corpus[1]);
    let model = args.model.load()?;
    let corpus = ser_corpus::open(
        &dir,
        &ScanOptions {
            force: Some(kind),
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
    let feats = extract_features(
        &corpus.items,
        &fcfg,
        &ExtractOptions {
            cache_dir: Some(args.cache.clone()),
            progress: progress::feature_progress(args.json),
        },
    )?;
    for f in &feats.failures {
        eprintln!("skipped {}: {}", f.path.display(), f.reason);
    }
    // Ground truth as indices into the model's labels; clips of classes it lacks are skipped.
    let labels = model.labels();
    let all_pred = ser_models::predict_classes(&model, feats.x.view())?;
    let mut truth = Vec::with_capacity(all_pred.len());
    let mut pred = Vec::with_capacity(all_pred.len());
    let mut lacking = std::collections::BTreeMap::<Label, usize>::new();
    for (item, &p) in feats.items.iter().zip(&all_pred) {
        let label: Label = item.label.clone();
        match labels.index_of(&label) {
            Some(t) => {
                truth.push(t);
                pred.push(p);
            }
            None => *lacking.entry(label).or_default() += 1,
        }
    }
    for (label, n) in &lacking {
        eprintln!(
            "skipped {n} clips of class {label}: model {} has no such class",
            args.model
        );
    }
    if truth.is_empty() {
        bail!(
            "none of the clips is of a class model {} knows ({labels})",
            args.model
        );
    }
    let m = Metrics::compute(&truth, &pred, labels.len())?;
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
            labels.names().join(" ")
        );
        for (l, row) in labels.iter().zip(&m.confusion) {
            let cells: Vec<String> = row.iter().map(|c| format!("{c:>4}")).collect();
            println!("{l:>10} {}", cells.join(""));
        }
    }
    Ok(())
}
