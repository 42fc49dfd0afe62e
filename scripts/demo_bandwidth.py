#!/usr/bin/env python3
"""The demo's bandwidth act (scripts/demo.sh --bandwidth): three servers in
network namespaces, each running shoald, share a 1 MB/s "uplink" through a
router to a sink. Two applications send to the sink: web (booked 300 kB/s
by the policy) from server-1, and bulk, which wants 2 MB/s, from one server
at a time. Every two seconds the screen shows what the sink receives per
application and `shoalctl pipes` as server-0 sees the pool.

  at  0 s  bulk on server-0, web on server-1: the pipe stays at its
           capacity; web gets what it asks, bulk the rest
  at 15 s  bulk moves to server-2: the credit follows it
  at 30 s  web stops: its idle booking goes to bulk
  at 40 s  web starts again: it gets its booking back within a second
  at 50 s  server-2's shoald is killed (SIGKILL): its guard process sets
           its classes to its static share, the others keep that aside
  at 65 s  the end (or --seconds)

Needs root (network namespaces, HTB). Everything it made is removed at the
end or on Ctrl-C.
"""
import argparse
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from netns_pipe_pool import BULK_PORT, RECEIVER, WEB_PORT, WIRE, Net, Shoal, send, spawn, stop  # noqa: E402

CAPACITY, BOOKING = 1_000_000, 300_000


class Sink:
    """The receiver at the sink; the last second's wire bytes per second per application."""

    def __init__(self, net):
        self.proc = spawn(net.sink, ["python3", "-c", RECEIVER, str(WEB_PORT), str(BULK_PORT)],
                          stdout=subprocess.PIPE, text=True)
        self.lines = []
        threading.Thread(target=self.read, daemon=True).start()

    def read(self):
        for line in self.proc.stdout:
            t, w, b = line.split()
            self.lines.append((float(t), int(w), int(b)))

    def rates(self):
        if len(self.lines) < 11:
            return 0.0, 0.0
        (t0, w0, b0), (t1, w1, b1) = self.lines[-11], self.lines[-1]
        return (w1 - w0) * WIRE / (t1 - t0), (b1 - b0) * WIRE / (t1 - t0)


def bar(rate):
    return "#" * int(round(40 * rate / CAPACITY))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build/Release")
    ap.add_argument("--seconds", type=int, default=65)
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("demo: the bandwidth act needs root (network namespaces, HTB)")
    net = Net(3)
    shoal = sink = None
    senders = {}
    try:
        print("demo: starting three shoalds in network namespaces and pushing the pipe policy...", flush=True)
        shoal = Shoal(net, args.build, CAPACITY, BOOKING)
        sink = Sink(net)
        script = {0: ("bulk on server-0, web on server-1: the pipe at its capacity, web its share",
                      lambda: senders.update(bulk=send(net.servers[0], BULK_PORT, 2_000_000),
                                             web=send(net.servers[1], WEB_PORT, 500_000))),
                  15: ("bulk moved to server-2: the credit follows the demand",
                       lambda: (stop(senders["bulk"]), senders.update(bulk=send(net.servers[2], BULK_PORT, 2_000_000)))),
                  30: ("web stopped: its idle booking goes to bulk", lambda: stop(senders.pop("web"))),
                  40: ("web sends again: its booking comes back within a second",
                       lambda: senders.update(web=send(net.servers[1], WEB_PORT, 500_000))),
                  50: ("server-2's shoald killed (SIGKILL): its guard holds it to its static share",
                       lambda: shoal.kill(2))}
        phase, start, done = "", time.time(), set()
        while time.time() - start < args.seconds:
            elapsed = int(time.time() - start)
            for at in sorted(script):
                if at <= elapsed and at not in done:
                    done.add(at)
                    phase = script[at][0]
                    script[at][1]()
            web, bulk = sink.rates()
            if sys.stdout.isatty():
                print("\033[H\033[2J", end="")
            print(f"=== t={elapsed}s  {phase}")
            print(f"the sink receives (last second): pipe {CAPACITY // 1000} kB/s, web booked {BOOKING // 1000} kB/s")
            print(f"  web   {web / 1000:7.0f} kB/s  {bar(web)}")
            print(f"  bulk  {bulk / 1000:7.0f} kB/s  {bar(bulk)}")
            print(f"  all   {(web + bulk) / 1000:7.0f} kB/s  {bar(web + bulk)}|")
            print()
            print(shoal.ctl(0, "pipes"), flush=True)
            time.sleep(2)
    finally:
        for p in senders.values():
            stop(p)
        if sink is not None:
            stop(sink.proc)
        if shoal is not None:
            shoal.close()
        net.close()
        print("demo: bandwidth act over; namespaces, daemons and senders removed")


if __name__ == "__main__":
    main()
