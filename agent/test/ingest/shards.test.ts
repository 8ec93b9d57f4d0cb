// The pipeline's worker pool (ingest/shards.ts) with real worker threads: partitions map to fixed
// workers, a seal collects every worker's files, and a worker that dies is replaced, its pending
// seal rejected and the owner told, so that no batch with a hole is ever committed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRecordsBatch } from '@platformatic/kafka';
import { IngestShards } from '../../src/ingest/shards.ts';
import { DLQ_SCHEMA, tableSchema } from '../../src/ingest/tables.ts';
import type { Schema } from '../../src/schema/types.ts';

const declared: Schema = { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'id', required: true, type: 'long' }] };
const spec = { topic: 't', format: 'json' as const, declared, schema: tableSchema(declared), dlqSchema: DLQ_SCHEMA, partitioning: 'unpartitioned' as const };

function chunk(n: number): Uint8Array {
  const messages = Array.from({ length: n }, (_, i) => ({ topic: 't', value: Buffer.from(JSON.stringify({ id: i })), timestamp: 1_764_000_000_000n }));
  const b = (createRecordsBatch(messages as never) as unknown as { buffer: Buffer }).buffer;
  const shared = new Uint8Array(new SharedArrayBuffer(b.length));
  shared.set(b);
  return shared;
}

async function acked(shards: IngestShards): Promise<void> {
  while (shards.pendingBytes > 0) await shards.progress();
}

test('each partition goes to its worker; a seal gathers the files of all of them', async () => {
  const failures: string[] = [];
  const shards = new IngestShards(spec, 2, (m) => failures.push(m));
  try {
    for (const p of [0, 1, 2, 3]) shards.send(p, chunk(10 + p), 0, 0, null);
    await acked(shards);
    assert.equal(shards.openRecords, 10 + 11 + 12 + 13);
    const sealed = await shards.seal();
    assert.equal(sealed.records, 46);
    assert.equal(sealed.main.length, 2); // one file per worker
    assert.deepEqual(sealed.main.map((f) => f.result.recordCount).sort(), [22, 24]);
    assert.equal(shards.openRecords, 0);
    assert.deepEqual(failures, []);
  } finally {
    await shards.close();
  }
});

test('a worker that dies is replaced; its pending seal rejects and the owner hears of it', async () => {
  const failures: string[] = [];
  const shards = new IngestShards(spec, 2, (m) => failures.push(m));
  try {
    shards.send(0, chunk(5), 0, 0, null);
    shards.send(1, chunk(7), 0, 0, null);
    await acked(shards);
    const dead = shards.workers[1];
    // Stopping first, then sealing: the seal reaches a worker that will never answer it.
    const stopped = dead.terminate();
    const sealing = shards.seal();
    await stopped;
    await assert.rejects(sealing, /exited with code/);
    while (failures.length === 0) await shards.progress();
    assert.match(failures[0], /ingest worker 1 stopped .*a new one took its place/);
    assert.notEqual(shards.workers[1], dead);
    // The owner drops the open batch and reads again: the new worker serves its partitions.
    shards.reset();
    shards.send(1, chunk(3), 0, 0, null);
    shards.send(2, chunk(4), 0, 0, null);
    await acked(shards);
    const sealed = await shards.seal();
    assert.equal(sealed.records, 7);
  } finally {
    await shards.close();
  }
});
