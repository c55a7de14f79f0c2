//! The fold runner: the same numbers for any thread count and schedule, results in job order,
//! longest first.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, Mutex};

use ndarray::Array2;
use ser_experiment::{
    map_longest_first, run_jobs, Job, JobResult, ProgressEvent, RunnerConfig, Schedule,
};
use ser_labels::LabelSet;
use ser_models::{Arch, Dataset, EarlyStopping, TrainConfig};

/// 48 rows of 40 features, 8 classes, deterministic.
fn data(offset: usize) -> Arc<Dataset> {
    let n = 48;
    let labels: Vec<usize> = (0..n).map(|i| (i + offset) % 8).collect();
    let x = Array2::from_shape_fn((n, 40), |(i, j)| {
        let c = labels[i] as f32;
        ((i * 31 + j * 17 + offset) % 13) as f32 / 13.0 + if j % 8 == labels[i] { c } else { 0.0 }
    });
    Arc::new(Dataset::new(x, labels, 8).unwrap())
}

fn jobs() -> Vec<Job<(Arch, u64)>> {
    let mut out = Vec::new();
    for (arch, seed, epochs) in [
        (Arch::B, 1, 2),
        (Arch::C, 2, 3),
        (Arch::D, 3, 2),
        (Arch::B, 4, 4),
        (Arch::C, 5, 1),
    ] {
        out.push(Job {
            key: (arch, seed),
            description: format!("test {arch:?} seed {seed}"),
            model: arch.default_config(),
            train_config: TrainConfig {
                epochs,
                seed,
                batch_size: 16,
                early_stopping: (seed % 2 == 0).then(EarlyStopping::default),
                ..TrainConfig::study(arch)
            },
            features: ser_corpus::FeatureConfig::study().frontend,
            labels: LabelSet::study(),
            train: data(0),
            validation: Some(data(3)),
            evals: vec![("test".into(), data(5))],
        });
    }
    out
}

/// The results without wall-clock times.
fn numbers(rs: &[JobResult<(Arch, u64)>]) -> Vec<JobResult<(Arch, u64)>> {
    rs.iter()
        .cloned()
        .map(|mut r| {
            r.seconds = 0.0;
            r.history.iter_mut().for_each(|h| h.seconds = 0.0);
            r
        })
        .collect()
}

#[test]
fn same_numbers_for_any_thread_count_and_schedule() {
    // Each training single-threaded, as a driver sets it (this binary has only this test).
    std::env::set_var("RAYON_NUM_THREADS", "1");
    let jobs = jobs();
    let run = |threads, schedule| {
        let events = Mutex::new(Vec::new());
        let rs = run_jobs(
            &jobs,
            &RunnerConfig { threads, schedule },
            &|ev: ProgressEvent<'_, (Arch, u64)>| {
                let e = match ev {
                    ProgressEvent::Started { index, .. } => ("start", index, 0),
                    ProgressEvent::Finished {
                        index, done, total, ..
                    } => {
                        assert_eq!(total, 5);
                        ("finish", index, done)
                    }
                    _ => ("other", 0, 0),
                };
                events.lock().unwrap().push(e);
            },
        )
        .unwrap();
        (rs, events.into_inner().unwrap())
    };
    let (one, ev_one) = run(1, Schedule::LongestFirst);
    let (three, ev_three) = run(3, Schedule::LongestFirst);
    let (given, ev_given) = run(2, Schedule::AsGiven);
    // Results come back in job order.
    let keys: Vec<_> = one.iter().map(|r| r.key).collect();
    assert_eq!(keys, jobs.iter().map(|j| j.key).collect::<Vec<_>>());
    assert_eq!(numbers(&one), numbers(&three));
    assert_eq!(numbers(&one), numbers(&given));
    assert!(one
        .iter()
        .all(|r| r.evals.len() == 1 && r.eval("test").is_some()));
    assert!(one.iter().all(|r| r.n_train == 48 && r.n_val == 48));
    // One thread: jobs start longest first (estimated cost, ties in job order).
    let starts: Vec<usize> = ev_one
        .iter()
        .filter(|e| e.0 == "start")
        .map(|e| e.1)
        .collect();
    let mut by_cost: Vec<usize> = (0..jobs.len()).collect();
    by_cost.sort_by(|&a, &b| {
        jobs[b]
            .estimated_cost()
            .total_cmp(&jobs[a].estimated_cost())
    });
    assert_eq!(starts, by_cost);
    for ev in [&ev_one, &ev_three, &ev_given] {
        let mut done: Vec<usize> = ev.iter().filter(|e| e.0 == "finish").map(|e| e.2).collect();
        done.sort_unstable();
        assert_eq!(done, vec![1, 2, 3, 4, 5]);
    }
}

#[test]
fn map_longest_first_keeps_task_order() {
    let tasks = [3.0, 9.0, 1.0, 9.0, 5.0];
    let started = Mutex::new(Vec::new());
    let out = map_longest_first(
        &tasks,
        1,
        |&c| c,
        |i, &c| {
            started.lock().unwrap().push(i);
            c * 2.0
        },
    )
    .unwrap();
    assert_eq!(out, vec![6.0, 18.0, 2.0, 18.0, 10.0]);
    assert_eq!(started.into_inner().unwrap(), vec![1, 3, 4, 0, 2]);
    let many = map_longest_first(&tasks, 4, |&c| c, |i, _| i).unwrap();
    assert_eq!(many, vec![0, 1, 2, 3, 4]);
}

#[test]
fn train_or_load_trains_once_then_loads_the_same_weights() {
    let dir = tempfile::tempdir().unwrap();
    let all = jobs();
    let job = &all[0];
    let key = job.weights_key().unwrap();
    // The key covers the seed and the data.
    assert_ne!(key, all[3].weights_key().unwrap());
    let mut other_data = job.clone();
    other_data.train = data(1);
    assert_ne!(key, other_data.weights_key().unwrap());

    let first = ser_experiment::train_or_load(job, Some(dir.path())).unwrap();
    let saved = dir.path().join(&key);
    assert!(saved.join("model.json").is_file());
    // A second call loads what the first saved: same weights, same training record.
    let modified = std::fs::metadata(saved.join("model.json"))
        .unwrap()
        .modified()
        .unwrap();
    let second = ser_experiment::train_or_load(job, Some(dir.path())).unwrap();
    assert_eq!(
        std::fs::metadata(saved.join("model.json"))
            .unwrap()
            .modified()
            .unwrap(),
        modified,
        "the checkpoint was written again"
    );
    assert_eq!(first.meta(), second.meta());
    let same_weights = |a: &ser_models::Classifier, b: &ser_models::Classifier| {
        let (a, b) = (a.weights().unwrap(), b.weights().unwrap());
        assert_eq!(a.len(), b.len());
        for (name, t) in &a {
            let x: Vec<f32> = t.flatten_all().unwrap().to_vec1().unwrap();
            let y: Vec<f32> = b[name].flatten_all().unwrap().to_vec1().unwrap();
            assert_eq!(x, y, "{name}");
        }
    };
    same_weights(&first, &second);
    // Without a run directory it trains again, deterministically.
    let fresh = ser_experiment::train_or_load(job, None).unwrap();
    same_weights(&first, &fresh);
    // A broken checkpoint in the run directory is trained again and replaced.
    std::fs::write(saved.join("model.safetensors"), b"broken").unwrap();
    let again = ser_experiment::train_or_load(job, Some(dir.path())).unwrap();
    same_weights(&first, &again);
    assert!(ser_models::Classifier::from_dir(&saved).is_ok());
}
