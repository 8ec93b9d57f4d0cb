// Utf8Column.appendUtf8, the decoders' fast path for strings: a value of up to 16 bytes is copied as
// four whole words (bytes past its end included) and checked through masks, a longer one or one
// near the end of its buffer otherwise. Whatever follows a value in its buffer, and wherever it lies,
// the column must hold exactly its bytes, and refuse it (appending nothing) exactly when it is not
// valid UTF-8 (node:buffer's isUtf8 is the reference).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isUtf8 } from 'node:buffer';
import { Utf8Column } from '../../src/parquet/columns.ts';

/** The column's values as byte arrays (from its Parquet source: offsets and bytes). */
function valuesOf(col: Utf8Column): Buffer[] {
  const src = col.source();
  assert.equal(src.kind, 'bytes');
  const { offsets, bytes } = src as { offsets: Int32Array; bytes: Uint8Array };
  return Array.from({ length: col.length }, (_, i) => Buffer.from(bytes.subarray(offsets[i], offsets[i + 1])));
}

// Values of every length up to 40 bytes: ASCII, valid multi-byte UTF-8, and invalid sequences (a
// lone continuation byte, a truncated sequence, an overlong encoding, a surrogate) at the start, in
// the middle and at the end.
function samples(): Buffer[] {
  const out: Buffer[] = [];
  for (let n = 0; n <= 40; n++) {
    const ascii = Buffer.alloc(n, 0x61);
    for (let k = 0; k < n; k++) ascii[k] = 0x61 + (k % 26);
    out.push(ascii);
    if (n >= 2) out.push(Buffer.concat([Buffer.from('é'), ascii.subarray(2)])); // valid, 2 bytes at the start
    if (n >= 4) out.push(Buffer.concat([ascii.subarray(0, n - 4), Buffer.from('😀')])); // valid, 4 bytes at the end
    for (const bad of [[0x80], [0xc3], [0xe2, 0x82], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xff]]) {
      if (bad.length > n) continue;
      for (const at of [0, n >> 1, n - bad.length]) {
        const v = Buffer.from(ascii);
        Buffer.from(bad).copy(v, at);
        out.push(v);
      }
    }
  }
  return out;
}

test('appendUtf8 keeps exactly the bytes of valid values and refuses the others, wherever they lie and whatever follows them', () => {
  const values = samples();
  // Each value at the start, the middle and the very end of a buffer whose other bytes have their
  // high bit set, so that bytes copied past a value's end would be taken for UTF-8 if not masked.
  for (const where of ['start', 'middle', 'end'] as const) {
    const col = new Utf8Column(1, 'string', true, true);
    const kept: Buffer[] = [];
    for (const v of values) {
      const buf = new Uint8Array(new SharedArrayBuffer(v.length + 40)).fill(0xbf);
      const start = where === 'start' ? 0 : where === 'middle' ? 17 : buf.length - v.length;
      buf.set(v, start);
      const valid = isUtf8(v);
      assert.equal(col.appendUtf8(buf, start, start + v.length), valid, `${where}: ${v.toString('hex')}`);
      if (valid) kept.push(v);
      assert.equal(col.length, kept.length);
    }
    assert.deepEqual(valuesOf(col), kept);
  }
});

test('appendUtf8 grows the column past its first buffer, values of every length packed end to end', () => {
  const col = new Utf8Column(1, 'string', false, true);
  const buf = new Uint8Array(new SharedArrayBuffer(1 << 16));
  for (let i = 0; i < buf.length; i++) buf[i] = 0x20 + (i % 90);
  const expected: Buffer[] = [];
  // ~700 KB of values, well past the column's initial 16 KiB of bytes, one of each length in turn.
  for (let i = 0, at = 0; i < 40_000; i++) {
    const n = i % 37;
    if (at + n > buf.length) at = 0;
    assert.equal(col.appendUtf8(buf, at, at + n), true);
    expected.push(Buffer.from(buf.subarray(at, at + n)));
    at += n + (i % 5);
  }
  assert.deepEqual(valuesOf(col), expected);
});
