#!/usr/bin/env bash
# Installs, from Debian 12's packages only, what augur's build, tests and demo need. Idempotent: checks
# what is installed first, prints what it installs, runs `apt-get update` only when something is missing.
# Usage: scripts/install-deps.sh [--test]   (--test adds what only the test suite needs, and builds
# llama.cpp's llama-server from the npm package node-llama-cpp: scripts/build-llama-server.sh)
set -euo pipefail

build=(
  build-essential cmake pkg-config git
  libtorch-dev libopenblas0-openmp
  libsimdjson-dev nlohmann-json3-dev libcli11-dev libfmt-dev
  libcpp-httplib-dev libgrpc++-dev libsqlite3-dev zlib1g-dev libsnappy-dev
  libsentencepiece-dev libhiredis-dev libnats-dev libbabeltrace2-dev babeltrace2
  libgtest-dev libgmock-dev libbenchmark-dev
)
test_only=(
  clang-14 libclang-rt-14-dev clang-format
  redis-server nats-server lttng-tools liblttng-ust-dev prometheus prometheus-alertmanager openssl
  chromium
  python3-numpy
)

want=("${build[@]}")
if [[ "${1:-}" == "--test" ]]; then
  want+=("${test_only[@]}")
  # npm fetches llama.cpp's source (node-llama-cpp); any npm will do, Debian's when there is none.
  if ! command -v npm >/dev/null; then want+=(npm); fi
fi

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: everything needed is installed"
else
  echo "install-deps: installing ${missing[*]}"
  sudo=""
  if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The llama.cpp server test's server (skipped when already built).
# A failure here (no npm registry, a compiler problem) must not stop the rest of the test suite:
# the llama.cpp server test then skips and says why.
if [[ "${1:-}" == "--test" ]]; then
  "$(dirname "$0")/build-llama-server.sh" ||
    echo "install-deps: llama-server was not built; the llama.cpp server test will be skipped" >&2
fi
