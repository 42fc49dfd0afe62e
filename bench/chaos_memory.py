"""The chaos suite's memory watch (bench/chaos.py): each running daemon's
RSS from /proc whenever the pool is whole again after a fault, and every
30 s its memory by part from /metrics (shoal_daemon_memory_bytes), so a
long run tells a bounded daemon (caches filled, code paged in) from a leak
(anonymous memory and malloc's heap in use rising). The anonymous memory
is also kept by the daemon's uptime (faults restart daemons every few
minutes: a part that grows with the run but not with uptime follows the
pool, e.g. the history it holds and restores, not one process's life).
"""
import os
import re
import time

PARTS_EVERY_S = 30
_PART = re.compile(r'shoal_daemon_memory_bytes\{part="(\w+)"\} (\S+)$')


class MemoryWatch:
    def __init__(self, pool):
        self.pool = pool
        self.rss_kb = {}      # node -> [samples]
        self.rss_when = []    # (time, kB) of every sample, in order
        self.parts_when = {}  # part -> [(time, kB)]
        self.parts_at = 0     # when the parts were last sampled
        self.anon_by_uptime = []  # (uptime s, kB) of every parts sample

    def sample(self):
        for i in range(len(self.pool.procs)):
            if self.pool.running(i):
                try:
                    with open(f"/proc/{self.pool.pids[i]}/status") as f:
                        kb = int(next(l for l in f if l.startswith("VmRSS")).split()[1])
                    self.rss_kb.setdefault(i, []).append(kb)
                    self.rss_when.append((time.time(), kb))
                except (OSError, StopIteration):
                    pass
        if time.time() - self.parts_at >= PARTS_EVERY_S:
            self.parts_at = time.time()
            self.sample_parts()

    def sample_parts(self):
        for i in range(len(self.pool.procs)):
            if not self.pool.running(i):
                continue
            up = uptime_s(self.pool.pids[i])
            body, _ = self.pool.http.text(i, "/metrics")
            for line in (body or "").splitlines():
                m = _PART.match(line)
                if m:
                    kb = float(m.group(2)) / 1024
                    self.parts_when.setdefault(m.group(1), []).append((time.time(), kb))
                    if m.group(1) == "resident_anonymous" and up is not None:
                        self.anon_by_uptime.append((up, kb))


def uptime_s(pid):
    """How long process `pid` has run, from /proc (None if it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as f:
            boot_s = float(f.read().split()[0])
    except (OSError, IndexError, ValueError):
        return None
    return boot_s - start_ticks / os.sysconf("SC_CLK_TCK")


UPTIME_BANDS_MIN = (0, 2, 5, 10, 20, 40)


def anon_by_uptime(samples):
    """The largest anonymous memory (MB) among samples of daemons that had
    run for each band of minutes, and how many samples each band has."""
    out = {}
    for k, lo in enumerate(UPTIME_BANDS_MIN):
        hi = UPTIME_BANDS_MIN[k + 1] if k + 1 < len(UPTIME_BANDS_MIN) else None
        band = [kb for up, kb in samples if up >= lo * 60 and (hi is None or up < hi * 60)]
        if band:
            out[f"{lo}-{hi}" if hi else f"{lo}+"] = {"max_mb": round(max(band) / 1024, 1), "samples": len(band)}
    return out
