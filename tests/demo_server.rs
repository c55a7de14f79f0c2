#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The demo server (examples/demo/server.rs) on a free port, driven over raw TCP: the limits that
//! keep it answering (413 before reading an oversized body, chunked bodies counted, stalled
//! uploads timed out and bounded, headers timed out) and the API's answers for a real clip.
//!
//! Also runs the unit tests of examples/demo/request.rs (included here as a module).
//! Timing bounds are generous (seconds where milliseconds are expected): no test measures speed.

#[allow(dead_code)] // the tests use only part of the request module
#[path = "../examples/demo/request.rs"]
mod request;
#[path = "../examples/demo/server.rs"]
mod server;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use ser::{ModelChoice, Recognizer};
use server::{App, Limits, Model};

/// How long a client waits for any answer: far above what any answer takes.
const PATIENCE: Duration = Duration::from_secs(30);
const LIMIT: u64 = 1024 * 1024;

fn start(max_in_flight: usize, body_timeout_s: u64) -> SocketAddr {
    let recognizer = Recognizer::from_choice(&ModelChoice::Default).unwrap();
    let limits = Limits {
        max_upload: LIMIT,
        max_in_flight,
        threads: 2,
        header_timeout: Duration::from_secs(1),
        body_timeout: Duration::from_secs(body_timeout_s),
        max_connections: 64,
    };
    let app = App::new(vec![Model::new(&ModelChoice::Default, recognizer)], limits);
    server::spawn(([127, 0, 0, 1], 0).into(), app).unwrap()
}

fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream
}

/// Reads one response: (status, body). Panics when none comes within [`PATIENCE`].
fn read_response(stream: &mut TcpStream) -> (u16, String) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let status: u16 = head[9..12].parse().unwrap();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse().unwrap());
            if buf.len() >= end + 4 + length {
                let body = String::from_utf8_lossy(&buf[end + 4..end + 4 + length]).into_owned();
                return (status, body);
            }
        }
        let n = stream.read(&mut chunk).expect("an answer in time");
        assert!(
            n > 0,
            "connection closed after {:?}",
            String::from_utf8_lossy(&buf)
        );
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn request(addr: SocketAddr, head: &str, body: &[u8]) -> (u16, String) {
    let mut stream = connect(addr);
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    read_response(&mut stream)
}

fn post(addr: SocketAddr, query: &str, body: &[u8]) -> (u16, String) {
    let head = format!(
        "POST /api/predict{query} HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    request(addr, &head, body)
}

fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    request(
        addr,
        &format!("GET {path} HTTP/1.1\r\nHost: t\r\n\r\n"),
        b"",
    )
}

fn clip() -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/ravdess/03-01-08-01-01-01-01.wav");
    std::fs::read(path).unwrap()
}

#[test]
fn a_huge_content_length_is_refused_at_once_and_the_server_lives_on() {
    let addr = start(4, 1);
    let mut stream = connect(addr);
    stream
        .write_all(
            b"POST /api/predict HTTP/1.1\r\nHost: t\r\nContent-Length: 99999999999\r\n\r\nRIFF",
        )
        .unwrap();
    let (status, body) = read_response(&mut stream);
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("too large"), "{body}");
    // Some of the body arrives after the answer, then the client gives up: no abort.
    let _ = stream.write_all(&[0u8; 65536]);
    drop(stream);
    let (status, body) = get(addr, "/api/models");
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains(&format!("\"max_upload_bytes\":{LIMIT}")),
        "{body}"
    );
}

#[test]
fn a_chunked_body_over_the_limit_is_413() {
    let addr = start(4, 1);
    let mut stream = connect(addr);
    stream
        .write_all(b"POST /api/predict HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n")
        .unwrap();
    let chunk = vec![7u8; 64 * 1024];
    let mut sent = 0u64;
    while sent <= LIMIT + 64 * 1024 {
        stream
            .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
            .unwrap();
        stream.write_all(&chunk).unwrap();
        stream.write_all(b"\r\n").unwrap();
        sent += chunk.len() as u64;
    }
    stream.write_all(b"0\r\n\r\n").unwrap();
    let (status, body) = read_response(&mut stream);
    assert_eq!(status, 413, "{body}");
}

#[test]
fn stalled_uploads_are_bounded_timed_out_and_never_block_others() {
    let addr = start(2, 3);
    // Eight clients send headers and 4 bytes of a declared 1 MB body, then wait.
    let mut stalled: Vec<TcpStream> = (0..8)
        .map(|_| {
            let mut s = connect(addr);
            s.write_all(
                b"POST /api/predict HTTP/1.1\r\nHost: t\r\nContent-Length: 1000000\r\n\r\nRIFF",
            )
            .unwrap();
            s
        })
        .collect();
    // Other clients are answered meanwhile: the page's GETs at once, uploads past the two in
    // flight with 503 (until the stalled ones time out).
    let (status, _) = get(addr, "/api/models");
    assert_eq!(status, 200);
    let (status, _) = get(addr, "/");
    assert_eq!(status, 200);
    let started = Instant::now();
    let mut statuses = Vec::new();
    for s in &mut stalled {
        statuses.push(read_response(s).0);
    }
    // Two held the in-flight slots and timed out (408); the others were refused (503) (one
    // more may take a slot freed by a timeout if the machine is very busy).
    let timed_out = statuses.iter().filter(|&&s| s == 408).count();
    let refused = statuses.iter().filter(|&&s| s == 503).count();
    assert_eq!(timed_out + refused, statuses.len(), "{statuses:?}");
    assert!(timed_out >= 2 && refused >= 1, "{statuses:?}");
    assert!(started.elapsed() < PATIENCE);
    // Once they are gone, a real upload is predicted.
    let (status, body) = post(addr, "?name=clip.wav", &clip());
    assert_eq!(status, 200, "{body}");
}

#[test]
fn headers_that_never_end_are_timed_out() {
    let addr = start(4, 1);
    let mut stream = connect(addr);
    stream
        .write_all(b"GET /api/models HTTP/1.1\r\nHost: t\r\n")
        .unwrap();
    let mut rest = Vec::new();
    // The server closes the connection (with or without a 408): end of stream or a reset, not
    // our read timeout.
    match stream.read_to_end(&mut rest) {
        Ok(_) => {}
        Err(e) => assert!(
            !matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ),
            "still open after {PATIENCE:?}: {e}"
        ),
    }
}

#[test]
fn the_api_predicts_a_clip_and_answers_errors_as_json() {
    let addr = start(4, 1);
    let (status, body) = post(addr, "?model=default&name=my%20clip.wav", &clip());
    assert_eq!(status, 200, "{body}");
    let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["file"], "my clip.wav");
    assert_eq!(answer["model"], "default");
    assert!(answer["emotion"].is_string(), "{body}");
    assert!(answer.get("timeline").is_none());

    let (status, body) = post(addr, "?timeline=1", &clip());
    assert_eq!(status, 200, "{body}");
    let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(answer["timeline"]["windows"].is_array(), "{body}");

    let (status, body) = post(addr, "?model=nope", &clip());
    assert_eq!(status, 404);
    assert!(body.contains("unknown model"), "{body}");
    let (status, body) = post(addr, "", b"");
    assert_eq!(status, 400);
    assert!(body.contains("empty"), "{body}");
    let (status, body) = post(addr, "?name=notes.txt", b"these are not audio bytes at all");
    assert_eq!(status, 415, "{body}");
    let (status, body) = get(addr, "/api/predict");
    assert_eq!(status, 405, "{body}");
    let (status, body) = get(addr, "/nope");
    assert_eq!(status, 404, "{body}");
    assert!(body.starts_with("{\"error\":"), "{body}");
    for path in ["/", "/app.js", "/style.css"] {
        assert_eq!(get(addr, path).0, 200, "{path}");
    }
}
