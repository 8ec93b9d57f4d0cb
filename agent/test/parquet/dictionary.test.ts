// The byte-array dictionary on its own: every value maps to an entry with the same bytes, and equal
// values to the same entry, whatever the lengths (short keys are compared as masked words), trailing
// NULs, and values that end at the very end of the buffer. Files it writes are read back by pyarrow,
// duckdb and arrow-rs in writer.test.ts; this covers the corners those files do not reach.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bytesDictionary, DICTIONARY_BYTES } from '../../src/parquet/encode.ts';
import { checkBytesDictionary, layout } from './dictionary-helpers.ts';

/** A small deterministic generator (xorshift32), so a failure reproduces. */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/**
 * `n` distinct 16-byte values with one long-value hash. The hash (encode.ts bytesDictionary) folds
 * little-endian words w into h as imul(h ^ w, 0x01000193); value k changes word 0 and chooses word
 * 1 so that the state after it, and so the hash, is that of the first value. If the hash changes,
 * the tests using these still pass without testing collisions: keep this in step with it.
 */
function collidingValues(n: number): Uint8Array[] {
  const P = 0x01000193;
  const seed = Math.imul(0x811c9dc5 ^ 16, P);
  const base = new Uint8Array(Buffer.from('0123456789abcdef'));
  const w0 = new DataView(base.buffer).getInt32(0, true);
  const w1 = new DataView(base.buffer).getInt32(4, true);
  const state = Math.imul(Math.imul(seed ^ w0, P) ^ w1, P);
  return Array.from({ length: n }, (_, k) => {
    const v = Uint8Array.from(base);
    const view = new DataView(v.buffer);
    const w0k = w0 ^ (k << 8);
    view.setInt32(0, w0k, true);
    view.setInt32(4, Math.imul(seed ^ w0, P) ^ w1 ^ Math.imul(seed ^ w0k, P), true);
    assert.equal(Math.imul(Math.imul(seed ^ w0k, P) ^ view.getInt32(4, true), P), state, `value ${k} has the same state after two words`);
    return v;
  });
}

describe('bytesDictionary', () => {
  it('tells apart values that differ only in length or in trailing NULs, up to and past the short-key length', () => {
    const base = [...Buffer.from('abcdefghijklmnopqrstu')];
    const distinct: Uint8Array[] = [];
    for (let len = 0; len <= 20; len++) {
      distinct.push(Uint8Array.from(base.slice(0, len)));
      distinct.push(Uint8Array.from([...base.slice(0, len), 0]));
      distinct.push(new Uint8Array(len)); // all NULs
      if (len > 0) distinct.push(Uint8Array.from([...base.slice(0, len - 1), 0xff])); // last byte differs
    }
    const next = random(7);
    const values = Array.from({ length: 5000 }, () => distinct[Math.floor(next() * distinct.length)]);
    values.push(...distinct); // every one at least once
    const unique = new Set(distinct.map((d) => Buffer.from(d).toString('hex'))).size;
    for (const slack of [0, 3, 11, 12, 64]) assert.equal(checkBytesDictionary(values, slack), unique, `slack ${slack}`);
  });

  it('finds a value ending at the buffer end equal to the same value elsewhere', () => {
    const v = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));
    // The last values sit within twelve bytes of the end and take the byte-at-a-time words.
    const values = [v('mobile'), v('tv'), v('δέλτα'), v(''), v('mobile'), v('tv'), v('δέλτα'), v('')];
    assert.equal(checkBytesDictionary(values, 0), 4);
    const longer = [v('evt-0000abcd-x'), v('mobile'), v('evt-0000abcd-x'), v('mobile')];
    assert.equal(checkBytesDictionary(longer, 0), 2);
  });

  it('keeps long values whose hashes collide apart (their bytes are compared, not only the hash)', () => {
    const [a, b] = collidingValues(2);
    assert.notDeepEqual(a, b);
    assert.equal(checkBytesDictionary([a, b, a, b, b, a], 0), 2);
    assert.equal(checkBytesDictionary([b, a, a], 5), 2);
  });

  it('gives up, rather than probe ever longer, when many values share one hash', () => {
    const colliding = collidingValues(200);
    const { offsets, bytes, slots } = layout(colliding, 0);
    assert.equal(bytesDictionary(offsets, bytes, slots), null);
    // Fewer than the probe limit still make a dictionary, one entry each.
    assert.equal(checkBytesDictionary(colliding.slice(0, 40), 0), 40);
  });

  it('gives up past DICTIONARY_BYTES of entries', () => {
    const n = Math.ceil(DICTIONARY_BYTES / (4 + 8)) + 10;
    const values = Array.from({ length: n }, (_, i) => new Uint8Array(Buffer.from(i.toString(16).padStart(8, '0'))));
    const { offsets, bytes, slots } = layout(values, 0);
    assert.equal(bytesDictionary(offsets, bytes, slots), null);
    assert.notEqual(bytesDictionary(offsets, bytes, slots.subarray(0, n - 20)), null);
  });
});
