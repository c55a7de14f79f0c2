#!/usr/bin/env bash
# Peak memory and wall time of `predict --timeline --json` on long recordings: 1 min, 10 min and
# 1 h at 48 kHz (16-bit mono WAV), built by looping the committed RAVDESS WAV fixtures
# (tests/data/ravdess/*.wav, 48 kHz; the corpus under $SER_DATA_DIR is FLAC) with 0.5 s pauses. The WAVs go to target/stream_rss/ (about 350 MB for the hour; never commit audio).
#
#   tools/bench/stream_rss.sh              # after: this checkout's release build of predict
#   BEFORE=/path/to/predict tools/bench/stream_rss.sh   # also measure another build (main)
#   LENGTHS="60 600" tools/bench/stream_rss.sh          # other lengths, seconds
#   AFTER=/path/to/predict tools/bench/stream_rss.sh    # measure that build instead of building
#
# Regression check (no timing involved): exits 1 when the longest recording's peak RSS is 2x or
# more the shortest's for this checkout's build, i.e. when memory grows with the length again.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
out=target/stream_rss
mkdir -p "$out"
lengths=${LENGTHS:-"60 600 3600"}

# Source clips: 48 kHz mono 16-bit WAVs.
clips=()
while IFS= read -r f; do clips+=("$f"); done < <(find tests/data/ravdess -name '*.wav' | sort)

for s in $lengths; do
  f="$out/loop_${s}s.wav"
  [ -f "$f" ] && continue
  python3 - "$f" "$s" "${clips[@]}" <<'EOF'
import sys, wave
out, seconds, clips = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
rate, pause = 48000, b"\0\0" * 24000
frames = []
for c in clips:
    with wave.open(c) as w:
        if (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (rate, 1, 2):
            frames.append(w.readframes(w.getnframes()) + pause)
need = seconds * rate * 2
with wave.open(out, "wb") as w:
    w.setnchannels(1); w.setsampwidth(2); w.setframerate(rate)
    written, i = 0, 0
    while written < need:
        chunk = frames[i % len(frames)][: need - written]
        w.writeframes(chunk); written += len(chunk); i += 1
EOF
done

if [ -z "${AFTER:-}" ]; then
  cargo build --release --example predict >&2
fi
after=${AFTER:-target/release/examples/predict}

# measure BINARY FILE -> "rss_mb seconds"
measure() {
  local log
  log=$(mktemp)
  /usr/bin/time -v "$1" --timeline --json "$2" >/dev/null 2>"$log" || { cat "$log" >&2; rm -f "$log"; return 1; }
  local kb secs
  kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
  secs=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$log" | awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }')
  rm -f "$log"
  echo "$((kb / 1024)) $secs"
}

echo "| recording | before: peak RSS | before: time | after: peak RSS | after: time |"
echo "|---|---|---|---|---|"
first=""
last=""
for s in $lengths; do
  f="$out/loop_${s}s.wav"
  b_rss="-"; b_t="-"
  if [ -n "${BEFORE:-}" ] && [ -x "${BEFORE}" ]; then
    read -r b_rss b_t < <(measure "$BEFORE" "$f")
    b_rss="$b_rss MB"; b_t="$b_t s"
  fi
  read -r a_rss a_t < <(measure "$after" "$f")
  [ -z "$first" ] && first=$a_rss
  last=$a_rss
  echo "| $((s / 60)) min | $b_rss | $b_t | $a_rss MB | $a_t s |"
done

if [ "$last" -ge $((2 * first)) ]; then
  echo "FAIL: peak RSS ${last} MB on the longest recording is >= 2x the shortest's (${first} MB)" >&2
  exit 1
fi
