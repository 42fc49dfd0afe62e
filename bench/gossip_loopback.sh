#!/usr/bin/env bash
# Loopback gossip benchmark: N real shoald processes on 127.0.0.1 (lan
# preset, 20 ms period). Node 1 starts a pool probe every second; every node
# prints its traffic counters every 5 s. After a warm-up, over a window:
# time for a probe to reach every node (from node 1's log), CPU per process
# (/proc/PID/stat), RSS (VmRSS) and bytes sent + received per second.
# With POLICY=FILE in the environment, FILE is pushed before the warm-up,
# so every daemon also samples, detects and plans (enforcement stays off).
# WARMUP=S (default 10) waits longer before the window: every daemon's
# store is new, so 10-20 s after the start each asks the pool once for
# rows of earlier stores (store/restorer.h), and its streams to the peers
# stay open a minute; WARMUP=90 measures past that.
# Writes one JSON object per N to bench/results/gossip-loopback.jsonl.
# Usage: [POLICY=FILE] [WARMUP=S] bench/gossip_loopback.sh [N...]   (default: 16 64 128)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/build.sh" Release shoald shoalctl >/dev/null
bin=$top/build/Release/daemon/shoald
ctl=$top/build/Release/tools/shoalctl
out=$top/bench/results/gossip-loopback.jsonl
mkdir -p "$(dirname "$out")"
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(16 64 128)
warmup=${WARMUP:-10}
window=30
hz=$(getconf CLK_TCK)
. "$top/bench/loopback_pool.sh"

for n in "${sizes[@]}"; do
  NODE1_FLAGS=(--probe-every-ms 1000)
  pool_start "$bin" "$n" $((19000 + RANDOM % 2000)) --report-every-ms 5000
  trap pool_stop EXIT
  if [ -n "${POLICY:-}" ]; then
    for _ in $(seq 1 50); do
      "$ctl" policy push "$POLICY" --node "127.0.0.1:$((base + 3001))" --token-file "$run/tokens" >/dev/null 2>&1 && break
      sleep 0.2
    done
  fi
  sleep "$warmup"
  declare -A cpu0=()
  for p in "${pids[@]}"; do cpu0[$p]=$(cpu_ticks "$p"); done
  probe_from=$(grep -c 'probe ' "$run/node-1.log" || true)
  t0=$(date +%s.%N)
  sleep "$window"
  t1=$(date +%s.%N)
  cpu_ticks_used=()
  rss_kbs=()
  for p in "${pids[@]}"; do
    cpu_ticks_used+=("$(( $(cpu_ticks "$p") - ${cpu0[$p]} ))")
    rss_kbs+=("$(awk '/VmRSS/ {print $2}' "/proc/$p/status")")
  done
  python3 "$top/bench/loopback_summary.py" "$n" "$run" "$probe_from" \
    "$(IFS=,; echo "${cpu_ticks_used[*]}")" "$(IFS=,; echo "${rss_kbs[*]}")" \
    "$(python3 -c "print(($t1 - $t0) * $hz)")" "$(basename "${POLICY:-none}")" >>"$out"
  tail -n 1 "$out"
  pool_stop
  trap - EXIT
done
