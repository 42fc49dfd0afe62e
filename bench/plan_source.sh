#!/usr/bin/env bash
# Planning from the live view or from the snapshot epoch, decided with the
# whole-node simulator: 128 engines on the LAN preset, 5% loss, one crash,
# a busy pool whose demand moves every second, 30 simulated seconds, three
# seeds per choice. Per run: how far apart the nodes' plans are (spread),
# how long the figures each plan reads have been superseded (lag), and the
# wall time the same simulated run took (the replans' cost). Writes
# bench/results/plan_source.jsonl.
# Usage: bench/plan_source.sh [NODES]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
nodes=${1:-128}
"$top/scripts/build.sh" Release shoal-sim >/dev/null
out=$top/bench/results/plan_source.jsonl
mkdir -p "$(dirname "$out")"
: >"$out"
for seed in 1 2 3; do
  for from in live snapshot; do
    echo "bench: shoal-sim --full --nodes $nodes --loss 0.05 --duration-s 30 --seed $seed --plan-from $from" >&2
    "$top/build/Release/tools/shoal-sim" --full --nodes "$nodes" --loss 0.05 --duration-s 30 --seed "$seed" \
      --plan-from "$from" --json | tee -a "$out"
  done
done
