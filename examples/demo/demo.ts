// `npm run demo`: the main job on the embedded default.
//
// 1. Starts the rig's Kafka (test/rig/up.sh; installed on first use, cached) unless it is running.
// 2. Creates the seed's two example topics and produces sample data: JSON logs and Avro events
//    (nested profile/device/os/browser/screen structs, the cookies list, the event_attributes map),
//    with a few malformed records among them.
// 3. Runs the agent with the seed's two tables into a local warehouse, file://<repo>/demo-warehouse,
//    showing its progress, until every produced record is committed.
// 4. Prints what landed (rows, snapshots, files, dead letters), reads it back with pyiceberg, and
//    shows how to query the tables. Stops the rig again if it started it.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import YAML from 'yaml';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent } from '../../agent/src/agent.ts';
import { loadConfig, tableSchema } from '../../agent/src/config/index.ts';
import { avroEncoderFor } from '../../agent/src/decode/index.ts';
import { IcebergTable } from '../../agent/src/iceberg/index.ts';
import { FileStore } from '../../agent/src/store/index.ts';
import { createLogger } from '../../agent/src/log.ts';
import { createTopic, deleteTopic, produceJson, produceText, produceBinary, endOffsets, loadRig, runRigPython } from '../../test/helpers/index.ts';
import { jsonLog, avroEvent } from '../producers/seed-data.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WAREHOUSE = path.join(ROOT, 'demo-warehouse');
const JSON_TOPIC = 'example_json_logs_topic';
const AVRO_TOPIC = 'example_avro_events_topic';
const JSON_RECORDS = Number(process.env.FLOE_DEMO_JSON_RECORDS ?? 50_000);
const AVRO_RECORDS = Number(process.env.FLOE_DEMO_AVRO_RECORDS ?? 20_000);

const say = (s = '') => process.stdout.write(`${s}\n`);

function rigUp(): boolean {
  const check = () => {
    try {
      execFileSync('bash', [path.join(ROOT, 'test/rig/up.sh'), '--check'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
  if (check()) return false;
  say('· starting the local Kafka (first run installs it from Maven Central, MinIO and the readers; cached afterwards)…');
  execFileSync('bash', [path.join(ROOT, 'test/rig/up.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
  return true;
}

// The seed's two example tables (examples/config/seed-example.yaml, unchanged schemas), pointed at
// the local Kafka and a local warehouse; the logs table hour-partitioned, both flushed every 2 s.
function configYaml(bootstrap: string): string {
  const [host, port] = bootstrap.split(':');
  const seed = YAML.parse(readFileSync(path.join(ROOT, 'examples/config/seed-example.yaml'), 'utf8')) as { tables: Record<string, unknown>[] };
  const [logs, events] = seed.tables;
  return YAML.stringify({
    source_clusters: [{ name: 'tableflow_cluster_1', bootstrap_brokers: [{ hostname: host, port: Number(port) }] }],
    tables: [
      { ...logs, source_cluster_name: 'tableflow_cluster_1', source_topic: JSON_TOPIC, partitioning_scheme: 'hour', flush: { interval_seconds: 2 } },
      { ...events, source_cluster_name: 'tableflow_cluster_1', source_topic: AVRO_TOPIC, flush: { interval_seconds: 2 } },
    ],
    destination_bucket_url: `file://${WAREHOUSE}`,
  });
}

async function main(): Promise<void> {
  say('Floe demo: the seed\'s two example tables, from Kafka into a local Iceberg warehouse.\n');
  const startedRig = rigUp();
  const rig = loadRig();
  try {
    rmSync(WAREHOUSE, { recursive: true, force: true });
    const config = loadConfig(configYaml(rig.kafka.bootstrap));
    for (const t of [JSON_TOPIC, AVRO_TOPIC]) {
      await deleteTopic(t).catch(() => {});
    }
    await new Promise((r) => setTimeout(r, 1000));
    await createTopic(JSON_TOPIC, { partitions: 3 });
    await createTopic(AVRO_TOPIC, { partitions: 3 });

    say(`· producing ${JSON_RECORDS} JSON log records and ${AVRO_RECORDS} Avro events (plus 3 malformed records)…`);
    await produceJson(JSON_TOPIC, Array.from({ length: JSON_RECORDS }, (_, i) => jsonLog(i)), { key: (v) => v.service });
    await produceText(JSON_TOPIC, ['{"environment": "prod", "service": "checkout"', '{"environment": 42, "service": "x", "status": "ok", "message": "m"}']);
    const encode = avroEncoderFor(tableSchema(config.tables[1]));
    await produceBinary(AVRO_TOPIC, [
      ...Array.from({ length: AVRO_RECORDS }, (_, i) => ({ key: Buffer.from(`user-${i % 100}`), value: encode(avroEvent(i)) })),
      { key: null, value: Buffer.from([0x07, 1, 2, 3, 4, 5]) },
    ]);

    say(`· running the agent into file://${WAREHOUSE}\n`);
    const agent = new Agent({ config, log: createLogger({}, 'warn'), agentId: 'floe-demo' });
    const t0 = Date.now();
    await agent.start();
    const targets = new Map([
      [`tableflow_cluster_1+${JSON_TOPIC}`, await endOffsets(JSON_TOPIC)],
      [`tableflow_cluster_1+${AVRO_TOPIC}`, await endOffsets(AVRO_TOPIC)],
    ]);
    for (;;) {
      const lines: string[] = [];
      let done = true;
      for (const [name, ends] of targets) {
        const committed = agent.pipeline(name)?.main.committed ?? new Map<number, bigint>();
        const total = ends.reduce((a, b) => a + b, 0);
        const got = ends.reduce((a, _e, p) => a + Number(committed.get(p) ?? 0n), 0);
        if (got < total) done = false;
        const width = 30;
        const filled = total === 0 ? width : Math.round((got / total) * width);
        lines.push(`  ${name.padEnd(52)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${got}/${total} offsets committed`);
      }
      process.stdout.write(`${lines.join('\n')}\n`);
      if (done) break;
      if (Date.now() - t0 > 300_000) throw new Error('the agent did not catch up within 5 minutes');
      await new Promise((r) => setTimeout(r, 1000));
      process.stdout.write(`\x1b[${lines.length}A`);
    }
    await agent.stop();
    say(`\n· caught up in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);

    const store = new FileStore(WAREHOUSE);
    say('What landed:');
    for (const name of targets.keys()) {
      for (const n of [name, `${name}+dlq`]) {
        const t = await IcebergTable.load(store, `_tableflow/${n}/`).catch(() => null);
        if (!t) continue;
        const md = t.metadata;
        const snap = md.snapshots.find((s) => s['snapshot-id'] === md['current-snapshot-id']);
        const files = await t.liveFiles();
        const bytes = files.reduce((a, f) => a + Number(f.fileSizeInBytes), 0);
        say(
          `  ${n.padEnd(56)} rows ${String(snap?.summary['total-records'] ?? 0).padStart(6)}  snapshots ${String(md.snapshots.length).padStart(3)}  data files ${String(files.length).padStart(3)} (${(bytes / 1024).toFixed(0)} KiB)`,
        );
      }
    }
    const jsonRoot = path.join(WAREHOUSE, '_tableflow', `tableflow_cluster_1+${JSON_TOPIC}`);
    const avroRoot = path.join(WAREHOUSE, '_tableflow', `tableflow_cluster_1+${AVRO_TOPIC}`);
    if (existsSync(rig.python)) {
      say('\nRead back with pyiceberg (an independent reader):');
      const script = `
import glob, sys
from pyiceberg.table import StaticTable
for root in sys.argv[1:]:
    hint = open(root + "/metadata/version-hint.text").read().strip()
    t = StaticTable.from_metadata("file://" + root + f"/metadata/v{hint}.metadata.json")
    a = t.scan().to_arrow()
    print(f"  {root.split('/')[-1]}: {a.num_rows} rows; first row: {a.slice(0, 1).to_pylist()[0]}")
`;
      const { writeFileSync, mkdtempSync } = await import('node:fs');
      const { tmpdir } = await import('node:os');
      const file = path.join(mkdtempSync(path.join(tmpdir(), 'floe-demo-')), 'read.py');
      writeFileSync(file, script);
      const { stdout } = await runRigPython(file, [jsonRoot, avroRoot]);
      process.stdout.write(stdout);
    }
    say(`
Query the tables yourself with the readers' virtualenv (pyiceberg, duckdb):

  ${rig.python} -c "from pyiceberg.table import StaticTable; from pyiceberg.expressions import EqualTo; root = '${jsonRoot}'; t = StaticTable.from_metadata('file://' + root + '/metadata/v' + open(root + '/metadata/version-hint.text').read().strip() + '.metadata.json'); print(t.scan(row_filter=EqualTo('status', 'error')).to_arrow().num_rows)"
  ${rig.python} -c "import duckdb; duckdb.sql('select service, count(*) from read_parquet(' + repr('${jsonRoot}/data/*/*.parquet') + ') group by 1').show()"

Dead letters (malformed records, with the raw bytes and the reason) are in the "+dlq" tables beside each table.`);
  } finally {
    if (startedRig) {
      say('\n· stopping the Kafka the demo started');
      execFileSync('bash', [path.join(ROOT, 'test/rig/down.sh')], { stdio: 'ignore' });
    }
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`demo failed: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);
