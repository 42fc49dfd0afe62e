#!/usr/bin/env bash
# Simulated gossip benchmark: shoal-sim at N = 16, 128 and 1,024 nodes (and
# 10,000 with --full) at 0, 5 and 20% loss, three crashes each; a 2 s stall
# at 128 nodes; long runs at 5% loss counting false failures (2 simulated
# hours at 128 nodes, 24 at 16).
# Every node publishes a status update every max(1 s, N x 8 ms): the pool's
# update rate stays near 128 a second, so large pools measure latency, not
# a saturated link. Writes one JSON object per run to
# bench/results/gossip-sim.jsonl; bench/summarize.py turns it into tables.
# Usage: bench/gossip_sim.sh [--quick|--full]
#   --quick: no long run; --full: also 10,000 nodes (about 19 GB of memory
#   and an hour or more per run on 2 vCPUs)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/build.sh" Release shoal-sim >/dev/null
sim=$top/build/Release/tools/shoal-sim
out=$top/bench/results/gossip-sim.jsonl
mkdir -p "$(dirname "$out")"
: >"$out"
quick=${1:-}
run() {  # run LABEL ARGS...
  local label=$1; shift
  echo "bench: $label: shoal-sim $*" >&2
  local json
  json=$(/usr/bin/time -f '%M' -o /tmp/shoal-bench-rss.$$ "$sim" --json "$@")
  local rss_kb
  rss_kb=$(tail -n 1 /tmp/shoal-bench-rss.$$)
  echo "${json%\}}, \"label\": \"$label\", \"sim_rss_mb\": $((rss_kb / 1024)), \"args\": \"$*\"}" >>"$out"
}
for n in 16 128 1024 10000; do
  [ "$n" = 10000 ] && [ "$quick" != --full ] && continue
  case $n in
    16|128) dur=60; warm=5 ;;
    1024) dur=30; warm=10 ;;
    # A cold start of 10,000 nodes floods (20,000 new entries to every
    # node: an hour or more of wall time here), so that pool starts formed;
    # 256 probes give about 64 tracked updates in 20 s.
    10000) dur=20; warm=10 ;;
  esac
  extra=(--probes 32)
  [ "$n" = 10000 ] && extra=(--probes 256 --formed)
  for loss in 0 0.05 0.2; do
    run "pool" --nodes "$n" --loss "$loss" --duration-s "$dur" --warmup-s "$warm" --crashes 3 \
      "${extra[@]}" --update-ms $((n * 8 > 1000 ? n * 8 : 1000))
  done
done
run "stall" --nodes 128 --loss 0.05 --duration-s 30 --crashes 0 --stall-ms 2000
if [ "$quick" != --quick ]; then
  run "long" --nodes 128 --loss 0.05 --duration-s 7200 --crashes 0 --probes 8 --seed 2
  run "day" --nodes 16 --loss 0.05 --duration-s 86400 --crashes 0 --probes 4 --seed 3
fi
rm -f /tmp/shoal-bench-rss.$$
echo "bench: results in $out" >&2
