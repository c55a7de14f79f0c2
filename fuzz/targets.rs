//! The fuzz targets' bodies, shared by the AFL++ binaries (`fuzz/src/bin/*.rs`) and the
//! regression test `tests/fuzz_regressions.rs`, which replays the seeds and every saved finding
//! through them. A body must return normally for every input: an error result is fine; a panic,
//! an abort (e.g. a failed huge allocation) or a hang is a finding. Where the API promises an
//! invariant on success (finite samples, a probability vector), the body asserts it.
#![allow(dead_code, clippy::panic)]

use std::path::Path;

use sha2::{Digest, Sha256};

/// File names given to the audio loader as format hints, picked by the low 4 bits of the
/// first input byte (the loader decides by content; the hint only orders the probes).
const AUDIO_NAMES: [&str; 12] = [
    "clip.wav",
    "clip.flac",
    "clip.mp3",
    "clip.ogg",
    "clip.m4a",
    "clip.aiff",
    "clip.caf",
    "clip.mkv",
    "clip.webm",
    "clip.opus",
    "clip.aac",
    "clip",
];

/// Audio decoding from bytes (every container and codec `ser-audio` accepts, by content): the
/// first byte picks the name hint and, with its top bit, resampling to 16 kHz; the rest is the
/// file. On success the clip must be non-empty, finite and at a positive rate.
pub fn audio(data: &[u8]) {
    let Some((&first, file)) = data.split_first() else {
        return;
    };
    let name = AUDIO_NAMES[usize::from(first & 0x0F) % AUDIO_NAMES.len()];
    let opts = if first & 0x80 != 0 {
        ser_audio::LoadOptions::with_rate(16_000)
    } else {
        ser_audio::LoadOptions::native_rate()
    };
    let whole = ser_audio::load_bytes(file, name, &opts);
    if let Ok(a) = &whole {
        assert!(!a.samples.is_empty(), "{name}: Ok with no samples");
        assert!(a.sample_rate > 0 && a.source_rate > 0, "{name}: rate 0");
        assert!(
            a.samples.iter().all(|v| v.is_finite()),
            "{name}: non-finite sample"
        );
    }
    // The streaming decoder must give exactly the same samples block by block, and fail
    // where the whole-file loader fails.
    let streamed = (|| {
        let mut s =
            ser_audio::AudioStream::from_reader(std::io::Cursor::new(file.to_vec()), name, &opts)?;
        let (mut all, mut block) = (Vec::new(), Vec::new());
        while s.read(&mut block)? {
            all.extend_from_slice(&block);
        }
        Ok::<_, ser_audio::AudioError>(all)
    })();
    match (&whole, &streamed) {
        (Ok(a), Ok(b)) => assert!(
            a.samples.len() == b.len()
                && a.samples
                    .iter()
                    .zip(b)
                    .all(|(x, y)| x.to_bits() == y.to_bits()),
            "{name}: streamed samples differ from load_bytes ({} vs {})",
            a.samples.len(),
            b.len()
        ),
        (Err(_), Err(_)) => {}
        (a, b) => panic!(
            "{name}: load_bytes {} but the stream {}",
            if a.is_ok() { "succeeds" } else { "fails" },
            if b.is_ok() { "succeeds" } else { "fails" }
        ),
    }
}

/// Corpus file-name parsing: the input (lossily UTF-8) as a path, with every corpus's naming
/// scheme forced in turn and with detection.
pub fn corpus_name(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let path = Path::new(text.as_ref());
    let _ = ser_corpus::corpora::detect(&text);
    if let Ok(p) = ser_corpus::corpora::parse_path(path, None) {
        let _ = (p.label(), p.speaker(), p.gender(), p.performance_id());
    }
    for kind in ser_corpus::CorpusKind::ALL {
        if let Ok(p) = ser_corpus::corpora::parse_path(path, Some(kind)) {
            let _ = (p.label(), p.emotion(), p.speaker(), p.performance_id());
        }
    }
}

/// Checkpoint loading: the first 4 bytes (little-endian) give the length of `model.json`, the
/// rest after it is `model.safetensors`. A checkpoint that loads must predict a probability
/// vector of its label count for a feature vector of its input length.
pub fn checkpoint(data: &[u8]) {
    let Some((len, rest)) = data.split_first_chunk::<4>() else {
        return;
    };
    let n = (u32::from_le_bytes(*len) as usize).min(rest.len());
    let (json, weights) = rest.split_at(n);
    let Ok(model) = ser_models::Classifier::from_bytes(json, weights) else {
        return;
    };
    let x = vec![0.25f32; model.input_len()];
    if let Ok(p) = model.predict(&x) {
        assert_eq!(p.len(), model.labels().len(), "probabilities per label");
    }
}

/// Configuration JSON and width the feature-cache seeds are written with.
pub const CACHE_CONFIG: &str = r#"{"fuzz":1}"#;
/// See [`CACHE_CONFIG`].
pub const CACHE_DIM: usize = 4;

/// The feature-cache reader: once on the input as it is (the checksum rejects nearly all
/// mutations) and once with its correct SHA-256 appended, so the fuzzer explores the parser
/// behind the checksum (header lengths, entry counts).
pub fn feature_cache(data: &[u8]) {
    let path = Path::new("fuzz.cache");
    let _ = ser_corpus::features::decode_cache(data, path, CACHE_CONFIG, CACHE_DIM);
    let mut sealed = data.to_vec();
    sealed.extend_from_slice(&Sha256::digest(data));
    if let Ok(map) = ser_corpus::features::decode_cache(&sealed, path, CACHE_CONFIG, CACHE_DIM) {
        assert!(map.values().all(|v| v.len() == CACHE_DIM), "entry width");
    }
}

#[path = "../examples/demo/request.rs"]
mod request;

/// The demo server's request decisions (`examples/demo/request.rs`): the input up to the first
/// NUL byte is the `/api/predict` query string, the rest (when there is a NUL) the raw
/// `Content-Length` value; then the input's bytes, two at a time, as chunk sizes counted
/// against the upload limit. An accepted request never declares more than the limit and keeps
/// a bounded name; a refusal is 400 or 413; the body budget refuses exactly past the limit.
pub fn demo_request(data: &[u8]) {
    const LIMIT: u64 = 20 << 20;
    let mut parts = data.splitn(2, |&b| b == 0);
    let query = parts.next().unwrap_or_default();
    let content_length = parts.next();
    match request::parse_predict(query, content_length, LIMIT) {
        Ok(r) => {
            assert!(r.declared_len.is_none_or(|n| n <= LIMIT), "{r:?}");
            assert!(
                r.name.chars().count() <= request::MAX_NAME_CHARS,
                "name of {} chars",
                r.name.chars().count()
            );
        }
        Err(rejection) => assert!(
            rejection.status == 400 || rejection.status == 413,
            "{rejection:?}"
        ),
    }
    let mut budget = request::BodyBudget::new(1 << 16);
    let mut total = 0u64;
    for pair in data.chunks(2) {
        let len = usize::from(pair[0]) << 8 | usize::from(pair.get(1).copied().unwrap_or(0));
        total += len as u64;
        let refused = budget.take(len).is_err();
        assert_eq!(refused, total > 1 << 16, "after {total} bytes");
        if refused {
            break;
        }
    }
}
