//! Times `ser_audio::load` (decode + mono + resample to 22050 Hz, single thread) over every
//! audio file under a directory ([`ser_audio::discover::audio_files`]), e.g. the RAVDESS corpus
//! copy:
//!
//! ```sh
//! cargo run --release -p ser-audio --example load_all -- "$SER_DATA_DIR/ravdess"
//! ```
//!
//! With `--native` first, keeps the files' own rate (decode + mono only).
//!
//! With `--dump FILE OUT`, writes `load(FILE)` at 22050 Hz as raw little-endian f32 to OUT
//! (used to compare against `librosa.load`).

use std::time::Instant;

use ser_audio::{load, LoadOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--dump") {
        let (Some(file), Some(out)) = (args.get(1), args.get(2)) else {
            return Err("usage: load_all --dump FILE OUT".into());
        };
        let a = load(file, &LoadOptions::default())?;
        let bytes: Vec<u8> = a.samples.iter().flat_map(|v| v.to_le_bytes()).collect();
        std::fs::write(out, bytes)?;
        println!(
            "{} samples at {} Hz -> {out}",
            a.samples.len(),
            a.sample_rate
        );
        return Ok(());
    }
    let native = args.first().map(String::as_str) == Some("--native");
    let args = if native { &args[1..] } else { &args[..] };
    let dir = args
        .first()
        .ok_or("usage: load_all [--native] DIR | load_all --dump FILE OUT")?;
    let files = ser_audio::discover::audio_files(dir)?;
    let opts = if native {
        LoadOptions::native_rate()
    } else {
        LoadOptions::default()
    };
    let t0 = Instant::now();
    let (mut ok, mut samples, mut source_secs) = (0usize, 0usize, 0.0f64);
    for f in &files {
        match load(f, &opts) {
            Ok(a) => {
                ok += 1;
                samples += a.samples.len();
                source_secs += a.duration_secs();
            }
            Err(e) => eprintln!("{e}"),
        }
    }
    let dt = t0.elapsed().as_secs_f64();
    println!(
        "{ok}/{} files, {samples} samples at {} ({:.1} s of audio) in {dt:.3} s: {:.2} ms/file, {:.0}x real time",
        files.len(),
        if native { "the files' rates" } else { "22050 Hz" },
        source_secs,
        1e3 * dt / ok.max(1) as f64,
        source_secs / dt
    );
    Ok(())
}
