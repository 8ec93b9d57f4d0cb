// The RLE/bit-packing hybrid (kernels.ts hybrid), decoded by a reader written here from
// parquet-format's Encodings.md: every value comes back, a run of 8 or more equal values costs a few
// bytes, and the module's memory grows for a large page without losing what it holds. Files written
// with it are read by pyarrow, duckdb and arrow-rs in writer.test.ts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bytesDictionary, hybrid } from '../../src/parquet/kernels.ts';
import { prng, readVarint } from './helpers.ts';
import { checkBytesDictionary } from './dictionary-helpers.ts';

/** The values of a hybrid stream (bit-packed groups' padding included), as unsigned numbers. */
function decode(bytes: Uint8Array, bw: number): number[] {
  const out: number[] = [];
  const at = { p: 0 };
  while (at.p < bytes.length) {
    const header = readVarint(bytes, at);
    if (header % 2 === 0) {
      let value = 0;
      for (let b = 0; b < Math.ceil(bw / 8); b++) value += bytes[at.p++] * 2 ** (8 * b);
      for (let k = 0; k < header / 2; k++) out.push(value);
    } else {
      const count = ((header - 1) / 2) * 8;
      let bit = 0;
      for (let k = 0; k < count; k++) {
        let value = 0;
        for (let b = 0; b < bw; b++, bit++) if (bytes[at.p + (bit >> 3)] & (1 << (bit & 7))) value += 2 ** b;
        out.push(value);
      }
      assert.equal(bit % 8, 0, 'bit-packed groups end on a byte');
      at.p += bit / 8;
    }
  }
  assert.equal(at.p, bytes.length, 'the stream ends at its last run');
  return out;
}

/** Values of `bw` bits in runs of random lengths (1 to 20), unsigned. */
function runs(next: () => number, n: number, bw: number): number[] {
  const values: number[] = [];
  while (values.length < n) {
    const v = Math.floor(next() * 2 ** bw);
    const len = 1 + Math.floor(next() * next() * 20);
    for (let k = 0; k < len && values.length < n; k++) values.push(v);
  }
  return values;
}

function roundTrip(values: Uint8Array | Int32Array, from: number, to: number, bw: number): Uint8Array {
  const encoded = hybrid(values, from, to, bw).slice();
  const decoded = decode(encoded, bw);
  const expected = Array.from(values.subarray(from, to), (v) => v >>> 0);
  assert.deepEqual(decoded.slice(0, to - from), expected, `${to - from} values of ${bw} bits`);
  assert.ok(decoded.length - (to - from) < 8, 'at most a group of padding');
  assert.ok(decoded.slice(to - from).every((v) => v === 0), 'the padding is zeros');
  return encoded;
}

describe('hybrid', () => {
  it('encodes levels (bytes) and indices (int32) of every width, whatever their runs and lengths', () => {
    const next = prng(3);
    for (let bw = 1; bw <= 32; bw++) {
      for (const n of [0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 300, 5000]) {
        const values = runs(next, n, bw);
        if (bw <= 8) roundTrip(Uint8Array.from(values), 0, n, bw);
        const ints = Int32Array.from(values, (v) => v | 0);
        roundTrip(ints, 0, n, bw);
        if (n > 20) roundTrip(ints, 5, n - 3, bw); // a page within the column
      }
    }
  });

  it('writes a run of 8 or more equal values as one RLE run, at any group boundary', () => {
    assert.equal(roundTrip(new Int32Array(100_000).fill(5), 0, 100_000, 3).length, 3 + 1); // a 3-byte varint, one byte
    assert.deepEqual([...roundTrip(new Int32Array(8).fill(5), 0, 8, 3)], [8 * 2, 5]); // an RLE run, not one group of 3 bytes
    assert.deepEqual([...roundTrip(new Int32Array(7).fill(5), 0, 7, 3)], [1 * 2 + 1, 0b01101101, 0b11011011, 0b00010110]); // one group: 7 values and a 0
    // 8 other values, 7 equal ones and another: one bit-packed run of 2 groups (a header and 2 * 3 bytes).
    assert.equal(roundTrip(Int32Array.from([0, 1, 2, 3, 4, 5, 6, 7, 2, 2, 2, 2, 2, 2, 2, 3]), 0, 16, 3).length, 1 + 6);
    // Fewer than 8 values left after a group: no run, whatever the memory past them holds (a page of 7s before).
    hybrid(new Int32Array(64).fill(7), 0, 64, 3);
    assert.equal(roundTrip(Int32Array.from([0, 1, 2, 3, 4, 5, 6, 5, 7, 7, 7]), 0, 11, 3).length, 1 + 6);
    // Levels 0,1,1,1,1,0 then a long run: bit-packed groups, then the run.
    const levels = Uint8Array.from([0, 1, 1, 1, 1, 0, 1, 1, ...new Array(1000).fill(1)]);
    assert.ok(roundTrip(levels, 0, levels.length, 1).length <= 1 + 1 + 2 + 1, 'one group, then one run');
    // Runs of exactly 8 after 1..15 other values.
    for (let lead = 1; lead <= 15; lead++) {
      const v = Int32Array.from([...Array.from({ length: lead }, (_, k) => k % 3), ...new Array(8).fill(7), 1, 2]);
      roundTrip(v, 0, v.length, 3);
    }
  });

  it('grows its memory for a large page, and the dictionary works on after it', () => {
    const next = prng(9);
    const n = 3_000_000;
    const values = Int32Array.from({ length: n }, () => Math.floor(next() * 2 ** 20));
    const encoded = hybrid(values, 0, n, 20);
    assert.deepEqual(decode(encoded.slice(), 20), Array.from(values));
    assert.equal(checkBytesDictionary([new Uint8Array([1, 2]), new Uint8Array(40).fill(3), new Uint8Array([1, 2])], 0), 2);
    assert.ok(bytesDictionary(new Int32Array([0, 0]), new Uint8Array(0), Int32Array.of(0)) !== null);
  });
});
