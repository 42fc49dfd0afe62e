#!/usr/bin/env bash
# Policy push on real processes: N shoald on 127.0.0.1 (lan preset). After a
# warm-up, `shoalctl policy push` sends a document to a random node, several
# times; the time until every node runs it is the latest "policy ... active"
# line of that version in the daemons' logs (millisecond timestamps) minus
# the moment shoalctl was started.
# Writes one JSON object per N to bench/results/policy-push-loopback.jsonl.
# WARMUP_S (default 10) is the wait before the first push. A pool started
# afresh restores its history stores 10-20 s in, every node asking every
# other (store/restorer.h), and those connections stay open for the 60 s
# idle timeout: pushes in the first ~80 s ride that mesh; WARMUP_S=90
# measures a pool whose nodes hold only the connections of their work.
# Usage: [PUSHES=5] [WARMUP_S=10] bench/policy_push_loopback.sh [N...]   (default: 16 128)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/build.sh" Release shoald shoalctl >/dev/null
bin=$top/build/Release/daemon/shoald
ctl=$top/build/Release/tools/shoalctl
out=$top/bench/results/policy-push-loopback.jsonl
mkdir -p "$(dirname "$out")"
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(16 128)
pushes=${PUSHES:-5}
docs=("$top/examples/policies/full.xml" "$top/examples/policies/small.xml")
. "$top/bench/loopback_pool.sh"

for n in "${sizes[@]}"; do
  pool_start "$bin" "$n" $((21000 + RANDOM % 2000)) --report-every-ms 0
  trap pool_stop EXIT
  sleep "${WARMUP_S:-10}"
  results=()
  for k in $(seq 1 "$pushes"); do
    target=$((1 + RANDOM % n))
    start=$(date +%s%3N)
    # The full stamp, as the logs write it: "policy r12 (1796380526296.0@e696...) active".
    version=$("$ctl" policy push "${docs[$((k % 2))]}" --node "127.0.0.1:$((base + 3000 + target))" \
      --token-file "$run/tokens" -o json | python3 -c 'import json, sys; print(json.load(sys.stdin)["version"])')
    sleep 3
    # Every node's activation line of this version: "2026-11-22T07:01:02.345 info [node-7] policy rN (V) active"
    ms=$(python3 - "$run" "$n" "$version" "$start" <<'PY'
import sys, glob, datetime
run, n, version, start = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
times = []
for f in glob.glob(f"{run}/node-*.log"):
    for line in open(f):
        if f"({version}) active" in line:
            t = datetime.datetime.strptime(line.split(" ")[0], "%Y-%m-%dT%H:%M:%S.%f")
            ms = int(t.timestamp() * 1000)  # spdlog writes local time
            times.append(ms - start)
            break
times.sort()
# "ALL:FIRST:HALF": to every node, to the pushed node (shoalctl's part), to half of them
print(f"{times[-1] if len(times) == n else -1}:{times[0] if times else -1}:{times[len(times) // 2] if times else -1}")
PY
)
    results+=("$ms")
  done
  python3 - "$n" "${WARMUP_S:-10}" "${results[@]}" >>"$out" <<'PY'
import json, sys
n, warmup = int(sys.argv[1]), int(sys.argv[2])
ms = [int(x.split(":")[0]) for x in sys.argv[3:]]
first = [int(x.split(":")[1]) for x in sys.argv[3:]]
half = [int(x.split(":")[2]) for x in sys.argv[3:]]
ok = sorted(x for x in ms if x >= 0)
print(json.dumps({"nodes": n, "warmup_s": warmup, "pushes": len(ms), "never": len(ms) - len(ok),
                  "push_to_all_ms": ms, "active_on_pushed_node_ms": first,
                  "active_on_half_ms": half, "p50_ms": ok[len(ok) // 2] if ok else None,
                  "max_ms": max(ok) if ok else None}))
PY
  tail -n 1 "$out"
  pool_stop
  trap - EXIT
done
