#!/usr/bin/env python3
"""Paired comparison of two benchmark result files over the same (seed, fold) runs.

    python3 tools/results/paired.py A.json B.json [KEY ...]

For each KEY (default: ravdess_speaker_6fold and ravdess_speaker_6fold_adapted) prints both
means with their population std over folds, the per-seed means, and A - B paired over every
(seed, fold) run: mean difference, its standard error, and how many runs are higher, lower or
equal. Both files are what `examples/benchmark.rs` writes with `--out`.
"""
import json
import math
import sys


def main() -> None:
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    a = json.load(open(sys.argv[1]))
    b = json.load(open(sys.argv[2]))
    keys = sys.argv[3:] or ["ravdess_speaker_6fold", "ravdess_speaker_6fold_adapted"]
    for key in keys:
        ra = {(r["seed"], r["fold"]): r["uar"] for r in a[key]["runs"]}
        rb = {(r["seed"], r["fold"]): r["uar"] for r in b[key]["runs"]}
        if ra.keys() != rb.keys():
            sys.exit(f"{key}: the two files hold different (seed, fold) runs")
        d = [ra[k] - rb[k] for k in sorted(ra)]
        m = sum(d) / len(d)
        se = math.sqrt(sum((x - m) ** 2 for x in d) / (len(d) - 1) / len(d)) if len(d) > 1 else float("nan")
        hi = sum(x > 1e-9 for x in d)
        lo = sum(x < -1e-9 for x in d)
        seeds = lambda v: " ".join(f"{x:.3f}" for x in v[key]["uar_per_seed"])
        print(f"{key}")
        print(f"  A {a[key]['uar_mean']:.3f} +- {a[key]['uar_std']:.3f} (seeds {seeds(a)})")
        print(f"  B {b[key]['uar_mean']:.3f} +- {b[key]['uar_std']:.3f} (seeds {seeds(b)})")
        print(f"  A - B paired over {len(d)} runs: {m:+.4f} (SE {se:.4f}); "
              f"{hi} higher, {lo} lower, {len(d) - hi - lo} equal")
        folds = zip(a[key]["per_fold"], b[key]["per_fold"])
        print("  per fold:", " ".join(f"{x - y:+.3f}" for x, y in folds))


if __name__ == "__main__":
    main()
