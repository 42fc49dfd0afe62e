# Sourced by the loopback benchmarks: a pool of N shoald on 127.0.0.1 (lan
# preset) in a fresh directory, every node seeded with nodes 1 and 2, its
# control API on port PORT_BASE+3000+i (tokens in $run/tokens, the admin's
# signing key in $run/admin.key, exported as SHOAL_ADMIN_KEY), CPU
# enforcement off (benchmarks of the exchange touch no cgroup).
#   pool_start BIN N PORT_BASE [FLAGS...]   sets run, base, pids; node i's
#       standard output goes to $run/node-i.out, its log to $run/node-i.log;
#       the FLAGS go to every node, and NODE1_FLAGS (an array, if set) to
#       node 1 only; with ALT_BIN set, even-numbered nodes run ALT_BIN
#       instead of BIN (an A/B comparison in one pool); with POOL_CONFIG
#       set, every node reads that configuration file; with POOL_PREPARE
#       set, that command runs with $run and N before the nodes start
#       (to fill their state directories $run/node-i)
#   pool_stop                               ends them (by pid) and removes $run
#   cpu_ticks PID                           its user + system time so far, in
#       clock ticks (getconf CLK_TCK a second)
#   apps_start TAG APPS                     writes $run/apps.xml, a monitor
#       policy of APPS applications app1.. (1% of the pool each), and starts
#       one idle process per application named "TAG-appK x" that every node
#       sees (pids in sleepers); apps_stop ends them (call before pool_stop)
pool_start() {
  local bin=$1 n=$2
  base=$3
  shift 3
  run=$(mktemp -d "${TMPDIR:-/tmp}/shoal-bench.XXXXXX")
  pids=()
  "$bin" --generate-key "$run/pool.key" >/dev/null
  "$bin" --generate-token admin >"$run/tokens"
  # Admin actions signed, as a real pool runs (not with ALT_BIN: an older
  # build may not know the flag).
  local admin=()
  if [ -z "${ALT_BIN:-}" ]; then
    "$bin" --generate-admin-key "$run/admin.key" >"$run/admin-keys" 2>/dev/null
    export SHOAL_ADMIN_KEY=$run/admin.key
    admin=(--admin-keys-file "$run/admin-keys")
  fi
  chmod 600 "$run"/tokens "$run"/admin-keys 2>/dev/null || true
  if [ -n "${POOL_PREPARE:-}" ]; then $POOL_PREPARE "$run" "$n"; fi
  local i extra
  for i in $(seq 1 "$n"); do
    extra=()
    if [ "$i" = 1 ] && [ -n "${NODE1_FLAGS+x}" ]; then extra=("${NODE1_FLAGS[@]}"); fi
    local node_bin=$bin
    if [ -n "${ALT_BIN:-}" ] && [ $((i % 2)) = 0 ]; then node_bin=$ALT_BIN; fi
    "$node_bin" --config "${POOL_CONFIG:-/dev/null}" --preset lan --name "node-$i" --bind "127.0.0.1:$((base + i))" \
      --seed "127.0.0.1:$((base + 1))" --seed "127.0.0.1:$((base + 2))" \
      --key-file "$run/pool.key" --state-dir "$run/node-$i" --control "127.0.0.1:$((base + 3000 + i))" \
      --tokens-file "$run/tokens" "${admin[@]}" --enforcer off "$@" "${extra[@]}" \
      >"$run/node-$i.out" 2>"$run/node-$i.log" &
    pids+=($!)
  done
}

pool_stop() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$run"
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

sleepers=()
apps_start() {
  local tag=$1 apps=$2 k
  {
    echo '<shoal-policy version="1" mode="monitor">'
    for k in $(seq 1 "$apps"); do
      echo "  <application name=\"app$k\"><process cmdline=\"$tag-app$k *\"/></application>"
      echo "  <policy application=\"app$k\"><cpu pool-percent=\"1%\"/></policy>"
    done
    echo '</shoal-policy>'
  } >"$run/apps.xml"
  sleepers=()
  for k in $(seq 1 "$apps"); do
    bash -c "exec -a '$tag-app$k x' sleep 3600" &
    sleepers+=($!)
  done
}

apps_stop() {
  local p
  for p in "${sleepers[@]}"; do kill "$p" 2>/dev/null || true; done
}
