//! Criterion benchmarks of ser-models inference: one 40-vector through each seed model
//! (`infer/model_a` .. `infer/model_d`) and a batch of 256 through Model_B.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use criterion::{criterion_group, criterion_main, Criterion};
use ser_models::{Classifier, SeedModel};
use std::hint::black_box;

fn features(i: usize) -> Vec<f32> {
    // An MFCC-mean-like vector: large negative c0, decaying higher coefficients.
    (0..40)
        .map(|j| {
            if j == 0 {
                -550.0 + i as f32
            } else {
                40.0 / (j as f32) * ((i + j) as f32).sin()
            }
        })
        .collect()
}

fn benches(c: &mut Criterion) {
    let x = features(0);
    for (name, which) in [
        ("infer/model_a", SeedModel::A),
        ("infer/model_b", SeedModel::B),
        ("infer/model_c", SeedModel::C),
        ("infer/model_d", SeedModel::D),
    ] {
        let m = Classifier::seed(which).unwrap();
        c.bench_function(name, |b| b.iter(|| m.predict(black_box(&x)).unwrap()));
    }
    let m = Classifier::seed(SeedModel::B).unwrap();
    let rows: Vec<f32> = (0..256).flat_map(features).collect();
    let batch = ndarray::Array2::from_shape_vec((256, 40), rows).unwrap();
    c.bench_function("infer/model_b_batch256", |b| {
        b.iter(|| m.predict_batch(black_box(batch.view())).unwrap())
    });
}

criterion_group!(group, benches);
criterion_main!(group);
