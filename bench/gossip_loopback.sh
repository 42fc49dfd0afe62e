#!/usr/bin/env bash
# Loopback gossip benchmark: N real shoald processes on 127.0.0.1 (lan
# preset, 20 ms period). Node 1 starts a pool probe every second; every node
# prints its traffic counters every 5 s. After a warm-up, over a window:
# time for a probe to reach every node (from node 1's log), CPU per process
# (/proc/PID/stat), RSS (VmRSS) and bytes sent + received per second.
# Writes one JSON object per N to bench/results/gossip-loopback.jsonl.
# Usage: bench/gossip_loopback.sh [N...]   (default: 16 64 128)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/build.sh" Release shoald >/dev/null
bin=$top/build/Release/daemon/shoald
out=$top/bench/results/gossip-loopback.jsonl
mkdir -p "$(dirname "$out")"
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(16 64 128)
warmup=10
window=30
hz=$(getconf CLK_TCK)

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

for n in "${sizes[@]}"; do
  run=$(mktemp -d "${TMPDIR:-/tmp}/shoal-bench.XXXXXX")
  base=$((19000 + RANDOM % 2000))
  pids=()
  stop_all() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$run"
  }
  trap stop_all EXIT
  "$bin" --generate-key "$run/pool.key" >/dev/null
  for i in $(seq 1 "$n"); do
    extra=()
    [ "$i" = 1 ] && extra=(--probe-every-ms 1000)
    "$bin" --config /dev/null --preset lan --name "node-$i" --bind "127.0.0.1:$((base + i))" \
      --seed "127.0.0.1:$((base + 1))" --seed "127.0.0.1:$((base + 2))" \
      --key-file "$run/pool.key" --state-dir "$run/node-$i" --report-every-ms 5000 \
      "${extra[@]}" >"$run/node-$i.out" 2>"$run/node-$i.log" &
    pids+=($!)
  done
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
    "$(python3 -c "print(($t1 - $t0) * $hz)")" >>"$out"
  tail -n 1 "$out"
  stop_all
  trap - EXIT
done
