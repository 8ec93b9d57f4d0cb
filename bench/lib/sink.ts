// The named peer: Apache Iceberg's Kafka Connect sink (iceberg-kafka-connect, Maven Central), run by
// the Kafka Connect standalone worker (connect-runtime, ConnectStandalone) on the same topic and the
// same MinIO. Its catalog is Iceberg's JdbcCatalog on a local sqlite file; data goes through
// S3FileIO. Timed from the JVM's start until the table's current snapshot holds every record.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DatabaseSync } from 'node:sqlite';
import { createTopic, loadRig, rigProcessEnv, totalRecords } from '../../test/helpers/index.ts';
import { ProcessWatcher, LoadMeter, type MachineLoad } from './proc.ts';
import { avroSchemaJson } from './seed.ts';
import { committedSeconds, jdbcMetadataLocation, type BenchBucket } from './tables.ts';
import type { Format } from './options.ts';

const SETUP = fileURLToPath(new URL('../iceberg-sink/setup.sh', import.meta.url));
const CREATE_TABLE = fileURLToPath(new URL('../iceberg-sink/create_table.py', import.meta.url));

export interface SinkRunResult {
  records: number;
  /** JVM start to the commit holding the last record (as polled, 1 s granularity). */
  seconds: number;
  firstCommitSeconds: number | null;
  /** JVM start to the first sink task running (plugin scanning and group join included). */
  startupSeconds: number | null;
  cpuSeconds: number;
  /** The kernel's share of cpuSeconds. */
  systemCpuSeconds: number;
  peakRssBytes: number;
  filesWritten: number;
  snapshots: number;
  tableBytes: number;
  tasks: number;
  icebergVersion: string;
  load: MachineLoad;
}

export interface SinkRunOptions {
  format: Format;
  topic: string;
  workDir: string;
  /** s3://bucket/prefix for the catalog's warehouse. */
  warehouse: string;
  bucket: BenchBucket;
  tasks: number;
  commitIntervalSeconds: number;
  timeoutMs: number;
  log: (msg: string) => void;
}

/** Installs (once, cached) the worker and the sink; returns the install folder. */
export function installSink(log: (msg: string) => void): string {
  log('  iceberg sink: resolving jars from Maven Central (cached after the first run)');
  const dir = execFileSync('bash', [SETUP], { encoding: 'utf8', env: rigProcessEnv(), stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  if (!existsSync(path.join(dir, '.complete'))) throw new Error(`iceberg sink setup did not complete: ${dir}`);
  return dir;
}

// The JdbcCatalog's own tables (schema V1), created up front: two tasks initializing an empty sqlite
// catalog at once collide on its write lock (SQLITE_BUSY) and the losing task dies. For the same
// reason the table itself is created before the worker starts (create_table.py).
const CATALOG_DDL = [
  'CREATE TABLE iceberg_tables(catalog_name VARCHAR(255) NOT NULL,table_namespace VARCHAR(255) NOT NULL,table_name VARCHAR(255) NOT NULL,metadata_location VARCHAR(1000),previous_metadata_location VARCHAR(1000), iceberg_type VARCHAR(5),PRIMARY KEY (catalog_name, table_namespace, table_name))',
  'CREATE TABLE iceberg_namespace_properties(catalog_name VARCHAR(255) NOT NULL,namespace VARCHAR(255) NOT NULL,property_key VARCHAR(255),property_value VARCHAR(1000),PRIMARY KEY (catalog_name, namespace, property_key))',
  "INSERT INTO iceberg_namespace_properties VALUES ('iceberg', 'bench', 'exists', 'true')",
];

function props(entries: Record<string, string | number | boolean>): string {
  return `${Object.entries(entries).map(([k, v]) => `${k}=${v}`).join('\n')}\n`;
}

export async function runSink(o: SinkRunOptions, installDir: string): Promise<SinkRunResult> {
  const rig = loadRig();
  const records = await totalRecords(o.topic);
  mkdirSync(o.workDir, { recursive: true });
  const catalog = path.join(o.workDir, 'catalog.db');
  const db = new DatabaseSync(catalog);
  for (const sql of CATALOG_DDL) db.exec(sql);
  db.exec('PRAGMA journal_mode=WAL');
  db.close();

  const table = `t_${o.format}_${o.topic.replace(/[^a-zA-Z0-9]/g, '_')}`.slice(0, 120);
  const schemaFile = path.join(o.workDir, 'table.avsc');
  writeFileSync(schemaFile, avroSchemaJson(o.format));
  execFileSync(rig.python, [CREATE_TABLE, catalog, o.warehouse, 'bench', table, schemaFile], { env: rigProcessEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
  const control = `${o.topic}-control`;
  await createTopic(control, { partitions: 1 });
  const valueConverter: Record<string, string> =
    o.format === 'json'
      ? { 'value.converter': 'org.apache.kafka.connect.json.JsonConverter', 'value.converter.schemas.enable': 'false' }
      : { 'value.converter': 'dev.floe.bench.RawAvroConverter', 'value.converter.schema.path': schemaFile };

  const worker = path.join(o.workDir, 'worker.properties');
  writeFileSync(
    worker,
    props({
      'bootstrap.servers': rig.kafka.bootstrap,
      'key.converter': 'org.apache.kafka.connect.converters.ByteArrayConverter',
      'value.converter': 'org.apache.kafka.connect.converters.ByteArrayConverter',
      'offset.storage.file.filename': path.join(o.workDir, 'connect.offsets'),
      'offset.flush.interval.ms': 10_000,
      'plugin.path': path.join(installDir, 'plugins'),
      listeners: 'http://127.0.0.1:0',
    }),
  );
  const connector = path.join(o.workDir, 'iceberg-sink.properties');
  const s3 = rig.s3;
  writeFileSync(
    connector,
    props({
      name: `iceberg-sink-${o.topic}`,
      'connector.class': 'org.apache.iceberg.connect.IcebergSinkConnector',
      'tasks.max': o.tasks,
      topics: o.topic,
      'key.converter': 'org.apache.kafka.connect.converters.ByteArrayConverter',
      ...valueConverter,
      'iceberg.tables': `bench.${table}`,
      'iceberg.control.topic': control,
      'iceberg.control.commit.interval-ms': o.commitIntervalSeconds * 1000,
      'iceberg.catalog.catalog-impl': 'org.apache.iceberg.jdbc.JdbcCatalog',
      'iceberg.catalog.uri': `jdbc:sqlite:${catalog}?journal_mode=WAL&busy_timeout=30000`,
      'iceberg.catalog.jdbc.schema-version': 'V1',
      // One sqlite connection per catalog: with the default pool of two, a pooled connection kept a
      // stale WAL read snapshot, the coordinator's commits then failed forever with
      // SQLITE_BUSY_SNAPSHOT ("metadata location has changed", "Commit failed, will try again").
      'iceberg.catalog.clients': 1,
      'iceberg.catalog.warehouse': o.warehouse,
      'iceberg.catalog.io-impl': 'org.apache.iceberg.aws.s3.S3FileIO',
      'iceberg.catalog.s3.endpoint': s3.endpoint,
      'iceberg.catalog.s3.path-style-access': true,
      'iceberg.catalog.s3.access-key-id': s3.accessKey,
      'iceberg.catalog.s3.secret-access-key': s3.secretKey,
      'iceberg.catalog.client.region': s3.region,
    }),
  );
  const log4j = path.join(o.workDir, 'log4j.properties');
  const logFile = path.join(o.workDir, 'connect.log');
  writeFileSync(
    log4j,
    props({
      'log4j.rootLogger': 'INFO, file',
      'log4j.appender.file': 'org.apache.log4j.FileAppender',
      'log4j.appender.file.File': logFile,
      'log4j.appender.file.layout': 'org.apache.log4j.PatternLayout',
      'log4j.appender.file.layout.ConversionPattern': '[%d] %p %m (%c)%n',
    }),
  );

  const java = path.join(rig.javaHome || '/usr/lib/jvm/java-17-openjdk-amd64', 'bin', 'java');
  const meter = new LoadMeter();
  const t0 = performance.now();
  const t0Wall = Date.now();
  // The heap Kafka's connect-distributed.sh gives a worker.
  const child: ChildProcess = spawn(
    java,
    ['-Xms256m', '-Xmx2g', '-XX:+UseG1GC', `-Dlog4j.configuration=file:${log4j}`, '-cp', `${path.join(installDir, 'worker')}/*`, 'org.apache.kafka.connect.cli.ConnectStandalone', worker, connector],
    { env: rigProcessEnv(), stdio: ['ignore', 'ignore', 'pipe'], cwd: o.workDir },
  );
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString('utf8')).slice(-8000);
  });
  let exited = false;
  const exit = new Promise<void>((r) => child.on('exit', () => ((exited = true), r())));
  const watcher = new ProcessWatcher(child.pid!);
  const since = () => (performance.now() - t0) / 1000;
  const logTail = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').filter((l) => /ERROR|Exception/.test(l)).slice(-15).join('\n') : '') + stderr.slice(-2000);
  try {
    let firstCommitSeconds: number | null = null;
    let startupSeconds: number | null = null;
    let lastReport = 0;
    let lastProgress = { records: -1, at: since() };
    const stallSeconds = Math.max(300, 30 * o.commitIntervalSeconds);
    const deadline = t0 + o.timeoutMs;
    for (;;) {
      if (exited) throw new Error(`Connect worker exited:\n${logTail()}`);
      const logText = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
      if (startupSeconds === null && logText.includes('Sink task finished initialization and start')) startupSeconds = since();
      if (performance.now() > deadline) throw new Error(`iceberg sink did not finish within ${o.timeoutMs / 1000} s:\n${logTail()}`);
      const loc = jdbcMetadataLocation(catalog, 'bench', table);
      const st = loc ? await o.bucket.tableAt(loc) : null;
      if (st?.snapshotId && firstCommitSeconds === null) firstCommitSeconds = committedSeconds(st, t0Wall, since());
      if (st && st.totalRecords >= records) {
        const seconds = committedSeconds(st, t0Wall, since());
        const proc = watcher.sample();
        if (st.totalRecords !== records) throw new Error(`iceberg sink table holds ${st.totalRecords} records, the topic ${records}`);
        return {
          records,
          seconds,
          firstCommitSeconds,
          startupSeconds,
          cpuSeconds: proc.cpuSeconds,
          systemCpuSeconds: proc.systemCpuSeconds,
          peakRssBytes: proc.peakRssBytes,
          filesWritten: st.totalDataFiles,
          snapshots: st.snapshots,
          tableBytes: st.totalFilesSize,
          tasks: o.tasks,
          icebergVersion: icebergVersion(),
          load: meter.end(),
        };
      }
      if ((st?.totalRecords ?? 0) !== lastProgress.records) lastProgress = { records: st?.totalRecords ?? 0, at: since() };
      else if (since() - lastProgress.at > stallSeconds && firstCommitSeconds !== null) {
        throw new Error(`iceberg sink stalled at ${lastProgress.records}/${records} records for ${stallSeconds} s:\n${logTail()}`);
      }
      if (/Task threw an uncaught and unrecoverable exception/.test(logText)) {
        throw new Error(`an iceberg sink task died:\n${logTail()}`);
      }
      if (since() - lastReport >= 15) {
        lastReport = since();
        o.log(`  iceberg sink ${o.format}: ${st?.totalRecords ?? 0}/${records} records committed after ${lastReport.toFixed(0)} s`);
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  } finally {
    watcher.stop();
    if (!exited) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exit;
      clearTimeout(t);
    }
  }
}

function icebergVersion(): string {
  const pom = readFileSync(fileURLToPath(new URL('../iceberg-sink/plugin.pom.xml', import.meta.url)), 'utf8');
  return /<iceberg.version>([^<]+)</.exec(pom)?.[1] ?? 'unknown';
}
