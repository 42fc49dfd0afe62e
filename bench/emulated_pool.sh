#!/usr/bin/env bash
# One real shoald among emulated peers (issue 25): shoal-emulate runs N-1
# whole node engines on real sockets (tools/emu/emulated_pool.h) pinned to
# CPU 0, the real daemon (lan preset, history on, enforcement off) runs
# pinned to CPU 1 and joins them; shoal-emulate's 20-application policy is
# pushed through the daemon. After a warm-up (WARMUP, 90 s: a fresh pool's
# history restores, every node asking every other, and the policy
# fetches from the daemon end, and their connections idle out, 60 s after
# the last call; the window measures the pool's steady work), over a
# window (WINDOW, 60 s): the daemon's
# CPU (user + system from /proc, and perf stat's task-clock and context
# switches when perf is there), RSS, UDP and peer-stream bytes and packets
# a second (its report lines), how late its ticks start, and the emulator's
# own round time (a round near the 20 ms period means the emulator, not
# the daemon, limits the figures).
# Writes one JSON object per size to bench/results/emulated-pool.jsonl.
# With PERF_RECORD=DIR, also records the daemon's call graphs over the
# window (perf record, 3 kHz, DWARF) into DIR/perf-N.data for perf report.
# Usage: bench/emulated_pool.sh [N...]   (default: 16 128)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/build.sh" Release shoald shoalctl shoal-emulate >/dev/null
bin=$top/build/Release/daemon/shoald
ctl=$top/build/Release/tools/shoalctl
emu=$top/build/Release/tools/shoal-emulate
out=$top/bench/results/emulated-pool.jsonl
mkdir -p "$(dirname "$out")"
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(16 128)
warmup=${WARMUP:-90}
window=${WINDOW:-60}
hz=$(getconf CLK_TCK)

run=$(mktemp -d "${TMPDIR:-/tmp}/shoal-emulated.XXXXXX")
pids=()
stop_all() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pids=()
}
trap 'stop_all; rm -rf "$run"' EXIT
"$bin" --generate-key "$run/pool.key" >/dev/null
"$bin" --generate-token admin >"$run/tokens"
chmod 600 "$run/tokens"
"$emu" --print-policy >"$run/policy.xml"

# Live nodes as the daemon counts them (status exits 1 while a booking
# cannot be met: the answer is still read).
nodes_live() {
  local answer
  answer=$("$ctl" status "${ask[@]}" -o json 2>/dev/null || true)
  python3 -c 'import json, sys; print(json.load(sys.stdin)["nodes_live"])' <<<"$answer" 2>/dev/null || echo 0
}

for n in "${sizes[@]}"; do
  port=$((24000 + RANDOM % 2000))
  rm -rf "$run/state" "$run"/*.out "$run"/*.log
  taskset -c 0 "$emu" --peers $((n - 1)) --key-file "$run/pool.key" --seed "127.0.0.1:$port" \
    --first-address "127.1.0.1:$port" --report-every-ms 5000 >"$run/emu.out" 2>&1 &
  pids+=($!)
  taskset -c 1 "$bin" --config /dev/null --preset lan --name real --bind "127.0.0.1:$port" \
    --seed "127.1.0.1:$port" --key-file "$run/pool.key" --state-dir "$run/state" \
    --control "127.0.0.1:$((port + 3000))" --tokens-file "$run/tokens" --enforcer off \
    --report-every-ms 5000 >"$run/real.out" 2>"$run/real.log" &
  real=$!
  pids+=("$real")
  ask=(--node "127.0.0.1:$((port + 3000))" --token-file "$run/tokens")
  for _ in $(seq 1 120); do
    [ "$(nodes_live)" = "$n" ] && break
    sleep 0.5
  done
  "$ctl" policy push "$run/policy.xml" "${ask[@]}" >/dev/null
  sleep "$warmup"
  lines_real=$(wc -l <"$run/real.out")
  lines_emu=$(wc -l <"$run/emu.out")
  ticks0=$(awk '{print $14 " " $15}' "/proc/$real/stat")
  perf_out=$run/perf.csv
  if [ -n "${PERF_RECORD:-}" ]; then
    mkdir -p "$PERF_RECORD"
    perf record -q -F 3000 --call-graph dwarf -o "$PERF_RECORD/perf-$n.data" -p "$real" -- sleep "$window" \
      >/dev/null 2>&1 &
    record=$!
  fi
  if command -v perf >/dev/null && perf stat -x, -e task-clock -p "$real" -- true >/dev/null 2>&1; then
    perf stat -x, -o "$perf_out" -e task-clock,context-switches,cpu-migrations -p "$real" -- sleep "$window" || true
  else
    : >"$perf_out"
    sleep "$window"
  fi
  ticks1=$(awk '{print $14 " " $15}' "/proc/$real/stat")
  [ -z "${PERF_RECORD:-}" ] || wait "$record" || true  # it ends with the window
  rss_kb=$(awk '/VmRSS/ {print $2}' "/proc/$real/status")
  live=$(nodes_live)
  python3 "$top/bench/emulated_summary.py" "$n" "$run" "$lines_real" "$lines_emu" "$ticks0" "$ticks1" "$hz" \
    "$window" "$rss_kb" "$live" "$(git -C "$top" rev-parse --short HEAD)" >>"$out"
  tail -n 1 "$out"
  stop_all
done
