//! Evaluate a model on a corpus directory.
//!
//! ```text
//! cargo run --release --example evaluate -- [--model default|seed-a..seed-d|DIR] --corpus KIND DIR [--adapt speaker] [--json] [--cache DIR]
//! ```
//!
//! `--model` is parsed like every tool's (`ser::ModelChoice`; default `default`).
//!
//! Every labelled clip found counts (`n`): a clip of a class the model lacks can only be wrong,
//! a prediction of a class the corpus lacks is wrong (SAVEE has no calm), and a clip that fails
//! to decode or holds no speech (the recognizer's voice-activity detector) is wrong and listed.
//! Prints accuracy, UAR (averaged over the classes the corpus has), macro F1 and the confusion matrix, whose classes (`labels`) are the corpus's, then the
//! model's others, then `(no prediction)` when a clip failed; with `--json` one object
//! `{"n", "accuracy", "uar", "macro_f1", "labels": [...], "confusion": [[...]],
//! "per_class_recall": [...], "model_labels": [...], "failed": [{"path", "reason"}],
//! "adapt": null | "speaker"}`. With `--adapt speaker` the same fields hold the
//! speaker-adapted figures.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "common/progress.rs"]
mod progress;

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Parser;
use ser::{Label, LabelSet, ModelChoice};
use ser_corpus::features::{extract_features, ExtractOptions, FeatureConfig};
use ser_corpus::{CorpusKind, ScanOptions};
use ser_models::Metrics;

use std::collections::HashSet;

use rayon::prelude::*;
use ser::audio::LoadOptions;
use ser::mfcc::{Vad, VadConfig};

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
    /// `speaker`: standardise each clip's features by its speaker's clips (the corpus's
    /// speaker ids, never its labels; clips without one by folder) and use the model's
    /// speaker-adapted variant.
    #[arg(long, value_enum)]
    adapt: Option<Adapt>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Adapt {
    Speaker,
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
    let fcfg = FeatureConfig::for_frontend(model.frontend().clone());
    let feats = extract_features(
        &corpus.items,
        &fcfg,
        &ExtractOptions {
            cache_dir: Some(args.cache.clone()),
            progress: progress::feature_progress(args.json),
        },
    )?;
    // Every labelled clip counts. The classes are the corpus's own, then those only the model
    // has, then "(no prediction)" for clips that could not be analysed: a prediction outside the
    // corpus's classes and a failed clip are both wrong, and the UAR averages over the classes
    // the corpus has (the only rows with clips).
    let model_labels = model.labels();
    let corpus_labels = corpus
        .labels()
        .with_context(|| format!("no labelled clips under {}", dir.display()))?;
    let mut classes: Vec<Label> = corpus_labels.iter().cloned().collect();
    classes.extend(
        model_labels
            .iter()
            .filter(|l| !corpus_labels.contains(l))
            .cloned(),
    );
    // Speech or not: a clip in which the voice-activity detector (the recognizer's, default
    // settings) finds no speech gets no emotion, as `predict` says, so it counts as wrong.
    let rate = model.frontend().sample_rate();
    let no_speech: HashSet<PathBuf> = feats
        .items
        .par_iter()
        .map_init(
            || Vad::new(VadConfig::default()),
            |vad, it| {
                let vad = vad.as_mut().ok()?;
                let audio = ser::audio::load(&it.path, &LoadOptions::with_rate(rate)).ok()?;
                let d = vad.decide(&audio.samples, rate).ok()?;
                (!d.speech).then(|| it.path.clone())
            },
        )
        .flatten()
        .collect();
    let no_prediction = Label::Other("(no prediction)".into());
    if !feats.failures.is_empty() || !no_speech.is_empty() {
        classes.push(no_prediction.clone());
    }
    let labels = LabelSet::new(classes)?;
    let model_onto = model_labels.map_onto(&labels);
    let class_of = |label: &Label| {
        labels
            .index_of(label)
            .with_context(|| format!("class {label} missing from the evaluation classes"))
    };
    let mut truth = Vec::with_capacity(corpus.items.len());
    let mut pred = Vec::with_capacity(corpus.items.len());
    let model_pred = match args.adapt {
        None => ser_models::predict_classes(&model, feats.x.view())?,
        Some(Adapt::Speaker) => {
            let adapted = args.model.load_adapted()?.with_context(|| {
                format!(
                    "--adapt speaker: model {} has no speaker-adapted variant",
                    args.model
                )
            })?;
            let groups: Vec<String> = feats
                .items
                .iter()
                .map(ser_experiment::adaptation_group)
                .collect();
            let x = ser_experiment::standardize_groups(feats.x.view(), &groups);
            ser_models::predict_classes(&adapted, x.view())?
        }
    };
    let mut failed = Vec::with_capacity(feats.failures.len() + no_speech.len());
    for (item, &p) in feats.items.iter().zip(&model_pred) {
        truth.push(class_of(&item.label)?);
        if no_speech.contains(&item.path) {
            eprintln!("no speech (counted as wrong) {}", item.path.display());
            pred.push(class_of(&no_prediction)?);
            failed.push(serde_json::json!({"path": item.path, "reason": "no speech"}));
        } else {
            pred.push(model_onto[p].context("model class missing from the evaluation classes")?);
        }
    }
    for f in &feats.failures {
        eprintln!(
            "failed (counted as wrong) {}: {}",
            f.path.display(),
            f.reason
        );
        let item = corpus
            .items
            .iter()
            .find(|it| it.path == f.path)
            .with_context(|| format!("{} is not a corpus item", f.path.display()))?;
        truth.push(class_of(&item.label)?);
        pred.push(class_of(&no_prediction)?);
        failed.push(serde_json::json!({"path": f.path, "reason": f.reason}));
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
            "model_labels": model_labels,
            "failed": failed,
            "adapt": args.adapt.map(|_| "speaker"),
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
