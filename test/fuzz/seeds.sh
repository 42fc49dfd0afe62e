#!/usr/bin/env bash
# Writes the seed inputs of fuzz_status and fuzz_history (test/fuzz/corpus/
# status, history) from the text form of their messages, with protoc: one
# well-formed message of each kind the targets decode, so that fuzzing
# starts inside the decoders rather than at their first check. Run from
# anywhere; the files are committed (scripts/fuzz.sh seeds from them).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$top/test/fuzz/corpus
enc() {  # PROTO MESSAGE FILE  (text on stdin)
  protoc -I"$top" -I"$top/$(dirname "$1")" --encode="$2" "$top/$1" >"$3"
}
st=daemon/engine
enc $st/node_status.proto shoal.engine.wire.NodeStatus "$out/status/node-status" <<'T'
name: "web-07" cpus: 8 load_milli: 1250 mem_total_kb: 16000000 mem_available_kb: 9000000 capacity_m: 7600
instances { app: "web" usage_m: 2400 demand_m: 3100 rss_kb: 812000 processes: 12 }
instances { app: "batch" usage_m: 900 demand_m: 4000 rss_kb: 2000000 processes: 3 }
policy_version: "2026-12-05.1" enforcing: true enforcer: "cgroup-v2"
T
enc $st/pipe_demand.proto shoal.engine.wire.PipeDemand "$out/status/pipe-demand" <<'T'
round: 42 document: 1234567
lanes { lane: 1 slots: [0, 2] bytes: [125000, 500000] period_slots: [0] used: [100000] allocated: [120000] fallback: 62500 }
lanes { lane: 0 slots: [1] bytes: [9000] }
T
enc $st/pool_figures.proto shoal.engine.wire.PoolFigures "$out/status/pool-figures" <<'T'
nodes: 16 capacity: 1945600
apps { name: "web" instances: 16 demand: 640000 usage: 512000 booked: 320000 allocated: 600000 node_capacity: 121600
       bookable { bin_steps: [3, 1, 2] counts: [4, 8, 4] sums: [16000, 64000, 48000] }
       room { bin_steps: [5] counts: [16] sums: [320000] } }
T
enc $st/node_detail.proto shoal.engine.wire.DetailAnswer "$out/status/detail" <<'T'
status: "\n\006web-07\020\010"
row { app: "web" booking_m: 2000 allocation_m: 2600 millicores: 2600 weight: 260 quota_us: 260000 period_us: 100000
      cgroup: "/sys/fs/cgroup/shoal.slice/web" }
T
# History: origin 7's rows (the fuzz target's peer); key 'D' origin kind
# level name '\0' time (big-endian), value a Figures message.
key='D\000\000\000\000\000\000\000\007A\000web\000\000\000\001\243\030\134P\000'
node='D\000\000\000\000\000\000\000\007N\000\000\000\000\001\243\030\134P\000'
fig='\010\001\020\144\030\144\040\310\001'
h=store/history.proto
enc $h shoal.store.wire.Request "$out/history/append" <<T
append { origin: 7 origin_name: "web-07" incarnation: 99
  batches { seq: 1 time_ms: 1800000000000 rows { key: "$key" value: "$fig" } rows { key: "$node" value: "$fig" } } }
T
enc $h shoal.store.wire.Request "$out/history/copy" <<T
copy { origin: 7 origin_name: "web-07" incarnation: 99 rows { key: "$key" value: "$fig" } last: true
  through_seq: 1 through_ms: 1800000000000 }
T
enc $h shoal.store.wire.Request "$out/history/query" <<'T'
query { kind: 65 name: "web" from_ms: 1799999990000 to_ms: 1800000100000 step_ms: 60000 level: 0 }
T
enc $h shoal.store.wire.Response "$out/history/answer" <<'T'
result { level: 1 events { origin: 7 time_ms: 1800000000000 kind: "policy" event { subject: "v7" text: "on" } }
  series { origin: 7 name: "web" bucket_step_ms: [1800000000000, 60000, 60000] samples: [2, 2, 1]
    usage_sum: [800, 900, 400] usage_peak: [450, 500, 400] demand_sum: [900, 900, 500] demand_peak: [500, 500, 500]
    booking_sum: [1000, 1000, 500] allocation_sum: [1000, 1000, 500] capacity_sum: [4000, 4000, 2000]
    rss_kb_sum: [9000, 9000, 4500] processes_sum: [6, 6, 3] squeezed: [0, 1, 0] idle: [0, 0, 0] }
  rows { origin: 8 name: "web" bucket_ms: 1800000000000 figures { samples: 1 usage_sum: 100 } } }
T
enc $h shoal.store.wire.Request "$out/history/holdings" <<'T'
holdings { from_ms: 0 to_ms: 1900000000000 }
T
enc $h shoal.store.wire.Request "$out/history/restore" <<T
restore { cursor: "$key" before_ms: 1900000000000 }
T
enc $h shoal.store.wire.Request "$out/history/delete" <<'T'
delete { origin: 7 app: "web" before_ms: 1800000000000 by: "ops" } signed_action: "x"
T
# Control requests (fuzz_control), one of each kind a node answers.
c=daemon/control/control.proto
mkdir -p "$out/control"
creq() {  # NAME TEXT
  echo "$2" | enc $c shoal.daemon.control.Request "$out/control/$1"
}
creq status 'token: "t" status {}'
creq nodes 'nodes {}'
creq apps 'apps {}'
creq app 'app { name: "gold" }'
creq policy-show 'policy_show { revision: 1 }'
creq policy-versions 'policy_versions {}'
creq policy-history 'policy_history {}'
creq policy-dry-run 'policy_push { dry_run: true text: "<shoal-policy version=\"1\" mode=\"monitor\"><application name=\"gold\"><process cmdline=\"gold\"/></application><policy application=\"gold\" priority=\"1\"><cpu pool-percent=\"40%\"/></policy></shoal-policy>" }'
creq mode 'mode { enforce: false }'
creq pipes 'pipes {}'
creq explain 'explain { app: "gold" node: "node-1" }'
creq history-app 'history { what: "app" name: "gold" from_ms: 1779999990000 to_ms: 1780000100000 }'
creq history-pool 'history { what: "pool" per_node: true step_ms: 1000 from_ms: 1780000000000 to_ms: 1780000010000 }'
creq history-events 'history { what: "events" from_ms: 1780000000000 to_ms: 1780000010000 }'
creq events 'events { }'
creq keyring 'keyring { }'
creq history-mount 'history_mount { file: "x.sst" }'
