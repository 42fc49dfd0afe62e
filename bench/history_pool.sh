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
# the asked daemon's CPU per question and all daemons' together (the
# asked one's included).
# Writes one JSON object to bench/results/history-pool.jsonl.
# Usage: [RUNS=5] [WARMUP_S=20] bench/history_pool.sh [N]   (default 128)
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
# CPU (user + system, clock ticks) over the questions, of the asked daemon
# and of them all: besides, each does only its once-a-second work (about
# 1% of a core).
pool_ticks() { local p t=0; for p in "${pids[@]}"; do t=$((t + $(cpu_ticks "$p"))); done; echo "$t"; }
cpu0=$(cpu_ticks "${pids[0]}")
pool0=$(pool_ticks)
ms=()
for k in $(seq 1 "$runs"); do
  start=$(date +%s%N)
  "$ctl" history app --since 24h -o json --node "127.0.0.1:$((base + 3001))" --token-file "$run/tokens" \
    >"$run/answer-$k.json"
  ms+=($((($(date +%s%N) - start) / 1000000)))
done
per_question() { echo "$1 $2 $(getconf CLK_TCK) $runs" | awk '{printf "%.3f", ($1 - $2) / $3 / $4}'; }
asked_cpu_s=$(per_question "$(cpu_ticks "${pids[0]}")" "$cpu0")
pool_cpu_s=$(per_question "$(pool_ticks)" "$pool0")
python3 - "$n" "$run" "$(cat "$run/fill.json")" "$asked_cpu_s" "$pool_cpu_s" "${ms[@]}" >>"$out" <<'PY'
import json, sys
n, run, fill = int(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])
asked_cpu_s, pool_cpu_s = float(sys.argv[4]), float(sys.argv[5])
ms = sorted(int(x) for x in sys.argv[6:])
a = json.load(open(f"{run}/answer-1.json"))
print(json.dumps({"nodes": n, "apps": fill["apps"], "period_ms": fill["period_ms"], "fill_s": fill["fill_s"],
                  "runs": len(ms), "wall_ms": ms, "wall_ms_median": ms[len(ms) // 2],
                  "asked_daemon_cpu_s_per_question": asked_cpu_s, "pool_cpu_s_per_question": pool_cpu_s,
                  "points": len(a.get("points", [])), "step_ms": a.get("step_ms"), "level": a.get("level"),
                  "sources": len(a.get("sources", [])), "failures": a.get("failures", [])}))
PY
tail -n 1 "$out"
