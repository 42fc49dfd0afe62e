#!/usr/bin/env bash
# Builds Shoal with address and undefined-behaviour sanitizers and runs every
# test (CTest), then 30-second libFuzzer runs of every fuzz target (clang,
# scripts/fuzz.sh).
# Ends with one line "tests: N passed, M failed"; exits non-zero on any failure.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/setup.sh"
# A missing requirement is named here, not found as a cascade of failures.
if ! "$top/scripts/requirements.sh"; then
  echo "tests: 0 passed, 1 failed (requirements above)"
  exit 1
fi
"$top/scripts/build.sh" Sanitize
dir=${SHOAL_BUILD_DIR:-$top/build/Sanitize}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
ctest --test-dir "$dir" --output-on-failure -j"$(nproc)" --timeout 600 2>&1 | tee "$log" || status=$?
summary=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests failed out of [0-9]+' "$log" | tail -n 1 || true)
if [ -z "$summary" ]; then
  echo "tests: ctest printed no summary" >&2
  exit 1
fi
failed=$(echo "$summary" | sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+)/\1/')
total=$(echo "$summary" | sed -E 's/.* tests failed out of ([0-9]+)/\1/')
fuzz_status=0
if [ "$status" -eq 0 ]; then
  "$top/scripts/fuzz.sh" 30 || fuzz_status=$?
  total=$((total + 1))
  if [ "$fuzz_status" -ne 0 ]; then failed=$((failed + 1)); fi
fi
echo "tests: $((total - failed)) passed, $failed failed"
[ "$status" -eq 0 ] && [ "$fuzz_status" -eq 0 ]
