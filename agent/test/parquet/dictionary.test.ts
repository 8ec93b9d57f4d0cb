// The byte-array dictionary on its own (kernels.ts): every value maps to an entry with the same
// bytes, equal values to the same entry, whatever the lengths (keys of up to 16 bytes are compared
// as masked words, longer ones byte for byte), trailing NULs, values sharing a hash, blocks cut by
// count, by span and by bytes. Files it writes are read back by pyarrow, duckdb and arrow-rs in
// writer.test.ts; this covers the corners those files do not reach.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bytesDictionary, dictionaryHash, DICTIONARY_BYTES, MAX_PROBE } from '../../src/parquet/kernels.ts';
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

const text = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));

/** Two distinct values of `length` bytes with the same 32-bit hash (a birthday search: ~80,000 values). */
function collidingPair(length: number): [Uint8Array, Uint8Array] {
  const seen = new Map<number, Uint8Array>();
  for (let k = 0; ; k++) {
    const v = text(k.toString(36).padStart(length, '~'));
    const h = dictionaryHash(v);
    const other = seen.get(h);
    if (other !== undefined) return [other, v];
    seen.set(h, v);
  }
}

/** `n` distinct values of `length` bytes whose hashes share their low 10 bits: one home in the first table (1,024 places). */
function sharingHome(n: number, length: number): Uint8Array[] {
  const found: Uint8Array[] = [];
  for (let k = 0; found.length < n; k++) {
    const v = text(k.toString(36).padStart(length, '-'));
    if ((dictionaryHash(v) & 1023) === 0) found.push(v);
  }
  return found;
}

describe('bytesDictionary', () => {
  it('tells apart values that differ only in length or in trailing NULs, below, at and past the short-key length', () => {
    const base = [...Buffer.from('abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG')];
    const distinct: Uint8Array[] = [];
    for (let len = 0; len <= 40; len++) {
      distinct.push(Uint8Array.from(base.slice(0, len)));
      distinct.push(Uint8Array.from([...base.slice(0, len), 0]));
      distinct.push(new Uint8Array(len)); // all NULs
      if (len > 0) distinct.push(Uint8Array.from([...base.slice(0, len - 1), 0xff])); // last byte differs
      if (len > 0) distinct.push(Uint8Array.from([0xfe, ...base.slice(1, len)])); // first byte differs
    }
    const next = random(7);
    const values = Array.from({ length: 5000 }, () => distinct[Math.floor(next() * distinct.length)]);
    values.push(...distinct); // every one at least once
    const unique = new Set(distinct.map((d) => Buffer.from(d).toString('hex'))).size;
    for (const slack of [0, 3, 11, 12, 64]) assert.equal(checkBytesDictionary(values, slack), unique, `slack ${slack}`);
  });

  it('tells apart short values that differ only in trailing NULs when they share a home in the table', () => {
    // The masked words of "xyz" and "xyz\0" are equal: only the length tells them apart.
    let pairs = 0;
    for (let k = 0; pairs < 3; k++) {
      const v = text(`v${k}`);
      const nul = Uint8Array.from([...v, 0]);
      if (((dictionaryHash(v) ^ dictionaryHash(nul)) & 1023) !== 0) continue;
      pairs++;
      assert.equal(checkBytesDictionary([v, nul, v, nul], 0), 2, `${Buffer.from(v)} and its NUL`);
      assert.equal(checkBytesDictionary([nul, v, nul], 0), 2, `${Buffer.from(v)} and its NUL`);
    }
  });

  it('finds a value ending at the buffer end equal to the same value elsewhere', () => {
    const values = [text('mobile'), text('tv'), text('δέλτα'), text(''), text('mobile'), text('tv'), text('δέλτα'), text('')];
    assert.equal(checkBytesDictionary(values, 0), 4);
    const longer = [text('evt-0000abcd-x-0123456789'), text('mobile'), text('evt-0000abcd-x-0123456789'), text('mobile')];
    assert.equal(checkBytesDictionary(longer, 0), 2);
  });

  it('keeps values whose hashes are equal apart, short and long (their bytes are compared, not only the hash)', () => {
    for (const length of [8, 16, 17, 24]) {
      const [a, b] = collidingPair(length);
      assert.notDeepEqual(a, b);
      assert.equal(dictionaryHash(a), dictionaryHash(b));
      assert.equal(checkBytesDictionary([a, b, a, b, b, a], 0), 2, `${length} bytes`);
      assert.equal(checkBytesDictionary([b, a, a], 5), 2, `${length} bytes`);
    }
  });

  it(`gives up, rather than probe ever longer, when many values share one home (${MAX_PROBE} places past it)`, () => {
    for (const length of [6, 20]) {
      const crowd = sharingHome(MAX_PROBE + 2, length);
      const { offsets, bytes, slots } = layout(crowd, 0);
      assert.equal(bytesDictionary(offsets, bytes, slots), null, `${length} bytes`);
      // The last one within the limit still makes a dictionary, one entry each.
      assert.equal(checkBytesDictionary(crowd.slice(0, MAX_PROBE + 1), 0), MAX_PROBE + 1, `${length} bytes`);
    }
  });

  it('gives up past DICTIONARY_BYTES of entries, and for one value longer than that', () => {
    const n = Math.ceil(DICTIONARY_BYTES / (4 + 8)) + 10;
    const values = Array.from({ length: n }, (_, i) => text(i.toString(16).padStart(8, '0')));
    const { offsets, bytes, slots } = layout(values, 0);
    assert.equal(bytesDictionary(offsets, bytes, slots), null);
    assert.equal(checkBytesDictionary(values.slice(0, Math.floor(DICTIONARY_BYTES / 12)), 0), Math.floor(DICTIONARY_BYTES / 12));
    // Exactly DICTIONARY_BYTES: a value of DICTIONARY_BYTES - 4 bytes fits, one byte more does not.
    for (const [length, fits] of [[DICTIONARY_BYTES - 4, true], [DICTIONARY_BYTES - 3, false], [3 * DICTIONARY_BYTES, false]] as const) {
      const big = new Uint8Array(length).fill(0x41);
      if (fits) assert.equal(checkBytesDictionary([big, big], 0), 1, `${length} bytes`);
      else {
        const laid = layout([big, big], 0);
        assert.equal(bytesDictionary(laid.offsets, laid.bytes, laid.slots), null, `${length} bytes`);
      }
    }
    // Two values of 2 + (DICTIONARY_BYTES / 2 - 6) bytes: exactly DICTIONARY_BYTES with their 4 bytes each.
    const half = (fill: number, extra: number): Uint8Array => new Uint8Array(DICTIONARY_BYTES / 2 - 4 + extra).fill(fill);
    assert.equal(checkBytesDictionary([half(1, 0), half(2, 0), half(1, 0)], 0), 2);
    const over = layout([half(1, 0), half(2, 1)], 0);
    assert.equal(bytesDictionary(over.offsets, over.bytes, over.slots), null);
  });

  it('indexes many values across blocks: cut by count, by the span of sparse slots and by bytes', () => {
    const next = random(11);
    const pool = Array.from({ length: 3000 }, (_, i) => {
      const len = Math.floor(next() * 48);
      return text(`${i}:`.padEnd(len, String.fromCharCode(97 + (i % 26))).slice(0, Math.max(len, `${i}:`.length)));
    });
    const values = Array.from({ length: 30_000 }, () => pool[Math.floor(next() * next() * pool.length)]);
    const unique = new Set(values.map((v) => Buffer.from(v).toString('hex'))).size;
    for (const stride of [1, 3, 7]) assert.equal(checkBytesDictionary(values, 0, stride), unique, `every ${stride}th slot`);
    // Values of ~100 KB: blocks of a few values each (the 9 entries' bytes, under DICTIONARY_BYTES), some values repeating across them.
    const big = Array.from({ length: 9 }, (_, i) => new Uint8Array(100_000 + i).fill(65 + i));
    const bigValues = Array.from({ length: 60 }, (_, i) => big[(i * 7) % big.length]);
    assert.equal(checkBytesDictionary(bigValues, 0, 2), big.length);
  });

  it('refuses slots that do not ascend', () => {
    const { offsets, bytes } = layout([text('a'), text('b'), text('c')], 0);
    assert.throws(() => bytesDictionary(offsets, bytes, Int32Array.of(2, 0)), /slots must ascend/);
    assert.throws(() => bytesDictionary(offsets, bytes, Int32Array.of(1, 0, 2)), /slots must ascend/);
  });

  it('starts afresh for each chunk: a dictionary that was given up leaves nothing behind', () => {
    const crowd = sharingHome(MAX_PROBE + 2, 6);
    const laid = layout(crowd, 0);
    assert.equal(bytesDictionary(laid.offsets, laid.bytes, laid.slots), null);
    assert.equal(checkBytesDictionary([text('x'), crowd[0], text('x')], 0), 2);
  });
});
