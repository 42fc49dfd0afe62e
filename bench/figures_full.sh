#!/usr/bin/env bash
# Whole node engines planning from the pool's figures (issue 26) against
# the live view of every node's status: shoal-sim --full with --plan-from
# figures and live, 5% loss, crashes after the push. Reports each node's
# row against the whole plan from every node's sample at that moment, the
# booked CPU the simulated servers deliver, the push and the traffic.
# Records bench/results/figures-full.jsonl.
# Usage: bench/figures_full.sh [SIZES...]   (default: 128 1024; the live
# view at 1,024 takes about 6 minutes, every engine walking every status)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/build.sh" Release shoal-sim >/dev/null
bin=$top/build/Release/tools/shoal-sim
out=$top/bench/results/figures-full.jsonl
mkdir -p "$(dirname "$out")"
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(128 1024)
: >"$out"
for nodes in "${sizes[@]}"; do
  for from in live figures; do
    echo "bench: shoal-sim --full --plan-from $from --nodes $nodes --loss 0.05 --duration-s 20 --crashes 2 --seed 7" >&2
    "$bin" --full --plan-from "$from" --nodes "$nodes" --loss 0.05 --duration-s 20 --crashes 2 --seed 7 --json | tee -a "$out"
  done
done
