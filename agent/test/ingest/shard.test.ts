// The ingest worker's record routing (ingest/worker.ts IngestShard), in-process: which records
// become table rows and which become dead letters, given the table's and the DLQ table's next
// offsets, including after a crash between the DLQ commit and the table commit. Record batches are
// made by @platformatic/kafka's producer-side encoder. Real-broker runs are in test/e2e.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRecordsBatch } from '@platformatic/kafka';
import { IngestShard, type WorkerSpec } from '../../src/ingest/worker.ts';
import { DLQ_SCHEMA, tableSchema } from '../../src/ingest/tables.ts';
import { avroEncoderFor } from '../../src/decode/index.ts';
import { AvroStage, assembleAvroStage } from '../../src/decode/avro-wasm.ts';
import { assembleJsonStage } from '../../src/decode/json-wasm.ts';
import type { Schema } from '../../src/schema/types.ts';
import { readBack } from '../parquet/helpers.ts';

const declared: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'name', required: false, type: 'string' },
  ],
};
const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 25, 7, 59, 58);

// Offsets 0..9; 3 and 7 are not valid JSON; timestamps one second apart across an hour boundary.
function chunk(): Buffer {
  const messages = Array.from({ length: 10 }, (_, i) => ({
    topic: 't',
    key: Buffer.from(`k${i}`),
    value: Buffer.from(i === 3 || i === 7 ? `{"id": ${i},` : JSON.stringify({ id: i, name: `n${i}` })),
    timestamp: BigInt(T0 + i * 1000),
  }));
  return Buffer.from((createRecordsBatch(messages as never) as unknown as { buffer: Buffer }).buffer);
}

function shard(partitioning: 'unpartitioned' | 'hour' = 'unpartitioned', parquet?: WorkerSpec['parquet']): IngestShard {
  const spec: WorkerSpec = { topic: 't', format: 'json', declared, schema: tableSchema(declared), dlqSchema: DLQ_SCHEMA, partitioning, parquet };
  return new IngestShard(spec);
}

function route(mainFrom: number, dlqFrom: number) {
  const s = shard();
  const ack = s.chunk({ type: 'chunk', seq: 1, partition: 4, bytes: chunk(), mainFrom, dlqFrom, aborted: null });
  const sealed = s.seal(1);
  const dlqRows = sealed.dlq.reduce((n, f) => n + f.result.recordCount, 0);
  const mainRows = sealed.main.reduce((n, f) => n + f.result.recordCount, 0);
  // Offsets of the rows, from the _kafka_offset column's bounds and count.
  const offsets = sealed.main.flatMap((f) => [f.result.stats.minValues.get(2_000_000_002), f.result.stats.maxValues.get(2_000_000_002)]);
  const dlqOffsets = sealed.dlq.flatMap((f) => [f.result.stats.minValues.get(3), f.result.stats.maxValues.get(3)]);
  return { ack, sealed, mainRows, dlqRows, offsets, dlqOffsets };
}

test('good records become rows, bad ones dead letters, each once', () => {
  const r = route(0, 0);
  assert.equal(r.mainRows, 8);
  assert.equal(r.dlqRows, 2);
  assert.deepEqual(r.dlqOffsets, [3n, 7n]);
  assert.deepEqual(r.offsets, [0n, 9n]);
  assert.equal(r.ack.records, 8);
  assert.equal(r.ack.dlqRecords, 2);
  assert.equal(r.sealed.records, 8);
  // Raw bytes count the records that became rows only.
  assert.equal(r.sealed.rawBytes, r.ack.rawBytes);
  assert.ok(r.sealed.rawBytes > 0);
});

test('records below the table offset are not rows again; the DLQ keeps its own offset', () => {
  // The table holds 0..4; the DLQ table holds up to 7 (crash after the DLQ commit of a later batch).
  const ahead = route(5, 8);
  assert.equal(ahead.mainRows, 4); // 5, 6, 8, 9
  assert.deepEqual(ahead.offsets, [5n, 9n]);
  assert.equal(ahead.dlqRows, 0); // 7 is already a dead letter
  // The DLQ table behind the table (it commits only batches with dead letters): 3 is a dead letter
  // not yet recorded, though its offset is below the table's.
  const behind = route(5, 2);
  assert.equal(behind.mainRows, 4);
  assert.equal(behind.dlqRows, 2);
  assert.deepEqual(behind.dlqOffsets, [3n, 7n]);
});

test('hour partitioning splits rows by their record timestamp; reset drops the open batch', () => {
  const s = shard('hour');
  s.chunk({ type: 'chunk', seq: 1, partition: 0, bytes: chunk(), mainFrom: 0, dlqFrom: 0, aborted: null });
  const sealed = s.seal(1);
  const byHour = new Map(sealed.main.map((f) => [f.partitionValue, f.result.recordCount]));
  // T0 is 07:59:58: offsets 0 and 1 fall in hour 7, the six good ones from 2 on in hour 8.
  assert.deepEqual(byHour, new Map([[Math.floor(T0 / HOUR), 2], [Math.floor(T0 / HOUR) + 1, 6]]));
  s.chunk({ type: 'chunk', seq: 2, partition: 0, bytes: chunk(), mainFrom: 10, dlqFrom: 10, aborted: null });
  s.chunk({ type: 'chunk', seq: 3, partition: 0, bytes: chunk(), mainFrom: 0, dlqFrom: 0, aborted: null });
  s.reset();
  const empty = s.seal(2);
  assert.equal(empty.main.length + empty.dlq.length, 0);
  assert.equal(empty.records, 0);
});

test('a batch after a seal reuses the file builders and holds only its own rows', () => {
  for (const partitioning of ['unpartitioned', 'hour'] as const) {
    const s = shard(partitioning);
    s.chunk({ type: 'chunk', seq: 1, partition: 0, bytes: chunk(), mainFrom: 0, dlqFrom: 0, aborted: null });
    assert.equal(s.seal(1).records, 8);
    // The second batch holds offsets 8 and 9 only (one hour), the first one 8 rows over two hours.
    s.chunk({ type: 'chunk', seq: 2, partition: 0, bytes: chunk(), mainFrom: 8, dlqFrom: 8, aborted: null });
    const second = s.seal(2);
    const fresh = shard(partitioning);
    fresh.chunk({ type: 'chunk', seq: 1, partition: 0, bytes: chunk(), mainFrom: 8, dlqFrom: 8, aborted: null });
    const expected = fresh.seal(1);
    assert.equal(second.records, 2);
    assert.equal(second.main.length, 1);
    assert.deepEqual(second.main[0].result.stats.minValues.get(2_000_000_002), 8n);
    assert.deepEqual(
      second.main.map((f) => [f.partitionValue, Buffer.from(f.result.bytes).toString('base64'), f.result.stats]),
      expected.main.map((f) => [f.partitionValue, Buffer.from(f.result.bytes).toString('base64'), f.result.stats]),
    );
  }
});

const avroStageBinary = (await assembleAvroStage(declared, true))!;
const withMap: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'attrs', required: true, type: { type: 'map', 'key-id': 3, key: 'string', 'value-id': 4, value: 'string', 'value-required': true } },
  ],
};
const withMapStage = (await assembleAvroStage(withMap, true))!;

test('Avro through the stage and through the fast path: the same files as the general path, Kafka columns included', () => {
  const encode = avroEncoderFor(declared);
  const messages = Array.from({ length: 10 }, (_, i) => {
    const good = encode({ id: BigInt(i), name: i % 4 === 0 ? null : `n${i}` });
    return { topic: 't', key: null, value: i === 3 || i === 7 ? good.subarray(0, 1) : good, timestamp: BigInt(T0 + i * 1000) };
  });
  const bytes = Buffer.from((createRecordsBatch(messages as never) as unknown as { buffer: Buffer }).buffer);
  const run = (path: 'stage' | 'direct' | 'general', partitioning: 'unpartitioned' | 'hour') => {
    const stage = path === 'stage' ? avroStageBinary : null;
    const s = new IngestShard({ topic: 't', format: 'avro', declared, schema: tableSchema(declared), dlqSchema: DLQ_SCHEMA, partitioning, directDecode: path !== 'general', stage });
    s.chunk({ type: 'chunk', seq: 1, partition: 4, bytes, mainFrom: 0, dlqFrom: 0, aborted: null });
    return s.seal(1);
  };
  for (const partitioning of ['unpartitioned', 'hour'] as const) {
    const slow = run('general', partitioning);
    for (const path of ['stage', 'direct'] as const) {
      const fast = run(path, partitioning);
      assert.equal(fast.records, 8);
      assert.equal(fast.dlqRecords, 2); // 3 and 7
      assert.equal(fast.rawBytes, slow.rawBytes);
      assert.equal(fast.main.length, partitioning === 'hour' ? 2 : 1);
      assert.deepEqual(
        fast.main.map((f) => [f.partitionValue, Buffer.from(f.result.bytes).toString('base64'), f.result.stats]),
        slow.main.map((f) => [f.partitionValue, Buffer.from(f.result.bytes).toString('base64'), f.result.stats]),
      );
      const all = fast.main.flatMap((f) => [f.result.stats.minValues.get(2_000_000_003), f.result.stats.maxValues.get(2_000_000_003)]);
      assert.ok(all.includes(BigInt(T0) * 1000n) && all.includes(BigInt(T0 + 9000) * 1000n));
    }
  }
});

test('Avro through the stage, many records a chunk: bad ones between good ones, hours, several chunks; a failed chunk leaves nothing staged', () => {
  const encode = avroEncoderFor(declared);
  // 3 chunks of 9,000 records (more than a stage holds), every 97th bad, an hour boundary in each;
  // every 2,000th too large for the stage (the JavaScript fast path takes it, in its place).
  const chunks = [0, 1, 2].map((c) => {
    const messages = Array.from({ length: 9000 }, (_, k) => {
      const i = c * 9000 + k;
      const good = encode({ id: BigInt(i), name: i % 5 === 0 ? null : i % 2000 === 3 ? 'z'.repeat(300_000) : `name-${i % 300}` });
      return { topic: 't', key: null, value: i % 97 === 5 ? good.subarray(0, good.length - 1) : good, timestamp: BigInt(T0 - 4500 + c * 3_600_000 + k) };
    });
    return Buffer.from((createRecordsBatch(messages as never) as unknown as { buffer: Buffer }).buffer);
  });
  const run = (path: 'stage' | 'general') => {
    const s = new IngestShard({ topic: 't', format: 'avro', declared, schema: tableSchema(declared), dlqSchema: DLQ_SCHEMA, partitioning: 'hour', directDecode: path !== 'general', stage: path === 'stage' ? avroStageBinary : null });
    let seq = 0;
    for (const bytes of chunks) s.chunk({ type: 'chunk', seq: ++seq, partition: 1, bytes, mainFrom: 0, dlqFrom: 0, aborted: null });
    return s.seal(1);
  };
  const fast = run('stage');
  const slow = run('general');
  const bad = Array.from({ length: 27_000 }, (_, i) => i).filter((i) => i % 97 === 5).length;
  assert.equal(fast.records, 27_000 - bad);
  assert.equal(fast.dlqRecords, bad);
  assert.equal(fast.main.length, 4);
  assert.deepEqual(
    fast.main.map((f) => [f.partitionValue, Buffer.from(f.result.bytes).toString('base64')]),
    slow.main.map((f) => [f.partitionValue, Buffer.from(f.result.bytes).toString('base64')]),
  );
  // A chunk whose batch is corrupt after records were staged: the chunk fails, the worker resets,
  // and the next batch holds only what comes after.
  const s = new IngestShard({ topic: 't', format: 'avro', declared, schema: tableSchema(declared), dlqSchema: DLQ_SCHEMA, partitioning: 'unpartitioned', directDecode: true, stage: avroStageBinary });
  const second = Buffer.from(chunks[1]);
  second[16] = 0xff; // the batch's magic byte
  const corrupt = Buffer.concat([chunks[0], second]);
  assert.throws(() => s.chunk({ type: 'chunk', seq: 1, partition: 1, bytes: corrupt, mainFrom: 0, dlqFrom: 0, aborted: null }), /message format/);
  s.reset();
  const ack = s.chunk({ type: 'chunk', seq: 2, partition: 1, bytes: chunks[2], mainFrom: 0, dlqFrom: 0, aborted: null });
  const sealed = s.seal(2);
  assert.equal(ack.records, sealed.records);
  const badInLast = Array.from({ length: 9000 }, (_, k) => 18_000 + k).filter((i) => i % 97 === 5).length;
  assert.equal(sealed.main.reduce((n, f) => n + f.result.recordCount, 0), 9000 - badInLast);
});

test('Avro through the stage, batches of more records than a stage holds, none declined: the same file as the general path', { timeout: 120_000 }, () => {
  const encode = avroEncoderFor(declared);
  // The stage takes each batch's runs of records in one call (WasmStage.take), flushed every STAGE_ROWS.
  const batches = [0, 1].map((b) => {
    const messages = Array.from({ length: 10_000 }, (_, k) => ({ topic: 't', key: k % 3 ? null : Buffer.from(`k${k}`), value: encode({ id: BigInt(1 + b * 10_000 + k), name: k % 5 === 0 ? null : `name-${k % 300}` }), timestamp: BigInt(T0 + k) }));
    const bytes = Buffer.from((createRecordsBatch(messages as never) as unknown as { buffer: Buffer }).buffer);
    bytes.writeBigInt64BE(BigInt(b * 10_000), 0);
    return bytes;
  });
  const run = (path: 'stage' | 'general') => {
    const s = new IngestShard({ topic: 't', format: 'avro', declared, schema: tableSchema(declared), dlqSchema: DLQ_SCHEMA, partitioning: 'unpartitioned', directDecode: path !== 'general', stage: path === 'stage' ? avroStageBinary : null });
    const ack = s.chunk({ type: 'chunk', seq: 1, partition: 0, bytes: Buffer.concat(batches), mainFrom: 0, dlqFrom: 0, aborted: null });
    return { ack, sealed: s.seal(1) };
  };
  const fast = run('stage');
  const slow = run('general');
  assert.equal(fast.sealed.records, 20_000);
  assert.deepEqual(fast.ack, slow.ack);
  assert.equal(Buffer.from(fast.sealed.main[0].result.bytes).toString('base64'), Buffer.from(slow.sealed.main[0].result.bytes).toString('base64'));
});

test('Avro through the stage: a record it declines that the other paths take (a repeated map key) keeps its place', () => {
  // The map written as a list of entries, so that a key can repeat.
  const asEntries: Schema = {
    ...withMap,
    fields: [withMap.fields[0], { id: 2, name: 'attrs', required: true, type: { type: 'list', 'element-id': 5, 'element-required': true, element: { type: 'struct', fields: [{ id: 6, name: 'key', required: true, type: 'string' }, { id: 7, name: 'value', required: true, type: 'string' }] } } }],
  };
  const encode = avroEncoderFor(asEntries);
  const messages = Array.from({ length: 3000 }, (_, i) => ({
    topic: 't',
    key: null,
    value: encode({ id: BigInt(i), attrs: i % 7 === 0 ? [{ key: 'a', value: 'x' }, { key: 'a', value: `y${i}` }] : [{ key: 'a', value: `v${i}` }] }),
    timestamp: BigInt(T0 + i),
  }));
  const bytes = Buffer.from((createRecordsBatch(messages as never) as unknown as { buffer: Buffer }).buffer);
  const run = (path: 'stage' | 'general') => {
    const stage = path === 'stage' ? withMapStage : null;
    const s = new IngestShard({ topic: 't', format: 'avro', declared: withMap, schema: tableSchema(withMap), dlqSchema: DLQ_SCHEMA, partitioning: 'unpartitioned', directDecode: path !== 'general', stage });
    s.chunk({ type: 'chunk', seq: 1, partition: 0, bytes, mainFrom: 0, dlqFrom: 0, aborted: null });
    return s.seal(1);
  };
  const fast = run('stage');
  const slow = run('general');
  assert.equal(fast.records, 3000);
  assert.equal(Buffer.from(fast.main[0].result.bytes).toString('base64'), Buffer.from(slow.main[0].result.bytes).toString('base64'));
});

test('JSON through the stage, the fast path and the general path: the same files; bad records, records the stage leaves to the others, hours, several chunks', async () => {
  const stage = (await assembleJsonStage(declared, true))!;
  // 3 chunks of 9,000 records (more than a stage holds), an hour boundary in each: every 97th not
  // JSON (a dead letter), every 89th an id the stage leaves to json-direct ("5"), every 2,000th
  // too large for the stage, every 13th with escapes and non-ASCII in its name.
  const chunks = [0, 1, 2].map((c) => {
    const messages = Array.from({ length: 9000 }, (_, k) => {
      const i = c * 9000 + k;
      const name = i % 5 === 0 ? null : i % 2000 === 3 ? 'z'.repeat(300_000) : i % 13 === 0 ? `n${i} — "quoted"` : `name-${i % 300}`;
      const text = i % 97 === 5 ? `{"id": ${i},` : i % 89 === 7 ? `{"id": "${i}", "name": "s"}` : JSON.stringify({ id: i, name });
      return { topic: 't', key: null, value: Buffer.from(text), timestamp: BigInt(T0 - 4500 + c * 3_600_000 + k) };
    });
    return Buffer.from((createRecordsBatch(messages as never) as unknown as { buffer: Buffer }).buffer);
  });
  const run = (path: 'stage' | 'direct' | 'general') => {
    const s = new IngestShard({ topic: 't', format: 'json', declared, schema: tableSchema(declared), dlqSchema: DLQ_SCHEMA, partitioning: 'hour', directDecode: path !== 'general', stage: path === 'stage' ? stage : null });
    let seq = 0;
    for (const bytes of chunks) s.chunk({ type: 'chunk', seq: ++seq, partition: 1, bytes, mainFrom: 0, dlqFrom: 0, aborted: null });
    return s.seal(1);
  };
  const slow = run('general');
  const bad = Array.from({ length: 27_000 }, (_, i) => i).filter((i) => i % 97 === 5).length;
  assert.equal(slow.records, 27_000 - bad);
  for (const path of ['stage', 'direct'] as const) {
    const fast = run(path);
    assert.equal(fast.records, 27_000 - bad);
    assert.equal(fast.dlqRecords, bad);
    assert.equal(fast.rawBytes, slow.rawBytes);
    assert.equal(fast.main.length, 4);
    assert.deepEqual(
      fast.main.map((f) => [f.partitionValue, Buffer.from(f.result.bytes).toString('base64'), f.result.stats]),
      slow.main.map((f) => [f.partitionValue, Buffer.from(f.result.bytes).toString('base64'), f.result.stats]),
    );
  }
});

test('JSON through the stage: table and DLQ offsets inside a batch, null and empty values, keys and headers, gzip, log-append time, a base offset, offsets going back; as the general path', async () => {
  const stage = (await assembleJsonStage(declared, true))!;
  const batch = (base: number, n: number, options: { compression?: string; logAppend?: boolean }): Buffer => {
    const messages = Array.from({ length: n }, (_, k) => {
      const i = base + k;
      // Not JSON (a dead letter); an id the stage declines after it staged the name (json-direct takes it).
      const text = i % 11 === 5 ? `{"id": ${i}` : i % 13 === 6 ? `{"name": "n", "id": ${i}.0}` : JSON.stringify({ id: i, name: `n${i % 7}` });
      const value = i % 17 === 3 ? null : i % 19 === 4 ? Buffer.alloc(0) : Buffer.from(text);
      return { topic: 't', key: i % 3 === 0 ? null : Buffer.from(`key-${i}`), value, headers: i % 4 === 0 ? new Map([[Buffer.from('h'), Buffer.from(`v${i}`)]]) : undefined, timestamp: BigInt(T0 + (i - 1100) * 700) };
    });
    const bytes = Buffer.from((createRecordsBatch(messages as never, { compression: options.compression } as never) as unknown as { buffer: Buffer }).buffer);
    bytes.writeBigInt64BE(BigInt(base), 0);
    if (options.logAppend) bytes.writeInt16BE(bytes.readInt16BE(21) | 0x08, 21); // the broker's time: the batch's max timestamp for each record
    return bytes;
  };
  // The last batch's offsets go back, as no broker sends them: what is below the table's stays out.
  const bytes = Buffer.concat([batch(1000, 60, {}), batch(1060, 60, { compression: 'gzip' }), batch(1120, 60, { logAppend: true }), batch(1180, 59, {}), batch(1100, 40, {})]);
  for (const partitioning of ['unpartitioned', 'hour'] as const) {
    for (const [mainFrom, dlqFrom] of [[0, 0], [1030, 1010], [1090, 1150], [1130, 1125], [1250, 1250]]) {
      const run = (withStage: boolean) => {
        const s = new IngestShard({ topic: 't', format: 'json', declared, schema: tableSchema(declared), dlqSchema: DLQ_SCHEMA, partitioning, directDecode: withStage, stage: withStage ? stage : null });
        const ack = s.chunk({ type: 'chunk', seq: 1, partition: 2, bytes, mainFrom, dlqFrom, aborted: null });
        return { ack, sealed: s.seal(1) };
      };
      const fast = run(true);
      const slow = run(false);
      const where = `${partitioning} from ${mainFrom}/${dlqFrom}`;
      assert.deepEqual(fast.ack, slow.ack, where);
      assert.equal(fast.sealed.records, slow.sealed.records, where);
      assert.equal(fast.sealed.dlqRecords, slow.sealed.dlqRecords, where);
      assert.equal(fast.sealed.rawBytes, slow.sealed.rawBytes, where);
      assert.deepEqual(
        fast.sealed.main.map((f) => [f.partitionValue, Buffer.from(f.result.bytes).toString('base64'), f.result.stats]),
        slow.sealed.main.map((f) => [f.partitionValue, Buffer.from(f.result.bytes).toString('base64'), f.result.stats]),
        where,
      );
      if (mainFrom === 0) assert.ok(fast.sealed.records > 150 && fast.sealed.dlqRecords > 20 && fast.sealed.main.length === (partitioning === 'hour' ? 2 : 1), JSON.stringify(fast.ack));
    }
  }
});

test('Avro through the stage: plain records that start as framed ones (a zero byte) among others; as the general path', () => {
  const encode = avroEncoderFor(declared);
  // id 0 encodes to a zero first byte: with a name, the framed reading is tried first, then the plain one.
  const messages = Array.from({ length: 400 }, (_, i) => ({ topic: 't', key: null, value: encode({ id: BigInt(i % 5 === 0 ? 0 : i), name: i % 3 === 0 ? null : `name-${i}` }), timestamp: BigInt(T0 + i) }));
  const bytes = Buffer.from((createRecordsBatch(messages as never) as unknown as { buffer: Buffer }).buffer);
  const run = (path: 'stage' | 'general') => {
    const s = new IngestShard({ topic: 't', format: 'avro', declared, schema: tableSchema(declared), dlqSchema: DLQ_SCHEMA, partitioning: 'unpartitioned', directDecode: path !== 'general', stage: path === 'stage' ? avroStageBinary : null });
    s.chunk({ type: 'chunk', seq: 1, partition: 0, bytes, mainFrom: 0, dlqFrom: 0, aborted: null });
    return s.seal(1);
  };
  const fast = run('stage');
  const slow = run('general');
  assert.equal(fast.records, 400);
  assert.equal(Buffer.from(fast.main[0].result.bytes).toString('base64'), Buffer.from(slow.main[0].result.bytes).toString('base64'));
});

test('a stage that fails is dropped: its chunk fails, and the chunks after take the JavaScript fast path', (t) => {
  const encode = avroEncoderFor(declared);
  const messages = Array.from({ length: 100 }, (_, i) => ({ topic: 't', key: null, value: encode({ id: BigInt(i), name: `n${i}` }), timestamp: BigInt(T0 + i) }));
  const bytes = Buffer.from((createRecordsBatch(messages as never) as unknown as { buffer: Buffer }).buffer);
  const s = new IngestShard({ topic: 't', format: 'avro', declared, schema: tableSchema(declared), dlqSchema: DLQ_SCHEMA, partitioning: 'unpartitioned', directDecode: true, stage: avroStageBinary });
  const add = t.mock.method(AvroStage.prototype, 'add', () => {
    throw new Error('unreachable executed');
  });
  assert.throws(() => s.chunk({ type: 'chunk', seq: 1, partition: 0, bytes, mainFrom: 0, dlqFrom: 0, aborted: null }), /unreachable executed/);
  s.reset();
  const ack = s.chunk({ type: 'chunk', seq: 2, partition: 0, bytes, mainFrom: 0, dlqFrom: 0, aborted: null });
  assert.equal(add.mock.callCount(), 1);
  assert.equal(ack.records, 100);
  const general = new IngestShard({ topic: 't', format: 'avro', declared, schema: tableSchema(declared), dlqSchema: DLQ_SCHEMA, partitioning: 'unpartitioned', directDecode: false });
  general.chunk({ type: 'chunk', seq: 1, partition: 0, bytes, mainFrom: 0, dlqFrom: 0, aborted: null });
  assert.equal(Buffer.from(s.seal(1).main[0].result.bytes).toString('base64'), Buffer.from(general.seal(1).main[0].result.bytes).toString('base64'));
  // A binary the runtime does not take: no stage at all.
  const broken = new IngestShard({ topic: 't', format: 'avro', declared, schema: tableSchema(declared), dlqSchema: DLQ_SCHEMA, partitioning: 'unpartitioned', directDecode: true, stage: Uint8Array.of(0, 97, 115, 109, 9) });
  assert.equal(broken.chunk({ type: 'chunk', seq: 1, partition: 0, bytes, mainFrom: 0, dlqFrom: 0, aborted: null }).records, 100);
  assert.equal(add.mock.callCount(), 1);
});

test('the Parquet options of the spec (the agent FLOE_PARQUET_* variables) reach the table and DLQ files', async () => {
  const s = shard('unpartitioned', { compression: 'snappy' });
  s.chunk({ type: 'chunk', seq: 1, partition: 4, bytes: chunk(), mainFrom: 0, dlqFrom: 0, aborted: null });
  const sealed = s.seal(1);
  for (const [files, schema] of [[sealed.main, tableSchema(declared)], [sealed.dlq, DLQ_SCHEMA]] as const) {
    assert.equal(files.length, 1);
    const seen = await readBack(files[0].result.bytes, schema);
    const codecs = new Set(seen.pyarrow.row_groups[0].columns.map((c) => c.compression));
    assert.deepEqual([...codecs], ['SNAPPY']);
  }
});
