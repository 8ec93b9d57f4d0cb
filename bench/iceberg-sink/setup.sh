#!/usr/bin/env bash
# Installs Apache Iceberg's Kafka Connect sink and the Kafka Connect standalone worker from Maven
# Central into the bench cache, once per recipe: ${FLOE_CACHE:-~/.cache/floe}/bench/iceberg-sink-<hash>/
#   worker/                 connect-runtime and its dependencies (the worker's classpath)
#   plugins/iceberg-sink/   the sink, S3FileIO, Hadoop client, sqlite JDBC, and the raw-Avro converter
# Prints that folder on stdout. Logs go to <folder>.log.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${FLOE_CACHE:-$HOME/.cache/floe}/bench"
java_home="${JAVA_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}"
hash="$(cat "$here/worker.pom.xml" "$here/plugin.pom.xml" "$here/converter/dev/floe/bench/RawAvroConverter.java" | sha256sum | cut -c1-12)"
dir="$cache/iceberg-sink-$hash"
if [ -f "$dir/.complete" ]; then echo "$dir"; exit 0; fi

mkdir -p "$cache"
log="$dir.log"
tmp="$(mktemp -d "$cache/.iceberg-sink-XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
{
  echo "installing the Iceberg Kafka Connect sink into $dir"
  mvn -B -q -f "$here/worker.pom.xml" dependency:copy-dependencies -DoutputDirectory="$tmp/worker"
  mvn -B -q -f "$here/plugin.pom.xml" dependency:copy-dependencies -DoutputDirectory="$tmp/plugins/iceberg-sink"
  # The converter compiles against the plugin's Avro and the worker's Connect API.
  mkdir -p "$tmp/classes"
  "$java_home/bin/javac" -nowarn -d "$tmp/classes" \
    -cp "$tmp/worker/*:$tmp/plugins/iceberg-sink/*" \
    "$here/converter/dev/floe/bench/RawAvroConverter.java"
  "$java_home/bin/jar" cf "$tmp/plugins/iceberg-sink/floe-bench-raw-avro-converter.jar" -C "$tmp/classes" .
  rm -rf "$tmp/classes"
} >"$log" 2>&1 || { echo "iceberg sink setup failed, see $log" >&2; tail -20 "$log" >&2; exit 1; }
rm -rf "$dir"
mv "$tmp" "$dir"
trap - EXIT
touch "$dir/.complete"
echo "$dir"
