// The dictionaries on their own (kernels.ts): byte arrays, then fixed-width values. For byte arrays: every value maps to an entry with the same
// bytes, equal values to the same entry, whatever the lengths (keys of up to 16 bytes are compared
// as masked words, longer ones byte for byte), trailing NULs, values sharing a hash, blocks cut by
// count, by span and by bytes. Files it writes are read back by pyarrow, duckdb and arrow-rs in
// writer.test.ts; this covers the corners those files do not reach.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bytesDictionary, dictionaryHash, DICTIONARY_BYTES, fixedDictionary, MAX_PROBE } from '../../src/parquet/kernels.ts';
import { prng } from './helpers.ts';
import { checkBytesDictionary, layout } from './dictionary-helpers.ts';

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
    const next = prng(7);
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
    const next = prng(11);
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

/**
 * Builds the dictionary of the `width`-word values at `slots` of `words` and checks it as
 * checkBytesDictionary does; returns the entry count.
 */
function checkFixed(words: Int32Array, width: 1 | 2, slots: Int32Array): number {
  const dict = fixedDictionary(words, width, slots);
  assert.ok(dict !== null);
  const key = (slot: number): string => Array.from(words.subarray(slot * width, (slot + 1) * width)).join(',');
  const entryOf = new Map<string, number>();
  for (let i = 0; i < slots.length; i++) {
    const k: number = dict.indices[i];
    assert.ok(k >= 0 && k < dict.count, `value ${i} has index ${k} of ${dict.count}`);
    assert.equal(key(dict.entries[k]), key(slots[i]), `value ${i} maps to entry ${k}`);
    const first = entryOf.get(key(slots[i]));
    if (first === undefined) {
      assert.equal(k, entryOf.size, `value ${i} is new: the next entry`);
      entryOf.set(key(slots[i]), k);
    } else assert.equal(k, first, `value ${i} has one entry`);
  }
  assert.equal(dict.count, entryOf.size, 'one entry per distinct value');
  return dict.count;
}

/** The little-endian bytes of `width` words (what dictionaryHash hashes for fixedDictionary's key). */
const wordBytes = (words: number[]): Uint8Array => new Uint8Array(Int32Array.from(words).buffer);

describe('fixedDictionary', () => {
  it('indexes int32 and int64 values in runs and at random, every slot or sparse ones, across blocks', () => {
    const next = prng(5);
    for (const width of [1, 2] as const) {
      const pool = Array.from({ length: 5000 }, (_, i) => [Math.floor(next() * 2 ** 32) | 0, i % 3 === 0 ? 0 : (next() * 2 ** 32) | 0]);
      const n = 40_000;
      const words = new Int32Array(width * n);
      for (let i = 0; i < n; ) {
        const v = pool[Math.floor(next() * next() * pool.length)];
        for (let run = 1 + Math.floor(next() * 4); run > 0 && i < n; run--, i++) for (let w = 0; w < width; w++) words[i * width + w] = v[w];
      }
      for (const stride of [1, 2, 5]) {
        const slots = Int32Array.from({ length: Math.floor(n / stride) }, (_, i) => i * stride);
        const distinct = new Set(Array.from(slots, (s) => Array.from(words.subarray(s * width, (s + 1) * width)).join(','))).size;
        assert.equal(checkFixed(words, width, slots), distinct, `width ${width}, every ${stride}th slot`);
      }
    }
  });

  it('keys floats and doubles by their bits: -0 and +0, and NaN payloads, stay apart', () => {
    const floats = Float32Array.of(0, -0, NaN, 1.5, 0, -0, 1.5, NaN);
    const f32 = new Int32Array(floats.buffer);
    f32[7] = 0x7fc00001; // another NaN payload
    assert.equal(checkFixed(f32, 1, Int32Array.from(f32, (_, i) => i)), 5);
    const doubles = Float64Array.of(0, -0, NaN, -0, 0, 2 ** 60);
    assert.equal(checkFixed(new Int32Array(doubles.buffer), 2, Int32Array.from(doubles, (_, i) => i)), 4);
  });

  it('gives up past DICTIONARY_BYTES of entries, to the entry', () => {
    for (const width of [1, 2] as const) {
      const limit = DICTIONARY_BYTES / (4 * width);
      const words = Int32Array.from({ length: width * (limit + 1) }, (_, i) => (width === 1 ? i : i >> 1) * 7 + (i & 1));
      const slots = Int32Array.from({ length: limit + 1 }, (_, i) => i);
      assert.equal(fixedDictionary(words, width, slots), null, `${limit + 1} values of ${width} words`);
      assert.equal(fixedDictionary(words, width, slots.subarray(0, limit))?.count, limit, `${limit} values of ${width} words`);
    }
  });

  it(`gives up, rather than probe ever longer, when many values share one home (${MAX_PROBE} places past it)`, () => {
    for (const width of [1, 2] as const) {
      const crowd: number[][] = [];
      for (let k = 1; crowd.length < MAX_PROBE + 2; k++) {
        const v = width === 1 ? [k * 2654435761] : [k, k ^ 0x5bd1e995];
        if ((dictionaryHash(wordBytes(v)) & 1023) === 0) crowd.push(v);
      }
      const words = Int32Array.from(crowd.flat());
      const slots = Int32Array.from(crowd, (_, i) => i);
      assert.equal(fixedDictionary(words, width, slots), null, `${width} words`);
      assert.equal(checkFixed(words, width, slots.subarray(0, MAX_PROBE + 1)), MAX_PROBE + 1, `${width} words`);
    }
  });

  it('refuses slots that do not ascend', () => {
    assert.throws(() => fixedDictionary(Int32Array.of(1, 2, 3), 1, Int32Array.of(2, 0)), /slots must ascend/);
    assert.throws(() => fixedDictionary(Int32Array.of(1, 2, 3, 4, 5, 6), 2, Int32Array.of(1, 0, 2)), /slots must ascend/);
  });
});
