#!/usr/bin/env python3
"""Prints the gossip benchmark results (bench/results/*.jsonl) as the
markdown tables of bench/RESULTS.md."""
import json
import os
import sys

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def load(name):
    path = os.path.join(here, name)
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]


def update_ms(r):
    """The status update interval a run used (older runs: from its arguments)."""
    if "update_ms" in r:
        return r["update_ms"]
    args = r.get("args", "").split()
    return int(args[args.index("--update-ms") + 1]) if "--update-ms" in args else 1000


sim = load("gossip-sim.jsonl")
pool = [r for r in sim if r["label"] == "pool"]
if pool:
    print("| nodes | loss | each node's update every | update reaches all: p50 / p99 / max ms (never) "
          "| freshest entry age p99 ms "
          "| KB/s per node (sent+recv) | crash noticed by all: p50 / p99 / max ms (missing) "
          "| false failures | sim wall s / RSS MB | commit |")
    print("| ---: | ---: | ---: | --- | ---: | ---: | --- | ---: | --- | --- |")
    for r in pool:
        every = f"{update_ms(r) / 1000:g} s" if update_ms(r) else "-"
        print(f"| {r['nodes']} | {r['loss']:.0%} | {every} | {r['dissemination_p50_ms']:.0f} / "
              f"{r['dissemination_p99_ms']:.0f} / {r['dissemination_max_ms']:.0f} "
              f"({r['updates_incomplete']} of {r['updates_tracked']}) | {r['freshest_age_p99_ms']:.0f} "
              f"| {r['bytes_per_node_per_s'] / 1000:.0f} | {r['detection_p50_ms']:.0f} / "
              f"{r['detection_p99_ms']:.0f} / {r['detection_max_ms']:.0f} ({r['detections_missing']}) "
              f"| {r['false_failures']} | {r['wall_s']:.0f} / {r['sim_rss_mb'] or '-'} "
              f"| {r.get('engine_commit', '-')} |")
    print()
for r in sim:
    if r["label"] in ("stall", "long", "day"):
        commit = f" (engine at commit {r['engine_commit']})" if "engine_commit" in r else ""
        print(f"- {r['label']}: `shoal-sim {r['args']}`{commit}: false failures {r['false_failures']}, "
              f"the stalled node declared failed {r['stalled_declared_failed']} times, "
              f"update reaches all p50 / p99 / max {r['dissemination_p50_ms']:.0f} / "
              f"{r['dissemination_p99_ms']:.0f} / {r['dissemination_max_ms']:.0f} ms "
              f"over {r['updates_tracked']} updates, "
              f"{r['bytes_per_node_per_s'] / 1000:.0f} KB/s per node, wall {r['wall_s']:.0f} s")
print()
loop = load("gossip-loopback.jsonl")
if loop:
    print("| processes | probes (incomplete) | probe reaches all: p50 / p99 / max ms "
          "| CPU % of a core per process: mean / max | RSS MB: mean / max "
          "| KB/s per process (sent+recv): mean / max |")
    print("| ---: | ---: | --- | --- | --- | --- |")
    for r in loop:
        print(f"| {r['nodes']} | {r['probes']} ({r['probes_incomplete']}) | {r['reach_all_p50_ms']:.0f} / "
              f"{r['reach_all_p99_ms']:.0f} / {r['reach_all_max_ms']:.0f} | "
              f"{r['cpu_pct_per_process_mean']:.2f} / {r['cpu_pct_per_process_max']:.2f} | "
              f"{r['rss_mb_mean']:.1f} / {r['rss_mb_max']:.1f} | "
              f"{r['bytes_per_s_per_process_mean'] / 1000:.0f} / {r['bytes_per_s_per_process_max'] / 1000:.0f} |")
