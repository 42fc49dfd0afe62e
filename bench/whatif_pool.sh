#!/usr/bin/env bash
# Planning from history against a live pool, end to end: N real shoald on
# 127.0.0.1 (lan preset, history on) with a monitor policy of APPS
# applications whose one instance every node sees (N x APPS instances a
# period, as in web_scrape.sh), left to record WINDOW seconds; then, asked
# of node 1, the whole `shoalctl whatif` over those seconds at a 1 s step
# (raw samples: every period fetched through the control API in slices and
# replayed) and at a 10 s step, and `shoalctl suggest` at a 10 s step:
# wall time, periods, CPU of the shoalctl process. Writes one JSON object
# to bench/results/whatif-pool.jsonl.
# Usage: bench/whatif_pool.sh [N] [APPS] [WINDOW]   (default: 128 50 120)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-128}
apps=${2:-50}
window=${3:-120}
"$top/scripts/build.sh" Release shoald shoalctl >/dev/null
bin=$top/build/Release/daemon/shoald
ctl=$top/build/Release/tools/shoalctl
out=$top/bench/results/whatif-pool.jsonl
mkdir -p "$(dirname "$out")"
. "$top/bench/loopback_pool.sh"

port=$((21000 + RANDOM % 2000))
cleanup() {
  apps_stop
  pool_stop
}
pool_start "$bin" "$n" "$port" --report-every-ms 0
trap cleanup EXIT
apps_start "whatifbench-$port" "$apps"
policy=$run/apps.xml
sleep 15
"$ctl" policy push "$policy" --node "127.0.0.1:$((base + 3001))" --token-file "$run/tokens" >/dev/null
sleep 10
from=$(date -u +%FT%T)
sleep "$window"
to=$(date -u +%FT%T)

# "wall_s user_s sys_s periods" of one shoalctl command (JSON answer on stdout).
timed() {
  local f=$run/timed.json
  /usr/bin/time -f '%e %U %S' -o "$run/time.txt" "$ctl" "$@" --from "$from" --to "$to" \
    --node "127.0.0.1:$((base + 3001))" --token-file "$run/tokens" --timeout-ms 120000 >"$f" 2>"$run/timed.err"
  read -r wall user sys <"$run/time.txt"
  echo "$wall $user $sys"
}
read -r w1 u1 s1 < <(timed whatif "$policy" --step 1s -o json)
p1=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["periods"])' "$run/timed.json")
read -r w10 u10 s10 < <(timed whatif "$policy" --step 10s -o json)
p10=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["periods"])' "$run/timed.json")
read -r ws us ss < <(timed suggest --step 10s)
booked=$(grep -c '<policy ' "$run/timed.json" || true)
line=$(printf '{"date":"%s","nodes":%d,"apps":%d,"window_s":%d,"whatif_1s":{"periods":%d,"wall_s":%s,"user_s":%s,"sys_s":%s},"whatif_10s":{"periods":%d,"wall_s":%s,"user_s":%s,"sys_s":%s},"suggest_10s":{"policies":%d,"wall_s":%s,"user_s":%s,"sys_s":%s}}' \
  "$(date -u +%FT%TZ)" "$n" "$apps" "$window" "$p1" "$w1" "$u1" "$s1" "$p10" "$w10" "$u10" "$s10" "$booked" "$ws" "$us" "$ss")
echo "$line" | tee -a "$out"
