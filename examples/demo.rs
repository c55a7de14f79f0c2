//! The study's GUI as a local web page: choose or record audio, pick a model, see the emotion.
//!
//! ```sh
//! cargo run --release --example demo                    # http://127.0.0.1:8080/
//! cargo run --release --example demo -- --port 0        # any free port (the URL is printed)
//! cargo run --release --example demo -- --model runs/b  # also offer a trained checkpoint
//! python3 tools/load/load.py                            # load and abuse checks (builds it)
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
//!   Errors are `{"error": message}` with 400 (no body / bad `Content-Length`), 404 (unknown
//!   model), 408 (the body did not arrive within `--body-timeout-s`), 413 (over
//!   `--max-upload-mb`: from `Content-Length` before any of the body is read, or as soon as a
//!   chunked body passes it), 415 (not a decodable audio file), 422 (decodable but no usable
//!   audio), 503 with `Retry-After` (already `--max-in-flight` uploads being received or
//!   predicted), 500 (model failure).
//!
//! The page shows the timeline (recordings over 4 s) as a band: one segment per window,
//! coloured by the window's most likely emotion (legend below it), blank where there is no
//! speech; hovering a segment shows its probabilities, clicking it plays that window.
//!
//! The server is axum on hyper (HTTP/1.1) on tokio (`demo/server.rs`), with read timeouts for
//! headers and bodies, a bound on uploads in flight, and predictions on the blocking pool, so
//! slow, stalled or oversized uploads never keep other clients from an answer; the decisions
//! made from a request's bytes (query, `Content-Length` against the limit) are pure functions in
//! `demo/request.rs`. Limits and measurements (`tools/load/load.py`): docs/RELIABILITY.md,
//! "Demo server".

use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use ser::{ModelChoice, Recognizer};

#[path = "demo/request.rs"]
mod request;
#[path = "demo/server.rs"]
mod server;

use server::{App, Limits, Model};

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
    /// Predictions computed at once (threads of the blocking pool).
    #[arg(long, default_value_t = 4)]
    threads: usize,
    /// Uploads being received or predicted at once; more get HTTP 503 (with Retry-After).
    #[arg(long, default_value_t = 64)]
    max_in_flight: usize,
    /// Seconds allowed for a request's headers; the connection is closed past it.
    #[arg(long, default_value_t = 10.0)]
    header_timeout_s: f64,
    /// Seconds allowed for a whole upload body; HTTP 408 past it.
    #[arg(long, default_value_t = 60.0)]
    body_timeout_s: f64,
    /// Connections open at once; more are answered 503 and closed.
    #[arg(long, default_value_t = 512)]
    max_connections: usize,
    /// Also offer this model in the menu: a checkpoint directory (model.json +
    /// model.safetensors), e.g. one written by the train example (default and seed-a .. seed-d
    /// are always offered). Repeatable.
    #[arg(long = "model", value_name = "MODEL")]
    extra_models: Vec<ModelChoice>,
}

/// A positive, finite number of seconds as a duration.
fn seconds(flag: &str, s: f64) -> anyhow::Result<Duration> {
    anyhow::ensure!(s.is_finite() && s > 0.0, "--{flag} must be > 0, got {s}");
    Duration::try_from_secs_f64(s).map_err(|e| anyhow::anyhow!("--{flag} {s}: {e}"))
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(
        args.max_upload_mb.is_finite() && args.max_upload_mb > 0.0,
        "--max-upload-mb must be > 0, got {}",
        args.max_upload_mb
    );
    anyhow::ensure!(
        args.threads > 0 && args.max_in_flight > 0 && args.max_connections > 0,
        "--threads, --max-in-flight and --max-connections must be > 0"
    );
    let limits = Limits {
        max_upload: (args.max_upload_mb * 1024.0 * 1024.0) as u64,
        max_in_flight: args.max_in_flight,
        threads: args.threads,
        header_timeout: seconds("header-timeout-s", args.header_timeout_s)?,
        body_timeout: seconds("body-timeout-s", args.body_timeout_s)?,
        max_connections: args.max_connections,
    };
    let mut choices = ModelChoice::BUILTIN.to_vec();
    for choice in args.extra_models {
        if !choices.contains(&choice) {
            choices.push(choice);
        }
    }
    let mut models = Vec::new();
    for choice in choices {
        let recognizer = Recognizer::from_choice(&choice)?;
        models.push(Model::new(&choice, recognizer));
    }
    let app = Arc::new(App::new(models, limits));

    let addr: SocketAddr = (args.host.as_str(), args.port)
        .to_socket_addrs()
        .map_err(|e| anyhow::anyhow!("resolving {}:{}: {e}", args.host, args.port))?
        .next()
        .ok_or_else(|| anyhow::anyhow!("{}:{} resolves to no address", args.host, args.port))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| anyhow::anyhow!("listening on {addr}: {e}"))?;
        let url = match listener.local_addr()? {
            SocketAddr::V6(a) => format!("http://[{}]:{}/", a.ip(), a.port()),
            a => format!("http://{a}/"),
        };
        println!("ser demo: open {url} (Ctrl-C to stop)");
        server::serve(listener, app).await?;
        Ok(())
    })
}
