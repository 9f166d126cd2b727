#!/usr/bin/env bash
# Root-cause localization inference speed (docs/BENCHMARKS.md, "Root-cause localization").
# Usage: bench/localize.sh BUILD_DIR
# Each row: a random service graph (N services, each calling D others), a detector anomaly on every
# service, Localize cold (build + compile + propagate) and warm (new evidence, same graph). One core:
# the localizer is single-threaded.
set -euo pipefail
build=${1:-build}
bin=$build/bench/bench_localize
[ -x "$bin" ] || { echo "build bench_localize first: cmake --build $build --target bench_localize"; exit 1; }
echo "== layered graphs (callees among the next 10 services: call trees with shared back-ends)"
taskset -c 0 "$bin" 100 300 1000 3000 10000 --degree 1 --degree 2 --degree 3 --local 10
echo "== layered graphs, wider layers (callees among the next 50 services)"
taskset -c 0 "$bin" 1000 --degree 2 --degree 3 --local 50
echo "== uniform random DAGs (callees among all later services: the hard case for exact inference)"
taskset -c 0 "$bin" 30 100 300 --degree 2 --degree 3
echo "== layered graphs (next 10) with host nodes (opt-in): one pod per service, service i on host i mod H"
taskset -c 0 "$bin" 30 50 100 1000 --degree 2 --local 10 --hosts 9
echo "== same, host_load 0 (no links from the services' origins to their host's metrics)"
taskset -c 0 "$bin" 50 100 1000 --degree 2 --local 10 --hosts 9 --host-load 0
taskset -c 0 "$bin" 1000 --degree 2 --local 10 --hosts 3 --host-load 0
