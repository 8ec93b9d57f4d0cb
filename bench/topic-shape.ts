// How fast Kafka's consumer perf tool (the harness's ceiling, lib/ceiling.ts) reads the same seed
// JSON records in two topic shapes:
//   perf-producer  kafka-producer-perf-test.sh --payload-file, 1 MiB batch.size, 20 ms linger, the
//                  sticky partitioner (how `npm run bench` loaded JSON until the fifteenth session:
//                  record batches of 0.5-0.7 MiB, partitions uneven)
//   bench-loader   the harness's loader (lib/load.ts: record batches of 512, partitions even)
//   node bench/topic-shape.ts [--gib 0.5] [--rounds 2] [--floe]      (the rig up: npm run rig:up)
// Each round reads both topics, one after the other; with --floe, the agent (this checkout, the
// bench's settings) then ingests each of them too. Topics and tables are deleted at the end.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createTopic, deleteTopic, endOffsets, kafkaCli, loadRig, uniqueTopic } from '../test/helpers/index.ts';
import { averageSize, sampleValues, SEED_POOL } from './lib/seed.ts';
import { loadTopic } from './lib/load.ts';
import { runCeiling } from './lib/ceiling.ts';
import { runFloe, threadSummary } from './lib/floe.ts';
import { BenchBucket } from './lib/tables.ts';
import { agentSettings, parseOptions } from './lib/options.ts';

const { values } = parseArgs({ options: { gib: { type: 'string', default: '0.5' }, rounds: { type: 'string', default: '2' }, floe: { type: 'boolean', default: false } } });
const gib = Number(values.gib);
const rounds = Number(values.rounds);
if (!(gib > 0) || !Number.isSafeInteger(rounds) || rounds < 1) throw new Error(`--gib must be a positive number and --rounds a positive integer, got ${values.gib} and ${values.rounds}`);

const pool = sampleValues('json', SEED_POOL);
const records = Math.round((gib * 2 ** 30) / averageSize(pool));
const work = mkdtempSync(path.join(tmpdir(), 'floe-topic-shape-'));
const cleanup: Array<() => Promise<unknown>> = [];
const rig = loadRig();
const bucket = new BenchBucket(rig);
const runId = `topic-shape-${Date.now()}-${process.pid}`;
const defaults = parseOptions([], {}); // the agent settings of `npm run bench`

/** The agent over the whole topic into a fresh table, as `npm run bench` runs it. */
async function floe(topic: string, bytes: number, tag: string): Promise<string> {
  const prefix = `bench/${runId}/${tag}`;
  const r = await runFloe({
    ...agentSettings(defaults),
    format: 'json',
    topic,
    ...bucket.floeTableAt(prefix, topic),
    bucket,
    timeoutMs: 1_800_000,
    cpuProfDir: null,
    mallocTuning: defaults.mallocTuning,
    log: () => {},
  });
  const gibs = bytes / 2 ** 30;
  const cpu = r.cpuSeconds === null ? '?' : (r.cpuSeconds / gibs).toFixed(1);
  return `Floe ${((gibs * 1024) / r.seconds).toFixed(1)} MiB/s, ${cpu} CPU-s/GiB; CPU-s by thread: ${threadSummary(r.threadCpuSeconds)}`;
}

/** The JSON load of the harness before the fifteenth session, kept here to measure its shape. */
async function loadWithPerfProducer(): Promise<string> {
  const topic = uniqueTopic('shape-perf-producer');
  await createTopic(topic, { partitions: 16, config: { 'retention.ms': '-1', 'retention.bytes': '-1' } });
  cleanup.push(() => deleteTopic(topic));
  const payload = path.join(work, 'payload.txt');
  if (pool.some((v) => v.includes(0x0a))) throw new Error('a seed JSON value holds a newline: it cannot be a line of the payload file');
  writeFileSync(payload, pool.map((v) => `${v.toString()}\n`).join(''));
  const props = ['acks=all', 'linger.ms=20', 'batch.size=1048576', 'buffer.memory=268435456', 'max.request.size=16777216', 'compression.type=none'];
  const args = ['--topic', topic, '--num-records', String(records), '--throughput', '-1', '--payload-file', payload, '--producer-props', `bootstrap.servers=${rig.kafka.bootstrap}`, ...props];
  await kafkaCli('kafka-producer-perf-test.sh', args, { timeoutMs: 1_800_000, env: { KAFKA_HEAP_OPTS: '-Xms512m -Xmx1g' } });
  const written = (await endOffsets(topic)).reduce((a, b) => a + b, 0);
  if (written !== records) throw new Error(`kafka-producer-perf-test.sh wrote ${written} records into ${topic}, expected ${records}`);
  return topic;
}

try {
  const shapes: Array<[string, string]> = [['perf-producer', await loadWithPerfProducer()]];
  const { topic } = await loadTopic('json', { prefix: 'shape-bench-loader', partitions: 16, records, pool, size: `${gib} GiB`, cleanup, log: console.log });
  shapes.push(['bench-loader', topic]);
  console.log(`${records.toLocaleString('en-US')} JSON records (${gib} GiB) in each topic`);
  /** Each topic's key+value bytes, as the ceiling tool counted them. */
  const bytes = new Map<string, number>();
  for (let round = 1; round <= rounds; round++) {
    for (const [shape, t] of shapes) {
      const c = await runCeiling(t, records, 1_800_000);
      bytes.set(t, c.bytes);
      console.log(`round ${round} ${shape.padEnd(13)} ${c.mibPerSecond.toFixed(1)} MiB/s (fetch ${c.fetchMiBPerSecond.toFixed(1)}), ${Math.round(c.recordsPerSecond).toLocaleString('en-US')} records/s, machine ${Math.round(c.load.cpuBusyShare * 100)} % busy`);
    }
    if (values.floe) for (const [shape, t] of shapes) console.log(`round ${round} ${shape.padEnd(13)} ${await floe(t, bytes.get(t)!, `${shape}-${round}`)}`);
  }
} finally {
  for (const c of cleanup) await c().catch(() => {});
  await bucket.deletePrefix(`bench/${runId}/`).catch(() => 0);
  rmSync(work, { recursive: true, force: true });
}
