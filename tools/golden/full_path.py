#!/usr/bin/env python3
"""How far the full Rust path (ser-audio decode + resample, then ser-mfcc) moves the per-clip
mean MFCC against librosa's own full path (librosa.load at 22050 Hz with soxr_hq, then
librosa.feature.mfcc, n_mfcc 40), on the 12 clips the 2019 study shipped
(<data>/seed/RAVDESS_files/*.wav, <data>/seed/SAVEE_files/*.wav).

    cargo build --release --example mfcc
    SER_DATA_DIR=/path/to/data python3 tools/golden/full_path.py [--bin target/release/examples/mfcc]

Prints, per clip and pad mode, max and mean |difference| of the 40-d mean vectors, and the
same for "MFCC only" (librosa vs ser-mfcc on librosa's resampled samples is what the golden
tests cover; here both sides decode and resample on their own).
"""
import argparse
import glob
import json
import os
import subprocess
import sys

import librosa
import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", default=os.environ.get("SER_DATA_DIR"))
    ap.add_argument("--bin", default=os.path.join("target", "release", "examples", "mfcc"))
    args = ap.parse_args()
    if not args.data_dir:
        print("set SER_DATA_DIR or pass --data-dir", file=sys.stderr)
        sys.exit(2)
    clips = sorted(glob.glob(os.path.join(args.data_dir, "seed", "RAVDESS_files", "*.wav"))) + sorted(
        glob.glob(os.path.join(args.data_dir, "seed", "SAVEE_files", "*.wav"))
    )
    print(f"librosa {librosa.__version__}; {len(clips)} clips")
    for pad in ["constant", "reflect"]:
        maxes, means, rel = [], [], []
        for path in clips:
            y, sr = librosa.load(path, sr=22050)  # soxr_hq
            ref = librosa.feature.mfcc(y=y, sr=sr, n_mfcc=40, pad_mode=pad)
            ref_mean = ref.mean(axis=1)
            out = subprocess.run(
                [args.bin, "--mean", "--pad-mode", pad, path], check=True, capture_output=True, text=True
            ).stdout
            ours = json.loads(out)
            assert ours["frames"] == ref.shape[1], (path, ours["frames"], ref.shape)
            d = np.abs(np.asarray(ours["mean"], dtype=np.float64) - ref_mean)
            maxes.append(d.max())
            means.append(d.mean())
            rel.append(d.max() / np.abs(ref_mean).max())
            print(f"  {pad:8} {os.path.basename(path):28} frames {ref.shape[1]:4} max|d| {d.max():.4f} mean|d| {d.mean():.5f} (argmax c{d.argmax()})")
        print(
            f"{pad}: over {len(clips)} clips max|d| {max(maxes):.4f}, mean of per-clip max {np.mean(maxes):.4f}, "
            f"mean|d| {np.mean(means):.5f}, max relative to the clip's largest |coef| {max(rel):.2e}"
        )


if __name__ == "__main__":
    main()
