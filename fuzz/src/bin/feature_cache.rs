//! AFL++ fuzz target `feature_cache`: see `../../targets.rs` for what it exercises.
#[path = "../../targets.rs"]
mod targets;

fn main() {
    afl::fuzz_nohook!(|data: &[u8]| {
        targets::feature_cache(data);
    });
}
