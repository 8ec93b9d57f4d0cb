#!/usr/bin/env bash
# `npm test`: brings the real rig up (installing it on first use), runs every suite against it —
# the agent's unit suites, the rig smoke suite, the end-to-end suites, the Go provider's tests —
# and stops the rig again if this run started it. Exits non-zero on any failure.
set -uo pipefail
cd "$FLOE_ROOT"

rig_was_up=0
if [ -f test/rig/rig.env ] && bash test/rig/up.sh --check >/dev/null 2>&1; then rig_was_up=1; fi
started=$(date +%s)
if ! bash test/rig/up.sh; then
  echo "floe: the test rig failed to start (see test/rig/.state/*.log)" >&2
  # What it did start before it failed (Kafka, when MinIO's port is taken) is stopped too.
  if [ "$rig_was_up" = 0 ]; then bash test/rig/down.sh >&2 || true; fi
  exit 1
fi
echo "floe: rig ready in $(( $(date +%s) - started ))s" >&2
set -a; source test/rig/rig.env; set +a

stop_rig() { if [ "$rig_was_up" = 0 ] && [ "${FLOE_KEEP_RIG:-0}" != 1 ]; then bash test/rig/down.sh || true; fi; }
trap stop_rig EXIT

status=0
echo "floe: type-checking" >&2
npx tsc -p tsconfig.json || status=1

# Node suites run one file at a time: they share one Kafka broker and one MinIO, and the machine has
# two cores. Every suite makes its own topics, tables and prefixes, so order does not matter.
mapfile -t suites < <(find agent/test test provider/test examples -name '*.test.ts' -not -path '*/node_modules/*' 2>/dev/null | sort -u)
node --test --test-concurrency=1 --test-timeout="${FLOE_TEST_TIMEOUT_MS:-900000}" "${suites[@]}" || status=1

if [ -n "$(find terraform -name '*_test.go' 2>/dev/null | head -1)" ]; then
  (cd terraform && TF_ACC=1 go test -count=1 ./...) || status=1
fi
exit $status
