#!/bin/sh
# Template miner benchmark (docs/BENCHMARKS.md, "Log template mining"): builds a 5M-line LogHub-style
# corpus with fresh parameter values and the Nezha TrainTicket log messages in a scratch folder (never
# in the repository), then runs bench_miner on both, and Drain3 side by side when it is importable.
#   usage: bench/miner.sh [BUILD_DIR] [SCRATCH_DIR]
set -eu
BUILD=${1:-build}
TMP=${2:-/tmp/augur-miner-bench}
HERE=$(cd "$(dirname "$0")" && pwd)
SHARED=${AUGUR_SHARED:-$HERE/../../shared}
mkdir -p "$TMP"
if [ ! -f "$TMP/corpus/Zookeeper.log" ]; then
  python3 "$HERE/miner_corpus.py" "$SHARED/datasets/loghub-2k" "$TMP/corpus" 5000000
fi
if [ ! -f "$TMP/nezha.log" ]; then
  python3 "$HERE/nezha_logs.py" "$SHARED/datasets/nezha-trainticket" "$TMP/nezha.log"
fi
echo "== LogHub-style corpus (5M lines, header detected per file)"
"$BUILD/bench/bench_miner" "$TMP"/corpus/*.log
echo "== Nezha TrainTicket log messages (docker wrapper removed)"
"$BUILD/bench/bench_miner" "$TMP/nezha.log"
if python3 -c "import drain3" 2>/dev/null; then
  echo "== Drain3 on the same Nezha messages"
  python3 - "$TMP/nezha.log" <<'PY'
import resource, sys, time
from drain3 import TemplateMiner
m = TemplateMiner()
lines = open(sys.argv[1], encoding="utf-8", errors="replace").read().splitlines()
t0, c0 = time.time(), time.process_time()
for l in lines:
    m.add_log_message(l)
wall, cpu = time.time() - t0, time.process_time() - c0
print(f"drain3: {len(lines)} lines, {wall:.1f} s wall, {cpu:.1f} CPU-s, {len(lines)/cpu:.0f} lines/CPU-s, "
      f"{len(m.drain.clusters)} clusters, peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024:.0f} MiB")
PY
else
  echo "== Drain3 is not importable here (python3 -c 'import drain3' fails): no side-by-side run;"
  echo "   the figure measured on this data is in ../shared/design/anchors.md (about 15k lines per CPU-second)."
fi
