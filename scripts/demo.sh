#!/usr/bin/env bash
# The main job, run by `make demo`: simulate normal sock-shop traffic, train, inject a chaos fault
# (shipping network delay), detect, localize and explain it, and leave a report to read.
set -euo pipefail
augur=${1:-build/apps/augur/augur}
out=${AUGUR_DEMO_OUT:-demo-out}
rm -rf "$out"
"$augur" demo --out "$out" "${@:2}"
