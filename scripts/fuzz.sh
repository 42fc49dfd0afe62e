#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each for N seconds
# (default 60): the packet receive path, the peer stream codec, shoalctl's
# JSON documents, the policy parser, the node status peers send and the
# history service's requests (replication, queries), shoald's TOML
# configuration, the control API's requests (the real handler on a
# simulated pool) and the roll-up's stream service (parts and versions
# down the tree, on a simulated pool). Seeds come from the repository (test/fuzz/corpus/, the
# examples), dictionaries from test/fuzz/*.dict. A crash leaves its input in
# build/fuzz/crash-* and fails.
# Usage: scripts/fuzz.sh [SECONDS]   (0: build the targets, run none)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/setup.sh"
secs=${1:-60}
dir=$top/build/fuzz
cmake -S "$top" -B "$dir" -DSHOAL_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_CXX_COMPILER_LAUNCHER=ccache >/dev/null
targets=$(grep -v '^#' "$top/scripts/fuzz_targets.txt" | awk '{print $1}')
# shellcheck disable=SC2086
cmake --build "$dir" -j"$(nproc)" $(printf -- '--target %s ' $targets)
[ "$secs" != 0 ] || exit 0
cd "$dir"
# target, longest input, seed directories (in the repository)
run() {
  local target=$1 max_len=$2
  shift 2
  mkdir -p "corpus/$target"
  for seeds in "$@"; do cp -n "$top/$seeds"/* "corpus/$target/" 2>/dev/null || true; done
  local dict=()
  [ -f "$top/test/fuzz/${target#fuzz_}.dict" ] && dict=(-dict="$top/test/fuzz/${target#fuzz_}.dict")
  ./test/fuzz/"$target" -max_total_time="$secs" -max_len="$max_len" -print_final_stats=1 "${dict[@]}" \
    "corpus/$target" </dev/null 2>&1 | tail -n 12
  echo "fuzz: $target ran ${secs}s without a crash"
}
while read -r target max_len seeds; do
  # shellcheck disable=SC2086
  run "$target" "$max_len" $seeds
done < <(grep -v '^#' "$top/scripts/fuzz_targets.txt")
