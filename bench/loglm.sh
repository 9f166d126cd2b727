#!/usr/bin/env bash
# The log language model (issue 7): training time, scoring throughput (generation included) and peak
# memory, plus the window evaluations on the simulator, Nezha TrainTicket and BGL.
# Usage: bench/loglm.sh [BUILD_DIR] [SIM_DIR]   (run from the repository root; ../shared beside it)
set -euo pipefail
BUILD=${1:-build}
SIM=${2:-/tmp/augur-loglm-sim}
AUGUR=$BUILD/apps/augur/augur
SHARED=${AUGUR_SHARED:-../shared}
OUT=${OUT:-/tmp/augur-loglm-bench}
mkdir -p "$OUT"

# Seed 000's protocol: a 30-minute normal run to learn from, and every scenario (10 min baseline,
# 10 min fault, 10 min recovery). Same seed, same bytes.
if [ ! -f "$SIM/normal/labels.json" ]; then
  "$AUGUR" simulate --scenario all --minutes 30 --seed 1 --out "$SIM"
fi

run() {  # name, then the eval arguments
  local name=$1
  shift
  echo "== $name: augur eval log-windows $*"
  /usr/bin/time -v "$AUGUR" eval log-windows "$@" --svg "$OUT/$name.svg" >"$OUT/$name.txt" 2>"$OUT/$name.time"
  cat "$OUT/$name.txt"
  grep -E "Maximum resident set size|Elapsed \(wall clock\)" "$OUT/$name.time"
}

# One libtorch thread (the default), then two with a passive OpenMP wait policy.
run sim "--data" "$SIM"
OMP_WAIT_POLICY=PASSIVE run sim-2threads "--data" "$SIM" --threads 2
run nezha "--data" "$SHARED/datasets/nezha-trainticket"
run bgl "--data" "$SHARED/datasets/loghub-2k/BGL"
