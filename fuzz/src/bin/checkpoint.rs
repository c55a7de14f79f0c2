//! AFL++ fuzz target `checkpoint`: see `../../targets.rs` for what it exercises.
#[path = "../../targets.rs"]
mod targets;

fn main() {
    afl::fuzz_nohook!(|data: &[u8]| {
        targets::checkpoint(data);
    });
}
