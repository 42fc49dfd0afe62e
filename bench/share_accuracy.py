"""Reads the demo pool's cgroup counters and reports share accuracy (see
bench/share_accuracy.sh). One JSON object on standard output."""
import argparse, datetime, json, os, subprocess, time

p = argparse.ArgumentParser()
p.add_argument("--cgroup-top", required=True)
p.add_argument("--nodes", type=int, required=True)
p.add_argument("--slice", type=int, required=True)
p.add_argument("--seconds", type=int, default=60)
p.add_argument("--swap", required=True, help="command that pushes the second policy")
a = p.parse_args()

def read(app):
    total = 0
    for i in range(1, a.nodes + 1):
        path = f"/sys/fs/cgroup/cpuacct/{a.cgroup_top}/node-{i}/app-{app}/cpuacct.usage"
        with open(path) as f:
            total += int(f.read())
    return total

def sample(seconds):
    out = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        out.append((time.monotonic(), read("gold"), read("bronze")))
        time.sleep(0.1)
    return out

def windows(samples, width):
    """(gold share, used cores) over consecutive windows of `width` samples."""
    res = []
    for k in range(0, len(samples) - width, width):
        t0, g0, b0 = samples[k]
        t1, g1, b1 = samples[k + width]
        g, b = g1 - g0, b1 - b0
        res.append((g / (g + b), (g + b) / 1e9 / (t1 - t0)))
    return res

steady = sample(a.seconds)
w1, w10 = windows(steady, 10), windows(steady, 100)
dev1 = [abs(s - 0.75) * 100 for s, _ in w1]
dev10 = [abs(s - 0.75) * 100 for s, _ in w10]
used = [u for _, u in w1]

t_push = time.monotonic()
subprocess.run(a.swap, shell=True, check=True, stdout=subprocess.DEVNULL)
after = sample(8)
back = None
for k in range(len(after) - 10):
    t0, g0, b0 = after[k]
    _, g1, b1 = after[k + 10]
    if abs((g1 - g0) / ((g1 - g0) + (b1 - b0)) - 0.25) <= 0.03:
        back = after[k + 10][0] - t_push
        break

# When the new plan took hold: the first 100 ms interval after the push
# with gold within 3 points of its new share (a 1 s window that ends on
# plan needs about 0.94 s of the new split on top of that).
took = None
for k in range(len(after) - 1):
    t0, g0, b0 = after[k]
    _, g1, b1 = after[k + 1]
    if (g1 - g0) + (b1 - b0) > 0 and abs((g1 - g0) / ((g1 - g0) + (b1 - b0)) - 0.25) <= 0.03:
        took = after[k + 1][0] - t_push
        break

print(json.dumps({
    "date": datetime.date.today().isoformat(),
    "nodes": a.nodes, "slice_millicores": a.slice, "seconds": a.seconds,
    "plan_gold_share": 0.75,
    "window_1s_max_dev_points": round(max(dev1), 2),
    "window_1s_p99_dev_points": round(sorted(dev1)[int(0.99 * (len(dev1) - 1))], 2),
    "window_10s_max_dev_points": round(max(dev10), 2),
    "used_cores_mean": round(sum(used) / len(used), 3),
    "pool_cores": a.nodes * a.slice / 1000,
    "shift_back_on_plan_s": None if back is None else round(back, 2),
    "shift_took_hold_s": None if took is None else round(took, 2),
}))
