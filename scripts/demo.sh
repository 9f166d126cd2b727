#!/usr/bin/env bash
# The main job, run by `make demo`: the most complete pipeline that exists, on built-in data.
set -euo pipefail
augur=${1:-build/apps/augur/augur}
"$augur" version
# The built-in sock-shop world: 3 minutes with a shipping pod failure in the middle, then read it back.
demo_dir=$(mktemp -d)
trap 'rm -rf "$demo_dir"' EXIT
"$augur" simulate --scenario shipping_pod_failure --minutes 3 --rps 5 --seed 1 --out "$demo_dir/sim"
"$augur" inspect "$demo_dir/sim"
cat "$demo_dir/sim/labels.json"
