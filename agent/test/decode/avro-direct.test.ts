// Avro's fast path (decode/avro-direct.ts) against the general path (decode -> row -> append): on
// random valid values and on corrupted ones, the fast path must accept only what decode accepts,
// and the Parquet files built both ways must be byte for byte the same, statistics included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { avroEncoderFor, createDecoder, frameForSchemaRegistry } from '../../src/decode/index.ts';
import { compileAvroDirect } from '../../src/decode/avro-direct.ts';
import { ParquetFileBuilder } from '../../src/parquet/writer.ts';
import { assertSameFiles, decodes, embedded, rng } from './fast-path.ts';
import type { IcebergType, NestedField, Row, Schema, Value } from '../../src/schema/types.ts';

const schema: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'b', required: true, type: 'boolean' },
    { id: 2, name: 'i', required: true, type: 'int' },
    { id: 3, name: 'l', required: true, type: 'long' },
    { id: 4, name: 'f', required: false, type: 'float' },
    { id: 5, name: 'd', required: false, type: 'double' },
    { id: 6, name: 's', required: true, type: 'string' },
    { id: 7, name: 'os', required: false, type: 'string' },
    { id: 8, name: 'day', required: false, type: 'date' },
    { id: 9, name: 'ts', required: false, type: 'timestamptz' },
    {
      id: 10,
      name: 'st',
      required: false,
      type: {
        type: 'struct',
        fields: [
          { id: 11, name: 'x', required: true, type: 'long' },
          { id: 12, name: 'inner', required: true, type: { type: 'struct', fields: [{ id: 13, name: 'y', required: false, type: 'string' }] } },
        ],
      },
    },
    { id: 14, name: 'tags', required: false, type: { type: 'list', 'element-id': 15, element: 'string', 'element-required': false } },
    { id: 16, name: 'attrs', required: true, type: { type: 'map', 'key-id': 17, key: 'string', 'value-id': 18, value: 'int', 'value-required': false } },
    {
      id: 19,
      name: 'points',
      required: false,
      type: {
        type: 'list',
        'element-id': 20,
        'element-required': true,
        element: { type: 'struct', fields: [{ id: 21, name: 'px', required: true, type: 'double' }, { id: 22, name: 'py', required: false, type: 'int' }] },
      },
    },
    { id: 23, name: 'grid', required: false, type: { type: 'list', 'element-id': 24, 'element-required': true, element: { type: 'list', 'element-id': 25, element: 'long', 'element-required': true } } },
  ],
};

const STRINGS = ['', 'a', 'prod', 'ümlaut', 'ß', '😀 emoji', 'x'.repeat(33), 'y'.repeat(200), '\u0000nul', 'zz', 'A', '\uFFFD literal'];
const LONGS = [0n, 1n, -1n, 63n, -64n, 2n ** 31n, 2n ** 48n, 2n ** 49n, 2n ** 52n - 1n, 2n ** 53n, -(2n ** 53n), 2n ** 62n, 2n ** 63n - 1n, -(2n ** 63n), 1_764_000_000_000_000n];
const FLOATS = [0, -0, 1.5, -2.25, NaN, Infinity, -Infinity, 3.4e38, 1e-45];

function randomValue(t: IcebergType, r: () => number): Value {
  const pick = <T,>(a: readonly T[]): T => a[Math.floor(r() * a.length)];
  if (typeof t === 'string') {
    switch (t) {
      case 'boolean':
        return r() < 0.5;
      case 'int':
      case 'date':
        return pick([0, 1, -1, 2147483647, -2147483648, 20000, Math.floor(r() * 1e6) - 5e5]);
      case 'long':
      case 'timestamptz':
        return r() < 0.5 ? pick(LONGS) : BigInt(Math.floor((r() - 0.5) * 2 ** 53));
      case 'float':
        return Math.fround(pick(FLOATS));
      case 'double':
        return r() < 0.5 ? pick(FLOATS) : (r() - 0.5) * 1e12;
      case 'string':
        return r() < 0.7 ? pick(STRINGS) : `s-${Math.floor(r() * 1000)}`;
    }
    throw new Error(t);
  }
  switch (t.type) {
    case 'struct':
      return randomRow(t.fields, r);
    case 'list': {
      const n = Math.floor(r() * 4);
      return Array.from({ length: n }, () => (!t['element-required'] && r() < 0.2 ? null : randomValue(t.element, r)));
    }
    case 'map': {
      const m = new Map<Value, Value>();
      const n = Math.floor(r() * 4);
      for (let k = 0; k < n; k++) m.set(`k${Math.floor(r() * 10)}`, !t['value-required'] && r() < 0.2 ? null : randomValue(t.value, r));
      return m;
    }
  }
}

function randomRow(fields: NestedField[], r: () => number): Row {
  const row: Row = {};
  for (const f of fields) row[f.name] = !f.required && r() < 0.25 ? null : randomValue(f.type, r);
  return row;
}

const encode = avroEncoderFor(schema);
const decoder = createDecoder('avro', schema);
const direct = compileAvroDirect(schema)!;

// The same bytes with `attrs` read as a list of key/value records (Avro encodes a map and such a
// list alike), which keeps a repeated key.
const entries: Schema = {
  ...schema,
  fields: schema.fields.map((f) =>
    f.name !== 'attrs'
      ? f
      : {
          ...f,
          type: {
            type: 'list',
            'element-id': 30,
            'element-required': true,
            element: { type: 'struct', fields: [{ id: 31, name: 'key', required: true, type: 'string' }, { id: 32, name: 'value', required: false, type: 'int' }] },
          },
        },
  ),
};
const entriesDecoder = createDecoder('avro', entries);

/** True when `v` reads as a record whose map repeats a key (the general path keeps one entry per key). */
function repeatsMapKey(v: Uint8Array): boolean {
  const row = decodes(entriesDecoder, v);
  if (row === null) return false;
  const keys = (row.attrs as Row[]).map((e) => e.key);
  return new Set(keys).size !== keys.length;
}

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
  const r = rng(7);
  const variants: Uint8Array[] = [];
  for (let n = 0; n < 400; n++) {
    const good = encode(randomRow(schema.fields, r));
    for (let cut = 0; cut < good.length; cut++) variants.push(good.subarray(0, cut));
    variants.push(Buffer.concat([good, Buffer.from([0])]));
    for (let k = 0; k < 12; k++) {
      const v = Buffer.from(good);
      v[Math.floor(r() * v.length)] = Math.floor(r() * 256);
      if (r() < 0.5) v[Math.floor(r() * v.length)] ^= 0x80;
      variants.push(v);
    }
  }
  const c = compare(variants);
  assert.ok(c.accepted > 1000 && c.refused > 1000, JSON.stringify(c));
});

test('every byte value at every position: accepted only when decode accepts it, and then the same rows', () => {
  // Exhaustive single-byte substitutions of a few records: every length, tag and varint byte also
  // takes the values random corruption rarely hits (an odd one-byte string length is negative).
  const r = rng(11);
  function* substitutions(): Generator<Uint8Array> {
    for (let n = 0; n < 4; n++) {
      const good = encode(randomRow(schema.fields, r));
      for (let at = 0; at < good.length; at++) {
        for (let x = 0; x < 256; x++) {
          if (x === good[at]) continue;
          const v = Buffer.from(good);
          v[at] = x;
          yield v;
        }
      }
    }
  }
  const c = compare(substitutions());
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
