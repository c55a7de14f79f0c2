//! Table-driven tests of the file-name parsers.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use ser_corpus::names::{
    detect, parse_path, CremaDName, EmoDbName, Intensity, Modality, SaveeName, TessName,
    VocalChannel,
};
use ser_corpus::{CorpusError, CorpusKind, Emotion, Gender, RavdessName};

#[test]
fn ravdess_roundtrip_all_valid_names() {
    let mut n = 0;
    for m in 1..=3 {
        for v in 1..=2 {
            for e in 1..=8 {
                for i in 1..=2 {
                    for s in 1..=2 {
                        for r in 1..=2 {
                            for a in 1..=24 {
                                let stem =
                                    format!("{m:02}-{v:02}-{e:02}-{i:02}-{s:02}-{r:02}-{a:02}");
                                let res = RavdessName::parse(&format!("{stem}.wav"));
                                let song_bad = v == 2 && e > 6;
                                let neutral_strong = e == 1 && i == 2;
                                let valid = !song_bad && !neutral_strong;
                                assert_eq!(res.is_ok(), valid, "{stem}: {res:?}");
                                if let Ok(p) = res {
                                    n += 1;
                                    assert_eq!(p.stem(), stem);
                                    assert_eq!(p.to_string(), stem);
                                    assert_eq!(p.file_name("flac"), format!("{stem}.flac"));
                                    assert_eq!(p.emotion.index() + 1, e as usize);
                                    assert_eq!(p.actor, a);
                                    assert_eq!(
                                        p.gender(),
                                        if a % 2 == 1 {
                                            Gender::Male
                                        } else {
                                            Gender::Female
                                        }
                                    );
                                    assert_eq!(
                                        p.performance_id(),
                                        format!("ravdess:{}", &stem[3..])
                                    );
                                    assert_eq!(stem.parse::<RavdessName>().unwrap(), p);
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    assert!(n > 3000);
}

#[test]
fn ravdess_fields() {
    let p = RavdessName::parse("01-02-06-02-01-02-13.mp4").unwrap();
    assert_eq!(p.modality, Modality::AudioVideo);
    assert_eq!(p.vocal_channel, VocalChannel::Song);
    assert_eq!(p.emotion, Emotion::Fearful);
    assert_eq!(p.intensity, Intensity::Strong);
    assert_eq!((p.statement, p.repetition, p.actor), (1, 2, 13));
    assert_eq!(p.speaker(), "ravdess:13");
    // AV twin: same performance, different modality.
    let a = RavdessName::parse("03-01-03-01-02-01-07.wav").unwrap();
    let b = RavdessName::parse("01-01-03-01-02-01-07.mp4").unwrap();
    let c = RavdessName::parse("03-01-03-01-02-02-07.wav").unwrap();
    assert_eq!(a.performance_id(), b.performance_id());
    assert_ne!(a.performance_id(), c.performance_id());
    // no extension, other extension
    assert!(RavdessName::parse("03-01-03-01-02-01-07").is_ok());
    assert!(RavdessName::parse("03-01-03-01-02-01-07.FLAC").is_ok());
}

#[test]
fn ravdess_bad_names_say_which_field() {
    let cases = [
        ("03-01-09-01-01-01-01.wav", "emotion 09 out of 01..08"),
        ("03-01-00-01-01-01-01.wav", "emotion 00 out of 01..08"),
        ("04-01-01-01-01-01-01.wav", "modality 04 out of 01..03"),
        ("03-03-01-01-01-01-01.wav", "vocal channel 03 out of 01..02"),
        ("03-01-02-03-01-01-01.wav", "intensity 03 out of 01..02"),
        ("03-01-02-01-03-01-01.wav", "statement 03 out of 01..02"),
        ("03-01-02-01-01-00-01.wav", "repetition 00 out of 01..02"),
        ("03-01-02-01-01-01-25.wav", "actor 25 out of 01..24"),
        (
            "03-01-02-01-01-01-1.wav",
            "actor 1 out of two digits 01..24",
        ),
        (
            "03-02-07-01-01-01-01.wav",
            "emotion 07 out of 01..06 (song has no disgust or surprise)",
        ),
        (
            "03-01-01-02-01-01-01.wav",
            "intensity 02 out of 01 (neutral has normal intensity only)",
        ),
        (
            "03-01-01-01-01-01.wav",
            "expected 7 two-digit fields MM-VV-EE-II-SS-RR-AA, got 6 field(s)",
        ),
    ];
    for (name, msg) in cases {
        let e = RavdessName::parse(name).unwrap_err();
        let s = e.to_string();
        assert!(s.ends_with(msg), "{name}: {s}");
        assert!(s.contains(name), "{s}");
    }
    match RavdessName::parse("03-01-09-01-01-01-01.wav").unwrap_err() {
        CorpusError::BadField {
            field,
            actual,
            expected,
            corpus,
            ..
        } => {
            assert_eq!(
                (field, actual.as_str(), expected.as_str()),
                ("emotion", "09", "01..08")
            );
            assert_eq!(corpus, CorpusKind::Ravdess);
        }
        e => panic!("{e:?}"),
    }
}

#[test]
fn savee_layouts() {
    let table: [(&str, Option<&str>, Emotion, u8); 9] = [
        ("DC_a01.wav", Some("DC"), Emotion::Angry, 1),
        ("DC/a01.wav", Some("DC"), Emotion::Angry, 1),
        ("JE/d15.wav", Some("JE"), Emotion::Disgust, 15),
        ("JK_f03.wav", Some("JK"), Emotion::Fearful, 3),
        ("KL_h07.wav", Some("KL"), Emotion::Happy, 7),
        ("KL_n30.wav", Some("KL"), Emotion::Neutral, 30),
        ("sa01.wav", None, Emotion::Sad, 1),
        ("other/su02.wav", None, Emotion::Surprised, 2),
        ("DC/JE_sa03.wav", Some("JE"), Emotion::Sad, 3),
    ];
    for (path, speaker, emotion, number) in table {
        let n = SaveeName::parse_path(Path::new(path)).unwrap();
        assert_eq!(n.speaker.as_deref(), speaker, "{path}");
        assert_eq!(n.emotion(), emotion, "{path}");
        assert_eq!(n.number, number, "{path}");
        let p = parse_path(Path::new(path), None).unwrap();
        assert_eq!(p.kind(), CorpusKind::Savee);
        assert_eq!(p.gender(), Some(Gender::Male));
        assert_eq!(p.speaker(), speaker.map(|s| format!("savee:{s}")));
        assert_eq!(p.performance_id().is_some(), speaker.is_some());
    }
    assert_eq!(SaveeName::parse("DC_a01.wav").unwrap().stem(), "DC_a01");
    // calm does not exist in SAVEE
    for e in Emotion::STUDY {
        let codes = ["a", "d", "f", "h", "n", "sa", "su"];
        let has = codes
            .iter()
            .any(|c| SaveeName::parse(&format!("{c}01.wav")).unwrap().emotion() == e);
        assert_eq!(has, e != Emotion::Calm);
    }
}

#[test]
fn savee_rejects() {
    let cases = [
        ("c01.wav", "not an emotion clip"),
        ("DC_c03.wav", "not an emotion clip"),
        ("XX_a01.wav", "speaker XX out of DC JE JK KL"),
        ("x01.wav", "emotion code x out of a d f h n sa su"),
        ("a16.wav", "sentence number 16 out of 01..15"),
        ("n31.wav", "sentence number 31 out of 01..30"),
        ("a00.wav", "sentence number 00 out of 01..15"),
    ];
    for (name, msg) in cases {
        let s = SaveeName::parse(name).unwrap_err().to_string();
        assert!(s.contains(msg), "{name}: {s}");
    }
    assert!(matches!(
        SaveeName::parse("c01.wav").unwrap_err(),
        CorpusError::NotEmotionClip {
            corpus: CorpusKind::Savee,
            ..
        }
    ));
}

#[test]
fn crema_d_table() {
    let ok = [
        ("1001_DFA_ANG_XX.wav", 1001, "DFA", Emotion::Angry, "XX"),
        ("1091_TIE_DIS_HI.wav", 1091, "TIE", Emotion::Disgust, "HI"),
        ("1050_IEO_FEA_LO.flv", 1050, "IEO", Emotion::Fearful, "LO"),
        ("1002_WSI_HAP_MD.wav", 1002, "WSI", Emotion::Happy, "MD"),
        ("1003_ITS_NEU_XX.mp3", 1003, "ITS", Emotion::Neutral, "XX"),
        ("1004_MTI_SAD_XX.wav", 1004, "MTI", Emotion::Sad, "XX"),
    ];
    for (name, actor, sentence, emotion, level) in ok {
        let n = CremaDName::parse(name).unwrap();
        assert_eq!(
            (
                n.actor,
                n.sentence.as_str(),
                n.emotion.emotion(),
                n.level.as_str()
            ),
            (actor, sentence, emotion, level)
        );
        let p = parse_path(Path::new(name), None).unwrap();
        assert_eq!(p.kind(), CorpusKind::CremaD);
        assert_eq!(p.speaker(), Some(format!("crema-d:{actor}")));
        assert_eq!(p.gender(), None);
    }
    let bad = [
        ("1000_DFA_ANG_XX.wav", "actor 1000 out of 1001..1091"),
        ("1092_DFA_ANG_XX.wav", "actor 1092 out of 1001..1091"),
        ("1001_XYZ_ANG_XX.wav", "sentence XYZ out of"),
        (
            "1001_DFA_SUR_XX.wav",
            "emotion SUR out of ANG DIS FEA HAP NEU SAD",
        ),
        ("1001_DFA_ANG_ZZ.wav", "level ZZ out of LO MD HI XX"),
    ];
    for (name, msg) in bad {
        let s = parse_path(Path::new(name), None).unwrap_err().to_string();
        assert!(s.contains(msg), "{name}: {s}");
        assert!(s.starts_with("CREMA-D"), "{s}");
    }
    // twins across media: same stem, other extension
    let a = parse_path(Path::new("1001_DFA_ANG_XX.wav"), None).unwrap();
    let b = parse_path(Path::new("1001_DFA_ANG_XX.flv"), None).unwrap();
    assert_eq!(a.performance_id(), b.performance_id());
}

#[test]
fn tess_table() {
    let ok = [
        ("OAF_back_angry.wav", "OAF", "back", Emotion::Angry),
        ("YAF_dog_disgust.wav", "YAF", "dog", Emotion::Disgust),
        ("OAF_bite_fear.wav", "OAF", "bite", Emotion::Fearful),
        ("YAF_chair_happy.wav", "YAF", "chair", Emotion::Happy),
        ("OAF_numb_neutral.wav", "OAF", "numb", Emotion::Neutral),
        ("YAF_germ_ps.wav", "YAF", "germ", Emotion::Surprised),
        ("OAF_rain_Sad.wav", "OAF", "rain", Emotion::Sad),
    ];
    for (name, sp, word, emotion) in ok {
        let n = TessName::parse(name).unwrap();
        assert_eq!(
            (n.speaker.as_str(), n.word.as_str(), n.emotion.emotion()),
            (sp, word, emotion)
        );
        let p = parse_path(Path::new(name), None).unwrap();
        assert_eq!(p.kind(), CorpusKind::Tess);
        assert_eq!(p.gender(), Some(Gender::Female));
    }
    for (name, msg) in [
        ("ABC_back_angry.wav", "speaker ABC out of OAF or YAF"),
        ("OAF_back_calm.wav", "emotion calm out of"),
        ("OAF_b4ck_angry.wav", "word b4ck out of"),
    ] {
        let s = parse_path(Path::new(name), None).unwrap_err().to_string();
        assert!(s.contains(msg), "{name}: {s}");
    }
}

#[test]
fn emodb_table() {
    let ok = [
        ("03a01Fa.wav", 3, "a01", Emotion::Happy, Gender::Male),
        ("08b10Wc.wav", 8, "b10", Emotion::Angry, Gender::Female),
        ("16a07Ea.wav", 16, "a07", Emotion::Disgust, Gender::Female),
        ("15b03Ab.wav", 15, "b03", Emotion::Fearful, Gender::Male),
        ("11a02Ta.wav", 11, "a02", Emotion::Sad, Gender::Male),
        ("13b09Nb.wav", 13, "b09", Emotion::Neutral, Gender::Female),
        // boredom is a class of its own (no longer rejected)
        ("03a01La.wav", 3, "a01", Emotion::Boredom, Gender::Male),
    ];
    for (name, speaker, text, emotion, gender) in ok {
        let n = EmoDbName::parse(name).unwrap();
        assert_eq!(
            (n.speaker, n.text.as_str(), n.emotion.emotion(), n.gender()),
            (speaker, text, emotion, gender)
        );
        assert_eq!(detect(name), Some(CorpusKind::EmoDb));
    }
    for (name, msg) in [
        ("04a01Fa.wav", "speaker 04 out of"),
        ("03a03Fa.wav", "text a03 out of"),
        ("03a01Xa.wav", "emotion X out of W L E A F T N"),
    ] {
        let s = parse_path(Path::new(name), None).unwrap_err().to_string();
        assert!(s.contains(msg), "{name}: {s}");
    }
}

#[test]
fn detection_and_forcing() {
    let table = [
        ("03-01-01-01-01-01-01.wav", Some(CorpusKind::Ravdess)),
        ("03-01-01.wav", Some(CorpusKind::Ravdess)),
        ("DC_a01.wav", Some(CorpusKind::Savee)),
        ("sa01.wav", Some(CorpusKind::Savee)),
        ("1001_DFA_ANG_XX.wav", Some(CorpusKind::CremaD)),
        ("OAF_back_angry.wav", Some(CorpusKind::Tess)),
        ("03a01Fa.wav", Some(CorpusKind::EmoDb)),
        ("readme.wav", None),
        ("song.mp3", None),
        ("", None),
    ];
    for (name, kind) in table {
        assert_eq!(detect(name), kind, "{name}");
    }
    let e = parse_path(Path::new("song.mp3"), None).unwrap_err();
    assert!(matches!(e, CorpusError::UnknownNaming { .. }), "{e}");
    // forcing a scheme reports that scheme's error
    let e = parse_path(Path::new("song.mp3"), Some(CorpusKind::Ravdess)).unwrap_err();
    assert!(e.to_string().starts_with("RAVDESS"), "{e}");
    for k in CorpusKind::ALL {
        assert_eq!(k.id().parse::<CorpusKind>().unwrap(), k);
        assert_eq!(
            serde_json::to_string(&k).unwrap(),
            format!("\"{}\"", k.id())
        );
    }
    assert!("xyz".parse::<CorpusKind>().is_err());
}

proptest::proptest! {
    /// No file name, however odd, makes the parsers panic; whatever parses under detection
    /// also parses when that scheme is forced, with the same result.
    #[test]
    fn arbitrary_names_never_panic(name in "\\PC{0,24}", dir in "[A-Z]{0,3}") {
        let path = Path::new(&dir).join(&name);
        let detected = detect(&name);
        let r = parse_path(&path, None);
        if let Ok(p) = &r {
            proptest::prop_assert_eq!(Some(p.kind()), detected);
            proptest::prop_assert_eq!(parse_path(&path, Some(p.kind())).unwrap(), p.clone());
        }
        for k in CorpusKind::ALL {
            let _ = parse_path(&path, Some(k));
        }
    }

    /// Structured near-misses of RAVDESS names: parse iff every field is in range.
    #[test]
    fn ravdess_fields_in_range(f in proptest::array::uniform7(0u8..=30), ext in "[a-z]{0,4}") {
        let stem = f.iter().map(|x| format!("{x:02}")).collect::<Vec<_>>().join("-");
        let name = if ext.is_empty() { stem.clone() } else { format!("{stem}.{ext}") };
        let ranges = [3u8, 2, 8, 2, 2, 2, 24];
        let in_range = f.iter().zip(ranges).all(|(&x, hi)| (1..=hi).contains(&x));
        let valid = in_range && !(f[1] == 2 && f[2] > 6) && !(f[2] == 1 && f[3] == 2);
        let r = RavdessName::parse(&name);
        proptest::prop_assert_eq!(r.is_ok(), valid, "{}: {:?}", name, r);
        if let Ok(p) = r {
            proptest::prop_assert_eq!(p.stem(), stem);
        }
    }
}
