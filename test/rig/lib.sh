# Shared by up.sh and down.sh (sourced, never run): versions, paths, ports and small helpers.
# Everything the rig installs lives in $FLOE_CACHE/rig/<component>-<version>[-<recipe hash>] and is
# never deleted by the rig; everything it runs (pids, data, logs, generated config) lives in
# test/rig/.state/ and is thrown away freely.

RIG_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
FLOE_ROOT="${FLOE_ROOT:-$(cd "$RIG_DIR/../.." && pwd)}"
# Same default as scripts/node-env.sh, so one cache holds Node and the rig.
FLOE_CACHE="${FLOE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/floe}"
RIG_CACHE="$FLOE_CACHE/rig"
RIG_STATE="$RIG_DIR/.state"
RIG_ENV_FILE="$RIG_DIR/rig.env"

# --- Versions (bump here; the cache key follows) -----------------------------------------------
KAFKA_VERSION=3.9.1
# A 2026 MinIO build: releases before 2025-09-07 ignored If-None-Match on keys that do not exist.
MINIO_MODULE=github.com/minio/minio
MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c
# OpenTofu 1.6.x is the last line whose go.mod has no `replace`, so `go install pkg@version` works.
TOFU_MODULE=github.com/opentofu/opentofu/cmd/tofu
TOFU_VERSION=v1.6.3

# --- Ports (override through the environment) ------------------------------------------------
# RIG_-prefixed on purpose: plain KAFKA_PORT is what Kubernetes injects for a service named kafka.
RIG_KAFKA_PORT="${RIG_KAFKA_PORT:-19092}"
RIG_KAFKA_CONTROLLER_PORT="${RIG_KAFKA_CONTROLLER_PORT:-19093}"
RIG_KAFKA_SASL_PORT="${RIG_KAFKA_SASL_PORT:-19094}"
RIG_MINIO_PORT="${RIG_MINIO_PORT:-19000}"
RIG_MINIO_CONSOLE_PORT="${RIG_MINIO_CONSOLE_PORT:-19001}"

# --- Credentials (test-only, fixed so failures are easy to reproduce by hand) ------------------
RIG_SASL_USER="${RIG_SASL_USER:-floe}"
RIG_SASL_PASSWORD="${RIG_SASL_PASSWORD:-floe-secret}"
RIG_S3_ACCESS_KEY="${RIG_S3_ACCESS_KEY:-floe-minio}"
RIG_S3_SECRET_KEY="${RIG_S3_SECRET_KEY:-floe-minio-secret}"
RIG_S3_BUCKET="${RIG_S3_BUCKET:-floe-test}"
RIG_S3_REGION=us-east-1

RIG_PYTHON_BOOTSTRAP="${RIG_PYTHON_BOOTSTRAP:-python3}"

rig_log() { printf 'rig: %s\n' "$*" >&2; }
rig_die() { printf 'rig: error: %s\n' "$*" >&2; exit 1; }

rig_sha() { cat "$@" | sha256sum | cut -c1-12; }

# Cache locations. Kafka and the venv are keyed by their recipe too, so editing pom.xml or
# requirements.txt installs a fresh copy next to the old one instead of patching it in place.
KAFKA_HOME="$RIG_CACHE/kafka-$KAFKA_VERSION-$(rig_sha "$RIG_DIR/kafka/pom.xml")"
MINIO_HOME="$RIG_CACHE/minio-$MINIO_VERSION"
TOFU_HOME="$RIG_CACHE/tofu-${TOFU_VERSION#v}"
rig_venv_dir() {
  local pyver
  pyver="$("$RIG_PYTHON_BOOTSTRAP" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')" \
    || rig_die "no usable $RIG_PYTHON_BOOTSTRAP (set RIG_PYTHON_BOOTSTRAP)"
  printf '%s/venv-py%s-%s' "$RIG_CACHE" "$pyver" "$(rig_sha "$RIG_DIR/requirements.txt")"
}

# An install is complete only once its marker exists (written last), so an interrupted install is
# redone instead of trusted.
rig_installed() { [ -f "$1/.floe-complete" ]; }

# Java: JAVA_HOME if set, else the `java` on PATH.
rig_java_home() {
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then printf '%s' "$JAVA_HOME"; return; fi
  local java; java="$(command -v java)" || rig_die "java not found (Java 17+ is required)"
  java="$(readlink -f "$java")"; printf '%s' "${java%/bin/java}"
}

# A recorded pid counts as ours only while the process lives and its command line still names our
# state directory: a pid file outliving its process must never lead us to signal a stranger.
rig_pid_of() {
  local f="$RIG_STATE/pids/$1.pid" pid
  [ -f "$f" ] || return 1
  pid="$(cat "$f")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [ -r "/proc/$pid/cmdline" ] || return 1
  local cmdline; cmdline="$(tr '\0' ' ' < "/proc/$pid/cmdline")"
  [[ "$cmdline" == *"$RIG_STATE"* ]] || return 1
  printf '%s' "$pid"
}

# True when something accepts TCP connections on 127.0.0.1:$1.
rig_port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
