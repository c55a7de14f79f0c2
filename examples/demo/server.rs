//! The demo's HTTP server: axum routes on hyper's HTTP/1.1 connections on tokio, with the
//! limits that keep it answering under slow, stalled or oversized clients (see
//! docs/RELIABILITY.md, "Demo server"):
//!
//! - request headers must arrive within [`Limits::header_timeout`] (hyper closes the connection
//!   otherwise), and a whole upload body within [`Limits::body_timeout`] (408);
//! - a declared `Content-Length` over [`Limits::max_upload`] is refused with 413 before any of
//!   the body is read; a body without one (chunked) is counted as it arrives and refused as
//!   soon as it passes the limit;
//! - at most [`Limits::max_in_flight`] uploads are being received or predicted at once (503 with
//!   `Retry-After` past it), which bounds the memory held by bodies to about
//!   `max_in_flight * max_upload`;
//! - predictions (CPU-bound) run on tokio's blocking pool, at most [`Limits::threads`] at once,
//!   so the async workers that accept connections and answer `GET`s are never busy with them;
//! - at most [`Limits::max_connections`] connections are open at once (past it a connection gets
//!   a bare 503 and is closed).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header::{self, HeaderName, HeaderValue};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, MethodRouter};
use axum::Router;
use http_body_util::BodyExt;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use ser::audio::AudioError;
use ser::{Error, ModelChoice, Prediction, Recognizer, Timeline};
use serde::Serialize;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::request::{self, BodyBudget, PredictRequest, Rejection};

const INDEX_HTML: &str = include_str!("index.html");
const APP_JS: &str = include_str!("app.js");
const STYLE_CSS: &str = include_str!("style.css");

/// The most bytes of a refused upload read (and thrown away) after the answer was sent, so a
/// browser still sending the body reads the answer instead of a reset connection.
const DRAIN_MAX_BYTES: u64 = 64 * 1024 * 1024;
/// The longest time spent draining a refused upload.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);
/// Answer to a connection accepted past [`Limits::max_connections`].
const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\nretry-after: 2\r\n\r\n";

/// The server's limits (all checked per request or connection; see the module docs).
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest accepted upload, bytes (413 past it).
    pub max_upload: u64,
    /// Uploads being received or predicted at once (503 past it).
    pub max_in_flight: usize,
    /// Predictions computed at once (threads of the blocking pool busy with them).
    pub threads: usize,
    /// Time allowed for a request's headers, from when the server starts waiting for them (the
    /// connection opened, or the previous answer on it was sent): also the idle time after which
    /// a kept-alive connection is closed.
    pub header_timeout: Duration,
    /// Time allowed for a whole upload body, from the end of its headers (408 past it).
    pub body_timeout: Duration,
    /// Open connections at once.
    pub max_connections: usize,
}

/// One model offered in the menu, with a pool of recognizers (one per concurrent prediction).
pub struct Model {
    id: String,
    name: String,
    description: String,
    template: Recognizer,
    idle: Mutex<Vec<Recognizer>>,
}

impl Model {
    /// A menu entry for `choice`, predicting with (clones of) `recognizer`.
    pub fn new(choice: &ModelChoice, recognizer: Recognizer) -> Self {
        Self {
            id: choice.to_string(),
            name: match choice {
                ModelChoice::Default => "Default model".to_string(),
                ModelChoice::Seed(s) => format!("Study model {s:?} (2019)"),
                ModelChoice::Dir(d) => d.display().to_string(),
            },
            description: choice.description(),
            template: recognizer,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// A recognizer for one prediction: an idle one, or a new clone (at most
    /// [`Limits::threads`] are out at once, so the pool stays that small).
    fn checkout(&self) -> Recognizer {
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        idle.unwrap_or_else(|| self.template.clone())
    }

    fn checkin(&self, recognizer: Recognizer) {
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(recognizer);
    }
}

/// What the handlers share.
pub struct App {
    models: Vec<Model>,
    limits: Limits,
    in_flight: Arc<Semaphore>,
    cpu: Arc<Semaphore>,
}

impl App {
    /// The app serving `models` (the first is the default) under `limits`.
    pub fn new(models: Vec<Model>, limits: Limits) -> Self {
        Self {
            models,
            in_flight: Arc::new(Semaphore::new(limits.max_in_flight.max(1))),
            cpu: Arc::new(Semaphore::new(limits.threads.max(1))),
            limits,
        }
    }

    fn model(&self, id: &str) -> Option<&Model> {
        self.models.iter().find(|m| m.id == id)
    }
}

/// Accepts connections on `listener` and serves them until the task is dropped. Returns only
/// when accepting fails for good.
pub async fn serve(listener: TcpListener, app: Arc<App>) -> std::io::Result<()> {
    let limits = app.limits.clone();
    let router = router(app);
    let connections = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) if is_transient(&e) => {
                // Out of file descriptors or a connection reset before it was accepted: wait a
                // little instead of spinning, then go on.
                eprintln!("accepting a connection failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
            Err(e) => return Err(e),
        };
        let Ok(permit) = Arc::clone(&connections).try_acquire_owned() else {
            let _ = stream.try_write(BUSY);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(router.clone());
        let header_timeout = limits.header_timeout;
        tokio::spawn(async move {
            let mut builder = http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .max_buf_size(64 * 1024);
            // Errors here are the client's (reset, timeout, bad request line): nothing to do.
            let _ = builder
                .serve_connection(TokioIo::new(stream), service)
                .await;
            drop(permit);
        });
    }
}

/// Binds `addr` and serves on a new multi-threaded runtime in a background thread; returns the
/// bound address (for port 0) once it listens. For tests and tools.
#[allow(dead_code)] // used by the tests, not by the example's main
pub fn spawn(addr: SocketAddr, app: App) -> std::io::Result<SocketAddr> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let listener = runtime.block_on(TcpListener::bind(addr))?;
    let bound = listener.local_addr()?;
    std::thread::spawn(move || {
        if let Err(e) = runtime.block_on(serve(listener, Arc::new(app))) {
            eprintln!("demo server stopped: {e}");
        }
    });
    Ok(bound)
}

fn is_transient(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        e.kind(),
        ConnectionAborted | ConnectionReset | Interrupted | WouldBlock
    ) || e
        .raw_os_error()
        .is_some_and(|code| code == 23 || code == 24) // ENFILE, EMFILE
}

/// The routes: the page, its assets and the two API calls.
fn router(app: Arc<App>) -> Router {
    let asset = |content_type: &'static str, body: &'static str| {
        get(move || async move { Reply::asset(content_type, body) })
    };
    let page = asset("text/html; charset=utf-8", INDEX_HTML);
    Router::new()
        .route("/", not_allowed(page.clone()))
        .route("/index.html", not_allowed(page))
        .route(
            "/app.js",
            not_allowed(asset("text/javascript; charset=utf-8", APP_JS)),
        )
        .route(
            "/style.css",
            not_allowed(asset("text/css; charset=utf-8", STYLE_CSS)),
        )
        .route("/api/models", not_allowed(get(models)))
        .route("/api/predict", not_allowed(post(predict)))
        .fallback(|req: Request| async move {
            Reply::error(404, format!("no such page: {}", req.uri().path()))
        })
        .layer(middleware::from_fn(log_and_harden))
        .with_state(app)
}

/// A route answering other methods with a JSON 405.
fn not_allowed(route: MethodRouter<Arc<App>>) -> MethodRouter<Arc<App>> {
    route.fallback(|req: Request| async move {
        Reply::error(
            405,
            format!(
                "method {} not allowed on {}",
                req.method(),
                req.uri().path()
            ),
        )
    })
}

/// Adds the headers every answer carries and logs one line per request.
async fn log_and_harden(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let line = format!("{} {}", req.method(), req.uri());
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    eprintln!(
        "{line} -> {} ({:.1} ms)",
        response.status().as_u16(),
        started.elapsed().as_secs_f64() * 1e3
    );
    response
}

/// An HTTP answer: status, JSON body or a static asset, and extra headers.
struct Reply {
    status: u16,
    content_type: &'static str,
    body: String,
    headers: Vec<(HeaderName, &'static str)>,
}

impl Reply {
    fn json(status: u16, value: &impl Serialize) -> Self {
        let body = serde_json::to_string(value)
            .unwrap_or_else(|e| format!("{{\"error\":\"serialising the answer: {e}\"}}"));
        Self {
            status,
            content_type: "application/json; charset=utf-8",
            body,
            headers: Vec::new(),
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

    fn rejection(r: Rejection) -> Self {
        Self::error(r.status, r.message)
    }

    fn asset(content_type: &'static str, body: &str) -> Self {
        Self {
            status: 200,
            content_type,
            body: body.to_string(),
            headers: Vec::new(),
        }
    }

    fn with_header(mut self, name: HeaderName, value: &'static str) -> Self {
        self.headers.push((name, value));
        self
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, self.body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(self.content_type),
        );
        for (name, value) in self.headers {
            headers.insert(name, HeaderValue::from_static(value));
        }
        response
    }
}

#[derive(Serialize)]
struct ModelInfo<'a> {
    id: &'a str,
    name: &'a str,
    description: &'a str,
}

#[derive(Serialize)]
struct ModelList<'a> {
    default: String,
    max_upload_bytes: u64,
    models: Vec<ModelInfo<'a>>,
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

async fn models(State(app): State<Arc<App>>) -> Reply {
    let models = app
        .models
        .iter()
        .map(|m| ModelInfo {
            id: &m.id,
            name: &m.name,
            description: &m.description,
        })
        .collect();
    Reply::json(
        200,
        &ModelList {
            default: ModelChoice::Default.to_string(),
            max_upload_bytes: app.limits.max_upload,
            models,
        },
    )
}

async fn predict(State(app): State<Arc<App>>, req: Request) -> Reply {
    let deadline = tokio::time::Instant::now() + app.limits.body_timeout;
    let query = req.uri().query().unwrap_or("").as_bytes().to_vec();
    let content_length = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .map(|v| v.as_bytes().to_vec());
    let body = req.into_body();
    // Everything decided from the headers comes first: a refused upload is never read (only
    // drained, unstored, after the answer).
    let parsed =
        match request::parse_predict(&query, content_length.as_deref(), app.limits.max_upload) {
            Ok(parsed) => parsed,
            Err(rejection) => return refuse(body, Reply::rejection(rejection)),
        };
    if app.model(&parsed.model).is_none() {
        let known: Vec<&str> = app.models.iter().map(|m| m.id.as_str()).collect();
        let message = format!(
            "unknown model {:?}; expected one of {}",
            parsed.model,
            known.join(", ")
        );
        return refuse(body, Reply::error(404, message));
    }
    let Ok(in_flight) = Arc::clone(&app.in_flight).try_acquire_owned() else {
        let reply = Reply::error(
            503,
            "The server is busy with other uploads; try again in a moment.",
        )
        .with_header(header::RETRY_AFTER, "2");
        return refuse(body, reply);
    };

    let upload =
        match tokio::time::timeout_at(deadline, read_body(body, &parsed, app.limits.max_upload))
            .await
        {
            Ok(Ok(upload)) => upload,
            Ok(Err(reply)) => return reply,
            Err(_) => {
                return Reply::error(
                    408,
                    format!(
                        "The upload did not arrive within {} s.",
                        app.limits.body_timeout.as_secs_f64()
                    ),
                )
                .with_header(header::CONNECTION, "close")
            }
        };
    if upload.is_empty() {
        return Reply::error(400, "No file was sent: the request body is empty.");
    }

    // Waits (without holding an async worker) for one of the prediction threads.
    let Ok(cpu) = Arc::clone(&app.cpu).acquire_owned().await else {
        return Reply::error(500, "the prediction pool is closed");
    };
    let worker_app = Arc::clone(&app);
    let answer = tokio::task::spawn_blocking(move || {
        // The permits live as long as the work, even when the client has gone.
        let _permits = (in_flight, cpu);
        match worker_app.model(&parsed.model) {
            Some(model) => predict_blocking(model, &upload, &parsed),
            None => Reply::error(404, format!("unknown model {:?}", parsed.model)),
        }
    })
    .await;
    answer.unwrap_or_else(|e| Reply::error(500, format!("prediction failed: {e}")))
}

/// Reads an upload into memory, refusing it (413) as soon as it passes `limit` bytes.
async fn read_body(mut body: Body, parsed: &PredictRequest, limit: u64) -> Result<Bytes, Reply> {
    let mut budget = BodyBudget::new(limit);
    let capacity = parsed.declared_len.and_then(|n| usize::try_from(n).ok());
    let mut buffer = Vec::with_capacity(capacity.unwrap_or(0));
    while let Some(frame) = body.frame().await {
        let frame =
            frame.map_err(|e| Reply::error(400, format!("reading the upload failed: {e}")))?;
        let Ok(data) = frame.into_data() else {
            continue; // trailers
        };
        if let Err(rejection) = budget.take(data.len()) {
            return Err(refuse(body, Reply::rejection(rejection)));
        }
        buffer.extend_from_slice(&data);
    }
    Ok(Bytes::from(buffer))
}

/// Answers `reply` now and reads the rest of the refused body in the background (thrown away;
/// at most [`DRAIN_MAX_BYTES`] for at most [`DRAIN_TIMEOUT`]), so a client that is still
/// sending it gets the answer instead of a reset connection. Past those, the connection closes.
fn refuse(mut body: Body, reply: Reply) -> Reply {
    tokio::spawn(async move {
        let drain = async {
            let mut drained = 0u64;
            while let Some(Ok(frame)) = body.frame().await {
                if let Ok(data) = frame.into_data() {
                    drained += data.len() as u64;
                    if drained > DRAIN_MAX_BYTES {
                        break;
                    }
                }
            }
        };
        let _ = tokio::time::timeout(DRAIN_TIMEOUT, drain).await;
    });
    reply
}

/// The prediction itself (CPU-bound; runs on the blocking pool).
fn predict_blocking(model: &Model, body: &[u8], parsed: &PredictRequest) -> Reply {
    let PredictRequest {
        model: id,
        timeline,
        name,
        ..
    } = parsed;
    let mut recognizer = model.checkout();
    // A long upload is its own speaker's adaptation data (as `predict --timeline`).
    let result = recognizer
        .load_bytes(body, name)
        .and_then(|clip| recognizer.analyze(&clip, *timeline, *timeline));
    model.checkin(recognizer);
    match result {
        Ok(ser::Analysis {
            prediction,
            timeline,
            adapted,
        }) => Reply::json(
            200,
            &PredictAnswer {
                file: name,
                model: id,
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
