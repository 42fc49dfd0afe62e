"""A pool of shoald servers in network namespaces sharing one uplink, for
the pipe benchmark (bench/pipe_pool.py) and the demo's bandwidth act
(scripts/demo_bandwidth.py): a router, a sink (10.78.100.2) and N
servers (10.78.(i+1).2), each on its own link v0 to the router; paced UDP
senders (python3) and a receiver at the sink that prints, every 100 ms,
the payload bytes received so far per port. Namespaces are named
shoal-b-PID-*; everything is removed by close(), and what a killed run
left is swept when a Net is made (scripts/stale_runs.py). Needs root. Spawns ip,
tc and python3; shoald itself only uses netlink.
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from stale_runs import sweep_namespaces

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
        sweep_namespaces()
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
        shoald, self.ctl_bin = f"{build}/daemon/shoald", f"{build}/tools/shoalctl"
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
                    "--log-level", os.environ.get("SHOAL_BENCH_LOG", "warn"), "--control", "127.0.0.1:7947", "--tokens-file", tokens]
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
            r = subprocess.run(["ip", "netns", "exec", net.servers[0], self.ctl_bin, "policy", "push", policy, "--node",
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

    def ctl(self, i, *args):
        """shoalctl ARGS against server i's control API; its output."""
        r = subprocess.run(["ip", "netns", "exec", self.net.servers[i], self.ctl_bin] + list(args) +
                           ["--node", "127.0.0.1:7947", "--token", self.token], capture_output=True, text=True)
        return r.stdout + r.stderr

    def kill(self, i):
        """SIGKILL server i's shoald (its guard process stays and sets the fallback)."""
        self.procs[i].kill()
        self.procs[i].wait()

    def close(self):
        for p in self.procs:
            stop(p)
        if "SHOAL_BENCH_LOG" in os.environ:
            print(f"shoald logs kept in {self.dir}", file=sys.stderr)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


def send(ns, port, rate):
    """A paced sender from port `port` to the sink's, `rate` payload bytes per second."""
    return spawn(ns, ["python3", "-c", SENDER, str(port), "10.78.100.2", str(rate)])


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
