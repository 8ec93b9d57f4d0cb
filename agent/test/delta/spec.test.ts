// The Delta data model, schema and stats mapping, checkpoints and log loading, without Python.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DeltaLog,
  DeltaProjector,
  DeltaState,
  checkpointFileName,
  classifyLogFile,
  commitFileName,
  decodeCheckpoint,
  deltaOptionsFromEnv,
  deltaPrimitive,
  deltaStats,
  encodeCheckpoint,
  encodeRelativePath,
  parseCommit,
  partitionColumnsFor,
  requiredProtocol,
  resolveDeltaProjectorOptions,
  serializeCommit,
  toDeltaSchema,
  type Action,
} from '../../src/delta/index.ts';
import { ConfigError, FloeError } from '../../src/errors.ts';
import { IcebergTable, dataFileFromParquet, type DataFile, type ParquetFileStats } from '../../src/iceberg/index.ts';
import { buildPartitionSpec } from '../../src/iceberg/partition.ts';
import { tableSchema } from '../../src/ingest/tables.ts';
import { serializeBound } from '../../src/schema/bounds.ts';
import type { PrimitiveType, Schema, Value } from '../../src/schema/types.ts';
import { tablePrefix, tempWarehouse } from '../iceberg/helpers.ts';
import { JSON_LOGS_DECLARED, avroEventsDeclared } from './helpers.ts';

const META: Action = {
  metaData: {
    id: '0f0e0d0c-0000-4000-8000-000000000001',
    format: { provider: 'parquet', options: {} },
    schemaString: '{"type":"struct","fields":[]}',
    partitionColumns: [],
    createdTime: 1,
    configuration: { 'delta.columnMapping.mode': 'id' },
  },
};
const PROTOCOL: Action = { protocol: { minReaderVersion: 2, minWriterVersion: 5 } };

function add(path: string, size = 10): Action {
  return { add: { path, partitionValues: {}, size, modificationTime: 5, dataChange: true, stats: '{"numRecords":1}' } };
}

describe('Delta actions', () => {
  it('round-trips a commit, keeping actions it does not know', () => {
    const actions: Action[] = [
      { commitInfo: { timestamp: 3, operation: 'WRITE', floe: { icebergSnapshotId: '9223372036854775807' } } },
      PROTOCOL,
      META,
      { txn: { appId: 'floe-iceberg', version: 7, lastUpdated: 3 } },
      { remove: { path: 'a.parquet', deletionTimestamp: 3, dataChange: false } },
      add('b%20c.parquet'),
      { other: 'domainMetadata', value: { domain: 'x', configuration: '{}', removed: false } },
    ];
    const text = serializeCommit(actions);
    assert.equal(text.split('\n').length, actions.length + 1);
    assert.ok(text.endsWith('\n'));
    assert.deepEqual(parseCommit(text, 'test'), actions);
  });

  it('refuses a commit line that is not one JSON action', () => {
    assert.throws(() => parseCommit('{"add":{"path":"x"}}\n{oops\n', 'c.json'), (e: FloeError) => e.code === 'FLOE_TABLE_CORRUPT' && /line 2/.test(e.message));
    assert.throws(() => parseCommit('{"add":{},"remove":{}}', 'c.json'), /exactly one key/);
    assert.throws(() => parseCommit('{"txn":{"appId":"a"}}', 'c.json'), /txn without/);
  });

  it('names and recognizes log files', () => {
    assert.equal(commitFileName(7), '00000000000000000007.json');
    assert.equal(checkpointFileName(20), '00000000000000000020.checkpoint.parquet');
    assert.deepEqual(classifyLogFile('00000000000000000007.json'), { kind: 'commit', version: 7 });
    assert.deepEqual(classifyLogFile('00000000000000000020.checkpoint.parquet'), { kind: 'checkpoint', version: 20 });
    assert.deepEqual(classifyLogFile('00000000000000000020.checkpoint.0000000001.0000000002.parquet'), { kind: 'other-checkpoint', version: 20 });
    assert.deepEqual(classifyLogFile('_last_checkpoint'), { kind: 'other' });
    assert.deepEqual(classifyLogFile('00000000000000000007.crc'), { kind: 'other' });
  });

  it('URI-encodes relative paths, keeping partition directories readable', () => {
    assert.equal(encodeRelativePath('data/_kafka_timestamp_hour=2024-01-01-00/x-1.parquet'), 'data/_kafka_timestamp_hour=2024-01-01-00/x-1.parquet');
    assert.equal(encodeRelativePath('data/a b%+:é.parquet'), 'data/a%20b%25%2B%3A%C3%A9.parquet');
  });
});

describe('Iceberg -> Delta schema', () => {
  it('maps the seed Avro events schema with column mapping ids, physical names and nested ids', async () => {
    const schema = tableSchema(await avroEventsDeclared());
    const { schema: delta, maxColumnId, features } = toDeltaSchema(schema, []);
    assert.equal(features.size, 0);
    assert.equal(maxColumnId, 2_000_000_003);
    const byName = new Map(delta.fields.map((f) => [f.name, f]));
    assert.deepEqual(byName.get('event_id'), {
      name: 'event_id',
      type: 'string',
      nullable: false,
      metadata: { 'delta.columnMapping.id': 1, 'delta.columnMapping.physicalName': 'event_id' },
    });
    assert.deepEqual(byName.get('cookies'), {
      name: 'cookies',
      type: { type: 'array', elementType: 'string', containsNull: false },
      nullable: false,
      metadata: { 'delta.columnMapping.id': 20, 'delta.columnMapping.physicalName': 'cookies', 'delta.columnMapping.nested.ids': { 'cookies.element': 21 } },
    });
    assert.deepEqual(byName.get('event_attributes')?.type, { type: 'map', keyType: 'string', valueType: 'string', valueContainsNull: false });
    assert.deepEqual(byName.get('event_attributes')?.metadata['delta.columnMapping.nested.ids'], { 'event_attributes.key': 23, 'event_attributes.value': 24 });
    const device = byName.get('device')?.type as { fields: { name: string; type: { fields: { name: string; nullable: boolean; metadata: Record<string, unknown> }[] } }[] };
    const vendor = device.fields.find((f) => f.name === 'os')?.type.fields.find((f) => f.name === 'vendor');
    assert.deepEqual(vendor, { name: 'vendor', type: 'string', nullable: true, metadata: { 'delta.columnMapping.id': 25, 'delta.columnMapping.physicalName': 'vendor' } });
    assert.equal(byName.get('_kafka_timestamp')?.type, 'timestamp');
    assert.equal(byName.get('_kafka_offset')?.metadata.comment, 'Kafka offset of the record');
  });

  it('adds the hour partition as an integer column only partitionValues hold, with an id from the reserved range', () => {
    const schema = tableSchema(JSON_LOGS_DECLARED);
    const { spec } = buildPartitionSpec(schema, { hour: '_kafka_timestamp' });
    const parts = partitionColumnsFor(spec, schema);
    assert.deepEqual(parts.map((p) => [p.name, p.id]), [['_kafka_timestamp_hour', 2_000_001_000]]);
    const { schema: delta, maxColumnId } = toDeltaSchema(schema, parts);
    assert.equal(maxColumnId, 2_000_001_000);
    const last = delta.fields.at(-1);
    assert.equal(last?.name, '_kafka_timestamp_hour');
    assert.equal(last?.type, 'integer');
    assert.equal(last?.nullable, true);
    assert.equal(last?.metadata['delta.columnMapping.physicalName'], '_kafka_timestamp_hour');
  });

  it('projects a spec it cannot express as Delta partition columns as unpartitioned', () => {
    const schema = tableSchema(JSON_LOGS_DECLARED);
    const identity = { 'spec-id': 1, fields: [{ 'source-id': 2, 'field-id': 1000, name: 'service', transform: 'identity' }] };
    assert.deepEqual(partitionColumnsFor(identity, schema), []);
    const truncate = { 'spec-id': 1, fields: [{ 'source-id': 2, 'field-id': 1000, name: 'service_trunc', transform: 'truncate[4]' }] };
    assert.deepEqual(partitionColumnsFor(truncate, schema), []);
    const clash = { 'spec-id': 1, fields: [{ 'source-id': 2000000003, 'field-id': 1000, name: 'Service', transform: 'hour' }] };
    assert.deepEqual(partitionColumnsFor(clash, schema), []);
  });

  it('maps every primitive type', () => {
    const cases: [PrimitiveType, string, string?][] = [
      ['boolean', 'boolean'],
      ['int', 'integer'],
      ['long', 'long'],
      ['float', 'float'],
      ['double', 'double'],
      ['date', 'date'],
      ['time', 'long'],
      ['timestamp', 'timestamp_ntz', 'timestampNtz'],
      ['timestamptz', 'timestamp'],
      ['string', 'string'],
      ['uuid', 'binary'],
      ['binary', 'binary'],
      ['fixed[16]', 'binary'],
      ['decimal(10, 2)', 'decimal(10,2)'],
    ];
    for (const [t, type, feature] of cases) assert.deepEqual(deltaPrimitive(t), feature ? { type, feature } : { type }, t);
  });

  it('asks for reader 2 / writer 5, or 3 / 7 with features, and never downgrades', () => {
    assert.deepEqual(requiredProtocol(new Set(), null), { minReaderVersion: 2, minWriterVersion: 5 });
    const ntz = requiredProtocol(new Set(['timestampNtz']), { minReaderVersion: 2, minWriterVersion: 5 });
    assert.deepEqual(ntz, { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['columnMapping', 'timestampNtz'], writerFeatures: ['columnMapping', 'timestampNtz'] });
    assert.deepEqual(requiredProtocol(new Set(), ntz), ntz);
    const writerOnly = { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['columnMapping'], writerFeatures: ['columnMapping', 'appendOnly'] };
    assert.deepEqual(requiredProtocol(new Set(), writerOnly), writerOnly);
  });
});

function fileWith(bounds: [number, PrimitiveType, Value, Value][], nulls: [number, bigint][] = [], records = 10n): DataFile {
  const stats: ParquetFileStats = {
    columnSizes: new Map(),
    valueCounts: new Map(),
    nullValueCounts: new Map(nulls),
    nanValueCounts: new Map(),
    lowerBounds: new Map(bounds.map(([id, t, lo]) => [id, serializeBound(t, lo)])),
    upperBounds: new Map(bounds.map(([id, t, , hi]) => [id, serializeBound(t, hi)])),
  };
  return dataFileFromParquet('file:///x.parquet', 100, stats, {}, records);
}

describe('Delta stats from Iceberg metrics', () => {
  const schema: Schema = {
    type: 'struct',
    'schema-id': 0,
    fields: [
      { id: 1, name: 'big', required: false, type: 'long' },
      { id: 2, name: 'ts', required: false, type: 'timestamptz' },
      { id: 3, name: 'local', required: false, type: 'timestamp' },
      { id: 4, name: 's', required: false, type: 'string' },
      { id: 5, name: 'd', required: false, type: 'date' },
      { id: 6, name: 'x', required: false, type: 'double' },
      { id: 7, name: 'b', required: false, type: 'boolean' },
      { id: 8, name: 'dec', required: false, type: 'decimal(9, 2)' },
      {
        id: 9,
        name: 'st',
        required: false,
        type: { type: 'struct', fields: [{ id: 10, name: 'inner', required: false, type: 'int' }] },
      },
      { id: 11, name: 'l', required: false, type: { type: 'list', 'element-id': 12, element: 'int', 'element-required': false } },
      { id: 13, name: 'widened', required: false, type: 'long' },
      { id: 14, name: 'bin', required: false, type: 'binary' },
    ],
  };

  it('writes exact numbers, ms timestamps rounded outward, short strings, nested structs; skips what may be wrong', () => {
    const file = fileWith(
      [
        [1, 'long', -9_007_199_254_740_993n, 9_223_372_036_854_775_807n],
        [2, 'timestamptz', 1_704_067_200_000_123n, 1_704_067_200_999_001n],
        [3, 'timestamp', 1_704_067_200_000_000n, 1_704_067_200_000_000n],
        [4, 'string', 'apple', 'banana-bread-with-nuts'],
        [5, 'date', 19_723, 19_724],
        [6, 'double', -0.5, Number.NaN],
        [7, 'boolean', false, true],
        [8, 'decimal(9, 2)', -5n, 123_456n],
        [10, 'int', 3, 4],
        [12, 'int', 1, 2],
        [13, 'int', 7, 8],
        [14, 'binary', new Uint8Array([1]), new Uint8Array([2])],
      ],
      [
        [1, 0n],
        [10, 2n],
        [12, 5n],
      ],
    );
    const stats = JSON.parse(
      deltaStats(file, schema, { stringBoundLength: 16 }).replace(/:(-?\d{16,})/g, ':"$1"'), // keep big integers exact for the comparison
    );
    assert.deepEqual(stats, {
      numRecords: 10,
      minValues: {
        big: '-9007199254740993',
        ts: '2024-01-01T00:00:00.000Z',
        local: '2024-01-01T00:00:00.000',
        s: 'apple',
        d: '2024-01-01',
        x: -0.5,
        dec: -0.05,
        st: { inner: 3 },
        widened: 7,
      },
      maxValues: {
        big: '9223372036854775807',
        ts: '2024-01-01T00:00:01.000Z',
        local: '2024-01-01T00:00:00.000',
        d: '2024-01-02',
        dec: 1234.56,
        st: { inner: 4 },
        widened: 8,
      },
      nullCount: { big: 0, st: { inner: 2 } },
    });
  });

  it('writes only numRecords when the manifest has no metrics', () => {
    const file = fileWith([]);
    file.lowerBounds = null;
    file.upperBounds = null;
    file.nullValueCounts = null;
    assert.equal(deltaStats(file, schema), '{"numRecords":10}');
  });
});

describe('Delta state, checkpoints and the log', () => {
  it('reconciles commits: newest action per path, latest txn per app, tombstones kept until expired', () => {
    const s = new DeltaState();
    s.applyCommit(0, [PROTOCOL, META, { txn: { appId: 'floe-iceberg', version: 1 } }, add('a'), add('b')]);
    s.applyCommit(1, [{ txn: { appId: 'floe-iceberg', version: 2 } }, { remove: { path: 'a', deletionTimestamp: 100, dataChange: false } }, add('c')]);
    s.applyCommit(2, [{ remove: { path: 'b', deletionTimestamp: 5000, dataChange: true } }, add('a', 99)]);
    assert.deepEqual([...s.files.keys()].sort(), ['a', 'c']);
    assert.equal(s.files.get('a')?.size, 99);
    assert.deepEqual([...s.tombstones.keys()], ['b']);
    assert.equal(s.txns.get('floe-iceberg')?.version, 2);
    assert.throws(() => s.applyCommit(4, []), /commit 4 applied to state at version 2/);
    const copy = s.clone();
    copy.expireTombstones(6000);
    assert.equal(copy.tombstones.size, 0);
    assert.equal(s.tombstones.size, 1);
  });

  it('encodes a checkpoint that decodes to the same actions', () => {
    const s = new DeltaState();
    s.applyCommit(0, [
      { protocol: { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['columnMapping', 'timestampNtz'], writerFeatures: ['columnMapping', 'timestampNtz'] } },
      { metaData: { ...('metaData' in META ? META.metaData : ({} as never)), partitionColumns: ['h'], name: 'test+json' } },
      { txn: { appId: 'floe-iceberg', version: 12, lastUpdated: 77 } },
      { add: { path: 'h=1/a.parquet', partitionValues: { h: '1' }, size: 10, modificationTime: 5, dataChange: true, stats: '{"numRecords":3}' } },
      { add: { path: 'h=null/b.parquet', partitionValues: { h: null }, size: 11, modificationTime: 6, dataChange: false } },
    ]);
    s.applyCommit(1, [{ remove: { path: 'h=1/a.parquet', deletionTimestamp: 9, dataChange: false, extendedFileMetadata: true, partitionValues: { h: '1' }, size: 10, stats: '{}' } }]);
    const actions = s.checkpointActions();
    const encoded = encodeCheckpoint(actions);
    assert.equal(encoded.size, 5);
    assert.equal(encoded.numOfAddFiles, 1);
    assert.deepEqual(decodeCheckpoint(encoded.bytes, 'cp'), actions);
    assert.ok(!actions.some((a) => 'remove' in a && 'stats' in a.remove), 'checkpointed removes carry no stats');
  });

  it('loads from the newest readable checkpoint, skips a damaged one, and refuses a gap', async () => {
    await using wh = await tempWarehouse('delta');
    const prefix = tablePrefix('log');
    const log = new DeltaLog(wh.store, prefix);
    assert.equal((await log.load()).version, -1);
    assert.equal(await log.tryCommit(0, [PROTOCOL, META, add('a')]), true);
    assert.equal(await log.tryCommit(0, [PROTOCOL, META, add('x')]), false, 'a version is created once');
    for (let v = 1; v <= 4; v++) assert.equal(await log.tryCommit(v, [add(`f${v}`)]), true);
    const state = await log.load();
    assert.equal(state.version, 4);
    await log.writeCheckpoint(state, 0);
    assert.deepEqual(await log.readLastCheckpoint(), { version: 4, size: 7, numOfAddFiles: 5, sizeInBytes: (await wh.store.head(log.key(checkpointFileName(4))))?.size });
    await log.tryCommit(5, [add('f5')]);
    // Without the JSON commits before the checkpoint, the checkpoint carries the state.
    await wh.store.delete([0, 1, 2, 3, 4].map((v) => log.key(commitFileName(v))));
    const fromCheckpoint = await log.load();
    assert.equal(fromCheckpoint.version, 5);
    assert.equal(fromCheckpoint.checkpointVersion, 4);
    assert.deepEqual([...fromCheckpoint.files.keys()].sort(), ['a', 'f1', 'f2', 'f3', 'f4', 'f5']);
    // _last_checkpoint never moves back.
    await log.writeCheckpoint((await log.load()).clone(), 0);
    const older = new DeltaState();
    older.applyCommit(0, [PROTOCOL, META]);
    await log.writeCheckpoint(older, 0);
    assert.equal((await log.readLastCheckpoint())?.version, 5);
    // A writer that died between the checkpoint and _last_checkpoint: the next load repairs the hint.
    await wh.store.put(log.key('_last_checkpoint'), new TextEncoder().encode('{"version":4,"size":7}'));
    await log.load();
    assert.equal((await log.readLastCheckpoint())?.version, 5);
    // A damaged newest checkpoint is skipped for the older one.
    await wh.store.put(log.key(checkpointFileName(5)), new TextEncoder().encode('not parquet'));
    assert.equal((await log.load()).version, 5);
    // A missing commit between the checkpoint and a later commit is corruption, not an empty table.
    await log.tryCommit(7, [add('f7')]);
    await assert.rejects(log.load(), (e: FloeError) => e.code === 'FLOE_TABLE_CORRUPT' && /commit 6 is missing/.test(e.message));
  });
});

describe('DeltaProjector options and edge cases', () => {
  it('validates options, naming the path and value', () => {
    assert.throws(
      () => resolveDeltaProjectorOptions({ checkpointInterval: 0, tombstoneRetentionMs: -1 }),
      (e: ConfigError) => e.issues.length === 2 && e.issues[0].path === 'delta.checkpointInterval' && /got 0/.test(e.issues[0].message),
    );
    assert.deepEqual(deltaOptionsFromEnv({ FLOE_DELTA_CHECKPOINT_INTERVAL: '25', FLOE_DELTA_TOMBSTONE_RETENTION_MS: '1000', FLOE_PARQUET_BOUND_TRUNCATE_LENGTH: '' }), {
      checkpointInterval: 25,
      tombstoneRetentionMs: 1000,
    });
    const o = resolveDeltaProjectorOptions();
    assert.deepEqual({ ...o, logger: null }, { checkpointInterval: 10, tombstoneRetentionMs: 604_800_000, stringBoundLength: 16, logger: null });
  });

  it('writes nothing for an Iceberg table without snapshots', async () => {
    await using wh = await tempWarehouse('delta');
    const prefix = tablePrefix('empty');
    const table = await IcebergTable.create(wh.store, prefix, { schema: tableSchema(JSON_LOGS_DECLARED), partitioning: 'unpartitioned' });
    const r = await new DeltaProjector(wh.store, prefix).sync(table);
    assert.deepEqual(r, { commitsWritten: 0, version: -1, checkpointsWritten: 0, racesLost: 0, catchUps: 0, snapshotId: null });
  });
});
