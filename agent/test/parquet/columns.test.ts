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

// Every way into a string column (appendUtf8, short or long, valid or not, near its buffer's end;
// append of a JavaScript string; a null; truncate, as a declined record does; the duplicate-key
// check of a map's keys), mixed at random across many growths of its buffers, against a plain list
// of the values.
test('a string column holds exactly its values through appends of every kind, truncations and key checks', () => {
  let seed = 7;
  const rand = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const col = new Utf8Column(1, 'string', true, true);
  const model: (Buffer | null)[] = [];
  const buf = new Uint8Array(new SharedArrayBuffer(1 << 16));
  const values = samples();
  const valueOf = (i: number): Buffer => {
    const src = col.source();
    assert.equal(src.kind, 'bytes');
    const { offsets, bytes } = src as { offsets: Int32Array; bytes: Uint8Array };
    return Buffer.from(bytes.subarray(offsets[i], offsets[i + 1]));
  };
  let checks = 0;
  for (let step = 0; step < 60_000; step++) {
    const op = rand(100);
    if (op < 70) {
      // A sample, or a long value (up to 24 KiB), at a random place, sometimes at the buffer's end.
      const v = rand(20) === 0 ? Buffer.alloc(1 + rand(24 * 1024), 0x41 + rand(26)) : values[rand(values.length)];
      const at = rand(4) === 0 ? buf.length - v.length : rand(buf.length - v.length);
      buf.set(v, at);
      const valid = isUtf8(v);
      assert.equal(col.appendUtf8(buf, at, at + v.length), valid, `step ${step}`);
      if (valid) model.push(v);
    } else if (op < 80) {
      const v = values[rand(values.length)];
      if (!isUtf8(v)) continue;
      col.append(v.toString('utf8'));
      model.push(v);
    } else if (op < 88) {
      col.append(null);
      model.push(null);
    } else if (op < 96) {
      const keep = Math.max(0, model.length - rand(6));
      col.truncate(keep);
      model.length = keep;
    } else if (op < 97) {
      for (let i = Math.max(0, model.length - 10); i < model.length; i++) assert.deepEqual(valueOf(i), model[i] ?? Buffer.alloc(0), `step ${step}, value ${i}`);
    } else {
      // The last few values as one map's keys.
      const from = Math.max(0, model.length - 1 - rand(20));
      const keys = model.slice(from).map((v) => (v ?? Buffer.alloc(0)).toString('latin1'));
      assert.equal(col.distinctFrom(from), new Set(keys).size === keys.length, `step ${step}`);
      checks++;
    }
    assert.equal(col.length, model.length);
  }
  assert.ok(checks > 1000);
  assert.ok(col.byteSize() > 1 << 20, 'the buffers grew many times');
  for (let i = 0; i < model.length; i++) assert.deepEqual(valueOf(i), model[i] ?? Buffer.alloc(0), `value ${i}`);
});
