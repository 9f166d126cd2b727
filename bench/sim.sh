#!/usr/bin/env bash
# Simulator speed: 30 simulated minutes at 20 requests/s, on one core, written as OTLP/JSON lines.
# Produces the "Simulator" lines of docs/BENCHMARKS.md. Usage: bench/sim.sh BUILD_DIR
set -euo pipefail
build=${1:-build}
augur=$build/apps/augur/augur
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
pin=""
command -v taskset >/dev/null && pin="taskset -c 0"
printf "%-28s %8s %8s %10s %10s %10s %9s\n" run wall_s cpu_s spans logs metrics MB
for scenario in normal shipping_pod_failure; do
  for gz in "" --gzip; do
    start=$(date +%s.%N)
    line=$(/usr/bin/time -o "$out/time" -f "%U %S" $pin "$augur" -q simulate --scenario $scenario \
             --minutes 30 --rps 20 --seed 1 --out "$out/$scenario$gz" $gz | tail -1)
    end=$(date +%s.%N)
    read -r _ traces spans logs metrics mb _ <<<"$line"
    cpu=$(awk '{print $1+$2}' "$out/time")
    disk=$(du -sm "$out/$scenario$gz" | cut -f1)
    printf "%-28s %8.2f %8.2f %10s %10s %10s %9s\n" "$scenario${gz:+ (gzip)}" \
      "$(echo "$end - $start" | bc)" "$cpu" "$spans" "$logs" "$metrics" "$disk"
  done
done
echo "(MB = size on disk; lines for docs/BENCHMARKS.md 'Simulator')"
