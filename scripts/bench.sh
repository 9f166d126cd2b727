#!/usr/bin/env bash
# Runs every benchmark script under bench/ (bench/*.sh), each of which prints a table and says which
# lines of docs/BENCHMARKS.md it produced. Usage: scripts/bench.sh BUILD_DIR
set -euo pipefail
build=${1:-build}
for s in bench/*.sh; do
  [ -e "$s" ] || continue
  echo "== $s"
  bash "$s" "$build"
done
