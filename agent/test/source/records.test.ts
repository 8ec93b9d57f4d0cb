// Record-batch reading (source/records.ts) against batches made by an encoder we did not write:
// @platformatic/kafka's producer-side `createRecordsBatch`, in every codec Kafka has. The fetch path
// against a real broker is covered end to end in test/e2e (ingest-edges, exactly-once, transactions).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRecordsBatch } from '@platformatic/kafka';
import { forEachRecord, scanBatches } from '../../src/source/records.ts';

interface Msg {
  key?: Buffer;
  value?: Buffer;
  timestamp?: bigint;
}

/** One encoded batch whose first offset is `base`; attributes can be forced for control batches. */
function batch(base: number, messages: Msg[], options: Record<string, unknown> = {}, patch?: (b: Buffer) => void): Buffer {
  const w = createRecordsBatch(messages.map((m) => ({ topic: 't', ...m })) as never, options as never) as unknown as { buffer: Buffer };
  const b = Buffer.from(w.buffer);
  b.writeBigInt64BE(BigInt(base), 0);
  patch?.(b);
  return b;
}

function collect(buf: Uint8Array, from = 0, aborted: { producerId: bigint; firstOffset: bigint }[] | null = null) {
  const out: { offset: number; ts: number; key: string | null; value: string | null }[] = [];
  const n = forEachRecord(buf, from, aborted, (offset, ts, key, value) => {
    out.push({ offset, ts, key: key ? Buffer.from(key).toString() : null, value: value ? Buffer.from(value).toString() : null });
  });
  assert.equal(n, out.length);
  return out;
}

const T0 = 1_764_000_000_000n;
const msgs = (n: number, prefix = 'v'): Msg[] =>
  Array.from({ length: n }, (_, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(`${prefix}${i}`.repeat(1 + (i % 7))), timestamp: T0 + BigInt(i * 3) }));

for (const compression of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
  test(`reads every record of ${compression} batches, with offsets, timestamps, keys and values`, () => {
    const a = batch(100, msgs(50), { compression });
    const b = batch(150, msgs(30, 'w'), { compression });
    const recs = collect(Buffer.concat([a, b]));
    assert.equal(recs.length, 80);
    assert.deepEqual(
      recs.map((r) => r.offset),
      Array.from({ length: 80 }, (_, i) => 100 + i),
    );
    assert.deepEqual(recs[0], { offset: 100, ts: Number(T0), key: 'k0', value: 'v0' });
    assert.deepEqual(recs[56], { offset: 156, ts: Number(T0) + 18, key: 'k6', value: 'w6'.repeat(7) });
    const scan = scanBatches(Buffer.concat([a, b]));
    assert.deepEqual({ first: scan.firstOffset, next: scan.nextOffset, batches: scan.batches, ts: scan.minTimestamp }, { first: 100, next: 180, batches: 2, ts: Number(T0) });
  });
}

test('a trailing partial batch (cut by the broker at max bytes) is neither scanned nor read', () => {
  const a = batch(0, msgs(10));
  const b = batch(10, msgs(10));
  const buf = Buffer.concat([a, b.subarray(0, b.length - 5)]);
  const scan = scanBatches(buf);
  assert.equal(scan.batches, 1);
  assert.equal(scan.nextOffset, 10);
  assert.equal(scan.bytes, a.length);
  assert.equal(collect(buf).length, 10);
  // Less than a batch header: nothing at all.
  assert.equal(scanBatches(a.subarray(0, 11)).batches, 0);
});

test('records below `from` are skipped (a fetch from the middle of a batch)', () => {
  const buf = batch(1000, msgs(20));
  const recs = collect(buf, 1013);
  assert.deepEqual(
    recs.map((r) => r.offset),
    [1013, 1014, 1015, 1016, 1017, 1018, 1019],
  );
  assert.equal(collect(buf, 5000).length, 0);
});

test('null keys and values, empty values, and negative timestamp deltas survive', () => {
  const buf = batch(0, [
    { value: Buffer.from('x'), timestamp: T0 },
    { key: Buffer.alloc(0), value: Buffer.alloc(0), timestamp: T0 - 5000n },
    { key: Buffer.from('k'), timestamp: T0 + 1n },
  ]);
  assert.deepEqual(collect(buf), [
    { offset: 0, ts: Number(T0), key: null, value: 'x' },
    { offset: 1, ts: Number(T0) - 5000, key: '', value: '' },
    { offset: 2, ts: Number(T0) + 1, key: 'k', value: null },
  ]);
});

test('log-append-time batches give every record the batch max timestamp', () => {
  const buf = batch(0, msgs(3), {}, (b) => {
    b.writeInt16BE(b.readInt16BE(21) | 0x08, 21);
    b.writeBigInt64BE(T0 + 99_000n, 35);
  });
  assert.deepEqual(
    collect(buf).map((r) => r.ts),
    [Number(T0) + 99_000, Number(T0) + 99_000, Number(T0) + 99_000],
  );
});

// A transaction marker: a control batch of one record whose key is version 0, type 0 (ABORT) or 1 (COMMIT).
function marker(base: number, producerId: bigint, type: 0 | 1): Buffer {
  return batch(base, [{ key: Buffer.from([0, 0, 0, type]), value: Buffer.from([0, 0, 0, 0, 0, 0]), timestamp: T0 }], { producerId }, (b) => {
    b.writeInt16BE(0x30, 21); // transactional | control
  });
}

test('control batches are skipped; READ_COMMITTED drops the batches of aborted transactions only', () => {
  const txn = (base: number, pid: bigint, prefix: string) => batch(base, msgs(3, prefix), { producerId: pid, transactionalId: 'x' });
  const buf = Buffer.concat([
    txn(0, 7n, 'committed'), // 0-2, committed by the marker at 6
    txn(3, 8n, 'aborted'), // 3-5, aborted by the marker at 7
    marker(6, 7n, 1),
    marker(7, 8n, 0),
    batch(8, msgs(2, 'plain')), // 8-9, not transactional
    txn(10, 8n, 'again'), // 10-12: producer 8's next transaction, committed
    marker(13, 8n, 1),
  ]);
  const aborted = [{ producerId: 8n, firstOffset: 3n }];
  const recs = collect(buf, 0, aborted);
  assert.deepEqual(
    recs.map((r) => r.offset),
    [0, 1, 2, 8, 9, 10, 11, 12],
  );
  assert.ok(recs.every((r) => !r.value!.startsWith('aborted')));
  // Reading from after the markers: the ABORT marker below `from` still ends producer 8's aborted
  // transaction, so its next (committed) one is read.
  assert.deepEqual(
    collect(buf, 8, aborted).map((r) => r.offset),
    [8, 9, 10, 11, 12],
  );
  // READ_UNCOMMITTED (no aborted list): everything but the markers.
  assert.equal(collect(buf, 0, null).length, 11);
  // Offsets still advance over the markers.
  assert.equal(scanBatches(buf).nextOffset, 14);
});

test('corrupt or unsupported input is refused with where and what', () => {
  const good = batch(42, msgs(5));
  const badMagic = Buffer.from(good);
  badMagic.writeInt8(1, 16);
  assert.throws(() => scanBatches(badMagic, 'in t[3]'), /message format v1 in t\[3\] is not supported/);
  const badLength = Buffer.from(good);
  badLength.writeInt32BE(10, 8);
  assert.throws(() => forEachRecord(badLength, 0, null, () => {}, 'in t[0]'), /corrupt Kafka record batch in t\[0\]: batch length 10/);
  // A record count larger than the records present: the read runs past the end of the batch.
  const badCount = Buffer.from(good);
  badCount.writeInt32BE(9, 57);
  assert.throws(() => forEachRecord(badCount, 0, null, () => {}, 'in t[1]'), /corrupt Kafka record batch in t\[1\]: .*past the end.* offset 42/);
  const badCodec = Buffer.from(good);
  badCodec.writeInt16BE(0x07, 21);
  assert.throws(() => forEachRecord(badCodec, 0, null, () => {}), /unknown compression codec 7 at offset 42/);
});
