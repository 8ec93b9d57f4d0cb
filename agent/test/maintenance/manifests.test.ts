// Manifest merging: the same live files (with their sequence numbers) in far fewer manifests.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OFFSETS_SUMMARY_KEY, currentSnapshot } from '../../src/iceberg/index.ts';
import { mergeManifests } from '../../src/maintenance/manifests.ts';
import { Producer, PyIceberg, createTable, sorted, stepContext, tablePrefix, tempWarehouse } from './helpers.ts';

let py: PyIceberg;
before(() => {
  py = new PyIceberg();
});
after(async () => {
  await py.close();
});

describe('manifest merging', () => {
  it('merges the manifests of many appends into one with the same live entries', async () => {
    await using wh = await tempWarehouse('manifests');
    const table = await createTable(wh.store, tablePrefix(), 'hour');
    const producer = new Producer(table, 0, 20);
    const hour = BigInt(Math.floor(Date.now() / 3_600_000)) * 3_600_000_000n;
    for (let i = 0; i < 20; i++) await producer.append(3, hour - BigInt(i % 3) * 3_600_000_000n);
    const before = await table.refresh();
    const parent = currentSnapshot(before)!;
    const entriesBefore = await table.liveEntries(parent);
    assert.equal((await table.io.readManifestList(parent)).length, 20);

    const ctx = stepContext(table, { tuning: { maxManifests: 16 } });
    const r = await mergeManifests(ctx);
    assert.deepEqual(r, { manifestsReplaced: 20, commits: 1 });
    const md = await table.refresh();
    const snap = currentSnapshot(md)!;
    assert.equal(snap.summary.operation, 'replace');
    for (const k of ['total-records', 'total-data-files', 'total-files-size', OFFSETS_SUMMARY_KEY]) assert.equal(snap.summary[k], parent.summary[k], k);
    assert.equal((await table.io.readManifestList(snap)).length, 1);
    const key = (e: (typeof entriesBefore)[number]) => `${e.dataFile.filePath}@${e.sequenceNumber}/${e.fileSequenceNumber}/${e.snapshotId}`;
    assert.deepEqual((await table.liveEntries(snap)).map(key).sort(), entriesBefore.map(key).sort());
    assert.deepEqual((await py.scan(table.metadataUri())).keys, sorted(producer.committed));

    // Below the threshold: nothing to do, no new snapshot.
    assert.deepEqual(await mergeManifests(ctx), { manifestsReplaced: 0, commits: 0 });
    assert.equal((await table.refresh()).snapshots.length, md.snapshots.length);
  });
});
