#!/usr/bin/env bash
# Planner benchmark: the time of one CPU plan (and one pipe division) at
# 128 x 20, 1,000 x 50 and 10,000 x 100 (nodes x applications), each node
# running 10 applications, at 90% and 120% of the pool requested by
# policies. Pinned to one core. Writes bench/results/plan.jsonl.
# Usage: bench/plan.sh
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/build.sh" Release plan-bench >/dev/null
bin=$top/build/Release/bench/plan-bench
out=$top/bench/results/plan.jsonl
mkdir -p "$(dirname "$out")"
: >"$out"
for load in 0.9 1.2; do
  for size in "128 20 200" "1000 50 200" "10000 100 20"; do
    read -r nodes apps runs <<<"$size"
    echo "bench: plan-bench --nodes $nodes --apps $apps --load $load --runs $runs" >&2
    taskset -c 1 "$bin" --nodes "$nodes" --apps "$apps" --per-node 10 --load "$load" --runs "$runs" | tee -a "$out"
  done
done
