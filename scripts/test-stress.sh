#!/usr/bin/env bash
# `pnpm test:stress [runs]`: runs the README's test command `runs` times (default 3) in a row
# while one busy-loop process per core keeps every core saturated, the way a shared CI machine
# does. The suite must stay green: timing belongs to the fake clock, never to the wall clock.
set -uo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"
cores="$(node -p 'require("node:os").availableParallelism()')"

hogs=()
for _ in $(seq "$cores"); do
  node -e 'for (;;) {}' &
  hogs+=("$!")
done
trap 'kill "${hogs[@]}" 2>/dev/null' EXIT
echo "test:stress: $cores busy-loop process(es) running; $runs run(s) of pnpm test"

for run in $(seq "$runs"); do
  echo "test:stress: run $run/$runs"
  if ! pnpm test; then
    echo "test:stress: run $run/$runs FAILED under load" >&2
    exit 1
  fi
done
echo "test:stress: $runs/$runs runs green under load"
