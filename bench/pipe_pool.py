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
Prints one table (and --json): aggregate / capacity over 1 s windows (mean,
max), capacity used, web's booking met (share of 1 s windows with at least
98% of it), and how long the pool takes to use 97% of the pipe again after
the bulk demand moves.

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
import tempfile
import time

WIRE = 1042 / 1000  # Ethernet + IPv4 + UDP headers on a 1,000-byte payload
WEB_PORT, BULK_PORT = 5001, 6000

SENDER = r"""
import socket, sys, time
port, to, rate = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", port))
s.setblocking(False)
buf, sent, start = bytes(1000), 0, time.monotonic()
while True:
    if sent > rate * (time.monotonic() - start):
        time.sleep(0.0005)
        continue
    try:
        s.sendto(buf, (to, port))
        sent += 1000
    except BlockingIOError:
        time.sleep(0.0002)
"""

RECEIVER = r"""
import select, socket, sys, time
ports = [int(p) for p in sys.argv[1:]]
socks = []
for p in ports:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    s.bind(("0.0.0.0", p))
    s.setblocking(False)
    socks.append((p, s))
counts = {p: 0 for p in ports}
next_at = time.monotonic() + 0.1
while True:
    r, _, _ = select.select([s for _, s in socks], [], [], max(0, next_at - time.monotonic()))
    for p, s in socks:
        if s in r:
            try:
                while True:
                    counts[p] += len(s.recv(2048))
            except BlockingIOError:
                pass
    if time.monotonic() >= next_at:
        print("%.3f %s" % (time.time(), " ".join(str(counts[p]) for p in ports)), flush=True)
        next_at += 0.1
"""


def run(cmd, check=True):
    r = subprocess.run(cmd, shell=True, capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError(f"failed: {cmd}: {r.stderr.strip()}")
    return r.stdout


class Net:
    """A router, a sink (10.78.100.2) and N servers (10.78.(i+1).2), each on v0."""

    def __init__(self, servers):
        self.prefix = f"shoal-b-{os.getpid()}"
        self.router, self.sink = self.prefix + "-r", self.prefix + "-k"
        self.servers = [f"{self.prefix}-{i}" for i in range(servers)]
        self.made = []
        self.add(self.router)
        self.add(self.sink)
        run(f"ip netns exec {self.router} sysctl -w net.ipv4.ip_forward=1")
        self.link(self.sink, "10.78.100", 100)
        for i, ns in enumerate(self.servers):
            self.add(ns)
            self.link(ns, f"10.78.{i + 1}", i + 1)

    def add(self, ns):
        run(f"ip netns add {ns}")
        self.made.append(ns)
        run(f"ip -n {ns} link set lo up")

    def link(self, ns, net, n):
        run(f"ip -n {ns} link add v0 type veth peer name r{n} netns {self.router}")
        run(f"ip -n {ns} addr add {net}.2/24 dev v0")
        run(f"ip -n {self.router} addr add {net}.1/24 dev r{n}")
        run(f"ip -n {ns} link set v0 up")
        run(f"ip -n {self.router} link set r{n} up")
        run(f"ip -n {ns} route add default via {net}.1")

    def close(self):
        for ns in self.made:
            run(f"ip netns del {ns}", check=False)


def spawn(ns, argv, **kw):
    return subprocess.Popen(["ip", "netns", "exec", ns] + argv, **kw)


def stop(p, sig=signal.SIGTERM):
    if p.poll() is None:
        p.send_signal(sig)
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


class Shoal:
    """shoald on every server, the policy pushed through the first."""

    def __init__(self, net, build, capacity, booking):
        self.net, self.dir = net, tempfile.mkdtemp(prefix="shoal-pipe-bench-")
        shoald, self.ctl = f"{build}/daemon/shoald", f"{build}/tools/shoalctl"
        key, tokens = f"{self.dir}/pool.key", f"{self.dir}/tokens"
        run(f"{shoald} --generate-key {key}")
        line = run(f"{shoald} --generate-token admin").strip()
        with open(tokens, "w") as f:
            f.write(line + "\n")
        os.chmod(tokens, 0o600)
        self.token = line.split()[1]
        config = f"{self.dir}/shoald.toml"
        with open(config, "w") as f:
            f.write('[pipe.uplink]\ninterface = "v0"\ndestinations = ["10.78.100.0/24"]\n')
        self.procs = []
        for i, ns in enumerate(net.servers):
            argv = [shoald, "--config", config, "--name", f"server-{i}", "--bind", f"10.78.{i + 1}.2:7946",
                    "--key-file", key, "--state-dir", f"{self.dir}/state-{i}", "--preset", "lan",
                    "--log-level", "warn", "--control", "127.0.0.1:7947", "--tokens-file", tokens]
            if i > 0:
                argv += ["--seed", "10.78.1.2:7946"]
            log = open(f"{self.dir}/server-{i}.log", "w")
            self.procs.append(spawn(ns, argv, stdout=log, stderr=log, stdin=subprocess.DEVNULL))
        try:
            self.start(net, capacity, booking)
        except BaseException:
            self.close()
            raise

    def start(self, net, capacity, booking):
        policy = f"{self.dir}/pipe.xml"
        with open(policy, "w") as f:
            f.write(f"""<shoal-policy version="1" mode="enforce">
  <pipe name="uplink" out="{capacity}B"/>
  <application name="web"><flow port="{WEB_PORT}" protocol="udp"/></application>
  <application name="bulk"><flow port="{BULK_PORT}" protocol="udp"/></application>
  <policy application="web" priority="1"><bandwidth pipe="uplink" direction="out" rate="{booking}B"/></policy>
</shoal-policy>
""")
        for _ in range(100):
            r = subprocess.run(["ip", "netns", "exec", net.servers[0], self.ctl, "policy", "push", policy, "--node",
                                "127.0.0.1:7947", "--token", self.token], capture_output=True, text=True)
            if r.returncode == 0:
                break
            time.sleep(0.2)
        else:
            raise RuntimeError(f"policy push failed: {r.stdout}{r.stderr}")
        for ns in net.servers:
            for _ in range(100):
                if "5301:10" in run(f"ip netns exec {ns} tc class show dev v0", check=False):
                    break
                time.sleep(0.1)
            else:
                raise RuntimeError(f"no classes on {ns}")

    def close(self):
        for p in self.procs:
            stop(p)


class Static:
    """Each server's link at capacity / servers, by hand."""

    def __init__(self, net, capacity):
        self.net = net
        share = capacity * 8 // len(net.servers)
        for ns in net.servers:
            run(f"ip netns exec {ns} tc qdisc add dev v0 root handle 1: htb default 1")
            run(f"ip netns exec {ns} tc class add dev v0 parent 1: classid 1:1 htb rate {share}bit ceil {share}bit")

    def close(self):
        for ns in self.net.servers:
            run(f"ip netns exec {ns} tc qdisc del dev v0 root", check=False)


def measure(net, args, regime):
    """Runs the traffic pattern; returns 100 ms samples (time, web, bulk) in wire bytes."""
    receiver = spawn(net.sink, ["python3", "-c", RECEIVER, str(WEB_PORT), str(BULK_PORT)],
                     stdout=subprocess.PIPE, text=True)
    web = spawn(net.servers[1 % len(net.servers)], ["python3", "-c", SENDER, str(WEB_PORT), "10.78.100.2",
                                                    str(args.web_rate)])
    moves = []
    try:
        for k in range(len(net.servers)):
            moves.append(time.time())
            bulk = spawn(net.servers[k], ["python3", "-c", SENDER, str(BULK_PORT), "10.78.100.2",
                                          str(args.bulk_rate)])
            time.sleep(args.phase_s)
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
    return summarize(samples, moves, args, regime)


def summarize(samples, moves, args, regime):
    cap, booking = args.capacity, args.booking
    start = moves[0] + 2  # the senders' start-up
    per_s, web_s = [], []
    t0 = start
    while t0 + 1 <= samples[-1][0]:
        window = [s for s in samples if t0 < s[0] <= t0 + 1]
        per_s.append(sum(s[1] + s[2] for s in window))
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
    return {
        "regime": regime,
        "mean": sum(per_s) / len(per_s) / cap,
        "max": max(per_s) / cap,
        "min": min(per_s) / cap,
        "booking_met": sum(1 for w in web_s if w >= 0.98 * booking) / len(web_s),
        "web_mean": sum(web_s) / len(web_s),
        "follow_s": follow,
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
    ap.add_argument("--regimes", default="shoal,static,none")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--trace", action="store_true", help="print the 100 ms figures after each move")
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
        return
    print(f"{args.servers} servers, pipe {args.capacity} B/s, web booked {args.booking} B/s (offers "
          f"{args.web_rate} on server 1), bulk {args.bulk_rate} B/s moving every {args.phase_s:.0f} s")
    print(f"{'regime':8} {'agg/cap mean':>12} {'max':>6} {'min':>6} {'web met':>8} {'web B/s':>9}  follow a shift")
    for r in results:
        follow = ", ".join("never" if f is None else f"{f * 1000:.0f} ms" for f in r["follow_s"])
        print(f"{r['regime']:8} {r['mean']:12.3f} {r['max']:6.3f} {r['min']:6.3f} {r['booking_met']:8.2f} "
              f"{r['web_mean']:9.0f}  {follow}")


if __name__ == "__main__":
    main()
