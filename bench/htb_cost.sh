#!/usr/bin/env bash
# The netlink cost of shoald's pipe enforcer per credit round at 10, 100
# and 1,000 applications on one interface, with every class's rate changing
# every round (the worst case) and every 10th round, in a network namespace
# this script makes (and removes, even on failure).
# Usage: bench/htb_cost.sh [APPS...]   (default: 10 100 1000)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/build.sh" Release htb-cost >/dev/null
ns="shoal-bench-$$"
trap 'ip netns del "$ns" 2>/dev/null || true' EXIT
ip netns add "$ns"
ip -n "$ns" link add v0 type veth peer name v1
ip -n "$ns" link set v0 up
ip -n "$ns" link set v1 up
for apps in "${@:-10 100 1000}"; do
  for n in $apps; do
    for k in 1 10; do
      ip netns exec "$ns" "$top/build/Release/bench/htb-cost" --apps "$n" --rounds 100 --change-every "$k"
    done
  done
done
