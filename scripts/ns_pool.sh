# Sourced by scripts/demo.sh and bench/share_accuracy.sh: a pool of N
# shoald "servers" on 127.0.0.1. As root, each runs in a PID namespace of
# its own (it sees only its own processes, as on a real server) with two
# CPU-hungry sample applications, gold and bronze (shoal-demo-burn, two
# threads each), its own cgroup subtree CGROUP_TOP/node-I, and a slice of
# this machine's CPU: 90% of it divided equally. Without root: one shared
# pair of sample applications, no namespaces, monitor only.
#   nspool_init BIN BURN N     sets run, base_port, cgroup_top, slice, enforce;
#                              writes $run/pool.key, $run/tokens and the
#                              admin key pair (exports SHOAL_TOKEN_FILE and
#                              SHOAL_ADMIN_KEY)
#   nspool_start I             starts (or restarts) node I, 1-based
#   nspool_daemon_pid I        node I's shoald as this machine numbers it
#   nspool_wait_ready CTL I..  waits (10 s at most) until each node's control API
#                              answers; a node that died or never answered is
#                              named with the end of its log, and it returns 1
#   nspool_control I           ADDRESS:PORT of node I's control API
#   nspool_stop                ends everything by pid, removes the cgroups and $run
nspool_init() {
  nspool_bin=$1 nspool_burn=$2 nspool_n=$3
  run=$(mktemp -d "${TMPDIR:-/tmp}/shoal-pool.XXXXXX")
  base_port=$((17100 + RANDOM % 500))
  cgroup_top="shoal-pool-$(basename "$run" | cut -d. -f2)"
  slice=$(( $(nproc) * 900 / nspool_n ))
  enforce=1
  if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null; then
    enforce=0
  elif ! nspool_why=$(unshare --pid --fork --kill-child --mount-proc true 2>&1); then
    # A chroot or a container whose / is not a mount point: no PID
    # namespaces, so every daemon would see every process.
    echo "ns_pool: PID namespaces are not available here ($nspool_why): running without them, in monitor mode" >&2
    enforce=0
  fi
  declare -gA nspool_wrapper=()
  nspool_burners=""
  "$nspool_bin" --generate-key "$run/pool.key" >/dev/null
  "$nspool_bin" --add-token admin --tokens-file "$run/tokens" >/dev/null
  export SHOAL_TOKEN_FILE=$run/tokens
  # Pushes, mode switches and history deletions are signed by the admin's key.
  "$nspool_bin" --generate-admin-key "$run/admin.key" >"$run/admin-keys" 2>/dev/null
  export SHOAL_ADMIN_KEY=$run/admin.key
  chmod 600 "$run/admin-keys"
  if [ "$enforce" = 0 ]; then
    "$nspool_burn" gold --threads 2 & nspool_burners=$!
    "$nspool_burn" bronze --threads 2 & nspool_burners="$nspool_burners $!"
  fi
}

nspool_control() { echo "127.0.0.1:$((base_port + 100 + $1))"; }
# Node 1 also serves HTTP: the web view, /metrics and /health.
nspool_http() { echo "127.0.0.1:$((base_port + 200 + $1))"; }

nspool_start() {
  local i=$1
  local flags=(--config /dev/null --preset local --name "node-$i" --bind "127.0.0.1:$((base_port + i))"
    --seed "127.0.0.1:$((base_port + 1))" --key-file "$run/pool.key" --state-dir "$run/node-$i"
    --control "$(nspool_control "$i")" --tokens-file "$run/tokens" --admin-keys-file "$run/admin-keys"
    --cpu-millicores "$slice")
  if [ "$i" = 1 ]; then flags+=(--http "$(nspool_http 1)"); fi
  if [ "$enforce" = 1 ]; then
    flags+=(--cgroup-parent "$cgroup_top/node-$i")
    # The daemon is the namespace's first process: if it dies, its
    # server's applications die with it.
    unshare --pid --fork --kill-child --mount-proc bash -c '
      burn=$1; shift
      "$burn" gold --threads 2 & "$burn" bronze --threads 2 &
      exec "$@"' nspool "$nspool_burn" "$nspool_bin" "${flags[@]}" >>"$run/node-$i.out" 2>>"$run/node-$i.log" &
  else
    "$nspool_bin" "${flags[@]}" --enforcer off >>"$run/node-$i.out" 2>>"$run/node-$i.log" &
  fi
  nspool_wrapper[$i]=$!
}

nspool_daemon_pid() {
  if [ "$enforce" = 1 ]; then pgrep -P "${nspool_wrapper[$1]}" -x shoald || true; else echo "${nspool_wrapper[$1]}"; fi
}

nspool_wait_ready() {
  local ctl=$1 i tries
  shift
  for i in "$@"; do
    for tries in $(seq 1 50); do
      # 0: answered, healthy; 3: answered, the pool not (yet) healthy.
      local rc=0
      "$ctl" status --node "$(nspool_control "$i")" >/dev/null 2>&1 || rc=$?
      if [ "$rc" = 0 ] || [ "$rc" = 3 ]; then break; fi
      if ! kill -0 "${nspool_wrapper[$i]}" 2>/dev/null || [ "$tries" = 50 ]; then
        echo "ns_pool: node-$i did not start; the end of its log ($run/node-$i.log):" >&2
        tail -n 15 "$run/node-$i.log" >&2
        return 1
      fi
      sleep 0.2
    done
  done
}

nspool_stop() {
  local i p h
  for i in "${!nspool_wrapper[@]}"; do
    p=$(nspool_daemon_pid "$i")
    if [ -n "$p" ]; then kill "$p" 2>/dev/null || true; fi
  done
  wait 2>/dev/null || true
  if [ -n "$nspool_burners" ]; then kill $nspool_burners 2>/dev/null || true; fi
  if [ "$enforce" = 1 ]; then
    # Groups a killed daemon left behind (their processes died with it).
    for h in /sys/fs/cgroup/cpu /sys/fs/cgroup/cpuacct; do
      [ -d "$h/$cgroup_top" ] || continue
      find "$h/$cgroup_top" -depth -mindepth 1 -type d -exec rmdir {} \; 2>/dev/null || true
      rmdir "$h/$cgroup_top" 2>/dev/null || echo "could not remove $h/$cgroup_top" >&2
    done
  fi
  rm -rf "$run"
}
