#!/usr/bin/env python3
"""Golden files for ser-mfcc, produced by librosa (versions pinned in requirements.txt).

Run from the repository root:

    python3 tools/golden/make_golden.py [--out crates/ser-mfcc/tests/golden]

For every signal the script stores the exact float32 samples it fed librosa
(`<signal>.f32`, little-endian, already at 22050 Hz; `<signal>_16k.f32` at 16 kHz) and, for
every case, the expected output (`<case>.f32`, little-endian float32, row-major `[rows,
frames]`; the frame-level frontend cases time-major `[frames, n]`). `manifest.json` lists
signals, cases, parameters and shapes; each `frontend_cases` entry carries the ser-mfcc
`FrontendSpec` JSON it checks. The Rust test crates/ser-mfcc/tests/golden.rs recomputes each
case from the stored samples.

The two RAVDESS excerpts come from tests/data/ravdess/ (RAVDESS, Livingstone & Russo 2018,
CC BY-NC-SA 4.0): loaded with librosa.load(sr=22050) (soxr_hq), then 1.0 s cut out.
"""
import argparse
import glob
import json
import os
import sys

import librosa
import numpy as np
import scipy
import soundfile
import soxr

SR = 22050
SR16 = 16000


def signals(repo):
    out = {}
    t = np.arange(SR, dtype=np.float64) / SR
    out["chirp"] = (
        0.5 * librosa.chirp(fmin=100.0, fmax=8000.0, sr=SR, duration=1.0),
        "librosa.chirp(fmin=100, fmax=8000, sr=22050, duration=1.0) * 0.5",
    )
    rng = np.random.default_rng(1234)
    out["noise"] = (
        0.1 * rng.standard_normal(int(0.75 * SR)),
        "0.1 * numpy default_rng(1234).standard_normal(16537)",
    )
    out["silence"] = (np.zeros(int(0.5 * SR)), "zeros, 0.5 s")
    out["short"] = (
        0.3 * np.sin(2 * np.pi * 440.0 * t[:1000]),
        "1000 samples (< n_fft) of a 440 Hz sine * 0.3",
    )
    out["tiny"] = (
        0.3 * np.sin(2 * np.pi * 1000.0 * t[:300]) + 0.05,
        "300 samples (< n_fft/2: iterated reflection) of a 1 kHz sine * 0.3 + 0.05",
    )
    rng = np.random.default_rng(99)
    loud = 0.8 * np.sin(2 * np.pi * 300.0 * t[: SR // 2])
    quiet = 1e-5 * rng.standard_normal(SR // 2)
    out["loud_quiet"] = (
        np.concatenate([loud, quiet]),
        "0.5 s 300 Hz sine * 0.8 then 0.5 s default_rng(99) noise * 1e-5 (below the top_db floor)",
    )
    for name, fname in [
        ("ravdess_neutral", "03-01-01-01-01-01-01.wav"),
        ("ravdess_surprised", "03-01-08-01-01-01-01.wav"),
    ]:
        path = os.path.join(repo, "tests", "data", "ravdess", fname)
        y, sr = librosa.load(path, sr=SR)  # res_type soxr_hq
        assert sr == SR
        out[name] = (
            y[SR : 2 * SR],
            f"RAVDESS {fname} (CC BY-NC-SA 4.0), librosa.load(sr=22050, soxr_hq), samples 22050..44100",
        )
    return {k: (np.asarray(v, dtype=np.float32), d) for k, (v, d) in out.items()}


def signals_16k(repo):
    """Speech-rate signals for the frame-level frontends (log-mel, MFCC + deltas)."""
    out = {}
    out["chirp_16k"] = (
        0.5 * librosa.chirp(fmin=100.0, fmax=7000.0, sr=SR16, duration=1.0),
        "librosa.chirp(fmin=100, fmax=7000, sr=16000, duration=1.0) * 0.5",
    )
    t = np.arange(SR16, dtype=np.float64) / SR16
    out["short_16k"] = (
        0.3 * np.sin(2 * np.pi * 440.0 * t[:1000]),
        "1000 samples of a 440 Hz sine * 0.3 at 16 kHz (7 frames: fewer than a delta window)",
    )
    fname = "03-01-01-01-01-01-01.wav"
    y, sr = librosa.load(os.path.join(repo, "tests", "data", "ravdess", fname), sr=SR16)
    assert sr == SR16
    out["ravdess_neutral_16k"] = (
        y[SR16 : 2 * SR16],
        f"RAVDESS {fname} (CC BY-NC-SA 4.0), librosa.load(sr=16000, soxr_hq), samples 16000..32000",
    )
    return {k: (np.asarray(v, dtype=np.float32), d) for k, (v, d) in out.items()}


def log_mel_spec(**over):
    """A ser-mfcc `FrontendSpec::LogMel` (JSON) with every field: LogMelConfig::default() + over."""
    spec = {
        "kind": "log_mel", "sample_rate": SR16, "n_fft": 512, "win_length": 400, "hop_length": 160,
        "center": True, "pad_mode": "constant", "n_mels": 64, "fmin": 0.0, "fmax": None,
        "mel_scale": "slaney", "mel_norm": "slaney", "ref_power": 1.0, "amin": 1e-10, "top_db": 80.0,
    }
    spec.update(over)
    return spec


def librosa_log_mel(y, spec):
    """power_to_db(melspectrogram(...)) for a log_mel spec, librosa orientation [n_mels, frames]."""
    assert spec["mel_scale"] == "slaney" and spec["mel_norm"] == "slaney" and spec["pad_mode"] == "constant"
    s = librosa.feature.melspectrogram(
        y=y, sr=spec["sample_rate"], n_fft=spec["n_fft"], hop_length=spec["hop_length"],
        win_length=spec["win_length"], center=spec["center"], n_mels=spec["n_mels"],
        fmin=spec["fmin"], fmax=spec["fmax"])
    return librosa.power_to_db(s, ref=spec["ref_power"], amin=spec["amin"], top_db=spec["top_db"])


def mfcc_sequence_spec(n_mfcc=20, n_deltas=2, delta_width=9):
    """A ser-mfcc `FrontendSpec::MfccSequence` (JSON) on the speech configuration."""
    mfcc = {k: v for k, v in log_mel_spec().items() if k != "kind"}
    mfcc.update({"n_mfcc": n_mfcc, "lifter": 0.0})
    return {"kind": "mfcc_sequence", "mfcc": mfcc, "n_deltas": n_deltas, "delta_width": delta_width}


def librosa_mfcc_sequence(y, spec):
    """concatenate([mfcc, delta order 1, .., order n_deltas]), librosa orientation [n, frames]."""
    c = spec["mfcc"]
    m = librosa.feature.mfcc(
        y=y, sr=c["sample_rate"], n_mfcc=c["n_mfcc"], n_fft=c["n_fft"], hop_length=c["hop_length"],
        win_length=c["win_length"], n_mels=c["n_mels"], fmin=c["fmin"], fmax=c["fmax"])
    parts = [m] + [librosa.feature.delta(m, width=spec["delta_width"], order=o)
                   for o in range(1, spec["n_deltas"] + 1)]
    return np.concatenate(parts, axis=0)


def main():
    ap = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.abspath(os.path.join(here, "..", ".."))
    ap.add_argument("--out", default=os.path.join(repo, "crates", "ser-mfcc", "tests", "golden"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)

    sigs = signals(repo)
    manifest = {
        "generator": "tools/golden/make_golden.py",
        "versions": {
            "python": sys.version.split()[0],
            "librosa": librosa.__version__,
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "soundfile": soundfile.__version__,
            "soxr": soxr.__version__,
        },
        "format": "little-endian float32, row-major [rows, frames]",
        "sample_rate": SR,
        "signals": [],
        "cases": [],
    }
    sigs16 = signals_16k(repo)
    for rate, group in [(SR, sigs), (SR16, sigs16)]:
        for name, (y, desc) in group.items():
            y.astype("<f4").tofile(os.path.join(args.out, f"{name}.f32"))
            manifest["signals"].append({"name": name, "file": f"{name}.f32", "n_samples": int(len(y)),
                                        "sample_rate": rate, "source": desc})

    def add(name, sig, kind, params, arr):
        arr = np.ascontiguousarray(arr, dtype="<f4")
        arr.tofile(os.path.join(args.out, f"{name}.f32"))
        manifest["cases"].append(
            {"name": name, "signal": sig, "kind": kind, "params": params, "file": f"{name}.f32", "shape": list(arr.shape)}
        )

    for sig, (y, _) in sigs.items():
        for pad in ["constant", "reflect"]:
            m = librosa.feature.mfcc(y=y, sr=SR, n_mfcc=40, pad_mode=pad)
            add(f"{sig}__mfcc40_{pad}", sig, "mfcc", {"n_mfcc": 40, "pad_mode": pad}, m)

    y = sigs["chirp"][0]
    m = librosa.feature.mfcc(y=y, sr=SR)  # librosa's own defaults: n_mfcc 20
    add("chirp__mfcc20_constant", "chirp", "mfcc", {"n_mfcc": 20, "pad_mode": "constant"}, m)
    m = librosa.feature.mfcc(y=y, sr=SR, n_mfcc=40, lifter=22)
    add("chirp__mfcc40_lifter22", "chirp", "mfcc", {"n_mfcc": 40, "pad_mode": "constant", "lifter": 22.0}, m)
    base = librosa.feature.mfcc(y=y, sr=SR, n_mfcc=40)
    add("chirp__delta1", "chirp", "delta", {"n_mfcc": 40, "pad_mode": "constant", "width": 9, "order": 1},
        librosa.feature.delta(base, width=9, order=1))
    add("chirp__delta2", "chirp", "delta", {"n_mfcc": 40, "pad_mode": "constant", "width": 9, "order": 2},
        librosa.feature.delta(base, width=9, order=2))
    y = sigs["ravdess_neutral"][0]
    m = librosa.feature.mfcc(y=y, sr=SR, n_mfcc=40, htk=True, mel_norm=None, fmin=50.0, fmax=8000.0, n_mels=64)
    add("ravdess_neutral__htk_nonorm", "ravdess_neutral", "mfcc",
        {"n_mfcc": 40, "pad_mode": "constant", "mel_scale": "htk", "mel_norm": "none", "fmin": 50.0, "fmax": 8000.0, "n_mels": 64}, m)

    # Frame-level frontends at 16 kHz, stored time-major [frames, n] as ser-mfcc returns them.
    manifest["frontend_cases"] = []

    def add_frontend(name, sig, spec, arr):
        arr = np.ascontiguousarray(np.asarray(arr).T, dtype="<f4")
        arr.tofile(os.path.join(args.out, f"{name}.f32"))
        manifest["frontend_cases"].append(
            {"name": name, "signal": sig, "spec": spec, "file": f"{name}.f32", "shape": list(arr.shape)}
        )

    for sig in ["chirp_16k", "ravdess_neutral_16k", "short_16k"]:
        spec = log_mel_spec()
        add_frontend(f"{sig}__log_mel64", sig, spec, librosa_log_mel(sigs16[sig][0], spec))
    spec = log_mel_spec(n_fft=400, n_mels=40, fmin=20.0, fmax=7600.0, top_db=None)
    add_frontend("ravdess_neutral_16k__log_mel40_nfft400_nofloor", "ravdess_neutral_16k", spec,
                 librosa_log_mel(sigs16["ravdess_neutral_16k"][0], spec))
    for sig in ["chirp_16k", "ravdess_neutral_16k"]:
        spec = mfcc_sequence_spec()
        add_frontend(f"{sig}__mfcc20_d2", sig, spec, librosa_mfcc_sequence(sigs16[sig][0], spec))

    # Full path (decode + soxr_hq resample + MFCC) per-clip means of the committed fixtures,
    # for the ser-audio + ser-mfcc pipeline test (tests/mfcc_pipeline.rs in the root package).
    manifest["full_path_means"] = []
    for sub in ["ravdess", "savee"]:
        for path in sorted(glob.glob(os.path.join(repo, "tests", "data", sub, "*.wav"))):
            y, sr = librosa.load(path, sr=SR)
            entry = {"file": os.path.relpath(path, repo), "n_samples": int(len(y))}
            for pad in ["constant", "reflect"]:
                m = librosa.feature.mfcc(y=y, sr=SR, n_mfcc=40, pad_mode=pad)
                entry[f"mean_{pad}"] = [float(v) for v in m.mean(axis=1)]
            manifest["full_path_means"].append(entry)

    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(args.out, x)) for x in os.listdir(args.out))
    print(f"wrote {len(manifest['signals'])} signals, {len(manifest['cases'])} + "
          f"{len(manifest['frontend_cases'])} cases, {total} bytes to {args.out}")


if __name__ == "__main__":
    main()
