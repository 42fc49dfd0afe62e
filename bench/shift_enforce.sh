#!/bin/bash
# After a policy swap, when does each node's enforcement change? Starts the
# share-accuracy pool (scripts/ns_pool.sh: 3 shoalds in PID namespaces,
# cgroup v1, gold and bronze burning), pushes small.xml, then
# small-reversed.xml to node 2, and prints every change of the two
# applications' cpu.shares/cfs_quota_us on each node, in seconds after the
# push. Separates the daemons' reaction from the kernel's (CFS) reaching
# the new ratio, which bench/share_accuracy.sh's "back on plan" measures.
# Usage: bench/shift_enforce.sh   (root)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" = 0 ] || { echo "shift_enforce: needs root (cgroups, namespaces)" >&2; exit 2; }
"$top/scripts/build.sh" Release shoald shoalctl shoal-demo-burn >/dev/null
bin=$top/build/Release/daemon/shoald; ctl=$top/build/Release/tools/shoalctl; burn=$top/build/Release/tools/shoal-demo-burn
. "$top/scripts/ns_pool.sh"
nspool_init "$bin" "$burn" 3
trap nspool_stop EXIT
for i in 1 2 3; do nspool_start "$i"; done
sleep 3
"$ctl" policy push "$top/examples/policies/small.xml" --node "$(nspool_control 1)" >/dev/null
sleep 10
python3 - "$cgroup_top" "$ctl" "$top" "$(nspool_control 2)" <<'PY'
import sys, time, subprocess, glob
top_cg, ctl, top, node2 = sys.argv[1:5]
def shares():
    out = []
    for i in (1, 2, 3):
        row = []
        for app in ("gold", "bronze"):
            base = f"/sys/fs/cgroup/cpu/{top_cg}/node-{i}/app-{app}/"
            try:
                row.append(open(base + "cpu.shares").read().strip() + "/" + open(base + "cpu.cfs_quota_us").read().strip())
            except OSError as e:
                row.append("?")
        out.append(tuple(row))
    return out
last = shares()
print("before", last)
t0 = time.monotonic()
subprocess.run(f"{ctl} policy push {top}/examples/policies/small-reversed.xml --node {node2}", shell=True, check=True, stdout=subprocess.DEVNULL)
print(f"push returned after {time.monotonic()-t0:.3f} s")
while time.monotonic() - t0 < 6:
    s = shares()
    if s != last:
        print(f"{time.monotonic()-t0:.3f} s", s)
        last = s
    time.sleep(0.01)
PY
grep -h "active" $run/node-*.log 2>/dev/null | tail -6 || true
