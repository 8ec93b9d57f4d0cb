// The table pipeline's flush policy (ingest/pipeline.ts) with its real parts: the rig's broker, the
// ingest workers, a file:// table. The end-to-end runs of the same rules are in
// test/e2e/ingest-edges.test.ts; here the fetch loop's order of events is pinned down.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TablePipeline } from '../../src/ingest/pipeline.ts';
import { KafkaSource } from '../../src/source/kafka.ts';
import type { RawFetcher } from '../../src/source/fetch.ts';
import { tablePrefix, tableSchema } from '../../src/ingest/tables.ts';
import { FileStore } from '../../src/store/index.ts';
import { AgentMetrics } from '../../src/metrics/metrics.ts';
import { createLogger } from '../../src/log.ts';
import type { Schema } from '../../src/schema/types.ts';
import type { Logger } from '../../src/log.ts';
import { createTopic, produceJson, uniqueTopic, loadRig, waitFor } from '../../../test/helpers/index.ts';

before(() => {
  loadRig();
});

const declared: Schema = { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'message', required: true, type: 'string' }] };

/**
 * The real source and fetch loop, with faults a test switches on: `skipGate()` skips the pipeline's
 * gate (where the fetch loop sees a full batch and flushes it for size; on a busy machine the
 * workers' acknowledgements reach it only after the timers have looked), and `corruptNext` breaks
 * the next chunk's first record batch (its magic byte) and reports that round as settled, so that
 * the pipeline seals the broken batch at once.
 */
class FaultySource extends KafkaSource {
  skipGate: () => boolean = () => false;
  corruptNext = false;

  override get fetcher(): RawFetcher {
    const real = super.fetcher;
    const run: RawFetcher['run'] = (positions, deliver, gate, onRound) => {
      let corrupted = false;
      return real.run(
        positions,
        (chunk) => {
          if (this.corruptNext) {
            this.corruptNext = false;
            corrupted = true;
            chunk.bytes[16] = 99;
          }
          deliver(chunk);
        },
        () => (this.skipGate() ? Promise.resolve() : gate()),
        (delivered, caughtUp, settled) => {
          onRound?.(delivered, caughtUp, settled || corrupted);
          corrupted = false;
        },
      );
    };
    return new Proxy(real, { get: (target, key) => (key === 'run' ? run : Reflect.get(target, key, target)) });
  }
}

/** A file:// store whose data-file writes wait while `hold` is set. */
class HeldStore extends FileStore {
  hold: Promise<void> | null = null;
  held = 0;

  override async put(key: string, body: Uint8Array): Promise<void> {
    if (this.hold && key.includes('/data/')) {
      this.held++;
      await this.hold;
    }
    return super.put(key, body);
  }
}

function pipelineFor(topic: string, source: KafkaSource, store: FileStore, log: Logger, intervalMs = 300_000): TablePipeline {
  const name = `rig+${topic}`;
  return new TablePipeline({
    tableName: name,
    topic,
    schema: tableSchema(declared),
    declared,
    format: 'json',
    partitioning: 'unpartitioned',
    store,
    tablePrefix: tablePrefix(name),
    dlqPrefix: null,
    delta: false,
    source,
    // Batches are full at 1,000 records; the default interval (5 minutes) is longer than a test may wait.
    flush: { maxBytes: 16 * 1024 * 1024, maxRecords: 1_000, intervalMs },
    metrics: new AgentMetrics({}),
    log,
    workers: 1,
  });
}

function logged() {
  const lines: string[] = [];
  const log = createLogger({}, 'info', (line) => lines.push(line));
  const commits = () => lines.filter((l) => l.includes('committed batch')).map((l) => JSON.parse(l) as { why: string; records: number });
  return { lines, log, commits };
}

test('a full batch that the idle timer flushed before the fetch loop saw it full is a flush for size: the tail after it commits on idle (regression)', { timeout: 120_000 }, async () => {
  const topic = uniqueTopic('pipeline-late-gate');
  await createTopic(topic, { partitions: 1 });
  await produceJson(topic, Array.from({ length: 1_000 }, (_, i) => ({ message: `full ${i}` })));
  const dir = mkdtempSync(path.join(tmpdir(), 'floe-pipeline-'));
  const { log, commits } = logged();
  const source = new FaultySource({ connection: { brokers: [loadRig().kafka.bootstrap] }, topic, groupId: `floe.${topic}`, clientId: 'floe-test-pipeline' });
  // Until the first commit, only the timers can flush.
  source.skipGate = () => commits().length === 0;
  const pipeline = pipelineFor(topic, source, new FileStore(dir), log);
  try {
    await pipeline.start();
    await waitFor(async () => commits().length, { timeoutMs: 30_000, intervalMs: 100, until: (n) => n === 1, what: 'the first commit' });
    // The idle timer sealed it, but it holds a full batch: the log calls it a flush for size.
    assert.deepEqual(commits().map((c) => [c.why, c.records]), [['records', 1_000]]);
    await produceJson(topic, Array.from({ length: 20 }, (_, i) => ({ message: `rest ${i}` })));
    // The 20 records are the tail of the burst: they commit once the topic is quiet, not after 5 minutes.
    await waitFor(async () => commits().length, { timeoutMs: 20_000, intervalMs: 100, until: (n) => n === 2, what: "the tail's commit" });
    assert.deepEqual(commits().map((c) => [c.why, c.records]), [['records', 1_000], ['idle', 20]]);
    assert.deepEqual([...pipeline.main.committed], [[0, 1_020n]]);
  } finally {
    await pipeline.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a batch whose seal fails while the batch before it still commits is read again; the agent does not crash (regression)', { timeout: 120_000 }, async () => {
  const topic = uniqueTopic('pipeline-seal-fails');
  await createTopic(topic, { partitions: 1 });
  await produceJson(topic, Array.from({ length: 1_000 }, (_, i) => ({ message: `full ${i}` })));
  const dir = mkdtempSync(path.join(tmpdir(), 'floe-pipeline-'));
  const { lines, log, commits } = logged();
  const source = new FaultySource({ connection: { brokers: [loadRig().kafka.bootstrap] }, topic, groupId: `floe.${topic}`, clientId: 'floe-test-pipeline' });
  const store = new HeldStore(dir);
  let release = () => {};
  store.hold = new Promise<void>((r) => (release = r));
  // Read again after a failure, the 20 records are a trickle (the failed batch's flush was not for
  // size): they commit on the interval.
  const pipeline = pipelineFor(topic, source, store, log, 5_000);
  try {
    await pipeline.start();
    // The full batch is sealed for size; its upload waits.
    await waitFor(() => store.held, { timeoutMs: 30_000, intervalMs: 50, what: 'the first batch held in its upload' });
    // The next records arrive broken, and the batch holding them is sealed at once ('caught up'):
    // the worker cannot parse the chunk, so the seal fails while the first batch still holds the lock.
    source.corruptNext = true;
    await produceJson(topic, Array.from({ length: 20 }, (_, i) => ({ message: `rest ${i}` })));
    await waitFor(() => lines.some((l) => l.includes('flush failed')), { timeoutMs: 30_000, intervalMs: 50, what: 'the broken chunk reported' });
    // The seal's failure comes right after the chunk's; it is heard once the lock is free.
    await new Promise((r) => setTimeout(r, 500));
    store.hold = null;
    release();
    // Nothing lost, nothing doubled: every offset is committed once, in batches that add up.
    await waitFor(() => pipeline.main.committed.get(0), { timeoutMs: 60_000, intervalMs: 100, until: (n) => n === 1_020n, what: 'offsets 0..1020 committed' });
    assert.equal(commits().reduce((n, c) => n + c.records, 0), 1_020);
    assert.match(lines.join(''), /corrupt Kafka record batch .*message format v99 at offset 1000/);
    assert.ok(lines.some((l) => l.includes('flush failed') && l.includes('writing Parquet files failed')), 'the failed seal was not reported');
  } finally {
    release();
    await pipeline.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
