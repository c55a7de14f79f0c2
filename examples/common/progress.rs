//! Progress display of feature extraction for the examples (`#[path]`-included): the library
//! only reports counts through `ExtractOptions::progress`; drawing is the caller's job.

use std::io::IsTerminal;
use std::sync::Arc;

/// A progress callback for `ExtractOptions::progress`: an indicatif bar when standard error is
/// a terminal, else a `features: done/total clips` line every 10 %; `None` when `hidden`.
pub fn feature_progress(hidden: bool) -> Option<Arc<dyn Fn(usize, usize) + Send + Sync>> {
    if hidden {
        return None;
    }
    if !std::io::stderr().is_terminal() {
        return Some(Arc::new(|done, total| {
            if done % (total / 10).max(1) == 0 || done == total {
                eprintln!("features: {done}/{total} clips");
            }
        }));
    }
    let bar = indicatif::ProgressBar::new(0);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "features {bar:40} {pos}/{len} clips {elapsed_precise} eta {eta}",
    ) {
        bar.set_style(style);
    }
    Some(Arc::new(move |_, total| {
        bar.set_length(total as u64);
        bar.inc(1);
        if bar.position() >= total as u64 {
            bar.finish();
        }
    }))
}
