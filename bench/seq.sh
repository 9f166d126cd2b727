#!/usr/bin/env bash
# Sequence detectors (LSTM): produces the figures of docs/BENCHMARKS.md "Sequence detectors (LSTM)".
# Usage: bench/seq.sh BUILD_DIR   (needs ../shared/datasets/hdfs-100k-sessions and python3-torch)
set -euo pipefail
build=${1:-build}
data=${AUGUR_SHARED:-$(dirname "$0")/../../shared}/datasets/hdfs-100k-sessions
if [ ! -f "$data/hdfs_100k_sessions.csv" ]; then
  echo "skipped: $data is absent"
  exit 0
fi
export OMP_WAIT_POLICY=PASSIVE
echo "-- augur (libtorch), 2 threads"
"$build/bench/bench_seq_lstm" "$data" 2
if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  echo "-- same model in python3-torch, 2 threads"
  /usr/bin/python3 "$(dirname "$0")/seq_torch.py" "$data" 2
else
  echo "python3-torch absent: side-by-side skipped"
fi
