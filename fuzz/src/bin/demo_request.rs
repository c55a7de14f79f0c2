//! AFL++ fuzz target `demo_request`: see `../../targets.rs` for what it exercises.
#[path = "../../targets.rs"]
mod targets;

fn main() {
    afl::fuzz_nohook!(|data: &[u8]| {
        targets::demo_request(data);
    });
}
