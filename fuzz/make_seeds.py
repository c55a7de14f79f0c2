#!/usr/bin/env python3
"""Writes the fuzz seed corpora into fuzz/seeds/<target>/ from the committed fixtures
(tests/data, crates/ser-models/assets) and small generated files. Standard library only.

    python3 fuzz/make_seeds.py
"""
import hashlib
import json
import math
import os
import struct

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "fuzz", "seeds")


def put(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ---- audio: first byte = name hint (low 4 bits) | resample flag (0x80); see targets.rs
HINT = {".wav": 0, ".flac": 1, ".mp3": 2, ".ogg": 3, ".m4a": 4, ".aiff": 5, ".caf": 6,
        ".mkv": 7, ".mka": 7, ".webm": 8, ".opus": 9, ".aac": 10}


def tone(n=400, rate=8000):
    return [0.5 * math.sin(2 * math.pi * 440 * i / rate) for i in range(n)]


def riff(chunks):
    body = b"WAVE"
    for cid, data in chunks:
        body += cid + struct.pack("<I", len(data)) + data + (b"\0" if len(data) % 2 else b"")
    return b"RIFF" + struct.pack("<I", len(body)) + body


def wav(tag, ch, rate, bits, data, ext=b""):
    block = ch * ((bits + 7) // 8)
    fmt = struct.pack("<HHIIHH", tag, ch, rate, rate * block, block, bits)
    if tag != 1:
        fmt += struct.pack("<H", len(ext)) + ext
    return riff([(b"fmt ", fmt), (b"data", data)])


x = tone()
i16 = [int(round(v * 32767)) for v in x]
wavs = {
    "pcm16": wav(1, 1, 8000, 16, struct.pack("<%dh" % len(i16), *i16)),
    "pcm8": wav(1, 1, 8000, 8, bytes((v >> 8) + 128 for v in i16)),
    "pcm24": wav(1, 1, 8000, 24, b"".join(struct.pack("<i", v << 8)[:3] for v in i16)),
    "pcm32": wav(1, 1, 8000, 32, struct.pack("<%di" % len(i16), *[v << 16 for v in i16])),
    "f32": wav(3, 1, 8000, 32, struct.pack("<%df" % len(x), *x)),
    "f64": wav(3, 1, 8000, 64, struct.pack("<%dd" % len(x), *x)),
    "mulaw": wav(7, 1, 8000, 8, bytes((v >> 8) & 0xFF for v in i16)),
    "alaw": wav(6, 1, 8000, 8, bytes((v >> 8) & 0xFF for v in i16)),
    "stereo": wav(1, 2, 8000, 16, struct.pack("<%dh" % (2 * len(i16)), *[s for v in i16 for s in (v, -v)])),
    "extensible": wav(0xFFFE, 2, 8000, 16, struct.pack("<%dh" % (2 * len(i16)), *[s for v in i16 for s in (v, v)]),
                      struct.pack("<HI", 16, 3) + bytes.fromhex("0100000000001000800000aa00389b71")),
}
for name, data in wavs.items():
    put("audio", f"gen_{name}.wav", bytes([HINT[".wav"]]) + data)
    put("audio", f"gen_{name}_resample.wav", bytes([0x80 | HINT[".wav"]]) + data)
# AIFF, big-endian 16-bit
comm = struct.pack(">hIh", 1, len(i16), 16) + struct.pack(">H", 16383 + 12) + struct.pack(">Q", 8000 << (63 - 12))
ssnd = b"\0" * 8 + struct.pack(">%dh" % len(i16), *i16)
body = b"AIFF" + b"COMM" + struct.pack(">I", len(comm)) + comm + b"SSND" + struct.pack(">I", len(ssnd)) + ssnd
put("audio", "gen.aiff", bytes([HINT[".aiff"]]) + b"FORM" + struct.pack(">I", len(body)) + body)
for sub in ("formats", "broken"):
    d = os.path.join(ROOT, "tests", "data", sub)
    for f in sorted(os.listdir(d)):
        # The first 8 kB: headers and the first packets of every codec. Small seeds keep the
        # executions fast (run.sh also caps generated inputs at 16 kB for this target).
        data = open(os.path.join(d, f), "rb").read()[:8192]
        ext = os.path.splitext(f)[1]
        put("audio", f"{sub}_{f}", bytes([HINT.get(ext, 11)]) + data)

# ---- corpus_name: one valid name per scheme, and near misses
names = ["03-01-05-02-01-01-12.wav", "02-02-06-01-02-02-23.flac", "DC_a01.wav", "JK/sa15.wav",
         "a01.wav", "OAF_back_angry.wav", "YAF_youth_ps.wav", "03a01Fa.wav", "16b10Wb.wav",
         "1001_DFA_ANG_XX.wav", "1091_WSI_SAD_HI.wav", "a5-03-01-02-50.wav", "EB0_anger_1.wav",
         "data/happy/clip.wav", "03-01-09-02-01-01-12.wav", "DC_x01.wav", ".wav", "a/b/c/"]
for i, n in enumerate(names):
    put("corpus_name", f"name{i:02}", n.encode())

# ---- checkpoint: u32 LE length of model.json, model.json, model.safetensors
seed = os.path.join(ROOT, "crates", "ser-models", "assets", "seed")
for m in ("b", "c"):
    j = open(os.path.join(seed, f"model_{m}.json"), "rb").read()
    w = open(os.path.join(seed, f"model_{m}.safetensors"), "rb").read()
    put("checkpoint", f"seed_{m}_v2", struct.pack("<I", len(j)) + j + w)
    v = json.loads(j)
    v.pop("checksum", None)
    v["version"] = 1
    j1 = json.dumps(v, indent=1).encode()
    put("checkpoint", f"seed_{m}_v1", struct.pack("<I", len(j1)) + j1 + w)

# ---- feature_cache: a cache body without its trailing SHA-256 (targets.rs appends it)
config = b'{"fuzz":1}'
dim = 4
for count in (0, 1, 3):
    body = b"SERFEAT1" + struct.pack("<I", len(config)) + config + struct.pack("<IQ", dim, count)
    for k in range(count):
        body += hashlib.sha256(bytes([k])).digest() + struct.pack("<4f", k, -k, 0.5, 1e3)
    put("feature_cache", f"cache{count}", body)
    put("feature_cache", f"cache{count}_sealed", body + hashlib.sha256(body).digest())
# ---- demo_request: query string, NUL, Content-Length value
for i, (q, cl) in enumerate([(b"model=seed-b&timeline=1&name=clip.wav", b"12345"),
                             (b"name=%E2%82%AC+x.wav&timeline=true", None),
                             (b"model=default", b"99999999999"),
                             (b"a=1&&b&=2&name=" + b"n" * 300, b" 42 "),
                             (b"name=%zz%4", b"18446744073709551616")]):
    put("demo_request", f"req{i}", q + (b"\0" + cl if cl is not None else b""))
print("seeds written to", OUT)
