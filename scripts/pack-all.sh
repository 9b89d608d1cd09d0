#!/usr/bin/env bash
# `pnpm pack:all [dir]`: builds every publishable package and writes installable tarballs
# (keel-core-0.1.0.tgz, …) into `dir` (default: ./packs). pnpm rewrites `workspace:*` to the real
# versions and applies each package's publishConfig, so a tarball installs outside this
# repository exactly as the published package would.
set -euo pipefail
cd "$(dirname "$0")/.."
dest="$(mkdir -p "${1:-packs}" && cd "${1:-packs}" && pwd)"
# Build first, in dependency order (pnpm -r sorts topologically): each package's `prepack` builds
# only itself, and @keel/llamacpp's build needs @keel/openai's declarations, which the
# alphabetical loop below would pack (and build) after it on a clean tree.
pnpm -r --filter './packages/*' build >/dev/null
# Every package that is not private (integration is).
for dir in packages/*/; do
  grep -q '"private": true' "$dir/package.json" && continue
  (cd "$dir" && pnpm pack --pack-destination "$dest" >/dev/null)
done
ls "$dest"/*.tgz
