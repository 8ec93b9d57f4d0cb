// Classic single-file Delta checkpoints (`<version:020>.checkpoint.parquet`, V1 spec): encode a
// state's actions to Parquet bytes and decode them back. No I/O.
//
// One row per action; the columns are the actions (`txn`, `add`, `remove`, `metaData`,
// `protocol`), each a nullable struct of which exactly one is set per row, following the
// protocol's "Checkpoint Schema" (add.stats as a JSON string; no stats_parsed or
// partitionValues_parsed, which readers only use when the table asks for them). Every field is
// nullable, as the reference implementation writes them. The file is written by the agent's own
// Parquet writer from an Iceberg-style schema of these structs; the field ids it adds are ignored
// by Delta readers, which resolve checkpoint columns by name.

import * as arrow from 'apache-arrow';
import * as parquet from 'parquet-wasm';
import { FloeError } from '../errors.ts';
import { ParquetFileBuilder } from '../parquet/writer.ts';
import type { IcebergType, ListType, MapType, NestedField, Row, Schema, Value } from '../schema/types.ts';
import { actionFromJson, type Action } from './actions.ts';

function checkpointSchema(): Schema {
  let id = 0;
  const field = (name: string, type: IcebergType): NestedField => ({ id: ++id, name, required: false, type });
  const struct = (...fields: NestedField[]): IcebergType => ({ type: 'struct', fields });
  const stringMap = (): MapType => ({ type: 'map', 'key-id': ++id, key: 'string', 'value-id': ++id, value: 'string', 'value-required': false });
  const stringList = (): ListType => ({ type: 'list', 'element-id': ++id, element: 'string', 'element-required': false });
  const deletionVector = (): NestedField =>
    field(
      'deletionVector',
      struct(
        field('storageType', 'string'),
        field('pathOrInlineDv', 'string'),
        field('offset', 'int'),
        field('sizeInBytes', 'int'),
        field('cardinality', 'long'),
      ),
    );
  return {
    type: 'struct',
    'schema-id': 0,
    fields: [
      field('txn', struct(field('appId', 'string'), field('version', 'long'), field('lastUpdated', 'long'))),
      field(
        'add',
        struct(
          field('path', 'string'),
          field('partitionValues', stringMap()),
          field('size', 'long'),
          field('modificationTime', 'long'),
          field('dataChange', 'boolean'),
          field('stats', 'string'),
          field('tags', stringMap()),
          deletionVector(),
          field('baseRowId', 'long'),
          field('defaultRowCommitVersion', 'long'),
          field('clusteringProvider', 'string'),
        ),
      ),
      field(
        'remove',
        struct(
          field('path', 'string'),
          field('deletionTimestamp', 'long'),
          field('dataChange', 'boolean'),
          field('extendedFileMetadata', 'boolean'),
          field('partitionValues', stringMap()),
          field('size', 'long'),
          deletionVector(),
          field('baseRowId', 'long'),
          field('defaultRowCommitVersion', 'long'),
        ),
      ),
      field(
        'metaData',
        struct(
          field('id', 'string'),
          field('name', 'string'),
          field('description', 'string'),
          field('format', struct(field('provider', 'string'), field('options', stringMap()))),
          field('schemaString', 'string'),
          field('partitionColumns', stringList()),
          field('createdTime', 'long'),
          field('configuration', stringMap()),
        ),
      ),
      field(
        'protocol',
        struct(
          field('minReaderVersion', 'int'),
          field('minWriterVersion', 'int'),
          field('readerFeatures', stringList()),
          field('writerFeatures', stringList()),
        ),
      ),
    ],
  };
}

const CHECKPOINT_SCHEMA = checkpointSchema();
const ACTION_COLUMNS = ['txn', 'add', 'remove', 'metaData', 'protocol'] as const;

function long(v: number | null | undefined): bigint | null {
  return v === null || v === undefined ? null : BigInt(v);
}

function stringMap(o: Record<string, string | null> | null | undefined): Map<Value, Value> | null {
  if (o === null || o === undefined) return null;
  return new Map(Object.entries(o));
}

function dvRow(dv: { storageType: string; pathOrInlineDv: string; offset?: number | null; sizeInBytes: number; cardinality: number } | null | undefined): Row | null {
  if (!dv) return null;
  return { storageType: dv.storageType, pathOrInlineDv: dv.pathOrInlineDv, offset: dv.offset ?? null, sizeInBytes: dv.sizeInBytes, cardinality: BigInt(dv.cardinality) };
}

function toRow(a: Action): Row | null {
  if ('txn' in a) {
    return { txn: { appId: a.txn.appId, version: BigInt(a.txn.version), lastUpdated: long(a.txn.lastUpdated) } };
  }
  if ('add' in a) {
    const x = a.add;
    return {
      add: {
        path: x.path,
        partitionValues: stringMap(x.partitionValues) ?? new Map(),
        size: BigInt(x.size),
        modificationTime: BigInt(x.modificationTime),
        dataChange: x.dataChange,
        stats: x.stats ?? null,
        tags: stringMap(x.tags),
        deletionVector: dvRow(x.deletionVector),
        baseRowId: long(x.baseRowId),
        defaultRowCommitVersion: long(x.defaultRowCommitVersion),
        clusteringProvider: x.clusteringProvider ?? null,
      },
    };
  }
  if ('remove' in a) {
    const x = a.remove;
    return {
      remove: {
        path: x.path,
        deletionTimestamp: long(x.deletionTimestamp),
        dataChange: x.dataChange,
        extendedFileMetadata: x.extendedFileMetadata ?? null,
        partitionValues: stringMap(x.partitionValues),
        size: long(x.size),
        deletionVector: dvRow(x.deletionVector),
        baseRowId: long(x.baseRowId),
        defaultRowCommitVersion: long(x.defaultRowCommitVersion),
      },
    };
  }
  if ('metaData' in a) {
    const m = a.metaData;
    return {
      metaData: {
        id: m.id,
        name: m.name ?? null,
        description: m.description ?? null,
        format: { provider: m.format.provider, options: stringMap(m.format.options) ?? new Map() },
        schemaString: m.schemaString,
        partitionColumns: [...m.partitionColumns],
        createdTime: long(m.createdTime),
        configuration: stringMap(m.configuration) ?? new Map(),
      },
    };
  }
  if ('protocol' in a) {
    const p = a.protocol;
    return {
      protocol: {
        minReaderVersion: p.minReaderVersion,
        minWriterVersion: p.minWriterVersion,
        readerFeatures: p.readerFeatures ? [...p.readerFeatures] : null,
        writerFeatures: p.writerFeatures ? [...p.writerFeatures] : null,
      },
    };
  }
  return null; // commitInfo and unknown actions are not checkpointed
}

export interface EncodedCheckpoint {
  bytes: Uint8Array;
  /** Actions (rows) written. */
  size: number;
  numOfAddFiles: number;
}

/** Parquet bytes of a checkpoint holding `actions` (commitInfo and unknown actions are dropped). */
export function encodeCheckpoint(actions: Action[]): EncodedCheckpoint {
  const builder = new ParquetFileBuilder(CHECKPOINT_SCHEMA, { compression: 'snappy' });
  let size = 0;
  let adds = 0;
  for (const a of actions) {
    const row = toRow(a);
    if (row === null) continue;
    builder.append(row);
    size++;
    if ('add' in a) adds++;
  }
  return { bytes: builder.finish().bytes, size, numOfAddFiles: adds };
}

// Arrow values -> plain JSON-like values: structs to objects, maps to objects, lists to arrays,
// int64 to number (sizes, times and versions are far below 2^53).
function plain(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v !== 'object') return v;
  if (v instanceof arrow.Vector) return Array.from(v as Iterable<unknown>, plain);
  if (v instanceof Uint8Array) return v;
  if (v instanceof arrow.MapRow) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of v as Iterable<[unknown, unknown]>) out[String(k)] = plain(x);
    return out;
  }
  const json = (v as { toJSON?: () => Record<string, unknown> }).toJSON?.() ?? (v as Record<string, unknown>);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(json)) {
    const p = plain(x);
    if (p !== null) out[k] = p;
  }
  return out;
}

/** The actions of a checkpoint file (any V1 checkpoint: extra columns are ignored). */
export function decodeCheckpoint(bytes: Uint8Array, where: string): Action[] {
  let table: arrow.Table;
  try {
    table = arrow.tableFromIPC(parquet.readParquet(bytes).intoIPCStream());
  } catch (err) {
    throw new FloeError('FLOE_TABLE_CORRUPT', `${where}: not a readable Parquet checkpoint: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
  const columns = ACTION_COLUMNS.map((name) => [name, table.getChild(name)] as const).filter(([, c]) => c !== null);
  const out: Action[] = [];
  for (let i = 0; i < table.numRows; i++) {
    for (const [name, col] of columns) {
      const v = col?.get(i);
      if (v === null || v === undefined) continue;
      out.push(actionFromJson({ [name]: plain(v) }, `${where} row ${i}`));
    }
  }
  return out;
}
