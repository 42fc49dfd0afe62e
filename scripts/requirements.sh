#!/usr/bin/env bash
# Names what this machine lacks for the whole test suite, before anything is
# built: the kernel tests need root, a cgroup CPU controller, network
# namespaces with veth pairs, and tc with HTB. Prints one line per missing
# requirement with what needs it and exits 1; silent and 0 when all is there.
set -uo pipefail
missing=0
lack() { echo "requirements: $1" >&2; missing=1; }

if [ "$(id -u)" != 0 ]; then
  lack "not root: the kernel tests create cgroups, network namespaces and tc classes (run as root)"
else
  if [ ! -e /sys/fs/cgroup/cpu/cpu.shares ] && ! grep -qw cpu /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
    lack "no cgroup CPU controller (neither /sys/fs/cgroup/cpu/cpu.shares nor cpu in /sys/fs/cgroup/cgroup.controllers)"
  fi
  ns="shoal-req-$$"
  if ! out=$(ip netns add "$ns" 2>&1); then
    lack "network namespaces unavailable: ip netns add said: $out"
  else
    if ! out=$(ip -n "$ns" link add shoalreq0 type veth peer name shoalreq1 2>&1); then
      lack "veth pairs unavailable inside a network namespace: $out"
    elif ! out=$(ip netns exec "$ns" tc qdisc add dev shoalreq0 root handle 1: htb 2>&1); then
      lack "tc HTB unavailable: $out"
    fi
    ip netns del "$ns" 2>/dev/null
  fi
fi
for tool in ip tc python3 clang; do
  command -v "$tool" >/dev/null || lack "no $tool on PATH (scripts/setup.sh installs it)"
done
exit $missing
