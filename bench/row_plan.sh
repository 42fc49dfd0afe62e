#!/usr/bin/env bash
# Planning each node's row from the pool's merged figures instead of every
# node's status (policy/row_planner.h): how close the rows come to the whole
# plan's, round after round from no figures, and what the figures cost, at
# 128, 1,000 and 10,000 nodes. Records bench/results/row-plan.jsonl.
# Usage: bench/row_plan.sh
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/build.sh" Release row-plan-bench >/dev/null
bin=$top/build/Release/bench/row-plan-bench
out=$top/bench/results/row-plan.jsonl
mkdir -p "$(dirname "$out")"
: >"$out"
for load in 0.9 1.2; do
  for size in "128 20" "1000 50" "10000 100"; do
    read -r nodes apps <<<"$size"
    echo "bench: row-plan-bench --nodes $nodes --apps $apps --load $load" >&2
    taskset -c 1 "$bin" --nodes "$nodes" --apps "$apps" --per-node 10 --load "$load" --rounds 8 | tee -a "$out"
  done
done
