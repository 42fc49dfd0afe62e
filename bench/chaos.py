#!/usr/bin/env python3
"""Chaos suite (issue 24): real shoald processes, each in a network
namespace of its own behind one router (scripts/netns_pipe_pool.py), run a
policy while a seeded scheduler injects one fault at a time:

  loss        nftables `numgen random` drops on one link, both ways or one
  partition   the pool split in two, then healed
  stall       SIGSTOP of a daemon for 0.5-5 s, then SIGCONT
  kill        SIGKILL, restarted 2-4 s later (sometimes killed again at once:
              a crash loop)
  term_push   a policy pushed through one node while another gets SIGTERM
  rotate      the pool key rotated (shoalctl keyring install, use) mid-run
  wipe        a daemon killed, its state directory removed, restarted
  corrupt     a daemon killed, its history store damaged (CURRENT or the
              MANIFEST overwritten, or the write-ahead log cut in half),
              restarted
  disk_full   the last node's state directory is a 64 MB tmpfs; it is
              filled to the last byte for 15-25 s, a policy pushed through
              another node meanwhile, then freed
  clock_step  one node's wall clock stepped 1, 10 or 60 minutes either way
              (the daemon's wall_clock_offset_ms on SIGHUP: the machine's
              clock is shared), a policy pushed through it, stepped back

After each fault clears, the suite waits until every node sees every other
alive again (the recovery time). Checked throughout and at the end:

  - no daemon exits unless the suite ended it (a crash fails the run; its
    log is kept);
  - no node is declared failed by another unless it was killed, stopped for
    the failure timeout (1.2 s in the lan preset) or more, or partitioned
    away from that observer (a "false failure": from the daemons' own
    warning lines, "node X at ... failed"); a stalled node gets nobody else
    declared failed;
  - the pool comes back whole within 30 s of every fault;
  - every node ends on the same policy revision, the last one pushed;
  - every daemon's memory stays bounded (RSS sampled after each fault);
  - CPU enforcement is back on the pool's plan within 2 s of every fault's
    end: each server (a PID namespace of its own, bench/chaos_cpu.py) runs
    two always-hungry applications, gold and bronze, in the groups its
    daemon makes, and each group's weight, quota and members must be what
    another node plans for that server (the policies pushed alternate
    between gold 75/25, gold 25/75, and one naming neither: no group);
  - no acknowledged history period is lost: at the end, each node's own
    figures are asked of the pool second by second (answered by the node or
    its replicas), and every second it was running, away from its own
    faults, must hold its period (faults come one at a time, so fewer nodes
    than the copies kept are ever down together; and at most two stores are
    lost within 40 s, the time a store started afresh takes to have its
    history back on three nodes).

The schedule depends only on --seed and --nodes (the faults' log, with
wall times, is in the output with --json), so a failing run can be
replayed.

Needs root (ip netns, nft, mount). Creates namespaces named shoal-b-PID-*
and one tmpfs, removes them at the end, sends traffic only inside them, ends only the processes
it started. Prints a summary (--json: one JSON object) and with --check
exits 1 when an invariant broke.
"""
import argparse
import datetime
import glob
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from netns_pipe_pool import Net, run  # noqa: E402
from stale_runs import sweep  # noqa: E402
from chaos_cpu import CpuCheck, available as cpu_available, fitted_policies  # noqa: E402
from chaos_env import CONTROL, Firewall, Pool, damage_store, ip_of  # noqa: E402
from chaos_history import HistoryCheck  # noqa: E402
from chaos_memory import MemoryWatch  # noqa: E402
from chaos_report import print_summary, verdict  # noqa: E402

TOP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
GRACE_S = 5  # a declaration this long after its fault cleared is still the fault's
# The lan preset's failure timeout (gossip/config.h): a node silent this
# long is declared failed, so a stall this long may be; a shorter one never.
FAILURE_TIMEOUT_S = 1.2
STORE_LOSSES = ("wipe", "corrupt")
HISTORY_COPIES = 2  # replicas beside the origin (history.copies)
# A store started afresh: 10-20 s for the membership to settle (store/
# restorer.h), then its earlier rows back from their holders and a fresh
# copy to its replicas.
STORE_RECOVERY_S = 40
FAILED_LINE = re.compile(r"^(\S+) warn(?:ing)? \[([^\]]+)\] node (\S+) at \S+ failed$")


class Chaos:
    def __init__(self, pool, firewall, rng, args):
        self.pool, self.fw, self.rng, self.args = pool, firewall, rng, args
        self.n = len(pool.procs)
        self.log = []          # the faults: kind, nodes, start, end, parameters
        self.crashes = []      # (node, exit code)
        self.recovery = []     # seconds from a fault's end until the pool is whole
        self.not_recovered = 0
        self.memory = MemoryWatch(pool)
        self.ended = set()     # nodes the suite itself has ended (not crashes)
        self.pushed = None     # the last revision pushed
        self.pushes = 0
        self.history = None    # chaos_history.HistoryCheck, at the end
        self.cpu = CpuCheck(pool, pool.servers) if pool.servers else None
        self.policies = fitted_policies(pool.dir, pool.servers.slice_m * self.n / 1000 if pool.servers else 16)
        self.cpu_on_plan = []  # seconds from a fault's end until every group holds the plan
        self.cpu_late = []     # faults after which that took over --cpu-within: kind, seconds, what differed

    # --- checks ---
    def check_processes(self):
        for i in range(self.n):
            p = self.pool.procs[i]
            if p is not None and p.poll() is not None and i not in self.ended:
                self.crashes.append((i, p.returncode))
                self.pool.start(i)  # counted once; restarted so the run goes on

    def whole(self):
        """Every node sees every node alive."""
        for doc in self.pool.api_all([(i, "nodes") for i in range(self.n)]):
            if isinstance(doc, str) or doc.get("error"):
                return False
            rows = doc.get("nodes", {}).get("nodes", [])
            if sum(1 for r in rows if r.get("state") in ("self", "alive")) != self.n:
                return False
        return True

    def settle(self, since, entry=None):
        """Waits until the pool is whole again after a fault and, meanwhile,
        until the CPU groups hold the plan."""
        cpu = threading.Thread(target=self.settle_cpu, args=(since, entry))
        cpu.start()
        try:
            deadline = time.time() + 30
            while time.time() < deadline:
                self.check_processes()
                if self.whole():
                    self.recovery.append(time.time() - since)
                    self.memory.sample()
                    return
                time.sleep(0.25)
            self.not_recovered += 1
        finally:
            cpu.join()

    def settle_cpu(self, since, entry):
        """Waits until every server's groups hold the pool's plan again
        (the time goes into the fault's entry)."""
        if self.cpu is None or entry is None:
            return
        running = [i for i in range(self.n) if self.pool.running(i)]
        took, diff = self.cpu.wait(since, running, avoid=entry["nodes"])
        entry["cpu_on_plan_s"] = took
        if took is not None:
            self.cpu_on_plan.append(took)
        if took is None or took > self.args.cpu_within:
            self.cpu_late.append(dict(kind=entry["kind"], seconds=took, differed=diff[:4]))

    # --- faults ---
    def record(self, kind, nodes, start, **params):
        entry = dict(kind=kind, nodes=nodes, start=start, end=time.time(), **params)
        self.log.append(entry)
        return entry

    def loss(self):
        a, b = self.rng.sample(range(self.n), 2)
        pct, one_way, secs = self.rng.choice([10, 20, 30]), self.rng.random() < 0.5, self.rng.uniform(5, 10)
        start = time.time()
        handles = [self.fw.drop([ip_of(a)], [ip_of(b)], pct)]
        if not one_way:
            handles.append(self.fw.drop([ip_of(b)], [ip_of(a)], pct))
        time.sleep(secs)
        for h in handles:
            self.fw.remove(h)
        return self.record("loss", [a, b], start, pct=pct, one_way=one_way)

    def partition(self):
        order = list(range(self.n))
        self.rng.shuffle(order)
        k = self.rng.randint(2, self.n - 2)
        side_a, side_b = sorted(order[:k]), sorted(order[k:])
        secs = self.rng.uniform(5, 10)
        start = time.time()
        ips_a, ips_b = [ip_of(i) for i in side_a], [ip_of(i) for i in side_b]
        handles = [self.fw.drop(ips_a, ips_b), self.fw.drop(ips_b, ips_a)]
        time.sleep(secs)
        for h in handles:
            self.fw.remove(h)
        return self.record("partition", side_a + side_b, start, side_a=side_a, side_b=side_b)

    def stall(self):
        x, secs = self.rng.randrange(self.n), self.rng.choice([0.5, 1.0, 1.1, 1.5, 2.0, 3.0, 5.0])
        start = time.time()
        self.pool.send(x, signal.SIGSTOP)
        time.sleep(secs)
        self.pool.send(x, signal.SIGCONT)
        return self.record("stall", [x], start, seconds=secs)

    def clock_step(self):
        """One node's wall clock stepped a minute to an hour either way for a
        few seconds, with a policy pushed through it meanwhile."""
        x = self.rng.randrange(self.n)
        offset_ms = self.rng.choice([-1, 1]) * self.rng.choice([60, 600, 3600]) * 1000
        start = time.time()
        self.pool.set_wall_offset(x, offset_ms)
        time.sleep(self.rng.uniform(2, 4))
        if x not in self.ended:
            self.push(x)
        time.sleep(self.rng.uniform(1, 2))
        self.pool.set_wall_offset(x, 0)
        return self.record("clock_step", [x], start, offset_ms=offset_ms)

    def end(self, i, sig):
        self.ended.add(i)
        self.pool.stop(i, sig)

    def restart(self, i):
        """Starts daemon i again and waits until it answers: a fault ends
        when its daemon runs again (a Release build starts in ~0.25 s, a
        sanitizer build in seconds on a busy machine, whose periods are not
        the store's to lose)."""
        self.pool.start(i)
        self.pool.restarts += 1
        self.ended.discard(i)
        self.pool.wait_up(i)

    def spared(self, x, limit):
        """Node x, or the next one below `limit` when x is the node kept free
        of restarting faults (--spare; the draws stay as without it)."""
        return (x + 1) % limit if x == self.args.spare else x

    def wipe(self):
        x = self.spared(self.rng.randrange(self.n - 1), self.n - 1)  # not the tmpfs node
        start = time.time()
        self.end(x, signal.SIGKILL)
        shutil.rmtree(self.pool.state(x))
        self.restart(x)
        return self.record("wipe", [x], start)

    def corrupt(self):
        x, how = self.rng.randrange(self.n - 1), self.rng.choice(["current", "manifest", "wal"])
        x = self.spared(x, self.n - 1)
        start = time.time()
        self.end(x, signal.SIGKILL)
        damaged = damage_store(f"{self.pool.state(x)}/history", how, self.rng)
        self.restart(x)
        return self.record("corrupt", [x], start, how=how, file=damaged)

    def disk_full(self):
        x, secs = self.n - 1, self.rng.uniform(15, 25)
        start = time.time()
        filler = f"{self.pool.state(x)}/filler"
        with open(filler, "wb") as f:
            try:
                while True:
                    f.write(bytes(1 << 20))
                    f.flush()
            except OSError:
                pass
        time.sleep(secs / 2)
        self.pushed = self.push(self.rng.randrange(self.n - 1)) or self.pushed  # the full node must store it
        time.sleep(secs / 2)
        os.unlink(filler)
        return self.record("disk_full", [x], start)

    def kill(self):
        x, loops = self.rng.randrange(self.n), 1 + (self.rng.random() < 0.5)
        x = self.spared(x, self.n)
        start = time.time()
        for _ in range(loops):
            self.end(x, signal.SIGKILL)
            time.sleep(self.rng.uniform(2, 4))
            self.restart(x)
            time.sleep(1)
        return self.record("kill", [x], start, loops=loops)

    def push(self, via):
        """Pushes the next policy document through node `via`; its revision, or None."""
        self.pushes += 1
        out = self.pool.ctl_json(via, "policy", "push", self.policies[self.pushes % len(self.policies)])
        return out.get("version") if out else None

    def term_push(self):
        x, y = self.rng.sample(range(self.n), 2)
        if x == self.args.spare:
            x, y = y, x  # the spared node pushes instead
        start = time.time()
        self.pushes += 1
        doc = self.policies[self.pushes % len(self.policies)]
        pusher = subprocess.Popen(["ip", "netns", "exec", self.pool.net.servers[y], self.pool.ctl_bin, "policy",
                                   "push", doc, "--node", CONTROL, "--token", self.pool.token, "-o", "json"],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=self.pool.env)
        self.end(x, signal.SIGTERM)
        out, _ = pusher.communicate(timeout=30)
        try:
            self.pushed = json.loads(out)["version"]
        except (ValueError, KeyError):
            self.pushed = None
        time.sleep(1)
        self.restart(x)
        return self.record("term_push", [x, y], start, pushed=self.pushed is not None)

    def rotate(self):
        """Rotates the pool key as an operator would: install, then use, each
        asked again (up to three times) until every node reports it done
        (a node too slow to answer in time is told again)."""
        via = self.rng.randrange(self.n)
        start = time.time()
        new_key = f"{self.pool.dir}/pool-2.key"
        run(f"{self.pool.shoald} --generate-key {new_key}")
        new, out, attempts = None, "", 0

        def keys():  # {"nodes": [{"key_ids": [..], "primary": id}, ...]}
            return (self.pool.ctl_json(via, "keyring", "list") or {}).get("nodes", [])

        for step in ("install", "use"):
            for _ in range(3):
                attempts += 1
                if step == "install":
                    _, out = self.pool.ctl(via, "keyring", "install", new_key)
                elif new is not None:
                    _, out = self.pool.ctl(via, "keyring", "use", f"{new:08x}")
                time.sleep(1)
                listing = keys()
                if new is None:  # the new key: the one no node sends with yet
                    fresh = {k for n in listing for k in n.get("key_ids", [])} - {n.get("primary") for n in listing}
                    new = fresh.pop() if len(fresh) == 1 else None
                done = new is not None and len(listing) == self.n and all(
                    new in n.get("key_ids", []) if step == "install" else n.get("primary") == new for n in listing)
                if done:
                    break
        return self.record("rotate", [via], start, ok=done, attempts=attempts, detail=out.strip()[-200:])

    KINDS = ["loss", "partition", "stall", "kill", "term_push", "wipe", "corrupt", "disk_full", "clock_step"]

    def run(self, seconds, kinds=None):
        kinds = kinds or self.KINDS
        begin = time.time()
        rotated = False
        while time.time() - begin < seconds:
            if not rotated and time.time() - begin >= seconds / 2:
                entry, rotated = self.rotate(), True
            else:
                entry = getattr(self, self.next_kind(kinds))()
            self.settle(entry["end"], entry)

    def next_kind(self, kinds):
        """The next fault's kind: a store loss (wipe, corrupt) only while fewer
        than HISTORY_COPIES stores were lost in the last STORE_RECOVERY_S, the
        time a store started afresh takes to be whole again on three nodes."""
        kind = self.rng.choice(kinds)
        recent = [e for e in self.log if e["kind"] in STORE_LOSSES and time.time() - e["end"] < STORE_RECOVERY_S]
        others = [k for k in kinds if k not in STORE_LOSSES]
        if kind in STORE_LOSSES and len(recent) >= HISTORY_COPIES and others:
            kind = self.rng.choice(others)
        return kind

    # --- the verdict ---
    def excused(self, observer, subject, t):
        for e in self.log:
            if not (e["start"] <= t <= e["end"] + GRACE_S):
                continue
            if e["kind"] in ("kill", "term_push", "wipe", "corrupt") and subject == e["nodes"][0]:
                return True
            if e["kind"] == "stall" and subject == e["nodes"][0] and e["seconds"] >= FAILURE_TIMEOUT_S:
                return True
            if e["kind"] == "partition" and (observer in e["side_a"]) != (subject in e["side_a"]):
                return True
        return False

    def failure_lines(self):
        """Every "failed" declaration in the logs: (line, excused)."""
        names = {self.pool.name(i): i for i in range(self.n)}
        found = []
        for path in glob.glob(f"{self.pool.dir}/node-*.log"):
            for line in open(path, errors="replace"):
                m = FAILED_LINE.match(line.strip())
                if not m or m.group(2) not in names or m.group(3) not in names:
                    continue
                t = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%f").timestamp()
                found.append((line.strip(), self.excused(names[m.group(2)], names[m.group(3)], t)))
        return found

    def final_policy(self):
        """Pushes once more and returns whether every node runs that revision within 10 s."""
        version = None
        for _ in range(20):
            version = self.push(0)
            if version:
                break
            time.sleep(0.5)
        deadline = time.time() + 10
        while version and time.time() < deadline:
            seen = [None if isinstance(doc, str) else doc.get("status", {}).get("policy_version")
                    for doc in self.pool.api_all([(i, "status") for i in range(self.n)])]
            if all(v == version for v in seen):
                return True, version
            time.sleep(0.5)
        return False, version


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(TOP, "build/Release"), help="where shoald and shoalctl were built")
    ap.add_argument("--nodes", type=int, default=8, help="servers, each a shoald in its own namespace (at least 4)")
    ap.add_argument("--seconds", type=float, default=120, help="how long faults are injected")
    ap.add_argument("--seed", type=int, default=1, help="the fault schedule's seed")
    ap.add_argument("--json", action="store_true", help="print one JSON object (with the faults' log)")
    ap.add_argument("--check", action="store_true", help="exit 1 when an invariant broke (the suite's short form)")
    ap.add_argument("--kinds", help="comma-separated fault kinds to draw from (default: all but rotate, "
                    "which comes once at half time)")
    ap.add_argument("--cpu-within", type=float, default=2.0, help="seconds after a fault's end by which every "
                    "server's groups must hold the plan again (the target: 2; sanitizer builds are slower)")
    ap.add_argument("--apps-share", type=float, default=0.5, help="the share of this machine's CPU the servers' "
                    "applications get, divided among the servers (the daemons and the suite keep the rest; "
                    "sanitizer builds need more of it)")
    ap.add_argument("--no-cpu", action="store_true", help="no applications, enforcement off (the daemons in "
                    "network namespaces only)")
    ap.add_argument("--spare", type=int, help="a node (not the last: it takes the full disks) never killed, "
                    "wiped, damaged or stopped, so its memory over the whole run shows whether it is bounded")
    ap.add_argument("--keep", action="store_true", help="keep the daemons' logs and state (always kept on failure)")
    args = ap.parse_args()
    args.build = os.path.abspath(args.build)  # the daemons start in another mount namespace
    kinds = args.kinds.split(",") if args.kinds else None
    unknown = [k for k in kinds or [] if k not in Chaos.KINDS]
    if unknown:
        sys.exit(f"chaos: unknown fault kind(s) {', '.join(unknown)}; known: {', '.join(Chaos.KINDS)}")
    if args.spare is not None and not 0 <= args.spare < args.nodes - 1:
        sys.exit(f"chaos: --spare {args.spare}: a node from 0 to {args.nodes - 2} (the last takes the full disks)")
    if os.geteuid() != 0:
        sys.exit("chaos.py: needs root (ip netns, nft)")
    if not 0 < args.apps_share <= 1:
        sys.exit(f"chaos.py: --apps-share {args.apps_share:g} is not a share of the machine (0 < share <= 1)")
    if args.nodes < 4:
        sys.exit("chaos.py: --nodes must be at least 4 (a partition needs two sides of two)")
    if shutil.which("nft") is None:
        sys.exit("chaos.py: nft not found (Debian package nftables; scripts/setup.sh installs it)")
    args.cpu_off_why = "--no-cpu" if args.no_cpu else cpu_available()
    if args.cpu_off_why:
        print(f"chaos.py: CPU enforcement not checked: {args.cpu_off_why}", file=sys.stderr)
    sweep()  # what killed runs left: namespaces, cgroups, the full-disk tmpfs
    workdir = tempfile.mkdtemp(prefix=f"shoal-chaos-{os.getpid()}-")
    net = Net(args.nodes)
    pool = None
    began = time.time()
    try:
        fw = Firewall(net.router)
        pool = Pool(net, args.build, workdir, enforce=not args.cpu_off_why, apps_share=args.apps_share)
        for i in range(args.nodes):
            pool.start(i)
        chaos = Chaos(pool, fw, random.Random(args.seed), args)
        chaos.settle(time.time())  # formed
        chaos.recovery.clear()
        for _ in range(40):
            chaos.pushed = chaos.push(0)
            if chaos.pushed:
                break
            time.sleep(0.5)
        faults_began = time.time()
        chaos.run(args.seconds, kinds)
        same, version = chaos.final_policy()
        time.sleep(3)  # the last periods onto their replicas
        chaos.history = HistoryCheck(pool, chaos.log, args.nodes)
        chaos.history.run(faults_began, time.time() - 3)
        chaos.check_processes()
        declared = chaos.failure_lines()
    finally:
        if pool is not None:
            pool.close()
        net.close()
    result, failed = verdict(chaos, declared, same, version, args)
    result["wall_s"] = round(time.time() - began, 1)
    if args.json:
        print(json.dumps(dict(result, log=chaos.log)))
    else:
        print_summary(result, args)
    if failed or args.keep:
        print(f"chaos.py: logs and state kept in {workdir}", file=sys.stderr)
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    if args.check and failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
