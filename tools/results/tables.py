#!/usr/bin/env python3
"""Markdown tables of the speaker-independent benchmark, from docs/results.json.

Usage: python3 tools/results/tables.py [docs/results.json] > /tmp/tables.md

Every number in docs/RESULTS.md section 0 comes from this script's output over the JSON that
`cargo run --release --example benchmark` writes (never edited by hand).
"""
import json
import sys


def fmt(v):
    return "n/a" if v is None else f"{v:.3f}"


def row(name, e):
    folds = " ".join(f"{x:.3f}" for x in e.get("per_fold", []))
    seeds = ",".join(str(s) for s in e.get("seeds", []))
    models = e.get("recipe", {}).get("ensemble", 1)
    return (f"| {name} | **{fmt(e['uar_mean'])}** ± {fmt(e['uar_std'])} | {fmt(e.get('accuracy_mean'))} "
            f"| {folds} | {seeds} | {models} | {e.get('train_seconds_total', 0):.0f} |")


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "docs/results.json"
    r = json.load(open(path))
    print("| protocol | UAR mean ± std (over folds) | accuracy | per fold | seeds | models (ensemble) | training s (1 thread, all runs) |")
    print("|---|---|---|---|---|---|---|")
    for key, name in [
        ("ravdess_speaker_6fold", "RAVDESS 6-fold, one clip at a time"),
        ("ravdess_speaker_6fold_adapted", "RAVDESS 6-fold, adapted per speaker"),
        ("ravdess_speaker_6fold_with_song", "RAVDESS 6-fold + song in training"),
        ("ravdess_speaker_6fold_with_song_adapted", "RAVDESS 6-fold + song, adapted"),
        ("emodb_loso", "EmoDB leave-one-speaker-out (7 classes)"),
        ("emodb_loso_adapted", "EmoDB LOSO, adapted"),
    ]:
        if key in r:
            print(row(name, r[key]))
    if "cross_corpus" in r:
        print()
        print("| held out (trained on the others) | UAR | accuracy | UAR adapted | accuracy adapted |")
        print("|---|---|---|---|---|")
        h = r["cross_corpus"]["held_out"]
        for name in [k for k in h if not k.endswith("_adapted")]:
            g, a = h[name], h.get(name + "_adapted", {})
            print(f"| {name} | {fmt(g['uar_mean'])} | {fmt(g.get('accuracy_mean'))} "
                  f"| {fmt(a.get('uar_mean'))} | {fmt(a.get('accuracy_mean'))} |")
    for key in ["ablation", "recipe_selection"]:
        if key in r:
            print()
            print(f"{key}: {r[key]['protocol']}")
            print()
            print("| variant | UAR one clip at a time | UAR adapted | per fold (global) | per fold (adapted) |")
            print("|---|---|---|---|---|")
            rows = r[key]["rows"]
            names = []
            for x in rows:
                if x["variant"] not in names:
                    names.append(x["variant"])
            for n in names:
                g = next(x for x in rows if x["variant"] == n and not x["adapted"])
                a = next(x for x in rows if x["variant"] == n and x["adapted"])
                pf = lambda e: " ".join(f"{v:.3f}" for v in e["per_fold"])
                print(f"| {n} | {fmt(g['uar_mean'])} | {fmt(a['uar_mean'])} | {pf(g)} | {pf(a)} |")


if __name__ == "__main__":
    main()
