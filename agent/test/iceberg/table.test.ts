// Tables written by IcebergTable on file:// and read back by pyiceberg (an independent reader).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AppendFiles,
  CommitRefused,
  IcebergTable,
  ReplaceFiles,
  SetProperties,
  SetSchema,
  currentSnapshot,
  dataFileFromParquet,
  decodeManifestList,
  hourOf,
  readCommittedOffsets,
} from '../../src/iceberg/index.ts';
import { ParquetFileBuilder } from '../../src/parquet/writer.ts';
import type { Schema } from '../../src/schema/types.ts';
import {
  inspect,
  listKeys,
  scan,
  schemaOf,
  sortBy,
  tablePrefix,
  tempWarehouse,
  writeParquet,
  type Column,
} from './helpers.ts';

const COLUMNS: Column[] = [
  { name: 'id', id: 1, type: 'long', required: true },
  { name: 'name', id: 2, type: 'string' },
  { name: 'ts', id: 3, type: 'timestamptz', required: true },
];
const HOUR = 3_600_000_000;
const H0 = 473_352; // 2024-01-01T00:00Z in hours since the epoch

describe('IcebergTable on file://, read by pyiceberg', () => {
  it('appends files and pyiceberg reads exactly the rows written', async () => {
    await using wh = await tempWarehouse();
    const prefix = tablePrefix();
    const table = await IcebergTable.create(wh.store, prefix, {
      schema: schemaOf(COLUMNS),
      partitioning: 'unpartitioned',
      properties: { 'floe.table': 'events' },
    });
    assert.equal(table.version, 1);
    const rows1 = [
      { id: 1, name: 'alpha', ts: H0 * HOUR },
      { id: 2, name: null, ts: H0 * HOUR + 1 },
    ];
    const rows2 = [{ id: 3, name: 'ünïcode ✓', ts: H0 * HOUR + 2 }];
    const f1 = await writeParquet(wh, `${prefix}/data/f1.parquet`, COLUMNS, rows1);
    const f2 = await writeParquet(wh, `${prefix}/data/f2.parquet`, COLUMNS, rows2);
    const c1 = await table.commit(new AppendFiles([f1], { offsets: { topic: 'events', partitions: new Map([[0, 2n]]) } }));
    const c2 = await table.commit(new AppendFiles([f2], { offsets: { topic: 'events', partitions: new Map([[0, 3n]]) } }));
    assert.equal(c1.version, 2);
    assert.equal(c2.version, 3);
    assert.equal(c2.conflicts, 0);

    const got = await scan(table.metadataUri());
    assert.deepEqual(sortBy(got.rows, 'id'), [...rows1, ...rows2]);
    assert.equal(got.files.length, 2);

    const info = await inspect(table.metadataUri());
    assert.equal(info.format_version, 2);
    assert.equal(info.snapshots.length, 2);
    assert.equal(info.snapshots[1].parent, info.snapshots[0].id);
    assert.equal(info.current, info.snapshots[1].id);
    assert.equal(info.snapshots[1].summary.operation, 'append');
    assert.equal(info.snapshots[1].summary['total-records'], '3');
    assert.equal(info.snapshots[1].summary['total-data-files'], '2');
    assert.equal(info.snapshots[1].summary['added-records'], '1');
    assert.equal(info.snapshots[1].summary['floe.kafka.offsets'], '{"topic":"events","partitions":{"0":"3"}}');
    assert.equal(info.files.length, 2);

    // Path-based readers: v1..v3 and a version hint.
    const meta = await listKeys(wh.store, `${prefix}/metadata/`);
    for (const v of [1, 2, 3]) assert.ok(meta.includes(`${prefix}/metadata/v${v}.metadata.json`));
    assert.equal(new TextDecoder().decode((await wh.store.get(`${prefix}/metadata/version-hint.text`))!), '3');

    // Fast append: the second manifest list carries the first snapshot's manifest over.
    const snap = currentSnapshot(table.metadata)!;
    const list = decodeManifestList((await wh.store.get(table.io.keyOfUri(snap['manifest-list'])))!);
    const parent = table.metadata.snapshots[0];
    const parentList = decodeManifestList((await wh.store.get(table.io.keyOfUri(parent['manifest-list'])))!);
    assert.equal(list.length, 2);
    assert.deepEqual(list[1], parentList[0]);
    assert.equal(list[0].sequenceNumber, 2);
    assert.equal(list[0].addedFilesCount, 1);

    // A fresh load sees the same table.
    const again = await IcebergTable.load(wh.store, prefix);
    assert.equal(again.version, 3);
    assert.deepEqual(again.committedOffsets('events'), new Map([[0, 3n]]));
    assert.equal(again.metadata.properties['floe.table'], 'events');
  });

  it('schema evolution: a new optional column reads as null in old files', async () => {
    await using wh = await tempWarehouse();
    const prefix = tablePrefix();
    const table = await IcebergTable.create(wh.store, prefix, { schema: schemaOf(COLUMNS), partitioning: 'unpartitioned' });
    const old = [{ id: 1, name: 'a', ts: 0 }];
    await table.commit(new AppendFiles([await writeParquet(wh, `${prefix}/data/old.parquet`, COLUMNS, old)]));

    const evolved: Column[] = [...COLUMNS, { name: 'score', id: 4, type: 'double' }];
    const r = await table.commit(new SetSchema(schemaOf(evolved, 99)));
    assert.equal(r.snapshots.length, 0);
    assert.equal(table.metadata['current-schema-id'], 1);
    assert.equal(table.metadata.schemas.length, 2);
    assert.equal(table.metadata['last-column-id'], 4);
    // Setting the same schema again changes nothing and writes no version.
    const same = await table.commit(new SetSchema(schemaOf(evolved)));
    assert.equal(same.version, r.version);

    const fresh = [{ id: 2, name: 'b', ts: 1, score: 0.5 }];
    const c = await table.commit(new AppendFiles([await writeParquet(wh, `${prefix}/data/new.parquet`, evolved, fresh)]));
    assert.equal(c.snapshots[0]['schema-id'], 1);

    const got = await scan(table.metadataUri());
    assert.deepEqual(sortBy(got.rows, 'id'), [{ ...old[0], score: null }, ...fresh]);
    assert.match((await inspect(table.metadataUri())).schema, /4: score: optional double/);
  });

  it('refuses a schema that drops the partition source column', async () => {
    await using wh = await tempWarehouse();
    const table = await IcebergTable.create(wh.store, tablePrefix(), { schema: schemaOf(COLUMNS), partitioning: { hour: 'ts' } });
    await assert.rejects(table.commit(new SetSchema(schemaOf(COLUMNS.slice(0, 2)))), /source of partition field "ts_hour"/);
    assert.equal((await table.current())['current-schema-id'], 0);
  });

  it('hour partitioning: a pyiceberg row filter prunes files by partition', async () => {
    await using wh = await tempWarehouse();
    const prefix = tablePrefix();
    const table = await IcebergTable.create(wh.store, prefix, { schema: schemaOf(COLUMNS), partitioning: { hour: 'ts' } });
    assert.deepEqual(table.metadata['partition-specs'][0].fields, [{ 'source-id': 3, 'field-id': 1000, name: 'ts_hour', transform: 'hour' }]);
    const hours = [H0, H0 + 1, H0 + 5];
    const files = [];
    for (const [i, h] of hours.entries()) {
      const rows = [{ id: i * 10, name: `h${i}`, ts: h * HOUR + 1 }, { id: i * 10 + 1, name: null, ts: h * HOUR + HOUR - 1 }];
      // No column bounds: only the partition tuple can prune.
      files.push(await writeParquet(wh, `${prefix}/data/ts_hour=${h}/f.parquet`, COLUMNS, rows, { ts_hour: h }, { bounds: false }));
    }
    await table.commit(new AppendFiles(files.slice(0, 2)));
    await table.commit(new AppendFiles(files.slice(2)));

    const all = await scan(table.metadataUri());
    assert.equal(all.files.length, 3);
    assert.equal(all.rows.length, 6);

    const late = await scan(table.metadataUri(), `ts >= '2024-01-01T05:00:00+00:00'`);
    assert.deepEqual(late.files, [files[2].filePath].map((k) => table.io.resolve(k)));
    assert.deepEqual(sortBy(late.rows, 'id').map((r) => r.id), [20, 21]);

    const second = await scan(table.metadataUri(), `ts >= '2024-01-01T01:00:00+00:00' and ts < '2024-01-01T02:00:00+00:00'`);
    assert.equal(second.files.length, 1);
    assert.deepEqual(sortBy(second.rows, 'id').map((r) => r.id), [10, 11]);

    const info = await inspect(table.metadataUri());
    assert.deepEqual(info.files.map((f) => f.partition.ts_hour).sort(), hours);

    // Manifest-level pruning data: each manifest's ts_hour range.
    const list = decodeManifestList((await wh.store.get(table.io.keyOfUri(currentSnapshot(table.metadata)!['manifest-list'])))!);
    const ranges = list.map((m) => {
      const p = m.partitions![0];
      return [Buffer.from(p.lowerBound!).readInt32LE(), Buffer.from(p.upperBound!).readInt32LE(), p.containsNull];
    });
    assert.deepEqual(ranges, [[H0 + 5, H0 + 5, false], [H0, H0 + 1, false]]);
  });

  it('replace files (compaction) keeps the rows, removes the old files and copies offsets forward', async () => {
    await using wh = await tempWarehouse();
    const prefix = tablePrefix();
    const table = await IcebergTable.create(wh.store, prefix, { schema: schemaOf(COLUMNS), partitioning: 'unpartitioned' });
    const a = [{ id: 1, name: 'a', ts: 1 }];
    const b = [{ id: 2, name: 'b', ts: 2 }];
    const c = [{ id: 3, name: 'c', ts: 3 }];
    const fa = await writeParquet(wh, `${prefix}/data/a.parquet`, COLUMNS, a);
    const fb = await writeParquet(wh, `${prefix}/data/b.parquet`, COLUMNS, b);
    const fc = await writeParquet(wh, `${prefix}/data/c.parquet`, COLUMNS, c);
    await table.commit(new AppendFiles([fa, fb], { offsets: { topic: 't', partitions: new Map([[0, 2n]]) } }));
    await table.commit(new AppendFiles([fc], { offsets: { topic: 't', partitions: new Map([[1, 1n]]) } }));

    const ab = await writeParquet(wh, `${prefix}/data/ab.parquet`, COLUMNS, [...a, ...b]);
    const r = await table.commit(new ReplaceFiles([fa, fb], [ab]));
    const snap = r.snapshots[0];
    assert.equal(snap.summary.operation, 'replace');
    assert.equal(snap.summary['deleted-data-files'], '2');
    assert.equal(snap.summary['added-data-files'], '1');
    assert.equal(snap.summary['total-data-files'], '2');
    assert.equal(snap.summary['total-records'], '3');
    assert.deepEqual(readCommittedOffsets(r.metadata, 't'), new Map([[0, 2n], [1, 1n]]));

    const got = await scan(table.metadataUri());
    assert.deepEqual(sortBy(got.rows, 'id'), [...a, ...b, ...c]);
    assert.deepEqual(got.files, [ab.filePath, fc.filePath].map((k) => table.io.resolve(k)).sort());
    const live = (await table.liveFiles()).map((f) => f.filePath).sort();
    assert.deepEqual(live, got.files);

    // The old files are gone: replacing them again is refused, and no version is written.
    const before = table.version;
    await assert.rejects(table.commit(new ReplaceFiles([fa], [await writeParquet(wh, `${prefix}/data/x.parquet`, COLUMNS, a)])), CommitRefused);
    assert.equal((await table.current(), table.version), before);
  });

  it('current() finds the newest version by listing, whatever version-hint.text says', async () => {
    await using wh = await tempWarehouse();
    const prefix = tablePrefix();
    const table = await IcebergTable.create(wh.store, prefix, { schema: schemaOf(COLUMNS), partitioning: 'unpartitioned' });
    for (let i = 0; i < 3; i++) await table.commit(new SetProperties({ round: String(i) }));
    assert.equal(table.version, 4);
    await wh.store.put(`${prefix}/metadata/version-hint.text`, new TextEncoder().encode('2'));
    const other = await IcebergTable.load(wh.store, prefix);
    assert.equal(other.version, 4);
    assert.equal(other.metadata.properties.round, '2');
    await wh.store.delete([`${prefix}/metadata/version-hint.text`]);
    assert.equal((await IcebergTable.load(wh.store, prefix)).version, 4);
    // A stale instance catches up by probing.
    await other.commit(new SetProperties({ round: 'x' }, ['missing']));
    assert.equal((await table.refresh()).properties.round, 'x');
    assert.equal(table.version, 5);
    assert.equal(table.metadata['metadata-log'].length, 4);
    assert.equal(table.metadata['metadata-log'][3]['metadata-file'], table.metadataUri(4));
  });

  it('racing loadOrCreate calls agree on one table', async () => {
    await using wh = await tempWarehouse();
    const prefix = tablePrefix();
    const tables = await Promise.all(
      Array.from({ length: 8 }, () => IcebergTable.loadOrCreate(wh.store, prefix, { schema: schemaOf(COLUMNS), partitioning: { hour: 'ts' } })),
    );
    assert.equal(new Set(tables.map((t) => t.metadata['table-uuid'])).size, 1);
    const versions = (await listKeys(wh.store, `${prefix}/metadata/`)).filter((k) => k.endsWith('.metadata.json'));
    assert.deepEqual(versions, [`${prefix}/metadata/v1.metadata.json`]);
    await assert.rejects(
      IcebergTable.create(wh.store, prefix, { schema: schemaOf(COLUMNS), partitioning: 'unpartitioned' }),
      /already exists/,
    );
    await assert.rejects(IcebergTable.load(wh.store, tablePrefix('none')), /no Iceberg table/);
  });

  it('commits files from the agent\'s own Parquet writer (stats keyed by field id, split offsets)', async () => {
    await using wh = await tempWarehouse();
    const prefix = tablePrefix();
    const schema: Schema = {
      type: 'struct',
      'schema-id': 0,
      fields: [
        { id: 1, name: 'id', required: true, type: 'long' },
        { id: 2, name: 'name', required: false, type: 'string' },
        { id: 3, name: 'ts', required: true, type: 'timestamptz' },
        { id: 4, name: 'tags', required: false, type: { type: 'list', 'element-id': 5, element: 'string', 'element-required': false } },
      ],
    };
    const table = await IcebergTable.create(wh.store, prefix, { schema, partitioning: { hour: 'ts' } });
    const ts = BigInt(H0) * BigInt(HOUR) + 5n;
    const builder = new ParquetFileBuilder(schema);
    builder.append({ id: 1n, name: 'x', ts, tags: ['a', 'b'] });
    builder.append({ id: 2n, name: null, ts: ts + 1n, tags: null });
    const out = builder.finish();
    const key = `${prefix}/data/ts_hour=${H0}/w.parquet`;
    await wh.store.put(key, out.bytes);
    const file = dataFileFromParquet(key, out.bytes.length, out.stats, { ts_hour: hourOf(ts) }, out.recordCount);
    assert.ok(file.splitOffsets && file.splitOffsets.length > 0);
    await table.commit(new AppendFiles([file]));

    const got = await scan(table.metadataUri(), 'id = 2');
    assert.deepEqual(got.rows, [{ id: 2, name: null, ts: H0 * HOUR + 6, tags: null }]);
    const all = await scan(table.metadataUri());
    assert.deepEqual(sortBy(all.rows, 'id')[0], { id: 1, name: 'x', ts: H0 * HOUR + 5, tags: ['a', 'b'] });
    const info = await inspect(table.metadataUri());
    assert.deepEqual(info.files.map((f) => [f.records, f.partition.ts_hour]), [[2, H0]]);
  });
});
