#!/usr/bin/env bash
# Configures and builds Shoal into build/ (or $SHOAL_BUILD_DIR).
# Usage: scripts/build.sh [Release|Debug|Sanitize]   (default Release)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/setup.sh"
type=${1:-Release}
dir=${SHOAL_BUILD_DIR:-$top/build/$type}
cmake -S "$top" -B "$dir" -DCMAKE_BUILD_TYPE="$type" -DCMAKE_CXX_COMPILER_LAUNCHER=ccache >/dev/null
cmake --build "$dir" -j"$(nproc)"
