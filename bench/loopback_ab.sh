#!/usr/bin/env bash
# Paired CPU comparison of two shoald builds: one loopback pool of N daemons
# (lan preset, history on, enforcement off) in which odd-numbered nodes run
# A and even-numbered ones B, so both halves see the same machine at the
# same time. On a shared VM the absolute CPU of the same build drifts by
# 15% or more between runs minutes apart; the ratio within one pool does
# not. After a 20 s warm-up, over WINDOW seconds: mean CPU per daemon of
# each half (utime + stime from /proc) and B/A. Run it twice with A and B
# swapped (the halves differ: node 1 and 2 are the seeds).
# Usage: bench/loopback_ab.sh SHOALD_A SHOALD_B [N=128] [WINDOW=30]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
a=$1
b=$2
n=${3:-128}
window=${4:-30}
. "$top/bench/loopback_pool.sh"
ALT_BIN=$b pool_start "$a" "$n" $((23000 + RANDOM % 2000))
trap pool_stop EXIT
sleep 20
declare -A t0=()
for p in "${pids[@]}"; do t0[$p]=$(cpu_ticks "$p"); done
s0=$(date +%s.%N)
sleep "$window"
s1=$(date +%s.%N)
ta=0
tb=0
i=0
for p in "${pids[@]}"; do
  i=$((i + 1))
  d=$(($(cpu_ticks "$p") - ${t0[$p]}))
  if [ $((i % 2)) = 0 ]; then tb=$((tb + d)); else ta=$((ta + d)); fi
done
python3 - "$ta" "$tb" "$s0" "$s1" "$(getconf CLK_TCK)" "$n" "$a" "$b" <<'PY'
import sys
ta, tb, s0, s1, hz, n = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
ticks = (s1 - s0) * hz
na, nb = (n + 1) // 2, n // 2
print(f"A {sys.argv[7]}: {100 * ta / ticks / na:.3f}%  B {sys.argv[8]}: {100 * tb / ticks / nb:.3f}%  B/A {tb / nb / (ta / na):.3f}")
PY
