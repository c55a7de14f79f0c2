"""Reference output of librosa.resample(res_type='soxr_hq') for the synthetic signal that
crates/ser-audio/tests/resample.rs rebuilds, to cross-check ser-audio's resampler.

Run from the repository root:  python3 tests/data/golden/make_resample_golden.py
Made with Python 3.11, numpy, librosa 0.11.0 and soxr (versions are written into the .json).
"""
import json
import numpy as np
import librosa
import soxr

SR_IN, SR_OUT, N = 48000, 22050, 9600  # 0.2 s


def signal():
    # float64 formula, cast to float32: the Rust test computes the same.
    t = np.arange(N, dtype=np.float64) / SR_IN
    x = (0.4 * np.sin(2 * np.pi * 440.0 * t)
         + 0.3 * np.sin(2 * np.pi * 3000.0 * t + 0.5)
         + 0.2 * np.sin(2 * np.pi * 9000.0 * t + 1.0)
         + 0.1 * np.sin(2 * np.pi * 15000.0 * t))  # above the new Nyquist: removed
    return x.astype(np.float32)


y = librosa.resample(signal(), orig_sr=SR_IN, target_sr=SR_OUT, res_type="soxr_hq")
assert y.dtype == np.float32 and len(y) == int(np.ceil(N * SR_OUT / SR_IN))
y.astype("<f4").tofile("tests/data/golden/resample_48k_to_22050_soxr_hq.f32")
json.dump({"sr_in": SR_IN, "sr_out": SR_OUT, "n_in": N, "n_out": len(y),
           "librosa": librosa.__version__, "soxr": soxr.__version__, "numpy": np.__version__},
          open("tests/data/golden/resample_48k_to_22050_soxr_hq.json", "w"), indent=1)
print(len(y))
