#!/usr/bin/env bash
# Planning from the pool's figures (issue 26) against today's all-to-all
# statuses, side by side in the simulator at the daemon's real rate (every
# node's figures change every second), 5% loss, crashes in the window:
# how long a change takes to reach every node's planning input, how far
# each node's row is from its row of the whole plan from exact data at the
# same moment, and what each node sends and receives. The statuses column
# stops at 1,024 nodes (at 10,000 every node would receive megabytes a
# second; the simulation would take hours). Records
# bench/results/figures-sim.jsonl.
# Usage: bench/figures_sim.sh [SIZES...]   (default: 128 1024 10000; the
# file is rewritten then, appended to when sizes are given)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/build.sh" Release shoal-sim >/dev/null
bin=$top/build/Release/tools/shoal-sim
out=$top/bench/results/figures-sim.jsonl
mkdir -p "$(dirname "$out")"
sizes=("$@")
if [ ${#sizes[@]} -eq 0 ]; then
  sizes=(128 1024 10000)
  : >"$out"
fi
for nodes in "${sizes[@]}"; do
  crashes=$(( nodes >= 1024 ? 3 : 2 ))
  ways=("")
  [ "$nodes" -le 1024 ] && ways=("" "--statuses")
  for way in "${ways[@]}"; do
    echo "bench: shoal-sim --figures $way --nodes $nodes --loss 0.05 --duration-s 20 --crashes $crashes --seed 7" >&2
    # shellcheck disable=SC2086
    "$bin" --figures $way --nodes "$nodes" --loss 0.05 --warmup-s 5 --duration-s 20 --crashes "$crashes" --seed 7 | tee -a "$out"
  done
done
