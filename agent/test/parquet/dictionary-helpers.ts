// The byte-array dictionary's test helpers: values laid out as a column, and a dictionary of them
// checked value by value.
import assert from 'node:assert/strict';
import { bytesDictionary } from '../../src/parquet/kernels.ts';

/**
 * Values laid out as a column's offsets and bytes, with `slack` spare bytes after the last one, and
 * the slots of the values: every one, or each `stride`th (the others are the column's other values,
 * as the nulls of an optional column's slots are).
 */
export function layout(values: Uint8Array[], slack: number, stride = 1): { offsets: Int32Array; bytes: Uint8Array; slots: Int32Array } {
  const column = stride === 1 ? values : values.flatMap((v, i) => [v, ...Array.from({ length: stride - 1 }, (_, k) => Uint8Array.of(i, k, 0xee))]);
  const total = column.reduce((n, v) => n + v.length, 0);
  const bytes = new Uint8Array(total + slack).fill(0xa5); // junk beyond each value's end
  const offsets = new Int32Array(column.length + 1);
  let p = 0;
  column.forEach((v, i) => {
    bytes.set(v, p);
    p += v.length;
    offsets[i + 1] = p;
  });
  return { offsets, bytes, slots: Int32Array.from(values, (_, i) => i * stride) };
}

/**
 * Builds the dictionary of `values` and checks it: every value maps to an entry with its bytes,
 * equal values to the same entry, one entry per distinct value, numbered in the order of their
 * first value. Returns the entry count.
 */
export function checkBytesDictionary(values: Uint8Array[], slack: number, stride = 1): number {
  const { offsets, bytes, slots } = layout(values, slack, stride);
  const dict = bytesDictionary(offsets, bytes, slots);
  assert.ok(dict !== null);
  const key = (v: Uint8Array): string => Buffer.from(v).toString('hex');
  const entryOf = new Map<string, number>();
  for (let i = 0; i < values.length; i++) {
    const k: number = dict.indices[i];
    assert.ok(k >= 0 && k < dict.count, `value ${i} has index ${k} of ${dict.count}`);
    const e: number = dict.entries[k];
    assert.equal(key(bytes.subarray(offsets[e], offsets[e + 1])), key(values[i]), `value ${i} maps to entry ${k}`);
    const first = entryOf.get(key(values[i]));
    if (first === undefined) {
      assert.equal(k, entryOf.size, `value ${i} (${key(values[i])}) is new: the next entry`);
      entryOf.set(key(values[i]), k);
    } else assert.equal(k, first, `value ${i} (${key(values[i])}) has one entry`);
  }
  assert.equal(dict.count, entryOf.size, 'one entry per distinct value');
  return dict.count;
}
