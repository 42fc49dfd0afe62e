#!/usr/bin/env bash
# Planning from history on one core: a day of minute periods replayed under
# a draft at 128 nodes x 50 applications (what `shoalctl whatif --since 1d`
# plans), the same day at raw one-second periods (`--step 1s`), and a
# suggestion read from a week of minute periods. Writes
# bench/results/replay.jsonl.
# Usage: bench/replay.sh
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/build.sh" Release replay-bench >/dev/null
bin=$top/build/Release/bench/replay-bench
out=$top/bench/results/replay.jsonl
mkdir -p "$(dirname "$out")"
: >"$out"
for args in "--periods 1440 --step-s 60 --suggest-periods 10080" "--periods 86400 --step-s 1 --suggest-periods 1440"; do
  echo "bench: replay-bench --nodes 128 --apps 50 $args" >&2
  # shellcheck disable=SC2086
  taskset -c 1 "$bin" --nodes 128 --apps 50 $args | tee -a "$out"
done
