#!/usr/bin/env python3
"""Golden reference for the imported seed models, made outside Rust.

Usage: python3 tools/convert/reference.py /work/shared/data/seed crates/ser-models/tests/data/seed_reference.json

For each of the 12 study clips (seed/RAVDESS_files/*.wav, seed/SAVEE_files/*.wav) it computes the
feature vector with librosa 0.11 exactly as the study did with librosa 0.6.3:
`y, _ = librosa.load(path, sr=22050)`, `librosa.feature.mfcc(y=y, sr=22050, n_mfcc=40,
pad_mode='reflect').mean(axis=1)`, and runs the four Keras models on it with a forward pass written
here in pure numpy straight from the .h5 weights, in Keras semantics (channels-last Conv1D with
kernel (k, in, out), 'valid'/'same' padding, MaxPooling1D that drops the tail, Flatten over
(time, channel), LSTM with gates i, f, c, o, tanh activation and hard-sigmoid recurrent activation).
It does not use the converted safetensors, so the Rust test checks the conversion too.
The features and the probabilities are written to a JSON file that the Rust test reads.
"""
import glob
import json
import os
import sys

import h5py
import librosa
import numpy as np


def w(f, layer, name):
    return np.asarray(f[layer][layer][name], dtype=np.float64)


def conv1d(x, kernel, bias, padding):
    """x (L, Cin), kernel (k, Cin, Cout) -> (L', Cout), Keras Conv1D with stride 1."""
    k = kernel.shape[0]
    if padding == "same":
        left = (k - 1) // 2
        right = k - 1 - left
        x = np.pad(x, ((left, right), (0, 0)))
    out_len = x.shape[0] - k + 1
    y = np.zeros((out_len, kernel.shape[2]))
    for j in range(k):
        y += x[j : j + out_len] @ kernel[j]
    return y + bias


def relu(x):
    return np.maximum(x, 0.0)


def maxpool(x, size):
    n = x.shape[0] // size
    return x[: n * size].reshape(n, size, x.shape[1]).max(axis=1)


def softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


def hard_sigmoid(x):
    return np.clip(0.2 * x + 0.5, 0.0, 1.0)


def model_a(f, feat):
    kern, rec, b = w(f, "lstm_1", "kernel:0"), w(f, "lstm_1", "recurrent_kernel:0"), w(f, "lstm_1", "bias:0")
    units = rec.shape[0]
    h = np.zeros(units)
    c = np.zeros(units)
    for t in range(feat.shape[0]):
        z = feat[t : t + 1] @ kern + h @ rec + b
        i = hard_sigmoid(z[:units])
        fg = hard_sigmoid(z[units : 2 * units])
        g = np.tanh(z[2 * units : 3 * units])
        o = hard_sigmoid(z[3 * units :])
        c = fg * c + i * g
        h = o * np.tanh(c)
    x = relu(h @ w(f, "dense_1", "kernel:0") + w(f, "dense_1", "bias:0"))
    x = relu(x @ w(f, "dense_2", "kernel:0") + w(f, "dense_2", "bias:0"))
    return softmax(x @ w(f, "dense_3", "kernel:0") + w(f, "dense_3", "bias:0"))


def conv_model(f, feat, convs, pools, padding, dense):
    x = feat.reshape(-1, 1)
    for i, layer in enumerate(convs):
        x = relu(conv1d(x, w(f, layer, "kernel:0"), w(f, layer, "bias:0"), padding))
        if i in pools:
            x = maxpool(x, pools[i])
    x = x.reshape(-1)  # Flatten over (time, channel), row-major
    return softmax(x @ w(f, dense, "kernel:0") + w(f, dense, "bias:0"))


def model_b(f, feat):
    return conv_model(f, feat, ["conv1d_5", "conv1d_6", "conv1d_7", "conv1d_8"], {1: 2, 3: 2}, "valid", "dense_5")


def model_c(f, feat):
    return conv_model(f, feat, ["conv1d_1", "conv1d_2", "conv1d_3", "conv1d_4"], {1: 8}, "same", "dense_4")


def model_d(f, feat):
    return conv_model(f, feat, ["conv1d_9", "conv1d_10"], {0: 8}, "same", "dense_6")


def main():
    seed_dir, out = sys.argv[1], sys.argv[2]
    files = sorted(glob.glob(os.path.join(seed_dir, "RAVDESS_files", "*.wav"))) + sorted(
        glob.glob(os.path.join(seed_dir, "SAVEE_files", "*.wav"))
    )
    models = {m: h5py.File(os.path.join(seed_dir, f"Model_{m}.h5"), "r") for m in "ABCD"}
    fns = {"A": model_a, "B": model_b, "C": model_c, "D": model_d}
    clips = []
    for path in files:
        y, _ = librosa.load(path, sr=22050)
        feat = librosa.feature.mfcc(y=y, sr=22050, n_mfcc=40, pad_mode="reflect").mean(axis=1)
        feat32 = feat.astype(np.float32)
        entry = {"file": os.path.relpath(path, seed_dir), "features": [float(v) for v in feat32]}
        for m in "ABCD":
            p = fns[m](models[m], feat32.astype(np.float64))
            entry[f"probs_{m.lower()}"] = [float(v) for v in p]
            entry[f"argmax_{m.lower()}"] = int(np.argmax(p))
        clips.append(entry)
        print(entry["file"], [entry[f"argmax_{m.lower()}"] for m in "ABCD"])
    doc = {
        "description": "Features (librosa %s, mfcc n_mfcc=40 pad_mode=reflect, mean over time) of the "
        "12 study clips and the probabilities of the study's Keras models computed by "
        "tools/convert/reference.py (pure numpy, float64, from the .h5 weights)." % librosa.__version__,
        "labels": ["neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised"],
        "attribution": "Clips: RAVDESS (Livingstone & Russo 2018, CC BY-NC-SA 4.0) and SAVEE "
        "(Jackson & Haq 2014); weights: Anurag Das 2019.",
        "clips": clips,
    }
    with open(out, "w") as fh:
        json.dump(doc, fh, indent=1)
        fh.write("\n")


if __name__ == "__main__":
    main()
