#!/usr/bin/env python3
"""Summarises one loopback run of bench/gossip_loopback.sh as a JSON line.
UDP (gossip) and TCP (peer stream) bytes are reported apart.

Arguments: N RUN_DIR PROBE_LINES_BEFORE_WINDOW CPU_TICKS RSS_KBS WINDOW_TICKS [POLICY]
(CPU ticks used in the window and RSS comma-separated, one per process;
WINDOW_TICKS is the window's length in clock ticks; POLICY names the policy
document the pool ran, if any)."""
import glob
import json
import re
import sys


def pct(values, p):
    if not values:
        return 0.0
    v = sorted(values)
    k = max(0, min(len(v) - 1, -(-len(v) * p // 100) - 1))
    return v[int(k)]


n, run, skip = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
window_ticks = float(sys.argv[6])
cpu = [100.0 * int(x) / window_ticks for x in sys.argv[4].split(",")]
rss = [int(x) for x in sys.argv[5].split(",")]

probe = re.compile(r"probe (\d+): reached (\d+) of (\d+) peers, .* max ([0-9.]+) ms")
reach_all, incomplete = [], 0
with open(f"{run}/node-1.log") as f:
    lines = [l for l in f if "probe " in l]
for line in lines[skip:]:
    m = probe.search(line)
    if not m:
        continue
    reached, peers, worst = int(m.group(2)), int(m.group(3)), float(m.group(4))
    if reached >= peers:
        reach_all.append(worst)
    else:
        incomplete += 1

report = re.compile(r"sent \d+ pkts ([0-9.]+) KB \| received \d+ pkts ([0-9.]+) KB")
stream_report = re.compile(r"streams: sent ([0-9.]+) KB, received ([0-9.]+) KB")


def rate(totals):
    # Reports every 5 s; skip the first two (joining), rate over the rest.
    if len(totals) < 4:
        return None
    return (totals[-1] - totals[2]) * 1000 / (5 * (len(totals) - 3))


rates, stream_rates = [], []
for path in glob.glob(f"{run}/node-*.out"):
    with open(path) as f:
        lines = f.readlines()
    udp = rate([float(m.group(1)) + float(m.group(2)) for m in (report.search(l) for l in lines) if m])
    tcp = rate([float(m.group(1)) + float(m.group(2)) for m in (stream_report.search(l) for l in lines) if m])
    if udp is not None:
        rates.append(udp)
    if tcp is not None:
        stream_rates.append(tcp)

print(json.dumps({
    "nodes": n,
    "policy": sys.argv[7] if len(sys.argv) > 7 else "none",
    "probes": len(reach_all) + incomplete,
    "probes_incomplete": incomplete,
    "reach_all_p50_ms": round(pct(reach_all, 50), 1),
    "reach_all_p99_ms": round(pct(reach_all, 99), 1),
    "reach_all_max_ms": round(max(reach_all) if reach_all else 0, 1),
    "cpu_pct_per_process_mean": round(sum(cpu) / len(cpu), 3),
    "cpu_pct_per_process_max": round(max(cpu), 3),
    "rss_mb_mean": round(sum(rss) / len(rss) / 1024, 1),
    "rss_mb_max": round(max(rss) / 1024, 1),
    "bytes_per_s_per_process_mean": round(sum(rates) / len(rates)) if rates else 0,
    "bytes_per_s_per_process_max": round(max(rates)) if rates else 0,
    # Peer streams (TCP: snapshot epochs, policy fetches), counted apart.
    "stream_bytes_per_s_per_process_mean": round(sum(stream_rates) / len(stream_rates)) if stream_rates else 0,
    "stream_bytes_per_s_per_process_max": round(max(stream_rates)) if stream_rates else 0,
}))
