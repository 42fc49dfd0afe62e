#!/usr/bin/env bash
# Builds Shoal and starts a demo pool on this machine, then shows it live.
#
# Each of N "servers" is a shoald in a PID namespace of its own (so it sees
# only its own processes, as on a real server) with a slice of this
# machine's CPU (--cpu-millicores) and its own cgroup subtree, running two
# CPU-hungry sample applications, gold and bronze (shoal-demo-burn). Every
# two seconds the demo prints `shoalctl status` and `shoalctl apps`.
#   at  3 s  examples/policies/small.xml is pushed: gold 75% of the pool,
#            bronze 25%; watch USED follow ALLOCATED;
#   at 25 s  examples/policies/small-reversed.xml: bronze 75%, gold 25%
#            capped at 40%; the shares swap within a second or two;
#   at 45 s  one daemon is killed (its server "dies" with its processes):
#            the pool shrinks and every node re-plans;
#   at 65 s  it is restarted and rejoins.
# From 50 s on it also shows `shoalctl history app --since 2m --step 15s`
# (both applications over the pool, bucket by bucket: the swap and the
# kill, the dead server's figures answered by its replicas) and the last
# events (`shoalctl events`, gathered from every node).
# The web view of the pool (node-1's, daemon/web/index.html) is at the
# address the demo prints.
# Ctrl-C (or --seconds) stops the pool, hands processes back and removes
# every cgroup, namespace and file the demo created. Needs root for cgroups
# and namespaces; without root it runs in monitor mode (measure, plan,
# enforce nothing).
# With --bandwidth it plays the bandwidth act instead (scripts/demo_bandwidth.py):
# three shoalds in network namespaces share a 1 MB/s uplink to a sink; a
# booked application keeps its rate while bulk traffic moves between
# servers and the pipe stays at its capacity; one daemon is killed and its
# guard holds its server to its static share. Needs root.
# Usage: scripts/demo.sh [--nodes N] [--seconds S] [--bandwidth]   (defaults 3 and 0 = until Ctrl-C)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
nodes=3
seconds=0
bandwidth=0
while [ $# -gt 0 ]; do
  case "$1" in
    --nodes) nodes=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --bandwidth) bandwidth=1; shift ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1' "$0"; exit 0 ;;
    *) echo "demo: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [ "$nodes" -lt 2 ] || [ "$nodes" -gt 16 ]; then echo "demo: --nodes must be 2..16" >&2; exit 2; fi

"$top/scripts/build.sh" Release shoald shoalctl shoal-demo-burn
if [ "$bandwidth" = 1 ]; then
  args=(--build "$top/build/Release")
  if [ "$seconds" != 0 ]; then args+=(--seconds "$seconds"); fi
  exec python3 "$top/scripts/demo_bandwidth.py" "${args[@]}"
fi
bin=$top/build/Release/daemon/shoald
ctl=$top/build/Release/tools/shoalctl
burn=$top/build/Release/tools/shoal-demo-burn
. "$top/scripts/ns_pool.sh"
nspool_init "$bin" "$burn" "$nodes"
if [ "$enforce" = 0 ]; then
  echo "demo: not root: running in monitor mode (nothing is enforced) and without PID namespaces" >&2
fi
cleanup() {
  trap - EXIT INT TERM
  echo "demo: stopping the pool"
  local where=$run
  nspool_stop
  echo "demo: pool stopped; processes, cgroups and $where removed"
}
trap cleanup EXIT INT TERM
for i in $(seq 1 "$nodes"); do nspool_start "$i"; done
if ! nspool_wait_ready "$ctl" $(seq 1 "$nodes"); then
  echo "demo: the pool did not start (above: the daemon's own words)" >&2
  exit 1
fi
node1=$(nspool_control 1)
echo "demo: $nodes servers of $slice millicores each on 127.0.0.1:$((base_port + 1))..$((base_port + nodes)), control API on $node1..; logs in $run"
echo "demo: the web view of the pool: http://$(nspool_http 1)/  (metrics: http://$(nspool_http 1)/metrics)"

show() {  # show TITLE: the pool as node-1 sees it
  if [ -t 1 ]; then printf '\033[H\033[2J'; fi
  echo "=== $(date +%T)  $1"
  "$ctl" status --node "$node1" 2>&1 || true
  echo
  "$ctl" apps --node "$node1" 2>&1 || true
  echo
  if [ "$elapsed" -ge 50 ]; then
    echo "--- history, asked of node-1 (shoalctl history app --since 2m --step 15s)"
    "$ctl" history app --since 2m --step 15s --node "$node1" 2>&1 | head -n 24 || true
    echo
    echo "--- last events (shoalctl events --limit 6)"
    "$ctl" events --since 5m --limit 6 --node "$node1" 2>&1 || true
  fi
}
phase="starting: no policy yet, every application is rogue (shares what is free)"
elapsed=0
next_event=3
event=0
while [ "$seconds" = 0 ] || [ "$elapsed" -lt "$seconds" ]; do
  if [ "$elapsed" -ge "$next_event" ]; then
    case $event in
      0) v=$("$ctl" policy push "$top/examples/policies/small.xml" --node "$node1" 2>&1 || true)
         phase="pushed examples/policies/small.xml ($v): gold 75% of the pool, bronze 25%"; next_event=25 ;;
      1) v=$("$ctl" policy push "$top/examples/policies/small-reversed.xml" --node "$(nspool_control 2)" 2>&1 || true)
         phase="pushed examples/policies/small-reversed.xml to node-2 ($v): bronze 75%, gold 25% capped at 40%"; next_event=45 ;;
      2) p=$(nspool_daemon_pid "$nodes")
         kill -9 "$p" 2>/dev/null || true
         phase="killed node-$nodes (pid $p) with SIGKILL: watch it turn failed and the pool re-plan on $((nodes - 1)) servers"; next_event=65 ;;
      3) nspool_start "$nodes"
         phase="restarted node-$nodes: it rejoins and runs the stored policy"; next_event=999999 ;;
    esac
    event=$((event + 1))
  fi
  show "t=${elapsed}s  $phase"
  if ! kill -0 "${nspool_wrapper[1]}" 2>/dev/null; then
    echo "demo: node-1, the one shown, stopped; the end of its log:" >&2
    tail -n 15 "$run/node-1.log" >&2
    exit 1
  fi
  sleep 2
  elapsed=$((elapsed + 2))
done
