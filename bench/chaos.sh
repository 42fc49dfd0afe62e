#!/usr/bin/env bash
# The chaos suite's long form (bench/chaos.py): N shoald in network
# namespaces under a seeded schedule of faults for SECONDS, then the
# invariants; one JSON line (with the faults' log) appended to
# bench/results/chaos.jsonl and a summary on the terminal. Needs root.
# Usage: bench/chaos.sh [SECONDS=1800] [NODES=16] [SEED=1] [chaos.py options, e.g. --spare 0]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-1800}
nodes=${2:-16}
seed=${3:-1}
shift $(( $# < 3 ? $# : 3 ))
"$top/scripts/build.sh" Release shoald shoalctl shoal-demo-burn >/dev/null
out=$top/bench/results/chaos.jsonl
mkdir -p "$(dirname "$out")"
line=$(python3 "$top/bench/chaos.py" --build "$top/build/Release" --nodes "$nodes" --seconds "$seconds" \
  --seed "$seed" --json "$@") || true
echo "$line" >>"$out"
echo "$line" | python3 -c '
import json, sys
r = json.load(sys.stdin)
r.pop("log")
print(json.dumps(r, indent=1))'
