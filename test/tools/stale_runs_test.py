"""scripts/stale_runs.py on the real kernel: what a run whose process is
gone left (a namespace with a process in it, a cgroup subtree, a tmpfs
mount) is swept; the same things of a live run are kept. Needs root."""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
import stale_runs  # noqa: E402

CG = "/sys/fs/cgroup/cpu" if os.path.isdir("/sys/fs/cgroup/cpu") else "/sys/fs/cgroup"


def sh(*cmd):
    subprocess.run(cmd, check=True, capture_output=True)


def leave_behind(pid):
    """What a run with id `pid` makes; returns (namespace, cgroup, mount point, a process in the namespace)."""
    ns, cg = f"shoal-b-{pid}-t", f"{CG}/shoal-chaos-{pid}"
    sh("ip", "netns", "add", ns)
    proc = subprocess.Popen(["ip", "netns", "exec", ns, "sleep", "300"])
    os.makedirs(f"{cg}/node-0")
    point = os.path.join(tempfile.mkdtemp(prefix=f"shoal-chaos-{pid}-"), "state-7")
    os.makedirs(point)
    sh("mount", "-t", "tmpfs", "-o", "size=1m", "shoal-chaos", point)
    return ns, cg, point, proc


def mounted(point):
    with open("/proc/mounts") as f:
        return any(line.split()[1] == point for line in f)


def namespaces():
    return subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout


def clean(ns, cg, point, proc):
    proc.kill()
    proc.wait()
    subprocess.run(["umount", "-l", point], capture_output=True)
    shutil.rmtree(os.path.dirname(point), ignore_errors=True)
    subprocess.run(["ip", "netns", "del", ns], capture_output=True)
    for d in (f"{cg}/node-0", cg):
        if os.path.isdir(d):
            os.rmdir(d)


def main():
    gone = subprocess.Popen(["true"])
    gone.wait()  # its id is free now: a run that was killed
    dead, live = leave_behind(gone.pid), leave_behind(os.getpid())
    try:
        stale_runs.sweep()
        dead_ns, dead_cg, dead_point, dead_proc = dead
        assert dead_proc.wait(timeout=5) != 0, "the process in the dead run's namespace still runs"
        assert dead_ns not in namespaces(), f"{dead_ns} was not removed"
        assert not os.path.exists(dead_cg), f"{dead_cg} was not removed"
        assert not mounted(dead_point), f"{dead_point} is still mounted"
        live_ns, live_cg, live_point, live_proc = live
        assert live_proc.poll() is None, "a live run's process was ended"
        assert live_ns in namespaces() and os.path.isdir(live_cg) and mounted(live_point), "a live run's things went"
    finally:
        clean(*dead)
        clean(*live)
    print("stale runs swept, the live one kept")


if __name__ == "__main__":
    main()
