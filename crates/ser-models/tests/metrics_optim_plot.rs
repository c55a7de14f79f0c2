//! Metrics on hand-computed examples, optimisers against their formulas, plots.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use ser_models::{confusion_matrix, Metrics, Optimizer, OptimizerConfig};

#[test]
fn metrics_by_hand() {
    // 3 classes; truth has classes 0 and 1 only; class 2 is predicted once (wrong).
    let truth = [0, 0, 0, 1, 1];
    let pred = [0, 1, 2, 1, 1];
    let m = Metrics::compute(&truth, &pred, 3).unwrap();
    assert_eq!(
        m.confusion,
        vec![vec![1, 1, 1], vec![0, 2, 0], vec![0, 0, 0]]
    );
    assert_eq!(m.n, 5);
    assert!((m.accuracy - 3.0 / 5.0).abs() < 1e-12);
    // recall 0 = 1/3, recall 1 = 1; class 2 absent -> not in UAR.
    assert_eq!(m.per_class_recall, vec![Some(1.0 / 3.0), Some(1.0), None]);
    assert!((m.uar - (1.0 / 3.0 + 1.0) / 2.0).abs() < 1e-12);
    // F1 class 0: p 1/1, r 1/3 -> 0.5; class 1: p 2/3, r 1 -> 0.8. Macro over present = 0.65.
    assert!((m.macro_f1 - 0.65).abs() < 1e-12, "{}", m.macro_f1);
}

#[test]
fn metrics_edge_cases() {
    let m = Metrics::compute(&[], &[], 8).unwrap();
    assert_eq!((m.n, m.accuracy, m.uar), (0, 0.0, 0.0));
    assert!(confusion_matrix(&[0, 1], &[0], 2).is_err());
    assert!(confusion_matrix(&[0, 5], &[0, 1], 2).is_err());
    let perfect = Metrics::compute(&[0, 1, 2, 2], &[0, 1, 2, 2], 3).unwrap();
    assert_eq!(
        (perfect.accuracy, perfect.uar, perfect.macro_f1),
        (1.0, 1.0, 1.0)
    );
}

/// Two steps of each optimiser on `loss = sum(c * p)` (gradient `c`), against the formulas
/// evaluated here in f64.
#[test]
fn optimisers_follow_their_formulas() {
    let p0 = [0.5f64, -1.0, 2.0];
    let c = [0.3f64, -2.0, 0.01];
    let cases = [
        OptimizerConfig::adam(),
        OptimizerConfig::rmsprop(0.01),
        OptimizerConfig::AdamW {
            lr: 0.01,
            beta1: 0.8,
            beta2: 0.99,
            eps: 1e-7,
            weight_decay: 0.1,
        },
    ];
    for cfg in cases {
        let vm = VarMap::new();
        let vb = VarBuilder::from_varmap(&vm, DType::F32, &Device::Cpu);
        let p = vb
            .get_with_hints(3, "p", candle_nn::Init::Const(0.0))
            .unwrap();
        vm.data().lock().unwrap()["p"]
            .set(&Tensor::new(&[0.5f32, -1.0, 2.0], &Device::Cpu).unwrap())
            .unwrap();
        let ct = Tensor::new(&[0.3f32, -2.0, 0.01], &Device::Cpu).unwrap();
        let mut opt = Optimizer::new(cfg.clone(), &vm).unwrap();
        let (mut m, mut v, mut want) = ([0f64; 3], [0f64; 3], p0);
        for t in 1..=2 {
            let grads = (&p * &ct).unwrap().sum_all().unwrap().backward().unwrap();
            opt.step(&grads).unwrap();
            for i in 0..3 {
                let g = c[i];
                match cfg {
                    OptimizerConfig::Adam {
                        lr,
                        beta1,
                        beta2,
                        eps,
                    } => {
                        m[i] = beta1 * m[i] + (1.0 - beta1) * g;
                        v[i] = beta2 * v[i] + (1.0 - beta2) * g * g;
                        let lr_t = lr * (1.0 - beta2.powi(t)).sqrt() / (1.0 - beta1.powi(t));
                        want[i] -= lr_t * m[i] / (v[i].sqrt() + eps);
                    }
                    OptimizerConfig::RmsProp { lr, rho, eps } => {
                        v[i] = rho * v[i] + (1.0 - rho) * g * g;
                        want[i] -= lr * g / (v[i].sqrt() + eps);
                    }
                    OptimizerConfig::AdamW {
                        lr,
                        beta1,
                        beta2,
                        eps,
                        weight_decay,
                    } => {
                        m[i] = beta1 * m[i] + (1.0 - beta1) * g;
                        v[i] = beta2 * v[i] + (1.0 - beta2) * g * g;
                        let mh = m[i] / (1.0 - beta1.powi(t));
                        let vh = v[i] / (1.0 - beta2.powi(t));
                        want[i] -= lr * (mh / (vh.sqrt() + eps) + weight_decay * want[i]);
                    }
                }
            }
            let got: Vec<f32> = p.to_vec1().unwrap();
            for i in 0..3 {
                assert!(
                    (f64::from(got[i]) - want[i]).abs() < 1e-6,
                    "{cfg:?} step {t} [{i}]: {} vs {}",
                    got[i],
                    want[i]
                );
            }
        }
        assert_eq!(opt.steps(), 2);
    }
    // RMSprop first step by hand: a = 0.1 g^2, step = lr g / (sqrt(0.1) |g| + eps) ~ lr / sqrt(0.1).
    let first = 0.5 - 0.01 * 0.3 / ((0.1f64 * 0.09).sqrt() + 1e-7);
    assert!((first - (0.5 - 0.01 / 0.1f64.sqrt())).abs() < 1e-5);
}

#[test]
fn optimiser_rejects_bad_hyper_parameters() {
    let vm = VarMap::new();
    assert!(Optimizer::new(OptimizerConfig::rmsprop(-1.0), &vm).is_err());
    assert!(Optimizer::new(
        OptimizerConfig::Adam {
            lr: 1e-3,
            beta1: 1.0,
            beta2: 0.9,
            eps: 1e-7
        },
        &vm
    )
    .is_err());
}

#[cfg(feature = "plot")]
fn history() -> Vec<ser_models::EpochRecord> {
    (1..=20)
        .map(|e| ser_models::EpochRecord {
            epoch: e,
            train_loss: 2.0 / e as f64,
            train_accuracy: 1.0 - 1.0 / (e as f64 + 1.0),
            val_loss: Some(2.2 / e as f64 + 0.05 * e as f64),
            val_accuracy: Some(0.8 - 0.5 / e as f64),
            lr: 1e-3,
            seconds: 0.1,
        })
        .collect()
}

/// Needs the `plot` feature: `cargo test -p ser-models --features plot` (`cargo test --workspace`
/// enables it through the root package's examples).
#[cfg(feature = "plot")]
#[test]
fn plots_render_svg_and_png() {
    let dir = tempfile::tempdir().unwrap();
    let labels = ser_models::LabelSet::study();
    let conf: Vec<Vec<usize>> = (0..8)
        .map(|t| {
            (0..8)
                .map(|p| if t == p { 20 } else { (t + p) % 3 })
                .collect()
        })
        .collect();
    for ext in ["svg", "png"] {
        let h = dir.path().join(format!("history.{ext}"));
        ser_models::plot::plot_history(&history(), "Model B (test)", &h).unwrap();
        let c = dir.path().join(format!("confusion.{ext}"));
        ser_models::plot::plot_confusion(&conf, &labels, "confusion (test)", &c).unwrap();
        for f in [&h, &c] {
            let bytes = std::fs::read(f).unwrap();
            assert!(bytes.len() > 2000, "{f:?} {}", bytes.len());
            if ext == "png" {
                assert_eq!(&bytes[1..4], b"PNG");
            } else {
                let s = String::from_utf8(bytes).unwrap();
                assert!(s.contains("<svg"));
            }
        }
        let svg_or_png = std::fs::read(dir.path().join(format!("confusion.{ext}"))).unwrap();
        if ext == "svg" {
            let s = String::from_utf8(svg_or_png).unwrap();
            assert!(s.contains("surprised") && s.contains("predicted"));
        }
    }
    if let Ok(out) = std::env::var("SER_PLOT_OUT") {
        for f in ["history.png", "confusion.png"] {
            std::fs::copy(dir.path().join(f), std::path::Path::new(&out).join(f)).unwrap();
        }
    }
    assert!(ser_models::plot::plot_history(&history(), "x", dir.path().join("h.jpg")).is_err());
}
