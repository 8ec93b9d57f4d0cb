// The fetch loop's response buffers (source/fetch.ts BufferPool and Lease): a buffer goes back to
// the pool only when its last holder has released it, and is handed out again only after that;
// and the copy of a response's socket reads into one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BufferPool, copyIntoShared } from '../../src/source/fetch.ts';

test('a buffer is reused only after every holder released it', () => {
  const pool = new BufferPool(1024, 2);
  const a = pool.take(100);
  a.retain(); // a worker holds a chunk of it
  a.release(); // the fetcher is done delivering
  const b = pool.take(100);
  assert.notEqual(b.buffer, a.buffer, 'handed out while a worker still held it');
  a.release(); // the worker answered
  assert.equal(pool.idle, 1);
  const c = pool.take(1024);
  assert.equal(c.buffer, a.buffer);
  assert.equal(pool.idle, 0);
});

test('an oversized response gets a buffer of its own, never pooled; the pool keeps at most `keep`', () => {
  const pool = new BufferPool(1024, 2);
  const big = pool.take(4096);
  assert.equal(big.buffer.byteLength, 4096);
  big.release();
  assert.equal(pool.idle, 0);
  const leases = [pool.take(1), pool.take(1), pool.take(1)];
  for (const l of leases) l.release();
  assert.equal(pool.idle, 2);
});

test('releasing more often than retained, or retaining a released buffer, is a defect that throws', () => {
  const pool = new BufferPool(64);
  const a = pool.take(10);
  a.release();
  assert.throws(() => a.release(), /released more often/);
  assert.throws(() => a.retain(), /released fetch buffer/);
  assert.equal(pool.idle, 1);
});

test('copyIntoShared puts chunks at every relative alignment, and larger than its scratch, one after the other', () => {
  const backing = new Uint8Array(300_000);
  for (let i = 0; i < backing.length; i++) backing[i] = (i * 131 + (i >> 8)) & 0xff;
  // Pieces at every offset modulo 8 and of every length modulo 8, one of 150,000 bytes (more than
  // the 64 KiB scratch), as socket reads of one response arrive.
  const chunks: Uint8Array[] = [];
  let off = 0;
  for (const n of [1, 7, 8, 9, 15, 16, 17, 150_000, 3, 65_536, 65_541, 2]) {
    off += 1 + (n % 5);
    chunks.push(backing.subarray(off, off + n));
    off += n;
  }
  const expected = Buffer.concat(chunks);
  for (const dstOffset of [0, 1, 3, 8]) {
    const shared = new Uint8Array(new SharedArrayBuffer(expected.length + 16), dstOffset, expected.length);
    assert.equal(copyIntoShared(shared, chunks), expected.length);
    assert.ok(Buffer.from(shared.buffer, dstOffset, expected.length).equals(expected), `destination offset ${dstOffset}`);
  }
});
