// The fetch loop's response buffers (source/fetch.ts BufferPool and Lease): a buffer goes back to
// the pool only when its last holder has released it, and is handed out again only after that.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BufferPool } from '../../src/source/fetch.ts';

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
