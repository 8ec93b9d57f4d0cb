// Iceberg schema and partition spec -> Delta schema, metaData and protocol. No I/O.
//
// Column mapping (mode `id`): every Delta column, top-level or nested, carries
//   delta.columnMapping.id           = its Iceberg field id
//   delta.columnMapping.physicalName = its Iceberg field name (the column name in the Parquet files)
// and a column holding a list or map carries `delta.columnMapping.nested.ids` with the Iceberg
// ids of the list element / map key and value (`<physical>.element`, `<physical>.key`, ...), the
// way Delta's IcebergCompatV2 records them. Physical names must equal the Parquet names: delta-rs
// (1.6) resolves columns by physical name even in mode `id`. Floe never renames columns (the
// allowed migrations are add column, required -> optional and widening), so they stay equal.
//
// Types: boolean, int -> integer, long, float, double, date, decimal(p,s), string and binary map
// one to one; timestamptz -> timestamp; timestamp -> timestamp_ntz (table feature
// `timestampNtz`, which needs protocol 3/7); time -> long (microseconds since midnight, what the
// Parquet column holds); uuid and fixed[L] -> binary. Widened Iceberg types (int -> long,
// float -> double) are projected as the wide type without Delta's `typeWidening` feature, because
// delta-rs refuses tables that declare it while it reads narrower Parquet columns by casting.
//
// Partitioning: Delta partition values are columns of the table schema that data files do not
// hold (their value lives in add.partitionValues). Each partition field of the Iceberg spec whose
// transform yields an int (hour, day, month, year, bucket[N]) becomes an extra nullable `integer`
// column at the end of the Delta schema, named like the partition field (`_kafka_timestamp_hour`
// = whole hours since the epoch, the Iceberg partition value unchanged), with physical name =
// name and column id RESERVED_FIELD_ID_BASE + partition field id (2_000_001_000 for the first
// field: the reserved range no declared column may use, so later schema changes cannot collide).
// A spec that cannot be projected that way (identity, truncate, a name clash) is projected as an
// unpartitioned Delta table: partition columns only prune, and every column is in the files.

import { FloeError } from '../errors.ts';
import type { TableMetadata } from '../iceberg/metadata.ts';
import type { PartitionField, PartitionSpec } from '../iceberg/partition.ts';
import { RESERVED_FIELD_ID_BASE } from '../ingest/tables.ts';
import { parseDecimalType } from '../schema/bounds.ts';
import type { IcebergType, NestedField, PrimitiveType, Schema } from '../schema/types.ts';
import type { Metadata, Protocol } from './actions.ts';

export const COLUMN_MAPPING_MODE = 'delta.columnMapping.mode';
export const COLUMN_MAPPING_MAX_ID = 'delta.columnMapping.maxColumnId';
export const COLUMN_MAPPING_ID = 'delta.columnMapping.id';
export const COLUMN_MAPPING_PHYSICAL_NAME = 'delta.columnMapping.physicalName';
export const COLUMN_MAPPING_NESTED_IDS = 'delta.columnMapping.nested.ids';
/** Table property naming the Iceberg schema id a metaData action was projected from. */
export const ICEBERG_SCHEMA_ID_PROPERTY = 'floe.iceberg.schema-id';

export type DeltaType = string | DeltaStructType | DeltaArrayType | DeltaMapType;

export interface DeltaStructField {
  name: string;
  type: DeltaType;
  nullable: boolean;
  metadata: Record<string, unknown>;
}

export interface DeltaStructType {
  type: 'struct';
  fields: DeltaStructField[];
}

export interface DeltaArrayType {
  type: 'array';
  elementType: DeltaType;
  containsNull: boolean;
}

export interface DeltaMapType {
  type: 'map';
  keyType: DeltaType;
  valueType: DeltaType;
  valueContainsNull: boolean;
}

/** A Delta partition column projected from an Iceberg partition field. */
export interface PartitionColumn {
  /** Delta column name = physical name = the Iceberg partition field name. */
  name: string;
  /** Column mapping id (RESERVED_FIELD_ID_BASE + partition field id). */
  id: number;
  /** The Iceberg partition field. */
  field: PartitionField;
}

const INT_TRANSFORMS = new Set(['hour', 'day', 'month', 'year']);

function yieldsInt(transform: string): boolean {
  return INT_TRANSFORMS.has(transform) || /^bucket\[\d+\]$/.test(transform);
}

/** Partition columns for a spec, or [] when the spec is projected as unpartitioned (see top). */
export function partitionColumnsFor(spec: PartitionSpec, schema: Schema): PartitionColumn[] {
  if (spec.fields.length === 0) return [];
  const taken = new Set(schema.fields.map((f) => f.name.toLowerCase()));
  const out: PartitionColumn[] = [];
  const ids = fieldIds(schema.fields);
  for (const field of spec.fields) {
    if (!yieldsInt(field.transform) || taken.has(field.name.toLowerCase())) return [];
    taken.add(field.name.toLowerCase());
    const id = RESERVED_FIELD_ID_BASE + field['field-id'];
    if (ids.has(id)) {
      throw new FloeError(
        'FLOE_SCHEMA_INVALID',
        `Delta projection: column id ${id} of partition column ${JSON.stringify(field.name)} is used by a table column`,
      );
    }
    out.push({ name: field.name, id, field });
  }
  return out;
}

function fieldIds(fields: NestedField[], out = new Set<number>()): Set<number> {
  const visit = (t: IcebergType): void => {
    if (typeof t === 'string') return;
    if (t.type === 'struct') fieldIds(t.fields, out);
    else if (t.type === 'list') {
      out.add(t['element-id']);
      visit(t.element);
    } else {
      out.add(t['key-id']);
      out.add(t['value-id']);
      visit(t.key);
      visit(t.value);
    }
  };
  for (const f of fields) {
    out.add(f.id);
    visit(f.type);
  }
  return out;
}

/** Delta primitive type name of an Iceberg primitive, and the table feature it needs, if any. */
export function deltaPrimitive(t: PrimitiveType): { type: string; feature?: string } {
  switch (t) {
    case 'boolean':
      return { type: 'boolean' };
    case 'int':
      return { type: 'integer' };
    case 'long':
    case 'time':
      return { type: 'long' };
    case 'float':
      return { type: 'float' };
    case 'double':
      return { type: 'double' };
    case 'date':
      return { type: 'date' };
    case 'timestamp':
      return { type: 'timestamp_ntz', feature: 'timestampNtz' };
    case 'timestamptz':
      return { type: 'timestamp' };
    case 'string':
      return { type: 'string' };
    case 'uuid':
    case 'binary':
      return { type: 'binary' };
  }
  const dec = parseDecimalType(t);
  if (dec) return { type: `decimal(${dec.precision},${dec.scale})` };
  if (/^fixed\[\d+\]$/.test(t)) return { type: 'binary' };
  throw new FloeError('FLOE_SCHEMA_INVALID', `Delta projection: Iceberg type ${JSON.stringify(t)} has no Delta equivalent`);
}

interface Conversion {
  features: Set<string>;
  maxId: number;
}

function convertField(f: NestedField, conv: Conversion): DeltaStructField {
  conv.maxId = Math.max(conv.maxId, f.id);
  const metadata: Record<string, unknown> = { [COLUMN_MAPPING_ID]: f.id, [COLUMN_MAPPING_PHYSICAL_NAME]: f.name };
  if (f.doc) metadata.comment = f.doc;
  const nested: Record<string, number> = {};
  const type = convertType(f.type, f.name, nested, conv);
  if (Object.keys(nested).length > 0) metadata[COLUMN_MAPPING_NESTED_IDS] = nested;
  return { name: f.name, type, nullable: !f.required, metadata };
}

function convertType(t: IcebergType, path: string, nested: Record<string, number>, conv: Conversion): DeltaType {
  if (typeof t === 'string') {
    const p = deltaPrimitive(t);
    if (p.feature) conv.features.add(p.feature);
    return p.type;
  }
  switch (t.type) {
    case 'struct':
      return { type: 'struct', fields: t.fields.map((f) => convertField(f, conv)) };
    case 'list': {
      const key = `${path}.element`;
      nested[key] = t['element-id'];
      conv.maxId = Math.max(conv.maxId, t['element-id']);
      return { type: 'array', elementType: convertType(t.element, key, nested, conv), containsNull: !t['element-required'] };
    }
    case 'map': {
      nested[`${path}.key`] = t['key-id'];
      nested[`${path}.value`] = t['value-id'];
      conv.maxId = Math.max(conv.maxId, t['key-id'], t['value-id']);
      return {
        type: 'map',
        keyType: convertType(t.key, `${path}.key`, nested, conv),
        valueType: convertType(t.value, `${path}.value`, nested, conv),
        valueContainsNull: !t['value-required'],
      };
    }
  }
}

export interface DeltaSchemaProjection {
  schema: DeltaStructType;
  /** Highest column mapping id used (columns, nested ids, partition columns). */
  maxColumnId: number;
  /** Table features the schema needs besides columnMapping. */
  features: Set<string>;
}

/** The Delta schema of an Iceberg schema plus the partition columns (appended at the end). */
export function toDeltaSchema(schema: Schema, partitions: PartitionColumn[]): DeltaSchemaProjection {
  const conv: Conversion = { features: new Set(), maxId: 0 };
  const fields = schema.fields.map((f) => convertField(f, conv));
  for (const p of partitions) {
    conv.maxId = Math.max(conv.maxId, p.id);
    fields.push({
      name: p.name,
      type: 'integer',
      nullable: true,
      metadata: {
        [COLUMN_MAPPING_ID]: p.id,
        [COLUMN_MAPPING_PHYSICAL_NAME]: p.name,
        comment: `Iceberg partition field ${p.field.name} = ${p.field.transform}(field ${p.field['source-id']}); only in partitionValues`,
      },
    });
  }
  return { schema: { type: 'struct', fields }, maxColumnId: conv.maxId, features: conv.features };
}

export interface TableProjection {
  metadata: Metadata;
  protocol: Protocol;
  partitions: PartitionColumn[];
}

export interface ProjectTableOptions {
  /** createdTime of a metaData action that changes. */
  nowMs: number;
}

/**
 * The Delta metaData and protocol for an Iceberg schema of table `md`, given the ones currently
 * in the Delta log (null before version 0). maxColumnId and protocol only ever grow.
 */
export function projectTable(
  md: TableMetadata,
  schema: Schema,
  spec: PartitionSpec,
  current: { metadata: Metadata | null; protocol: Protocol | null },
  opts: ProjectTableOptions,
): TableProjection {
  const partitions = partitionColumnsFor(spec, schema);
  const projected = toDeltaSchema(schema, partitions);
  const prevMax = Number(current.metadata?.configuration[COLUMN_MAPPING_MAX_ID] ?? 0);
  const configuration: Record<string, string> = {
    [COLUMN_MAPPING_MODE]: 'id',
    [COLUMN_MAPPING_MAX_ID]: String(Math.max(projected.maxColumnId, Number.isFinite(prevMax) ? prevMax : 0)),
    [ICEBERG_SCHEMA_ID_PROPERTY]: String(schema['schema-id']),
  };
  const name = md.properties['floe.table-name'];
  const candidate: Metadata = {
    id: md['table-uuid'],
    ...(name ? { name } : {}),
    format: { provider: 'parquet', options: {} },
    schemaString: JSON.stringify(projected.schema),
    partitionColumns: partitions.map((p) => p.name),
    createdTime: opts.nowMs,
    configuration,
  };
  const metadata = current.metadata && sameMetadata(current.metadata, candidate) ? current.metadata : candidate;
  return { metadata, protocol: requiredProtocol(projected.features, current.protocol), partitions };
}

function sameMetadata(a: Metadata, b: Metadata): boolean {
  return (
    a.id === b.id &&
    (a.name ?? null) === (b.name ?? null) &&
    a.schemaString === b.schemaString &&
    JSON.stringify(a.partitionColumns) === JSON.stringify(b.partitionColumns) &&
    JSON.stringify(sortedEntries(a.configuration)) === JSON.stringify(sortedEntries(b.configuration))
  );
}

function sortedEntries(o: Record<string, string>): [string, string][] {
  return Object.entries(o).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
}

/**
 * The protocol a table with these schema features needs, never below `current`: reader 2 /
 * writer 5 (column mapping) when nothing else is needed, else reader 3 / writer 7 with the
 * features listed (columnMapping included, as both a reader and a writer feature).
 */
export function requiredProtocol(features: Set<string>, current: Protocol | null): Protocol {
  const reader = new Set(features);
  const writer = new Set(features);
  if (current?.minReaderVersion === 3) for (const f of current.readerFeatures ?? []) reader.add(f);
  if (current?.minWriterVersion === 7) for (const f of current.writerFeatures ?? []) writer.add(f);
  for (const f of reader) writer.add(f); // reader features are listed for writers too
  reader.delete('columnMapping');
  writer.delete('columnMapping');
  const featured = reader.size > 0 || writer.size > 0 || (current !== null && (current.minReaderVersion >= 3 || current.minWriterVersion >= 7));
  if (!featured) {
    return { minReaderVersion: Math.max(2, current?.minReaderVersion ?? 0), minWriterVersion: Math.max(5, current?.minWriterVersion ?? 0) };
  }
  return {
    minReaderVersion: 3,
    minWriterVersion: 7,
    readerFeatures: ['columnMapping', ...[...reader].sort()],
    writerFeatures: ['columnMapping', ...[...writer].sort()],
  };
}

export function sameProtocol(a: Protocol | null, b: Protocol): boolean {
  if (a === null) return false;
  const norm = (x: string[] | undefined): string => JSON.stringify([...(x ?? [])].sort());
  return (
    a.minReaderVersion === b.minReaderVersion &&
    a.minWriterVersion === b.minWriterVersion &&
    norm(a.readerFeatures) === norm(b.readerFeatures) &&
    norm(a.writerFeatures) === norm(b.writerFeatures)
  );
}
