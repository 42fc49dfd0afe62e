#!/usr/bin/env bash
# History store benchmark (store/): the cost of recording a period and a
# day of samples of 20 applications (memory, disk, roll-ups); a 24-hour
# pool-wide query of every application at 128 simulated nodes; replication
# lag at 16. Writes bench/results/history.jsonl.
# Usage: bench/history.sh
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/build.sh" Release history-bench >/dev/null
bin=$top/build/Release/bench/history-bench
out=$top/bench/results/history.jsonl
scratch=$(mktemp -d /tmp/shoal-history-bench.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$(dirname "$out")"
: >"$out"
echo "bench: history-bench write (a day at 1 s, 20 applications)" >&2
"$bin" write --dir "$scratch/w" --apps 20 --period-ms 1000 | tee -a "$out"
echo "bench: history-bench query (128 nodes, a day each, 24-hour question)" >&2
"$bin" query --dir "$scratch/q" --nodes 128 --apps 20 --period-ms 30000 | tee -a "$out"
echo "bench: history-bench lag (16 nodes, 60 s, synced replica writes)" >&2
"$bin" lag --dir "$scratch/l" --nodes 16 --apps 20 --seconds 60 | tee -a "$out"
