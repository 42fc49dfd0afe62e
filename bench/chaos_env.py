"""The chaos suite's environment (bench/chaos.py): shoald on servers in
network namespaces (scripts/netns_pipe_pool.py's Net), the router's
nftables rules that drop packets between them, and damage done to a
stopped daemon's history store. Needs root.
"""
import json
import time
import os
import re
import shutil
import signal
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
from netns_pipe_pool import run, spawn  # noqa: E402
from chaos_cpu import Servers, signal_daemon, wait_child  # noqa: E402
from netns_http import NetnsHttp  # noqa: E402

CONTROL = "127.0.0.1:7947"
# The HTTP endpoint the suite's frequent questions go to (bench/netns_http.py).
HTTP = "127.0.0.1:9100"


def ip_of(i):
    return f"10.78.{i + 1}.2"


class Pool:
    """shoald on every server of `net`, seeded with the first two; with
    `enforce`, each server a PID namespace with applications whose CPU its
    daemon enforces (bench/chaos_cpu.py)."""

    def __init__(self, net, build, workdir, enforce, apps_share=0.5):
        self.net, self.dir = net, workdir
        self.shoald, self.ctl_bin = f"{build}/daemon/shoald", f"{build}/tools/shoalctl"
        # Each server its own key file, as on real servers (key rotation
        # rewrites it).
        run(f"{self.shoald} --generate-key {workdir}/pool.key")
        for i in range(len(net.servers)):
            shutil.copy(f"{workdir}/pool.key", f"{workdir}/key-{i}")
            os.chmod(f"{workdir}/key-{i}", 0o600)
        line = run(f"{self.shoald} --generate-token admin").strip()
        self.token = line.split()[1]
        with open(f"{workdir}/tokens", "w") as f:
            f.write(line + "\n")
        os.chmod(f"{workdir}/tokens", 0o600)
        run(f"{self.shoald} --generate-admin-key {workdir}/admin.key > {workdir}/admin-keys")
        self.env = dict(os.environ, SHOAL_ADMIN_KEY=f"{workdir}/admin.key")
        self.procs = [None] * len(net.servers)
        self.pids = [None] * len(net.servers)  # the daemons' own ids (procs may be nsenter)
        self.restarts = 0
        # The last node's state on a small file system of its own, to fill.
        self.tmpfs = self.state(len(net.servers) - 1)
        os.makedirs(self.tmpfs)
        run(f"mount -t tmpfs -o size=64m,mode=0700 shoal-chaos {self.tmpfs}")
        # After the mount: each server's mount namespace is a copy made now.
        self.servers = Servers(net, f"{build}/tools/shoal-demo-burn", len(net.servers), apps_share) if enforce else None
        self.http = NetnsHttp(net.servers, HTTP)

    def name(self, i):
        return f"node-{i}"

    def state(self, i):
        return f"{self.dir}/state-{i}"

    def config(self, i):
        return f"{self.dir}/shoald-{i}.toml"

    def set_wall_offset(self, i, offset_ms):
        """Steps node i's wall clock (wall_clock_offset_ms, taken on SIGHUP)."""
        with open(self.config(i), "w") as f:
            f.write(f"wall_clock_offset_ms = {offset_ms}\n")
        if self.running(i):
            self.send(i, signal.SIGHUP)

    def start(self, i):
        if not os.path.exists(self.config(i)):
            with open(self.config(i), "w") as f:
                f.write("wall_clock_offset_ms = 0\n")
        argv = [self.shoald, "--config", self.config(i), "--preset", "lan", "--name", self.name(i), "--bind",
                f"{ip_of(i)}:7946", "--key-file", f"{self.dir}/key-{i}", "--state-dir", self.state(i),
                "--control", CONTROL, "--http", HTTP, "--tokens-file", f"{self.dir}/tokens", "--admin-keys-file",
                f"{self.dir}/admin-keys", "--log-level", "info"]
        argv += self.servers.flags(i) if self.servers else ["--enforcer", "off"]
        for seed in (0, 1):
            if seed != i:
                argv += ["--seed", f"{ip_of(seed)}:7946"]
        log = open(f"{self.dir}/{self.name(i)}.log", "a")
        if self.servers:
            self.procs[i] = self.servers.spawn(i, argv, stdout=log, stderr=log, stdin=subprocess.DEVNULL)
            self.pids[i] = wait_child(self.procs[i].pid) or self.procs[i].pid  # none: it did not start
        else:
            self.procs[i] = spawn(self.net.servers[i], argv, stdout=log, stderr=log, stdin=subprocess.DEVNULL)
            self.pids[i] = self.procs[i].pid

    def wait_up(self, i, timeout=30):
        """Waits until daemon i answers on its HTTP endpoint (a sanitizer
        build takes seconds to start on a busy machine); whether it did."""
        deadline = time.time() + timeout
        while time.time() < deadline and self.running(i):
            if self.http.status(i, "/health") == 200:
                return True
            time.sleep(0.05)
        return False

    def send(self, i, sig):
        signal_daemon(self.procs[i], self.pids[i], sig)

    def stop(self, i, sig=signal.SIGTERM):
        """Ends daemon i with `sig` (SIGKILL after 10 s) and waits for it."""
        p = self.procs[i]
        if p is None or p.poll() is not None:
            return
        self.send(i, sig)
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.send(i, signal.SIGKILL)
            p.wait()

    def ctl(self, i, *args, timeout=15):
        """shoalctl ARGS against node i; (exit code, output)."""
        try:
            r = subprocess.run(["ip", "netns", "exec", self.net.servers[i], self.ctl_bin] + list(args) +
                               ["--node", CONTROL, "--token", self.token], capture_output=True, text=True,
                               timeout=timeout, env=self.env)
            return r.returncode, r.stdout + r.stderr
        except subprocess.TimeoutExpired:
            return 124, "timed out"

    def ctl_json(self, i, *args):
        code, out = self.ctl(i, *args, "-o", "json")
        if code != 0:
            return None
        try:
            return json.loads(out)
        except ValueError:
            return None

    def api_all(self, calls):
        """GET /api/WHAT of node i for each (i, WHAT) in `calls`, all at once,
        through the daemons' HTTP endpoints; each answer the control API's
        response as JSON (its "error" set when it refused), or why there was
        none (a str)."""
        answers = self.http.get_all([(i, f"/api/{what}") for i, what in calls])
        return [doc if doc is not None else why for doc, why in answers]

    def running(self, i):
        return self.procs[i] is not None and self.procs[i].poll() is None

    def close(self):
        self.http.close()
        for i, p in enumerate(self.procs):
            if p is not None:
                self.send(i, signal.SIGCONT)  # a stalled daemon must see its SIGTERM
                self.stop(i)
        if self.servers:
            self.servers.close()
        run(f"umount {self.tmpfs}", check=False)


class Firewall:
    """nftables rules in the router's forward path."""

    def __init__(self, router):
        self.router = router
        subprocess.run(["ip", "netns", "exec", router, "nft", "-f", "-"], check=True, text=True,
                       input="table inet chaos {\n chain faults {\n"
                             "  type filter hook forward priority 0; policy accept;\n }\n}\n")

    def drop(self, sources, dests, pct=100):
        """Adds a rule dropping pct% of packets from `sources` to `dests`; returns its handle."""
        rule = ["ip", "saddr", "{", ", ".join(sources), "}", "ip", "daddr", "{", ", ".join(dests), "}"]
        if pct < 100:
            rule += ["numgen", "random", "mod", "100", "<", str(pct)]
        out = self.nft("-e", "-a", "add", "rule", "inet", "chaos", "faults", *rule, "drop")
        return int(re.search(r"# handle (\d+)", out).group(1))

    def remove(self, handle):
        self.nft("delete", "rule", "inet", "chaos", "faults", "handle", str(handle))

    def nft(self, *args):
        return subprocess.run(["ip", "netns", "exec", self.router, "nft", *args], check=True, capture_output=True,
                              text=True).stdout


def damage_store(path, how, rng):
    """Damages the RocksDB store at `path` as a bad disk or a careless hand
    would; returns the file touched (None when there was none)."""
    files = sorted(os.listdir(path)) if os.path.isdir(path) else []
    if how == "current" and "CURRENT" in files:
        target = f"{path}/CURRENT"
        with open(target, "w") as f:
            f.write("garbage")
        return target
    pick = [f for f in files if f.startswith("MANIFEST-")] if how == "manifest" else \
        [f for f in files if f.endswith(".log")]
    if not pick:
        return None
    target = f"{path}/{pick[-1]}"
    size = os.path.getsize(target)
    if how == "wal":
        os.truncate(target, size // 2)
    else:
        with open(target, "r+b") as f:
            f.seek(size // 3)
            f.write(bytes(rng.randrange(256) for _ in range(min(512, max(1, size // 3)))))
    return target
