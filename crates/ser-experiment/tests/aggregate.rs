//! Aggregation, model selection and leak reports on hand-made data.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ser_corpus::split::{study_split, LeakKind, Side, StudySplitConfig};
use ser_corpus::Item;
use ser_experiment::{
    mean_std, select_best, sum_confusion, CvSummary, ExperimentError, FoldResult, LeakReport,
};
use ser_models::Metrics;

fn fold(seed: u64, fold: usize, confusion: Vec<Vec<usize>>, best: Option<usize>) -> FoldResult {
    FoldResult {
        seed,
        fold,
        metrics: Metrics::from_confusion(confusion),
        epochs_run: 20,
        best_epoch: best,
        seconds: 2.0,
    }
}

#[test]
fn mean_and_population_std() {
    let m = mean_std(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]);
    assert_eq!((m.mean, m.std), (5.0, 2.0)); // divisor n, not n - 1
    let one = mean_std(&[0.25]);
    assert_eq!((one.mean, one.std), (0.25, 0.0));
    let none = mean_std(&[]);
    assert_eq!((none.mean, none.std), (0.0, 0.0));
}

#[test]
fn confusions_sum_elementwise_and_check_shapes() {
    let a = vec![vec![1, 2], vec![3, 4]];
    let b = vec![vec![10, 0], vec![0, 10]];
    assert_eq!(
        sum_confusion(2, [a.as_slice(), b.as_slice()]).unwrap(),
        vec![vec![11, 2], vec![3, 14]]
    );
    assert_eq!(sum_confusion(3, []).unwrap(), vec![vec![0; 3]; 3]);
    let wide = vec![vec![1, 2, 3], vec![4, 5, 6]];
    let err = sum_confusion(2, [a.as_slice(), wide.as_slice()]).unwrap_err();
    assert!(matches!(
        err,
        ExperimentError::Shape {
            expected: 2,
            actual: 3,
            ..
        }
    ));
    assert!(sum_confusion(3, [a.as_slice()]).is_err());
}

#[test]
fn cv_summary_over_folds_and_seeds() {
    // Two seeds x two folds, three classes; class 2 never in the test sides.
    let runs = [
        fold(
            1,
            0,
            vec![vec![2, 0, 0], vec![0, 2, 0], vec![0; 3]],
            Some(4),
        ), // UAR 1
        fold(
            1,
            1,
            vec![vec![1, 1, 0], vec![0, 2, 0], vec![0; 3]],
            Some(6),
        ), // UAR 0.75
        fold(7, 0, vec![vec![0, 2, 0], vec![0, 2, 0], vec![0; 3]], None), // UAR 0.5
        fold(
            7,
            1,
            vec![vec![2, 0, 0], vec![1, 0, 1], vec![0; 3]],
            Some(8),
        ), // UAR 0.5
    ];
    let s = CvSummary::from_folds(3, &runs).unwrap();
    assert_eq!(s.uar_mean, 0.6875);
    let var = [0.3125f64, 0.0625, -0.1875, -0.1875]
        .iter()
        .map(|d| d * d)
        .sum::<f64>()
        / 4.0;
    assert!((s.uar_std - var.sqrt()).abs() < 1e-15);
    assert_eq!(s.accuracy_mean, (1.0 + 0.75 + 0.5 + 0.5) / 4.0);
    assert_eq!(s.per_fold, vec![0.75, 0.625]);
    assert_eq!(s.seeds, vec![1, 7]);
    assert_eq!(
        s.runs
            .iter()
            .map(|r| (r.seed, r.fold, r.uar))
            .collect::<Vec<_>>(),
        vec![(1, 0, 1.0), (1, 1, 0.75), (7, 0, 0.5), (7, 1, 0.5)]
    );
    assert_eq!(
        s.confusion_sum,
        vec![vec![5, 3, 0], vec![1, 6, 1], vec![0, 0, 0]]
    );
    assert_eq!(s.per_class_recall, vec![Some(5.0 / 8.0), Some(0.75), None]);
    assert_eq!(s.best_epochs, vec![4, 6, 20, 8]);
    assert_eq!(s.mean_best_epoch, 9.5);
    assert_eq!(s.epochs_run, vec![20; 4]);
    assert_eq!(s.seconds, 8.0);
    // serde round trip
    let back: CvSummary = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
    assert_eq!(back, s);
    assert!(matches!(
        CvSummary::from_folds(3, &[]),
        Err(ExperimentError::Empty { .. })
    ));
    assert!(CvSummary::from_folds(2, &runs).is_err());
}

fn summary(uar: f64) -> CvSummary {
    let mut s = CvSummary::from_folds(1, &[fold(0, 0, vec![vec![1]], None)]).unwrap();
    s.uar_mean = uar;
    s
}

#[test]
fn best_mean_uar_wins_ties_go_to_the_first_nan_never() {
    let c = [
        ("a", summary(0.5)),
        ("b", summary(0.7)),
        ("c", summary(0.7)),
        ("d", summary(f64::NAN)),
        ("e", summary(0.6)),
    ];
    assert_eq!(select_best(&c).map(|x| x.0), Some("b"));
    let nan_first = [("n", summary(f64::NAN)), ("m", summary(0.1))];
    assert_eq!(select_best(&nan_first).map(|x| x.0), Some("m"));
    let empty: [(&str, CvSummary); 0] = [];
    assert!(select_best(&empty).is_none());
    assert!(select_best(&[("n", summary(f64::NAN))]).is_none());
}

fn ravdess(actors: std::ops::RangeInclusive<u32>) -> Vec<Item> {
    let mut items = Vec::new();
    for actor in actors {
        for emotion in 1..=8 {
            let name = format!("03-01-{emotion:02}-01-01-01-{actor:02}.wav");
            items.push(Item::from_path(name, None).unwrap());
        }
    }
    items
}

#[test]
fn leak_report_counts_twins_and_speakers() {
    // 10 actors x 8 emotions = 80 clips; with twins 160 items: 128 / 16 / 16.
    let items = ravdess(1..=10);
    let cfg = StudySplitConfig {
        simulated_av_twins: true,
        ..StudySplitConfig::default()
    };
    let r = LeakReport::of(&study_split(&items, &cfg).unwrap(), &[]);
    assert_eq!((r.n_train, r.n_val, r.n_test), (128, 16, 16));
    // The twins are all in front: every validation and test clip's twin is in training.
    assert_eq!(r.twin_in_train[&Side::Validation], 16);
    assert_eq!(r.twin_in_train[&Side::Test], 16);
    assert_eq!(r.performances(), 32);
    assert!(r.leaks.iter().all(|l| l.sides.len() >= 2));
    assert!(r
        .leaks
        .iter()
        .any(|l| l.what == LeakKind::Speaker("ravdess:07".into())
            && l.sides == [Side::Train, Side::Validation]
            && l.to_string() == "speaker ravdess:07 on train and validation"));
    assert!(!r.is_clean());

    // Without twins: no twin leak, the speakers still straddle the sides.
    let plain = LeakReport::of(
        &study_split(&items, &StudySplitConfig::default()).unwrap(),
        &[],
    );
    assert_eq!(plain.twin_in_train.values().sum::<usize>(), 0);
    assert_eq!(plain.performances(), 0);
    assert_eq!(plain.duplicates(), 0);
    assert_eq!(plain.speakers() + plain.performances(), plain.leaks.len());

    // A duplicate group across sides is reported with its paths.
    let dup = vec![vec![items[0].path.clone(), items[79].path.clone()]];
    let d = LeakReport::of(
        &study_split(&items, &StudySplitConfig::default()).unwrap(),
        &dup,
    );
    assert_eq!(d.duplicates(), 1);
    let json = serde_json::to_string(&d).unwrap();
    let back: LeakReport = serde_json::from_str(&json).unwrap();
    assert_eq!(back, d);
}
