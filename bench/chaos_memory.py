"""The chaos suite's memory watch (bench/chaos.py): each running daemon's
RSS from /proc whenever the pool is whole again after a fault, and every
30 s its memory by part from /metrics (shoal_daemon_memory_bytes), so a
long run tells a bounded daemon (caches filled, code paged in) from a leak
(anonymous memory and malloc's heap in use rising).
"""
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
            body, _ = self.pool.http.text(i, "/metrics")
            for line in (body or "").splitlines():
                m = _PART.match(line)
                if m:
                    self.parts_when.setdefault(m.group(1), []).append((time.time(), float(m.group(2)) / 1024))
