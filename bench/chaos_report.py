"""The chaos suite's verdict (bench/chaos.py): the run's figures from what
the scheduler logged and the checks found, whether an invariant broke, and
the summary printed for a person.
"""
import datetime

from chaos_history import HistoryCheck
from chaos_memory import anon_by_uptime


def percentile(values, p):
    if not values:
        return None
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def quarter_maxima(samples):
    """The largest of the (time, kB) samples in each quarter of the time
    they span, in MB: a daemon whose memory is bounded levels off."""
    if len(samples) < 4:
        return []
    t0, t1 = samples[0][0], samples[-1][0]
    span = (t1 - t0) / 4 or 1
    out = [0.0] * 4
    for t, kb in samples:
        q = min(3, int((t - t0) / span))
        out[q] = max(out[q], kb / 1024)
    return [round(m, 1) for m in out]


def verdict(chaos, declared, same, version, args):
    """The run's figures, and whether an invariant broke."""
    kinds = {}
    for e in chaos.log:
        kinds[e["kind"]] = kinds.get(e["kind"], 0) + 1
    false = [line for line, excused in declared if not excused]
    # Killed nodes are declared failed by the others: none seen means the
    # log lines were not read (a changed format), not a clean run.
    unread = kinds.get("kill", 0) > 0 and not declared
    rotations = [e for e in chaos.log if e["kind"] == "rotate"]
    rotation_failed = any(not e["ok"] for e in rotations)
    mem = chaos.memory
    rss = [max(v) for v in mem.rss_kb.values()]
    h = chaos.history or HistoryCheck(chaos.pool, [], 0)
    unasked = [i for i, v in h.lost.items() if v is None]
    periods_lost = sum(v for v in h.lost.values() if v)
    result = {
        "date": datetime.date.today().isoformat(), "nodes": args.nodes, "seconds": args.seconds,
        "seed": args.seed, "faults": kinds, "false_failures": len(false), "false_failure_lines": false[:10],
        "failures_declared": len(declared), "failure_lines_unread": unread,
        "rotation_failed": rotation_failed, "rotation_detail": [e.get("detail") for e in rotations],
        "crashes": len(chaos.crashes), "restarts": chaos.pool.restarts, "not_recovered": chaos.not_recovered,
        "recovery_s_p50": percentile(chaos.recovery, 50), "recovery_s_p99": percentile(chaos.recovery, 99),
        "recovery_s_max": max(chaos.recovery) if chaos.recovery else None,
        "final_policy_everywhere": same, "final_revision": version,
        "history_periods_lost": periods_lost, "history_lost_where": h.where[:10],
        "history_lost_by_node": {str(i): v for i, v in sorted(h.lost.items()) if v},
        "history_unasked_nodes": unasked, "history_periods_held": h.held,
        "rss_mb_max": max(rss) / 1024 if rss else None,
        "rss_mb_first": min(v[0] for v in mem.rss_kb.values()) / 1024 if rss else None,
        "rss_mb_max_by_quarter": quarter_maxima(mem.rss_when),
        "memory_mb_max_by_quarter": {part: quarter_maxima(s) for part, s in sorted(mem.parts_when.items())},
        "anonymous_by_uptime_min": anon_by_uptime(mem.anon_by_uptime),
        "longest_uptime_min": round(max((u for u, _ in mem.anon_by_uptime), default=0) / 60, 1),
        "cpu_checked": chaos.cpu is not None, "cpu_not_checked_why": args.cpu_off_why,
        "cpu_on_plan_s_p50": percentile(chaos.cpu_on_plan, 50), "cpu_on_plan_s_p99": percentile(chaos.cpu_on_plan, 99),
        "cpu_on_plan_s_max": max(chaos.cpu_on_plan) if chaos.cpu_on_plan else None,
        "cpu_late": len(chaos.cpu_late), "cpu_late_detail": chaos.cpu_late[:10],
    }
    failed = bool(false or chaos.crashes or chaos.not_recovered or not same or unread or rotation_failed
                  or periods_lost or unasked or chaos.cpu_late)
    return result, failed


def print_summary(r, args):
    print(f"{args.nodes} shoald, {args.seconds:.0f} s of faults (seed {args.seed}): "
          + ", ".join(f"{k} {v}" for k, v in sorted(r["faults"].items())))
    print(f"  false failures {r['false_failures']}, crashes {r['crashes']}, restarts {r['restarts']}, "
          f"not recovered {r['not_recovered']}, final policy everywhere: {r['final_policy_everywhere']}")
    print(f"  failures declared (of killed, stalled or partitioned-away nodes, and false) "
          f"{r['failures_declared']}")
    if r["recovery_s_p50"] is not None:
        print(f"  whole again after a fault: p50 {r['recovery_s_p50']:.2f} s, p99 {r['recovery_s_p99']:.2f} s, "
              f"max {r['recovery_s_max']:.2f} s")
    print(f"  history: {r['history_periods_held']} periods held, {r['history_periods_lost']} lost"
          + (f", nodes not answered: {r['history_unasked_nodes']}" if r["history_unasked_nodes"] else ""))
    for w in r["history_lost_where"]:
        print(f"  history lost: node-{w['node']} {w['missing']} period(s) in {w['start']}..{w['end']}")
    if r["cpu_checked"] and r["cpu_on_plan_s_p50"] is not None:
        print(f"  CPU groups on the pool's plan after a fault: p50 {r['cpu_on_plan_s_p50']:.2f} s, "
              f"p99 {r['cpu_on_plan_s_p99']:.2f} s, max {r['cpu_on_plan_s_max']:.2f} s; "
              f"over {args.cpu_within:g} s or never: {r['cpu_late']}")
    elif not r["cpu_checked"]:
        print(f"  CPU enforcement not checked: {r['cpu_not_checked_why']}")
    for late in r["cpu_late_detail"]:
        took = "not within 10 s" if late["seconds"] is None else f"{late['seconds']:.2f} s"
        print(f"  CPU off plan after {late['kind']}: {took}; {'; '.join(late['differed'])}")
    if r["rss_mb_max"] is not None:
        quarters = " / ".join(f"{m:.1f}" for m in r["rss_mb_max_by_quarter"])
        print(f"  RSS per daemon: first {r['rss_mb_first']:.1f} MB, max {r['rss_mb_max']:.1f} MB"
              + (f" (max in each quarter of the run: {quarters} MB)" if quarters else ""))
    for part, q in r["memory_mb_max_by_quarter"].items():
        if q:
            print(f"    {part}: max in each quarter {' / '.join(f'{m:.1f}' for m in q)} MB")
    if r["anonymous_by_uptime_min"]:
        bands = ", ".join(f"{b} min {v['max_mb']:.1f}" for b, v in r["anonymous_by_uptime_min"].items())
        print(f"    resident_anonymous by the daemon's uptime (max MB): {bands}")
    for line in r["false_failure_lines"]:
        print("  false failure:", line)
    if r["failure_lines_unread"]:
        print("  no failure declared in any log although nodes were killed: the log lines were not read")
    if r["rotation_failed"]:
        print("  the key rotation did not reach every node:", r["rotation_detail"])
