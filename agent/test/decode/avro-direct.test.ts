// Avro's fast path (decode/avro-direct.ts) against the general path (decode -> row -> append): on
// random valid values and on corrupted ones, the fast path must accept only what decode accepts,
// and the Parquet files built both ways must be byte for byte the same, statistics included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { avroEncoderFor, createDecoder, frameForSchemaRegistry } from '../../src/decode/index.ts';
import { compileAvroDirect } from '../../src/decode/avro-direct.ts';
import { ParquetFileBuilder } from '../../src/parquet/writer.ts';
import { assertSameFiles, decodes, embedded, rng } from './fast-path.ts';
import { corruptedValues, entries, randomRow, repeatsMapKey, schema, substitutedValues } from './avro-cases.ts';
import type { Row, Schema, Value } from '../../src/schema/types.ts';

const encode = avroEncoderFor(schema);
const decoder = createDecoder('avro', schema);
const direct = compileAvroDirect(schema)!;

test('the fast path covers the schema, and the decoder offers it', () => {
  assert.ok(direct);
  assert.equal(typeof decoder.appendTo, 'function');
  const uncovered: Schema = { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'u', required: true, type: 'uuid' }] };
  assert.equal(compileAvroDirect(uncovered), null);
  assert.equal(createDecoder('avro', uncovered).appendTo, undefined);
});

test('random valid values: the same file as decode -> append, framed and plain, at any buffer offset', () => {
  const r = rng(42);
  const fast = new ParquetFileBuilder(schema);
  const slow = new ParquetFileBuilder(schema);
  for (let n = 0; n < 3000; n++) {
    const row = randomRow(schema.fields, r);
    let value: Uint8Array = encode(row);
    if (n % 3 === 1) value = frameForSchemaRegistry(value, 7);
    // inside a larger (shared) buffer, as values sit in the worker's record batches
    const { buf, start, end } = embedded(value);
    assert.equal(fast.appendWith((cols) => direct(buf, start, end, cols)), true, `value ${n} was declined`);
    slow.append(decoder.decode(buf.subarray(start, end)));
  }
  assertSameFiles(fast, slow);
});

/**
 * Runs values through both paths: the fast path must accept only what decode accepts, and decline
 * what decode accepts only for a repeated map key; then both files must be the same.
 */
function compare(values: Iterable<Uint8Array>): { accepted: number; refused: number; repeated: number } {
  const fast = new ParquetFileBuilder(schema);
  const slow = new ParquetFileBuilder(schema);
  const counts = { accepted: 0, refused: 0, repeated: 0 };
  for (const v of values) {
    const row = decodes(decoder, v);
    const { buf, start, end } = embedded(v);
    if (fast.appendWith((cols) => direct(buf, start, end, cols))) {
      assert.ok(row !== null, `the fast path accepted a value decode refuses: ${Buffer.from(v).toString('hex')}`);
      counts.accepted++;
      slow.append(row);
    } else if (row !== null) {
      assert.ok(repeatsMapKey(v), `the fast path declined a value decode accepts: ${Buffer.from(v).toString('hex')}`);
      counts.repeated++;
      fast.append(row);
      slow.append(row);
    } else {
      counts.refused++;
    }
  }
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

test('a map that repeats a key: declined, framed or not, and the general path keeps one entry per key', () => {
  const encodeEntries = avroEncoderFor(entries);
  const fast = new ParquetFileBuilder(schema);
  const slow = new ParquetFileBuilder(schema);
  const base = randomRow(schema.fields, rng(3));
  const cases = [
    [{ key: 'a', value: 1 }, { key: 'a', value: 2 }],
    [{ key: 'k1', value: null }, { key: 'k2', value: 5 }, { key: 'k1', value: 7 }],
    Array.from({ length: 40 }, (_, i) => ({ key: `key-${i % 39}`, value: i })), // past the pairwise comparison
  ];
  for (const attrs of cases) {
    for (const framed of [false, true]) {
      let v: Uint8Array = encodeEntries({ ...base, attrs });
      if (framed) v = frameForSchemaRegistry(v, 9);
      const row = decoder.decode(v);
      assert.equal((row.attrs as Map<Value, Value>).size, new Set(attrs.map((e) => e.key)).size);
      const { buf, start, end } = embedded(v);
      assert.equal(fast.appendWith((cols) => direct(buf, start, end, cols)), false, JSON.stringify(attrs));
      fast.append(row);
      slow.append(row);
    }
  }
  // Distinct keys, also past the pairwise comparison, are taken.
  const many = encodeEntries({ ...base, attrs: Array.from({ length: 40 }, (_, i) => ({ key: `key-${i}`, value: i })) });
  assert.equal(fast.appendWith((cols) => direct(many, 0, many.length, cols)), true);
  slow.append(decoder.decode(many));
  assertSameFiles(fast, slow);
});

test('a declined value leaves no slot behind, and an empty value is declined', () => {
  const b = new ParquetFileBuilder(schema);
  assert.equal(b.appendWith((cols) => direct(new Uint8Array(0), 0, 0, cols)), false);
  assert.equal(b.appendWith((cols) => direct(Uint8Array.of(0x02), 0, 1, cols)), false);
  assert.equal(b.recordCount, 0);
  const one = encode(randomRow(schema.fields, rng(1)));
  assert.equal(b.appendWith((cols) => direct(one, 0, one.length, cols)), true);
  assert.equal(b.recordCount, 1);
});

test('a signalling NaN float comes out as the general path stores it, also from optimised code', () => {
  const row = randomRow(schema.fields, rng(5));
  Object.assign(row, { b: true, i: 0, l: 0n, f: 1.5 });
  const value = Buffer.from(encode(row));
  assert.deepEqual([...value.subarray(3, 8)], [0x02, 0x00, 0x00, 0xc0, 0x3f]); // union branch 1, then 1.5f
  value.set([0xba, 0x00, 0x80, 0x7f], 4); // 0x7f8000ba: a signalling NaN
  const fast = new ParquetFileBuilder(schema);
  const slow = new ParquetFileBuilder(schema);
  const decoded = decoder.decode(value);
  // Varied rows first, then enough of this one, so that the fast path runs optimised code.
  const r = rng(11);
  for (let n = 0; n < 3000; n++) {
    const v = encode(randomRow(schema.fields, r));
    assert.equal(fast.appendWith((cols) => direct(v, 0, v.length, cols)), true);
    slow.append(decoder.decode(v));
  }
  for (let n = 0; n < 20_000; n++) {
    assert.equal(fast.appendWith((cols) => direct(value, 0, value.length, cols)), true);
    slow.append(decoded);
  }
  assertSameFiles(fast, slow);
});

test('a declined direct append leaves nothing behind, however far it got; a misaligned accepted one is refused at finish', () => {
  const row = randomRow(schema.fields, rng(3));
  const value = encode(row);
  const declined = new ParquetFileBuilder(schema);
  // A fill that appended to a top-level column, a struct member and list elements, then declined.
  const tags = schema.fields.findIndex((f) => f.name === 'tags');
  assert.equal(
    declined.appendWith((cols) => {
      cols[0].append(true);
      cols[tags].append(['a', 'b']);
      direct(value, 0, value.length - 1, cols); // a truncated value: fill stops partway
      return false;
    }),
    false,
  );
  assert.equal(declined.recordCount, 0);
  assert.equal(declined.appendWith((cols) => direct(value, 0, value.length, cols)), true);
  const expected = new ParquetFileBuilder(schema);
  expected.append(decoder.decode(value));
  assertSameFiles(declined, expected);
  const accepted = new ParquetFileBuilder(schema);
  assert.equal(accepted.appendWith((cols) => (cols[0].append(true), true)), true);
  assert.throws(() => accepted.finish(), /column i has 0 slots after 1 rows, expected 1/);
});
