"""CPU enforcement in the chaos suite (bench/chaos.py): each server a PID
and mount namespace of its own (its daemon sees only its own processes, as
on a real server) in its network namespace, running two always-hungry
sample applications, gold and bronze (shoal-demo-burn), that outlive the
daemon: a killed shoald leaves its applications running in their groups,
as on a real server, and the restarted one adopts them. Each shoald gets a
slice of this machine's CPU and its own cgroup subtree TOP/node-I.

CpuCheck says whether every server's groups hold what the pool planned:
the plan is asked of another node (the pool's plan of this node's
instances, not the node's own account), the groups are read from the
kernel (cgroup v1: cpu.shares, cpu.cfs_quota_us, cpu.cfs_period_us, and
which group each application's processes are in). Needs root.
"""
import os
import signal
import subprocess
import sys
import time

APPS = ("gold", "bronze")
V1_CPU = "/sys/fs/cgroup/cpu"
V1_CPUACCT = "/sys/fs/cgroup/cpuacct"
SHARE_TOLERANCE = 0.05   # plans from two views of the pool differ by a sample's worth
QUOTA_TOLERANCE = 0.05
TOP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
# Pushed in turn: gold 75 / bronze 25, neither named (no groups), 25 / 75.
POLICIES = [os.path.join(TOP, "examples/policies", p) for p in ("small.xml", "full.xml", "small-reversed.xml")]


def fitted_policies(workdir, pool_cores):
    """POLICIES, with full.xml's database booking (4 cores) brought within
    a pool of `pool_cores` (with enforcement each server offers a slice of
    this machine; a booking above the pool's capacity is refused)."""
    with open(POLICIES[1]) as f:
        text = f.read()
    if pool_cores >= 8:
        return POLICIES
    fitted = text.replace('cores="4" cap="8"', f'cores="{pool_cores / 5:.2f}" cap="{pool_cores / 2.5:.2f}"')
    assert fitted != text, "full.xml's database booking changed: update fitted_policies"
    path = os.path.join(workdir, "full-fitted.xml")
    with open(path, "w") as f:
        f.write(fitted)
    return [POLICIES[0], path, POLICIES[2]]


def read(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def available():
    """Why enforcement cannot be checked here, or None."""
    if not os.path.isfile(f"{V1_CPU}/cpu.shares"):
        return f"no cgroup v1 cpu hierarchy at {V1_CPU} (the check reads v1's files)"
    r = subprocess.run(["unshare", "--pid", "--fork", "--kill-child", "--mount-proc", "true"], capture_output=True,
                       text=True)
    if r.returncode != 0:
        return f"no PID namespaces: {r.stderr.strip()}"
    return None


def children(pid):
    """The ids of pid's children (every thread's)."""
    out = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                out += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return out


def ended(pid):
    stat = read(f"/proc/{pid}/stat")
    return stat is None or stat.rsplit(")", 1)[-1].split()[0] in ("Z", "X")


def wait_child(pid, timeout=5.0):
    """pid's first child; None when pid ended without one."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        kids = children(pid)
        if kids:
            return kids[0]
        if ended(pid):
            return None
        time.sleep(0.01)
    raise RuntimeError(f"process {pid} started no child within {timeout} s")


class Servers:
    """The servers' PID namespaces with their applications."""

    def __init__(self, net, burn, n, share):
        self.net, self.burn = net, burn
        self.top = f"shoal-chaos-{os.getpid()}"
        # `share` of this machine's CPU divided among the servers: the
        # daemons and the suite keep the rest.
        self.slice_m = int(os.cpu_count() * 1000 * share) // n
        self.hosts, self.inits = [], []
        try:
            for ns in net.servers:
                # nsenter (network only) becomes unshare, whose child is the
                # namespace's first process: bash, the applications' parent.
                p = subprocess.Popen(["nsenter", f"--net=/run/netns/{ns}", "unshare", "--pid", "--fork",
                                      "--kill-child", "--mount-proc", "bash", "-c",
                                      '"$0" gold --threads 1 & "$0" bronze --threads 1 & wait', burn],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
                self.hosts.append(p)
                self.inits.append(wait_child(p.pid))
        except Exception:
            self.close()
            raise

    def flags(self, i):
        return ["--enforcer", "cgroup-v1", "--cgroup-parent", f"{self.top}/node-{i}",
                "--cpu-millicores", str(self.slice_m)]

    def spawn(self, i, argv, **kw):
        """Starts argv in server i (its PID, mount and network namespaces)."""
        return subprocess.Popen(["nsenter", f"--target={self.inits[i]}", "--pid", "--mount", "--net", "--"] + argv,
                                **kw)

    def apps(self, i):
        """{app: [pid, ...]} of server i's applications, as this machine numbers them."""
        out = {}
        for pid in children(self.inits[i]):
            try:
                with open(f"/proc/{pid}/cmdline") as f:
                    args = f.read().split("\0")
            except OSError:
                continue
            if len(args) > 1 and args[1] in APPS:
                out.setdefault(args[1], []).append(pid)
        return out

    def close(self):
        for p in self.hosts:
            # unshare ignores SIGTERM while it waits; killed, it takes the
            # namespace's first process with it (--kill-child), and so all
            # of the namespace.
            p.kill()
            p.wait()
        # The groups, deepest first, once the killed processes have left
        # them (a group with a process in it cannot be removed).
        deadline = time.time() + 10
        for root in (V1_CPU, V1_CPUACCT):
            for dirpath, _, _ in sorted(os.walk(f"{root}/{self.top}"), key=lambda w: -len(w[0])):
                while True:
                    try:
                        os.rmdir(dirpath)
                        break
                    except OSError as e:
                        if time.time() > deadline:
                            print(f"chaos: could not remove {dirpath}: {e}", file=sys.stderr)
                            break
                        time.sleep(0.05)


def cpu_group(pid):
    """The cpu hierarchy's group of pid (v1), e.g. /shoal-chaos-1/node-0/app-gold."""
    text = read(f"/proc/{pid}/cgroup") or ""
    for line in text.splitlines():
        _, controllers, path = line.split(":", 2)
        if "cpu" in controllers.split(","):
            return path
    return None


def close_to(actual, expected, tolerance):
    return abs(actual - expected) <= tolerance * max(abs(expected), 1)


class CpuCheck:
    """Whether every running server's groups hold the pool's plan."""

    def __init__(self, pool, servers):
        self.pool, self.servers = pool, servers

    def planned(self, answers):
        """{(node name, app): instance row} from one node's answers to
        /api/app?name=NAME for each of APPS (Pool.api_all); why not (a str)
        when it did not answer. An application the policy does not name is
        absent (its processes must be in no group)."""
        rows = {}
        for app, doc in zip(APPS, answers):
            if isinstance(doc, str):
                return f"app {app}: {doc}"
            if doc.get("error"):
                if "no application" in doc["error"]:
                    continue
                return f"app {app}: {doc['error'][:200]}"
            for inst in doc.get("app", {}).get("instances", []):
                rows[(inst.get("node"), app)] = inst
        return rows

    def ask(self, nodes):
        """{node: planned rows} asked of each of `nodes`, every question at once."""
        answers = self.pool.api_all([(j, f"app?name={app}") for j in nodes for app in APPS])
        return {j: self.planned(answers[k * len(APPS):(k + 1) * len(APPS)]) for k, j in enumerate(nodes)}

    def differences(self, i, rows):
        """What in server i's groups differs from `rows` (the pool's plan)."""
        found = []
        name = self.pool.name(i)
        group_dir = f"/{self.servers.top}/node-{i}/app-"
        for app, pids in self.servers.apps(i).items():
            row = rows.get((name, app))
            groups = {cpu_group(p) for p in pids}
            if row is None:
                if any(g and group_dir in g for g in groups):
                    found.append(f"{name} {app}: not in the plan but still in a group ({groups})")
                continue
            want = f"{group_dir}{app}"
            if groups != {want}:
                found.append(f"{name} {app}: processes in {sorted(g or '?' for g in groups)}, not {want}")
                continue
            found += self.settings(name, app, f"{V1_CPU}{want}", row)
        return found

    def settings(self, name, app, path, row):
        shares, quota, period = (read(f"{path}/{f}") for f in ("cpu.shares", "cpu.cfs_quota_us", "cpu.cfs_period_us"))
        if shares is None or quota is None or period is None:
            return [f"{name} {app}: {path} unreadable"]
        want_shares = min(max(int(row.get("weight", 0)) * 1024 // 100, 2), 262144)
        want_period = int(row.get("period_us", 0)) or int(period)
        want_quota = int(row.get("quota_us", 0))
        if want_quota:  # v1 holds a child's quota to its parent's, the node's slice
            want_quota = min(want_quota, self.servers.slice_m * want_period // 1000)
        out = []
        if not close_to(int(shares), want_shares, SHARE_TOLERANCE):
            out.append(f"{name} {app}: cpu.shares {shares}, planned {want_shares}")
        if int(period) != want_period:
            out.append(f"{name} {app}: period {period} us, planned {want_period}")
        if (want_quota == 0) != (int(quota) < 0) or (want_quota and not close_to(int(quota), want_quota,
                                                                                  QUOTA_TOLERANCE)):
            out.append(f"{name} {app}: quota {quota} us, planned {want_quota or 'none'}")
        return out

    def on_plan(self, running, avoid=()):
        """[] when every server in `running` holds the plan, else what
        differs. Each server's plan is asked of another server, where it
        can be one not in `avoid` (a node just restarted knows the pool
        least)."""
        if not running:
            return []
        refs = [i for i in running if i not in avoid] + [i for i in running if i in avoid]
        ref, other = refs[0], refs[1] if len(refs) > 1 else refs[0]
        plans = self.ask(sorted({ref, other}))
        found = [f"node-{j} did not say its plan ({rows})" for j, rows in plans.items() if isinstance(rows, str)]
        if found:
            return found
        for i in running:
            found += self.differences(i, plans[other if i == ref else ref])
        return found

    def wait(self, since, running, avoid=(), timeout=10.0):
        """Seconds from `since` until every server holds the plan (None:
        not within `timeout`), and the last differences seen before."""
        deadline = time.time() + timeout
        diff = []
        while time.time() < deadline:
            now = self.on_plan(running, avoid)
            if not now:
                return time.time() - since, diff
            diff = now
            time.sleep(0.05)
        return None, diff


def signal_daemon(proc, daemon_pid, sig):
    """Signals a daemon started through nsenter (which waits for it)."""
    if sig == signal.SIGCONT:
        # nsenter stops itself when its child stops, and continues it when
        # continued.
        try:
            os.kill(proc.pid, signal.SIGCONT)
        except ProcessLookupError:
            pass
    try:
        os.kill(daemon_pid, sig)
    except ProcessLookupError:
        pass
