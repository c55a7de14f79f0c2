//! Property tests and edge-case behaviour of the MFCC extractor.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ndarray::Array2;
use proptest::prelude::*;
use ser_mfcc::{
    dct2_ortho, mean_over_time, Mfcc, MfccConfig, MfccError, PadMode, MAX_SAMPLE_MAGNITUDE,
};

fn small_cfg(hop: usize, pad_mode: PadMode) -> MfccConfig {
    MfccConfig {
        n_fft: 512,
        hop_length: hop,
        n_mels: 40,
        n_mfcc: 13,
        pad_mode,
        ..MfccConfig::default()
    }
}

fn pad_strategy() -> impl Strategy<Value = PadMode> {
    prop_oneof![Just(PadMode::Constant), Just(PadMode::Reflect)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn frames_is_one_plus_n_over_hop(n in 1usize..6000, hop in prop_oneof![Just(64usize), Just(128), Just(160), Just(512)], pad in pad_strategy()) {
        let mut m = Mfcc::new(small_cfg(hop, pad)).unwrap();
        let x: Vec<f32> = (0..n).map(|i| ((i * 37 % 101) as f32 / 101.0) - 0.5).collect();
        let out = m.compute(&x).unwrap();
        prop_assert_eq!(out.dim(), (13, 1 + n / hop));
    }

    #[test]
    fn finite_input_gives_finite_output(x in proptest::collection::vec(-1.0f32..1.0, 1..3000), big in -1.0e6f32..1.0e6, at in 0usize..3000, pad in pad_strategy()) {
        let mut x = x;
        let i = at % x.len();
        x[i] = big;
        let mut m = Mfcc::new(small_cfg(128, pad)).unwrap();
        let out = m.compute(&x).unwrap();
        prop_assert!(out.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn scaling_shifts_only_c0(seed in 0u64..1000, n in 600usize..4000, gain in 0.25f32..4.0, pad in pad_strategy()) {
        // noise-like input well above amin, so every mel value moves by exactly 20 log10(gain) dB
        // (the top_db floor moves with the clip maximum); the DCT maps a constant shift to c0 only.
        let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let x: Vec<f32> = (0..n).map(|_| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((s >> 40) as f32 / (1u64 << 24) as f32) - 0.5
        }).collect();
        let y: Vec<f32> = x.iter().map(|v| v * gain).collect();
        let mut m = Mfcc::new(small_cfg(128, pad)).unwrap();
        let a = m.compute(&x).unwrap();
        let b = m.compute(&y).unwrap();
        let shift = 20.0 * f64::from(gain).log10() * (40f64).sqrt();
        for t in 0..a.ncols() {
            prop_assert!((f64::from(b[[0, t]] - a[[0, t]]) - shift).abs() < 5e-3, "c0 t={} {} vs {}", t, b[[0, t]] - a[[0, t]], shift);
            for k in 1..13 {
                prop_assert!((b[[k, t]] - a[[k, t]]).abs() < 2e-3, "c{} t={}", k, t);
            }
        }
    }

    #[test]
    fn nonfinite_is_reported_at_its_index(n in 1usize..5000, at in 0usize..5000, kind in 0u8..3) {
        let mut x = vec![0.1f32; n];
        let i = at % n;
        x[i] = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY][kind as usize];
        let mut m = Mfcc::new(small_cfg(128, PadMode::Constant)).unwrap();
        match m.compute(&x) {
            Err(MfccError::NonFinite { index, .. }) => prop_assert_eq!(index, i),
            other => prop_assert!(false, "expected NonFinite, got {:?}", other.map(|a| a.dim())),
        }
    }

    #[test]
    fn cepstra_are_the_naive_dct_of_the_log_mel(
        n_mels in prop_oneof![Just(1usize), Just(2), Just(13), Just(40), Just(41)],
        n_mfcc in 1usize..14,
        n in 1usize..3000,
        seed in 0u64..1000,
    ) {
        // the folded (even/odd) DCT and the mean by linearity, for odd and even sizes
        let n_mfcc = n_mfcc.min(n_mels);
        let cfg = MfccConfig { n_mels, n_mfcc, ..small_cfg(128, PadMode::Constant) };
        let mut m = Mfcc::new(cfg).unwrap();
        let mut s = seed.wrapping_add(1);
        let x: Vec<f32> = (0..n).map(|_| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((s >> 40) as f32 / (1u64 << 24) as f32) - 0.5
        }).collect();
        let got = m.compute(&x).unwrap();
        let mean = m.compute_mean(&x).unwrap();
        let logmel = m.log_mel_spectrogram(&x).unwrap();
        prop_assert_eq!(got.dim(), (n_mfcc, logmel.ncols()));
        let mut want_mean = vec![0.0f64; n_mfcc];
        for t in 0..logmel.ncols() {
            let col: Vec<f32> = logmel.column(t).to_vec();
            let want = dct2_ortho(&col, n_mfcc);
            for k in 0..n_mfcc {
                prop_assert!((got[[k, t]] - want[k]).abs() <= 2e-5 * (1.0 + want[k].abs()), "c{} t={}: {} vs {}", k, t, got[[k, t]], want[k]);
                want_mean[k] += f64::from(want[k]) / logmel.ncols() as f64;
            }
        }
        for k in 0..n_mfcc {
            prop_assert!((f64::from(mean[k]) - want_mean[k]).abs() <= 2e-5 * (1.0 + want_mean[k].abs()), "mean c{}", k);
        }
    }

    #[test]
    fn mean_and_into_agree_with_compute(x in proptest::collection::vec(-1.0f32..1.0, 1..4000)) {
        let mut m = Mfcc::new(MfccConfig::default()).unwrap();
        let full = m.compute(&x).unwrap();
        let mean = m.compute_mean(&x).unwrap();
        let want = mean_over_time(full.view());
        for (a, b) in mean.iter().zip(want.iter()) {
            prop_assert!((a - b).abs() <= 1e-4 * (1.0 + b.abs()));
        }
        let mut out = Array2::<f32>::zeros((40, full.ncols()));
        m.compute_into(&x, &mut out).unwrap();
        prop_assert_eq!(&out, &full);
    }
}

#[test]
fn samples_beyond_the_magnitude_limit_are_an_error() {
    let mut m = Mfcc::new(MfccConfig::default()).unwrap();
    let mut x = vec![0.1f32; 3000];
    x[2500] = MAX_SAMPLE_MAGNITUDE;
    x[10] = -MAX_SAMPLE_MAGNITUDE;
    let out = m.compute(&x).unwrap();
    assert!(out.iter().all(|v| v.is_finite()));
    x[1234] = -2e12;
    x[2000] = f32::NAN;
    let err = m.compute(&x).unwrap_err();
    assert_eq!(
        err,
        MfccError::TooLarge {
            index: 1234,
            value: -2e12,
            limit: MAX_SAMPLE_MAGNITUDE
        }
    );
    assert!(err.to_string().contains("index 1234"), "{err}");
    x[1234] = f32::MAX;
    assert!(matches!(
        m.compute_mean(&x),
        Err(MfccError::TooLarge { index: 1234, .. })
    ));
    x[1234] = 0.0;
    assert!(matches!(
        m.compute(&x),
        Err(MfccError::NonFinite { index: 2000, .. })
    ));
}

#[test]
fn empty_input_is_an_error() {
    let mut m = Mfcc::new(MfccConfig::default()).unwrap();
    assert_eq!(m.compute(&[]).unwrap_err(), MfccError::EmptyInput);
    assert_eq!(m.compute_mean(&[]).unwrap_err(), MfccError::EmptyInput);
}

#[test]
fn uncentred_short_input_is_an_error() {
    let mut m = Mfcc::new(MfccConfig {
        center: false,
        ..MfccConfig::default()
    })
    .unwrap();
    assert_eq!(
        m.compute(&[0.0; 100]).unwrap_err(),
        MfccError::TooShort {
            expected: 2048,
            actual: 100
        }
    );
    assert_eq!(m.compute(&[0.1; 2048]).unwrap().dim(), (40, 1));
}

#[test]
fn single_sample_works_in_both_pad_modes() {
    for pad in [PadMode::Constant, PadMode::Reflect] {
        let mut m = Mfcc::new(MfccConfig {
            pad_mode: pad,
            ..MfccConfig::default()
        })
        .unwrap();
        let out = m.compute(&[0.5]).unwrap();
        assert_eq!(out.dim(), (40, 1));
        assert!(out.iter().all(|v| v.is_finite()));
    }
}

#[test]
fn compute_into_reshapes_a_wrong_output() {
    let mut m = Mfcc::new(MfccConfig::default()).unwrap();
    let x = vec![0.25f32; 5000];
    let mut out = Array2::<f32>::zeros((3, 3));
    m.compute_into(&x, &mut out).unwrap();
    assert_eq!(out.dim(), (40, 1 + 5000 / 512));
    // non-standard layout is replaced too
    let mut t = Array2::<f32>::zeros((out.ncols(), 40)).reversed_axes();
    m.compute_into(&x, &mut t).unwrap();
    assert_eq!(t, out);
}

#[test]
fn invalid_configs_are_rejected_with_the_field() {
    let bad = [
        (
            MfccConfig {
                n_mfcc: 0,
                ..MfccConfig::default()
            },
            "n_mfcc",
        ),
        (
            MfccConfig {
                n_mfcc: 200,
                ..MfccConfig::default()
            },
            "n_mfcc",
        ),
        (
            MfccConfig {
                hop_length: 0,
                ..MfccConfig::default()
            },
            "hop_length",
        ),
        (
            MfccConfig {
                win_length: Some(4096),
                ..MfccConfig::default()
            },
            "win_length",
        ),
        (
            MfccConfig {
                sample_rate: 0,
                ..MfccConfig::default()
            },
            "sample_rate",
        ),
        (
            MfccConfig {
                fmax: Some(-1.0),
                ..MfccConfig::default()
            },
            "fmax",
        ),
        (
            MfccConfig {
                top_db: Some(-3.0),
                ..MfccConfig::default()
            },
            "top_db",
        ),
        (
            MfccConfig {
                amin: 0.0,
                ..MfccConfig::default()
            },
            "amin",
        ),
        (
            MfccConfig {
                lifter: f64::NAN,
                ..MfccConfig::default()
            },
            "lifter",
        ),
    ];
    for (cfg, field) in bad {
        match Mfcc::new(cfg) {
            Err(MfccError::InvalidConfig { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: {:?}", other.map(|_| ())),
        }
    }
}

#[test]
fn config_serde_roundtrip_and_presets() {
    let c = MfccConfig::librosa_0_6();
    assert_eq!(c.pad_mode, PadMode::Reflect);
    assert_eq!(
        MfccConfig {
            pad_mode: PadMode::Constant,
            ..c.clone()
        },
        MfccConfig::default()
    );
    let json = serde_json::to_string(&c).unwrap();
    assert!(json.contains("\"pad_mode\":\"reflect\""), "{json}");
    let back: MfccConfig = serde_json::from_str(&json).unwrap();
    assert_eq!(back, c);
    // missing fields take the defaults
    let partial: MfccConfig = serde_json::from_str(r#"{"n_mfcc": 20}"#).unwrap();
    assert_eq!(
        partial,
        MfccConfig {
            n_mfcc: 20,
            ..MfccConfig::default()
        }
    );
}

#[test]
fn mean_over_time_of_nothing_is_nan() {
    let m = mean_over_time(Array2::<f32>::zeros((4, 0)).view());
    assert_eq!(m.len(), 4);
    assert!(m.iter().all(|v| v.is_nan()));
}

#[test]
fn extractor_is_send_sync_and_clones_independently() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Mfcc>();
    let mut a = Mfcc::new(MfccConfig::default()).unwrap();
    let x: Vec<f32> = (0..9000).map(|i| (i as f32 * 0.01).sin()).collect();
    let want = a.compute(&x).unwrap();
    let mut b = a.clone();
    a.compute(&[0.5; 3000]).unwrap(); // different scratch contents in `a`
    assert_eq!(b.compute(&x).unwrap(), want);
}
