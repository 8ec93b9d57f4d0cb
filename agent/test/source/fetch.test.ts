// The fetch loop (source/fetch.ts) against the rig's real broker: every record of every partition
// exactly once from any start offset (including the middle of a batch, and compressed batches), and
// a position below the log start (records deleted by retention) resuming at the log start with a
// warning. Records are read back with source/records.ts, as the ingest workers do.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { Admin, Consumer } from '@platformatic/kafka';
import { RawFetcher, type FetchChunk } from '../../src/source/fetch.ts';
import { forEachRecord } from '../../src/source/records.ts';
import { createLogger } from '../../src/log.ts';
import { createTopic, produceBinary, uniqueTopic, loadRig } from '../../../test/helpers/index.ts';

before(() => {
  loadRig();
});

const PER_PARTITION = 60;

async function topicWithRecords(partitions: number, compression: 'none' | 'gzip' | 'zstd'): Promise<string> {
  const topic = uniqueTopic('fetch');
  await createTopic(topic, { partitions });
  for (let p = 0; p < partitions; p++) {
    const records = Array.from({ length: PER_PARTITION }, (_, i) => ({ value: Buffer.from(`p${p}-${i}`), partition: p, key: Buffer.from(`k${i}`) }));
    await produceBinary(topic, records, { batchSize: 10, compression });
  }
  return topic;
}

/** Fetches from `start` until every partition reached `end`; returns the records read per partition. */
async function fetchAll(topic: string, start: Map<number, number>, end: number, warnings: string[] = []) {
  const rig = loadRig();
  const connection = { brokers: [rig.kafka.bootstrap] };
  const consumer = new Consumer({ clientId: 'floe-test-fetch', bootstrapBrokers: [rig.kafka.bootstrap], groupId: `g-${topic}` });
  const log = createLogger({}, 'warn', (line) => warnings.push(line));
  const fetcher = new RawFetcher(consumer, { connection, clientId: 'floe-test-fetch', topic, maxWaitMs: 100, partitionMaxBytes: 300, log });
  const seen = new Map<number, { offset: number; value: string }[]>();
  const chunks: FetchChunk[] = [];
  const positions = new Map(start);
  const timer = setTimeout(() => fetcher.stop(), 30_000);
  try {
    await fetcher.run(
      positions,
      (chunk) => {
        chunks.push(chunk);
        const list = seen.get(chunk.partition) ?? [];
        seen.set(chunk.partition, list);
        forEachRecord(chunk.bytes, chunk.from, chunk.aborted, (offset, _ts, _key, value) => list.push({ offset, value: Buffer.from(value!).toString() }));
        if ([...positions.values()].every((p) => p >= end)) fetcher.stop();
      },
      async () => {},
    );
  } finally {
    clearTimeout(timer);
    await fetcher.close();
    await consumer.close();
  }
  return { seen, chunks, positions };
}

test('every record exactly once from any start, across small responses and compressed batches', { timeout: 120_000 }, async () => {
  for (const compression of ['none', 'zstd'] as const) {
    const topic = await topicWithRecords(3, compression);
    // 0: from the start; 1: from the middle of a batch of 10; 2: from the last record.
    const start = new Map([
      [0, 0],
      [1, 15],
      [2, PER_PARTITION - 1],
    ]);
    const { seen, chunks } = await fetchAll(topic, start, PER_PARTITION);
    for (const [p, from] of start) {
      const want = Array.from({ length: PER_PARTITION - from }, (_, k) => ({ offset: from + k, value: `p${p}-${from + k}` }));
      assert.deepEqual(seen.get(p), want, `${compression}: partition ${p}`);
    }
    // partitionMaxBytes of 300 keeps responses to about one batch: many chunks, each of whole batches.
    assert.ok(chunks.length >= 10, `${compression}: only ${chunks.length} chunks`);
    for (const c of chunks) assert.ok(c.scan.batches >= 1 && c.scan.bytes === c.bytes.byteLength);
  }
});

test('a position below the log start resumes at the log start, with a warning', { timeout: 120_000 }, async () => {
  const topic = await topicWithRecords(1, 'none');
  const admin = new Admin({ clientId: 'floe-test-admin', bootstrapBrokers: [loadRig().kafka.bootstrap] });
  try {
    await admin.deleteRecords({ topics: [{ name: topic, partitions: [{ partition: 0, offset: 25n }] }] } as never);
  } finally {
    await admin.close();
  }
  const warnings: string[] = [];
  const { seen } = await fetchAll(topic, new Map([[0, 3]]), PER_PARTITION, warnings);
  assert.deepEqual(
    seen.get(0)!.map((r) => r.offset),
    Array.from({ length: PER_PARTITION - 25 }, (_, k) => 25 + k),
  );
  assert.ok(
    warnings.some((w) => w.includes('outside the retained log') && w.includes('"logStartOffset":25')),
    warnings.join('\n'),
  );
});

test('each round says whether it caught up, and whether the log ends stood still since the round before', { timeout: 120_000 }, async () => {
  const topic = await topicWithRecords(1, 'none');
  const rig = loadRig();
  const consumer = new Consumer({ clientId: 'floe-test-fetch', bootstrapBrokers: [rig.kafka.bootstrap], groupId: `g-${topic}` });
  const fetcher = new RawFetcher(consumer, { connection: { brokers: [rig.kafka.bootstrap] }, clientId: 'floe-test-fetch', topic, maxWaitMs: 100, partitionMaxBytes: 300 });
  const positions = new Map([[0, 0]]);
  const rounds: { delivered: number; caughtUp: boolean; settled: boolean; position: number }[] = [];
  let writing: Promise<void> | null = null;
  const timer = setTimeout(() => fetcher.stop(), 60_000);
  try {
    await fetcher.run(
      positions,
      () => {},
      // Once the 60 records are read, 5 more are written before the next request.
      async () => {
        if (writing) await writing;
      },
      (delivered, caughtUp, settled) => {
        rounds.push({ delivered, caughtUp, settled, position: positions.get(0)! });
        if (writing === null && positions.get(0) === PER_PARTITION) {
          writing = produceBinary(topic, Array.from({ length: 5 }, (_, i) => ({ value: Buffer.from(`more-${i}`), partition: 0 })), { batchSize: 5, compression: 'none' });
        }
        if (positions.get(0) === PER_PARTITION + 5 && delivered === 0) fetcher.stop();
      },
    );
  } finally {
    clearTimeout(timer);
    await fetcher.close();
    await consumer.close();
  }
  const reading = rounds.filter((r) => r.position < PER_PARTITION);
  assert.ok(reading.length >= 3, `${rounds.length} rounds: ${JSON.stringify(rounds)}`);
  assert.deepEqual(rounds[0], { ...rounds[0], caughtUp: false, settled: false }); // no round before it
  for (const r of reading) assert.deepEqual([r.caughtUp, r.settled], [false, false], JSON.stringify(rounds));
  // The round that read the 60th record: at the end, which stood still since the round before.
  const last = rounds.findIndex((r) => r.position === PER_PARTITION);
  assert.deepEqual(rounds[last], { delivered: rounds[last].delivered, caughtUp: true, settled: true, position: PER_PARTITION });
  assert.ok(rounds[last].delivered > 0);
  // The first round that read any of the 5 written since: the end had moved.
  const more = rounds.findIndex((r, i) => i > last && r.delivered > 0);
  assert.equal(rounds[more].settled, false, JSON.stringify(rounds));
  // Then an empty round: the end stood still.
  assert.deepEqual(rounds.at(-1), { delivered: 0, caughtUp: true, settled: true, position: PER_PARTITION + 5 });
});
