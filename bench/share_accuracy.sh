#!/usr/bin/env bash
# Pool-wide CPU share accuracy on the real kernel. Starts the demo's pool
# (scripts/ns_pool.sh: N servers in PID namespaces, each with a slice of
# this machine's CPU and the sample applications gold and bronze, both
# always hungry), pushes examples/policies/small.xml (gold 75%, bronze 25%)
# and, after 10 s to settle, reads every group's cpuacct.usage every 100 ms
# for 60 s: the pool-wide share gold got of what the two used, against the
# plan's 75%, over every 1 s and 10 s window. Then pushes
# small-reversed.xml (gold's plan: 25%) and reports how long until a 1 s
# window is back within 3 points of the new plan. Needs root.
# Writes bench/results/share-accuracy.jsonl.
# Usage: bench/share_accuracy.sh [NODES...]   (default 3)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" = 0 ] || { echo "share_accuracy: needs root (cgroups, namespaces)" >&2; exit 2; }
"$top/scripts/build.sh" Release shoald shoalctl shoal-demo-burn >/dev/null
bin=$top/build/Release/daemon/shoald
ctl=$top/build/Release/tools/shoalctl
burn=$top/build/Release/tools/shoal-demo-burn
out=$top/bench/results/share-accuracy.jsonl
mkdir -p "$(dirname "$out")"
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(3)
. "$top/scripts/ns_pool.sh"
for n in "${sizes[@]}"; do
  nspool_init "$bin" "$burn" "$n"
  trap nspool_stop EXIT
  for i in $(seq 1 "$n"); do nspool_start "$i"; done
  sleep 3
  "$ctl" policy push "$top/examples/policies/small.xml" --node "$(nspool_control 1)" >/dev/null
  sleep 10
  python3 "$top/bench/share_accuracy.py" --cgroup-top "$cgroup_top" --nodes "$n" --slice "$slice" \
    --seconds 60 --swap "$ctl policy push $top/examples/policies/small-reversed.xml --node $(nspool_control 2)" \
    | tee -a "$out"
  nspool_stop
  trap - EXIT
done
