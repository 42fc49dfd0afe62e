"""Leftovers of namespace benchmarks that were killed before they could
clean up (a SIGKILLed suite, a session's end): network namespaces
shoal-b-PID-* (scripts/netns_pipe_pool.py), cgroup subtrees
shoal-chaos-PID and tmpfs mounts in shoal-chaos-PID-* work directories
(bench/chaos.py). Each name carries the id of the run that made it; only
what belongs to a run whose process is gone is removed, and each removal
is said on stderr. Processes still inside a dead run's namespace were
started by that run (its daemons and applications): they are ended by
their ids before the namespace goes. Needs root.
"""
import glob
import os
import re
import shutil
import signal
import subprocess
import sys

_NETNS = re.compile(r"^shoal-b-(\d+)-\S+")
_CGROUP = re.compile(r"/shoal-chaos-(\d+)$")
_MOUNT = re.compile(r"/shoal-chaos-(\d+)-[^/]+/")


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _say(what):
    print(f"stale_runs: {what}", file=sys.stderr)


def _out(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    return r.stdout if r.returncode == 0 else ""


def sweep_namespaces():
    for line in _out(["ip", "netns", "list"]).splitlines():
        m = _NETNS.match(line)
        if not m or _alive(int(m.group(1))):
            continue
        ns = line.split()[0]
        for pid in _out(["ip", "netns", "pids", ns]).split():
            try:
                os.kill(int(pid), signal.SIGKILL)
                _say(f"ended process {pid} left in namespace {ns}")
            except (ProcessLookupError, ValueError):
                pass
        if subprocess.run(["ip", "netns", "del", ns], capture_output=True).returncode == 0:
            _say(f"removed namespace {ns} of run {m.group(1)}, which is gone")


def sweep_cgroups(roots=("/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpuacct", "/sys/fs/cgroup")):
    for root in roots:
        for top in glob.glob(f"{root}/shoal-chaos-*"):
            m = _CGROUP.search(top)
            if not m or _alive(int(m.group(1))):
                continue
            try:
                for d, _, _ in sorted(os.walk(top), key=lambda w: -w[0].count("/")):
                    os.rmdir(d)  # deepest first; a group with processes in it refuses
                _say(f"removed cgroup {top} of run {m.group(1)}, which is gone")
            except OSError as e:
                _say(f"left cgroup {top}: {e.strerror}")


def sweep_mounts():
    with open("/proc/mounts") as f:
        points = [line.split()[1] for line in f if line.startswith("shoal-chaos ")]
    for point in points:
        m = _MOUNT.search(point + "/")
        if m and not _alive(int(m.group(1))):
            if subprocess.run(["umount", "-l", point], capture_output=True).returncode == 0:
                _say(f"unmounted {point} of run {m.group(1)}, which is gone")
                shutil.rmtree(os.path.dirname(point), ignore_errors=True)


def sweep():
    sweep_namespaces()
    sweep_cgroups()
    sweep_mounts()
