#!/usr/bin/env bash
# Failure detection with real daemons: N shoald on 127.0.0.1 (lan preset),
# and after a warm-up K of them, one every 6 s, are killed with SIGKILL (by
# the pid this script started). For every (killed node, surviving node)
# pair, the time from the kill to the survivor's log saying the node
# failed; and, over the whole run, how often a survivor accused, suspected
# or declared failed a node that was never killed, and how many
# accusations the accused refuted.
# Writes one JSON object per N to bench/results/loopback-detect.jsonl.
# Usage: bench/loopback_detect.sh [N [K]]   (default: 32 3)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/build.sh" Release shoald >/dev/null
bin=$top/build/Release/daemon/shoald
out=$top/bench/results/loopback-detect.jsonl
mkdir -p "$(dirname "$out")"
n=${1:-32}
k=${2:-3}
[ "$k" -lt "$n" ] || { echo "loopback_detect: kill fewer nodes than the pool has" >&2; exit 2; }
. "$top/bench/loopback_pool.sh"

pool_start "$bin" "$n" $((21000 + RANDOM % 2000))
trap pool_stop EXIT
sleep 10
kills=()
# Nodes 1 and 2 are every node's seeds: the victims are from 3 up.
for v in $(seq 3 $((k + 2))); do
  kills+=("$v:$(date +%s.%N)")
  # Reaped at once, so the shell does not report the kill as a crash.
  { kill -KILL "${pids[$((v - 1))]}" && wait "${pids[$((v - 1))]}"; } 2>/dev/null || true
  sleep 6
done
python3 - "$n" "$run" "${kills[@]}" >>"$out" <<'EOF'
import datetime, glob, json, re, sys
n, run, kills = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
ids = {}
for i in range(1, n + 1):
    with open(f"{run}/node-{i}.log") as f:
        m = re.search(r"node node-\d+ \(([0-9a-f]{16})\)", f.read())
        ids[i] = m.group(1)
victims = {ids[int(v)]: float(t) for v, t in (x.split(":") for x in kills)}
line = re.compile(r"^(\S+) \S+ \[node-(\d+)\] node ([0-9a-f]{16}) at \S+ (failed|accused|suspected)$")
detect, missing = [], 0
false = {"failed": 0, "accused": 0, "suspected": 0}
refuted = 0
for i in range(1, n + 1):
    if ids[i] in victims:
        continue
    first = {}
    with open(f"{run}/node-{i}.log") as f:
        for l in f:
            refuted += "refuted with incarnation" in l
            m = line.match(l.strip())
            if not m:
                continue
            # shoald logs local time, as `date` gave the kill times.
            at = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%f").timestamp()
            who, what = m.group(3), m.group(4)
            if who in victims:
                if what == "failed" and at >= victims[who] and who not in first:
                    first[who] = at
            else:
                false[what] += 1
    for v, t in victims.items():
        if v in first:
            detect.append((first[v] - t) * 1000)
        else:
            missing += 1
detect.sort()
pct = lambda p: detect[max(0, min(len(detect) - 1, -(-len(detect) * p // 100) - 1))] if detect else 0
print(json.dumps({"nodes": n, "killed": len(victims), "detect_p50_ms": round(pct(50)),
                  "detect_p99_ms": round(pct(99)), "detect_max_ms": round(detect[-1]) if detect else 0,
                  "missing": missing, "false_failed": false["failed"], "false_accused": false["accused"],
                  "false_suspected": false["suspected"], "refutations": refuted,
                  "date": datetime.date.today().isoformat()}))
EOF
tail -n 1 "$out"
