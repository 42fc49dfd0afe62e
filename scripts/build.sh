#!/usr/bin/env bash
# Configures and builds Shoal into build/ (or $SHOAL_BUILD_DIR).
# Usage: scripts/build.sh [Release|Debug|Sanitize] [TARGET...]
#   (default Release, every target)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/setup.sh"
type=${1:-Release}
shift || true
dir=${SHOAL_BUILD_DIR:-$top/build/$type}
cmake -S "$top" -B "$dir" -DCMAKE_BUILD_TYPE="$type" -DCMAKE_CXX_COMPILER_LAUNCHER=ccache >/dev/null
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build "$dir" -j"$(nproc)" "${targets[@]}"
