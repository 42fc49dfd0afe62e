#!/usr/bin/env python3
"""Summarises one size of bench/emulated_pool.sh as a JSON line.

Arguments: N RUN_DIR REAL_LINES_BEFORE EMU_LINES_BEFORE "UTIME STIME" (before)
"UTIME STIME" (after) CLK_TCK WINDOW_S RSS_KB NODES_LIVE COMMIT [NAME REAL_DAEMONS]
[GOSSIP] (NAME: the daemon's report file, RUN_DIR/NAME.out, default real;
REAL_DAEMONS: how many real daemons shared the pool, default 1; GOSSIP: the
pool's exchange settings, as text).
The daemon's report lines (every 5 s) carry cumulative UDP and stream
totals; rates are taken between the last line before the window and the
last line in it."""
import json
import re
import sys

n, run = int(sys.argv[1]), sys.argv[2]
real_skip, emu_skip = int(sys.argv[3]), int(sys.argv[4])
u0, s0 = (int(x) for x in sys.argv[5].split())
u1, s1 = (int(x) for x in sys.argv[6].split())
hz, window = float(sys.argv[7]), float(sys.argv[8])
rss_kb, live, commit = int(sys.argv[9]), int(sys.argv[10]), sys.argv[11]
name = sys.argv[12] if len(sys.argv) > 12 else "real"
real_daemons = int(sys.argv[13]) if len(sys.argv) > 13 else 1
gossip = sys.argv[14] if len(sys.argv) > 14 else None

udp = re.compile(r"sent (\d+) pkts ([0-9.]+) KB \| received (\d+) pkts ([0-9.]+) KB")
streams = re.compile(r"streams: sent ([0-9.]+) KB, received ([0-9.]+) KB")
ticks = re.compile(r"ticks \d+: late p50 ([0-9.]+) / p99 ([0-9.]+) / max ([0-9.]+) ms, busy p50 ([0-9.]+) / p99 ([0-9.]+) ms")

with open(f"{run}/{name}.out") as f:
    lines = f.readlines()
before, inside = lines[:real_skip], lines[real_skip:]


def last(pattern, part):
    found = [m for m in (pattern.search(l) for l in part) if m]
    return found[-1] if found else None


def rate(pattern, groups):
    """Per second over the window, rounded; None when a report is missing."""
    a, b = last(pattern, before), last(pattern, inside)
    if a is None or b is None:
        return None
    reports = sum(1 for l in inside if pattern.search(l))
    return round(sum(float(b.group(g)) - float(a.group(g)) for g in groups) / (5.0 * reports), 1)


tick_lines = [m for m in (ticks.search(l) for l in inside) if m]
with open(f"{run}/emu.out") as f:
    emu_lines = [m for m in (ticks.search(l) for l in f.readlines()[emu_skip:]) if m]
perf = {}
try:
    with open(f"{run}/perf-{name}.csv") as f:
        for row in f:
            parts = row.strip().split(",")
            if len(parts) > 2 and parts[0] and parts[0][0].isdigit():
                perf[parts[2]] = float(parts[0])
except OSError:
    pass

print(json.dumps({
    "nodes": n, "nodes_live_at_end": live, "window_s": window, "commit": commit,
    "daemon": name, "real_daemons": real_daemons, "gossip": gossip,
    "cpu_pct": round(100.0 * ((u1 - u0) + (s1 - s0)) / hz / window, 3),
    "cpu_user_pct": round(100.0 * (u1 - u0) / hz / window, 3),
    "cpu_system_pct": round(100.0 * (s1 - s0) / hz / window, 3),
    "perf_task_clock_pct": round(perf["task-clock"] / 10.0 / window, 3) if "task-clock" in perf else None,
    "perf_context_switches_per_s": round(perf["context-switches"] / window, 1) if "context-switches" in perf else None,
    "rss_mb": round(rss_kb / 1024.0, 1),
    "udp_kb_per_s": rate(udp, [2, 4]),
    "udp_packets_per_s": rate(udp, [1, 3]),
    "stream_kb_per_s": rate(streams, [1, 2]),
    "tick_late_p99_ms_worst": max((float(m.group(2)) for m in tick_lines), default=None),
    "tick_late_max_ms": max((float(m.group(3)) for m in tick_lines), default=None),
    "tick_busy_p99_ms_worst": max((float(m.group(5)) for m in tick_lines), default=None),
    "emulator_round_p50_ms": max((float(m.group(4)) for m in emu_lines), default=None),
    "emulator_round_p99_ms": max((float(m.group(5)) for m in emu_lines), default=None),
    "emulator_late_max_ms": max((float(m.group(3)) for m in emu_lines), default=None),
}))
