// The dictionaries' tables keep their per-entry arrays for the next column chunk (encode.ts
// DictTable). A file of its own, so that this process's tables start small whatever other tests
// built before: the case needs a table of one-word keys to have grown the shared arrays first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { int32Dictionary } from '../../src/parquet/encode.ts';
import { checkBytesDictionary } from './dictionary-helpers.ts';

test('a byte-array dictionary has room for its four-word keys after an int32 dictionary grew the shared entries', () => {
  // 20,000 int32 entries leave room for 32,768 entries, with one key word each.
  const ints = Int32Array.from({ length: 20_000 }, (_, i) => i * 7919);
  assert.equal(int32Dictionary(ints, Int32Array.from(ints, (_, i) => i))?.count, 20_000);
  // 12,000 byte-array entries need 48,000 key words; then the last 100 values again, whose keys lie
  // furthest out: each must be found, not added a second time.
  const values = Array.from({ length: 12_000 }, (_, i) => new Uint8Array(Buffer.from(`v${i}`)));
  assert.equal(checkBytesDictionary([...values, ...values.slice(-100)], 0), 12_000);
});
