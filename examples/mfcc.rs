//! Prints the MFCCs of an audio file as one JSON object.
//!
//! ```text
//! cargo run --release --example mfcc -- [--sr 22050] [--n-mfcc 40] [--pad-mode constant|reflect]
//!     [--no-resample] [--mean] FILE
//! ```
//!
//! Output: `{"file": ..., "sample_rate": 22050, "n_mfcc": 40, "frames": T, "mfcc": [[T values] x n_mfcc]}`
//! (librosa orientation, one row per coefficient), or with `--mean`, `"mean": [n_mfcc values]`
//! (the per-clip mean over time, the 2019 study's feature) in place of `"mfcc"`.
//! `--no-resample` keeps the file's own rate and computes the MFCCs at that rate.
//! On bad input: one line on stderr, exit code 1 (2 for bad arguments).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, ValueEnum};
use ser::audio::{load, LoadOptions};
use ser::mfcc::{Mfcc, MfccConfig, PadMode};
use serde::Serialize;

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Pad {
    /// zeros (librosa >= 0.10)
    Constant,
    /// mirror (librosa 0.6.3, the study)
    Reflect,
}

/// MFCCs of an audio file (librosa-compatible), as JSON on stdout.
#[derive(Debug, Parser)]
#[command(name = "mfcc")]
struct Args {
    /// Sample rate to resample to and compute at, Hz.
    #[arg(long, default_value_t = 22050)]
    sr: u32,
    /// Number of MFCCs.
    #[arg(long, default_value_t = 40)]
    n_mfcc: usize,
    /// Padding of the centred STFT.
    #[arg(long, value_enum, default_value_t = Pad::Constant)]
    pad_mode: Pad,
    /// Keep the file's own sample rate (ignores --sr).
    #[arg(long)]
    no_resample: bool,
    /// Print the mean over time ("mean") instead of the full matrix ("mfcc").
    #[arg(long)]
    mean: bool,
    /// Audio file (WAV, FLAC, MP3, Ogg Vorbis, ...).
    file: PathBuf,
}

#[derive(Serialize)]
struct Output {
    file: String,
    sample_rate: u32,
    n_mfcc: usize,
    frames: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    mfcc: Option<Vec<Vec<f32>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mean: Option<Vec<f32>>,
}

fn run(args: &Args) -> anyhow::Result<String> {
    let opts = if args.no_resample {
        LoadOptions::native_rate()
    } else {
        LoadOptions::with_rate(args.sr)
    };
    let audio = load(&args.file, &opts)?;
    let cfg = MfccConfig {
        sample_rate: audio.sample_rate,
        n_mfcc: args.n_mfcc,
        pad_mode: match args.pad_mode {
            Pad::Constant => PadMode::Constant,
            Pad::Reflect => PadMode::Reflect,
        },
        ..MfccConfig::default()
    };
    let mut mfcc = Mfcc::new(cfg).context("MFCC configuration")?;
    let file = args.file.display().to_string();
    let m = mfcc
        .compute(&audio.samples)
        .with_context(|| format!("{file}: MFCC"))?;
    let frames = m.ncols();
    let out = if args.mean {
        Output {
            file,
            sample_rate: audio.sample_rate,
            n_mfcc: args.n_mfcc,
            frames,
            mfcc: None,
            mean: Some(ser::mfcc::mean_over_time(m.view()).to_vec()),
        }
    } else {
        Output {
            file,
            sample_rate: audio.sample_rate,
            n_mfcc: args.n_mfcc,
            frames,
            mfcc: Some(m.rows().into_iter().map(|r| r.to_vec()).collect()),
            mean: None,
        }
    };
    Ok(serde_json::to_string(&out)?)
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            let msg = format!("{e:#}").replace('\n', " ");
            eprintln!("error: {msg}");
            ExitCode::FAILURE
        }
    }
}
