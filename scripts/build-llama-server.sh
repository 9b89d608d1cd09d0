#!/usr/bin/env bash
# Build llama-server (CPU) once per machine from the llama.cpp source that the npm package
# node-llama-cpp bundles (llama/gitRelease.bundle), and cache the static binary outside any work
# tree at $HOME/.cache/keel-llama-server/<llama.cpp tag>/llama-server. Idempotent: when the binary
# is already there it only prints its path. The last line of stdout is always the binary's path.
#
#   KEEL_NODE_LLAMA_CPP_VERSION  node-llama-cpp version whose bundle to build (pinned below)
#   KEEL_LLAMA_CMAKE_FLAGS       extra CMake flags, e.g. "-DGGML_CUDA=ON" on a GPU box; the cache
#                                directory then gets a "-<variant>" suffix (KEEL_LLAMA_VARIANT,
#                                default "custom") so a CPU and a GPU build do not overwrite each other
#   KEEL_LLAMA_JOBS              parallel build jobs (default 2)
set -euo pipefail

VERSION="${KEEL_NODE_LLAMA_CPP_VERSION:-3.22.1}"
CACHE="${KEEL_LLAMA_CACHE:-$HOME/.cache/keel-llama-server}"
JOBS="${KEEL_LLAMA_JOBS:-2}"
EXTRA_FLAGS="${KEEL_LLAMA_CMAKE_FLAGS:-}"
mkdir -p "$CACHE"

# One build at a time per machine (CI and a developer may start it together).
exec 9>"$CACHE/.lock"
flock 9

PKG_DIR="$CACHE/node-llama-cpp-$VERSION"
if [ ! -f "$PKG_DIR/llama/llama.cpp.info.json" ]; then
  echo "build-llama-server: fetching node-llama-cpp@$VERSION" >&2
  tmp="$(mktemp -d "$CACHE/pack.XXXXXX")"
  (cd "$tmp" && npm pack --silent "node-llama-cpp@$VERSION" >/dev/null)
  mkdir -p "$tmp/x"
  tar -xzf "$tmp"/node-llama-cpp-*.tgz -C "$tmp/x"
  rm -rf "$PKG_DIR"
  mv "$tmp/x/package" "$PKG_DIR"
  rm -rf "$tmp"
fi

TAG="$(sed -n 's/.*"tag"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$PKG_DIR/llama/llama.cpp.info.json" | head -1)"
[ -n "$TAG" ] || { echo "build-llama-server: no tag in llama.cpp.info.json" >&2; exit 1; }
SUFFIX=""
[ -n "$EXTRA_FLAGS" ] && SUFFIX="-${KEEL_LLAMA_VARIANT:-custom}"
OUT_DIR="$CACHE/$TAG$SUFFIX"
BIN="$OUT_DIR/llama-server"

if [ -x "$BIN" ]; then
  echo "$BIN"
  exit 0
fi

SRC="$CACHE/src-$TAG"
if [ ! -f "$SRC/CMakeLists.txt" ]; then
  rm -rf "$SRC"
  git clone --quiet "$PKG_DIR/llama/gitRelease.bundle" "$SRC"
  # The bundle's HEAD may be detached; check the tag out explicitly when it is there.
  git -C "$SRC" checkout --quiet "$TAG" 2>/dev/null || true
fi

BUILD="$SRC/build$SUFFIX"
start=$(date +%s)
echo "build-llama-server: building llama-server $TAG with $JOBS jobs" >&2
GEN=()
command -v ninja >/dev/null 2>&1 && GEN=(-G Ninja)
# shellcheck disable=SC2086 # EXTRA_FLAGS is a list of flags on purpose
cmake -S "$SRC" -B "$BUILD" "${GEN[@]}" \
  -DCMAKE_BUILD_TYPE=Release \
  -DBUILD_SHARED_LIBS=OFF \
  -DLLAMA_CURL=OFF \
  -DGGML_NATIVE=OFF \
  -DLLAMA_BUILD_TESTS=OFF \
  -DLLAMA_BUILD_SERVER=ON \
  $EXTRA_FLAGS >&2
cmake --build "$BUILD" --target llama-server -j "$JOBS" >&2
echo "build-llama-server: built in $(( $(date +%s) - start ))s" >&2

mkdir -p "$OUT_DIR"
cp "$BUILD/bin/llama-server" "$OUT_DIR/llama-server.tmp"
mv "$OUT_DIR/llama-server.tmp" "$BIN"
echo "$TAG" > "$OUT_DIR/TAG"
echo "$BIN"
