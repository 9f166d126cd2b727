#!/usr/bin/env bash
# Builds llama.cpp's `llama-server` (CPU only, no downloads at build time) from the llama.cpp source
# that the npm package node-llama-cpp ships as a git bundle, for the log language model's llama.cpp
# server test. Idempotent: an existing build is kept. Outside the repository: $AUGUR_CACHE (default
# ~/.cache/augur) holds the package, the source (llama.cpp/, with gguf-py/) and the build.
# Usage: scripts/build-llama-server.sh        (needs npm, git, cmake, a C++ compiler)
set -euo pipefail

version=3.22.1
cache="${AUGUR_CACHE:-$HOME/.cache/augur}"
src="$cache/llama.cpp"
bin="$src/build/bin/llama-server"

if [[ -x "$bin" ]]; then
  echo "build-llama-server: $bin is built"
  exit 0
fi
for tool in npm git cmake; do
  command -v "$tool" >/dev/null || { echo "build-llama-server: needs $tool" >&2; exit 1; }
done
mkdir -p "$cache"

if [[ ! -f "$src/CMakeLists.txt" ]]; then
  tgz="$cache/node-llama-cpp-$version.tgz"
  if [[ ! -f "$tgz" ]]; then
    echo "build-llama-server: fetching node-llama-cpp@$version from the npm registry"
    # `npm pack` only downloads the tarball: no install scripts run (they would download binaries).
    (cd "$cache" && npm pack --silent "node-llama-cpp@$version" >/dev/null)
  fi
  rm -rf "$cache/package" "$src"
  tar -xzf "$tgz" -C "$cache" package/llama/gitRelease.bundle
  git clone -q "$cache/package/llama/gitRelease.bundle" "$src"
  rm -rf "$cache/package"
fi

echo "build-llama-server: building llama-server in $src/build (a few minutes on 2 cores)"
# No curl/OpenSSL (nothing is downloaded at run time), no web UI (it would be fetched or built with
# npm), no tests or examples: only the server and the libraries it needs.
cmake -S "$src" -B "$src/build" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF \
  -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_BUILD_TESTS=OFF \
  -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_APP=OFF \
  -DGGML_NATIVE=ON -DGGML_CUDA=OFF -DGGML_VULKAN=OFF -DGGML_METAL=OFF >"$cache/llama-cmake.log" 2>&1 ||
  { tail -20 "$cache/llama-cmake.log" >&2; echo "build-llama-server: cmake failed ($cache/llama-cmake.log)" >&2; exit 1; }
cmake --build "$src/build" --target llama-server -j"${AUGUR_JOBS:-2}" >"$cache/llama-build.log" 2>&1 ||
  { tail -20 "$cache/llama-build.log" >&2; echo "build-llama-server: build failed ($cache/llama-build.log)" >&2; exit 1; }
[[ -x "$bin" ]] || { echo "build-llama-server: no $bin after the build (see $cache/llama-build.log)" >&2; exit 1; }
echo "build-llama-server: built $bin"
