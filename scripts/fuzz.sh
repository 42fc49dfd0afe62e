#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each for N seconds
# (default 60). A crash leaves its input in build/fuzz/crash-* and fails.
# Usage: scripts/fuzz.sh [SECONDS]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/setup.sh"
secs=${1:-60}
dir=$top/build/fuzz
cmake -S "$top" -B "$dir" -DSHOAL_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_CXX_COMPILER_LAUNCHER=ccache >/dev/null
cmake --build "$dir" -j"$(nproc)" --target fuzz_packet
mkdir -p "$dir/corpus/packet"
cd "$dir"
./test/fuzz/fuzz_packet -max_total_time="$secs" -max_len=2048 -print_final_stats=1 \
  corpus/packet 2>&1 | tail -n 12
echo "fuzz: fuzz_packet ran ${secs}s without a crash"
