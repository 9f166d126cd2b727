#!/usr/bin/env bash
# The main job, run by `make demo`: the most complete pipeline that exists, on built-in data.
set -euo pipefail
augur=${1:-build/apps/augur/augur}
"$augur" version
