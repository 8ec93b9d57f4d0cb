// Reading a data file back into rows of the table's current schema, for rewriting it
// (compaction, row-level retention). Parquet -> parquet-wasm -> Arrow IPC -> apache-arrow, then
// each Arrow value becomes the agent's in-memory Value (schema/types.ts), exactly: 64-bit integers
// and timestamps as bigint, decimals as unscaled bigint, uuids as canonical strings.
//
// Columns are matched by Iceberg field id (the Arrow field's `PARQUET:field_id`), never by
// position, falling back to the name only for a file without ids. A file written under an older
// schema is projected onto the current one as Iceberg readers do: a column the file lacks reads
// as null (it must be optional then), int widens to long, float to double, decimal precision
// widens.

import * as arrow from 'apache-arrow';
import * as parquet from 'parquet-wasm';
import { FloeError } from '../errors.ts';
import { FIELD_ID_KEY } from '../schema/arrow.ts';
import { parseDecimalType, parseFixedType, uuidFromBytes } from '../schema/bounds.ts';
import type { IcebergType, NestedField, Row, Schema, Value } from '../schema/types.ts';

type Reader = (data: arrow.Data, i: number) => Value;

const utf8 = new TextDecoder('utf-8');

function fail(what: string): never {
  throw new FloeError('FLOE_TABLE_CORRUPT', what);
}

function fieldId(f: arrow.Field): number | null {
  const v = f.metadata.get(FIELD_ID_KEY);
  if (v === undefined) return null;
  const n = Number(v);
  return Number.isInteger(n) ? n : null;
}

/** The source field for `target` among `fields`: by field id, or by name when the file has no ids. */
function findSource(fields: readonly arrow.Field[], target: NestedField): number {
  const anyIds = fields.some((f) => fieldId(f) !== null);
  if (anyIds) return fields.findIndex((f) => fieldId(f) === target.id);
  return fields.findIndex((f) => f.name === target.name);
}

function valid(data: arrow.Data, i: number): boolean {
  return data.getValid(i);
}

function bitAt(bytes: Uint8Array, pos: number): boolean {
  return (bytes[pos >> 3] & (1 << (pos & 7))) !== 0;
}

function offsetAt(offsets: arrow.Data['valueOffsets'], i: number): number {
  return Number(offsets[i]);
}

function decimalAt(words: Uint32Array, i: number): bigint {
  const o = i * 4;
  let v = BigInt(words[o]) | (BigInt(words[o + 1]) << 32n) | (BigInt(words[o + 2]) << 64n) | (BigInt(words[o + 3]) << 96n);
  if (words[o + 3] & 0x8000_0000) v -= 1n << 128n;
  return v;
}

function timeFactor(unit: arrow.TimeUnit): { mul: bigint; div: bigint } {
  switch (unit) {
    case arrow.TimeUnit.SECOND:
      return { mul: 1_000_000n, div: 1n };
    case arrow.TimeUnit.MILLISECOND:
      return { mul: 1000n, div: 1n };
    case arrow.TimeUnit.MICROSECOND:
      return { mul: 1n, div: 1n };
    default:
      return { mul: 1n, div: 1000n };
  }
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n ? q - 1n : q;
}

/** A reader of `source`-typed Arrow data producing Values of the Iceberg type `target`. */
function makeReader(target: IcebergType, source: arrow.Field, path: string): Reader {
  const t = source.type as arrow.DataType;
  const mismatch = (): never => fail(`${path}: cannot read Arrow ${String(t)} as Iceberg ${typeof target === 'string' ? target : target.type}`);
  const nullable = (read: Reader): Reader => (data, i) => (valid(data, i) ? read(data, i) : null);

  if (typeof target === 'object') {
    switch (target.type) {
      case 'struct': {
        if (!arrow.DataType.isStruct(t)) return mismatch();
        const children = t.children;
        const readers = target.fields.map((f) => {
          const idx = findSource(children, f);
          if (idx < 0) {
            if (f.required) fail(`${path}.${f.name}: required field ${f.id} is missing from the file`);
            return null;
          }
          return { idx, read: makeReader(f.type, children[idx], `${path}.${f.name}`) };
        });
        const names = target.fields.map((f) => f.name);
        return nullable((data, i) => {
          const row: Row = {};
          for (let c = 0; c < names.length; c++) {
            const r = readers[c];
            row[names[c]] = r === null ? null : r.read(data.children[r.idx], i);
          }
          return row;
        });
      }
      case 'list': {
        if (!arrow.DataType.isList(t)) return mismatch();
        const el = makeReader(target.element, t.children[0], `${path}.element`);
        return nullable((data, i) => {
          const child = data.children[0];
          const start = offsetAt(data.valueOffsets, i);
          const end = offsetAt(data.valueOffsets, i + 1);
          const out: Value[] = new Array(end - start);
          for (let k = start; k < end; k++) out[k - start] = el(child, k);
          return out;
        });
      }
      case 'map': {
        if (!arrow.DataType.isMap(t)) return mismatch();
        const entries = t.children[0].type as arrow.Struct;
        const key = makeReader(target.key, entries.children[0], `${path}.key`);
        const value = makeReader(target.value, entries.children[1], `${path}.value`);
        return nullable((data, i) => {
          const kv = data.children[0];
          const start = offsetAt(data.valueOffsets, i);
          const end = offsetAt(data.valueOffsets, i + 1);
          const out = new Map<Value, Value>();
          for (let k = start; k < end; k++) out.set(key(kv.children[0], k), value(kv.children[1], k));
          return out;
        });
      }
    }
  }

  switch (target) {
    case 'boolean':
      if (!arrow.DataType.isBool(t)) return mismatch();
      return nullable((data, i) => bitAt(data.values as Uint8Array, data.offset + i));
    case 'int':
      if (!(arrow.DataType.isInt(t) && t.bitWidth <= 32)) return mismatch();
      return nullable((data, i) => Number(data.values[i]));
    case 'long':
      if (!arrow.DataType.isInt(t)) return mismatch();
      if (t.bitWidth === 64) return nullable((data, i) => BigInt(data.values[i] as bigint));
      return nullable((data, i) => BigInt(data.values[i] as number)); // int -> long
    case 'float':
    case 'double':
      if (!arrow.DataType.isFloat(t) || t.precision === arrow.Precision.HALF) return mismatch();
      if (target === 'float' && t.precision === arrow.Precision.DOUBLE) return mismatch();
      return nullable((data, i) => data.values[i] as number);
    case 'date':
      if (!arrow.DataType.isDate(t)) return mismatch();
      if (t.unit === arrow.DateUnit.DAY) return nullable((data, i) => data.values[i] as number);
      return nullable((data, i) => Math.floor(Number(data.values[i]) / 86_400_000));
    case 'time': {
      if (!arrow.DataType.isTime(t)) return mismatch();
      const { mul, div } = timeFactor(t.unit);
      return nullable((data, i) => floorDiv(BigInt(data.values[i] as number | bigint) * mul, div));
    }
    case 'timestamp':
    case 'timestamptz': {
      if (!arrow.DataType.isTimestamp(t)) return mismatch();
      const { mul, div } = timeFactor(t.unit);
      return nullable((data, i) => floorDiv(BigInt(data.values[i] as bigint) * mul, div));
    }
    case 'string':
      if (!(arrow.DataType.isUtf8(t) || arrow.DataType.isLargeUtf8(t))) return mismatch();
      return nullable((data, i) => {
        const start = offsetAt(data.valueOffsets, i);
        const end = offsetAt(data.valueOffsets, i + 1);
        return utf8.decode((data.values as Uint8Array).subarray(start, end));
      });
    case 'binary':
      if (!(arrow.DataType.isBinary(t) || arrow.DataType.isLargeBinary(t))) return mismatch();
      return nullable((data, i) => {
        const start = offsetAt(data.valueOffsets, i);
        const end = offsetAt(data.valueOffsets, i + 1);
        return (data.values as Uint8Array).slice(start, end);
      });
    case 'uuid':
      if (!(arrow.DataType.isFixedSizeBinary(t) && t.byteWidth === 16)) return mismatch();
      return nullable((data, i) => uuidFromBytes(data.values as Uint8Array, i * 16));
  }
  const decimal = parseDecimalType(target);
  if (decimal !== null) {
    if (!arrow.DataType.isDecimal(t) || t.scale !== decimal.scale || t.precision > decimal.precision || t.bitWidth !== 128) return mismatch();
    return nullable((data, i) => decimalAt(data.values as Uint32Array, i));
  }
  const length = parseFixedType(target);
  if (length !== null) {
    if (!(arrow.DataType.isFixedSizeBinary(t) && t.byteWidth === length)) return mismatch();
    return nullable((data, i) => (data.values as Uint8Array).slice(i * length, (i + 1) * length));
  }
  return mismatch();
}

/** Decodes a Parquet file into an Arrow table (the whole file; data files are bounded in size). */
export function readParquetTable(bytes: Uint8Array, what: string): arrow.Table {
  try {
    const table = parquet.readParquet(bytes);
    return arrow.tableFromIPC(table.intoIPCStream());
  } catch (err) {
    throw new FloeError('FLOE_TABLE_CORRUPT', `${what}: parquet-wasm could not read it: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/**
 * Calls `onRow` for every row of a Parquet data file, as a Row of `schema` (projected by field
 * id). Rows are fresh objects the callback may keep.
 */
export function forEachRow(bytes: Uint8Array, schema: Schema, what: string, onRow: (row: Row) => void): number {
  const table = readParquetTable(bytes, what);
  const fields = table.schema.fields;
  const columns = schema.fields.map((f) => {
    const idx = findSource(fields, f);
    if (idx < 0) {
      if (f.required) fail(`${what}: required field ${f.id} (${f.name}) is missing from the file`);
      return null;
    }
    return { idx, read: makeReader(f.type, fields[idx], `${what}: ${f.name}`) };
  });
  const names = schema.fields.map((f) => f.name);
  let n = 0;
  for (const batch of table.batches) {
    const children = batch.data.children;
    for (let i = 0; i < batch.numRows; i++) {
      const row: Row = {};
      for (let c = 0; c < names.length; c++) {
        const col = columns[c];
        row[names[c]] = col === null ? null : col.read(children[col.idx], i);
      }
      onRow(row);
      n++;
    }
  }
  return n;
}

/** Every row of a Parquet data file as Rows of `schema`. */
export function readRows(bytes: Uint8Array, schema: Schema, what = 'data file'): Row[] {
  const rows: Row[] = [];
  forEachRow(bytes, schema, what, (r) => rows.push(r));
  return rows;
}
