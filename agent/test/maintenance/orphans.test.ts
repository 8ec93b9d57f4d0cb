// Orphan cleanup: uploaded-but-uncommitted files go once older than the window; referenced files,
// the Delta log, leases and the version hint are never touched.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { IcebergTable, SetProperties, currentSnapshot } from '../../src/iceberg/index.ts';
import { compact } from '../../src/maintenance/compact.ts';
import { removeOrphans } from '../../src/maintenance/orphans.ts';
import { ManifestReader, filesOf } from '../../src/maintenance/reachable.ts';
import { ParquetFileBuilder } from '../../src/parquet/writer.ts';
import { Producer, PyIceberg, SCHEMA, createTable, listKeys, sorted, stepContext, tablePrefix, tempWarehouse } from './helpers.ts';

let py: PyIceberg;
before(() => {
  py = new PyIceberg();
});
after(async () => {
  await py.close();
});

const MIN = 60_000;

describe('orphan cleanup', () => {
  it('removes a killed writer\'s uploads after the window and never a referenced file', async () => {
    await using wh = await tempWarehouse('orphans');
    const prefix = tablePrefix();
    const table = await createTable(wh.store, prefix);
    const producer = new Producer(table, 0, 100);
    for (let i = 0; i < 6; i++) await producer.append(10);
    await compact(stepContext(table, { settings: { target_file_size_bytes: 1024 * 1024 }, tuning: { fanout: 4 } }));
    await producer.append(10);

    // A killed agent: its Parquet file uploaded, its commit never made.
    const b = new ParquetFileBuilder(SCHEMA);
    b.append({ id: 999n, payload: 'lost', _kafka_partition: 0, _kafka_offset: 999n, _kafka_timestamp: 0n });
    const orphanData = `${prefix}/data/${Date.now().toString(36)}-${randomUUID()}.parquet`;
    await wh.store.put(orphanData, b.finish().bytes);
    // A lost commit attempt's manifest, and files that belong to others.
    const someManifest = (await listKeys(wh.store, `${prefix}/metadata/`)).find((k) => k.endsWith('-m0.avro'))!;
    const orphanManifest = `${prefix}/metadata/${randomUUID()}-m0.avro`;
    await wh.store.put(orphanManifest, (await wh.store.get(someManifest))!);
    const foreign = [
      `${prefix}/_delta_log/00000000000000000000.json`,
      `${prefix}/_floe/maintenance-lease/000000000001.json`,
      `${prefix}/metadata/notes.txt`,
    ];
    for (const k of foreign) await wh.store.put(k, Buffer.from('{}'));
    const everything = await listKeys(wh.store, `${prefix}/`);

    // Within the window: nothing goes.
    const ctx = stepContext(table);
    const young = await removeOrphans(ctx);
    assert.equal(young.deleted, 0);
    assert.equal(young.young, 2);
    assert.deepEqual(await listKeys(wh.store, `${prefix}/`), everything);

    // 31 minutes later (window 30 min): exactly the two orphans go.
    const later = stepContext(table, { now: () => Date.now() + 31 * MIN });
    const r = await removeOrphans(later);
    assert.deepEqual(r.deletedKeys.sort(), [orphanData, orphanManifest].sort());
    const left = await listKeys(wh.store, `${prefix}/`);
    assert.deepEqual(left, everything.filter((k) => k !== orphanData && k !== orphanManifest));
    for (const k of [...foreign, `${prefix}/metadata/version-hint.text`]) assert.ok(left.includes(k), `${k} was deleted`);

    // Every file any snapshot references is still there, the compacted inputs included (their
    // snapshots are not expired), and pyiceberg reads exactly the committed rows.
    const md = await table.refresh();
    const refs = await filesOf(new ManifestReader(table.io), md.snapshots, { liveOnly: true });
    for (const k of [...refs.dataFiles, ...refs.manifests, ...refs.manifestLists]) assert.ok(left.includes(k), `referenced ${k} is missing`);
    assert.equal(refs.dataFiles.size, 6 + 1 + 1);
    assert.deepEqual((await py.scan(table.metadataUri())).keys, sorted(producer.committed));
    assert.ok(currentSnapshot(md));
  });

  it('with deleteOldMetadata, removes metadata versions older than the metadata log only', async () => {
    await using wh = await tempWarehouse('orphans-meta');
    const prefix = tablePrefix();
    const table = await createTable(wh.store, prefix);
    await table.commit(new SetProperties({ 'write.metadata.previous-versions-max': '3' }));
    const producer = new Producer(table, 0, 50);
    for (let i = 0; i < 6; i++) await producer.append(5);
    const version = table.version; // v8: log holds v5..v7
    assert.equal(version, 8);
    const off = stepContext(table, { now: () => Date.now() + 31 * MIN });
    assert.equal((await removeOrphans(off)).deleted, 0, 'off by default');
    const on = stepContext(table, { tuning: { deleteOldMetadata: true }, now: () => Date.now() + 31 * MIN });
    const r = await removeOrphans(on);
    assert.deepEqual(
      r.deletedKeys.map((k) => k.slice(k.lastIndexOf('/') + 1)).sort(),
      ['v1.metadata.json', 'v2.metadata.json', 'v3.metadata.json', 'v4.metadata.json'],
    );
    const fresh = await IcebergTable.load(wh.store, prefix);
    assert.equal(fresh.version, 8);
    await producer.append(5); // the writer's instance knows v8: it commits v9 as usual
    assert.deepEqual((await py.scan(table.metadataUri())).keys, sorted(producer.committed));
  });
});
