// Loading a benchmark topic fast. JSON: Kafka's own kafka-producer-perf-test.sh with a payload file
// of seed records, one per line (it picks a line at random per record). Avro: binary values cannot
// be lines, so a Node producer (@platformatic/kafka) sends a pool of pre-encoded seed events in large
// batches, several requests in flight, spreading records evenly over the partitions.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Producer } from '@platformatic/kafka';
import { createTopic, deleteTopic, endOffsets, kafkaCli, loadRig, uniqueTopic } from '../../test/helpers/index.ts';
import type { Format } from './options.ts';

export interface LoadResult {
  records: number;
  seconds: number;
  /** The producer's own view of its rate. */
  recordsPerSecond: number;
}

/** Writes `values` (no newlines inside) one per line, for --payload-file. */
export function writePayloadFile(path: string, values: readonly Buffer[]): void {
  const parts: Buffer[] = [];
  const nl = Buffer.from('\n');
  for (const v of values) {
    if (v.includes(0x0a)) throw new Error('payload value contains a newline');
    parts.push(v, nl);
  }
  writeFileSync(path, Buffer.concat(parts));
}

/** Produces `records` records with kafka-producer-perf-test.sh, values drawn from the payload file. */
export async function loadWithPerfProducer(topic: string, records: number, payloadFile: string, timeoutMs: number): Promise<LoadResult> {
  const rig = loadRig();
  const started = performance.now();
  const res = await kafkaCli(
    'kafka-producer-perf-test.sh',
    [
      '--topic', topic,
      '--num-records', String(records),
      '--throughput', '-1',
      '--payload-file', payloadFile,
      '--producer-props',
      `bootstrap.servers=${rig.kafka.bootstrap}`,
      'acks=all', // with the Java producer's default idempotence: retries never duplicate
      'linger.ms=20',
      'batch.size=1048576',
      'buffer.memory=268435456',
      'max.request.size=16777216',
      'compression.type=none',
    ],
    { timeoutMs, env: { KAFKA_HEAP_OPTS: '-Xms512m -Xmx1g' } },
  );
  const seconds = (performance.now() - started) / 1000;
  // "N records sent, R records/sec (M MB/sec), ..." is the last summary line.
  const summary = res.stdout.split('\n').filter((l) => / records sent, /.test(l)).at(-1) ?? '';
  const m = /^(\d+) records sent, ([\d.]+) records\/sec/.exec(summary);
  if (!m || Number(m[1]) !== records) throw new Error(`kafka-producer-perf-test.sh did not report ${records} records sent:\n${res.stdout.slice(-2000)}`);
  return { records, seconds, recordsPerSecond: Number(m[2]) };
}

export interface NodeProduceOptions {
  partitions: number;
  /** Messages per send() call. */
  batchMessages?: number;
  /** send() calls in flight. */
  inFlight?: number;
}

/** Produces `records` records cycling through `pool`, round robin over partitions, as fast as it can. */
export async function loadWithNodeProducer(topic: string, records: number, pool: readonly Buffer[], o: NodeProduceOptions): Promise<LoadResult> {
  const rig = loadRig();
  // Idempotent: a send retried after a timeout on a busy machine must not write its records twice
  // (a regression: the smoke run once loaded 24,608 records for 20,000).
  const producer = new Producer({ clientId: 'floe-bench-loader', bootstrapBrokers: [rig.kafka.bootstrap], retries: 5, idempotent: true });
  const batch = o.batchMessages ?? 8192;
  const inFlight = o.inFlight ?? 4;
  const started = performance.now();
  let next = 0;
  try {
    const worker = async () => {
      while (next < records) {
        const from = next;
        const n = Math.min(batch, records - from);
        next += n;
        const messages = new Array(n);
        for (let k = 0; k < n; k++) {
          const i = from + k;
          messages[k] = { topic, value: pool[i % pool.length], partition: i % o.partitions };
        }
        await producer.send({ messages, acks: -1, compression: 'none' });
      }
    };
    await Promise.all(Array.from({ length: inFlight }, worker));
  } finally {
    await producer.close();
  }
  const seconds = (performance.now() - started) / 1000;
  return { records, seconds, recordsPerSecond: records / seconds };
}

export interface TopicLoadOptions {
  /** Topic name prefix (uniqueTopic adds the rest). */
  prefix: string;
  partitions: number;
  records: number;
  /** The seed values to send (sampleValues). */
  pool: readonly Buffer[];
  /** Said in the log line, e.g. "~2.00 GiB". */
  size: string;
  /** Folder for the JSON payload file. */
  work: string;
  timeoutMs: number;
  /** Receives a clean-up for every topic made, also for one thrown away. */
  cleanup: Array<() => Promise<unknown>>;
  log: (msg: string) => void;
}

/**
 * A fresh topic holding exactly `records` seed records of `format`. A producer that retried a
 * timed-out send on a busy machine has written batches twice despite its idempotence (the smoke
 * run saw 24,608 and 27,168 records for 20,000): such a load is thrown away and done again on a
 * fresh topic, three times at most.
 */
export async function loadTopic(format: Format, o: TopicLoadOptions): Promise<{ topic: string; load: LoadResult }> {
  for (let attempt = 1; ; attempt++) {
    const topic = uniqueTopic(o.prefix);
    await createTopic(topic, { partitions: o.partitions, config: { 'retention.ms': '-1', 'retention.bytes': '-1' } });
    o.cleanup.push(() => deleteTopic(topic), () => deleteTopic(`${topic}-control`));
    o.log(`bench ${format}: loading ${o.records.toLocaleString('en-US')} records (${o.size}) into ${topic}`);
    let load: LoadResult;
    if (format === 'json') {
      const payload = path.join(o.work, `${format}-payload.txt`);
      writePayloadFile(payload, o.pool);
      load = await loadWithPerfProducer(topic, o.records, payload, o.timeoutMs);
    } else {
      load = await loadWithNodeProducer(topic, o.records, o.pool, { partitions: o.partitions });
    }
    const written = (await endOffsets(topic)).reduce((a, b) => a + b, 0);
    if (written === o.records) return { topic, load };
    const why = `the loader wrote ${written.toLocaleString('en-US')} records into ${topic} for ${o.records.toLocaleString('en-US')}`;
    if (attempt === 3) throw new Error(`${why}, three times; the load is not exact`);
    o.log(`bench ${format}: ${why} (a retried send written twice); loading a fresh topic`);
    await deleteTopic(topic).catch(() => {});
  }
}
