#!/usr/bin/env bash
# Coverage-guided fuzzing on stable Rust with AFL++ (cargo-afl). From the repository root:
#
#   bash fuzz/run.sh                       # every target, 1 000 000 executions each
#   EXECS=20000 bash fuzz/run.sh audio     # a short run of one target (CI's smoke run)
#
# Needs: cargo install cargo-afl --locked (it builds AFL++ on first use). Seeds: fuzz/seeds
# (python3 fuzz/make_seeds.py rewrites them from the fixtures). Findings land in
# fuzz/out/<target>/default/{crashes,hangs}; copy each one to tests/data/fuzz/<target>/ so that
# tests/fuzz_regressions.rs keeps it fixed. Prints one summary line per target and exits non-zero
# if any target saved a crash or a hang.
set -euo pipefail
cd "$(dirname "$0")"
EXECS="${EXECS:-1000000}"
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(audio corpus_name checkpoint feature_cache demo_request)
command -v cargo-afl >/dev/null || cargo install cargo-afl --locked
cargo afl config --build >/dev/null 2>&1 || true   # no-op once AFL++ is built
# Instrumented builds stay in fuzz/target whatever CARGO_TARGET_DIR the caller has set.
export CARGO_TARGET_DIR="$PWD/target"
cargo afl build --release --quiet
export AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
       AFL_NO_AFFINITY=1 AFL_SKIP_CRASHES=1
status=0
for t in "${TARGETS[@]}"; do
  rm -rf "out/$t"
  mkdir -p "out/$t"
  start=$(date +%s)
  # -E: stop after EXECS executions; -t: 2 s per input counts as a hang; -m: 4 GiB address
  # space, so a huge allocation fails (and aborts) instead of being overcommitted.
  # -G: generated audio inputs stay under 16 kB (decoding cost grows with the size).
  maxlen=(); [ "$t" = audio ] && maxlen=(-G 16384)
  cargo afl fuzz -i "seeds/$t" -o "out/$t" -E "$EXECS" -t 2000 -m 4096 "${maxlen[@]}" \
    "target/release/$t" > "out/$t/afl.log" 2>&1 || true
  stats="out/$t/default/fuzzer_stats"
  if [ ! -f "$stats" ]; then
    echo "$t: AFL++ did not start (see fuzz/out/$t/afl.log)"; tail -20 "out/$t/afl.log"; status=1; continue
  fi
  get() { awk -F' *: *' -v k="$1" '$1 == k { print $2 }' "$stats"; }
  secs=$(( $(date +%s) - start ))
  echo "$t: execs_done $(get execs_done), $(get execs_per_sec) exec/s, ${secs} s, corpus $(get corpus_count), edges $(get edges_found)/$(get total_edges), crashes $(get saved_crashes), hangs $(get saved_hangs)"
  if [ "$(get saved_crashes)" != "0" ] || [ "$(get saved_hangs)" != "0" ]; then status=1; fi
done
exit $status
