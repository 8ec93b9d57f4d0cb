// Partition specs and transforms (plain data, no I/O).
//
// Floe creates tables either unpartitioned or partitioned by the `hour` transform of one
// timestamp/timestamptz column: partition field `<col>_hour`, field id 1000 (the first partition
// field id, as the reference implementation assigns them), value = whole hours since 1970-01-01
// 00:00 UTC as an int. Specs written by other engines are read with any of the standard
// transforms' result types.

import { FloeError } from '../errors.ts';
import { serializeBound } from '../schema/bounds.ts';
import type { IcebergType, NestedField, PrimitiveType, Schema, Value } from '../schema/types.ts';
import type { AvroField, AvroRecord, AvroSchema } from './avro.ts';

export interface PartitionField {
  'source-id': number;
  'field-id': number;
  name: string;
  transform: string;
}

export interface PartitionSpec {
  'spec-id': number;
  fields: PartitionField[];
}

/** How a table is partitioned: not at all, or by the hour of a timestamp column (by name). */
export type Partitioning = 'unpartitioned' | { hour: string };

/** A data file's partition tuple, by partition field name. Values follow `schema/types.ts`. */
export type PartitionValues = Record<string, Value>;

/** Partition field ids start here; `last-partition-id` of an unpartitioned table is one less. */
export const PARTITION_FIELD_ID_START = 1000;

const MICROS_PER_HOUR = 3_600_000_000n;

/** Hours since the epoch of a timestamp in microseconds (floor, also for times before 1970). */
export function hourOf(micros: bigint): number {
  const q = micros / MICROS_PER_HOUR;
  return Number(micros % MICROS_PER_HOUR < 0n ? q - 1n : q);
}

/** Iceberg's human-readable hour (`yyyy-MM-dd-HH`), as used in partition directory names. */
export function hourToString(hour: number): string {
  return new Date(hour * 3_600_000).toISOString().slice(0, 13).replace('T', '-');
}

function findField(fields: NestedField[], name: string): NestedField | undefined {
  return fields.find((f) => f.name === name);
}

/** The spec (id 0) for a new table, and its `last-partition-id`. */
export function buildPartitionSpec(schema: Schema, partitioning: Partitioning): { spec: PartitionSpec; lastPartitionId: number } {
  if (partitioning === 'unpartitioned') {
    return { spec: { 'spec-id': 0, fields: [] }, lastPartitionId: PARTITION_FIELD_ID_START - 1 };
  }
  const column = partitioning.hour;
  const source = findField(schema.fields, column);
  if (!source) {
    throw new FloeError('FLOE_SCHEMA_INVALID', `hour partitioning: column ${JSON.stringify(column)} is not a top-level field of the schema`);
  }
  if (source.type !== 'timestamp' && source.type !== 'timestamptz') {
    throw new FloeError(
      'FLOE_SCHEMA_INVALID',
      `hour partitioning: column ${JSON.stringify(column)} must be timestamp or timestamptz, got ${JSON.stringify(source.type)}`,
    );
  }
  const field: PartitionField = {
    'source-id': source.id,
    'field-id': PARTITION_FIELD_ID_START,
    name: `${column}_hour`,
    transform: 'hour',
  };
  return { spec: { 'spec-id': 0, fields: [field] }, lastPartitionId: PARTITION_FIELD_ID_START };
}

/** Finds a field anywhere in a schema (inside structs, lists and maps) by id. */
export function findFieldById(fields: NestedField[], id: number): NestedField | undefined {
  for (const f of fields) {
    if (f.id === id) return f;
    const hit = findInType(f.type, id);
    if (hit) return hit;
  }
  return undefined;
}

function findInType(t: IcebergType, id: number): NestedField | undefined {
  if (typeof t === 'string') return undefined;
  switch (t.type) {
    case 'struct':
      return findFieldById(t.fields, id);
    case 'list':
      return findInType(t.element, id);
    case 'map':
      return findInType(t.key, id) ?? findInType(t.value, id);
  }
}

/** Result type of a partition field's transform applied to its source column. */
export function partitionFieldType(field: PartitionField, schema: Schema): PrimitiveType {
  const t = field.transform;
  if (t === 'hour' || t === 'day' || t === 'month' || t === 'year' || t.startsWith('bucket[')) {
    return 'int';
  }
  const source = findFieldById(schema.fields, field['source-id']);
  if (!source || typeof source.type !== 'string') {
    throw new FloeError(
      'FLOE_TABLE_CORRUPT',
      `partition field ${JSON.stringify(field.name)}: source field ${field['source-id']} is missing or not primitive`,
    );
  }
  if (t === 'identity' || t === 'void' || t.startsWith('truncate[')) return source.type;
  throw new FloeError('FLOE_TABLE_CORRUPT', `partition field ${JSON.stringify(field.name)}: unsupported transform ${JSON.stringify(t)}`);
}

function avroForPrimitive(t: PrimitiveType): AvroSchema {
  switch (t) {
    case 'boolean':
    case 'int':
    case 'long':
    case 'float':
    case 'double':
    case 'string':
      return t;
    case 'date':
      return { type: 'int', logicalType: 'date' };
    case 'time':
      return { type: 'long', logicalType: 'time-micros' };
    case 'timestamp':
      return { type: 'long', logicalType: 'timestamp-micros', 'adjust-to-utc': false };
    case 'timestamptz':
      return { type: 'long', logicalType: 'timestamp-micros', 'adjust-to-utc': true };
    case 'binary':
      return 'bytes';
    default:
      // uuid, fixed and decimal partition values: not produced by Floe.
      throw new FloeError('FLOE_SCHEMA_INVALID', `partition values of type ${t} are not supported`);
  }
}

/** The Avro record (`r102`) that stores a manifest entry's partition tuple for `spec`. */
export function partitionAvroRecord(spec: PartitionSpec, schema: Schema): AvroRecord {
  const fields: AvroField[] = spec.fields.map((f) => ({
    name: f.name,
    type: ['null', avroForPrimitive(partitionFieldType(f, schema))],
    default: null,
    'field-id': f['field-id'],
  }));
  return { type: 'record', name: 'r102', fields };
}

/** Iceberg single-value serialization of a partition value (for manifest-list field summaries). */
export function serializePartitionValue(type: PrimitiveType, value: Value): Uint8Array {
  return serializeBound(type, value);
}

/** `<field>=<value>/...` directory for a partition tuple (empty for unpartitioned), for file keys. */
export function partitionPath(spec: PartitionSpec, values: PartitionValues): string {
  return spec.fields
    .map((f) => {
      const v = values[f.name];
      const shown = v === null || v === undefined ? 'null' : f.transform === 'hour' ? hourToString(v as number) : String(v);
      return `${encodeURIComponent(f.name)}=${encodeURIComponent(shown)}`;
    })
    .join('/');
}
