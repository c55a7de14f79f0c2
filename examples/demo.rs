//! The study's GUI as a local web page: choose or record audio, pick a model, see the emotion.
//!
//! ```sh
//! cargo run --release --example demo                    # http://127.0.0.1:8080/
//! cargo run --release --example demo -- --port 0        # any free port (the URL is printed)
//! cargo run --release --example demo -- --model runs/b  # also offer a trained checkpoint
//! ```
//!
//! Everything the page needs (HTML, CSS, JS) is embedded in the binary: no CDN, works offline.
//!
//! API:
//! - `GET /api/models` -> `{"default": "default", "max_upload_bytes": n, "models": [{"id",
//!   "name", "description"}]}`
//! - `POST /api/predict?model=seed-b&timeline=1&name=clip.wav` with the raw file as the body ->
//!   `{"file", "model", "speech", "speech_s", "emotion", "confidence", "probabilities":
//!   {"neutral": p, ... every label of the model}, "labels": [...], "duration_s", "timings_ms":
//!   {"decode", "vad", "features", "inference"}, "adapted", "timeline"?: {..., "windows": [{"start",
//!   "end", "speech", "speech_s", "emotion", "probabilities"}]}}` (`labels` in the model's
//!   order; the page draws a bar per label, so a checkpoint with its own classes works too).
//!   Audio without speech (silence, a DC level, steady noise; see `ser::mfcc::Vad`) is an
//!   answer, not an error: 200 with `"speech": false, "emotion": null` (and `null` confidence
//!   and probabilities); timeline windows without speech likewise. With `timeline=1` an upload
//!   of at least 10 s is first used as its own speaker's adaptation data
//!   (`Recognizer::adapt_to_recording_if_long`, as `predict --timeline`; `"adapted": true`).
//!
//! The page shows the timeline (recordings over 4 s) as a band: one segment per window,
//! coloured by the window's most likely emotion (legend below it), blank where there is no
//! speech; hovering a segment shows its probabilities, clicking it plays that window.
//!   Errors are `{"error": message}` with 400 (no body / bad query), 404 (unknown model),
//!   413 (over `--max-upload-mb`), 415 (not a decodable audio file), 422 (decodable but no
//!   usable audio), 500 (model failure).

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use clap::Parser;
use ser::audio::AudioError;
use ser::{Error, ModelChoice, Prediction, Recognizer, Timeline};
use serde::Serialize;
use tiny_http::{Header, Method, Request, Response, Server, StatusCode};

const INDEX_HTML: &str = include_str!("demo/index.html");
const APP_JS: &str = include_str!("demo/app.js");
const STYLE_CSS: &str = include_str!("demo/style.css");

/// Serve the speech emotion recognition demo page.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Port to listen on (0 = any free port).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Address to listen on. Keep the default unless you mean to expose the page.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Largest accepted upload in MiB; larger ones get HTTP 413.
    #[arg(long, default_value_t = 20.0)]
    max_upload_mb: f64,
    /// Worker threads handling requests.
    #[arg(long, default_value_t = 4)]
    threads: usize,
    /// Also offer this model in the menu: a checkpoint directory (model.json +
    /// model.safetensors), e.g. one written by the train example (default and seed-a .. seed-d
    /// are always offered). Repeatable.
    #[arg(long = "model", value_name = "MODEL")]
    extra_models: Vec<ModelChoice>,
}

/// The models, loaded once and shared by the workers.
struct Models {
    entries: Vec<(ModelChoice, Mutex<Recognizer>)>,
}

impl Models {
    fn get(&self, id: &str) -> Option<&Mutex<Recognizer>> {
        self.entries
            .iter()
            .find(|(choice, _)| choice.to_string() == id)
            .map(|(_, r)| r)
    }
}

struct App {
    models: Models,
    max_upload: usize,
}

/// An HTTP answer: status and JSON body, or a static asset.
struct Reply {
    status: u16,
    content_type: &'static str,
    body: String,
}

impl Reply {
    fn json(status: u16, value: &impl Serialize) -> Self {
        let body = serde_json::to_string(value)
            .unwrap_or_else(|e| format!("{{\"error\":\"serialising the answer: {e}\"}}"));
        Self {
            status,
            content_type: "application/json; charset=utf-8",
            body,
        }
    }

    fn error(status: u16, message: impl Into<String>) -> Self {
        #[derive(Serialize)]
        struct ErrorBody {
            error: String,
        }
        Self::json(
            status,
            &ErrorBody {
                error: message.into(),
            },
        )
    }

    fn asset(content_type: &'static str, body: &str) -> Self {
        Self {
            status: 200,
            content_type,
            body: body.to_string(),
        }
    }
}

#[derive(Serialize)]
struct ModelInfo {
    id: String,
    name: String,
    description: String,
}

#[derive(Serialize)]
struct ModelList {
    default: String,
    max_upload_bytes: usize,
    models: Vec<ModelInfo>,
}

#[derive(Serialize)]
struct PredictAnswer<'a> {
    file: &'a str,
    model: &'a str,
    #[serde(flatten)]
    prediction: &'a Prediction,
    /// Whether the answer is adapted to the upload's own speaker (long uploads).
    adapted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    timeline: Option<&'a Timeline>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(
        args.max_upload_mb.is_finite() && args.max_upload_mb > 0.0,
        "--max-upload-mb must be > 0, got {}",
        args.max_upload_mb
    );
    let mut entries = Vec::new();
    let mut choices = ModelChoice::BUILTIN.to_vec();
    for choice in args.extra_models {
        if !choices.contains(&choice) {
            choices.push(choice);
        }
    }
    for choice in choices {
        let recognizer = Recognizer::from_choice(&choice)?;
        entries.push((choice, Mutex::new(recognizer)));
    }
    let app = Arc::new(App {
        models: Models { entries },
        max_upload: (args.max_upload_mb * 1024.0 * 1024.0) as usize,
    });

    let server = Server::http((args.host.as_str(), args.port))
        .map_err(|e| anyhow::anyhow!("listening on {}:{}: {e}", args.host, args.port))?;
    let url = match server.server_addr().to_ip() {
        Some(SocketAddr::V6(a)) => format!("http://[{}]:{}/", a.ip(), a.port()),
        Some(a) => format!("http://{a}/"),
        None => format!("http://{}:{}/", args.host, args.port),
    };
    println!("ser demo: open {url} (Ctrl-C to stop)");
    let server = Arc::new(server);

    let workers: Vec<_> = (0..args.threads.max(1))
        .map(|_| {
            let server = Arc::clone(&server);
            let app = Arc::clone(&app);
            std::thread::spawn(move || loop {
                match server.recv() {
                    Ok(request) => handle(&app, request),
                    Err(e) => {
                        eprintln!("accepting a request failed: {e}");
                        break;
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        let _ = worker.join();
    }
    Ok(())
}

fn handle(app: &App, mut request: Request) {
    let started = Instant::now();
    let method = request.method().clone();
    let url = request.url().to_string();
    let (path, query) = url.split_once('?').unwrap_or((url.as_str(), ""));
    let reply = match (&method, path) {
        (Method::Get, "/" | "/index.html") => Reply::asset("text/html; charset=utf-8", INDEX_HTML),
        (Method::Get, "/app.js") => Reply::asset("text/javascript; charset=utf-8", APP_JS),
        (Method::Get, "/style.css") => Reply::asset("text/css; charset=utf-8", STYLE_CSS),
        (Method::Get, "/api/models") => models(app),
        (Method::Post, "/api/predict") => predict(app, &mut request, query),
        (_, "/" | "/index.html" | "/app.js" | "/style.css" | "/api/models" | "/api/predict") => {
            Reply::error(405, format!("method {method} not allowed on {path}"))
        }
        _ => Reply::error(404, format!("no such page: {path}")),
    };
    let status = reply.status;
    let mut response = Response::from_string(reply.body).with_status_code(StatusCode(status));
    for (name, value) in [
        ("Content-Type", reply.content_type),
        ("Cache-Control", "no-store"),
        ("X-Content-Type-Options", "nosniff"),
    ] {
        if let Ok(header) = Header::from_bytes(name, value) {
            response.add_header(header);
        }
    }
    // Drain an unread request body (e.g. a rejected upload) in small chunks so the browser
    // receives the answer instead of a reset connection.
    let _ = std::io::copy(request.as_reader(), &mut std::io::sink());
    if let Err(e) = request.respond(response) {
        eprintln!("{method} {url}: sending the answer failed: {e}");
    }
    // One write per line, so the workers' log lines do not interleave.
    let line = format!(
        "{method} {url} -> {status} ({:.1} ms)\n",
        started.elapsed().as_secs_f64() * 1e3
    );
    let _ = std::io::stderr().write_all(line.as_bytes());
}

fn models(app: &App) -> Reply {
    let models = app
        .models
        .entries
        .iter()
        .map(|(choice, _)| ModelInfo {
            id: choice.to_string(),
            name: match choice {
                ModelChoice::Default => "Default model".to_string(),
                ModelChoice::Seed(s) => format!("Study model {s:?} (2019)"),
                ModelChoice::Dir(d) => d.display().to_string(),
            },
            description: choice.description(),
        })
        .collect();
    Reply::json(
        200,
        &ModelList {
            default: ModelChoice::Default.to_string(),
            max_upload_bytes: app.max_upload,
            models,
        },
    )
}

fn predict(app: &App, request: &mut Request, query: &str) -> Reply {
    let mut model = ModelChoice::Default.to_string();
    let mut timeline = false;
    let mut name = "upload".to_string();
    for (key, value) in query.split('&').filter_map(|kv| kv.split_once('=')) {
        let value = percent_decode(value);
        match key {
            "model" => model = value,
            "timeline" => timeline = matches!(value.as_str(), "1" | "true" | "yes"),
            "name" if !value.trim().is_empty() => name = value,
            _ => {}
        }
    }
    let Some(recognizer) = app.models.get(&model) else {
        let known: Vec<String> = app
            .models
            .entries
            .iter()
            .map(|(m, _)| m.to_string())
            .collect();
        return Reply::error(
            404,
            format!(
                "unknown model {model:?}; expected one of {}",
                known.join(", ")
            ),
        );
    };

    let limit = app.max_upload;
    let too_large = || {
        Reply::error(
            413,
            format!(
                "The file is too large: the limit is {:.0} MB.",
                limit as f64 / (1024.0 * 1024.0)
            ),
        )
    };
    if request.body_length().is_some_and(|n| n > limit) {
        return too_large();
    }
    let mut body = Vec::new();
    if let Err(e) = request
        .as_reader()
        .take(limit as u64 + 1)
        .read_to_end(&mut body)
    {
        return Reply::error(400, format!("reading the upload failed: {e}"));
    }
    if body.len() > limit {
        return too_large();
    }
    if body.is_empty() {
        return Reply::error(400, "No file was sent: the request body is empty.");
    }

    let mut recognizer = recognizer.lock().unwrap_or_else(PoisonError::into_inner);
    let result = recognizer.load_bytes(&body, &name).and_then(|clip| {
        // A long upload is its own speaker's adaptation data (as `predict --timeline`).
        let adapted = timeline && recognizer.adapt_to_recording_if_long(&clip);
        let answer = (|| {
            let prediction = recognizer.predict_clip(&clip)?;
            let timeline = if timeline {
                Some(recognizer.timeline_clip(&clip)?)
            } else {
                None
            };
            Ok((prediction, timeline, adapted))
        })();
        if adapted {
            recognizer.clear_adaptation();
        }
        answer
    });
    drop(recognizer);
    match result {
        Ok((prediction, timeline, adapted)) => Reply::json(
            200,
            &PredictAnswer {
                file: &name,
                model: &model,
                prediction: &prediction,
                adapted,
                timeline: timeline.as_ref(),
            },
        ),
        Err(e) => match status_of(&e) {
            415 => Reply::error(
                415,
                format!(
                    "“{name}” is not an audio file this server can decode \
                     (WAV, FLAC, MP3, Ogg Vorbis, AAC/M4A, AIFF). Details: {}",
                    source_message(&e)
                ),
            ),
            422 => Reply::error(
                422,
                format!(
                    "“{name}” could not be analysed: the audio is damaged or empty. Details: {}",
                    source_message(&e)
                ),
            ),
            status => Reply::error(
                status,
                format!("prediction failed: {:#}", anyhow::Error::new(e)),
            ),
        },
    }
}

/// The HTTP status for a failed prediction: 415 for a file that is not (decodable) audio, 422
/// for audio that is damaged or holds nothing to analyse, 500 otherwise.
fn status_of(e: &Error) -> u16 {
    match e {
        Error::Audio { source, .. } => match source {
            AudioError::NotAudio { .. }
            | AudioError::UnsupportedCodec { .. }
            | AudioError::NoAudioTrack { .. } => 415,
            AudioError::Corrupt { .. }
            | AudioError::Truncated { .. }
            | AudioError::Empty { .. }
            | AudioError::NonFinite { .. }
            | AudioError::TooLong { .. }
            | AudioError::TooLoud { .. } => 422,
            _ => 500,
        },
        e if e.is_bad_input() => 422,
        _ => 500,
    }
}

/// The innermost cause of an error (the name is already in our own message).
fn source_message(e: &Error) -> String {
    let mut inner: &dyn std::error::Error = e;
    while let Some(next) = inner.source() {
        inner = next;
    }
    inner.to_string()
}

/// Decodes `%XX` escapes and `+` (as a space) of a query-string value.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
