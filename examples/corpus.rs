//! Corpus tool: scan a directory, print splits, extract (cached) features.
//!
//! ```text
//! cargo run --release --example corpus -- scan DIR|MANIFEST [--json] [--no-duplicates] [--force KIND]
//! cargo run --release --example corpus -- split DIR --protocol speaker-kfold --folds 6 [--json]
//! cargo run --release --example corpus -- split DIR [DIR...] --protocol study [--av-twins] [--json]
//! cargo run --release --example corpus -- split DIR --protocol stratified --seed 1 [--json]
//! cargo run --release --example corpus -- split DIR --protocol loso [--json]
//! cargo run --release --example corpus -- features DIR [--cache target/ser-cache] [--no-cache]
//! ```
//!
//! `scan` always decodes every clip to find exact duplicates (identical samples), about a
//! second for the 1440 RAVDESS speech clips; `--no-duplicates` skips it (then the summary has
//! `"duplicates": null`). With `--json`, `scan` prints one object per clip
//! (`{"path","corpus","emotion","speaker","gender"}`) and then one summary object
//! (`{"clips","rejected":[{"path","reason"}],"duplicates":[[..]],"twins":[[..]],"undecodable":[..]}`).
//! `split --out FILE` writes the full split (every file, every side) as JSON.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "common/progress.rs"]
mod progress;

use std::io::Write;

/// `println!` that returns an error instead of panicking when stdout is closed (`| head`).
macro_rules! out {
    ($($t:tt)*) => {
        writeln!(std::io::stdout().lock(), $($t)*)?
    };
}

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use serde_json::json;

use ser::corpus::features::{extract_features, ExtractOptions, FeatureConfig};
use ser::corpus::split::{
    leave_one_speaker_out, speaker_kfold, stratified_split, study_split, SpeakerFoldConfig,
    SpeakerFolds, Split, StratifiedConfig, StudySplitConfig,
};
use ser::corpus::{find_duplicates, open, Corpus, CorpusKind, ScanOptions};

#[derive(Parser)]
#[command(about = "Scan emotion corpora, print leak-free splits, extract cached features")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Clone, Copy, ValueEnum)]
enum ProtocolArg {
    /// The study's unshuffled 80/10/10 (leaky with --av-twins).
    Study,
    /// Seeded random split stratified by emotion.
    Stratified,
    /// Speaker-independent k-fold (gender-balanced).
    SpeakerKfold,
    /// Leave one speaker out.
    Loso,
}

#[derive(Subcommand)]
enum Cmd {
    /// List the clips, rejected files, twins and duplicates.
    Scan {
        dir: PathBuf,
        #[arg(long)]
        json: bool,
        /// Skip duplicate detection (which decodes every clip).
        #[arg(long)]
        no_duplicates: bool,
        /// Apply one corpus's naming scheme to every file (ravdess, savee, crema-d, tess, emodb).
        #[arg(long)]
        force: Option<String>,
    },
    /// Print a split.
    Split {
        /// One or more corpus directories, concatenated in the order given (study protocol).
        #[arg(required = true, num_args = 1..)]
        dirs: Vec<PathBuf>,
        #[arg(long, value_enum, default_value = "speaker-kfold")]
        protocol: ProtocolArg,
        #[arg(long, default_value_t = 6)]
        folds: usize,
        /// Validation folds (speaker protocols).
        #[arg(long, default_value_t = 1)]
        validation_folds: usize,
        /// Seed (stratified; speaker-kfold shuffles speakers when given).
        #[arg(long)]
        seed: Option<u64>,
        /// Study protocol: add simulated audio-video twins in front (reproduces the leak).
        #[arg(long)]
        av_twins: bool,
        /// Find duplicates first so they are kept on one side (decodes every clip).
        #[arg(long)]
        duplicates: bool,
        #[arg(long)]
        json: bool,
        /// Write the full split as JSON to this file.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Extract mean-MFCC features for every clip (parallel, cached).
    Features {
        dir: PathBuf,
        #[arg(long, default_value = "target/ser-cache")]
        cache: PathBuf,
        #[arg(long)]
        no_cache: bool,
        /// librosa 0.6.3 MFCC (reflect padding), as the study; default is current librosa.
        #[arg(long)]
        study_mfcc: bool,
        #[arg(long)]
        json: bool,
        /// Write {"paths": [...], "x": [[...]...]} (rows = clips) as JSON to this file.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Time the stages (read, decode, resample, MFCC) on one thread, to see where time goes.
    Profile {
        dir: PathBuf,
        /// librosa 0.6.3 MFCC (reflect padding).
        #[arg(long)]
        study_mfcc: bool,
    },
}

fn scan_dir(dir: &Path, force: Option<&str>) -> Result<Corpus> {
    let force = force.map(str::parse::<CorpusKind>).transpose()?;
    open(
        dir,
        &ScanOptions {
            force,
            ..Default::default()
        },
    )
    .with_context(|| format!("scanning {}", dir.display()))
}

fn main() -> Result<()> {
    match run() {
        Err(e)
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            Ok(())
        }
        r => r,
    }
}

fn run() -> Result<()> {
    match Cli::parse().cmd {
        Cmd::Scan {
            dir,
            json,
            no_duplicates,
            force,
        } => {
            let c = scan_dir(&dir, force.as_deref())?;
            let (dups, undecodable) = if no_duplicates {
                (None, Vec::new())
            } else {
                let (d, f) = find_duplicates(&c.items);
                (Some(d), f)
            };
            let twins = c.twins();
            if json {
                for it in &c.items {
                    let line = json!({
                        "path": it.path, "corpus": it.corpus, "emotion": it.label,
                        "speaker": it.speaker, "gender": it.gender,
                    });
                    out!("{line}");
                }
                let summary = json!({
                    "clips": c.items.len(),
                    "rejected": c.rejected,
                    "duplicates": dups,
                    "twins": twins,
                    "undecodable": undecodable,
                });
                out!("{summary}");
            } else {
                out!(
                    "{}: {} clips, {} rejected",
                    dir.display(),
                    c.items.len(),
                    c.rejected.len()
                );
                let mut by_corpus = std::collections::BTreeMap::new();
                for it in &c.items {
                    *by_corpus.entry(it.corpus.to_string()).or_insert(0usize) += 1;
                }
                for (k, n) in by_corpus {
                    out!("  {k}: {n} clips");
                }
                let labels = c.labels().unwrap_or_else(ser::corpus::LabelSet::study);
                let counts = c.label_counts(&labels);
                let per: Vec<String> = labels
                    .iter()
                    .zip(&counts)
                    .map(|(l, n)| format!("{l} {n}"))
                    .collect();
                out!("  emotions: {}", per.join(", "));
                out!("  speakers: {}", c.speakers().len());
                for r in &c.rejected {
                    out!("  rejected {}: {}", r.path.display(), r.reason);
                }
                match &dups {
                    None => out!("  duplicates: not checked (--no-duplicates)"),
                    Some(d) => {
                        out!("  duplicate groups (identical samples): {}", d.len());
                        for g in d {
                            let names: Vec<String> =
                                g.iter().map(|p| p.display().to_string()).collect();
                            out!("    {}", names.join(" == "));
                        }
                    }
                }
                for f in &undecodable {
                    out!("  undecodable {}: {}", f.path.display(), f.reason);
                }
                out!("  twin groups (same performance): {}", twins.len());
                for g in twins.iter().take(10) {
                    let names: Vec<String> = g.iter().map(|p| p.display().to_string()).collect();
                    out!("    {}", names.join(" ~ "));
                }
            }
        }
        Cmd::Split {
            dirs,
            protocol,
            folds,
            validation_folds,
            seed,
            av_twins,
            duplicates,
            json,
            out,
        } => {
            let parts = dirs
                .iter()
                .map(|d| scan_dir(d, None))
                .collect::<Result<Vec<_>>>()?;
            let c = Corpus::concat(parts);
            for r in &c.rejected {
                eprintln!("rejected {}: {}", r.path.display(), r.reason);
            }
            let dups = if duplicates {
                find_duplicates(&c.items).0
            } else {
                Vec::new()
            };
            match protocol {
                ProtocolArg::Study | ProtocolArg::Stratified => {
                    let split = if matches!(protocol, ProtocolArg::Study) {
                        study_split(
                            &c.items,
                            &StudySplitConfig {
                                simulated_av_twins: av_twins,
                                ..Default::default()
                            },
                        )?
                    } else {
                        stratified_split(
                            &c.items,
                            &dups,
                            &StratifiedConfig {
                                seed: seed.unwrap_or(0),
                                ..Default::default()
                            },
                        )?
                    };
                    print_split(&split, &dups, json)?;
                    if let Some(p) = out {
                        std::fs::write(&p, serde_json::to_string_pretty(&split)?)?;
                    }
                }
                ProtocolArg::SpeakerKfold | ProtocolArg::Loso => {
                    let f = if matches!(protocol, ProtocolArg::Loso) {
                        leave_one_speaker_out(&c.items, &dups, validation_folds)?
                    } else {
                        let cfg = SpeakerFoldConfig {
                            folds,
                            validation_folds,
                            seed,
                            ..Default::default()
                        };
                        speaker_kfold(&c.items, &dups, &cfg)?
                    };
                    print_folds(&f, &dups, json)?;
                    if let Some(p) = out {
                        std::fs::write(&p, serde_json::to_string_pretty(&f)?)?;
                    }
                }
            }
        }
        Cmd::Features {
            dir,
            cache,
            no_cache,
            study_mfcc,
            json,
            out,
        } => {
            let t0 = Instant::now();
            let c = scan_dir(&dir, None)?;
            let t_scan = t0.elapsed();
            let cfg = if study_mfcc {
                FeatureConfig::study()
            } else {
                FeatureConfig::default()
            };
            let opts = ExtractOptions {
                cache_dir: (!no_cache).then_some(cache),
                progress: progress::feature_progress(false),
            };
            let t1 = Instant::now();
            let f = extract_features(&c.items, &cfg, &opts)?;
            let t_feat = t1.elapsed();
            if let Some(p) = out {
                let rows: Vec<Vec<f32>> = f.x.rows().into_iter().map(|r| r.to_vec()).collect();
                let paths: Vec<&Path> = f.items.iter().map(|i| i.path.as_path()).collect();
                std::fs::write(&p, json!({ "paths": paths, "x": rows }).to_string())?;
            }
            for fl in &f.failures {
                eprintln!("failed {}: {}", fl.path.display(), fl.reason);
            }
            if json {
                out!(
                    "{}",
                    json!({
                        "clips": f.items.len(), "failures": f.failures, "shape": f.x.shape(),
                        "scan_s": t_scan.as_secs_f64(), "features_s": t_feat.as_secs_f64(),
                        "cache": f.cache,
                    })
                );
            } else {
                out!(
                    "{} clips -> x {:?} in {:.3} s (scan {:.3} s); {} failed; cache {:?}: {} hits, {} computed{}",
                    c.items.len(), f.x.shape(), t_feat.as_secs_f64(), t_scan.as_secs_f64(), f.failures.len(),
                    f.cache.status, f.cache.hits, f.cache.misses,
                    f.cache.path.as_ref().map(|p| format!(" ({})", p.display())).unwrap_or_default()
                );
            }
        }
        Cmd::Profile { dir, study_mfcc } => {
            let c = scan_dir(&dir, None)?;
            let cfg = if study_mfcc {
                FeatureConfig::study()
            } else {
                FeatureConfig::default()
            };
            let mut mfcc = cfg.frontend.build()?;
            let mut loader = ser::audio::Loader::new();
            let (mut t_read, mut t_dec, mut t_rs, mut t_mfcc) = (0.0, 0.0, 0.0, 0.0);
            let (mut n_in, mut n_out) = (0usize, 0usize);
            for it in &c.items {
                let t = Instant::now();
                let bytes = std::fs::read(&it.path)?;
                t_read += t.elapsed().as_secs_f64();
                let t = Instant::now();
                let a = loader.load_bytes(
                    &bytes,
                    &it.path.to_string_lossy(),
                    &ser::audio::LoadOptions::native_rate(),
                )?;
                t_dec += t.elapsed().as_secs_f64();
                let t = Instant::now();
                let y = loader.resample(&a.samples, a.sample_rate, cfg.audio.target_rate)?;
                t_rs += t.elapsed().as_secs_f64();
                let t = Instant::now();
                let _v = mfcc.compute(&y)?;
                t_mfcc += t.elapsed().as_secs_f64();
                n_in += a.samples.len();
                n_out += y.len();
            }
            let total = t_read + t_dec + t_rs + t_mfcc;
            out!(
                "{} clips, {} source samples, {} samples at {} Hz, one thread:",
                c.items.len(),
                n_in,
                n_out,
                cfg.audio.target_rate
            );
            out!("  read     {t_read:.3} s");
            out!(
                "  decode   {t_dec:.3} s ({:.0} Msamples/s)",
                n_in as f64 / t_dec / 1e6
            );
            out!(
                "  resample {t_rs:.3} s ({:.0} Msamples/s in)",
                n_in as f64 / t_rs / 1e6
            );
            out!(
                "  mfcc     {t_mfcc:.3} s ({:.0} Msamples/s)",
                n_out as f64 / t_mfcc / 1e6
            );
            out!("  total    {total:.3} s");
        }
    }
    Ok(())
}

fn print_split(s: &Split, dups: &[Vec<PathBuf>], json: bool) -> Result<()> {
    let leaks: Vec<String> = s.leaks(dups).iter().map(ToString::to_string).collect();
    let kinds = ["speaker", "performance", "duplicate"];
    let count = |k: &str| leaks.iter().filter(|l| l.starts_with(k)).count();
    let example = |k: &str| leaks.iter().find(|l| l.starts_with(k)).cloned();
    if json {
        out!(
            "{}",
            json!({
                "protocol": s.protocol, "items": s.items.len(),
                "train": s.train.len(), "validation": s.validation.len(), "test": s.test.len(),
                "speakers_on_two_sides": count("speaker"),
                "performances_on_two_sides": count("performance"),
                "duplicates_on_two_sides": count("duplicate"),
                "leak_examples": kinds.iter().filter_map(|k| example(k)).collect::<Vec<_>>(),
            })
        );
    } else {
        out!("{:?}", s.protocol);
        out!(
            "  items {}: train {}, validation {}, test {}",
            s.items.len(),
            s.train.len(),
            s.validation.len(),
            s.test.len()
        );
        for k in kinds {
            out!("  {k}s on two sides: {}", count(k));
            if let Some(e) = example(k) {
                out!("    e.g. {e}");
            }
        }
    }
    Ok(())
}

fn print_folds(f: &SpeakerFolds, dups: &[Vec<PathBuf>], json: bool) -> Result<()> {
    for (k, fold) in f.folds.iter().enumerate() {
        let leaks = f.split(k).map(|s| s.leaks(dups).len()).unwrap_or(0);
        if json {
            out!(
                "{}",
                json!({
                    "fold": k, "test_speakers": fold.test_speakers, "validation_speakers": fold.validation_speakers,
                    "train_speakers": fold.train_speakers, "train": fold.train.len(),
                    "validation": fold.validation.len(), "test": fold.test.len(), "leaks": leaks,
                })
            );
        } else {
            out!(
                "fold {k}: test {} ({} clips) | validation {} ({} clips) | train {} speakers ({} clips) | leaks {leaks}",
                fold.test_speakers.join(" "), fold.test.len(),
                fold.validation_speakers.join(" "), fold.validation.len(),
                fold.train_speakers.len(), fold.train.len()
            );
        }
    }
    Ok(())
}
