#!/usr/bin/env bash
# Policy push on the simulated network: policy-push-bench at 128 and 1,000
# nodes, 5% loss. Writes bench/results/policy-push-sim.jsonl.
# Usage: bench/policy_push_sim.sh
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/build.sh" Release policy-push-bench >/dev/null
out=$top/bench/results/policy-push-sim.jsonl
: >"$out"
for n in 128 1000; do
  pushes=10
  [ "$n" -ge 1000 ] && pushes=5
  "$top/build/Release/bench/policy-push-bench" --nodes "$n" --pushes "$pushes" --loss 0.05 \
    --examples "$top/examples/policies" | tee -a "$out"
done
