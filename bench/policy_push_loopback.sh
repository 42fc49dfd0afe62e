#!/usr/bin/env bash
# Policy push on real processes: N shoald on 127.0.0.1 (lan preset). After a
# warm-up, `shoalctl policy push` sends a document to a random node, several
# times; the time until every node runs it is the latest "policy ... active"
# line of that version in the daemons' logs (millisecond timestamps) minus
# the moment shoalctl was started.
# Writes one JSON object per N to bench/results/policy-push-loopback.jsonl.
# Usage: bench/policy_push_loopback.sh [N...]   (default: 16 128)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/build.sh" Release shoald shoalctl >/dev/null
bin=$top/build/Release/daemon/shoald
ctl=$top/build/Release/tools/shoalctl
out=$top/bench/results/policy-push-loopback.jsonl
mkdir -p "$(dirname "$out")"
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(16 128)
pushes=5
docs=("$top/examples/policies/full.xml" "$top/examples/policies/small.xml")

for n in "${sizes[@]}"; do
  run=$(mktemp -d "${TMPDIR:-/tmp}/shoal-push.XXXXXX")
  base=$((21000 + RANDOM % 2000))
  pids=()
  stop_all() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$run"
  }
  trap stop_all EXIT
  "$bin" --generate-key "$run/pool.key" >/dev/null
  for i in $(seq 1 "$n"); do
    "$bin" --config /dev/null --preset lan --name "node-$i" --bind "127.0.0.1:$((base + i))" \
      --seed "127.0.0.1:$((base + 1))" --seed "127.0.0.1:$((base + 2))" \
      --key-file "$run/pool.key" --state-dir "$run/node-$i" --report-every-ms 0 \
      >/dev/null 2>"$run/node-$i.log" &
    pids+=($!)
  done
  sleep 10
  results=()
  for k in $(seq 1 "$pushes"); do
    target=$((1 + RANDOM % n))
    start=$(date +%s%3N)
    version=$("$ctl" policy push "${docs[$((k % 2))]}" --node "127.0.0.1:$((base + target))" \
      --key-file "$run/pool.key")
    sleep 3
    # Every node's activation line of this version: "2026-11-22T07:01:02.345 info [node-7] policy V active"
    ms=$(python3 - "$run" "$n" "$version" "$start" <<'PY'
import sys, glob, datetime
run, n, version, start = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
latest, count = 0, 0
for f in glob.glob(f"{run}/node-*.log"):
    for line in open(f):
        if f"policy {version} active" in line:
            t = datetime.datetime.strptime(line.split(" ")[0], "%Y-%m-%dT%H:%M:%S.%f")
            ms = int(t.timestamp() * 1000)  # spdlog writes local time
            latest, count = max(latest, ms), count + 1
            break
print(latest - start if count == n else -1)
PY
)
    results+=("$ms")
  done
  python3 - "$n" "${results[@]}" >>"$out" <<'PY'
import json, sys
n, ms = int(sys.argv[1]), [int(x) for x in sys.argv[2:]]
ok = sorted(x for x in ms if x >= 0)
print(json.dumps({"nodes": n, "pushes": len(ms), "never": len(ms) - len(ok),
                  "push_to_all_ms": ms, "p50_ms": ok[len(ok) // 2] if ok else None,
                  "max_ms": max(ok) if ok else None}))
PY
  tail -n 1 "$out"
  stop_all
  trap - EXIT
done
