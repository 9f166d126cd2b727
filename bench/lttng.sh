#!/usr/bin/env bash
# CTF (LTTng) read speed (docs/BENCHMARKS.md, "LTTng"). Usage: bench/lttng.sh BUILD_DIR [REQUESTS]
# Records the LTTng example (examples/lttng/record.sh, private lttng-sessiond) with REQUESTS
# requests per client and 2 clients (default 20000) into /tmp/augur-bench-lttng (removed at the end;
# never committed), then reads it 3 times with `augur -q inspect --json` pinned to CPU 0 and prints
# events, MB, wall and CPU seconds, events/s and peak RSS of each read.
set -euo pipefail
build=${1:-build}
requests=${2:-20000}
augur=$build/apps/augur/augur
demo=$build/examples/lttng/augur_lttng_demo
for b in "$augur" "$demo"; do
  [ -x "$b" ] || { echo "build it first: cmake --build $build --target augur augur_lttng_demo"; exit 1; }
done
dir=/tmp/augur-bench-lttng
rm -rf "$dir"
mkdir -p "$dir/data"
chmod 755 "$dir"
chmod 777 "$dir/data"
trap 'rm -rf "$dir"' EXIT
AUGUR_LTTNG_EVENTS='augur_demo:*' "$(dirname "$0")/../examples/lttng/record.sh" "$dir/trace" \
  "$demo" --requests "$requests" --clients 2 --dir "$dir/data"
bytes=$(du -sb "$dir/trace" | cut -f1)
for run in 1 2 3; do
  /usr/bin/time -f "%e %U %S %M" -o "$dir/time" taskset -c 0 "$augur" -q inspect "$dir/trace" --json >"$dir/out.json"
  events=$(python3 -c "import json;print(json.load(open('$dir/out.json'))['counts']['trace_events'])")
  read -r wall user sys rss <"$dir/time"
  python3 - "$events" "$bytes" "$wall" "$user" "$sys" "$rss" <<'PY'
import sys
ev, b, wall, user, sys_, rss = int(sys.argv[1]), int(sys.argv[2]), *map(float, sys.argv[3:6]), int(sys.argv[6])
print(f"{ev} events, {b/1e6:.1f} MB: wall {wall:.2f} s, cpu {user+sys_:.2f} s, "
      f"{ev/wall/1e3:.0f}k events/s ({b/1e6/wall:.1f} MB/s), peak RSS {rss/1024:.0f} MB")
PY
done
