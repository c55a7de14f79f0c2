#!/usr/bin/env python3
"""Convert the study's Keras 2.2.4 weight files (Model_{A,B,C,D}.h5, `save_weights` layout) into
ser-models checkpoints: `model_{a,b,c,d}.safetensors` + `model_{a,b,c,d}.json`.

Usage: python3 tools/convert/convert_keras.py /work/shared/data/seed crates/ser-models/assets/seed

The weights are stored in the layout the candle modules of ser-models expect, so the Rust side
loads them with no transposes:

* Conv1D: Keras kernel `(k, in, out)` -> candle `conv{i}.weight` `(out, in, k)` (transpose 2,1,0);
  bias `(out,)` -> `conv{i}.bias`.
* Dense: Keras kernel `(in, out)` -> candle `weight` `(out, in)` (transpose).
* Dense after Flatten: Keras flattens the channels-last activation `(time, channel)`, i.e. input
  row `t * C + c`; candle's activation is `(channel, time)` and flattens to `c * L + t`. The kernel
  rows are permuted from Keras order to candle order before the transpose.
* LSTM: kept in Keras layout (gate order i, f, c, o): `lstm.kernel` `(in, 4h)`,
  `lstm.recurrent_kernel` `(h, 4h)`, `lstm.bias` `(4h,)`; the Rust LSTM computes
  `x @ kernel + h @ recurrent_kernel + bias` with the hard-sigmoid recurrent activation of Keras 2.2.4.

The JSON is the same checkpoint format ser-models writes for its own trained models.
Weights: released by Anurag Das (2019) with the study, trained on RAVDESS (Livingstone & Russo,
2018, doi:10.1371/journal.pone.0196391), licensed CC BY-NC-SA 4.0.
"""
import json
import os
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st  # noqa: E402

LABELS = ["neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised"]

# The feature configuration of the study: librosa 0.6 MFCC defaults (reflect padding); the same
# value as `ser_mfcc::MfccConfig::librosa_0_6()` serialised (a Rust test checks they are equal).
FEATURES_JSON = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mfcc_librosa_0_6.json")

PROVENANCE = (
    "Weights of the study's Model_{m} (Keras 2.2.4, file Model_{m}.h5), released by Anurag Das (2019) "
    "with 'A deep learning approach towards classifying emotion from audio data'; trained on RAVDESS "
    "(Livingstone & Russo, 2018, PLoS ONE, doi:10.1371/journal.pone.0196391), CC BY-NC-SA 4.0. "
    "Converted by tools/convert/convert_keras.py (Keras channels-last layout -> candle layout)."
)

CONV_LAYERS = {
    "B": ["conv1d_5", "conv1d_6", "conv1d_7", "conv1d_8"],
    "C": ["conv1d_1", "conv1d_2", "conv1d_3", "conv1d_4"],
    "D": ["conv1d_9", "conv1d_10"],
}
DENSE_LAYER = {"B": "dense_5", "C": "dense_4", "D": "dense_6"}

MODEL_CONFIG = {
    "A": {"arch": "A", "input_len": 40, "n_classes": 8, "hidden": 128, "dense": [64, 32], "dropout": 0.4,
          "recurrent_activation": "hard_sigmoid"},
    "B": {"arch": "B", "input_len": 40, "n_classes": 8},
    "C": {"arch": "C", "input_len": 40, "n_classes": 8, "dropout": [0.1, 0.2]},
    "D": {"arch": "D", "input_len": 40, "n_classes": 8, "filters": 128, "dropout": 0.1},
}


def ds(f, layer, name):
    return np.asarray(f[layer][layer][name], dtype=np.float32)


def keras_flatten_rows_to_candle(kernel, channels):
    """Dense kernel (L*C, out) with rows in Keras order t*C+c -> rows in candle order c*L+t."""
    n, out = kernel.shape
    length = n // channels
    assert length * channels == n
    return kernel.reshape(length, channels, out).transpose(1, 0, 2).reshape(n, out)


def convert(m, h5_path):
    f = h5py.File(h5_path, "r")
    t = {}
    if m == "A":
        t["lstm.kernel"] = ds(f, "lstm_1", "kernel:0")
        t["lstm.recurrent_kernel"] = ds(f, "lstm_1", "recurrent_kernel:0")
        t["lstm.bias"] = ds(f, "lstm_1", "bias:0")
        for i in (1, 2, 3):
            t[f"dense{i}.weight"] = ds(f, f"dense_{i}", "kernel:0").T
            t[f"dense{i}.bias"] = ds(f, f"dense_{i}", "bias:0")
    else:
        last_c = None
        for i, layer in enumerate(CONV_LAYERS[m]):
            k = ds(f, layer, "kernel:0")  # (k, in, out)
            t[f"conv{i}.weight"] = k.transpose(2, 1, 0)
            t[f"conv{i}.bias"] = ds(f, layer, "bias:0")
            last_c = k.shape[2]
        dk = ds(f, DENSE_LAYER[m], "kernel:0")
        t["dense.weight"] = keras_flatten_rows_to_candle(dk, last_c).T
        t["dense.bias"] = ds(f, DENSE_LAYER[m], "bias:0")
    return t


def main():
    src, dst = sys.argv[1], sys.argv[2]
    os.makedirs(dst, exist_ok=True)
    features = json.load(open(FEATURES_JSON))
    for m in "ABCD":
        tensors = convert(m, os.path.join(src, f"Model_{m}.h5"))
        n_params = sum(int(np.prod(a.shape)) for a in tensors.values())
        st.save(os.path.join(dst, f"model_{m.lower()}.safetensors"), tensors)
        ckpt = {
            "format": "ser-models-checkpoint",
            "version": 1,
            "model": MODEL_CONFIG[m],
            "features": features,
            "labels": LABELS,
            "normalization": None,
            "training": None,
            "provenance": PROVENANCE.format(m=m),
        }
        with open(os.path.join(dst, f"model_{m.lower()}.json"), "w") as fh:
            json.dump(ckpt, fh, indent=2)
            fh.write("\n")
        print(f"Model_{m}: {len(tensors)} tensors, {n_params} parameters")


if __name__ == "__main__":
    main()
