#!/usr/bin/env bash
# Builds Shoal and starts a demo pool on this machine: N shoald daemons on
# 127.0.0.1 that gossip, with node 1's view of the pool printed every second.
# At 5 s a policy document (examples/policies/full.xml) is pushed to node-2
# and spreads to every node; at 10 s one daemon is killed (watch it turn
# suspect, then failed) and at 20 s restarted (watch it rejoin, running the
# stored policy at once). Ctrl-C stops the pool and removes what the demo
# created.
# Usage: scripts/demo.sh [--nodes N] [--seconds S]   (defaults 5 and 0 = until Ctrl-C)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
nodes=5
seconds=0
while [ $# -gt 0 ]; do
  case "$1" in
    --nodes) nodes=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "demo: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [ "$nodes" -lt 3 ] || [ "$nodes" -gt 64 ]; then echo "demo: --nodes must be 3..64" >&2; exit 2; fi

"$top/scripts/build.sh" Release shoald shoalctl shoal-sim
bin=$top/build/Release/daemon/shoald
ctl=$top/build/Release/tools/shoalctl
run=$(mktemp -d "${TMPDIR:-/tmp}/shoal-demo.XXXXXX")
base_port=$((17100 + RANDOM % 500))
pids=()
cleanup() {
  trap - EXIT INT TERM
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$run"
  echo "demo: pool stopped, $run removed"
}
trap cleanup EXIT INT TERM

"$bin" --generate-key "$run/pool.key" >/dev/null
start_node() {  # start_node I [extra flags...]
  local i=$1; shift
  "$bin" --config /dev/null --preset local --name "node-$i" --bind "127.0.0.1:$((base_port + i))" \
    --seed "127.0.0.1:$((base_port + 1))" --seed "127.0.0.1:$((base_port + 2))" \
    --key-file "$run/pool.key" --state-dir "$run/node-$i" "$@" \
    >>"$run/node-$i.out" 2>>"$run/node-$i.log" &
  pids[$i]=$!
}
for i in $(seq 2 "$nodes"); do start_node "$i"; done
echo "demo: $nodes daemons on 127.0.0.1:$((base_port + 1))..$((base_port + nodes)); logs in $run"
echo "demo: node-1's view and events follow; a policy is pushed at 5 s; node-3 is killed at 10 s and restarted at 20 s."
echo "demo: Ctrl-C stops the pool."
"$bin" --config /dev/null --preset local --name node-1 --bind "127.0.0.1:$((base_port + 1))" \
  --seed "127.0.0.1:$((base_port + 2))" --key-file "$run/pool.key" --state-dir "$run/node-1" \
  --report-every-ms 1000 &
pids[1]=$!

versions() {  # which policy version each node runs, as node-1 sees it
  echo "demo: shoalctl policy versions"
  "$ctl" policy versions --node "127.0.0.1:$((base_port + 1))" --key-file "$run/pool.key" | sed 's/^/  /' || true
}
sleep 5
echo "demo: shoalctl policy push examples/policies/full.xml --node 127.0.0.1:$((base_port + 2))"
"$ctl" policy push "$top/examples/policies/full.xml" --node "127.0.0.1:$((base_port + 2))" \
  --key-file "$run/pool.key" | sed 's/^/  version /' || true
sleep 1
versions
sleep 4
echo "demo: killing node-3 (pid ${pids[3]}) with SIGKILL"
kill -9 "${pids[3]}" 2>/dev/null || true
wait "${pids[3]}" 2>/dev/null || true
sleep 10
echo "demo: restarting node-3"
start_node 3
sleep 2
versions
if [ "$seconds" -gt 0 ]; then
  sleep $((seconds > 22 ? seconds - 22 : 1))
else
  wait "${pids[1]}"
fi
