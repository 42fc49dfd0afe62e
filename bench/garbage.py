#!/usr/bin/env python3
"""Garbage at a live daemon (issue 24): one real shoald among 15 emulated
peers (shoal-emulate, the right key) keeps its pool while it is sent, for
--seconds:
  UDP:     random bytes, oversized datagrams, real sealed packets captured on
           loopback and replayed, cut short, or with one byte flipped, and
           valid packets under a wrong key (a second shoal-emulate with its
           own key, seeding the daemon);
  TCP:     connections to the peer-stream port that send random bytes, or a
           frame header claiming 4 GB;
  control: connections that send random bytes, a length header over the
           8 MiB limit and then 1 KB, or a well-framed body that is no request.
Every 5 s it reads the daemon's status (live nodes, refusals by listener and
reason) and RSS. Prints one JSON line (also appended to
bench/results/garbage.jsonl unless --no-record): what was sent by kind, the
daemon's refusals, live nodes min/max, failures declared, RSS first/last/max.
--check exits 1 unless: the daemon runs at the end, saw all 16 nodes live at
every sample and declared none failed, counted every kind of garbage under
its reason, and its RSS grew by at most --rss-growth-mb.
Needs root (the capture is an AF_PACKET socket on lo). Traffic goes to
loopback only; ends only the processes it started.
Usage: bench/garbage.py [--build DIR] [--seconds 600] [--check]
"""
import argparse
import collections
import json
import os
import random
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PEERS = 15


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024.0
    return 0.0


class Capture(threading.Thread):
    """Datagrams to the daemon's port on lo, as sealed by the real peers."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port, self.kept, self.stop = port, collections.deque(maxlen=256), False
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.ntohs(3))
        self.sock.bind(("lo", 0))
        self.sock.settimeout(0.2)

    def run(self):
        while not self.stop:
            try:
                frame = self.sock.recv(65535)
            except socket.timeout:
                continue
            if len(frame) < 42 or frame[12:14] != b"\x08\x00":
                continue
            ip = frame[14:]
            ihl = (ip[0] & 15) * 4
            if ip[9] != 17 or ip[16:20] != b"\x7f\x00\x00\x01" or ip[12:14] != b"\x7f\x01":
                continue  # UDP from an emulated peer (127.1.x.x) to the daemon only
            dport = struct.unpack("!H", ip[ihl + 2:ihl + 4])[0]
            if dport == self.port:
                self.kept.append(bytes(ip[ihl + 8:]))


class Garbage:
    def __init__(self, rng, port, control):
        self.rng, self.port, self.control = rng, port, control
        self.sent = collections.Counter()
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)

    def datagram(self, capture):
        r, kind = self.rng, self.rng.choice(["random", "oversized", "replayed", "cut", "flipped"])
        real = list(capture.kept)
        if kind in ("replayed", "cut", "flipped") and not real:
            kind = "random"
        if kind == "random":
            data = os.urandom(r.randint(1, 1400))
        elif kind == "oversized":
            data = os.urandom(r.randint(9001, 60000))
        else:
            data = r.choice(real)
            if kind == "cut":
                data = data[:r.randint(1, len(data) - 1)]
            elif kind == "flipped":
                k = r.randrange(len(data))
                data = data[:k] + bytes([data[k] ^ (1 << r.randrange(8))]) + data[k + 1:]
        self.udp.sendto(data, ("127.0.0.1", self.port))
        self.sent["udp " + kind] += 1

    def connection(self, port, kind):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                if kind.endswith("random"):
                    s.sendall(os.urandom(self.rng.randint(1, 4096)))
                elif kind == "streams huge frame":
                    s.sendall(struct.pack("!I", 0xFFFFFFFF) + os.urandom(64))
                elif kind == "control huge length":  # over the 8 MiB limit, then 1 KB
                    s.sendall(struct.pack("!I", 0x7FFFFFFF) + os.urandom(1024))
                else:  # control bad request: a well-framed body that is no request
                    body = os.urandom(self.rng.randint(16, 1024))
                    s.sendall(struct.pack("!I", len(body)) + body)
                s.settimeout(0.2)
                try:
                    s.recv(4096)
                except OSError:
                    pass
            self.sent[kind] += 1
        except OSError:
            self.sent[kind + " (connect failed)"] += 1


def status(ctl, control, tokens):
    out = subprocess.run([ctl, "status", "--node", control, "--token-file", tokens, "-o", "json"],
                         capture_output=True, text=True).stdout
    try:
        return json.loads(out)
    except ValueError:
        return {}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(HERE, "..", "build", "Release"))
    ap.add_argument("--seconds", type=float, default=600)
    ap.add_argument("--rate", type=int, default=300, help="garbage datagrams a second")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rss-growth-mb", type=float, default=3.0)
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--no-record", action="store_true")
    args = ap.parse_args()
    shoald, ctl = f"{args.build}/daemon/shoald", f"{args.build}/tools/shoalctl"
    emulate = f"{args.build}/tools/shoal-emulate"
    rng = random.Random(args.seed)
    work = tempfile.mkdtemp(prefix="shoal-garbage-")
    port = 26000 + rng.randrange(2000)
    control = f"127.0.0.1:{port + 3000}"
    procs = []
    try:
        for key in ("pool.key", "wrong.key"):
            subprocess.run([shoald, "--generate-key", f"{work}/{key}"], check=True, capture_output=True)
        token = subprocess.run([shoald, "--generate-token", "admin"], check=True, capture_output=True,
                               text=True).stdout
        with open(f"{work}/tokens", "w") as f:
            f.write(token)
        os.chmod(f"{work}/tokens", 0o600)
        daemon = subprocess.Popen(
            [shoald, "--config", "/dev/null", "--preset", "lan", "--name", "real", "--bind", f"127.0.0.1:{port}",
             "--seed", f"127.1.0.1:{port}", "--key-file", f"{work}/pool.key", "--state-dir", f"{work}/state",
             "--control", control, "--tokens-file", f"{work}/tokens", "--enforcer", "off",
             "--report-every-ms", "5000"], stdout=open(f"{work}/real.out", "w"), stderr=open(f"{work}/real.log", "w"))
        procs.append(daemon)
        for key, first, n in (("pool.key", "127.1.0.1", PEERS), ("wrong.key", "127.2.0.1", 3)):
            procs.append(subprocess.Popen(
                [emulate, "--peers", str(n), "--key-file", f"{work}/{key}", "--seed", f"127.0.0.1:{port}",
                 "--first-address", f"{first}:{port}", "--no-history"],
                stdout=open(f"{work}/emu-{key}.out", "w"), stderr=subprocess.STDOUT))
        deadline = time.time() + 60
        while time.time() < deadline and status(ctl, control, f"{work}/tokens").get("nodes_live") != PEERS + 1:
            time.sleep(0.5)
        capture = Capture(port)
        capture.start()
        time.sleep(2)  # a first harvest of real packets
        garbage = Garbage(rng, port, control)
        live, rss, t0 = [], [], time.time()
        next_sample = t0
        while time.time() - t0 < args.seconds:
            tick = time.time()
            for _ in range(max(1, args.rate // 10)):
                garbage.datagram(capture)
            if rng.random() < 0.5:
                garbage.connection(port, rng.choice(["streams random", "streams huge frame"]))
            if rng.random() < 0.2:
                garbage.connection(port + 3000, rng.choice(["control random", "control huge length", "control bad request"]))
            if tick >= next_sample:
                s = status(ctl, control, f"{work}/tokens")
                live.append(s.get("nodes_live", 0))
                rss.append(round(rss_mb(daemon.pid), 1))
                next_sample = tick + 5
            time.sleep(max(0.0, 0.1 - (time.time() - tick)))
        capture.stop = True
        time.sleep(1)
        final = status(ctl, control, f"{work}/tokens")
        alive = daemon.poll() is None
        refusals = {f"{r['listener']} {r['reason']}": r["count"] for r in final.get("refusals", [])}
        with open(f"{work}/real.log") as f:
            failed = sum(1 for line in f if re.search(r"node emu-\d+ at .* failed", line))
        result = {
            "date": time.strftime("%Y-%m-%d"), "seconds": args.seconds, "rate": args.rate, "seed": args.seed,
            "sent": dict(sorted(garbage.sent.items())), "refusals": refusals, "daemon_alive": alive,
            "nodes_live_min": min(live) if live else 0, "nodes_live_max": max(live) if live else 0,
            "failures_declared": failed, "rss_mb_first": rss[0] if rss else None,
            "rss_mb_last": rss[-1] if rss else None, "rss_mb_max": max(rss) if rss else None,
            "commit": subprocess.run(["git", "-C", HERE, "rev-parse", "--short", "HEAD"], capture_output=True,
                                     text=True).stdout.strip(),
        }
        print(json.dumps(result))
        if not args.no_record:
            with open(os.path.join(HERE, "results", "garbage.jsonl"), "a") as f:
                f.write(json.dumps(result) + "\n")
        if args.check:
            wanted = ["gossip foreign", "gossip oversized", "gossip unknown key", "gossip forged", "gossip replayed",
                      "gossip truncated", "streams not authenticated", "control oversized", "control malformed"]
            problems = [f"no refusal counted as '{w}'" for w in wanted if refusals.get(w, 0) == 0]
            if not alive:
                problems.append("the daemon is not running")
            if not live or min(live) != PEERS + 1:
                problems.append(f"live nodes went down to {min(live) if live else 0} of {PEERS + 1}")
            if failed:
                problems.append(f"{failed} failures declared")
            if rss and rss[-1] - rss[0] > args.rss_growth_mb:
                problems.append(f"RSS grew from {rss[0]} to {rss[-1]} MB")
            for p in problems:
                print("garbage: " + p, file=sys.stderr)
            return 1 if problems else 0
        return 0
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
