//! The corpus registry: per-corpus tables (names only, no audio), class lists, and users' own
//! corpora (manifest, folder per label).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::path::Path;

use ser_corpus::corpora::{
    detect, parse_path, read_manifest, AsedName, NemoName, VocalChannel, REGISTRY,
};
use ser_corpus::{
    open, scan_with, CorpusError, CorpusKind, Emotion, Gender, Label, LabelSet, ScanOptions,
};

use Emotion::*;

#[test]
fn registry_one_entry_per_kind() {
    assert_eq!(REGISTRY.len(), CorpusKind::ALL.len());
    for (f, k) in REGISTRY.iter().zip(CorpusKind::ALL) {
        assert_eq!(f.kind(), k);
        assert_eq!(k.format().kind(), k);
        assert_eq!(k.to_string(), f.title());
        assert_eq!(k.id().parse::<CorpusKind>().unwrap(), k);
        assert_eq!(k.id().to_uppercase().parse::<CorpusKind>().unwrap(), k);
        for a in f.aliases() {
            assert_eq!(a.parse::<CorpusKind>().unwrap(), k, "{a}");
        }
        assert_eq!(
            serde_json::to_string(&k).unwrap(),
            format!("\"{}\"", k.id())
        );
    }
    let e = "wav2vec".parse::<CorpusKind>().unwrap_err().to_string();
    assert_eq!(
        e,
        "unknown corpus \"wav2vec\": expected one of ravdess, savee, crema-d, tess, emodb, ased, \
         nemo, manifest, folders"
    );
}

/// Each corpus's classes, in its own order, and the known emotions it lacks.
#[test]
fn classes_per_corpus() {
    let table: [(CorpusKind, &[Emotion], &[Emotion]); 9] = [
        (CorpusKind::Ravdess, &Emotion::STUDY, &[Boredom]),
        (
            CorpusKind::Savee,
            &[Angry, Disgust, Fearful, Happy, Neutral, Sad, Surprised],
            &[Calm, Boredom],
        ),
        (
            CorpusKind::CremaD,
            &[Angry, Disgust, Fearful, Happy, Neutral, Sad],
            &[Calm, Surprised, Boredom],
        ),
        (
            CorpusKind::Tess,
            &[Angry, Disgust, Fearful, Happy, Neutral, Surprised, Sad],
            &[Calm, Boredom],
        ),
        (
            CorpusKind::EmoDb,
            &[Angry, Boredom, Disgust, Fearful, Happy, Sad, Neutral],
            &[Calm, Surprised],
        ),
        (
            CorpusKind::Ased,
            &[Neutral, Fearful, Happy, Sad, Angry],
            &[Calm, Disgust, Surprised, Boredom],
        ),
        (
            CorpusKind::Nemo,
            &[Angry, Fearful, Happy, Neutral, Sad, Surprised],
            &[Calm, Disgust, Boredom],
        ),
        (CorpusKind::Manifest, &[], &[]),
        (CorpusKind::Folders, &[], &[]),
    ];
    for (kind, has, lacks) in table {
        let f = kind.format();
        assert_eq!(f.emotions(), has, "{kind}");
        assert_eq!(f.lacks(), lacks, "{kind}");
        match f.labels() {
            Some(set) => assert_eq!(set, LabelSet::from_emotions(has).unwrap()),
            None => assert!(has.is_empty(), "{kind}"),
        }
    }
    // RAVDESS song has six classes: no disgust, no surprise.
    assert_eq!(
        VocalChannel::Song.emotions(),
        [Neutral, Calm, Happy, Sad, Angry, Fearful]
    );
    assert_eq!(VocalChannel::Speech.emotions(), Emotion::STUDY);
}

/// One row: a path, the corpus detected, its label, speaker id and gender.
type Row = (
    &'static str,
    CorpusKind,
    Emotion,
    Option<&'static str>,
    Option<Gender>,
);

#[test]
fn parse_table_all_corpora() {
    let table: &[Row] = &[
        (
            "03-01-05-02-01-01-12.wav",
            CorpusKind::Ravdess,
            Angry,
            Some("ravdess:12"),
            Some(Gender::Female),
        ),
        (
            "03-02-06-01-01-01-13.flac",
            CorpusKind::Ravdess,
            Fearful,
            Some("ravdess:13"),
            Some(Gender::Male),
        ),
        (
            "DC_a01.wav",
            CorpusKind::Savee,
            Angry,
            Some("savee:DC"),
            Some(Gender::Male),
        ),
        (
            "KL/su15.wav",
            CorpusKind::Savee,
            Surprised,
            Some("savee:KL"),
            Some(Gender::Male),
        ),
        (
            "n30.wav",
            CorpusKind::Savee,
            Neutral,
            None,
            Some(Gender::Male),
        ),
        (
            "1091_TIE_DIS_HI.wav",
            CorpusKind::CremaD,
            Disgust,
            Some("crema-d:1091"),
            None,
        ),
        (
            "YAF_germ_ps.wav",
            CorpusKind::Tess,
            Surprised,
            Some("tess:YAF"),
            Some(Gender::Female),
        ),
        (
            "03a01La.wav",
            CorpusKind::EmoDb,
            Boredom,
            Some("emodb:03"),
            Some(Gender::Male),
        ),
        (
            "16b10Wb.wav",
            CorpusKind::EmoDb,
            Angry,
            Some("emodb:16"),
            Some(Gender::Female),
        ),
        (
            "a5-03-01-02-50.wav",
            CorpusKind::Ased,
            Angry,
            Some("ased:50"),
            Some(Gender::Male),
        ),
        (
            "01Neutral/n1-01-01-01-01.wav",
            CorpusKind::Ased,
            Neutral,
            Some("ased:01"),
            Some(Gender::Female),
        ),
        // the published corpus's one upper-case code
        (
            "04Sad/S4-04-02-01-29.wav",
            CorpusKind::Ased,
            Sad,
            Some("ased:29"),
            Some(Gender::Female),
        ),
        (
            "EB0_anger_1.wav",
            CorpusKind::Nemo,
            Angry,
            Some("nemo:EB0"),
            Some(Gender::Female),
        ),
        (
            "WR0_surprised_64.wav",
            CorpusKind::Nemo,
            Surprised,
            Some("nemo:WR0"),
            Some(Gender::Male),
        ),
        (
            "KS0_happiness_90.wav",
            CorpusKind::Nemo,
            Happy,
            Some("nemo:KS0"),
            Some(Gender::Male),
        ),
    ];
    for &(path, kind, emotion, speaker, gender) in table {
        let name = Path::new(path).file_name().unwrap().to_str().unwrap();
        assert_eq!(detect(name), Some(kind), "{path}");
        let p = parse_path(Path::new(path), None).unwrap();
        assert_eq!(p.kind(), kind, "{path}");
        assert_eq!(p.label(), Label::Emotion(emotion), "{path}");
        assert_eq!(p.emotion(), Some(emotion), "{path}");
        assert_eq!(p.speaker().as_deref(), speaker, "{path}");
        assert_eq!(p.gender(), gender, "{path}");
        assert!(kind.format().emotions().contains(&emotion), "{path}");
        // forcing the detected scheme gives the same parse
        assert_eq!(parse_path(Path::new(path), Some(kind)).unwrap(), p);
        // JSON round trip with the corpus tag
        let j = serde_json::to_value(&p).unwrap();
        assert_eq!(j["corpus"], kind.id(), "{j}");
        assert_eq!(
            serde_json::from_value::<ser_corpus::ParsedName>(j).unwrap(),
            p
        );
    }
    let a = AsedName::parse("S4-04-02-01-29.wav").unwrap();
    assert_eq!(a.stem(), "s4-04-02-01-29");
    assert_eq!((a.sentence, a.repetition, a.speaker), (4, 2, 29));
    let n = NemoName::parse("MP0_fear_17.wav").unwrap();
    assert_eq!((n.speaker.as_str(), n.number), ("MP0", 17));
}

#[test]
fn rejects_name_the_field() {
    let table: &[(&str, CorpusKind, &str)] = &[
        ("03-02-07-01-01-01-01.wav", CorpusKind::Ravdess, "RAVDESS name \"03-02-07-01-01-01-01.wav\": emotion 07 out of 01..06 (song has no disgust or surprise)"),
        ("03-02-08-01-01-01-01.wav", CorpusKind::Ravdess, "RAVDESS name \"03-02-08-01-01-01-01.wav\": emotion 08 out of 01..06 (song has no disgust or surprise)"),
        ("1001_DFA_SUR_XX.wav", CorpusKind::CremaD, "CREMA-D name \"1001_DFA_SUR_XX.wav\": emotion SUR out of ANG DIS FEA HAP NEU SAD"),
        ("1001_DFA_ang_XX.wav", CorpusKind::CremaD, "CREMA-D name \"1001_DFA_ang_XX.wav\": emotion ang out of ANG DIS FEA HAP NEU SAD"),
        ("1001_XYZ_ANG_XX.wav", CorpusKind::CremaD, "CREMA-D name \"1001_XYZ_ANG_XX.wav\": sentence XYZ out of IEO TIE IOM IWW TAI MTI IWL ITH DFA ITS TSI WSI"),
        ("1001_DFA_ANG.wav", CorpusKind::CremaD, "CREMA-D name \"1001_DFA_ANG.wav\": expected 4 fields ACTOR_SEN_EMO_LVL, got 3 field(s)"),
        ("OAF_back_calm.wav", CorpusKind::Tess, "TESS name \"OAF_back_calm.wav\": emotion calm out of angry disgust fear happy neutral ps sad"),
        ("03a01Ca.wav", CorpusKind::EmoDb, "EmoDB name \"03a01Ca.wav\": emotion C out of W L E A F T N"),
        ("03a01F.wav", CorpusKind::EmoDb, "EmoDB name \"03a01F.wav\": expected 7 characters SStttEv (e.g. 03a01Fa), got 6 character(s)"),
        ("d6-01-01-01-01.wav", CorpusKind::Ased, "ASED name \"d6-01-01-01-01.wav\": emotion d6 out of n1 f2 h3 s4 a5"),
        ("a1-01-01-01-01.wav", CorpusKind::Ased, "ASED name \"a1-01-01-01-01.wav\": emotion a1 out of n1 f2 h3 s4 a5"),
        ("a5-08-01-01-01.wav", CorpusKind::Ased, "ASED name \"a5-08-01-01-01.wav\": sentence 08 out of 01..07"),
        ("a5-01-03-01-01.wav", CorpusKind::Ased, "ASED name \"a5-01-03-01-01.wav\": repetition 03 out of 01..02"),
        ("a5-01-01-03-01.wav", CorpusKind::Ased, "ASED name \"a5-01-01-03-01.wav\": gender 03 out of 01 (female) or 02 (male)"),
        ("a5-01-01-01-66.wav", CorpusKind::Ased, "ASED name \"a5-01-01-01-66.wav\": speaker 66 out of 01..65"),
        ("a5-01-01-01.wav", CorpusKind::Ased, "ASED name \"a5-01-01-01.wav\": expected 5 fields xn-yy-aa-gg-bb, got 4 field(s)"),
        ("XX0_anger_1.wav", CorpusKind::Nemo, "nEMO name \"XX0_anger_1.wav\": speaker XX0 out of EB0 IC0 KD0 KS0 MK0 MP0 SM0 TP0 WR0"),
        ("EB0_disgust_1.wav", CorpusKind::Nemo, "nEMO name \"EB0_disgust_1.wav\": emotion disgust out of anger fear happiness neutral sadness surprised"),
        ("EB0_anger_0.wav", CorpusKind::Nemo, "nEMO name \"EB0_anger_0.wav\": number 0 out of 1, 2, ... without leading zeros"),
        ("EB0_anger_01.wav", CorpusKind::Nemo, "nEMO name \"EB0_anger_01.wav\": number 01 out of 1, 2, ... without leading zeros"),
    ];
    for &(name, kind, msg) in table {
        let e = parse_path(Path::new(name), Some(kind)).unwrap_err();
        assert_eq!(e.to_string(), msg);
        // names of the corpus's shape are detected and get the same message
        if let Some(k) = detect(name) {
            assert_eq!(k, kind, "{name}");
            assert_eq!(
                parse_path(Path::new(name), None).unwrap_err().to_string(),
                msg
            );
        } else {
            assert!(matches!(e, CorpusError::BadShape { .. }), "{name}");
        }
        assert!(
            matches!(&e, CorpusError::BadField { corpus, .. } | CorpusError::BadShape { corpus, .. } if *corpus == kind),
            "{e:?}"
        );
    }
    let e = parse_path(Path::new("readme.wav"), None).unwrap_err();
    assert!(
        e.to_string().starts_with(
            "file name \"readme.wav\" matches no supported corpus (RAVDESS MM-VV-EE-II-SS-RR-AA, \
             SAVEE [DC_]a01, CREMA-D 1001_DFA_ANG_XX, TESS OAF_back_angry, EmoDB 03a01Fa, \
             ASED a5-03-01-02-50, nEMO EB0_anger_1)"
        ),
        "{e}"
    );
    let e = parse_path(Path::new("x/a.wav"), Some(CorpusKind::Manifest)).unwrap_err();
    assert!(matches!(e, CorpusError::NotByName { .. }), "{e}");
}

fn touch(root: &Path, files: &[&str]) {
    for f in files {
        let p = root.join(f);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(&p, b"").unwrap();
    }
}

#[test]
fn folder_per_label_layout() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    touch(
        root,
        &[
            "Anger/one.wav",
            "anger/two.flac",
            "frustrated/x.wav",
            "frustrated/session2/y.wav",
            "neutral/notes.txt",
            "loose.wav",
        ],
    );
    let opts = ScanOptions {
        force: Some(CorpusKind::Folders),
        ..Default::default()
    };
    let c = scan_with(root, &opts).unwrap();
    assert_eq!(c, open(root, &opts).unwrap());
    let got: Vec<(String, String)> = c
        .items
        .iter()
        .map(|i| {
            let rel = i.path.strip_prefix(root).unwrap().display().to_string();
            (rel, i.label.to_string())
        })
        .collect();
    assert_eq!(
        got,
        [
            ("Anger/one.wav".into(), "angry".into()),
            ("anger/two.flac".into(), "angry".into()),
            ("frustrated/session2/y.wav".into(), "frustrated".into()),
            ("frustrated/x.wav".into(), "frustrated".into()),
        ]
    );
    assert!(c.items.iter().all(|i| i.speaker.is_none()
        && i.gender.is_none()
        && i.corpus == CorpusKind::Folders
        && i.speaker_key() == "folders:unknown"));
    assert_eq!(c.items[2].label, Label::Other("frustrated".into()));
    let reasons: Vec<&str> = c.rejected.iter().map(|r| r.reason.as_str()).collect();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert!(reasons[0].ends_with("not inside a label folder (expected DIR/<label>/clip)"));
    assert!(reasons[1].contains("not an audio file"));
    let labels = c.labels().unwrap();
    assert_eq!(labels.names(), ["angry", "frustrated"]);
    assert_eq!(c.label_counts(&labels), [2, 2]);
    // a lone path: the parent folder is the label
    let p = parse_path(Path::new("data/Sadness/z.wav"), Some(CorpusKind::Folders)).unwrap();
    assert_eq!(p.label(), Label::Emotion(Sad));
}

#[test]
fn manifest_csv_and_jsonl() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let csv = root.join("list.csv");
    fs::write(
        &csv,
        "# my recordings\nspeaker,path,emotion\nalice,a/1.wav,Anger\n\n\"bob, jr\",\"b/2,x.flac\",frustrated\n,/abs/3.wav,neutral\n",
    )
    .unwrap();
    let c = read_manifest(&csv).unwrap();
    assert!(c.rejected.is_empty());
    let rows: Vec<_> = c
        .items
        .iter()
        .map(|i| (i.path.clone(), i.label.to_string(), i.speaker.clone()))
        .collect();
    assert_eq!(
        rows,
        [
            (
                root.join("a/1.wav"),
                "angry".into(),
                Some("manifest:alice".into())
            ),
            (
                root.join("b/2,x.flac"),
                "frustrated".into(),
                Some("manifest:bob, jr".into())
            ),
            ("/abs/3.wav".into(), "neutral".into(), None),
        ]
    );
    assert!(c.items.iter().all(|i| i.corpus == CorpusKind::Manifest));
    match &c.items[1].name {
        ser_corpus::ParsedName::Manifest(e) => assert_eq!(e.line, 5),
        n => panic!("{n:?}"),
    }
    // open: a file without force is a manifest; with force too
    assert_eq!(open(&csv, &ScanOptions::default()).unwrap(), c);
    let forced = ScanOptions {
        force: Some(CorpusKind::Manifest),
        ..Default::default()
    };
    assert_eq!(open(&csv, &forced).unwrap(), c);

    let jsonl = root.join("list.jsonl");
    fs::write(
        &jsonl,
        "{\"path\": \"a/1.wav\", \"emotion\": \"happiness\", \"speaker\": \"alice\"}\n{\"path\": \"a/2.wav\", \"label\": \"contempt\"}\n{\"path\": \"a/3.wav\", \"emotion\": \"sad\", \"speaker\": null}\n",
    )
    .unwrap();
    let j = read_manifest(&jsonl).unwrap();
    let rows: Vec<_> = j
        .items
        .iter()
        .map(|i| (i.label.clone(), i.speaker.clone()))
        .collect();
    assert_eq!(
        rows,
        [
            (Label::Emotion(Happy), Some("manifest:alice".into())),
            (Label::Other("contempt".into()), None),
            (Label::Emotion(Sad), None),
        ]
    );
    // sniffed as JSON lines without the extension
    let sniff = root.join("list.txt");
    fs::copy(&jsonl, &sniff).unwrap();
    assert_eq!(read_manifest(&sniff).unwrap().items.len(), 3);
}

#[test]
fn manifest_bad_rows_name_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let cases: &[(&str, &str, &str)] = &[
        ("a.csv", "path,emotion\nx.wav,angry\ny.wav, \n", ":3: emotion: empty label name"),
        ("b.csv", "path,emotion\nx.wav,angry,extra\n", ":2: 3 field(s), the header has 2"),
        ("c.csv", "file,emotion\nx.wav,angry\n", ":1: header \"file,emotion\": expected columns path, emotion (or label) and optionally speaker"),
        ("d.csv", "path,emotion\nnotes.txt,angry\n", ":2: "),
        ("e.csv", "path,emotion\n\"x.wav,angry\n", ":2: unterminated quoted field"),
        ("f.csv", "", ":1: empty manifest: expected a header path,emotion[,speaker]"),
        ("g.csv", "path,emotion\n ,angry\n", ":2: empty path"),
        ("h.jsonl", "{\"path\": \"x.wav\", \"emotion\": \"sad\"}\n\n{\"path\": \"y.wav\"}\n", ":3: missing field `emotion`"),
        ("i.jsonl", "{\"path\": \"x.wav\", \"emotion\": \"sad\"}\nnot json\n", ":2: "),
    ];
    for &(file, text, msg) in cases {
        let p = root.join(file);
        fs::write(&p, text).unwrap();
        let e = read_manifest(&p).unwrap_err();
        let s = e.to_string();
        assert!(
            matches!(e, CorpusError::ManifestRow { .. }),
            "{file}: {e:?}"
        );
        assert!(s.starts_with(&p.display().to_string()), "{s}");
        assert!(s.contains(msg), "{file}: {s}");
    }
    let e = read_manifest(&root.join("missing.csv")).unwrap_err();
    assert!(matches!(e, CorpusError::Io { .. }), "{e}");
}
