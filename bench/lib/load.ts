// Loading a benchmark topic fast, both formats alike: a Node producer (@platformatic/kafka) sends
// a pool of seed values (JSON text, Avro binary) in large requests, several in flight, spreading
// records evenly over the partitions in record batches of 512, each partition holding the whole pool.
//
// JSON was once loaded by Kafka's kafka-producer-perf-test.sh (1 MiB batch.size, 20 ms linger, the
// sticky partitioner): that topic held batches of 0.5-0.7 MiB, unevenly spread, and Kafka's own
// consumer perf tool read it at 44-84 MiB/s with the machine a quarter to half busy, where it read
// the same records loaded this way at 145-235 MiB/s (BENCHMARKS.md, fifteenth session). The
// ceiling must be the rate Kafka's consumer can read, so both formats' topics take this shape.
import { Producer } from '@platformatic/kafka';
import { createTopic, deleteTopic, endOffsets, loadRig, uniqueTopic } from '../../test/helpers/index.ts';
import type { Format } from './options.ts';

export interface LoadResult {
  records: number;
  seconds: number;
  /** The producer's own view of its rate. */
  recordsPerSecond: number;
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
          // Every partition cycles through the whole pool: with i % pool.length, a pool size that is
          // a multiple of the partition count would give each partition 1/16 of it.
          messages[k] = { topic, value: pool[Math.floor(i / o.partitions) % pool.length], partition: i % o.partitions };
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
    const load = await loadWithNodeProducer(topic, o.records, o.pool, { partitions: o.partitions });
    const written = (await endOffsets(topic)).reduce((a, b) => a + b, 0);
    if (written === o.records) return { topic, load };
    const why = `the loader wrote ${written.toLocaleString('en-US')} records into ${topic} for ${o.records.toLocaleString('en-US')}`;
    if (attempt === 3) throw new Error(`${why}, three times; the load is not exact`);
    o.log(`bench ${format}: ${why} (a retried send written twice); loading a fresh topic`);
    await deleteTopic(topic).catch(() => {});
  }
}
