#!/usr/bin/env bash
# CTF (LTTng) read speed (docs/BENCHMARKS.md, "LTTng"). Usage: bench/lttng.sh BUILD_DIR [REQUESTS]
# Records the LTTng example (examples/lttng/record.sh, private lttng-sessiond) with REQUESTS
# requests per client and 2 clients (default 20000) into /tmp/augur-bench-lttng (removed at the end;
# never committed), then reads it 3 times through ingest::ReadPaths (`bench_ingest read`, pinned to
# CPU 0: MB/s, events/s on thread CPU time, peak RSS), once with `augur inspect` (the whole command),
# and, for reference, with the babeltrace2 CLI into its dummy sink (libbabeltrace2 decoding alone).
set -euo pipefail
build=${1:-build}
requests=${2:-20000}
augur=$build/apps/augur/augur
demo=$build/examples/lttng/augur_lttng_demo
for b in "$augur" "$demo" "$build/bench/bench_ingest"; do
  [ -x "$b" ] || { echo "build first: cmake --build $build --target augur augur_lttng_demo bench_ingest"; exit 1; }
done
dir=/tmp/augur-bench-lttng
rm -rf "$dir"
mkdir -p "$dir/data"
chmod 755 "$dir"
chmod 777 "$dir/data"
trap 'rm -rf "$dir"' EXIT
AUGUR_LTTNG_EVENTS='augur_demo:*' "$(dirname "$0")/../examples/lttng/record.sh" "$dir/trace" \
  "$demo" --requests "$requests" --clients 2 --dir "$dir/data"
for run in 1 2 3; do taskset -c 0 "$build/bench/bench_ingest" read "$dir/trace"; done
/usr/bin/time -f "%e %U %S %M" -o "$dir/time" taskset -c 0 "$augur" -q inspect "$dir/trace" --json >/dev/null
read -r wall user sys rss <"$dir/time"
echo "augur inspect (whole command, libtorch start-up included): wall $wall s, cpu $(python3 -c "print(round($user+$sys,2))") s, peak RSS $((rss / 1024)) MB"
/usr/bin/time -f "%e %U %S %M" -o "$dir/time" taskset -c 0 babeltrace2 "$dir/trace" -o dummy
read -r wall user sys rss <"$dir/time"
echo "babeltrace2 -o dummy: wall $wall s, cpu $(python3 -c "print(round($user+$sys,2))") s, peak RSS $((rss / 1024)) MB"
