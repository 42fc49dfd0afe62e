"""The chaos suite's history check (bench/chaos.py): at the end of a run,
each node's own figures are asked of the pool second by second (answered
by the node or by its replicas), and every second the node ran, away from
its own faults, must hold its period: no acknowledged period lost."""
import datetime

# Around a node's own fault its periods may be missing: stopped, killed, its
# state removed (the last seconds were not yet on a replica: not acknowledged),
# its clock stepped (dated elsewhere) or its disk full (never written; the
# store writes again within RocksDB's 5 s look for free space).
OWN_FAULT_MARGIN_S = {"disk_full": (3, 10), "wipe": (5, 3), "corrupt": (5, 3)}
OWN_FAULT_MARGIN_DEFAULT_S = (3, 3)
HISTORY_CHUNK_S = 300


class HistoryCheck:
    def __init__(self, pool, log, n):
        self.pool, self.log, self.n = pool, log, n
        self.lost = {}   # node -> periods missing (None: not answered)
        self.where = []  # the windows they were missing in
        self.held = 0    # periods found

    def own_faults(self, i):
        """The (from, to) windows around node i's own faults."""
        out = []
        for e in self.log:
            if e["kind"] not in ("partition", "loss", "rotate") and e["nodes"][:1] == [i]:
                before, after = OWN_FAULT_MARGIN_S.get(e["kind"], OWN_FAULT_MARGIN_DEFAULT_S)
                out.append((e["start"] - before, e["end"] + after))
        return sorted(out)

    def samples_per_second(self, name, begin, end):
        """{second: samples} of node `name`'s own figures, asked of node 0."""
        got = {}
        fmt = "%Y-%m-%dT%H:%M:%S"
        for a in range(int(begin), int(end), HISTORY_CHUNK_S):
            b = min(int(end), a + HISTORY_CHUNK_S)
            frm = datetime.datetime.fromtimestamp(a, datetime.timezone.utc).strftime(fmt)
            to = datetime.datetime.fromtimestamp(b, datetime.timezone.utc).strftime(fmt)
            answer = self.pool.ctl_json(0, "history", "node", name, "--from", frm, "--to", to, "--step", "1s")
            if answer is None:
                return None
            for p in answer.get("points", []):
                got[p["time_ms"] // 1000] = got.get(p["time_ms"] // 1000, 0) + p.get("samples", 0)
        return got

    def run(self, begin, end):
        """Fills lost ({node: periods missing over [begin, end) outside its
        own faults, None if the pool did not answer}), where and held."""
        lost, where = self.lost, self.where
        for i in range(self.n):
            got = self.samples_per_second(self.pool.name(i), begin, end)
            if got is None:
                lost[i] = None
                continue
            self.held += sum(got.values())
            edges = [begin] + [t for w in self.own_faults(i) for t in w] + [end]
            for a, b in zip(edges[0::2], edges[1::2]):
                a, b = int(a) + 1, int(b)  # whole seconds inside the interval
                if b - a < 2:
                    continue
                # A sample a few ms either side of a second's edge leaves one
                # second empty and its neighbour with two: count the deficit.
                missing = (b - a) - sum(got.get(t, 0) for t in range(a, b)) - 1
                if missing > 0:
                    lost[i] = lost.get(i, 0) + missing
                    where.append(dict(node=i, start=a, end=b, missing=missing,
                                      samples="".join(str(min(9, got.get(t, 0))) for t in range(a, b))))
