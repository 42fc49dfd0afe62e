#!/usr/bin/env bash
# A day's pool-wide history question, end to end on real daemons: N shoald
# on 127.0.0.1 (lan preset) start on state directories that
# `history-bench fill` filled with a day of 20 applications each (one
# period every 30 s, rolled up as shoald keeps them; the node's own
# origin), history copies 0 (each node's rows on itself: every node
# answers for its own). After a warm-up, `shoalctl history app --since 24h
# -o json` asks node 1 about every application, RUNS times; the wall time
# of each shoalctl run is the figure (connect, the fan-out to every node,
# each node's RocksDB read and answer, the merge, the sums, the JSON).
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
ms=()
for k in $(seq 1 "$runs"); do
  start=$(date +%s%N)
  "$ctl" history app --since 24h -o json --node "127.0.0.1:$((base + 3001))" --token-file "$run/tokens" \
    >"$run/answer-$k.json"
  ms+=($((($(date +%s%N) - start) / 1000000)))
done
python3 - "$n" "$run" "$(cat "$run/fill.json")" "${ms[@]}" >>"$out" <<'PY'
import json, sys
n, run, fill = int(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])
ms = sorted(int(x) for x in sys.argv[4:])
a = json.load(open(f"{run}/answer-1.json"))
print(json.dumps({"nodes": n, "apps": fill["apps"], "period_ms": fill["period_ms"], "fill_s": fill["fill_s"],
                  "runs": len(ms), "wall_ms": ms, "wall_ms_median": ms[len(ms) // 2],
                  "points": len(a.get("points", [])), "step_ms": a.get("step_ms"), "level": a.get("level"),
                  "sources": len(a.get("sources", [])), "failures": a.get("failures", [])}))
PY
tail -n 1 "$out"
