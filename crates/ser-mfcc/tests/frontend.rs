//! The frame-level frontends and their specification: shapes, allocation-free `*_into`,
//! consistency with `Mfcc`, serde forms (tagged, legacy, strict) and validation.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ndarray::Array2;
use ser_mfcc::{
    delta, Frontend, FrontendSpec, LogMel, LogMelConfig, Mfcc, MfccConfig, MfccError, MfccSequence,
    MfccSequenceConfig,
};
use serde::Deserialize;

fn speechy(n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| {
            let t = i as f32 / 16000.0;
            0.3 * (2.0 * std::f32::consts::PI * 180.0 * t).sin() * (1.0 + (7.0 * t).sin())
                + 0.05 * (i as f32 * 0.37).sin()
        })
        .collect()
}

#[test]
fn log_mel_is_the_transpose_of_mfccs_log_mel_spectrogram() {
    let x = speechy(16000);
    let mut lm = LogMel::new(LogMelConfig::default()).unwrap();
    let got = lm.compute(&x).unwrap();
    assert_eq!(got.dim(), (101, 64));
    assert_eq!(lm.output_shape(x.len()).unwrap(), (101, 64));
    let mut mfcc = Mfcc::new(MfccConfig::speech()).unwrap();
    let librosa_layout = mfcc.log_mel_spectrogram(&x).unwrap();
    assert_eq!(got, librosa_layout.t());
}

#[test]
fn log_mel_compute_into_reuses_the_buffer() {
    let mut lm = LogMel::new(LogMelConfig::default()).unwrap();
    let (a, b) = (
        speechy(8000),
        speechy(8000).iter().map(|v| v * 0.5).collect::<Vec<_>>(),
    );
    let mut out = Array2::zeros((0, 0));
    lm.compute_into(&a, &mut out).unwrap();
    let ptr = out.as_ptr();
    lm.compute_into(&b, &mut out).unwrap();
    assert_eq!(out.as_ptr(), ptr, "right-shaped output was reallocated");
    assert_eq!(out, lm.compute(&b).unwrap());
    // silence: -100 dB everywhere
    lm.compute_into(&[0.0; 8000], &mut out).unwrap();
    assert!(out.iter().all(|&v| v == -100.0));
    assert_eq!(out.as_ptr(), ptr);
    // errors leave `out` alone
    let before = out.clone();
    let mut bad = a.clone();
    bad[17] = f32::NAN;
    assert!(matches!(
        lm.compute_into(&bad, &mut out),
        Err(MfccError::NonFinite { index: 17, .. })
    ));
    assert!(matches!(
        lm.compute_into(&[], &mut out),
        Err(MfccError::EmptyInput)
    ));
    assert_eq!(out, before);
}

#[test]
fn mfcc_sequence_is_mfccs_then_deltas_time_major() {
    let x = speechy(12000);
    let cfg = MfccSequenceConfig::default();
    assert_eq!(cfg.output_dim(), 60);
    let mut seq = MfccSequence::new(cfg.clone()).unwrap();
    let got = seq.compute(&x).unwrap();
    let m = Mfcc::new(cfg.mfcc.clone()).unwrap().compute(&x).unwrap(); // [20, frames]
    let d1 = delta(m.view(), 9, 1).unwrap();
    let d2 = delta(m.view(), 9, 2).unwrap();
    assert_eq!(got.dim(), (m.ncols(), 60));
    for t in 0..m.ncols() {
        for k in 0..20 {
            assert_eq!(got[[t, k]], m[[k, t]]);
            assert_eq!(got[[t, 20 + k]], d1[[k, t]]);
            assert_eq!(got[[t, 40 + k]], d2[[k, t]]);
        }
    }
    // reused output, no deltas
    let mut out = Array2::zeros((0, 0));
    seq.compute_into(&x, &mut out).unwrap();
    let ptr = out.as_ptr();
    seq.compute_into(&x, &mut out).unwrap();
    assert_eq!(out.as_ptr(), ptr);
    assert_eq!(out, got);
    let mut plain = MfccSequence::new(MfccSequenceConfig { n_deltas: 0, ..cfg }).unwrap();
    assert_eq!(plain.compute(&x).unwrap(), m.t());
    // no delta window needed without deltas
    assert_eq!(plain.compute(&[0.1; 300]).unwrap().dim(), (2, 20));
}

#[test]
fn spec_builds_the_matching_extractor() {
    let x = speechy(16000);
    let mean = FrontendSpec::from_legacy(MfccConfig::default());
    assert!(!mean.is_sequence());
    let mut f = mean.build().unwrap();
    assert!(matches!(f, Frontend::MeanMfcc(_)));
    let got = f.compute(&x).unwrap();
    let want = Mfcc::new(MfccConfig::default())
        .unwrap()
        .compute_mean(&x)
        .unwrap();
    assert_eq!(got.dim(), (1, 40));
    assert_eq!(got.row(0), want);
    for (spec, dim) in [
        (FrontendSpec::LogMel(LogMelConfig::default()), 64),
        (
            FrontendSpec::MfccSequence(MfccSequenceConfig::default()),
            60,
        ),
    ] {
        assert!(spec.is_sequence());
        assert_eq!(spec.sample_rate(), 16000);
        assert_eq!(spec.output_dim(), dim);
        assert_eq!(spec.build().unwrap().compute(&x).unwrap().dim(), (101, dim));
    }
}

#[derive(Deserialize)]
struct Meta {
    #[serde(deserialize_with = "FrontendSpec::deserialize_or_legacy")]
    features: FrontendSpec,
}

#[test]
fn spec_serde_tagged_legacy_and_strict() {
    let spec = FrontendSpec::LogMel(LogMelConfig::default());
    let json = serde_json::to_string(&spec).unwrap();
    assert!(
        json.starts_with(r#"{"kind":"log_mel","sample_rate":16000,"#),
        "{json}"
    );
    assert_eq!(serde_json::from_str::<FrontendSpec>(&json).unwrap(), spec);
    let seq = FrontendSpec::MfccSequence(MfccSequenceConfig::default());
    let json = serde_json::to_string(&seq).unwrap();
    assert!(
        json.contains(r#""kind":"mfcc_sequence","mfcc":{"#),
        "{json}"
    );
    assert_eq!(serde_json::from_str::<FrontendSpec>(&json).unwrap(), seq);
    let mean = FrontendSpec::MeanMfcc(MfccConfig::librosa_0_6());
    let json = serde_json::to_string(&mean).unwrap();
    assert!(json.starts_with(r#"{"kind":"mean_mfcc","#), "{json}");
    assert_eq!(serde_json::from_str::<FrontendSpec>(&json).unwrap(), mean);

    // missing fields take the documented defaults
    let partial: FrontendSpec = serde_json::from_str(r#"{"kind":"log_mel","n_mels":80}"#).unwrap();
    assert_eq!(
        partial,
        FrontendSpec::LogMel(LogMelConfig {
            n_mels: 80,
            ..Default::default()
        })
    );
    // unknown fields and kinds are errors, not silently dropped settings
    assert!(serde_json::from_str::<FrontendSpec>(r#"{"kind":"log_mel","n_mel":80}"#).is_err());
    assert!(serde_json::from_str::<FrontendSpec>(r#"{"kind":"cqt"}"#).is_err());

    // a legacy checkpoint's bare MfccConfig is the mean-MFCC case
    let legacy = serde_json::to_string(&MfccConfig::librosa_0_6()).unwrap();
    assert!(serde_json::from_str::<FrontendSpec>(&legacy).is_err());
    let meta: Meta = serde_json::from_str(&format!(r#"{{"features":{legacy}}}"#)).unwrap();
    assert_eq!(meta.features, mean);
    assert_eq!(FrontendSpec::from(MfccConfig::librosa_0_6()), mean);
    // the compat reader also takes tagged specs, and does not read a broken one as legacy
    let meta: Meta =
        serde_json::from_str(r#"{"features":{"kind":"log_mel","n_mels":80}}"#).unwrap();
    assert_eq!(meta.features, partial);
    let err = serde_json::from_str::<Meta>(r#"{"features":{"kind":"log_mel","n_mel":80}}"#)
        .err()
        .unwrap();
    assert!(err.to_string().contains("`log_mel`"), "{err}");
    assert!(serde_json::from_str::<Meta>(r#"{"features":3}"#).is_err());
}

#[test]
fn invalid_configs_name_the_field() {
    let bad: [(FrontendSpec, &str); 6] = [
        (
            FrontendSpec::LogMel(LogMelConfig {
                win_length: 513,
                ..Default::default()
            }),
            "win_length",
        ),
        (
            FrontendSpec::LogMel(LogMelConfig {
                n_mels: 0,
                ..Default::default()
            }),
            "n_mels",
        ),
        (
            FrontendSpec::LogMel(LogMelConfig {
                fmax: Some(9000.0),
                fmin: 9500.0,
                ..Default::default()
            }),
            "fmax",
        ),
        (
            FrontendSpec::MfccSequence(MfccSequenceConfig {
                delta_width: 4,
                ..Default::default()
            }),
            "width",
        ),
        (
            FrontendSpec::MfccSequence(MfccSequenceConfig {
                n_deltas: 3,
                delta_width: 3,
                ..Default::default()
            }),
            "order",
        ),
        (
            FrontendSpec::MfccSequence(MfccSequenceConfig {
                mfcc: MfccConfig {
                    n_mfcc: 65,
                    ..MfccConfig::speech()
                },
                ..Default::default()
            }),
            "n_mfcc",
        ),
    ];
    for (spec, field) in bad {
        match spec.build() {
            Err(MfccError::InvalidConfig { field: f, .. }) => assert_eq!(f, field, "{spec:?}"),
            other => panic!("{field}: {:?}", other.map(|_| ())),
        }
        assert!(spec.validate().is_err());
    }
}

#[test]
fn speech_mfcc_config_round_trips_through_log_mel() {
    let lm = LogMelConfig::default();
    let m = MfccConfig::speech();
    assert_eq!(m.log_mel(), lm);
    assert_eq!((m.n_mfcc, m.win_length, m.lifter), (20, Some(400), 0.0));
    assert_eq!(MfccConfig::from_log_mel(&lm, 20, 0.0), m);
    // the study's config maps to a log-mel config with win_length = n_fft
    assert_eq!(MfccConfig::default().log_mel().win_length, 2048);
}
