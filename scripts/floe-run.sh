#!/usr/bin/env bash
# The one entry point behind the root package.json scripts: provisions Node 24, installs the
# workspace's dependencies when package-lock.json changed, then runs the requested job.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/node-env.sh"
cd "$FLOE_ROOT"

ensure_deps() {
  local stamp="node_modules/.floe-lock-stamp"
  local want; want="$(node -v) $(sha256sum package-lock.json 2>/dev/null | cut -c1-64)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "floe: installing npm dependencies" >&2
    if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund --loglevel=error; fi
    want="$(node -v) $(sha256sum package-lock.json | cut -c1-64)"
    echo "$want" > "$stamp"
  fi
}

job="${1:-}"; shift || true
case "$job" in
  test)      ensure_deps; exec bash test/run-all.sh "$@" ;;
  demo)      ensure_deps; exec node examples/demo/demo.ts "$@" ;;
  bench)     ensure_deps; exec node bench/run.ts "$@" ;;
  typecheck) ensure_deps; exec npx tsc -p tsconfig.json ;;
  rig-up)    ensure_deps; exec bash test/rig/up.sh "$@" ;;
  rig-down)  exec bash test/rig/down.sh "$@" ;;
  node)      ensure_deps; exec node "$@" ;;
  *) echo "usage: floe-run.sh test|demo|bench|typecheck|rig-up|rig-down|node ..." >&2; exit 2 ;;
esac
