#!/usr/bin/env bash
# The long fuzzing runs (issue 24): each target named (default: every one
# in scripts/fuzz_targets.txt) for SECONDS, all at once at nice 19, from
# its corpus in build/fuzz/corpus (seeded from the repository), with its
# dictionary. Prints one Markdown row per target (inputs run, coverage
# counters and features at start and end, new inputs, crashes), keeps
# each run's log in build/fuzz/long-TARGET.log, and with MINIMIZE=1
# writes the target's corpus, minimized (-merge=1), to
# test/fuzz/corpus/NAME (the target's name without fuzz_) for the
# repository. A crash leaves its input in
# build/fuzz/crash-*.
# Usage: [MINIMIZE=1] bench/fuzz_long.sh SECONDS [TARGET...]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:?usage: bench/fuzz_long.sh SECONDS [TARGET...]}
shift
"$top/scripts/fuzz.sh" 0 >/dev/null  # builds every target (0 s: build only)
dir=$top/build/fuzz
cd "$dir"
want=("$@")
[ ${#want[@]} -gt 0 ] || mapfile -t want < <(grep -v '^#' "$top/scripts/fuzz_targets.txt" | awk '{print $1}')
pids=()
for target in "${want[@]}"; do
  line=$(grep "^$target " "$top/scripts/fuzz_targets.txt") || { echo "fuzz_long: no target $target" >&2; exit 2; }
  read -r _ max_len seeds <<<"$line"
  mkdir -p "corpus/$target"
  for s in $seeds; do cp -n "$top/$s"/* "corpus/$target/" 2>/dev/null || true; done
  dict=()
  [ -f "$top/test/fuzz/${target#fuzz_}.dict" ] && dict=(-dict="$top/test/fuzz/${target#fuzz_}.dict")
  nice -n 19 ./test/fuzz/"$target" -max_total_time="$secs" -max_len="$max_len" -print_final_stats=1 \
    "${dict[@]}" "corpus/$target" </dev/null >"long-$target.log" 2>&1 &
  pids+=($!)
done
failed=0
for i in "${!want[@]}"; do wait "${pids[$i]}" || { echo "fuzz_long: ${want[$i]} failed (a crash?): see $dir/long-${want[$i]}.log" >&2; failed=1; }; done
echo "| target | inputs | coverage (start → end) | features | new units | crashes |"
echo "| --- | --- | --- | --- | --- | --- |"
for target in "${want[@]}"; do
  python3 - "long-$target.log" "$target" <<'PY'
import re, sys
text = open(sys.argv[1], errors="replace").read()
def stat(name):
    m = re.search(rf"stat::{name}:\s+(\d+)", text)
    return int(m.group(1)) if m else None
inited = re.search(r"INITED cov: (\d+) ft: (\d+)", text)
last = re.findall(r"cov: (\d+) ft: (\d+)", text)
crashes = len(re.findall(r"ERROR: (AddressSanitizer|UndefinedBehaviorSanitizer|libFuzzer)", text))
start = inited.groups() if inited else ("?", "?")
end = last[-1] if last else ("?", "?")
print(f"| `{sys.argv[2]}` | {stat('number_of_executed_units'):,} | {start[0]} → {end[0]} | {start[1]} → {end[1]} "
      f"| {stat('new_units_added')} | {crashes} |")
PY
done
if [ "${MINIMIZE:-0}" = 1 ]; then
  for target in "${want[@]}"; do
    rm -rf "min-$target" && mkdir "min-$target"
    ./test/fuzz/"$target" -merge=1 "min-$target" "corpus/$target" >/dev/null 2>&1
    kept=$top/test/fuzz/corpus/${target#fuzz_}
    rm -rf "$kept" && mkdir -p "$kept"
    cp "min-$target"/* "$kept/"
    echo "fuzz_long: $target's corpus minimized to $(ls "min-$target" | wc -l) inputs in $kept"
  done
fi
exit $failed
