#!/usr/bin/env python3
"""Times librosa.feature.mfcc on the same samples as benches/mfcc.rs (the librosa side of
docs/PERFORMANCE.md). Versions: requirements.txt. Run from the repository root:

    python3 tools/golden/bench_librosa.py [--repeat 200]

Prints the median and the minimum wall time per call for 1 s, 3 s and 60 s of audio
(40 MFCCs, sr 22050, librosa defaults otherwise) and for the STFT power spectrum alone.
Set OMP_NUM_THREADS / OPENBLAS_NUM_THREADS=1 for a single-thread comparison.
"""
import argparse
import statistics
import time

import librosa
import numpy as np

SR = 22050
M64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def splitmix64(i):
    with np.errstate(over="ignore"):
        z = i + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def signal(seconds):
    """Same formula as benches/mfcc.rs::signal."""
    i = np.arange(seconds * SR, dtype=np.uint64)
    t = i.astype(np.float64) / SR
    noise = (splitmix64(i) >> np.uint64(40)).astype(np.float64) / float(1 << 24) * 2.0 - 1.0
    v = (
        0.4 * np.sin(2 * np.pi * 220.0 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 3.0 * t))
        + 0.2 * np.sin(2 * np.pi * 1250.0 * t)
        + 0.05 * noise
    )
    return v.astype(np.float32)


def timeit(f, repeat):
    f()  # warm-up (numba/JIT, caches)
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts), min(ts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=200)
    args = ap.parse_args()
    print(f"librosa {librosa.__version__}, numpy {np.__version__}")
    for secs in [1, 3, 60]:
        y = signal(secs)
        rep = max(5, args.repeat // (20 if secs == 60 else 1))
        med, best = timeit(lambda: librosa.feature.mfcc(y=y, sr=SR, n_mfcc=40), rep)
        print(f"librosa mfcc/{secs}s: median {med * 1e3:.3f} ms, min {best * 1e3:.3f} ms ({rep} runs)")
    y = signal(3)
    med, best = timeit(lambda: np.abs(librosa.stft(y, n_fft=2048, hop_length=512)) ** 2, args.repeat)
    print(f"librosa fft/3s (|stft|^2): median {med * 1e3:.3f} ms, min {best * 1e3:.3f} ms ({args.repeat} runs)")


if __name__ == "__main__":
    main()
