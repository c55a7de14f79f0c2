"""Minimal safetensors writer/reader in pure numpy (format: 8-byte little-endian header length,
JSON header {name: {dtype, shape, data_offsets}}, then the raw little-endian tensor bytes)."""
import json
import struct

import numpy as np


def save(path, tensors, metadata=None):
    """Write a dict name -> float32 ndarray as a safetensors file (names sorted)."""
    header = {}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name], dtype="<f4")
        b = a.tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)  # align the data section to 8 bytes
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def load(path):
    """Read a safetensors file of F32 tensors into a dict name -> ndarray."""
    data = open(path, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        s, e = info["data_offsets"]
        out[name] = np.frombuffer(data[8 + n + s : 8 + n + e], dtype="<f4").reshape(info["shape"])
    return out
