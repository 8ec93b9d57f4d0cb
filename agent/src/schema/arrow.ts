// Iceberg schema -> Apache Arrow schema, following Iceberg's Parquet type mapping. The Parquet
// encoder (parquet/encode.ts) embeds it in every data file as `ARROW:schema`, which Arrow-based
// readers (pyarrow, hence pyiceberg) use to restore Arrow types; maintenance reads files back
// through it.
//
// Invariants:
// - Every Arrow field (top-level columns, struct members, list elements, map keys and values)
//   carries its Iceberg field id as `PARQUET:field_id` metadata, as the Parquet schema's field_id
//   does. The Parquet groups for lists and maps (`list`, `key_value`) have no Iceberg id, as the
//   spec requires.
// - Nullability is Iceberg's: `required` => non-nullable, optional => nullable.
// - List elements are named `element`; map entries `key_value` with children `key` and `value`
//   (Iceberg's Parquet names; apache-arrow renames map entries to `entries`, so we rename back).
// - uuid is FixedSizeBinary(16) tagged with the canonical `arrow.uuid` extension: the encoder
//   writes fixed_len_byte_array(16) without Parquet's UUID annotation, as arrow-rs does, and
//   Arrow-based readers read it back as a uuid through the embedded Arrow schema.

import * as arrow from 'apache-arrow';
import type { IcebergType, NestedField, PrimitiveType, Schema } from './types.ts';
import { parseDecimalType, parseFixedType } from './bounds.ts';

/** Field metadata key that Parquet writers map to the Parquet schema's field_id. */
export const FIELD_ID_KEY = 'PARQUET:field_id';
export const ARROW_EXTENSION_NAME_KEY = 'ARROW:extension:name';
export const ARROW_EXTENSION_METADATA_KEY = 'ARROW:extension:metadata';
export const LIST_ELEMENT_NAME = 'element';
export const MAP_ENTRIES_NAME = 'key_value';

/** Largest decimal precision Iceberg allows, which is also Decimal128's. */
export const MAX_DECIMAL_PRECISION = 38;

/** Arrow schema of an Iceberg schema. */
export function toArrowSchema(schema: Schema): arrow.Schema {
  return new arrow.Schema(schema.fields.map(toArrowField));
}

/** Arrow field of an Iceberg struct member (or top-level column). */
export function toArrowField(field: NestedField): arrow.Field {
  return makeField(field.name, field.id, field.type, !field.required);
}

/** Arrow type of an Iceberg type; nested types carry their children's field ids. */
export function toArrowType(type: IcebergType): arrow.DataType {
  if (typeof type === 'string') return primitiveToArrow(type);
  switch (type.type) {
    case 'struct':
      return new arrow.Struct(type.fields.map(toArrowField));
    case 'list':
      return new arrow.List(makeField(LIST_ELEMENT_NAME, type['element-id'], type.element, !type['element-required']));
    case 'map': {
      const entries = new arrow.Field(
        MAP_ENTRIES_NAME,
        new arrow.Struct([
          makeField('key', type['key-id'], type.key, false),
          makeField('value', type['value-id'], type.value, !type['value-required']),
        ]),
        false,
      );
      const map = new arrow.Map_(entries, false);
      // apache-arrow's Map_ constructor renames the entries field to `entries` (ARROW-8716).
      (entries as { name: string }).name = MAP_ENTRIES_NAME;
      return map;
    }
  }
  throw new TypeError(`not an Iceberg type: ${JSON.stringify(type)}`);
}

function makeField(name: string, id: number, type: IcebergType, nullable: boolean): arrow.Field {
  const metadata = new Map([[FIELD_ID_KEY, String(id)]]);
  if (type === 'uuid') {
    metadata.set(ARROW_EXTENSION_NAME_KEY, 'arrow.uuid');
    metadata.set(ARROW_EXTENSION_METADATA_KEY, '');
  }
  return new arrow.Field(name, toArrowType(type), nullable, metadata);
}

function primitiveToArrow(type: PrimitiveType): arrow.DataType {
  switch (type) {
    case 'boolean':
      return new arrow.Bool();
    case 'int':
      return new arrow.Int32();
    case 'long':
      return new arrow.Int64();
    case 'float':
      return new arrow.Float32();
    case 'double':
      return new arrow.Float64();
    case 'date':
      return new arrow.DateDay();
    case 'time':
      return new arrow.TimeMicrosecond();
    case 'timestamp':
      return new arrow.TimestampMicrosecond(null);
    case 'timestamptz':
      return new arrow.TimestampMicrosecond('UTC');
    case 'string':
      return new arrow.Utf8();
    case 'uuid':
      return new arrow.FixedSizeBinary(16);
    case 'binary':
      return new arrow.Binary();
  }
  const decimal = parseDecimalType(type);
  if (decimal !== null) {
    const { precision, scale } = decimal;
    if (precision < 1 || precision > MAX_DECIMAL_PRECISION || scale > precision) {
      throw new TypeError(`unsupported decimal type ${type}: precision must be 1..38 and scale at most the precision`);
    }
    return new arrow.Decimal(scale, precision, 128);
  }
  const length = parseFixedType(type);
  if (length !== null) {
    if (length < 1) throw new TypeError(`unsupported fixed type ${type}: length must be at least 1`);
    return new arrow.FixedSizeBinary(length);
  }
  throw new TypeError(`not an Iceberg primitive type: ${JSON.stringify(type)}`);
}
