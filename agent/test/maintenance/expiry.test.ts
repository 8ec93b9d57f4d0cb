// Snapshot expiry: metadata stays consistent (snapshot log, refs, offsets), and only files that
// no retained snapshot references are deleted; pyiceberg reads everything afterwards.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  ExpireSnapshots,
  OFFSETS_SUMMARY_KEY,
  currentSnapshot,
  newTableMetadata,
  planSnapshotExpiry,
  readRecordedOffsets,
  type Snapshot,
  type TableMetadata,
} from '../../src/iceberg/index.ts';
import { compact } from '../../src/maintenance/compact.ts';
import { expireSnapshots } from '../../src/maintenance/expiry.ts';
import { ManifestReader, filesOf } from '../../src/maintenance/reachable.ts';
import { Producer, PyIceberg, SCHEMA, TOPIC, createTable, listKeys, sorted, stepContext, tablePrefix, tempWarehouse } from './helpers.ts';

let py: PyIceberg;
before(() => {
  py = new PyIceberg();
});
after(async () => {
  await py.close();
});

function snap(id: number, parent: number | null, ts: number, offsets = true): Snapshot {
  const s: Snapshot = {
    'snapshot-id': BigInt(id),
    'sequence-number': id,
    'timestamp-ms': ts,
    'manifest-list': `file:///x/snap-${id}.avro`,
    summary: { operation: 'append', ...(offsets ? { [OFFSETS_SUMMARY_KEY]: `{"topic":"t","partitions":{"0":"${id}"}}` } : {}) },
  };
  if (parent !== null) s['parent-snapshot-id'] = BigInt(parent);
  return s;
}

function tableWith(snapshots: Snapshot[]): TableMetadata {
  const md = newTableMetadata({ location: 'file:///x', schema: SCHEMA, partitioning: 'unpartitioned' });
  const current = snapshots[snapshots.length - 1]['snapshot-id'];
  return {
    ...md,
    snapshots,
    'current-snapshot-id': current,
    'snapshot-log': snapshots.map((s) => ({ 'timestamp-ms': s['timestamp-ms'], 'snapshot-id': s['snapshot-id'] })),
    refs: { main: { 'snapshot-id': current, type: 'branch' } },
  };
}

describe('snapshot expiry (metadata)', () => {
  it('keeps the newest N ancestors and everything younger than the cutoff', () => {
    const md = tableWith([snap(1, null, 100), snap(2, 1, 200), snap(3, 2, 300), snap(4, 3, 400), snap(5, 4, 500)]);
    const plan = planSnapshotExpiry(md, { olderThanMs: 350, retainLast: 2 });
    assert.deepEqual(plan.retained.map((s) => Number(s['snapshot-id'])), [4, 5]);
    assert.deepEqual(plan.expired.map((s) => Number(s['snapshot-id'])), [1, 2, 3]);
    const plan2 = planSnapshotExpiry(md, { olderThanMs: 250, retainLast: 1 });
    assert.deepEqual(plan2.retained.map((s) => Number(s['snapshot-id'])), [3, 4, 5]);
  });

  it('never cuts the chain to the snapshot holding the Kafka offsets', () => {
    // The newest snapshots were written by an engine that does not record offsets.
    const md = tableWith([snap(1, null, 100), snap(2, 1, 200), snap(3, 2, 300, false), snap(4, 3, 400, false)]);
    const plan = planSnapshotExpiry(md, { olderThanMs: 1000, retainLast: 1 });
    assert.deepEqual(plan.retained.map((s) => Number(s['snapshot-id'])), [2, 3, 4]);
  });

  it('drops the snapshot log up to the last expired entry and keeps refs valid', async () => {
    const md = tableWith([snap(1, null, 100), snap(2, 1, 200), snap(3, 2, 300)]);
    md['snapshot-log'].push({ 'timestamp-ms': 350, 'snapshot-id': 1n }); // a rollback to 1, then back to 3
    md['snapshot-log'].push({ 'timestamp-ms': 360, 'snapshot-id': 3n });
    md.refs.tag = { 'snapshot-id': 1n, type: 'tag' };
    const out = await new ExpireSnapshots({ olderThanMs: 1000, retainLast: 1 }).apply(md, {} as never);
    // 1 is tagged, 3 is current: only 2 expires; the log before its entry goes with it.
    assert.deepEqual(out.snapshots.map((s) => Number(s['snapshot-id'])), [1, 3]);
    assert.deepEqual(out['snapshot-log'].map((e) => Number(e['snapshot-id'])), [3, 1, 3]);
    assert.equal(readRecordedOffsets(out)?.partitions.get(0), 3n);
  });
});

describe('snapshot expiry on a real table', () => {
  it('deletes only files no retained snapshot references; pyiceberg still reads every row', async () => {
    await using wh = await tempWarehouse('expire');
    const prefix = tablePrefix();
    const table = await createTable(wh.store, prefix);
    const producer = new Producer(table, 0, 100);
    for (let i = 0; i < 8; i++) await producer.append(10);
    const ctx = stepContext(table, { settings: { target_file_size_bytes: 1024 * 1024, snapshots_min_keep: 3 }, tuning: { fanout: 8 } });
    const c = await compact(ctx);
    assert.equal(c.filesCompacted, 8);
    for (let i = 0; i < 3; i++) await producer.append(10);
    const beforeMd = await table.refresh();
    const offsetsBefore = readRecordedOffsets(beforeMd);
    const keysBefore = new Set(await listKeys(wh.store, `${prefix}/`));
    assert.equal(beforeMd.snapshots.length, 12);

    // Nothing is old yet: nothing expires.
    assert.equal((await expireSnapshots(ctx)).snapshotsExpired, 0);

    // An hour later (max age 6 h by default; use 60 s): all but the newest 3 expire.
    const later = stepContext(table, { settings: { snapshot_max_age_seconds: 60, snapshots_min_keep: 3 }, now: () => Date.now() + 3_600_000 });
    const r = await expireSnapshots(later);
    assert.equal(r.snapshotsExpired, 9);
    const md = await table.refresh();
    assert.equal(md.snapshots.length, 3);
    assert.equal(md.refs.main['snapshot-id'], md['current-snapshot-id']);
    const ids = new Set(md.snapshots.map((s) => s['snapshot-id']));
    for (const e of md['snapshot-log']) assert.ok(ids.has(e['snapshot-id']), 'snapshot log names an expired snapshot');
    assert.deepEqual(readRecordedOffsets(md), offsetsBefore);

    // The 8 compacted inputs were live only in expired snapshots: gone. Everything a retained
    // snapshot references is still there.
    assert.equal(r.dataFilesDeleted, 8);
    const keysAfter = new Set(await listKeys(wh.store, `${prefix}/`));
    const deleted = [...keysBefore].filter((k) => !keysAfter.has(k));
    const reader = new ManifestReader(table.io);
    // (Deleted entries of retained manifests may still name deleted files: not live anywhere.)
    const retained = await filesOf(reader, md.snapshots, { liveOnly: true });
    for (const k of deleted) {
      assert.ok(!retained.dataFiles.has(k) && !retained.manifests.has(k) && !retained.manifestLists.has(k), `deleted ${k}, still referenced`);
    }
    for (const set of [retained.dataFiles, retained.manifests, retained.manifestLists]) {
      for (const k of set) assert.ok(keysAfter.has(k), `referenced ${k} is missing`);
    }
    assert.equal(deleted.filter((k) => k.endsWith('.parquet')).length, 8);
    assert.ok(deleted.some((k) => /\/metadata\/snap-/.test(k)), 'expired manifest lists are deleted');

    const got = await py.scan(table.metadataUri());
    assert.deepEqual(got.keys, sorted(producer.committed));
    const info = await py.inspect(table.metadataUri());
    assert.equal(info.snapshots, 3);
    assert.equal(info.summary[OFFSETS_SUMMARY_KEY], JSON.stringify({ topic: TOPIC, partitions: { 0: String(producer.next) } }));
    assert.ok(currentSnapshot(md));
  });
});
