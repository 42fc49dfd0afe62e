#!/usr/bin/env bash
# Builds Shoal with address and undefined-behaviour sanitizers and runs every
# test (CTest), then a short libFuzzer run of the packet decoder when clang is
# there. Exit code is non-zero when anything fails.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/build.sh" Sanitize
dir=${SHOAL_BUILD_DIR:-$top/build/Sanitize}
ctest --test-dir "$dir" --output-on-failure -j"$(nproc)" --timeout 600
if [ -x "$top/build/fuzz/fuzz_packet" ] || command -v clang++ >/dev/null; then
  "$top/scripts/fuzz.sh" 30
fi
