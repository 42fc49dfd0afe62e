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
# With BESIDE="PATH..." (other shoald binaries; BESIDE_LABEL="LABEL..."
# names them in the JSON), each joins the same pool beside the first
# (127.0.0.2 on, the same CPU, one emulated peer fewer each) and is
# measured over the same window: builds compared in one run, under the
# same guest's mood (alternated runs on this KVM guest moved by half
# within minutes). A daemon's name sets which peers keep their history
# replicas on it, so swap the binaries between names across runs.
# GOSSIP_PERIOD_MS, GOSSIP_FANOUT, GOSSIP_SENDS set the whole pool's
# exchange (the emulated peers' flags and the daemons' [gossip] keys;
# default the lan preset's 20 ms, 3, 4).
# REAL=PATH (REAL_LABEL) runs another shoald as the first daemon, so two
# builds can swap places.
# With PERF_RECORD=DIR, also records the daemon's call graphs over the
# window (perf record, 3 kHz, DWARF) into DIR/perf-N.data for perf report.
# Usage: bench/emulated_pool.sh [N...]   (default: 16 128)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/build.sh" Release shoald shoalctl shoal-emulate >/dev/null
bin=${REAL:-$top/build/Release/daemon/shoald}
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

gossip_flags=()
printf '[gossip]\n' >"$run/shoald.toml"
for key in period_ms fanout sends; do
  var=GOSSIP_${key^^}
  [ -n "${!var:-}" ] || continue
  printf '%s = %s\n' "$key" "${!var}" >>"$run/shoald.toml"
  gossip_flags+=("--${key//_/-}" "${!var}")
done
settings="${GOSSIP_PERIOD_MS:-20} ms, fanout ${GOSSIP_FANOUT:-3}, sends ${GOSSIP_SENDS:-4}"

# One real daemon: NAME ADDRESS BINARY (pinned to CPU 1, joining the
# emulated peers); its pid goes into daemon_pid[NAME].
declare -A daemon_pid
start_daemon() {
  local name=$1 addr=$2 binary=$3
  taskset -c 1 "$binary" --config "$run/shoald.toml" --preset lan --name "$name" --bind "$addr:$port" \
    --seed "127.1.0.1:$port" --key-file "$run/pool.key" --state-dir "$run/state-$name" \
    --control "$addr:$((port + 3000))" --tokens-file "$run/tokens" --enforcer off \
    --report-every-ms 5000 >"$run/$name.out" 2>"$run/$name.log" &
  daemon_pid[$name]=$!
  pids+=($!)
}
cpu_ticks() { awk '{print $14 " " $15}' "/proc/$1/stat"; }

names=(real)
read -r -a beside_bins <<<"${BESIDE:-}"
read -r -a beside_labels <<<"${BESIDE_LABEL:-}"
declare -A binary_of label_of
for i in "${!beside_bins[@]}"; do
  names+=("beside$((i + 1))")
  binary_of[beside$((i + 1))]=${beside_bins[$i]}
  label_of[beside$((i + 1))]=${beside_labels[$i]:-${beside_bins[$i]}}
done
for n in "${sizes[@]}"; do
  port=$((24000 + RANDOM % 2000))
  rm -rf "$run"/state-* "$run"/*.out "$run"/*.log
  taskset -c 0 "$emu" --peers $((n - ${#names[@]})) --key-file "$run/pool.key" --seed "127.0.0.1:$port" \
    --first-address "127.1.0.1:$port" --report-every-ms 5000 "${gossip_flags[@]}" >"$run/emu.out" 2>&1 &
  pids+=($!)
  start_daemon real 127.0.0.1 "$bin"
  for i in "${!beside_bins[@]}"; do start_daemon "beside$((i + 1))" "127.0.0.$((i + 2))" "${beside_bins[$i]}"; done
  ask=(--node "127.0.0.1:$((port + 3000))" --token-file "$run/tokens")
  for _ in $(seq 1 120); do
    [ "$(nodes_live)" = "$n" ] && break
    sleep 0.5
  done
  "$ctl" policy push "$run/policy.xml" "${ask[@]}" >/dev/null
  sleep "$warmup"
  lines_emu=$(wc -l <"$run/emu.out")
  declare -A lines ticks0 ticks1
  for name in "${names[@]}"; do
    lines[$name]=$(wc -l <"$run/$name.out")
    ticks0[$name]=$(cpu_ticks "${daemon_pid[$name]}")
  done
  if [ -n "${PERF_RECORD:-}" ]; then
    mkdir -p "$PERF_RECORD"
    perf record -q -F 3000 --call-graph dwarf -o "$PERF_RECORD/perf-$n.data" -p "${daemon_pid[real]}" \
      -- sleep "$window" >/dev/null 2>&1 &
    record=$!
  fi
  stats=()
  for name in "${names[@]}"; do
    : >"$run/perf-$name.csv"
    if command -v perf >/dev/null && perf stat -x, -e task-clock -p "${daemon_pid[$name]}" -- true >/dev/null 2>&1; then
      perf stat -x, -o "$run/perf-$name.csv" -e task-clock,context-switches,cpu-migrations \
        -p "${daemon_pid[$name]}" -- sleep "$window" &
      stats+=($!)
    fi
  done
  sleep "$window"
  for s in "${stats[@]}"; do wait "$s" || true; done
  for name in "${names[@]}"; do ticks1[$name]=$(cpu_ticks "${daemon_pid[$name]}"); done
  [ -z "${PERF_RECORD:-}" ] || wait "$record" || true  # it ends with the window
  live=$(nodes_live)
  for name in "${names[@]}"; do
    rss_kb=$(awk '/VmRSS/ {print $2}' "/proc/${daemon_pid[$name]}/status")
    label=${REAL_LABEL:-$(git -C "$top" rev-parse --short HEAD)}
    [ "$name" = real ] || label=${label_of[$name]}
    python3 "$top/bench/emulated_summary.py" "$n" "$run" "${lines[$name]}" "$lines_emu" "${ticks0[$name]}" \
      "${ticks1[$name]}" "$hz" "$window" "$rss_kb" "$live" "$label" "$name" "${#names[@]}" "$settings" >>"$out"
    tail -n 1 "$out"
  done
  stop_all
done
