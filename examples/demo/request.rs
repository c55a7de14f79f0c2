//! The demo server's request decisions, as pure functions of the request's bytes: the
//! `/api/predict` query string, the `Content-Length` check against the upload limit, and the
//! running count of a streamed (e.g. chunked) body. No I/O, no allocation proportional to
//! anything the client declares, no panics on any input: the server calls these before it reads
//! a body, the tests call them directly, and a fuzzer can too ([`parse_predict`] takes raw
//! bytes).

/// What `POST /api/predict` asks for, from its query string and headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PredictRequest {
    /// The model id (`model=`), `"default"` when absent.
    pub model: String,
    /// Whether the per-window timeline is wanted (`timeline=1|true|yes`).
    pub timeline: bool,
    /// The upload's file name for messages and the answer (`name=`), `"upload"` when absent.
    pub name: String,
    /// The body length the client declared (`Content-Length`, bytes), if any; at most the
    /// limit when this is returned.
    pub declared_len: Option<u64>,
}

/// A request refused before its body is read: the HTTP status and the message for the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// HTTP status code (400 or 413).
    pub status: u16,
    /// Human-readable reason (shown by the page).
    pub message: String,
}

/// The longest query string considered, in bytes: the rest is ignored (a file name and a model
/// id fit easily; this keeps the work per request small whatever the client sends).
pub const MAX_QUERY_BYTES: usize = 4096;

/// Longest kept file name, in characters (longer names are cut).
pub const MAX_NAME_CHARS: usize = 200;

/// Decides a `POST /api/predict` from its raw query string (after `?`, may be empty) and the
/// raw `Content-Length` header value (`None` when absent, e.g. a chunked body), against the
/// upload limit in bytes.
///
/// # Errors
///
/// A [`Rejection`] with 413 when the declared length is over `limit` (also when it does not fit
/// in a `u64`), or 400 when the header is not a decimal number.
pub fn parse_predict(
    query: &[u8],
    content_length: Option<&[u8]>,
    limit: u64,
) -> Result<PredictRequest, Rejection> {
    let declared_len = match content_length {
        None => None,
        Some(raw) => match check_length(raw, limit) {
            Length::Fits(n) => Some(n),
            Length::TooLarge => return Err(too_large(limit)),
            Length::Invalid => {
                return Err(Rejection {
                    status: 400,
                    message: "The Content-Length header is not a number.".to_string(),
                })
            }
        },
    };
    let (model, timeline, name) = parse_query(query);
    Ok(PredictRequest {
        model,
        timeline,
        name,
        declared_len,
    })
}

/// A `Content-Length` value checked against a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Length {
    /// A decimal length of at most the limit (bytes).
    Fits(u64),
    /// A decimal length over the limit, including one too long for a `u64`.
    TooLarge,
    /// Empty, or not only ASCII digits (surrounding spaces and tabs are allowed).
    Invalid,
}

/// Checks a raw `Content-Length` value against `limit` bytes without trusting its size: the
/// digits are folded with saturation, so `99999999999999999999999` is [`Length::TooLarge`], not
/// an overflow.
pub fn check_length(raw: &[u8], limit: u64) -> Length {
    let digits = raw.trim_ascii();
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Length::Invalid;
    }
    let value = digits.iter().fold(0u64, |acc, d| {
        acc.saturating_mul(10).saturating_add(u64::from(d - b'0'))
    });
    if value > limit {
        Length::TooLarge
    } else {
        Length::Fits(value)
    }
}

/// The 413 answer for an upload over `limit` bytes.
pub fn too_large(limit: u64) -> Rejection {
    Rejection {
        status: 413,
        message: format!(
            "The file is too large: the limit is {:.0} MB.",
            limit as f64 / (1024.0 * 1024.0)
        ),
    }
}

/// Counts the bytes of a body as it arrives, so a body without `Content-Length` (chunked) is
/// refused as soon as it passes the limit instead of after it has been stored whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyBudget {
    limit: u64,
    received: u64,
}

impl BodyBudget {
    /// A budget of `limit` bytes.
    pub fn new(limit: u64) -> Self {
        Self { limit, received: 0 }
    }

    /// Adds a chunk of `len` bytes; `Err` with the 413 answer once the total passes the limit.
    ///
    /// # Errors
    ///
    /// The [`too_large`] rejection when the bytes received so far exceed the limit.
    pub fn take(&mut self, len: usize) -> Result<(), Rejection> {
        self.received = self
            .received
            .saturating_add(u64::try_from(len).unwrap_or(u64::MAX));
        if self.received > self.limit {
            Err(too_large(self.limit))
        } else {
            Ok(())
        }
    }
}

/// The `model`, `timeline` and `name` parameters of a raw query string (`a=1&b=2`, values
/// percent-encoded, `+` for space). Unknown keys and pairs without `=` are ignored; the last
/// occurrence of a key wins; only the first [`MAX_QUERY_BYTES`] bytes are read.
pub fn parse_query(query: &[u8]) -> (String, bool, String) {
    let query = &query[..query.len().min(MAX_QUERY_BYTES)];
    let mut model = "default".to_string();
    let mut timeline = false;
    let mut name = "upload".to_string();
    for pair in query.split(|&b| b == b'&') {
        let Some(eq) = pair.iter().position(|&b| b == b'=') else {
            continue;
        };
        let (key, value) = (&pair[..eq], &pair[eq + 1..]);
        match key {
            b"model" => model = percent_decode(value),
            b"timeline" => {
                timeline = matches!(percent_decode(value).as_str(), "1" | "true" | "yes")
            }
            b"name" => {
                let value = percent_decode(value);
                let value = value.trim();
                if !value.is_empty() {
                    name = value
                        .chars()
                        .filter(|c| !c.is_control())
                        .take(MAX_NAME_CHARS)
                        .collect();
                }
            }
            _ => {}
        }
    }
    (model, timeline, name)
}

/// Decodes `%XX` escapes and `+` (as a space) of a query-string value; a `%` not followed by
/// two hex digits stays as it is, and invalid UTF-8 becomes U+FFFD.
pub fn percent_decode(s: &[u8]) -> String {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while let Some(&b) = s.get(i) {
        match b {
            b'%' => match (s.get(i + 1).and_then(hex), s.get(i + 2).and_then(hex)) {
                (Some(hi), Some(lo)) => {
                    out.push((hi << 4) | lo);
                    i += 3;
                }
                _ => {
                    out.push(b'%');
                    i += 1;
                }
            },
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

/// The value of one ASCII hex digit.
fn hex(d: &u8) -> Option<u8> {
    char::from(*d)
        .to_digit(16)
        .and_then(|v| u8::try_from(v).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MB: u64 = 1024 * 1024;

    #[test]
    fn huge_or_overflowing_content_length_is_413_before_any_body() {
        for raw in [
            &b"99999999999"[..],
            b"18446744073709551615",
            b"99999999999999999999999999999",
            b" 20971521 ",
        ] {
            let e = parse_predict(b"", Some(raw), 20 * MB).unwrap_err();
            assert_eq!(e.status, 413, "{}", String::from_utf8_lossy(raw));
            assert!(e.message.contains("20 MB"), "{}", e.message);
        }
    }

    #[test]
    fn content_length_at_the_limit_fits() {
        let r = parse_predict(b"", Some(b"20971520"), 20 * MB).unwrap();
        assert_eq!(r.declared_len, Some(20 * MB));
        assert_eq!(check_length(b"0", 0), Length::Fits(0));
        assert_eq!(check_length(b"1", 0), Length::TooLarge);
    }

    #[test]
    fn malformed_content_length_is_400() {
        for raw in [
            &b""[..],
            b" ",
            b"-1",
            b"12a",
            b"1 2",
            b"+5",
            b"0x10",
            "١٢".as_bytes(),
        ] {
            let e = parse_predict(b"", Some(raw), MB).unwrap_err();
            assert_eq!(e.status, 400, "{:?}", raw);
        }
    }

    #[test]
    fn query_parameters_are_decoded_with_defaults() {
        let r = parse_predict(b"", None, MB).unwrap();
        assert_eq!(
            (
                r.model.as_str(),
                r.timeline,
                r.name.as_str(),
                r.declared_len
            ),
            ("default", false, "upload", None)
        );
        let r = parse_predict(
            b"model=seed-b&timeline=1&name=my%20clip+%C3%A9.wav&x=y&novalue",
            Some(b"10"),
            MB,
        )
        .unwrap();
        assert_eq!(r.model, "seed-b");
        assert!(r.timeline);
        assert_eq!(r.name, "my clip é.wav");
        assert_eq!(r.declared_len, Some(10));
        let (_, timeline, name) = parse_query(b"timeline=0&name=%20%20");
        assert!(!timeline);
        assert_eq!(name, "upload", "a blank name keeps the default");
    }

    #[test]
    fn percent_decoding_never_panics_on_bad_escapes() {
        assert_eq!(percent_decode(b"100%"), "100%");
        assert_eq!(percent_decode(b"%4"), "%4");
        assert_eq!(percent_decode(b"%zz%41"), "%zzA");
        assert_eq!(percent_decode(b"%ff"), "\u{fffd}");
        assert_eq!(percent_decode("é%E2%82%AC".as_bytes()), "é€");
    }

    #[test]
    fn names_are_cut_and_control_characters_dropped() {
        let long = format!("name={}", "a".repeat(1000));
        let (_, _, name) = parse_query(long.as_bytes());
        assert_eq!(name.chars().count(), MAX_NAME_CHARS);
        let (_, _, name) = parse_query(b"name=a%0Ab%00c");
        assert_eq!(name, "abc");
    }

    #[test]
    fn only_the_first_query_bytes_are_read() {
        let mut q = vec![b'x'; MAX_QUERY_BYTES];
        q.extend_from_slice(b"&model=seed-a");
        assert_eq!(parse_query(&q).0, "default");
    }

    #[test]
    fn body_budget_refuses_past_the_limit() {
        let mut budget = BodyBudget::new(10);
        assert!(budget.take(4).is_ok());
        assert!(budget.take(6).is_ok(), "exactly the limit fits");
        assert_eq!(budget.take(1).unwrap_err().status, 413);
        let mut budget = BodyBudget::new(u64::MAX);
        assert!(budget.take(usize::MAX).is_ok());
        assert!(
            budget.take(usize::MAX).is_ok(),
            "saturates at u64::MAX, never overflows"
        );
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        // A cheap stand-in for fuzzing: every short byte string as query and length.
        let alphabet = [b'%', b'=', b'&', b'+', b'1', b'a', b'F', 0xff, b' ', b'9'];
        let mut input = Vec::new();
        for a in alphabet {
            for b in alphabet {
                for c in alphabet {
                    for d in alphabet {
                        input.clear();
                        input.extend_from_slice(&[a, b, c, d]);
                        let _ = parse_predict(&input, Some(&input), 1000);
                        let _ = parse_predict(&input, None, 0);
                    }
                }
            }
        }
    }
}
