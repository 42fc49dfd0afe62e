#!/usr/bin/env bash
# What it costs to look at a big pool: N real shoald on 127.0.0.1 (lan
# preset) with a policy of APPS applications, each with one instance that
# every node sees (all nodes read this host's /proc, so the plan holds
# N x APPS instances: the worst case of N servers each running every
# application). After a warm-up: the size and time of GET /metrics and of
# the web view's /api/ answers on node 1 (20 each, p50 and max), and the
# web view's load in headless Chromium (until every node and application
# row shows, and until the history plots have points); and `shoalctl
# explain app1` asked of node 1 (20 times, the whole command's time: the
# planner's steps over 128 instances, policy in force, figures' ages).
# Writes one JSON object to bench/results/web-scrape.jsonl.
# Usage: bench/web_scrape.sh [N] [APPS]   (default: 128 50)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-128}
apps=${2:-50}
"$top/scripts/build.sh" Release shoald shoalctl >/dev/null
bin=$top/build/Release/daemon/shoald
ctl=$top/build/Release/tools/shoalctl
out=$top/bench/results/web-scrape.jsonl
mkdir -p "$(dirname "$out")"
. "$top/bench/loopback_pool.sh"

port=$((23000 + RANDOM % 2000))
http=127.0.0.1:$((port + 2900))
NODE1_FLAGS=(--http "$http")
cleanup() {
  apps_stop
  pool_stop
}
pool_start "$bin" "$n" "$port" --report-every-ms 0
trap cleanup EXIT
apps_start "webbench-$port" "$apps"
policy=$run/apps.xml
sleep 15
"$ctl" policy push "$policy" --node "127.0.0.1:$((base + 3001))" --token-file "$run/tokens" >/dev/null
sleep 20

# time_total and size of `path`, 20 times: "p50_ms max_ms bytes"
measure() {
  local path=$1 i
  for i in $(seq 1 20); do
    curl -s -o /dev/null -w '%{time_total} %{size_download}\n' "http://$http$path"
  done | python3 -c '
import sys
rows = [l.split() for l in sys.stdin if l.strip()]
t = sorted(float(r[0]) * 1000 for r in rows)
print(f"{t[len(t) // 2]:.1f} {t[-1]:.1f} {int(rows[-1][1])}")'
}
read -r m_p50 m_max m_bytes < <(measure /metrics)
read -r a_p50 a_max a_bytes < <(measure /api/apps)
read -r n_p50 n_max n_bytes < <(measure /api/nodes)
read -r h_p50 h_max h_bytes < <(measure "/api/history?what=app&since=3600&step=30")
series=$(curl -s "http://$http/metrics" | grep -vc '^#')
read -r x_p50 x_max x_bytes < <(python3 - "$ctl" "127.0.0.1:$((base + 3001))" "$run/tokens" <<'PY'
import subprocess, sys, time
ctl, node, tokens = sys.argv[1:4]
t, size = [], 0
for _ in range(20):
    t0 = time.monotonic()
    out = subprocess.run([ctl, "explain", "app1", "--node", node, "--token-file", tokens], capture_output=True, check=True).stdout
    t.append((time.monotonic() - t0) * 1000)
    size = len(out)
t.sort()
print(f"{t[len(t) // 2]:.1f} {t[-1]:.1f} {size}")
PY
)
page=$(/usr/bin/python3 "$top/test/support/web_view_check.py" "http://$http/" "$run/web.png" "$n" "$apps")
loaded=$(echo "$page" | python3 -c '
import json, sys
p = json.load(sys.stdin)
print("%.2f" % p["loaded_s"], len(p["nodes"]), len(p["apps"]), sum(1 for x in p["plots"] if x["points"] > 0))')
read -r load_s page_nodes page_apps plots <<<"$loaded"
line=$(printf '{"date":"%s","nodes":%d,"apps":%d,"metrics":{"p50_ms":%s,"max_ms":%s,"bytes":%d,"samples":%d},"api_apps":{"p50_ms":%s,"max_ms":%s,"bytes":%d},"api_nodes":{"p50_ms":%s,"max_ms":%s,"bytes":%d},"api_history_hour":{"p50_ms":%s,"max_ms":%s,"bytes":%d},"explain":{"p50_ms":%s,"max_ms":%s,"bytes":%d},"page":{"rows_shown_s":%s,"nodes":%d,"apps":%d,"plots_with_points":%d}}' \
  "$(date -u +%FT%TZ)" "$n" "$apps" "$m_p50" "$m_max" "$m_bytes" "$series" "$a_p50" "$a_max" "$a_bytes" \
  "$n_p50" "$n_max" "$n_bytes" "$h_p50" "$h_max" "$h_bytes" "$x_p50" "$x_max" "$x_bytes" "$load_s" "$page_nodes" "$page_apps" "$plots")
echo "$line" | tee -a "$out"
