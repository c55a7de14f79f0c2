//! Scanning the committed fixture tree (tests/data; RAVDESS material is CC BY-NC-SA 4.0, see
//! tests/data/README.md): every file is either an item or a rejected file with a reason.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;

use ser::corpus::split::{study_split, StudySplitConfig};
use ser::corpus::{scan, CorpusKind, Emotion, Gender};

use common::fixtures_dir;

fn count_files(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            if p.is_dir() {
                count_files(&p)
            } else {
                1
            }
        })
        .sum()
}

#[test]
fn fixture_tree_nothing_dropped() {
    let root = fixtures_dir();
    let c = scan(&root).unwrap();
    assert_eq!(c.items.len() + c.rejected.len(), count_files(&root));
    let rel = |p: &Path| p.strip_prefix(&root).unwrap().display().to_string();
    // sorted, deterministic
    let paths: Vec<String> = c.items.iter().map(|i| rel(&i.path)).collect();
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted);
    assert!(paths.contains(&"ravdess/03-01-02-01-01-02-01.flac".to_string()));
    let savee: Vec<_> = c
        .items
        .iter()
        .filter(|i| i.corpus == CorpusKind::Savee)
        .collect();
    assert_eq!(savee.len(), 4);
    assert!(savee
        .iter()
        .all(|i| i.speaker.is_none() && i.gender == Some(Gender::Male)));
    let emotions: Vec<Emotion> = savee.iter().map(|i| i.emotion().unwrap()).collect();
    assert_eq!(
        emotions,
        [
            Emotion::Disgust,
            Emotion::Fearful,
            Emotion::Sad,
            Emotion::Surprised
        ]
    );
    let rejected: Vec<String> = c.rejected.iter().map(|r| rel(&r.path)).collect();
    for f in ["README.md", "broken/text.txt", "broken/garbage.wav"] {
        assert!(rejected.contains(&f.to_string()), "{rejected:?}");
    }
    // the same clip in 5 containers = one performance
    let twins = c.twins();
    assert_eq!(twins.len(), 1);
    assert_eq!(twins[0].len(), 5);
    // the study protocol on this tiny corpus
    let s = study_split(&c.items, &StudySplitConfig::default()).unwrap();
    assert_eq!(
        s.train.len() + s.validation.len() + s.test.len(),
        c.items.len()
    );
}
