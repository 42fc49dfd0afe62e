#!/usr/bin/env python3
"""Pipe pool benchmark (issue 20): servers in network namespaces share one
uplink, through a router, to a sink. Uneven, moving demand -- all of the
bulk traffic on one server, moving to the next every --phase-s seconds --
and a booked application on server 1, under three regimes side by side in
one run:

  shoal   every server runs shoald with [pipe.uplink] on its link; the
          policy declares the pipe and books web's bandwidth
  static  each server's link shaped by hand to capacity / servers (an HTB
          class through tc, what an operator would set), no shoald
  none    no shaping at all

The sink counts what arrives per application (UDP port) every 100 ms; the
figures are wire bytes (a 1,000-byte payload is 1,042 bytes on the link).
Prints one table (and --json): aggregate / capacity over 1 s windows (mean
and min over the moving phases, max over the whole run), web's booking met (share of 1 s windows with at least
98% of it), and how long the pool takes to use 97% of the pipe again after
the bulk demand moves. At the end web stops for --idle-s seconds while bulk
sends from the first server: what the others use of the pipe meanwhile,
and how long web takes, from its first bytes, to get 98% of its booking
back.

Needs root (ip netns, tc); creates namespaces named shoal-b-PID-*, removes
them at the end, sends traffic only inside them. The benchmark spawns ip,
tc and python3; shoald itself only uses netlink.
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
from netns_pipe_pool import (BULK_PORT, RECEIVER, SENDER, WEB_PORT, WIRE, Net, Shoal, Static,  # noqa: E402
                             spawn, stop)

def measure(net, args, regime):
    """Runs the traffic pattern; returns 100 ms samples (time, web, bulk) in wire bytes."""
    receiver = spawn(net.sink, ["python3", "-c", RECEIVER, str(WEB_PORT), str(BULK_PORT)],
                     stdout=subprocess.PIPE, text=True)
    def start_web():
        return spawn(net.servers[1 % len(net.servers)], ["python3", "-c", SENDER, str(WEB_PORT), "10.78.100.2",
                                                         str(args.web_rate)])

    def start_bulk(k):
        return spawn(net.servers[k], ["python3", "-c", SENDER, str(BULK_PORT), "10.78.100.2", str(args.bulk_rate)])

    web = start_web()
    moves, idle = [], None
    try:
        for k in range(len(net.servers)):
            moves.append(time.time())
            bulk = start_bulk(k)
            time.sleep(args.phase_s)
            stop(bulk, signal.SIGKILL)
        # The booking idle: web stops while bulk sends from the first
        # server, then starts again.
        moves.append(time.time())  # the end of the moving phases
        bulk = start_bulk(0)
        time.sleep(1.5)
        stop(web, signal.SIGKILL)
        idle = time.time()
        time.sleep(args.idle_s)
        web = start_web()
        time.sleep(2)
        stop(bulk, signal.SIGKILL)
        end = time.time()
    finally:
        stop(web, signal.SIGKILL)
        stop(receiver, signal.SIGKILL)
    samples, last = [], None
    for line in receiver.stdout.read().splitlines():
        t, w, b = line.split()
        now = (float(t), int(w), int(b))
        if last is not None and now[0] <= end:
            samples.append((now[0], (now[1] - last[1]) * WIRE, (now[2] - last[2]) * WIRE))
        last = now
    return summarize(samples, moves, idle, args, regime)


def booking_back(samples, idle, args):
    """After web's idle: the time from its first bytes until it receives 98% of its booking
    (three 100 ms samples in a row), and what the others used of the pipe while it was idle."""
    quiet = [s for s in samples if idle + 0.5 < s[0] <= idle + args.idle_s]
    used = sum(s[1] + s[2] for s in quiet) * 10 / len(quiet) / args.capacity if quiet else 0
    after = [s for s in samples if s[0] > idle + args.idle_s]
    first = next((i for i, s in enumerate(after) if s[1] > 0), None)
    if first is None:
        return None, used
    for i in range(first, len(after) - 2):
        if all(after[i + j][1] * 10 >= 0.98 * args.booking for j in range(3)):
            return after[i][0] - after[first][0], used
    return None, used


def summarize(samples, moves, idle, args, regime):
    """moves: when bulk started on each server, then when the idle phase began."""
    cap, booking = args.capacity, args.booking
    start = moves[0] + 2  # the senders' start-up
    moves, moving_end = moves[:-1], moves[-1]
    per_s, moving_s, web_s = [], [], []
    t0 = start
    while t0 + 1 <= samples[-1][0]:
        window = [s for s in samples if t0 < s[0] <= t0 + 1]
        per_s.append(sum(s[1] + s[2] for s in window))
        if t0 + 1 <= moving_end:
            moving_s.append(per_s[-1])
        # Web's booking is counted while it sends (not during its idle and the second after).
        if not (idle - 1 < t0 < idle + args.idle_s + 1):
            web_s.append(sum(s[1] for s in window))
        t0 += 1
    follow = []
    for move in moves[1:]:
        after = [s for s in samples if s[0] > move]
        if args.trace:
            print(regime, "after a move, kB per 100 ms (web+bulk):",
                  " ".join(f"{s[1] / 1000:.0f}+{s[2] / 1000:.0f}" for s in after[:12]), file=sys.stderr)
        took = None
        for i in range(len(after) - 2):
            if all((after[i + j][1] + after[i + j][2]) * 10 >= 0.97 * cap for j in range(3)):
                took = after[i][0] - move
                break
        follow.append(took)
    back, idle_used = booking_back(samples, idle, args)
    return {
        "regime": regime,
        # Mean and min over the moving phases; max over every window.
        "mean": sum(moving_s) / len(moving_s) / cap,
        "max": max(per_s) / cap,
        "min": min(moving_s) / cap,
        "booking_met": sum(1 for w in web_s if w >= 0.98 * booking) / len(web_s),
        "web_mean": sum(web_s) / len(web_s),
        "follow_s": follow,
        "booking_back_s": back,
        "used_while_booking_idle": idle_used,
        "windows": len(per_s),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build/Release", help="where shoald and shoalctl were built")
    ap.add_argument("--servers", type=int, default=3)
    ap.add_argument("--capacity", type=int, default=1_000_000, help="the pipe, bytes per second")
    ap.add_argument("--booking", type=int, default=300_000, help="web's booking, bytes per second")
    ap.add_argument("--web-rate", type=int, default=500_000, help="what web offers (server 1)")
    ap.add_argument("--bulk-rate", type=int, default=2_000_000, help="what bulk offers (one server at a time)")
    ap.add_argument("--phase-s", type=float, default=10, help="seconds before the bulk demand moves")
    ap.add_argument("--idle-s", type=float, default=3, help="seconds web stays idle at the end")
    ap.add_argument("--regimes", default="shoal,static,none")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--check", action="store_true",
                    help="exit 1 unless Shoal kept every 1 s window <= 1.02 x capacity, used >= 95%% on average, "
                         "met the booking in every window, let the others use >= 90%% of the pipe while the "
                         "booking was idle and gave it back within 1 s (the suite's short form)")
    ap.add_argument("--trace", action="store_true",
                    help="print the 100 ms figures after each move (and with SHOAL_BENCH_LOG=trace in the "
                         "environment the daemons log every round's claims and credits, their logs kept)")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("pipe_pool.py: needs root (ip netns, tc)")
    net = Net(args.servers)
    results = []
    try:
        for regime in args.regimes.split(","):
            shaper = {"shoal": lambda: Shoal(net, args.build, args.capacity, args.booking),
                      "static": lambda: Static(net, args.capacity), "none": lambda: None}[regime]()
            try:
                results.append(measure(net, args, regime))
            finally:
                if shaper is not None:
                    shaper.close()
    finally:
        net.close()
    if args.json:
        print(json.dumps(results, indent=1))
    else:
        print_table(results, args)
    shoal = [r for r in results if r["regime"] == "shoal"]
    back = shoal[0]["booking_back_s"] if shoal else None
    if args.check and shoal and not (shoal[0]["max"] <= 1.02 and shoal[0]["mean"] >= 0.95 and
                                     shoal[0]["booking_met"] == 1.0 and shoal[0]["used_while_booking_idle"] >= 0.9
                                     and back is not None and back <= 1.0):
        sys.exit("pipe_pool.py: Shoal missed the checked figures")


def print_table(results, args):
    print(f"{args.servers} servers, pipe {args.capacity} B/s, web booked {args.booking} B/s (offers "
          f"{args.web_rate} on server 1), bulk {args.bulk_rate} B/s moving every {args.phase_s:.0f} s")
    print(f"{'regime':8} {'agg/cap mean':>12} {'max':>6} {'min':>6} {'web met':>8} {'web B/s':>9} "
          f"{'idle used':>9} {'back':>7}  follow a shift")
    for r in results:
        follow = ", ".join("never" if f is None else f"{f * 1000:.0f} ms" for f in r["follow_s"])
        back = "never" if r["booking_back_s"] is None else f"{r['booking_back_s'] * 1000:.0f} ms"
        print(f"{r['regime']:8} {r['mean']:12.3f} {r['max']:6.3f} {r['min']:6.3f} {r['booking_met']:8.2f} "
              f"{r['web_mean']:9.0f} {r['used_while_booking_idle']:9.3f} {back:>7}  {follow}")
    print("idle used: the pipe used by the others while web's booking is idle; back: from web's first bytes "
          "after its idle until it receives 98% of its booking")


if __name__ == "__main__":
    main()
