//! `ser_audio::discover`: every listed extension decodes (committed fixtures, tests/data), an
//! extension that lies still decodes, and the walker's rules (sorting, hidden entries,
//! directories with audio names, links).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};

use ser_audio::discover::{
    audio_files, is_audio_path, walk, SkipReason, WalkOptions, AUDIO_EXTENSIONS,
};
use ser_audio::{load, load_bytes, AudioError, LoadOptions};

use common::fixture;

/// For each listed extension, a fixture in that container (loaded under that extension).
const PROOF: &[(&str, &str)] = &[
    ("wav", "ravdess/03-01-01-01-01-01-01.wav"),
    ("wave", "ravdess/03-01-01-01-01-01-01.wav"),
    ("aif", "formats/sine_440hz_aiff.wav"),
    ("aiff", "formats/sine_440hz_aiff.wav"),
    ("caf", "formats/sine_440hz.caf"),
    ("flac", "formats/03-01-01-01-01-01-01.flac"),
    ("mp3", "formats/03-01-01-01-01-01-01.mp3"),
    ("ogg", "formats/03-01-01-01-01-01-01.ogg"),
    ("oga", "formats/03-01-01-01-01-01-01.ogg"),
    ("m4a", "formats/03-01-01-01-01-01-01.m4a"),
    ("mp4", "formats/03-01-01-01-01-01-01.m4a"),
    ("aac", "formats/sine_440hz.aac"),
    ("mka", "formats/sine_440hz.mka"),
    ("mkv", "formats/sine_440hz.mka"),
    ("webm", "formats/sine_440hz.webm"),
];

#[test]
fn every_listed_extension_decodes() {
    let listed: Vec<&str> = PROOF.iter().map(|(e, _)| *e).collect();
    assert_eq!(listed, AUDIO_EXTENSIONS, "one proof per listed extension");
    for (ext, rel) in PROOF {
        let bytes = std::fs::read(fixture(rel)).unwrap();
        let a = load_bytes(&bytes, &format!("clip.{ext}"), &LoadOptions::native_rate())
            .unwrap_or_else(|e| panic!("{ext}: {e}"));
        assert_eq!(a.source_rate, 48000, "{ext}");
        assert!(a.duration_secs() > 0.2, "{ext}: {} s", a.duration_secs());
    }
}

#[test]
fn the_generated_sines_decode_to_a_440_hz_sine() {
    for rel in [
        "formats/sine_440hz_aiff.wav",
        "formats/sine_440hz.caf",
        "formats/sine_440hz.mka",
        "formats/sine_440hz.webm",
        "formats/sine_440hz.aac",
    ] {
        let a = load(fixture(rel), &LoadOptions::native_rate()).unwrap();
        // ffmpeg's sine source: amplitude 1/8; lossy codecs stay within a few per cent.
        let peak = a.samples.iter().fold(0f32, |m, v| m.max(v.abs()));
        assert!((0.11..0.14).contains(&peak), "{rel}: peak {peak}");
        // 440 Hz: about 2 * 440 zero crossings per second in the steady part.
        let mid = &a.samples[a.samples.len() / 4..a.samples.len() * 3 / 4];
        let crossings = mid
            .windows(2)
            .filter(|w| (w[0] < 0.0) != (w[1] < 0.0))
            .count();
        let per_s = crossings as f64 / (mid.len() as f64 / 48000.0);
        assert!((per_s - 880.0).abs() < 20.0, "{rel}: {per_s} crossings/s");
    }
}

#[test]
fn an_aiff_file_named_wav_decodes_by_content() {
    let path = fixture("formats/sine_440hz_aiff.wav");
    assert_eq!(&std::fs::read(&path).unwrap()[..12], b"FORM\0\0]\xeeAIFF");
    let a = load(&path, &LoadOptions::native_rate()).unwrap();
    assert_eq!(
        (a.source_rate, a.source_channels, a.samples.len()),
        (48000, 1, 12000)
    );
    // The same bytes under an honest name give the same samples.
    let bytes = std::fs::read(&path).unwrap();
    let b = load_bytes(&bytes, "sine.aiff", &LoadOptions::native_rate()).unwrap();
    assert_eq!(a, b);
    // And WAV bytes under an AIFF or MP3 name too.
    let wav = std::fs::read(fixture("ravdess/03-01-01-01-01-01-01.wav")).unwrap();
    let w = load(
        fixture("ravdess/03-01-01-01-01-01-01.wav"),
        &LoadOptions::native_rate(),
    )
    .unwrap();
    for name in ["liar.aiff", "liar.mp3", "no_extension"] {
        assert_eq!(
            load_bytes(&wav, name, &LoadOptions::native_rate()).unwrap(),
            w,
            "{name}"
        );
    }
}

#[test]
fn opus_is_not_listed_and_is_a_typed_error() {
    assert!(!is_audio_path("sine_440hz.opus"));
    let e = load(
        fixture("formats/sine_440hz.opus"),
        &LoadOptions::native_rate(),
    )
    .unwrap_err();
    assert!(
        matches!(&e, AudioError::UnsupportedCodec { codec, path } if codec == "opus" && path.ends_with("sine_440hz.opus")),
        "{e:?}"
    );
}

#[test]
fn extension_check_is_case_insensitive_and_by_name_only() {
    for yes in ["a.wav", "A.WAV", "dir/b.Flac", "c.webm", "d.MKV"] {
        assert!(is_audio_path(yes), "{yes}");
    }
    for no in ["a.txt", "wav", "a.wav.bak", "a", ".wav", "a.opus"] {
        assert!(!is_audio_path(no), "{no}");
    }
}

fn touch(p: &Path) {
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, b"x").unwrap();
}

fn rel(root: &Path, v: &[PathBuf]) -> Vec<String> {
    v.iter()
        .map(|p| p.strip_prefix(root).unwrap().display().to_string())
        .collect()
}

#[test]
fn walk_is_recursive_sorted_and_reports_what_it_skips() {
    let tmp = tempfile::tempdir().unwrap();
    let r = tmp.path();
    for f in [
        "b/2.flac",
        "b/1.WAV",
        "a.mp3",
        "notes.txt",
        "c/d/e/deep.ogg",
        ".hidden.wav",
        "._resource.wav",
        ".git/x.wav",
        "x.wav/inside.m4a",
        "song.opus",
    ] {
        touch(&r.join(f));
    }
    let w = walk(r, &WalkOptions::default()).unwrap();
    assert_eq!(
        rel(r, &w.audio),
        [
            "a.mp3",
            "b/1.WAV",
            "b/2.flac",
            "c/d/e/deep.ogg",
            "x.wav/inside.m4a"
        ]
    );
    let skipped: Vec<(String, SkipReason)> = w
        .skipped
        .iter()
        .map(|s| {
            (
                rel(r, std::slice::from_ref(&s.path))[0].clone(),
                s.reason.clone(),
            )
        })
        .collect();
    let not_audio = |e: &str| SkipReason::NotAudio {
        extension: e.to_string(),
    };
    assert_eq!(
        skipped,
        [
            ("._resource.wav".to_string(), SkipReason::Hidden),
            (".git".to_string(), SkipReason::Hidden),
            (".hidden.wav".to_string(), SkipReason::Hidden),
            ("notes.txt".to_string(), not_audio("txt")),
            ("song.opus".to_string(), not_audio("opus")),
        ]
    );
    assert_eq!(audio_files(r).unwrap(), w.audio);
    // A root that is a file is a walk of that one file.
    let one = walk(r.join("a.mp3"), &WalkOptions::default()).unwrap();
    assert_eq!(one.audio, [r.join("a.mp3")]);
    // A missing root names itself.
    let e = audio_files(r.join("missing")).unwrap_err();
    assert!(matches!(e, AudioError::NotFound { .. }), "{e:?}");
    assert!(e.to_string().contains("missing"), "{e}");
}

#[cfg(unix)]
#[test]
fn links_to_directories_are_followed_only_when_asked() {
    let tmp = tempfile::tempdir().unwrap();
    let r = tmp.path();
    touch(&r.join("real/a.wav"));
    std::os::unix::fs::symlink(r.join("real"), r.join("link")).unwrap();
    std::os::unix::fs::symlink(r.join("real/a.wav"), r.join("file_link.wav")).unwrap();
    std::os::unix::fs::symlink(r.join("nowhere"), r.join("dangling.wav")).unwrap();
    let w = walk(r, &WalkOptions::default()).unwrap();
    assert_eq!(rel(r, &w.audio), ["file_link.wav", "real/a.wav"]);
    let reasons: Vec<String> = w.skipped.iter().map(|s| s.reason.to_string()).collect();
    assert_eq!(w.skipped.len(), 2, "{reasons:?}");
    assert!(reasons[0].starts_with("unreadable: "), "{reasons:?}");
    assert_eq!(reasons[1], "symbolic link to a directory not followed");
    let opts = WalkOptions {
        follow_dir_links: true,
    };
    let w = walk(r, &opts).unwrap();
    assert_eq!(
        rel(r, &w.audio),
        ["file_link.wav", "link/a.wav", "real/a.wav"]
    );
}
