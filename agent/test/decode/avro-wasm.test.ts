// Avro's stage (decode/avro-wasm.ts) against the general path (decode -> row -> append), as
// avro-direct.test.ts tests avro-direct: on random valid values and on corrupted ones the stage
// must accept only what decode accepts, and the Parquet files built both ways must be byte for
// byte the same, statistics included; with records staged across flushes at random points.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isUtf8 } from 'node:buffer';
import { avroEncoderFor, createDecoder, frameForSchemaRegistry } from '../../src/decode/index.ts';
import { assembleAvroStage, avroStage, DECLINED, FULL, STAGED, STAGE_ROWS } from '../../src/decode/avro-wasm.ts';
import { compileAvroDirect } from '../../src/decode/avro-direct.ts';
import { ParquetFileBuilder } from '../../src/parquet/writer.ts';
import { KAFKA_COLUMNS } from '../../src/ingest/tables.ts';
import type { Int32Column, Int64Column } from '../../src/parquet/columns.ts';
import { createRecordsBatch } from '@platformatic/kafka';
import { forEachRecordIn } from '../../src/source/records.ts';
import { assertSameFiles, decodes, embedded, rng, stageAdd, stageFlush } from './fast-path.ts';
import { corruptedValues, entries, randomRow, repeatsMapKey, schema, substitutedValues } from './avro-cases.ts';
import type { Row, Schema } from '../../src/schema/types.ts';

const encode = avroEncoderFor(schema);
const decoder = createDecoder('avro', schema);
const binary = (await assembleAvroStage(schema, false))!;
const entriesDecoder = createDecoder('avro', entries);

const add = stageAdd;
const flush = stageFlush;

/** Entries of the value's map when it reads as a record (as a list of entries), else 0. */
function mapEntries(v: Uint8Array): number {
  const row = decodes(entriesDecoder, v);
  return row === null ? 0 : (row.attrs as Row[]).length;
}

test('the stage covers the schema; a type it does not cover has none', async () => {
  assert.ok(binary instanceof Uint8Array && binary.length > 0);
  const uncovered: Schema = { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'u', required: true, type: 'uuid' }] };
  assert.equal(await assembleAvroStage(uncovered, false), null);
  const emptyStruct: Schema = { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'e', required: true, type: { type: 'struct', fields: [] } }] };
  assert.equal(await assembleAvroStage(emptyStruct, false), null);
});

test('random valid values, flushed at random points: the same file as decode -> append, framed and plain, at any buffer offset', () => {
  const r = rng(42);
  const stage = avroStage(binary, schema, false);
  const fast = new ParquetFileBuilder(schema);
  const slow = new ParquetFileBuilder(schema);
  for (let n = 0; n < 6000; n++) {
    const row = randomRow(schema.fields, r);
    let value: Uint8Array = encode(row);
    if (n % 3 === 1) value = frameForSchemaRegistry(value, 7);
    const { buf, start, end } = embedded(value);
    assert.equal(add(stage, fast, buf, start, end), true, `value ${n} was declined`);
    slow.append(decoder.decode(buf.subarray(start, end)));
    if (r() < 0.01 || stage.staged === STAGE_ROWS) flush(stage, fast);
  }
  flush(stage, fast);
  assert.equal(fast.recordCount, 6000);
  assertSameFiles(fast, slow);
});

/**
 * Runs values through both paths, in one stage flushed at random points: the stage must accept
 * only what decode accepts, and decline what decode accepts only for a repeated map key or a map
 * of more entries than it compares pairwise (both go to avro-direct in the worker); then both
 * files must be the same.
 */
function compare(values: Iterable<Uint8Array>): { accepted: number; refused: number; repeated: number } {
  const r = rng(5);
  const stage = avroStage(binary, schema, false);
  const fast = new ParquetFileBuilder(schema);
  const slow = new ParquetFileBuilder(schema);
  const counts = { accepted: 0, refused: 0, repeated: 0 };
  for (const v of values) {
    const row = decodes(decoder, v);
    const { buf, start, end } = embedded(v);
    if (add(stage, fast, buf, start, end)) {
      assert.ok(row !== null, `the stage accepted a value decode refuses: ${Buffer.from(v).toString('hex')}`);
      counts.accepted++;
      slow.append(row);
    } else if (row !== null) {
      assert.ok(repeatsMapKey(v) || mapEntries(v) > 16, `the stage declined a value decode accepts: ${Buffer.from(v).toString('hex')}`);
      counts.repeated++;
      flush(stage, fast); // the row goes in after those staged before it
      fast.append(row);
      slow.append(row);
    } else {
      counts.refused++;
    }
    if (r() < 0.005) flush(stage, fast);
  }
  flush(stage, fast);
  assertSameFiles(fast, slow);
  return counts;
}

test('corrupted values: accepted only when decode accepts them, and then the same rows', () => {
  const c = compare(corruptedValues(7));
  assert.ok(c.accepted > 1000 && c.refused > 1000, JSON.stringify(c));
});

test('every byte value at every position: accepted only when decode accepts it, and then the same rows', () => {
  const c = compare(substitutedValues(11));
  assert.ok(c.accepted > 1000 && c.refused > 1000 && c.repeated > 0, JSON.stringify(c));
});

test('strings of random bytes: staged exactly when they are UTF-8', async () => {
  const one: Schema = { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 's', required: true, type: 'string' }] };
  const stage = avroStage((await assembleAvroStage(one, false))!, one, false);
  const oneDecoder = createDecoder('avro', one);
  const r = rng(13);
  // Lead bytes around every boundary of UTF-8's table, then continuation bytes or not.
  const interesting = [0x00, 0x41, 0x7f, 0x80, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xec, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xff, 0x8f, 0x90, 0x9f, 0xa0];
  const fast = new ParquetFileBuilder(one);
  const slow = new ParquetFileBuilder(one);
  let valid = 0;
  for (let n = 0; n < 60_000; n++) {
    const len = Math.floor(r() * (r() < 0.5 ? 8 : 40));
    const bytes = Buffer.alloc(len);
    for (let i = 0; i < len; i++) bytes[i] = r() < 0.6 ? interesting[Math.floor(r() * interesting.length)] : Math.floor(r() * 256);
    const value = Buffer.concat([encodeLength(len), bytes]);
    const staged = add(stage, fast, value, 0, value.length);
    assert.equal(staged, isUtf8(bytes), `${bytes.toString('hex')}: staged ${staged}`);
    if (staged) {
      valid++;
      slow.append(oneDecoder.decode(value));
    }
  }
  flush(stage, fast);
  assert.ok(valid > 5000 && valid < 55_000, `${valid} valid`);
  assertSameFiles(fast, slow);
});

test('ints at the edges of their range, and varints at their length limits: staged exactly when decode accepts them', async () => {
  const one: Schema = { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'i', required: true, type: 'int' }, { id: 2, name: 'l', required: true, type: 'long' }] };
  const stage = avroStage((await assembleAvroStage(one, false))!, one, false);
  const oneDecoder = createDecoder('avro', one);
  const fast = new ParquetFileBuilder(one);
  const slow = new ParquetFileBuilder(one);
  const ints = [0, -1, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, -(2 ** 31) - 1, 2 ** 48, -(2 ** 48)];
  let accepted = 0;
  for (const i of ints) {
    for (const extra of [0, 1, 3]) {
      // the same value padded with continuation bytes: 7 bytes at most for an int, 10 for a long
      const v = Buffer.concat([padded(zigzag(BigInt(i)), extra), padded(zigzag(-5n), 7 + extra)]);
      const row = decodes(oneDecoder, v);
      const staged = add(stage, fast, v, 0, v.length);
      assert.equal(staged, row !== null, `int ${i}, ${extra} bytes more: staged ${staged}`);
      if (row) {
        accepted++;
        slow.append(row);
      }
    }
  }
  assert.ok(accepted > 4 && accepted < 24, `${accepted} accepted`);
  flush(stage, fast);
  assertSameFiles(fast, slow);
});

test('a map that repeats a key, or has more entries than the stage compares, is declined, framed or not', () => {
  const encodeEntries = avroEncoderFor(entries);
  const stage = avroStage(binary, schema, false);
  const base = randomRow(schema.fields, rng(3));
  const cases = [
    [{ key: 'a', value: 1 }, { key: 'a', value: 2 }],
    [{ key: 'k1', value: null }, { key: 'k2', value: 5 }, { key: 'k1', value: 7 }],
    Array.from({ length: 40 }, (_, i) => ({ key: `key-${i % 39}`, value: i })),
    Array.from({ length: 17 }, (_, i) => ({ key: `key-${i}`, value: i })), // distinct, but more than 16
  ];
  for (const attrs of cases) {
    for (const framed of [false, true]) {
      let v: Uint8Array = encodeEntries({ ...base, attrs });
      if (framed) v = frameForSchemaRegistry(v, 9);
      assert.equal(stage.add(v, 0, v.length), DECLINED, JSON.stringify(attrs));
      assert.equal(stage.staged, 0);
    }
  }
  // Up to 16 distinct keys are staged.
  const fast = new ParquetFileBuilder(schema);
  const slow = new ParquetFileBuilder(schema);
  const sixteen = encodeEntries({ ...base, attrs: Array.from({ length: 16 }, (_, i) => ({ key: `key-${i}`, value: i })) });
  assert.equal(stage.add(sixteen, 0, sixteen.length), STAGED);
  flush(stage, fast);
  slow.append(decoder.decode(sixteen));
  assertSameFiles(fast, slow);
});

test('a declined value leaves nothing in the stage, however far it got', () => {
  const r = rng(17);
  const stage = avroStage(binary, schema, false);
  const fast = new ParquetFileBuilder(schema);
  const slow = new ParquetFileBuilder(schema);
  for (let n = 0; n < 2000; n++) {
    const good = encode(randomRow(schema.fields, r));
    assert.equal(stage.add(good, 0, good.length), STAGED);
    slow.append(decoder.decode(good));
    // Cut at every point of the next one: each is declined, and must take back what it staged.
    const next = encode(randomRow(schema.fields, r));
    const cut = next.subarray(0, Math.floor(r() * next.length));
    if (decodes(decoder, cut) === null) assert.equal(stage.add(cut, 0, cut.length), DECLINED);
    if (r() < 0.01) flush(stage, fast);
  }
  flush(stage, fast);
  assertSameFiles(fast, slow);
  assert.equal(stage.add(new Uint8Array(0), 0, 0), DECLINED);
  assert.equal(stage.add(Uint8Array.of(0x02), 0, 1), DECLINED);
  assert.equal(stage.staged, 0);
});

test('a signalling NaN float comes out as the general path stores it', () => {
  const row = randomRow(schema.fields, rng(5));
  Object.assign(row, { b: true, i: 0, l: 0n, f: 1.5 });
  const value = Buffer.from(encode(row));
  assert.deepEqual([...value.subarray(3, 8)], [0x02, 0x00, 0x00, 0xc0, 0x3f]); // union branch 1, then 1.5f
  value.set([0xba, 0x00, 0x80, 0x7f], 4); // 0x7f8000ba: a signalling NaN
  const stage = avroStage(binary, schema, false);
  const fast = new ParquetFileBuilder(schema);
  const slow = new ParquetFileBuilder(schema);
  for (let n = 0; n < 5000; n++) {
    assert.equal(add(stage, fast, value, 0, value.length), true);
    slow.append(decoder.decode(value));
  }
  flush(stage, fast);
  assertSameFiles(fast, slow);
});

test('a full stage says so; a value that does not fit an empty one is declined', async () => {
  const one: Schema = { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 's', required: true, type: 'string' }, { id: 2, name: 'n', required: false, type: 'long' }] };
  const stage = avroStage((await assembleAvroStage(one, false))!, one, false);
  const oneEncode = avroEncoderFor(one);
  const oneDecoder = createDecoder('avro', one);
  const fast = new ParquetFileBuilder(one);
  const slow = new ParquetFileBuilder(one);
  let fulls = 0;
  for (let n = 0; n < 5000; n++) {
    const v = oneEncode({ s: `${n}:`.padEnd(200, 'x'), n: n % 3 ? BigInt(n) : null });
    let r = stage.add(v, 0, v.length);
    if (r === FULL) {
      fulls++;
      flush(stage, fast);
      r = stage.add(v, 0, v.length);
    }
    assert.equal(r, STAGED);
    slow.append(oneDecoder.decode(v));
  }
  assert.ok(fulls >= 3, `${fulls} times full`); // 200-byte strings fill a string region in ~1,300
  const huge = oneEncode({ s: 'y'.repeat(300 * 1024), n: 1n });
  assert.equal(stage.add(huge, 0, huge.length), FULL); // records are staged: flush first
  flush(stage, fast);
  assert.equal(stage.add(huge, 0, huge.length), DECLINED); // it cannot fit: the caller reads it another way
  assert.equal(stage.staged, 0);
  fast.append(oneDecoder.decode(huge));
  slow.append(oneDecoder.decode(huge));
  assertSameFiles(fast, slow);
});

test('a buffer is copied once until forget(); a large one grows the memory', async () => {
  const one: Schema = { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 's', required: true, type: 'string' }] };
  const stage = avroStage((await assembleAvroStage(one, false))!, one, false);
  const oneEncode = avroEncoderFor(one);
  const oneDecoder = createDecoder('avro', one);
  const fast = new ParquetFileBuilder(one);
  const slow = new ParquetFileBuilder(one);
  // 3 MiB of records in one buffer, more than the source region's first MiB.
  const values = Array.from({ length: 30_000 }, (_, i) => oneEncode({ s: `record ${i} `.padEnd(100, '.') }));
  const buf = Buffer.concat(values);
  let at = 0;
  for (const v of values) {
    assert.equal(add(stage, fast, buf, at, at + v.length), true);
    slow.append(oneDecoder.decode(v));
    at += v.length;
    if (stage.staged === STAGE_ROWS) flush(stage, fast);
  }
  // The same object with other bytes: read again only after forget().
  const small = Buffer.from(oneEncode({ s: 'first' }));
  assert.equal(stage.add(small, 0, small.length), STAGED);
  slow.append(oneDecoder.decode(small));
  small.set(oneEncode({ s: 'other' }));
  stage.forget();
  assert.equal(stage.add(small, 0, small.length), STAGED);
  slow.append(oneDecoder.decode(small));
  flush(stage, fast);
  assertSameFiles(fast, slow);
});

test('views of shared memory at every alignment (the fetch\'s buffers): the same file', async () => {
  const one: Schema = { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 's', required: true, type: 'string' }, { id: 2, name: 'n', required: true, type: 'long' }] };
  const stage = avroStage((await assembleAvroStage(one, false))!, one, false);
  const oneEncode = avroEncoderFor(one);
  const oneDecoder = createDecoder('avro', one);
  const fast = new ParquetFileBuilder(one);
  const slow = new ParquetFileBuilder(one);
  for (let shift = 0; shift < 8; shift++) {
    // ~1.2 MiB of records, more than the source region's first MiB, at byteOffset 8 + shift.
    const values = Array.from({ length: 12_000 }, (_, i) => oneEncode({ s: `shift ${shift} record ${i} `.padEnd(90 + (i % 17), '.'), n: BigInt(shift * 1e6 + i) }));
    const total = values.reduce((a, v) => a + v.length, 0);
    const buf = new Uint8Array(new SharedArrayBuffer(total + 16), 8 + shift, total);
    let at = 0;
    for (const v of values) {
      buf.set(v, at);
      at += v.length;
    }
    at = 0;
    for (const v of values) {
      assert.equal(add(stage, fast, buf, at, at + v.length), true);
      slow.append(oneDecoder.decode(v));
      at += v.length;
      if (stage.staged === STAGE_ROWS) flush(stage, fast);
    }
    stage.forget();
  }
  flush(stage, fast);
  assertSameFiles(fast, slow);
});

test('with the Kafka columns: the same file as avro-direct and the worker\'s appends', async () => {
  const table: Schema = { ...schema, fields: [...schema.fields, ...KAFKA_COLUMNS] };
  const stage = avroStage((await assembleAvroStage(schema, true))!, schema, true);
  const direct = compileAvroDirect(schema)!;
  const d = schema.fields.length;
  const r = rng(23);
  const fast = new ParquetFileBuilder(table);
  const slow = new ParquetFileBuilder(table);
  for (let n = 0; n < 3000; n++) {
    const v = encode(randomRow(schema.fields, r));
    const partition = n % 7;
    const offset = 2 ** 40 + n * 3;
    const timestamp = 1_764_000_000_000_000 + n * 1000;
    let got = stage.add(v, 0, v.length, partition, offset, timestamp);
    if (got === FULL) {
      flush(stage, fast);
      got = stage.add(v, 0, v.length, partition, offset, timestamp);
    }
    assert.equal(got, STAGED);
    assert.equal(
      slow.appendWith((cols) => {
        if (!direct(v, 0, v.length, cols)) return false;
        (cols[d] as Int32Column).append(partition);
        (cols[d + 1] as Int64Column).appendNumber(offset);
        (cols[d + 2] as Int64Column).appendNumber(timestamp);
        return true;
      }),
      true,
    );
  }
  flush(stage, fast);
  assertSameFiles(fast, slow);
  // A timestamp (or offset) that is no safe integer, as from a corrupt batch: declined, not a trap.
  const v = encode(randomRow(schema.fields, r));
  for (const [offset, timestamp] of [[0, 2 ** 80], [0, 1.5], [0, NaN], [2 ** 60, 0]]) assert.equal(stage.add(v, 0, v.length, 0, offset, timestamp), DECLINED);
  assert.equal(stage.staged, 0);
});

test('a batch\'s records in one call (take): it stops exactly at the records add() or the other paths are needed for, leaves nothing of them staged, and makes the same file', async () => {
  const table: Schema = { ...schema, fields: [...schema.fields, ...KAFKA_COLUMNS] };
  const stage = avroStage((await assembleAvroStage(schema, true))!, schema, true);
  const r = rng(29);
  const HOUR = 3_600_000;
  const T0 = 1_764_000_000_000;
  const BASE = 7_000;
  const FROM = BASE + 12;
  const PARTITION = 3;
  // good: plain, its first byte not 0; zero: plain, its first byte 0 (the framed reading is tried
  // first, and may stage it); late: its timestamp past the file's hour; corrupt: a cut encoding.
  type Kind = 'good' | 'framed' | 'zero' | 'null' | 'empty' | 'corrupt' | 'late';
  const kinds: Kind[] = [];
  const values: (Uint8Array | null)[] = [];
  const timestamps: number[] = [];
  const messages = [];
  for (let i = 0; i < 1500; i++) {
    const x = r();
    const kind: Kind = x < 0.03 ? 'null' : x < 0.06 ? 'empty' : x < 0.12 ? 'corrupt' : x < 0.15 ? 'late' : x < 0.25 ? 'framed' : x < 0.35 ? 'zero' : 'good';
    const row = randomRow(schema.fields, r);
    row.b = kind !== 'zero';
    let value: Uint8Array | null = encode(row);
    if (kind === 'framed') value = frameForSchemaRegistry(value, 3);
    else if (kind === 'null') value = null;
    else if (kind === 'empty') value = new Uint8Array(0);
    else if (kind === 'corrupt') {
      const whole = value;
      do value = whole.subarray(0, 1 + Math.floor(r() * (whole.length - 1)));
      while (decodes(decoder, value) !== null);
    }
    const timestamp = T0 + i * 7 + (kind === 'late' ? HOUR : 0);
    kinds.push(kind);
    values.push(value);
    timestamps.push(timestamp);
    messages.push({ topic: 't', key: r() < 0.3 ? null : Buffer.from(`key-${i}`), value, headers: r() < 0.2 ? new Map([[Buffer.from('h'), Buffer.from(`v${i}`)]]) : undefined, timestamp: BigInt(timestamp) });
  }
  const batch = Buffer.from((createRecordsBatch(messages as never) as unknown as { buffer: Buffer }).buffer);
  batch.writeBigInt64BE(BigInt(BASE), 0);
  // Where each record's value and the record itself are, as records.ts reads them.
  const valueAt: [number, number, number][] = [];
  forEachRecordIn(batch, 0, null, (offset, _records, _ks, keyLength, valueStart, valueLength) => {
    valueAt[offset - BASE] = [valueStart, valueLength, Math.max(0, keyLength) + Math.max(0, valueLength)];
  });
  // The records field (after the 61-byte batch header), in shared memory at an odd offset.
  const records = new Uint8Array(new SharedArrayBuffer(batch.length + 3), 3, batch.length - 61);
  records.set(batch.subarray(61));
  const starts = [0];
  for (let k = 0, p = 0; k < messages.length; k++) {
    let raw = 0;
    let shift = 0;
    let b: number;
    do {
      b = records[p++];
      raw |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80);
    p += (raw >>> 1) ^ -(raw & 1);
    starts.push(p);
  }

  const fast = new ParquetFileBuilder(table);
  const slow = new ParquetFileBuilder(table);
  const general = (k: number): void => {
    const row = decoder.decode(values[k]!);
    row._kafka_partition = PARTITION;
    row._kafka_offset = BigInt(BASE + k);
    row._kafka_timestamp = BigInt(timestamps[k]) * 1000n;
    slow.append(row);
  };
  const stopped = new Set<number>();
  let i = 0;
  let calls = 0;
  while (i < messages.length) {
    if (stage.staged === STAGE_ROWS || r() < 0.02) flush(stage, fast);
    const ask = Math.min(messages.length - i, STAGE_ROWS - stage.staged, 1 + Math.floor(r() * 400));
    const n = stage.take(records, starts[i], ask, PARTITION, BASE, FROM, T0, false, T0, T0 + HOUR);
    calls++;
    let bytes = 0;
    for (let k = i; k < i + n; k++) {
      general(k);
      bytes += valueAt[k][2];
    }
    assert.equal(stage.takenBytes, bytes);
    i += n;
    assert.equal(stage.takenEnd, starts[i]);
    if (n === ask) continue;
    // Stopped at record i: add() stages what the stage can, the general path takes the rest.
    stopped.add(i);
    if (BASE + i >= FROM && (kinds[i] === 'late' || kinds[i] === 'zero')) {
      const [vs, vl] = valueAt[i];
      let got = stage.add(records, vs, vs + vl, PARTITION, BASE + i, timestamps[i] * 1000);
      if (got === FULL) {
        flush(stage, fast);
        got = stage.add(records, vs, vs + vl, PARTITION, BASE + i, timestamps[i] * 1000);
      }
      assert.equal(got, STAGED, `record ${i}`);
      general(i);
    }
    i++;
  }
  flush(stage, fast);
  assertSameFiles(fast, slow);
  for (let k = 0; k < messages.length; k++) {
    const mustStop = BASE + k < FROM || kinds[k] === 'null' || kinds[k] === 'empty' || kinds[k] === 'corrupt' || kinds[k] === 'late';
    if (kinds[k] !== 'zero') assert.equal(stopped.has(k), mustStop, `record ${k} (${kinds[k]}, offset ${BASE + k})`);
  }
  assert.ok(calls > 100 && stopped.size > 200, `${calls} calls, ${stopped.size} stops`);
  // Offsets and timestamps that are no safe integers (a corrupt batch): not taken, nothing staged.
  assert.equal(stage.take(records, starts[FROM - BASE], 10, PARTITION, 2 ** 53, FROM, T0, false, -Infinity, Infinity), 0);
  assert.equal(stage.take(records, starts[FROM - BASE], 10, PARTITION, BASE, FROM, 2 ** 50, false, -Infinity, Infinity), 0);
  assert.equal(stage.staged, 0);
});

/** Avro's zigzag varint of n (a long's encoding). */
const longEncode = avroEncoderFor({ type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'n', required: true, type: 'long' }] });
function zigzag(n: bigint): number[] {
  return [...longEncode({ n })];
}

/** Avro's varint of a length (as a long's). */
function encodeLength(n: number): Buffer {
  return Buffer.from(zigzag(BigInt(n)));
}

/** A varint with `extra` continuation bytes of zeros before its end (the same value, longer). */
function padded(bytes: number[], extra: number): Buffer {
  const out = bytes.slice();
  for (let k = 0; k < extra; k++) {
    out[out.length - 1] |= 0x80;
    out.push(0);
  }
  return Buffer.from(out);
}
