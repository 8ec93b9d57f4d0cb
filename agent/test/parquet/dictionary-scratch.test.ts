// The fixed-width dictionaries' tables keep their per-entry arrays for the next column chunk
// (encode.ts DictTable). A file of its own, so that this process's tables start small whatever other
// tests built before: the case needs a table of one-word keys to have grown the shared arrays first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { int32Dictionary, int64Dictionary } from '../../src/parquet/encode.ts';

test('an int64 dictionary has room for its two-word keys after an int32 dictionary grew the shared entries', () => {
  // 20,000 int32 entries leave room for 32,768 entries, with one key word each.
  const ints = Int32Array.from({ length: 20_000 }, (_, i) => i * 7919);
  assert.equal(int32Dictionary(ints, Int32Array.from(ints, (_, i) => i))?.count, 20_000);
  // 30,000 int64 entries need 60,000 key words; then the last 100 values again, whose keys lie
  // furthest out: each must be found, not added a second time.
  const n = 30_000;
  const halves = new Int32Array(2 * (n + 100));
  for (let i = 0; i < n + 100; i++) {
    const v = i < n ? i : i - 100;
    halves[2 * i] = Math.imul(v, 7919);
    halves[2 * i + 1] = v ^ 0x5555;
  }
  const dict = int64Dictionary(halves, Int32Array.from({ length: n + 100 }, (_, i) => i));
  assert.ok(dict !== null);
  assert.equal(dict.count, n);
  for (let i = n; i < n + 100; i++) assert.equal(dict.indices[i], i - 100, `value ${i} is found as entry ${i - 100}`);
});
