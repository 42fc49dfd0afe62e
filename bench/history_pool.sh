#!/usr/bin/env bash
# A day's pool-wide history question, end to end on real daemons: N shoald
# on 127.0.0.1 (lan preset) start on state directories that
# `history-bench fill` filled with a day of 20 applications each (one
# period every 30 s, rolled up as shoald keeps them; the node's own
# origin), history copies 0 (each node's rows on itself: every node
# answers for its own). After a warm-up, `shoalctl history app --since 24h
# -o json` asks node 1 about every application, RUNS times; the wall time
# of each shoalctl run is the figure (connect, the fan-out to every node,
# each node's RocksDB read and answer, the merge, the sums, the JSON); with
# the CPU a question costs the asked daemon and all daemons together
# (above their idle work; the cores that takes is reported too), the CPU
# shoalctl itself spends (reading the answer, writing the JSON), and the
# asked daemon's RSS after the questions and a minute later.
# Writes one JSON object to bench/results/history-pool.jsonl.
# Usage: [RUNS=5] [WARMUP_S=20] [NOTE=text] bench/history_pool.sh [N]   (default 128)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/build.sh" Release shoald shoalctl history-bench >/dev/null
bin=$top/build/Release/daemon/shoald
ctl=$top/build/Release/tools/shoalctl
fill=$top/build/Release/bench/history-bench
out=$top/bench/results/history-pool.jsonl
mkdir -p "$(dirname "$out")"
n=${1:-128}
runs=${RUNS:-5}
. "$top/bench/loopback_pool.sh"

conf=$(mktemp /tmp/shoal-history-pool.XXXXXX.toml)
printf '[history]\ncopies = 0\n' >"$conf"
prepare() { "$fill" fill --dir "$1" --nodes "$2" --apps 20 --period-ms 30000 >"$1/fill.json"; }
POOL_CONFIG=$conf POOL_PREPARE=prepare pool_start "$bin" "$n" $((21000 + RANDOM % 2000)) --report-every-ms 0
trap 'pool_stop; rm -f "$conf"' EXIT
sleep "${WARMUP_S:-20}"
# CPU (user + system, clock ticks) of the asked daemon and of them all.
pool_ticks() { local p t=0; for p in "${pids[@]}"; do t=$((t + $(cpu_ticks "$p"))); done; echo "$t"; }
# The pool's own once-a-second work, over 5 s before the questions: the
# CPU figures are what the questions add to it.
idle0=$(pool_ticks)
idle_asked0=$(cpu_ticks "${pids[0]}")
sleep 5
idle_ticks=$(($(pool_ticks) - idle0))
idle_asked_ticks=$(($(cpu_ticks "${pids[0]}") - idle_asked0))
cpu0=$(cpu_ticks "${pids[0]}")
pool0=$(pool_ticks)
t0=$(date +%s%N)
ms=()
ctl_cpu=()
for k in $(seq 1 "$runs"); do
  start=$(date +%s%N)
  /usr/bin/time -f '%U %S' -o "$run/ctl-time-$k" \
    "$ctl" history app --since 24h -o json --node "127.0.0.1:$((base + 3001))" --token-file "$run/tokens" \
    >"$run/answer-$k.json"
  ms+=($((($(date +%s%N) - start) / 1000000)))
  ctl_cpu+=("$(awk '{printf "%.2f", $1 + $2}' "$run/ctl-time-$k")")
done
elapsed_ms=$((($(date +%s%N) - t0) / 1000000))
# Ticks now, at the start, idle ticks in 5 s: seconds a question above idle.
per_question() {
  echo "$1 $2 $3 $elapsed_ms $(getconf CLK_TCK) $runs" | awk '{printf "%.3f", ($1 - $2 - $3 * $4 / 5000) / $5 / $6}'
}
asked_cpu_s=$(per_question "$(cpu_ticks "${pids[0]}")" "$cpu0" "$idle_asked_ticks")
pool_cpu_s=$(per_question "$(pool_ticks)" "$pool0" "$idle_ticks")
idle_cores=$(echo "$idle_ticks $(getconf CLK_TCK)" | awk '{printf "%.2f", $1 / $2 / 5}')
asked_rss_kb=$(awk '/^VmRSS/ {print $2}' "/proc/${pids[0]}/status")
# And a minute later, after shoald's minute trim of its free heap.
sleep 61
asked_rss_later_kb=$(awk '/^VmRSS/ {print $2}' "/proc/${pids[0]}/status")
python3 - "$n" "$run" "$(cat "$run/fill.json")" "$asked_cpu_s" "$pool_cpu_s" "$asked_rss_kb" "$idle_cores" \
  "$asked_rss_later_kb" "$(git -C "$top" rev-parse --short HEAD)" "${NOTE:-}" "$(IFS=,; echo "${ctl_cpu[*]}")" \
  "${ms[@]}" >>"$out" <<'PY'
import json, sys
n, run, fill = int(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])
asked_cpu_s, pool_cpu_s, asked_rss_kb, idle_cores = (float(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6]),
                                                     float(sys.argv[7]))
asked_rss_later_kb, commit, note = int(sys.argv[8]), sys.argv[9], sys.argv[10]
ctl_cpu = sorted(float(x) for x in sys.argv[11].split(","))
ms = sorted(int(x) for x in sys.argv[12:])
a = json.load(open(f"{run}/answer-1.json"))
print(json.dumps({"nodes": n, "apps": fill["apps"], "period_ms": fill["period_ms"], "fill_s": fill["fill_s"],
                  "runs": len(ms), "wall_ms": ms, "wall_ms_median": ms[len(ms) // 2],
                  "pool_idle_cores": idle_cores, "asked_daemon_cpu_s_per_question": asked_cpu_s,
                  "pool_cpu_s_per_question": pool_cpu_s, "shoalctl_cpu_s_median": ctl_cpu[len(ctl_cpu) // 2],
                  "asked_daemon_rss_mb_after": round(asked_rss_kb / 1024, 1),
                  "asked_daemon_rss_mb_a_minute_later": round(asked_rss_later_kb / 1024, 1),
                  "points": len(a.get("points", [])), "step_ms": a.get("step_ms"), "level": a.get("level"),
                  "sources": len(a.get("sources", [])), "failures": a.get("failures", []), "commit": commit,
                  **({"note": note} if note else {})}))
PY
tail -n 1 "$out"
