// Iceberg v2 manifests and manifest lists: the data model, their Avro schemas (with the spec's
// field ids), and encode/decode. No I/O.
//
// Writing follows the reference implementation's layout: record names manifest_entry, r2, r102,
// manifest_file, r508; int-keyed maps as arrays of k<id>_v<id> records with logicalType "map";
// header metadata schema, schema-id, partition-spec, partition-spec-id, format-version, content.
// Reading resolves fields by `field-id` (falling back to the spec's field names), so manifests
// written by other engines are read as well.
//
// Sequence number inheritance: an ADDED entry is written with null sequence numbers (the
// snapshot's sequence number is only final once the commit wins); readers take them from the
// manifest list entry. EXISTING and DELETED entries carry explicit values.

import type { ParquetFileStats as WriterStats } from '../parquet/writer.ts';
import { FloeError } from '../errors.ts';
import { compareValues } from '../schema/bounds.ts';
import type { PrimitiveType, Schema, Value } from '../schema/types.ts';
import { readAvroContainer, writeAvroContainer, type AvroField, type AvroRecord, type AvroSchema } from './avro.ts';
import {
  partitionAvroRecord,
  partitionFieldType,
  serializePartitionValue,
  type PartitionSpec,
  type PartitionValues,
} from './partition.ts';

export const EntryStatus = { EXISTING: 0, ADDED: 1, DELETED: 2 } as const;
export type EntryStatus = (typeof EntryStatus)[keyof typeof EntryStatus];

export const DataFileContent = { DATA: 0, POSITION_DELETES: 1, EQUALITY_DELETES: 2 } as const;
export type DataFileContent = (typeof DataFileContent)[keyof typeof DataFileContent];

/** Column statistics of a Parquet file, keyed by Iceberg field id: the writer's, minus the raw min/max. */
export type ParquetFileStats = Omit<WriterStats, 'minValues' | 'maxValues'>;

/** A data (or delete) file as a manifest describes it. */
export interface DataFile {
  content: DataFileContent;
  /** Absolute URI (`s3://...`, `file:///...`); a bare store key is resolved when committed. */
  filePath: string;
  fileFormat: string;
  partition: PartitionValues;
  recordCount: bigint;
  fileSizeInBytes: bigint;
  columnSizes: Map<number, bigint> | null;
  valueCounts: Map<number, bigint> | null;
  nullValueCounts: Map<number, bigint> | null;
  nanValueCounts: Map<number, bigint> | null;
  lowerBounds: Map<number, Uint8Array> | null;
  upperBounds: Map<number, Uint8Array> | null;
  keyMetadata: Uint8Array | null;
  splitOffsets: bigint[] | null;
  equalityIds: number[] | null;
  sortOrderId: number | null;
}

export interface ManifestEntry {
  status: EntryStatus;
  snapshotId: bigint | null;
  /** Data sequence number; null = inherited from the manifest list entry (ADDED only). */
  sequenceNumber: number | null;
  fileSequenceNumber: number | null;
  dataFile: DataFile;
}

export interface FieldSummary {
  containsNull: boolean;
  containsNan: boolean | null;
  lowerBound: Uint8Array | null;
  upperBound: Uint8Array | null;
}

/** One entry of a manifest list. */
export interface ManifestFile {
  manifestPath: string;
  manifestLength: bigint;
  partitionSpecId: number;
  /** 0 = data, 1 = deletes. */
  content: 0 | 1;
  sequenceNumber: number;
  minSequenceNumber: number;
  addedSnapshotId: bigint;
  addedFilesCount: number;
  existingFilesCount: number;
  deletedFilesCount: number;
  addedRowsCount: bigint;
  existingRowsCount: bigint;
  deletedRowsCount: bigint;
  partitions: FieldSummary[] | null;
  keyMetadata: Uint8Array | null;
}

function big(v: number | bigint): bigint {
  return typeof v === 'bigint' ? v : BigInt(v);
}

/**
 * The DataFile for a Parquet file the writer produced. `filePath` is an absolute URI or a key of
 * the table's store; `stats` is the writer's column statistics (field id keyed); `partition` the
 * file's partition tuple by partition field name ({} when unpartitioned); `recordCount` its rows.
 * Split offsets come from `extra.splitOffsets`, else `stats.splitOffsets`.
 */
export function dataFileFromParquet(
  filePath: string,
  fileSizeInBytes: number | bigint,
  stats: ParquetFileStats,
  partition: PartitionValues,
  recordCount: number | bigint,
  extra: { splitOffsets?: (number | bigint)[]; sortOrderId?: number } = {},
): DataFile {
  return {
    content: DataFileContent.DATA,
    filePath,
    fileFormat: 'PARQUET',
    partition: { ...partition },
    recordCount: big(recordCount),
    fileSizeInBytes: big(fileSizeInBytes),
    columnSizes: new Map(stats.columnSizes),
    valueCounts: new Map(stats.valueCounts),
    nullValueCounts: new Map(stats.nullValueCounts),
    nanValueCounts: new Map(stats.nanValueCounts),
    lowerBounds: new Map(stats.lowerBounds),
    upperBounds: new Map(stats.upperBounds),
    keyMetadata: null,
    splitOffsets: (extra.splitOffsets ?? stats.splitOffsets)?.map(big) ?? null,
    equalityIds: null,
    sortOrderId: extra.sortOrderId ?? 0,
  };
}

// ---------------------------------------------------------------------------------------------
// Avro schemas

function optional(name: string, id: number, type: AvroSchema, doc?: string): AvroField {
  const f: AvroField = { name, type: ['null', type], default: null, 'field-id': id };
  if (doc) f.doc = doc;
  return f;
}

function required(name: string, id: number, type: AvroSchema, doc?: string): AvroField {
  const f: AvroField = { name, type, 'field-id': id };
  if (doc) f.doc = doc;
  return f;
}

function intMap(keyId: number, valueId: number, valueType: AvroSchema): AvroSchema {
  return {
    type: 'array',
    logicalType: 'map',
    items: {
      type: 'record',
      name: `k${keyId}_v${valueId}`,
      fields: [required('key', keyId, 'int'), required('value', valueId, valueType)],
    },
  };
}

/** The manifest_entry Avro schema for a partition spec (the r102 record differs per spec). */
export function manifestEntryAvroSchema(partition: AvroRecord): AvroRecord {
  const dataFile: AvroRecord = {
    type: 'record',
    name: 'r2',
    fields: [
      required('content', 134, 'int', 'Contents of the file: 0=data, 1=position deletes, 2=equality deletes'),
      required('file_path', 100, 'string', 'Location URI with FS scheme'),
      required('file_format', 101, 'string', 'File format name: avro, orc, or parquet'),
      required('partition', 102, partition, 'Partition data tuple, schema based on the partition spec'),
      required('record_count', 103, 'long', 'Number of records in the file'),
      required('file_size_in_bytes', 104, 'long', 'Total file size in bytes'),
      optional('column_sizes', 108, intMap(117, 118, 'long'), 'Map of column id to total size on disk'),
      optional('value_counts', 109, intMap(119, 120, 'long'), 'Map of column id to total count, including null and NaN'),
      optional('null_value_counts', 110, intMap(121, 122, 'long'), 'Map of column id to null value count'),
      optional('nan_value_counts', 137, intMap(138, 139, 'long'), 'Map of column id to number of NaN values in the column'),
      optional('lower_bounds', 125, intMap(126, 127, 'bytes'), 'Map of column id to lower bound'),
      optional('upper_bounds', 128, intMap(129, 130, 'bytes'), 'Map of column id to upper bound'),
      optional('key_metadata', 131, 'bytes', 'Encryption key metadata blob'),
      optional('split_offsets', 132, { type: 'array', items: 'long', 'element-id': 133 }, 'Splittable offsets'),
      optional('equality_ids', 135, { type: 'array', items: 'int', 'element-id': 136 }, 'Equality comparison field IDs'),
      optional('sort_order_id', 140, 'int', 'Sort order ID'),
    ],
  };
  return {
    type: 'record',
    name: 'manifest_entry',
    fields: [
      required('status', 0, 'int'),
      optional('snapshot_id', 1, 'long'),
      optional('sequence_number', 3, 'long'),
      optional('file_sequence_number', 4, 'long'),
      required('data_file', 2, dataFile),
    ],
  };
}

export const MANIFEST_FILE_AVRO_SCHEMA: AvroRecord = {
  type: 'record',
  name: 'manifest_file',
  fields: [
    required('manifest_path', 500, 'string', 'Location URI with FS scheme'),
    required('manifest_length', 501, 'long', 'Total file size in bytes'),
    required('partition_spec_id', 502, 'int', 'Spec ID used to write'),
    required('content', 517, 'int', 'Contents of the manifest: 0=data, 1=deletes'),
    required('sequence_number', 515, 'long', 'Sequence number when the manifest was added'),
    required('min_sequence_number', 516, 'long', 'Lowest sequence number in the manifest'),
    required('added_snapshot_id', 503, 'long', 'Snapshot ID that added the manifest'),
    required('added_files_count', 504, 'int', 'Added entry count'),
    required('existing_files_count', 505, 'int', 'Existing entry count'),
    required('deleted_files_count', 506, 'int', 'Deleted entry count'),
    required('added_rows_count', 512, 'long', 'Added rows count'),
    required('existing_rows_count', 513, 'long', 'Existing rows count'),
    required('deleted_rows_count', 514, 'long', 'Deleted rows count'),
    optional(
      'partitions',
      507,
      {
        type: 'array',
        'element-id': 508,
        items: {
          type: 'record',
          name: 'r508',
          fields: [
            required('contains_null', 509, 'boolean', 'True if any file has a null partition value'),
            optional('contains_nan', 518, 'boolean', 'True if any file has a nan partition value'),
            optional('lower_bound', 510, 'bytes', 'Partition lower bound for all files'),
            optional('upper_bound', 511, 'bytes', 'Partition upper bound for all files'),
          ],
        },
      },
      'Summary for each partition',
    ),
    optional('key_metadata', 519, 'bytes', 'Encryption key metadata blob'),
  ],
};

// ---------------------------------------------------------------------------------------------
// Encoding

function mapToAvro<V>(m: Map<number, V> | null): { key: number; value: V }[] | null {
  if (m === null) return null;
  return [...m.entries()].sort((a, b) => a[0] - b[0]).map(([key, value]) => ({ key, value }));
}

export interface ManifestWriteOptions {
  /** The table schema the manifest's files were written with. */
  schema: Schema;
  spec: PartitionSpec;
}

/** Encodes a data manifest (Avro container, deflate). */
export function encodeManifest(entries: ManifestEntry[], opts: ManifestWriteOptions): Uint8Array {
  const avroSchema = manifestEntryAvroSchema(partitionAvroRecord(opts.spec, opts.schema));
  const records = entries.map((e) => {
    const f = e.dataFile;
    const partition: Record<string, unknown> = {};
    for (const pf of opts.spec.fields) partition[pf.name] = f.partition[pf.name] ?? null;
    return {
      status: e.status,
      snapshot_id: e.snapshotId,
      sequence_number: e.sequenceNumber === null ? null : BigInt(e.sequenceNumber),
      file_sequence_number: e.fileSequenceNumber === null ? null : BigInt(e.fileSequenceNumber),
      data_file: {
        content: f.content,
        file_path: f.filePath,
        file_format: f.fileFormat,
        partition,
        record_count: f.recordCount,
        file_size_in_bytes: f.fileSizeInBytes,
        column_sizes: mapToAvro(f.columnSizes),
        value_counts: mapToAvro(f.valueCounts),
        null_value_counts: mapToAvro(f.nullValueCounts),
        nan_value_counts: mapToAvro(f.nanValueCounts),
        lower_bounds: mapToAvro(f.lowerBounds),
        upper_bounds: mapToAvro(f.upperBounds),
        key_metadata: f.keyMetadata,
        split_offsets: f.splitOffsets,
        equality_ids: f.equalityIds,
        sort_order_id: f.sortOrderId,
      },
    };
  });
  // The spec's "partition-spec" header is the JSON list of the spec's fields.
  return writeAvroContainer(avroSchema, records, {
    schema: JSON.stringify(opts.schema),
    'schema-id': String(opts.schema['schema-id']),
    'partition-spec': JSON.stringify(opts.spec.fields),
    'partition-spec-id': String(opts.spec['spec-id']),
    'format-version': '2',
    content: 'data',
  });
}

export interface ManifestListWriteOptions {
  snapshotId: bigint;
  parentSnapshotId: bigint | null;
  sequenceNumber: number;
}

export function encodeManifestList(files: ManifestFile[], opts: ManifestListWriteOptions): Uint8Array {
  const records = files.map((m) => ({
    manifest_path: m.manifestPath,
    manifest_length: m.manifestLength,
    partition_spec_id: m.partitionSpecId,
    content: m.content,
    sequence_number: BigInt(m.sequenceNumber),
    min_sequence_number: BigInt(m.minSequenceNumber),
    added_snapshot_id: m.addedSnapshotId,
    added_files_count: m.addedFilesCount,
    existing_files_count: m.existingFilesCount,
    deleted_files_count: m.deletedFilesCount,
    added_rows_count: m.addedRowsCount,
    existing_rows_count: m.existingRowsCount,
    deleted_rows_count: m.deletedRowsCount,
    partitions:
      m.partitions === null
        ? null
        : m.partitions.map((p) => ({
            contains_null: p.containsNull,
            contains_nan: p.containsNan,
            lower_bound: p.lowerBound,
            upper_bound: p.upperBound,
          })),
    key_metadata: m.keyMetadata,
  }));
  return writeAvroContainer(MANIFEST_FILE_AVRO_SCHEMA, records, {
    'snapshot-id': opts.snapshotId.toString(),
    'parent-snapshot-id': opts.parentSnapshotId === null ? 'null' : opts.parentSnapshotId.toString(),
    'sequence-number': String(opts.sequenceNumber),
    'format-version': '2',
  });
}

// ---------------------------------------------------------------------------------------------
// Decoding (by field id)

function corrupt(what: string, cause?: unknown): never {
  throw new FloeError('FLOE_TABLE_CORRUPT', what, cause === undefined ? {} : { cause });
}

function unwrapRecord(t: AvroSchema, what: string): AvroRecord {
  if (Array.isArray(t)) {
    const r = t.find((b) => typeof b === 'object' && !Array.isArray(b) && b.type === 'record');
    if (r) return r as AvroRecord;
  } else if (typeof t === 'object' && t.type === 'record') {
    return t as AvroRecord;
  }
  return corrupt(`${what} is not an Avro record`);
}

/** Field name by Iceberg field id (the record's `field-id`s, else the spec's names). */
class FieldIds {
  readonly #byId = new Map<number, AvroField>();
  readonly #byName = new Map<string, AvroField>();

  constructor(record: AvroRecord) {
    for (const f of record.fields) {
      if (typeof f['field-id'] === 'number') this.#byId.set(f['field-id'], f);
      this.#byName.set(f.name, f);
    }
  }

  field(id: number, fallbackName: string): AvroField | undefined {
    return this.#byId.get(id) ?? this.#byName.get(fallbackName);
  }

  get(rec: Record<string, unknown>, id: number, fallbackName: string): unknown {
    const f = this.field(id, fallbackName);
    return f === undefined ? undefined : rec[f.name];
  }
}

function optNumber(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  return typeof v === 'bigint' ? Number(v) : (v as number);
}

function reqBig(v: unknown, what: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return BigInt(v);
  return corrupt(`${what} is missing`);
}

function avroToMap<V>(v: unknown): Map<number, V> | null {
  if (v === null || v === undefined) return null;
  const out = new Map<number, V>();
  if (v instanceof Map) {
    for (const [k, x] of v) out.set(Number(k), x as V);
    return out;
  }
  for (const kv of v as Record<string, unknown>[]) {
    // Array storage of a map: 2-field records, key first, value second.
    const [k, x] = Object.values(kv);
    out.set(Number(k), x as V);
  }
  return out;
}

export interface DecodedManifest {
  entries: ManifestEntry[];
  /** Header metadata (schema, partition-spec, ...). */
  metadata: Map<string, string>;
}

/** Decodes a manifest. Partition values are keyed by the partition record's field names. */
export function decodeManifest(bytes: Uint8Array, what = 'manifest'): DecodedManifest {
  let file;
  try {
    file = readAvroContainer(bytes);
  } catch (err) {
    return corrupt(`${what}: ${(err as Error).message}`, err);
  }
  const entrySchema = unwrapRecord(file.schema, `${what}: manifest_entry`);
  const entryIds = new FieldIds(entrySchema);
  const dfField = entryIds.field(2, 'data_file') ?? corrupt(`${what}: no data_file field`);
  const dfSchema = unwrapRecord(dfField.type, `${what}: data_file`);
  const dfIds = new FieldIds(dfSchema);
  const partField = dfIds.field(102, 'partition');
  const partNames = partField ? unwrapRecord(partField.type, `${what}: partition`).fields.map((f) => f.name) : [];

  const entries = file.records.map((raw, i): ManifestEntry => {
    const rec = raw as Record<string, unknown>;
    const df = entryIds.get(rec, 2, 'data_file') as Record<string, unknown>;
    const part = (dfIds.get(df, 102, 'partition') ?? {}) as Record<string, unknown>;
    const partition: PartitionValues = {};
    for (const n of partNames) partition[n] = (part[n] ?? null) as Value;
    const content = optNumber(dfIds.get(df, 134, 'content')) ?? 0;
    const splitOffsets = dfIds.get(df, 132, 'split_offsets') as bigint[] | null | undefined;
    const equalityIds = dfIds.get(df, 135, 'equality_ids') as number[] | null | undefined;
    return {
      status: (optNumber(entryIds.get(rec, 0, 'status')) ?? corrupt(`${what}: entry ${i} has no status`)) as EntryStatus,
      snapshotId: (entryIds.get(rec, 1, 'snapshot_id') as bigint | null | undefined) ?? null,
      sequenceNumber: optNumber(entryIds.get(rec, 3, 'sequence_number')),
      fileSequenceNumber: optNumber(entryIds.get(rec, 4, 'file_sequence_number')),
      dataFile: {
        content: content as DataFileContent,
        filePath: String(dfIds.get(df, 100, 'file_path')),
        fileFormat: String(dfIds.get(df, 101, 'file_format')).toUpperCase(),
        partition,
        recordCount: reqBig(dfIds.get(df, 103, 'record_count'), `${what}: record_count`),
        fileSizeInBytes: reqBig(dfIds.get(df, 104, 'file_size_in_bytes'), `${what}: file_size_in_bytes`),
        columnSizes: avroToMap<bigint>(dfIds.get(df, 108, 'column_sizes')),
        valueCounts: avroToMap<bigint>(dfIds.get(df, 109, 'value_counts')),
        nullValueCounts: avroToMap<bigint>(dfIds.get(df, 110, 'null_value_counts')),
        nanValueCounts: avroToMap<bigint>(dfIds.get(df, 137, 'nan_value_counts')),
        lowerBounds: avroToMap<Uint8Array>(dfIds.get(df, 125, 'lower_bounds')),
        upperBounds: avroToMap<Uint8Array>(dfIds.get(df, 128, 'upper_bounds')),
        keyMetadata: (dfIds.get(df, 131, 'key_metadata') as Uint8Array | null | undefined) ?? null,
        splitOffsets: splitOffsets ?? null,
        equalityIds: equalityIds ?? null,
        sortOrderId: optNumber(dfIds.get(df, 140, 'sort_order_id')),
      },
    };
  });
  return { entries, metadata: file.metadata };
}

export function decodeManifestList(bytes: Uint8Array, what = 'manifest list'): ManifestFile[] {
  let file;
  try {
    file = readAvroContainer(bytes);
  } catch (err) {
    return corrupt(`${what}: ${(err as Error).message}`, err);
  }
  const ids = new FieldIds(unwrapRecord(file.schema, `${what}: manifest_file`));
  const partsField = ids.field(507, 'partitions');
  let summaryIds: FieldIds | null = null;
  if (partsField) {
    const arr = (Array.isArray(partsField.type) ? partsField.type.find((b) => typeof b === 'object' && !Array.isArray(b) && b.type === 'array') : partsField.type) as
      | { items: AvroSchema }
      | undefined;
    if (arr) summaryIds = new FieldIds(unwrapRecord(arr.items, `${what}: field_summary`));
  }
  const num = (rec: Record<string, unknown>, id: number, name: string, dflt?: number): number => {
    const v = optNumber(ids.get(rec, id, name));
    if (v === null) {
      if (dflt !== undefined) return dflt;
      return corrupt(`${what}: ${name} is missing`);
    }
    return v;
  };
  const bigOr0 = (rec: Record<string, unknown>, id: number, name: string): bigint => {
    const v = ids.get(rec, id, name);
    return v === null || v === undefined ? 0n : reqBig(v, name);
  };
  return file.records.map((raw): ManifestFile => {
    const rec = raw as Record<string, unknown>;
    const parts = ids.get(rec, 507, 'partitions') as Record<string, unknown>[] | null | undefined;
    const sequenceNumber = num(rec, 515, 'sequence_number', 0);
    return {
      manifestPath: String(ids.get(rec, 500, 'manifest_path')),
      manifestLength: reqBig(ids.get(rec, 501, 'manifest_length'), `${what}: manifest_length`),
      partitionSpecId: num(rec, 502, 'partition_spec_id'),
      content: num(rec, 517, 'content', 0) as 0 | 1,
      sequenceNumber,
      minSequenceNumber: num(rec, 516, 'min_sequence_number', sequenceNumber),
      addedSnapshotId: reqBig(ids.get(rec, 503, 'added_snapshot_id'), `${what}: added_snapshot_id`),
      addedFilesCount: num(rec, 504, 'added_files_count', 0),
      existingFilesCount: num(rec, 505, 'existing_files_count', 0),
      deletedFilesCount: num(rec, 506, 'deleted_files_count', 0),
      addedRowsCount: bigOr0(rec, 512, 'added_rows_count'),
      existingRowsCount: bigOr0(rec, 513, 'existing_rows_count'),
      deletedRowsCount: bigOr0(rec, 514, 'deleted_rows_count'),
      partitions:
        parts === null || parts === undefined || summaryIds === null
          ? null
          : parts.map((p) => ({
              containsNull: Boolean(summaryIds.get(p, 509, 'contains_null')),
              containsNan: (summaryIds.get(p, 518, 'contains_nan') as boolean | null | undefined) ?? null,
              lowerBound: (summaryIds.get(p, 510, 'lower_bound') as Uint8Array | null | undefined) ?? null,
              upperBound: (summaryIds.get(p, 511, 'upper_bound') as Uint8Array | null | undefined) ?? null,
            })),
      keyMetadata: (ids.get(rec, 519, 'key_metadata') as Uint8Array | null | undefined) ?? null,
    };
  });
}

/** Fills an entry's inherited snapshot id and sequence numbers from its manifest list entry. */
export function inheritFromManifest(entry: ManifestEntry, manifest: ManifestFile): ManifestEntry {
  const out = { ...entry };
  if (out.snapshotId === null) out.snapshotId = manifest.addedSnapshotId;
  if (out.status === EntryStatus.ADDED || manifest.sequenceNumber === 0) {
    if (out.sequenceNumber === null) out.sequenceNumber = manifest.sequenceNumber;
    if (out.fileSequenceNumber === null) out.fileSequenceNumber = manifest.sequenceNumber;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Partition field summaries

/** Per partition field: whether any file has a null (or NaN) value, and the value bounds. */
export function summarizePartitions(spec: PartitionSpec, schema: Schema, files: DataFile[]): FieldSummary[] {
  return spec.fields.map((pf) => {
    const type: PrimitiveType = partitionFieldType(pf, schema);
    const floating = type === 'float' || type === 'double';
    let containsNull = false;
    let containsNan = false;
    let lo: Value = null;
    let hi: Value = null;
    for (const f of files) {
      const v = f.partition[pf.name] ?? null;
      if (v === null) {
        containsNull = true;
        continue;
      }
      if (floating && Number.isNaN(v as number)) {
        containsNan = true;
        continue;
      }
      if (lo === null || compareValues(type, v, lo) < 0) lo = v;
      if (hi === null || compareValues(type, v, hi) > 0) hi = v;
    }
    return {
      containsNull,
      containsNan: floating ? containsNan : false,
      lowerBound: lo === null ? null : serializePartitionValue(type, lo),
      upperBound: hi === null ? null : serializePartitionValue(type, hi),
    };
  });
}
