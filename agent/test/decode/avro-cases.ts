// The values of the Avro fast paths' tests (avro-direct, avro-wasm): a schema with every type they
// cover, random rows of it, corrupted encodings of them, and the same schema with its map read as a
// list of entries (which keeps a repeated key).
import { avroEncoderFor, createDecoder } from '../../src/decode/index.ts';
import { decodes, rng } from './fast-path.ts';
import type { IcebergType, NestedField, Row, Schema, Value } from '../../src/schema/types.ts';

export const schema: Schema = {
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

export function randomRow(fields: NestedField[], r: () => number): Row {
  const row: Row = {};
  for (const f of fields) row[f.name] = !f.required && r() < 0.25 ? null : randomValue(f.type, r);
  return row;
}

// The same bytes with `attrs` read as a list of key/value records (Avro encodes a map and such a
// list alike), which keeps a repeated key.
export const entries: Schema = {
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
export function repeatsMapKey(v: Uint8Array): boolean {
  const row = decodes(entriesDecoder, v);
  if (row === null) return false;
  const keys = (row.attrs as Row[]).map((e) => e.key);
  return new Set(keys).size !== keys.length;
}

const encode = avroEncoderFor(schema);

/** Random rows encoded, then cut at every length, one byte longer, and with random bytes changed. */
export function corruptedValues(seed: number): Uint8Array[] {
  const r = rng(seed);
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
  return variants;
}

/**
 * Exhaustive single-byte substitutions of a few random rows' encodings: every length, tag and
 * varint byte also takes the values random corruption rarely hits (an odd one-byte string length
 * is negative).
 */
export function* substitutedValues(seed: number): Generator<Uint8Array> {
  const r = rng(seed);
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
