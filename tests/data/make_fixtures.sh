#!/usr/bin/env bash
# Rebuilds every file under tests/data/ from the read-only corpus copy.
# Usage: SRC=/work/shared/data tests/data/make_fixtures.sh   (run from the repository root)
# Needs: ffmpeg (Debian 12 package, `apt-get install ffmpeg`), python3.
# The derived lossy files depend on the encoder versions; the ones committed were made with the
# ffmpeg version recorded in tests/data/README.md.
set -euo pipefail
SRC=${SRC:?set SRC to the data directory, e.g. /work/shared/data}
D=tests/data
mkdir -p "$D/ravdess" "$D/savee" "$D/formats" "$D/broken"

# RAVDESS WAVs as published (FLLR before data; LIST, bext, _PMX after it).
for f in 03-01-01-01-01-01-01 03-01-03-01-01-02-01 03-01-08-01-01-01-01; do
  cp "$SRC/seed/RAVDESS_files/$f.wav" "$D/ravdess/$f.wav"
done
# One of the five stereo clips of the published corpus, as the lossless FLAC of the corpus copy.
cp "$SRC/ravdess/Actor_01/03-01-02-01-01-02-01.flac" "$D/ravdess/03-01-02-01-01-02-01.flac"
# The four SAVEE clips the study shipped, names kept.
for f in d02 f01 sa01 su02; do cp "$SRC/seed/SAVEE_files/$f.wav" "$D/savee/$f.wav"; done

# Other containers/codecs made from one RAVDESS clip.
IN="$D/ravdess/03-01-01-01-01-01-01.wav"
B="$D/formats/03-01-01-01-01-01-01"
ffmpeg -nostdin -hide_banner -loglevel error -y -i "$IN" -map_metadata -1 -c:a flac -compression_level 8 "$B.flac"
ffmpeg -nostdin -hide_banner -loglevel error -y -i "$IN" -map_metadata -1 -c:a libmp3lame -b:a 64k "$B.mp3"
ffmpeg -nostdin -hide_banner -loglevel error -y -i "$IN" -map_metadata -1 -c:a libvorbis -q:a 2 "$B.ogg"
ffmpeg -nostdin -hide_banner -loglevel error -y -i "$IN" -map_metadata -1 -c:a aac -b:a 64k "$B.m4a"
# A codec symphonia cannot decode (Opus), generated, no third-party content.
ffmpeg -nostdin -hide_banner -loglevel error -y -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=0.5" -c:a libopus -b:a 24k "$D/formats/sine_440hz.opus"

# Generated 0.25 s 440 Hz sines (no third-party content) in the other containers
# ser_audio::discover lists, so a test proves each listed extension decodes. The AIFF is named
# `.wav` on purpose: decoding recognises the container by content, not by name.
S="sine=frequency=440:sample_rate=48000:duration=0.25"
G=(ffmpeg -nostdin -hide_banner -loglevel error -y -f lavfi -i "$S" -map_metadata -1 -fflags +bitexact -flags:a +bitexact)
"${G[@]}" -c:a pcm_s16be -f aiff "$D/formats/sine_440hz_aiff.wav"
"${G[@]}" -c:a pcm_s16le "$D/formats/sine_440hz.caf"
"${G[@]}" -c:a flac "$D/formats/sine_440hz.mka"
"${G[@]}" -c:a libvorbis -q:a 2 "$D/formats/sine_440hz.webm"
"${G[@]}" -c:a aac -b:a 64k -f adts "$D/formats/sine_440hz.aac"

# Broken files.
python3 - "$D" <<'PY'
import random, struct, sys
d = sys.argv[1]
wav = open(f"{d}/ravdess/03-01-01-01-01-01-01.wav", "rb").read()
# Header and FLLR intact, data chunk cut after 20000 bytes of its declared 317116.
data_at = wav.index(b"data") + 8
open(f"{d}/broken/truncated.wav", "wb").write(wav[: data_at + 20000])
# Seeded random bytes under a .wav name.
rng = random.Random(20191107)
open(f"{d}/broken/garbage.wav", "wb").write(bytes(rng.randrange(256) for _ in range(4096)))
# A text file.
open(f"{d}/broken/text.txt", "w").write("This is not audio. It is a text file used as a negative fixture.\n")
# An empty file.
open(f"{d}/broken/empty.wav", "wb").write(b"")
# A well-formed 16-bit 48 kHz mono WAV whose data chunk holds zero samples.
fmt = struct.pack("<HHIIHH", 1, 1, 48000, 96000, 2, 16)
body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", 0)
open(f"{d}/broken/zero_samples.wav", "wb").write(b"RIFF" + struct.pack("<I", len(body)) + body)
PY
