#!/usr/bin/env bash
# Stops the processes test/rig/up.sh started — only those, found by the pids it recorded — and
# removes rig.env so helpers say "run npm run rig:up" instead of timing out against dead ports.
# The cache ($FLOE_CACHE/rig) is left untouched; data and logs stay in test/rig/.state for a look.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Running and not a zombie (a zombie only waits for its parent to reap it).
running() { [ -r "/proc/$1/stat" ] && [ "$(sed 's/^.*) //' "/proc/$1/stat" | cut -d' ' -f1)" != Z ]; }

# SIGTERM first (Kafka shuts down cleanly on it), SIGKILL after a grace period.
stop() {
  local name="$1" grace="$2" pid
  if ! pid="$(rig_pid_of "$name")"; then
    rm -f "$RIG_STATE/pids/$name.pid"
    return 0
  fi
  # up.sh starts each daemon as the leader of its own process group; signal the group only when
  # that still holds, so helpers it spawned go too and nothing outside it is touched.
  local target="$pid"
  [ "$(ps -o pgid= -p "$pid" | tr -d ' ')" = "$pid" ] && target="-$pid"
  rig_log "stopping $name (pid $pid)"
  kill -TERM -- "$target" 2>/dev/null || true
  local waited=0
  while running "$pid" && [ "$waited" -lt $(( grace * 10 )) ]; do sleep 0.1; waited=$(( waited + 1 )); done
  if running "$pid"; then
    rig_log "$name did not stop within ${grace}s; killing it"
    kill -KILL -- "$target" 2>/dev/null || true
    waited=0
    while running "$pid" && [ "$waited" -lt 100 ]; do sleep 0.1; waited=$(( waited + 1 )); done
    running "$pid" && rig_die "$name (pid $pid) survived SIGKILL"
  fi
  rm -f "$RIG_STATE/pids/$name.pid"
}

[ -d "$RIG_STATE/pids" ] || { rig_log "nothing to stop"; rm -f "$RIG_ENV_FILE"; exit 0; }
# Wait for a concurrent up.sh to finish instead of stopping what it is starting.
exec 9>"$RIG_STATE/up.lock"
flock -w 1800 9 || rig_die "another up.sh holds $RIG_STATE/up.lock"
rm -f "$RIG_ENV_FILE"
stop minio 15
stop kafka 30
rig_log "rig stopped"
