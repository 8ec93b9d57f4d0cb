// Retention: old hour partitions are dropped by metadata; unpartitioned tables lose exactly the
// old rows. Readers stop seeing them; recorded offsets do not move.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { currentSnapshot, readRecordedOffsets } from '../../src/iceberg/index.ts';
import { enforceRetention } from '../../src/maintenance/retention.ts';
import { HOUR_US, Producer, PyIceberg, createTable, liveFiles, sorted, stepContext, tablePrefix, tempWarehouse } from './helpers.ts';

let py: PyIceberg;
before(() => {
  py = new PyIceberg();
});
after(async () => {
  await py.close();
});

const tsOf = (key: string): bigint => BigInt(key.slice(key.lastIndexOf(':') + 1));
const MIN_US = 60_000_000n;

describe('retention', () => {
  it('drops whole hour partitions older than the cutoff, by metadata', async () => {
    await using wh = await tempWarehouse('retention-hour');
    const table = await createTable(wh.store, tablePrefix(), 'hour');
    const producer = new Producer(table, 0, 50);
    const nowHour = BigInt(Math.floor(Date.now() / 3_600_000));
    for (let h = 6n; h >= 0n; h--) {
      await producer.append(10, (nowHour - h) * HOUR_US + 60_000_000n);
      await producer.append(10, (nowHour - h) * HOUR_US + 120_000_000n);
    }
    const offsets = readRecordedOffsets(await table.refresh());
    const ctx = stepContext(table, { settings: { retention_seconds: 3 * 3600 } });
    const r = await enforceRetention(ctx);
    assert.ok(r);
    // The cutoff falls inside hour now-3 (or exactly on its start): hours now-6..now-4 go.
    const cutoffUs = BigInt(r.cutoffMs) * 1000n;
    const expectedKept = producer.committed.filter((k) => tsOf(k) >= (cutoffUs / HOUR_US) * HOUR_US);
    assert.equal(r.partitionsDropped, 3);
    assert.equal(r.filesDropped, 6);
    assert.equal(r.filesRewritten, 0);
    const md = await table.refresh();
    assert.equal(currentSnapshot(md)?.summary.operation, 'delete');
    assert.deepEqual(readRecordedOffsets(md), offsets);
    const got = await py.scan(table.metadataUri());
    assert.deepEqual(got.keys, sorted(expectedKept));
    assert.ok(got.keys.every((k) => tsOf(k) >= cutoffUs - HOUR_US));
    assert.equal((await liveFiles(table)).length, 8);
    // Nothing more to drop until time moves on.
    assert.equal((await enforceRetention(ctx))?.commits, 0);
  });

  it('drops old unpartitioned files whole and rewrites a straddling one without its old rows', async () => {
    await using wh = await tempWarehouse('retention-flat');
    const table = await createTable(wh.store, tablePrefix());
    const producer = new Producer(table, 0, 50);
    const now = BigInt(Date.now()) * 1000n;
    await producer.append(20, now - 5n * HOUR_US); // all old
    await producer.append(25, now - 3n * HOUR_US, 5n * MIN_US); // -3 h .. -1 h: straddles the cutoff
    await producer.append(20, now - 10n * MIN_US); // all recent
    const offsets = readRecordedOffsets(await table.refresh());
    const ctx = stepContext(table, { settings: { retention_seconds: 2 * 3600 } });
    const r = await enforceRetention(ctx);
    assert.ok(r);
    assert.equal(r.filesDropped, 1);
    assert.equal(r.filesRewritten, 1);
    const cutoffUs = BigInt(r.cutoffMs) * 1000n;
    const expected = producer.committed.filter((k) => tsOf(k) >= cutoffUs);
    assert.equal(r.rowsDropped, producer.committed.length - expected.length);
    assert.equal(expected.length, 20 + 12);
    assert.equal(currentSnapshot(await table.refresh())?.summary.operation, 'replace');
    assert.deepEqual((await py.scan(table.metadataUri())).keys, sorted(expected));
    assert.deepEqual(readRecordedOffsets(await table.refresh()), offsets);
    // A second run right away changes nothing: the rewritten file starts after the cutoff.
    assert.equal((await enforceRetention(ctx))?.commits, 0);
  });

  it('leaves a file that straddles the cutoff by less than the slack until the cutoff moves on', async () => {
    await using wh = await tempWarehouse('retention-slack');
    const table = await createTable(wh.store, tablePrefix());
    const producer = new Producer(table, 0, 50);
    const t0 = Date.now();
    const now = BigInt(t0) * 1000n;
    // Retention 2 h: slack min(1 h, 12 min). Rows from 2 h 5 min ago, every 5 min, for an hour.
    await producer.append(13, now - 2n * HOUR_US - 5n * MIN_US, 5n * MIN_US);
    const at = (ms: number) => stepContext(table, { settings: { retention_seconds: 2 * 3600 }, now: () => t0 + ms });
    const first = await enforceRetention(at(0));
    assert.equal(first?.commits, 0, 'only 5 minutes past the cutoff: within the slack');
    const second = await enforceRetention(at(10 * 60_000)); // now 15 minutes past: rewrite
    assert.ok(second);
    assert.equal(second.filesRewritten, 1);
    const cutoffUs = BigInt(second.cutoffMs) * 1000n;
    const expected = producer.committed.filter((k) => tsOf(k) >= cutoffUs);
    assert.equal(expected.length, 10);
    assert.deepEqual((await py.scan(table.metadataUri())).keys, sorted(expected));
  });
});
