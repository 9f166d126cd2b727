#!/usr/bin/env bash
# Reader throughput on one core (docs/BENCHMARKS.md, "Ingest (readers)"). Usage: bench/ingest.sh BUILD_DIR
# Generates ~210 MB inputs under /tmp/augur-bench (removed at the end; never committed), reads each
# through ingest::ReadPaths pinned to CPU 0, and prints MB/s, records/s (thread CPU time) and peak RSS.
# The OTLP input is read again at twice the size to show memory stays flat.
set -euo pipefail
build=${1:-build}
bin=$build/bench/bench_ingest
[ -x "$bin" ] || { echo "build bench_ingest first: cmake --build $build --target bench_ingest"; exit 1; }
dir=/tmp/augur-bench
mkdir -p "$dir"
trap 'rm -rf "$dir"' EXIT
"$bin" gen otlp "$dir/otlp.jsonl" 210
"$bin" gen text "$dir/app.log" 210
"$bin" gen zipkin "$dir/zipkin.json" 210
for f in otlp.jsonl app.log zipkin.json; do taskset -c 0 "$bin" read "$dir/$f"; done
taskset -c 0 "$bin" lines "$dir/app.log"
nezha=../shared/datasets/nezha-trainticket
[ -d "$nezha" ] && taskset -c 0 "$bin" read "$nezha"
"$bin" gen otlp "$dir/otlp2.jsonl" 420
taskset -c 0 "$bin" read "$dir/otlp2.jsonl"
