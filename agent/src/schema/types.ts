// The Iceberg schema as a plain data model, in the exact JSON shape of the Iceberg table spec
// (so a Schema serializes into table metadata unchanged).

export type PrimitiveType =
  | 'boolean'
  | 'int'
  | 'long'
  | 'float'
  | 'double'
  | 'date'
  | 'time'
  | 'timestamp'
  | 'timestamptz'
  | 'string'
  | 'uuid'
  | 'binary'
  | `decimal(${number}, ${number})`
  | `fixed[${number}]`;

export interface NestedField {
  id: number;
  name: string;
  required: boolean;
  type: IcebergType;
  doc?: string;
}

export interface StructType {
  type: 'struct';
  fields: NestedField[];
}

export interface ListType {
  type: 'list';
  'element-id': number;
  element: IcebergType;
  'element-required': boolean;
}

export interface MapType {
  type: 'map';
  'key-id': number;
  key: IcebergType;
  'value-id': number;
  value: IcebergType;
  'value-required': boolean;
}

export type IcebergType = PrimitiveType | StructType | ListType | MapType;

export interface Schema {
  type: 'struct';
  'schema-id': number;
  fields: NestedField[];
  'identifier-field-ids'?: number[];
}

/**
 * In-memory value of a decoded record, by Iceberg type:
 * boolean: boolean; int, date (days since epoch): number; long, time (µs since midnight),
 * timestamp, timestamptz (µs since epoch): bigint; float, double: number;
 * decimal(p,s): bigint, the unscaled value; string: string; uuid: string (canonical, lowercase);
 * binary, fixed: Uint8Array; struct: Row; list: Value[]; map: Map<Value, Value>;
 * null for an absent optional value.
 */
export type Value =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | Value[]
  | Map<Value, Value>
  | Row;

export interface Row {
  [fieldName: string]: Value;
}

export function isPrimitive(t: IcebergType): t is PrimitiveType {
  return typeof t === 'string';
}
