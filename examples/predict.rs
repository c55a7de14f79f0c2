//! Classify audio files by emotion.
//!
//! ```sh
//! cargo run --release --example predict                      # the bundled sample clips
//! cargo run --release --example predict -- --model seed-b --json tests/data/savee
//! cargo run --release --example predict -- --timeline long_recording.wav
//! cargo run --release --example predict -- --adapt speaker1/*.wav
//! ```
//!
//! Speaker adaptation (models with a speaker-adapted variant, such as the default): `--adapt`
//! treats all inputs of the call as one speaker; `--timeline` adapts to its own recording by
//! default when it lasts at least 10 s (`--no-adapt` turns that off). Without either, each clip is classified on its own
//! with no other audio.
//!
//! `--timeline` streams each file (two passes: the speech detector and the speaker statistics
//! over the whole recording, then the windows; `ser::Recognizer::timeline_file`), so memory does
//! not grow with the recording's length (docs/PERFORMANCE.md). The file-level fields of a
//! recording longer than 60 s are then the summary of its timeline (`ser::FileTimeline::
//! summary`: the mean probabilities of its speech windows) instead of one prediction over the
//! whole clip, which would need the whole recording in memory.
//!
//! `--model` is `default` (embedded), `seed-a` .. `seed-d` (the 2019 study's released models) or
//! a checkpoint directory. PATHs are files or directories (searched recursively for audio
//! files). Without a PATH the bundled clips under `tests/data/ravdess` and `tests/data/savee`
//! (RAVDESS, CC BY-NC-SA 4.0; SAVEE) are classified.
//!
//! Output: a table (file, emotion, confidence, top 3), or with `--json` one object per file per
//! line: `{"file", "speech", "speech_s", "emotion", "confidence", "probabilities": {"neutral":
//! p, ... every label of the model}, "labels": [...], "duration_s", "timings_ms"}` (+
//! `"timeline"` with `--timeline`: its windows carry `speech` and `emotion` too; `"adapted"`
//! says whether speaker adaptation was used), or `{"file",
//! "error"}` for a file that failed. The exit code is 1 when any file failed.
//!
//! Silence and non-speech are not emotions: a file without speech (digital silence, a DC level,
//! steady noise, hum; see `ser::mfcc::Vad`) is reported as `no speech` in the table and as
//! `"speech": false, "emotion": null` (and `null` confidence and probabilities) in JSON. That
//! is an answer, not a failure: the exit code stays 0.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use ser::{ModelChoice, Prediction, Recognizer, Timeline};
use serde::Serialize;

/// What the table says for a file (or timeline window) without speech.
const NO_SPEECH: &str = "no speech";

/// Show a progress bar for at least this many files (on a terminal only).
const PROGRESS_MIN_FILES: usize = 20;

/// Classify audio files by emotion (the study's models: neutral, calm, happy, sad, angry,
/// fearful, disgust, surprised; a checkpoint may have its own labels).
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Model: default, seed-a, seed-b, seed-c, seed-d, or a checkpoint directory.
    #[arg(long, default_value = "default")]
    model: ModelChoice,
    /// One JSON object per file per line instead of a table.
    #[arg(long)]
    json: bool,
    /// Also classify 3 s windows every 1 s (for long recordings). Adapts to the recording's
    /// own speaker first when the model can and the recording lasts at least 10 s (see
    /// --no-adapt).
    #[arg(long)]
    timeline: bool,
    /// Treat every input of this call as one speaker: standardise the features by their
    /// statistics and use the model's speaker-adapted variant.
    #[arg(long, conflicts_with = "no_adapt")]
    adapt: bool,
    /// With --timeline: do not adapt to the recording (each window on its own).
    #[arg(long)]
    no_adapt: bool,
    /// Audio files or directories (recursive). Default: the bundled sample clips.
    paths: Vec<PathBuf>,
}

/// One line of `--json` output.
#[derive(Serialize)]
struct JsonLine<'a> {
    file: &'a str,
    #[serde(flatten)]
    prediction: &'a Prediction,
    /// Whether speaker adaptation was used (--adapt, or --timeline's own recording).
    adapted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    timeline: Option<&'a Timeline>,
}

#[derive(Serialize)]
struct JsonError<'a> {
    file: &'a str,
    error: String,
}

/// A file to classify, or a PATH argument that could not be used.
enum Job {
    File(PathBuf),
    Missing(PathBuf, String),
}

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Returns whether every file was classified.
fn run() -> anyhow::Result<bool> {
    let args = Args::parse();
    // The error names the model and each cause once; `main` prints the chain.
    let mut recognizer = Recognizer::from_choice(&args.model)?;

    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let roots = if args.paths.is_empty() {
        vec![
            manifest.join("tests/data/ravdess"),
            manifest.join("tests/data/savee"),
        ]
    } else {
        args.paths.clone()
    };
    let jobs = collect(&roots);
    let display =
        |p: &Path| -> String { p.strip_prefix(manifest).unwrap_or(p).display().to_string() };
    let names: Vec<String> = jobs
        .iter()
        .map(|j| match j {
            Job::File(p) | Job::Missing(p, _) => display(p),
        })
        .collect();
    if jobs.is_empty() {
        anyhow::bail!("no audio files found under {:?}", roots);
    }

    let progress =
        (jobs.len() >= PROGRESS_MIN_FILES && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new(jobs.len() as u64);
            if let Ok(style) =
                ProgressStyle::with_template("{bar:40} {pos}/{len} files, {elapsed} (eta {eta})")
            {
                bar.set_style(style);
            }
            bar
        });

    let width = names
        .iter()
        .map(|n| n.chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    let mut out = std::io::stdout().lock();
    let mut emit = |text: String| -> std::io::Result<()> {
        match &progress {
            Some(bar) => bar.suspend(|| writeln!(out, "{text}")),
            None => writeln!(out, "{text}"),
        }
    };
    if !args.json {
        emit(format!(
            "{:<width$}  {:<9}  {:>6}  top 3",
            "file", "emotion", "conf"
        ))?;
    }

    let mut preloaded: Vec<Option<Result<ser::Clip, String>>> = Vec::new();
    if args.adapt {
        if !recognizer.can_adapt() {
            anyhow::bail!(
                "--adapt: model {} has no speaker-adapted variant",
                recognizer.model()
            );
        }
        // decoded once: for the adaptation here and for the predictions below
        preloaded = jobs
            .iter()
            .map(|j| match j {
                Job::File(p) => Some(recognizer.load_file(p).map_err(message)),
                Job::Missing(..) => None,
            })
            .collect();
        let clips = preloaded.iter().flatten().filter_map(|c| c.as_ref().ok());
        let a = recognizer.adapt(clips)?;
        if !args.json {
            emit(format!(
                "(adapted to one speaker: {} clips with speech)",
                a.n
            ))?;
        }
    }
    let adapt_timeline = args.timeline && !args.adapt && !args.no_adapt && recognizer.can_adapt();

    let started = Instant::now();
    let mut failed = 0usize;
    let mut no_speech = 0usize;
    let mut total = ser::Timings::default();
    for (i, (job, name)) in jobs.iter().zip(&names).enumerate() {
        let result = match job {
            Job::File(path) => match preloaded.get_mut(i).and_then(Option::take) {
                Some(clip) => clip.and_then(|clip| {
                    classify(&mut recognizer, &clip, args.timeline, adapt_timeline)
                }),
                None if args.timeline => timeline(&mut recognizer, path, adapt_timeline),
                None => recognizer
                    .load_file(path)
                    .map_err(message)
                    .and_then(|clip| classify(&mut recognizer, &clip, false, false)),
            },
            Job::Missing(_, why) => Err(why.clone()),
        };
        match result {
            Ok((prediction, timeline, adapted)) => {
                total.decode += prediction.timings.decode;
                total.vad += prediction.timings.vad;
                no_speech += usize::from(!prediction.speech);
                total.features += prediction.timings.features;
                total.inference += prediction.timings.inference;
                if args.json {
                    let line = JsonLine {
                        file: name,
                        prediction: &prediction,
                        adapted: adapted || args.adapt,
                        timeline: timeline.as_ref(),
                    };
                    emit(serde_json::to_string(&line)?)?;
                } else {
                    emit(table_row(name, width, &prediction))?;
                    if let Some(timeline) = &timeline {
                        for w in &timeline.windows {
                            let verdict = match (&w.label, w.confidence()) {
                                (Some(label), Some(p)) => {
                                    format!("{:<9}  {:>5.1}%", label.name(), 100.0 * p)
                                }
                                _ => NO_SPEECH.to_string(),
                            };
                            emit(format!("  {:>6.1}–{:<6.1} s  {verdict}", w.start, w.end))?;
                        }
                    }
                }
            }
            Err(error) => {
                failed += 1;
                if args.json {
                    emit(serde_json::to_string(&JsonError { file: name, error })?)?;
                } else {
                    emit(format!("{name:<width$}  error: {error}"))?;
                }
            }
        }
        if let Some(bar) = &progress {
            bar.inc(1);
        }
    }
    if let Some(bar) = &progress {
        bar.finish_and_clear();
    }
    if !args.json {
        let ok = jobs.len() - failed;
        let per = |d: Duration| d.as_secs_f64() * 1e3 / ok.max(1) as f64;
        emit(format!(
            "\n{ok} classified, {failed} failed, {no_speech} without speech, model {} in {:.2} s \
             (per file: decode {:.1} ms, speech detection {:.1} ms, features {:.1} ms, \
             model {:.1} ms)",
            recognizer.model(),
            started.elapsed().as_secs_f64(),
            per(total.decode),
            per(total.vad),
            per(total.features),
            per(total.inference)
        ))?;
    }
    Ok(failed == 0)
}

/// Classifies one decoded file (and its timeline when asked; `Recognizer::analyze`), the
/// error as a message. With `adapt_to_itself` the recognizer first adapts to the recording's
/// own windows (skipped for recordings shorter than `ser::SELF_ADAPT_MIN_SECONDS` or with too
/// little speech) and forgets it afterwards. Also returns whether it adapted.
fn classify(
    recognizer: &mut Recognizer,
    clip: &ser::Clip,
    timeline: bool,
    adapt_to_itself: bool,
) -> Result<(Prediction, Option<Timeline>, bool), String> {
    let a = recognizer
        .analyze(clip, timeline, adapt_to_itself)
        .map_err(message)?;
    Ok((a.prediction, a.timeline, a.adapted))
}

/// Recordings up to this long, in seconds, get the whole-clip prediction with `--timeline`
/// (decoded whole: at most this many seconds of samples in memory); longer ones the summary of
/// their timeline ([`ser::FileTimeline::summary`]: the mean of the speech windows), so memory
/// does not grow with the recording's length.
const WHOLE_CLIP_MAX_SECONDS: f64 = 60.0;

/// `--timeline` for one file, streamed ([`Recognizer::timeline_file`]: two passes over the
/// file, bounded memory), adapting to the recording's own speaker with `adapt_to_itself` (and
/// forgetting it afterwards). Also returns whether it adapted.
fn timeline(
    recognizer: &mut Recognizer,
    path: &Path,
    adapt_to_itself: bool,
) -> Result<(Prediction, Option<Timeline>, bool), String> {
    let streamed = recognizer
        .timeline_file(path, adapt_to_itself)
        .map_err(message)?;
    let prediction = if streamed.timeline.duration <= WHOLE_CLIP_MAX_SECONDS {
        recognizer.predict_file(path).map_err(message)
    } else {
        Ok(streamed.summary())
    };
    if streamed.adapted {
        recognizer.clear_adaptation();
    }
    Ok((prediction?, Some(streamed.timeline), streamed.adapted))
}

/// The error and its causes on one line, each cause once (`a: b: c`).
fn message(e: ser::Error) -> String {
    format!("{:#}", anyhow::Error::new(e))
}

fn table_row(name: &str, width: usize, p: &Prediction) -> String {
    let (Some(label), Some(confidence)) = (&p.label, p.confidence()) else {
        return format!("{name:<width$}  {NO_SPEECH}");
    };
    let top3 = p
        .ranked()
        .iter()
        .take(3)
        .map(|(l, q)| format!("{l} {:.0}%", 100.0 * q))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "{name:<width$}  {:<9}  {:>5.1}%  {top3}",
        label.name(),
        100.0 * confidence
    )
}

/// Files to classify: files as given, directories searched recursively for audio extensions
/// (sorted), missing paths as errors.
fn collect(roots: &[PathBuf]) -> Vec<Job> {
    let mut jobs = Vec::new();
    for root in roots {
        if root.is_dir() {
            match ser::audio::discover::audio_files(root) {
                Ok(files) => jobs.extend(files.into_iter().map(Job::File)),
                Err(e) => jobs.push(Job::Missing(
                    root.clone(),
                    format!("reading directory: {e}"),
                )),
            }
        } else if root.exists() {
            jobs.push(Job::File(root.clone()));
        } else {
            jobs.push(Job::Missing(
                root.clone(),
                "no such file or directory".into(),
            ));
        }
    }
    jobs
}
