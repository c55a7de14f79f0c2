#!/usr/bin/env python3
"""Time librosa on the corpus-features task: for every clip under DIR (sorted, recursive,
.wav/.flac), librosa.load(path, sr=22050) then the mean over time of
librosa.feature.mfcc(y=y, sr=22050, n_mfcc=40). One process, as the study did.

Usage: python3 tools/bench/corpus_librosa.py /work/shared/data/ravdess [--out feats.npy]

Prints the clip count, wall time, CPU time and the librosa/numpy versions. With --out, saves the
[n_clips, 40] matrix (float32) so it can be compared with the Rust features.
"""
import argparse
import os
import sys
import time

import numpy as np
import librosa


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--out")
    ap.add_argument("--limit", type=int, default=0, help="only the first N clips")
    args = ap.parse_args()
    paths = []
    for root, _dirs, files in os.walk(args.dir):
        for f in files:
            if f.lower().endswith((".wav", ".flac")):
                paths.append(os.path.join(root, f))
    paths.sort()
    if args.limit:
        paths = paths[: args.limit]
    # Warm the imports/caches outside the timing (numba JIT, resampler filters) on one clip.
    y, sr = librosa.load(paths[0], sr=22050)
    librosa.feature.mfcc(y=y, sr=sr, n_mfcc=40)
    t0, c0 = time.perf_counter(), time.process_time()
    feats = np.empty((len(paths), 40), dtype=np.float32)
    for i, p in enumerate(paths):
        y, sr = librosa.load(p, sr=22050)
        feats[i] = np.mean(librosa.feature.mfcc(y=y, sr=sr, n_mfcc=40), axis=1)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(
        f"librosa {librosa.__version__} numpy {np.__version__}: {len(paths)} clips in "
        f"{wall:.2f} s wall, {cpu:.2f} s CPU ({wall / len(paths) * 1e3:.2f} ms/clip)"
    )
    if args.out:
        np.save(args.out, feats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
