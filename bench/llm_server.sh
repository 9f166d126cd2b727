#!/usr/bin/env bash
# The log language model generating through a real llama.cpp server (issue 7, "optional bigger
# models"): windows per second and lines per second of `augur eval log-windows --llm-url` against
# llama-server serving the tiny random-weight GGUF of scripts/make-tiny-gguf.py. The figure measures
# the protocol path (HTTP, prompt/answer handling, the server's batching of a 2-layer width-32 model),
# not a real LLM: an 8B model is orders of magnitude slower per token.
# Usage: bench/llm_server.sh [BUILD_DIR] [SIM_DIR]   (after scripts/build-llama-server.sh)
set -euo pipefail
BUILD=${1:-build}
SIM=${2:-/tmp/augur-llm-sim}
AUGUR=$BUILD/apps/augur/augur
CACHE=${AUGUR_CACHE:-$HOME/.cache/augur}
SERVER=${AUGUR_LLAMA_SERVER:-$CACHE/llama.cpp/build/bin/llama-server}
OUT=${OUT:-/tmp/augur-llm-bench}
PORT=${PORT:-18087}
PARALLEL=${PARALLEL:-4}
MAX_TOKENS=${MAX_TOKENS:-64}
mkdir -p "$OUT"

[ -x "$SERVER" ] || { echo "no $SERVER: run scripts/build-llama-server.sh" >&2; exit 1; }
/usr/bin/python3 scripts/make-tiny-gguf.py "$OUT/tiny.gguf"
# Short runs: 3 normal minutes to learn from, one 3-minute fault run (1 min of fault) to score.
if [ ! -f "$SIM/normal/labels.json" ]; then
  "$AUGUR" simulate --scenario normal --minutes 3 --seed 1 --out "$SIM/normal"
  "$AUGUR" simulate --scenario carts_db_io_failure --minutes 3 --seed 2 --out "$SIM/carts_db_io_failure"
fi

"$SERVER" -m "$OUT/tiny.gguf" --host 127.0.0.1 --port "$PORT" -c $((4096 * PARALLEL)) \
  -np "$PARALLEL" -t 2 --no-webui >"$OUT/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break
  sleep 0.2
done

echo "== augur eval log-windows --data $SIM --llm-url http://127.0.0.1:$PORT --llm-concurrency $PARALLEL --llm-max-tokens $MAX_TOKENS"
/usr/bin/time -f "%e s wall, %M KB peak" "$AUGUR" eval log-windows --data "$SIM" \
  --llm-url "http://127.0.0.1:$PORT" --llm-concurrency "$PARALLEL" --llm-max-tokens "$MAX_TOKENS" \
  --svg "$OUT/heat.svg" 2>&1 | tee "$OUT/eval.txt"
