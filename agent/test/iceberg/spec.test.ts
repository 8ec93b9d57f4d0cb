// The plain data model: Avro codec, manifests, manifest lists, table metadata, offsets, transforms.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AvroType, readAvroContainer, writeAvroContainer, type AvroRecord } from '../../src/iceberg/avro.ts';
import { parseJsonBig, stringifyJsonBig } from '../../src/iceberg/json.ts';
import {
  EntryStatus,
  OFFSETS_SUMMARY_KEY,
  buildPartitionSpec,
  dataFileFromParquet,
  decodeManifest,
  decodeManifestList,
  decodeOffsets,
  encodeManifest,
  encodeManifestList,
  encodeOffsets,
  hourOf,
  hourToString,
  mergeOffsets,
  newTableMetadata,
  offsetsContinueFrom,
  parseTableMetadata,
  partitionPath,
  readCommittedOffsets,
  serializeTableMetadata,
  type ManifestFile,
  type TableMetadata,
} from '../../src/iceberg/index.ts';
import type { Schema } from '../../src/schema/types.ts';

const schema: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'ts', required: true, type: 'timestamptz' },
    {
      id: 3,
      name: 'tags',
      required: false,
      type: { type: 'list', 'element-id': 4, element: 'string', 'element-required': false },
    },
  ],
};

describe('Avro codec', () => {
  it('round-trips longs beyond 2^53, unions, maps, arrays and nested records', () => {
    const rec: AvroRecord = {
      type: 'record',
      name: 'r',
      fields: [
        { name: 'l', type: 'long' },
        { name: 'n', type: ['null', 'long'] },
        { name: 'i', type: 'int' },
        { name: 'd', type: 'double' },
        { name: 'f', type: 'float' },
        { name: 's', type: 'string' },
        { name: 'b', type: 'bytes' },
        { name: 'm', type: { type: 'map', values: 'int' } },
        { name: 'a', type: { type: 'array', items: { type: 'record', name: 'kv', fields: [{ name: 'key', type: 'int' }, { name: 'value', type: 'long' }] } } },
        { name: 'e', type: { type: 'enum', name: 'E', symbols: ['A', 'B'] } },
        { name: 'x', type: { type: 'fixed', name: 'F', size: 2 } },
        { name: 'again', type: ['null', 'kv'] },
      ],
    };
    const value = {
      l: 9223372036854775807n,
      n: -9223372036854775808n,
      i: -2147483648,
      d: 1.5,
      f: 0.25,
      s: 'héllo',
      b: new Uint8Array([0, 255]),
      m: new Map([['k', 7]]),
      a: [{ key: 1, value: 2n }, { key: -3, value: -4n }],
      e: 'B',
      x: new Uint8Array([1, 2]),
      again: { key: 5, value: 6n },
    };
    const t = new AvroType(rec);
    assert.deepEqual(t.decode(t.encode(value)), value);
    assert.deepEqual(t.decode(t.encode({ ...value, n: null, again: null })), { ...value, n: null, again: null });
  });

  it('keeps custom attributes (field-id) in the container header and reads every block', () => {
    const rec: AvroRecord = { type: 'record', name: 'r', fields: [{ name: 'v', type: 'long', 'field-id': 42 }] };
    const records = Array.from({ length: 10_000 }, (_, i) => ({ v: BigInt(i) * 1_000_000_007n }));
    for (const codec of ['null', 'deflate', 'zstandard'] as const) {
      const file = writeAvroContainer(rec, records, { 'format-version': '2' }, codec);
      const back = readAvroContainer(file);
      assert.deepEqual(back.schema, rec);
      assert.equal(back.metadata.get('format-version'), '2');
      assert.deepEqual(back.records, records);
    }
  });

  it('refuses values that do not fit the schema', () => {
    assert.throws(() => new AvroType('int').encode(2 ** 31));
    assert.throws(() => new AvroType('long').encode(1.5));
    assert.throws(() => new AvroType(['null', 'string']).encode(3));
  });
});

describe('JSON with 64-bit integers', () => {
  it('parses unsafe integers as bigint and writes them back exactly', () => {
    const text = '{"a":9007199254740993,"b":1,"c":1.5,"d":[-9223372036854775808]}';
    const v = parseJsonBig(text) as { a: bigint; b: number; c: number; d: bigint[] };
    assert.equal(v.a, 9007199254740993n);
    assert.equal(v.b, 1);
    assert.equal(v.d[0], -9223372036854775808n);
    assert.equal(stringifyJsonBig(v), text);
  });
});

describe('manifests', () => {
  const spec = buildPartitionSpec(schema, { hour: 'ts' }).spec;
  const stats = {
    columnSizes: new Map([[1, 10n], [2, 20n]]),
    valueCounts: new Map([[1, 3n], [2, 3n]]),
    nullValueCounts: new Map([[1, 0n], [2, 0n]]),
    nanValueCounts: new Map<number, bigint>(),
    lowerBounds: new Map([[1, new Uint8Array(8)]]),
    upperBounds: new Map([[1, new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0])]]),
  };

  it('round-trip a manifest by field id, with inherited (null) sequence numbers on ADDED entries', () => {
    const f = dataFileFromParquet('s3://b/t/data/a.parquet', 1234, stats, { ts_hour: 475_000 }, 3, { splitOffsets: [4] });
    const bytes = encodeManifest(
      [
        { status: EntryStatus.ADDED, snapshotId: 8_000_000_000_000_000_001n, sequenceNumber: null, fileSequenceNumber: null, dataFile: f },
        { status: EntryStatus.EXISTING, snapshotId: 5n, sequenceNumber: 3, fileSequenceNumber: 3, dataFile: { ...f, filePath: 's3://b/t/data/b.parquet', partition: { ts_hour: null } } },
      ],
      { schema, spec },
    );
    const back = decodeManifest(bytes);
    assert.equal(back.metadata.get('format-version'), '2');
    assert.equal(back.metadata.get('content'), 'data');
    assert.equal(back.metadata.get('partition-spec-id'), '0');
    assert.deepEqual(JSON.parse(back.metadata.get('partition-spec')!), spec.fields);
    assert.deepEqual(JSON.parse(back.metadata.get('schema')!), schema);
    assert.equal(back.entries.length, 2);
    const [a, b] = back.entries;
    assert.equal(a.status, EntryStatus.ADDED);
    assert.equal(a.snapshotId, 8_000_000_000_000_000_001n);
    assert.equal(a.sequenceNumber, null);
    assert.deepEqual(a.dataFile, { ...f, splitOffsets: [4n] });
    assert.equal(b.sequenceNumber, 3);
    assert.deepEqual(b.dataFile.partition, { ts_hour: null });

    // The header schema carries the spec's field ids, including the partition field's.
    const header = readAvroContainer(bytes).schema as AvroRecord;
    const df = header.fields.find((x) => x.name === 'data_file')!.type as AvroRecord;
    assert.equal(df.fields.find((x) => x.name === 'partition')!['field-id'], 102);
    const part = df.fields.find((x) => x.name === 'partition')!.type as AvroRecord;
    assert.deepEqual(part.fields.map((x) => [x.name, x['field-id']]), [['ts_hour', 1000]]);
  });

  it('round-trip a manifest list', () => {
    const m: ManifestFile = {
      manifestPath: 'file:///w/t/metadata/x-m0.avro',
      manifestLength: 4000n,
      partitionSpecId: 0,
      content: 0,
      sequenceNumber: 7,
      minSequenceNumber: 2,
      addedSnapshotId: 9_000_000_000_000_000_000n,
      addedFilesCount: 1,
      existingFilesCount: 2,
      deletedFilesCount: 0,
      addedRowsCount: 10n,
      existingRowsCount: 20n,
      deletedRowsCount: 0n,
      partitions: [{ containsNull: false, containsNan: false, lowerBound: new Uint8Array([1, 0, 0, 0]), upperBound: new Uint8Array([2, 0, 0, 0]) }],
      keyMetadata: null,
    };
    const bytes = encodeManifestList([m], { snapshotId: 1n, parentSnapshotId: null, sequenceNumber: 7 });
    assert.deepEqual(decodeManifestList(bytes), [m]);
    const header = readAvroContainer(bytes).metadata;
    assert.equal(header.get('parent-snapshot-id'), 'null');
    assert.equal(header.get('sequence-number'), '7');
  });
});

describe('table metadata', () => {
  it('a new table is format v2, unsorted, without snapshot; -1 on disk, null in memory', () => {
    const md = newTableMetadata({ location: 's3://b/t/', schema, partitioning: 'unpartitioned', properties: { a: 'b' } });
    assert.equal(md.location, 's3://b/t');
    assert.equal(md['last-column-id'], 4);
    assert.equal(md['last-partition-id'], 999);
    assert.deepEqual(md['sort-orders'], [{ 'order-id': 0, fields: [] }]);
    const json = JSON.parse(serializeTableMetadata(md));
    assert.equal(json['format-version'], 2);
    assert.equal(json['current-snapshot-id'], -1);
    assert.deepEqual(json.refs, {});
    const back = parseTableMetadata(serializeTableMetadata(md));
    assert.equal(back['current-snapshot-id'], null);
    assert.deepEqual(back, md);
  });

  it('keeps 63-bit snapshot ids exact and unknown keys intact', () => {
    const md = newTableMetadata({ location: 's3://b/t', schema, partitioning: { hour: 'ts' } });
    const id = 9_123_456_789_012_345_678n;
    const withSnap = {
      ...md,
      'current-snapshot-id': id,
      snapshots: [{ 'snapshot-id': id, 'sequence-number': 1, 'timestamp-ms': 1, 'manifest-list': 'x', summary: { operation: 'append' as const } }],
      refs: { main: { 'snapshot-id': id, type: 'branch' as const } },
      statistics: [{ 'snapshot-id': id, 'statistics-path': 'p' }],
    } as TableMetadata;
    const text = serializeTableMetadata(withSnap);
    assert.match(text, /"current-snapshot-id": 9123456789012345678/);
    const back = parseTableMetadata(text) as TableMetadata & { statistics: unknown };
    assert.equal(back['current-snapshot-id'], id);
    assert.equal(back.refs.main['snapshot-id'], id);
    assert.deepEqual(back.statistics, [{ 'snapshot-id': id, 'statistics-path': 'p' }]);
  });

  it('refuses other format versions', () => {
    const md = JSON.parse(serializeTableMetadata(newTableMetadata({ location: 's3://b/t', schema, partitioning: 'unpartitioned' })));
    md['format-version'] = 1;
    assert.throws(() => parseTableMetadata(JSON.stringify(md)), /format-version 1/);
  });
});

describe('partitioning', () => {
  it('hour transform: field <col>_hour, id 1000, floor of hours since the epoch', () => {
    const { spec, lastPartitionId } = buildPartitionSpec(schema, { hour: 'ts' });
    assert.deepEqual(spec, { 'spec-id': 0, fields: [{ 'source-id': 2, 'field-id': 1000, name: 'ts_hour', transform: 'hour' }] });
    assert.equal(lastPartitionId, 1000);
    assert.equal(hourOf(0n), 0);
    assert.equal(hourOf(3_599_999_999n), 0);
    assert.equal(hourOf(3_600_000_000n), 1);
    assert.equal(hourOf(-1n), -1);
    assert.equal(hourOf(BigInt(Date.UTC(2024, 0, 2, 3, 4)) * 1000n), 473_379);
    assert.equal(hourToString(473_379), '2024-01-02-03');
    assert.equal(partitionPath(spec, { ts_hour: 473_379 }), 'ts_hour=2024-01-02-03');
  });

  it('refuses a missing or non-timestamp hour column', () => {
    assert.throws(() => buildPartitionSpec(schema, { hour: 'nope' }), /not a top-level field/);
    assert.throws(() => buildPartitionSpec(schema, { hour: 'id' }), /must be timestamp or timestamptz/);
  });
});

describe('offsets in snapshot summaries', () => {
  it('encode as {"topic","partitions":{"p":"next"}} and merge per partition', () => {
    const a = { topic: 't', partitions: new Map([[0, 10n], [1, 20n]]) };
    assert.equal(encodeOffsets(a), '{"topic":"t","partitions":{"0":"10","1":"20"}}');
    assert.deepEqual(decodeOffsets(encodeOffsets(a)), a);
    const merged = mergeOffsets(a, { topic: 't', partitions: new Map([[1, 25n], [2, 5n]]) });
    assert.deepEqual(merged.partitions, new Map([[0, 10n], [1, 25n], [2, 5n]]));
    assert.deepEqual(mergeOffsets(a, { topic: 'other', partitions: new Map([[3, 1n]]) }).partitions, new Map([[3, 1n]]));
  });

  it('readCommittedOffsets walks back to the nearest snapshot that records them', () => {
    const md = newTableMetadata({ location: 's3://b/t', schema, partitioning: 'unpartitioned' });
    const snap = (id: bigint, parent: bigint | null, summary: Record<string, string>) => ({
      'snapshot-id': id,
      ...(parent === null ? {} : { 'parent-snapshot-id': parent }),
      'sequence-number': Number(id),
      'timestamp-ms': 1,
      'manifest-list': 'x',
      summary: { operation: 'append' as const, ...summary },
    });
    const table: TableMetadata = {
      ...md,
      'current-snapshot-id': 3n,
      snapshots: [
        snap(1n, null, { [OFFSETS_SUMMARY_KEY]: '{"topic":"t","partitions":{"0":"1"}}' }),
        snap(2n, 1n, { [OFFSETS_SUMMARY_KEY]: '{"topic":"t","partitions":{"0":"7","1":"3"}}' }),
        snap(3n, 2n, {}),
      ],
    };
    assert.deepEqual(readCommittedOffsets(table), new Map([[0, 7n], [1, 3n]]));
    assert.deepEqual(readCommittedOffsets(table, 't'), new Map([[0, 7n], [1, 3n]]));
    assert.deepEqual(readCommittedOffsets(table, 'other'), new Map());
    assert.deepEqual(readCommittedOffsets(md), new Map());
  });

  it('offsetsContinueFrom accepts only data that starts at the committed next offset', () => {
    const check = offsetsContinueFrom(new Map([[0, 10n], [1, 0n]]));
    assert.equal(check(new Map()), true);
    assert.equal(check(new Map([[0, 10n]])), true);
    assert.equal(check(new Map([[0, 12n]])), false);
    assert.equal(check(new Map([[0, 8n]])), false);
    assert.equal(check(new Map([[0, 10n], [1, 5n]])), false);
  });
});
