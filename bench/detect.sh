#!/usr/bin/env bash
# Detection benchmark: one scan of 2,000 processes (a generated /proc-like
# tree, and the real /proc with 2,000 `sleep` processes started for it),
# full and incremental, classified by an 8-application policy. Pinned to
# one core. Writes bench/results/detect.jsonl.
# Usage: bench/detect.sh
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/build.sh" Release detect-bench >/dev/null
out=$top/bench/results/detect.jsonl
mkdir -p "$(dirname "$out")"
taskset -c 1 "$top/build/Release/bench/detect-bench" --processes 2000 --runs 30 | tee "$out"
