//! Error chains print each cause once: no error's message contains its source's message, so
//! `{:#}` (anyhow) or a walk over `source()` shows every cause exactly once.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use ser::{Error, Recognizer};

use common::fixture;

/// The messages of `e` and its sources, outermost first.
fn chain(e: &dyn std::error::Error) -> Vec<String> {
    let mut out = vec![e.to_string()];
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push(c.to_string());
        cause = c.source();
    }
    out
}

/// Asserts that no message in `e`'s chain repeats the message of its source.
fn assert_each_cause_once(e: &dyn std::error::Error) -> Vec<String> {
    let msgs = chain(e);
    for pair in msgs.windows(2) {
        assert!(
            !pair[0].contains(&pair[1]),
            "{:?} repeats its source {:?}",
            pair[0],
            pair[1]
        );
    }
    msgs
}

#[test]
fn truncated_weight_file_names_each_cause_once() {
    // The case: a checkpoint directory whose model.safetensors is cut short.
    let tmp = tempfile::tempdir().unwrap();
    let model = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/default");
    std::fs::copy(model.join("model.json"), tmp.path().join("model.json")).unwrap();
    let weights = std::fs::read(model.join("model.safetensors")).unwrap();
    std::fs::write(
        tmp.path().join("model.safetensors"),
        &weights[..weights.len() / 2],
    )
    .unwrap();
    let err = Recognizer::from_dir(tmp.path()).unwrap_err();
    assert!(matches!(err, Error::LoadModel { .. }), "{err:?}");
    let msgs = assert_each_cause_once(&err);
    assert!(msgs.len() >= 2, "{msgs:?}");
    let all = format!("{:#}", anyhow::Error::new(err));
    assert_eq!(all.matches("loading model").count(), 1, "{all}");
    // The checksum in model.json catches the cut before the weights are parsed.
    assert_eq!(
        all.matches("is corrupt or was modified").count(),
        1,
        "{all}"
    );
    assert!(all.contains(&tmp.path().display().to_string()), "{all}");
}

#[test]
fn audio_errors_name_each_cause_once() {
    let mut r = Recognizer::try_default().unwrap();
    for path in [
        fixture("broken/garbage.wav"),
        fixture("broken/truncated.wav"),
        fixture("no/such/file.wav"),
        fixture("broken"),
    ] {
        let err = r.predict_file(&path).unwrap_err();
        let msgs = assert_each_cause_once(&err);
        assert!(msgs.len() >= 2, "{msgs:?}");
        let last = msgs.last().unwrap();
        assert!(!last.is_empty(), "{msgs:?}");
    }
}

#[test]
fn corpus_errors_name_each_cause_once() {
    let err = ser::corpus::scan(fixture("no/such/dir")).unwrap_err();
    let msgs = assert_each_cause_once(&err);
    assert_eq!(msgs.len(), 2, "{msgs:?}");
    assert!(msgs[0].contains("no/such/dir"), "{msgs:?}");
}
