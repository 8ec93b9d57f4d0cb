// GET /v1/tables/{name}/status over real Iceberg metadata in a FileStore; Kafka's high watermarks
// come from a stub agent here (the end-to-end suite asks a real broker).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AppendFiles, IcebergTable, DataFileContent, type DataFile } from '../../src/iceberg/index.ts';
import { DLQ_SCHEMA, tableSchema as withKafkaColumns } from '../../src/ingest/tables.ts';
import { tableSchema } from '../../src/config/index.ts';
import type { ObjectStore } from '../../src/store/store.ts';
import { baseYaml, latestConfig, startHarness } from './helpers.ts';

function fakeFile(location: string, n: number, records: number, bytes: number): DataFile {
  return {
    content: DataFileContent.DATA,
    filePath: `${location}/data/file-${n}.parquet`,
    fileFormat: 'PARQUET',
    partition: {},
    recordCount: BigInt(records),
    fileSizeInBytes: BigInt(bytes),
    columnSizes: null,
    valueCounts: null,
    nullValueCounts: null,
    nanValueCounts: null,
    lowerBounds: null,
    upperBounds: null,
    keyMetadata: null,
    splitOffsets: null,
    equalityIds: null,
    sortOrderId: null,
  };
}

async function ingested(store: ObjectStore, schemaOf: Parameters<typeof tableSchema>[0]) {
  const t = await IcebergTable.create(store, '_tableflow/c1+logs/', { schema: withKafkaColumns(tableSchema(schemaOf)), partitioning: 'unpartitioned' });
  await t.commit(new AppendFiles([fakeFile(t.location, 1, 6, 1000), fakeFile(t.location, 2, 4, 500)], { offsets: { topic: 'logs', partitions: new Map([[0, 10n], [1, 5n]]) } }));
  const dlq = await IcebergTable.create(store, '_tableflow/c1+logs+dlq/', { schema: DLQ_SCHEMA, partitioning: 'unpartitioned' });
  await dlq.commit(new AppendFiles([fakeFile(dlq.location, 1, 3, 100)], { offsets: { topic: 'logs', partitions: new Map([[1, 5n]]) } }));
  return t;
}

test('status: snapshot, schema, offsets vs high watermarks, time lag, files, DLQ count', async () => {
  let ends = new Map([[0, 10n], [1, 8n], [2, 0n]]);
  const h = await startHarness({ agent: { highWatermarks: async () => ends } });
  try {
    const table = await ingested(h.store, (await latestConfig(h)).tables[0]);
    const snap = table.metadata.snapshots.at(-1)!;
    const r = await h.request('GET', '/v1/tables/c1%2Blogs/status');
    assert.equal(r.status, 200, r.text);
    const s = r.json;
    assert.equal(s.name, 'c1+logs');
    assert.equal(s.exists, true);
    assert.equal(s.table_uuid, table.metadata['table-uuid']);
    assert.equal(s.metadata_version, 2);
    assert.equal(s.schema_id, 0);
    assert.deepEqual(s.last_snapshot, { id: snap['snapshot-id'].toString(), timestamp_ms: snap['timestamp-ms'], time: new Date(snap['timestamp-ms']).toISOString(), operation: 'append' });
    assert.deepEqual(s.partitions, [
      { partition: 0, committed_offset: 10, high_watermark: 10, offset_lag: 0 },
      { partition: 1, committed_offset: 5, high_watermark: 8, offset_lag: 3 },
      { partition: 2, committed_offset: 0, high_watermark: 0, offset_lag: 0 },
    ]);
    assert.equal(s.offset_lag, 3);
    assert.equal(s.caught_up, false);
    assert.ok(s.time_lag_seconds >= 0 && s.time_lag_seconds < 60, String(s.time_lag_seconds));
    assert.deepEqual(s.data_files, { count: 2, total_bytes: 1500, total_records: 10 });
    assert.deepEqual(s.dlq, { enabled: true, records: 3 });
    assert.equal(s.kafka_error, undefined);

    ends = new Map([[0, 10n], [1, 5n]]);
    const caughtUp = (await h.request('GET', '/v1/tables/c1+logs/status')).json;
    assert.equal(caughtUp.caught_up, true);
    assert.equal(caughtUp.time_lag_seconds, 0);
    assert.equal(caughtUp.offset_lag, 0);
  } finally {
    await h.close();
  }
});

test('status of a configured table the agent has not created yet, and of an unknown table', async () => {
  const h = await startHarness({ agent: { highWatermarks: async () => new Map([[0, 7n]]) } });
  try {
    const r = await h.request('GET', '/v1/tables/c1+logs/status');
    assert.equal(r.status, 200);
    assert.equal(r.json.exists, false);
    assert.equal(r.json.last_snapshot, null);
    assert.deepEqual(r.json.partitions, [{ partition: 0, committed_offset: 0, high_watermark: 7, offset_lag: 7 }]);
    assert.equal(r.json.time_lag_seconds, null, 'no snapshot yet: the time lag is unknown');
    assert.deepEqual(r.json.data_files, { count: 0, total_bytes: 0, total_records: 0 });
    assert.equal((await h.request('GET', '/v1/tables/c1+nope/status')).status, 404);
  } finally {
    await h.close();
  }
});

test('status when Kafka cannot be asked: offsets from the table, kafka_error says why', async () => {
  // no agent helper; the cluster points at a closed port, so the short-lived admin client fails
  const yaml = baseYaml('BUCKET').replace('{ hostname: localhost, port: 9092 }', '{ hostname: 127.0.0.1, port: 1 }');
  const h = await startHarness({ seed: false });
  try {
    const put = await h.request('PUT', '/v1/config', { text: yaml.replace('BUCKET', h.bucketUrl) });
    assert.equal(put.status, 200, put.text);
    await ingested(h.store, (await latestConfig(h)).tables[0]);
    const r = await h.request('GET', '/v1/tables/c1+logs/status');
    assert.equal(r.status, 200, r.text);
    assert.equal(typeof r.json.kafka_error, 'string');
    assert.deepEqual(r.json.partitions, [
      { partition: 0, committed_offset: 10, high_watermark: null, offset_lag: null },
      { partition: 1, committed_offset: 5, high_watermark: null, offset_lag: null },
    ]);
    assert.equal(r.json.caught_up, null);
    assert.equal(r.json.data_files.count, 2);
  } finally {
    await h.close();
  }
});
