//! Scanning a synthetic tree (empty files: scanning looks at names only).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;

use ser_corpus::{scan, scan_with, CorpusKind, Emotion, LabelSet, ScanOptions};

#[test]
fn scan_sorts_labels_and_rejects() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let files = [
        "Actor_02/03-01-05-01-01-01-02.wav",
        "Actor_01/03-01-03-01-02-02-07.flac",
        "Actor_01/03-01-03-01-02-01-07.flac",
        "Actor_01/01-01-03-01-02-01-07.mp4",
        "Actor_01/03-01-09-01-01-01-01.wav",
        "Actor_01/notes.txt",
        "savee/DC/a01.wav",
        "savee/JE_sa02.wav",
        "savee/c01.wav",
        "savee/su03.WAV",
        "crema/1001_DFA_ANG_XX.wav",
        "tess/OAF_back_ps.wav",
        "emodb/03a01Fa.wav",
        "emodb/03a01La.wav",
        "misc/song.mp3",
        "misc/noext",
    ];
    for f in files {
        let p = root.join(f);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(&p, b"").unwrap();
    }
    let c = scan(root).unwrap();
    let rel = |p: &std::path::Path| p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
    let items: Vec<String> = c.items.iter().map(|i| rel(&i.path)).collect();
    assert_eq!(
        items,
        [
            "Actor_01/01-01-03-01-02-01-07.mp4",
            "Actor_01/03-01-03-01-02-01-07.flac",
            "Actor_01/03-01-03-01-02-02-07.flac",
            "Actor_02/03-01-05-01-01-01-02.wav",
            "crema/1001_DFA_ANG_XX.wav",
            "emodb/03a01Fa.wav",
            "emodb/03a01La.wav",
            "savee/DC/a01.wav",
            "savee/JE_sa02.wav",
            "savee/su03.WAV",
            "tess/OAF_back_ps.wav",
        ]
    );
    let rejected: Vec<(String, &str)> = c
        .rejected
        .iter()
        .map(|r| (rel(&r.path), r.reason.as_str()))
        .collect();
    assert_eq!(rejected.len(), 5, "{rejected:#?}");
    let reason = |f: &str| {
        rejected
            .iter()
            .find(|(p, _)| p == f)
            .map(|(_, r)| *r)
            .unwrap()
    };
    assert!(reason("Actor_01/03-01-09-01-01-01-01.wav").contains("emotion 09 out of 01..08"));
    assert!(reason("Actor_01/notes.txt").contains("not an audio file"));
    assert!(reason("savee/c01.wav").contains("not an emotion clip"));
    assert!(reason("misc/song.mp3").contains("matches no supported corpus"));
    assert!(reason("misc/noext").contains("not an audio file"));

    let kinds: Vec<CorpusKind> = c.items.iter().map(|i| i.corpus).collect();
    assert_eq!(kinds[0], CorpusKind::Ravdess);
    assert_eq!(kinds[4], CorpusKind::CremaD);
    assert_eq!(c.items[6].label, Emotion::Boredom.into()); // EmoDB boredom is kept
    assert_eq!(c.items[7].speaker.as_deref(), Some("savee:DC"));
    assert_eq!(c.items[9].speaker, None);
    assert_eq!(c.items[9].speaker_key(), "savee:unknown");
    assert_eq!(c.items[10].label, Emotion::Surprised.into());
    // AV twin detected
    let twins = c.twins();
    assert_eq!(twins.len(), 1);
    assert_eq!(twins[0].len(), 2);
    assert!(twins[0][0].ends_with("01-01-03-01-02-01-07.mp4"));
    assert_eq!(c.speakers()["ravdess:07"], 3);
    let study = LabelSet::study();
    assert_eq!(c.label_counts(&study)[Emotion::Happy.index()], 4); // 3 RAVDESS + 1 EmoDB
    let present = c.labels().unwrap();
    assert_eq!(
        present.names(),
        ["happy", "sad", "angry", "surprised", "boredom"]
    );
    assert_eq!(
        c.label_counts(&present).iter().sum::<usize>(),
        c.items.len()
    );

    // forcing a scheme: everything else is rejected with that scheme's reason
    let f = scan_with(
        root.join("savee"),
        &ScanOptions {
            force: Some(CorpusKind::Ravdess),
            ..Default::default()
        },
    )
    .unwrap();
    assert!(f.items.is_empty());
    assert_eq!(f.rejected.len(), 4);
    assert!(
        f.rejected.iter().all(|r| r.reason.starts_with("RAVDESS")),
        "{:?}",
        f.rejected
    );

    assert!(scan(root.join("misc/noext")).is_err());
    assert!(scan(root.join("missing")).is_err());
}
