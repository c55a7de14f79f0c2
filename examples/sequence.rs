//! Train and evaluate the sequence model (`ser_models::SeqNet`: strided convolutions over
//! log-mel frames, attentive statistics pooling) on RAVDESS speech, speaker-independent folds.
//!
//! ```text
//! cargo run --release --example sequence -- [--data DIR] [--folds 0,1] [--seed 0] [--epochs 60]
//!     [--adapt] [--no-augment] [--time-masks 2] [--freq-masks 2] [--lr 1e-3] [--cosine MIN_LR]
//!     [--patience 15] [--batch 16] [--net net.json] [--out result.json]
//!     [--cache target/sequence-cache/ravdess-logmel64-vad-v1.bin]
//! ```
//!
//! Input frames: `LogMelConfig::default()` (16 kHz, 25 ms window, 10 ms hop, 64 mels) of each
//! clip decoded at 16 kHz, keeping the frames the default `Vad` marks as speech (all frames when
//! it finds none). The frames are computed once and cached in `--cache` (a flat binary file;
//! delete it after changing the front end).
//!
//! Fold k (0..6) tests actors {2k+1, 2k+2, 2k+13, 2k+14}, validates (early stopping) on fold
//! k+1's actors and trains on the other 16 actors. Prints per-fold UAR (8 classes) and the
//! training time; `--out` writes `{"uar_mean", "per_fold", "seconds", "params",
//! "mflop_per_3s", "config"}`.
//!
//! `--adapt`: each clip is standardised with the per-feature mean and std over all frames of its
//! speaker's clips (no labels) before the usual global standardisation, instead of the global
//! training statistics alone.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Parser;
use ndarray::Array2;
use ser::LabelSet;
use ser_audio::{LoadOptions, Loader};
use ser_corpus::{CorpusKind, ScanOptions};
use ser_mfcc::{select_frames, LogMel, LogMelConfig, Vad, VadConfig};
use ser_models::{
    LrSchedule, Metrics, OptimizerConfig, SeqConfig, SeqTrainConfig, SeqTrainer, SpecAugment,
};
use serde_json::json;

#[derive(Debug, Parser)]
#[command(about = "Sequence model (SeqNet) on RAVDESS speech, speaker-independent folds")]
struct Args {
    /// Directory with ravdess/ (or the RAVDESS speech directory itself); default
    /// SER_DATA_DIR, then /work/shared/data.
    #[arg(long)]
    data: Option<PathBuf>,
    /// Folds to run (0..6), comma-separated.
    #[arg(long, default_value = "0,1", value_delimiter = ',')]
    folds: Vec<usize>,
    /// Seed of initialisation, shuffling, dropout and masks.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Most epochs (early stopping on the validation fold).
    #[arg(long, default_value_t = 60)]
    epochs: usize,
    /// Early-stopping patience in epochs.
    #[arg(long, default_value_t = 15)]
    patience: usize,
    /// AdamW learning rate.
    #[arg(long, default_value_t = 1e-3)]
    lr: f64,
    /// Clips per mini-batch.
    #[arg(long, default_value_t = 16)]
    batch: usize,
    /// Per-speaker standardisation of the frames (unsupervised speaker adaptation).
    #[arg(long)]
    adapt: bool,
    /// No SpecAugment masks.
    #[arg(long)]
    no_augment: bool,
    /// SpecAugment time masks per clip.
    #[arg(long, default_value_t = 2)]
    time_masks: usize,
    /// SpecAugment feature masks per clip.
    #[arg(long, default_value_t = 2)]
    freq_masks: usize,
    /// Cosine learning-rate decay to this rate over `--epochs` (default: constant rate).
    #[arg(long)]
    cosine: Option<f64>,
    /// A JSON file with a `SeqConfig` (missing fields take their defaults).
    #[arg(long)]
    net: Option<PathBuf>,
    /// Write the result JSON here.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Cache of the speech frames.
    #[arg(
        long,
        default_value = "target/sequence-cache/ravdess-logmel64-vad-v1.bin"
    )]
    cache: PathBuf,
}

/// One clip's speech frames `[frames, 64]`, class index and actor (1..=24).
struct Clip {
    frames: Array2<f32>,
    label: usize,
    actor: usize,
}

fn ravdess_dir(args: &Args) -> Result<PathBuf> {
    let base = args
        .data
        .clone()
        .or_else(|| std::env::var_os("SER_DATA_DIR").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("/work/shared/data"));
    let sub = base.join("ravdess");
    Ok(if sub.is_dir() { sub } else { base })
}

fn extract(dir: &Path) -> Result<Vec<Clip>> {
    let corpus = ser_corpus::open(
        dir,
        &ScanOptions {
            force: Some(CorpusKind::Ravdess),
            ..ScanOptions::default()
        },
    )?;
    let labels = LabelSet::study();
    let cfg = LogMelConfig::default();
    let sr = cfg.sample_rate;
    let hop_seconds = cfg.hop_length as f64 / f64::from(sr);
    let mut log_mel = LogMel::new(cfg)?;
    let mut vad = Vad::new(VadConfig::default())?;
    let mut loader = Loader::new();
    let mut clips = Vec::with_capacity(corpus.items.len());
    let t0 = Instant::now();
    for item in &corpus.items {
        let label = labels
            .index_of(&item.label)
            .with_context(|| format!("{}: label {:?}", item.path.display(), item.label))?;
        let actor: usize = item
            .speaker
            .as_deref()
            .and_then(|s| s.rsplit(':').next())
            .and_then(|a| a.parse().ok())
            .with_context(|| format!("{}: no actor", item.path.display()))?;
        let audio = loader.load(&item.path, &LoadOptions::with_rate(sr))?;
        let mel = log_mel.compute(&audio.samples)?;
        let mask = vad
            .decide(&audio.samples, sr)?
            .mask_for(mel.nrows(), hop_seconds);
        let frames = if mask.iter().any(|&m| m) {
            select_frames(mel.view(), &mask)?
        } else {
            mel
        };
        clips.push(Clip {
            frames,
            label,
            actor,
        });
    }
    eprintln!(
        "extracted {} clips in {:.1} s",
        clips.len(),
        t0.elapsed().as_secs_f64()
    );
    Ok(clips)
}

const MAGIC: &[u8; 8] = b"SERSEQ1\n";

fn write_cache(path: &Path, clips: &[Clip]) -> Result<()> {
    if let Some(p) = path.parent() {
        std::fs::create_dir_all(p)?;
    }
    let mut buf = Vec::new();
    buf.extend_from_slice(MAGIC);
    buf.extend_from_slice(&(clips.len() as u32).to_le_bytes());
    for c in clips {
        for v in [c.label, c.actor, c.frames.nrows(), c.frames.ncols()] {
            buf.extend_from_slice(&(v as u32).to_le_bytes());
        }
        for v in c.frames.iter() {
            buf.extend_from_slice(&v.to_le_bytes());
        }
    }
    std::fs::File::create(path)?.write_all(&buf)?;
    Ok(())
}

fn read_cache(path: &Path) -> Result<Vec<Clip>> {
    let mut buf = Vec::new();
    std::fs::File::open(path)?.read_to_end(&mut buf)?;
    if buf.len() < 12 || &buf[..8] != MAGIC {
        bail!("{}: not a sequence cache", path.display());
    }
    let mut pos = 8;
    let u32_at = |pos: &mut usize| -> Result<usize> {
        let b = buf.get(*pos..*pos + 4).context("truncated cache")?;
        *pos += 4;
        Ok(u32::from_le_bytes(b.try_into()?) as usize)
    };
    let n = u32_at(&mut pos)?;
    let mut clips = Vec::with_capacity(n);
    for _ in 0..n {
        let (label, actor, t, f) = (
            u32_at(&mut pos)?,
            u32_at(&mut pos)?,
            u32_at(&mut pos)?,
            u32_at(&mut pos)?,
        );
        let bytes = buf.get(pos..pos + 4 * t * f).context("truncated cache")?;
        pos += 4 * t * f;
        let data: Vec<f32> = bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        clips.push(Clip {
            frames: Array2::from_shape_vec((t, f), data)?,
            label,
            actor,
        });
    }
    Ok(clips)
}

/// Standardise every clip with the mean and std over all frames of its actor's clips.
fn adapt_per_speaker(clips: &mut [Clip]) {
    let mut stats: BTreeMap<usize, (Vec<f64>, Vec<f64>, usize)> = BTreeMap::new();
    for c in clips.iter() {
        let f = c.frames.ncols();
        let e = stats
            .entry(c.actor)
            .or_insert_with(|| (vec![0.0; f], vec![0.0; f], 0));
        for row in c.frames.rows() {
            for (j, &v) in row.iter().enumerate() {
                e.0[j] += f64::from(v);
                e.1[j] += f64::from(v) * f64::from(v);
            }
        }
        e.2 += c.frames.nrows();
    }
    for c in clips.iter_mut() {
        let (sum, sq, n) = &stats[&c.actor];
        let n = *n as f64;
        for mut row in c.frames.rows_mut() {
            for (j, v) in row.iter_mut().enumerate() {
                let m = sum[j] / n;
                let s = (sq[j] / n - m * m).max(0.0).sqrt().max(1e-6);
                *v = ((f64::from(*v) - m) / s) as f32;
            }
        }
    }
}

fn fold_actors(k: usize) -> [usize; 4] {
    [2 * k + 1, 2 * k + 2, 2 * k + 13, 2 * k + 14]
}

fn main() -> Result<()> {
    let args = Args::parse();
    if let Some(&bad) = args.folds.iter().find(|&&k| k >= 6) {
        bail!("fold {bad} out of range 0..6");
    }
    let mut clips = if args.cache.is_file() {
        read_cache(&args.cache)?
    } else {
        let clips = extract(&ravdess_dir(&args)?)?;
        write_cache(&args.cache, &clips)?;
        clips
    };
    if args.adapt {
        adapt_per_speaker(&mut clips);
    }
    let net: SeqConfig = match &args.net {
        Some(p) => serde_json::from_slice(&std::fs::read(p)?)?,
        None => SeqConfig::default(),
    };
    let train_cfg = SeqTrainConfig {
        epochs: args.epochs,
        batch_size: args.batch,
        optimizer: OptimizerConfig::AdamW {
            lr: args.lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-7,
            weight_decay: 0.01,
        },
        lr_schedule: match args.cosine {
            Some(min_lr) => LrSchedule::Cosine { min_lr },
            None => LrSchedule::Constant,
        },
        seed: args.seed,
        early_stopping: ser_models::EarlyStopping {
            patience: args.patience,
            ..Default::default()
        },
        standardize: true,
        spec_augment: (!args.no_augment).then(|| SpecAugment {
            time_masks: args.time_masks,
            freq_masks: args.freq_masks,
            ..SpecAugment::default()
        }),
    };
    let frames: usize = clips.iter().map(|c| c.frames.nrows()).sum();
    println!(
        "{} clips, {:.2} s of speech per clip on average; net {} params, {:.1} MFLOP per 3 s",
        clips.len(),
        frames as f64 / clips.len() as f64 / 100.0,
        net.param_count(),
        net.flops(300) as f64 / 1e6
    );
    let trainer = SeqTrainer::new(net.clone(), train_cfg.clone())?;
    let t0 = Instant::now();
    let mut per_fold = Vec::new();
    for &k in &args.folds {
        let test = fold_actors(k);
        let val = fold_actors((k + 1) % 6);
        let pick = |keep: &dyn Fn(usize) -> bool| -> Vec<(Array2<f32>, usize)> {
            clips
                .iter()
                .filter(|c| keep(c.actor))
                .map(|c| (c.frames.clone(), c.label))
                .collect()
        };
        let train = pick(&|a| !test.contains(&a) && !val.contains(&a));
        let valid = pick(&|a| val.contains(&a));
        let testd = pick(&|a| test.contains(&a));
        let tf = Instant::now();
        let model = trainer.fit(&train, &valid)?;
        let fit_s = tf.elapsed().as_secs_f64();
        let pred: Vec<usize> = testd
            .iter()
            .map(|(x, _)| Ok(ser_models::argmax(&model.predict_proba(x)?)))
            .collect::<Result<_>>()?;
        let truth: Vec<usize> = testd.iter().map(|(_, y)| *y).collect();
        let m = Metrics::compute(&truth, &pred, 8)?;
        let h = model.history();
        let epoch_s = h.iter().map(|r| r.seconds).sum::<f64>() / h.len().max(1) as f64;
        println!(
            "fold {k}: UAR {:.3}  acc {:.3}  best epoch {:?} of {}  {:.0} s ({:.1} s/epoch)",
            m.uar,
            m.accuracy,
            model.best_epoch(),
            h.len(),
            fit_s,
            epoch_s
        );
        for r in h {
            eprintln!(
                "  epoch {:>2}: train loss {:.3} acc {:.3}  val loss {:.3} acc {:.3}  {:.1} s",
                r.epoch,
                r.train_loss,
                r.train_accuracy,
                r.val_loss.unwrap_or(f64::NAN),
                r.val_accuracy.unwrap_or(f64::NAN),
                r.seconds
            );
        }
        per_fold.push(json!({
            "fold": k, "uar": m.uar, "accuracy": m.accuracy, "best_epoch": model.best_epoch(),
            "epochs_run": h.len(), "seconds": fit_s, "seconds_per_epoch": epoch_s,
            "test_clips": truth.len(), "train_clips": train.len(), "val_clips": valid.len(),
        }));
    }
    let seconds = t0.elapsed().as_secs_f64();
    let uar_mean = per_fold
        .iter()
        .map(|f| f["uar"].as_f64().unwrap_or(0.0))
        .sum::<f64>()
        / per_fold.len().max(1) as f64;
    println!(
        "UAR mean {uar_mean:.3} over folds {:?}{}; training {seconds:.0} s",
        args.folds,
        if args.adapt {
            " (per-speaker standardisation)"
        } else {
            ""
        }
    );
    if let Some(out) = &args.out {
        let root = json!({
            "uar_mean": uar_mean, "per_fold": per_fold, "seconds": seconds,
            "params": net.param_count(), "mflop_per_3s": net.flops(300) as f64 / 1e6,
            "config": {"net": net, "train": train_cfg, "adapt": args.adapt, "folds": args.folds,
                       "frontend": "log-mel 64 (LogMelConfig::default) of VAD speech frames"},
        });
        std::fs::write(out, serde_json::to_string_pretty(&root)? + "\n")?;
    }
    Ok(())
}
