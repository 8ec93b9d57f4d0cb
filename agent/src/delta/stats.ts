// Delta per-file statistics (add.stats JSON) from an Iceberg data file's manifest metrics. No I/O.
//
//   {"numRecords": N, "minValues": {...}, "maxValues": {...}, "nullCount": {...}}
//
// Keys are physical column names (= Iceberg field names, see schema.ts), nested like the schema
// for struct members. Only primitive columns at the top level or inside structs get statistics:
// Iceberg's counts and bounds for leaves inside lists and maps count elements, not rows.
//
// Every bound written is a valid Delta bound (min <= every value, max >= every value):
// - Iceberg bounds come from the manifest (`lower_bounds` / `upper_bounds`), decoded with
//   schema/bounds.ts; a 4-byte bound of a column widened to long/double is read as int/float.
// - Strings: Iceberg truncates bounds to `stringBoundLength` code points (a prefix for the lower
//   bound, a prefix with its last code point incremented for the upper one). A bound that long
//   may be truncated, so it is left out; shorter bounds are the exact values.
// - Timestamps are written with millisecond precision, as the Delta protocol prescribes: the
//   minimum rounded down, the maximum rounded UP (a reader that takes the value literally still
//   has a valid upper bound; one that adds 1 ms, as Spark does, has a wider valid one).
// - float/double: NaN and infinities are not JSON numbers and are left out.
// - decimal: only up to precision 15, the digits a JSON number survives through an f64 parser.
// - boolean, binary, uuid and fixed: no min/max (Delta writers collect none for them either).
// nullCount comes from Iceberg's null_value_counts for the same columns.

import type { DataFile } from '../iceberg/manifest.ts';
import { DEFAULT_BOUND_TRUNCATE_LENGTH, deserializeBound, parseDecimalType } from '../schema/bounds.ts';
import type { NestedField, PrimitiveType, Schema, Value } from '../schema/types.ts';

export interface StatsOptions {
  /** Code points Iceberg keeps in string bounds (the writer's truncate length). @default 16 */
  stringBoundLength?: number;
}

/** A JSON value already rendered as text (numbers beyond 2^53 survive). */
class RawJson {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

type Tree = { [key: string]: RawJson | Tree };

function render(v: RawJson | Tree): string {
  if (v instanceof RawJson) return v.text;
  return '{' + Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}:${render(x)}`).join(',') + '}';
}

function isEmpty(t: Tree): boolean {
  for (const _ in t) return false;
  return true;
}

const MAX_DATE_MS = 253402300799999; // 9999-12-31T23:59:59.999Z
const MIN_DATE_MS = -62135596800000; // 0001-01-01T00:00:00.000Z

/** Decodes a bound, reading the narrower encodings a widened column's old files carry. */
export function decodeBound(type: PrimitiveType, bytes: Uint8Array): Value | undefined {
  try {
    if (type === 'long' && bytes.length === 4) {
      return BigInt(new DataView(bytes.buffer, bytes.byteOffset, 4).getInt32(0, true));
    }
    if (type === 'double' && bytes.length === 4) {
      return new DataView(bytes.buffer, bytes.byteOffset, 4).getFloat32(0, true);
    }
    return deserializeBound(type, bytes);
  } catch {
    return undefined;
  }
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n ? q - 1n : q;
}

function timestampJson(micros: bigint, side: 'min' | 'max', utc: boolean): RawJson | undefined {
  let ms = floorDiv(micros, 1000n);
  if (side === 'max' && ms * 1000n !== micros) ms += 1n;
  const n = Number(ms);
  if (n < MIN_DATE_MS || n > MAX_DATE_MS) return undefined;
  const iso = new Date(n).toISOString(); // 2024-01-01T00:00:00.000Z
  return new RawJson(JSON.stringify(utc ? iso : iso.slice(0, -1)));
}

function codePoints(s: string, limit: number): number {
  let n = 0;
  for (const _ of s) if (++n >= limit) break;
  return n;
}

function decimalJson(unscaled: bigint, scale: number): string {
  const neg = unscaled < 0n;
  let digits = (neg ? -unscaled : unscaled).toString();
  if (scale > 0) {
    digits = digits.padStart(scale + 1, '0');
    digits = `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  }
  return (neg ? '-' : '') + digits;
}

/** The stats JSON value of one bound, or undefined when none may be written (see top). */
export function boundJson(type: PrimitiveType, value: Value, side: 'min' | 'max', stringBoundLength: number): RawJson | undefined {
  switch (type) {
    case 'int':
    case 'date':
      if (typeof value !== 'number') return undefined;
      if (type === 'int') return new RawJson(String(value));
      {
        const ms = value * 86_400_000;
        if (ms < MIN_DATE_MS || ms > MAX_DATE_MS) return undefined;
        return new RawJson(JSON.stringify(new Date(ms).toISOString().slice(0, 10)));
      }
    case 'long':
    case 'time':
      return typeof value === 'bigint' ? new RawJson(value.toString()) : undefined;
    case 'float':
    case 'double':
      return typeof value === 'number' && Number.isFinite(value) ? new RawJson(JSON.stringify(value)) : undefined;
    case 'timestamp':
    case 'timestamptz':
      return typeof value === 'bigint' ? timestampJson(value, side, type === 'timestamptz') : undefined;
    case 'string':
      if (typeof value !== 'string' || codePoints(value, stringBoundLength) >= stringBoundLength) return undefined;
      return new RawJson(JSON.stringify(value));
    case 'boolean':
    case 'uuid':
    case 'binary':
      return undefined;
  }
  const dec = parseDecimalType(type);
  if (dec && dec.precision <= 15 && typeof value === 'bigint') return new RawJson(decimalJson(value, dec.scale));
  return undefined;
}

interface Collected {
  min: Tree;
  max: Tree;
  nulls: Tree;
}

function collect(fields: NestedField[], file: DataFile, stringBoundLength: number): Collected {
  const out: Collected = { min: {}, max: {}, nulls: {} };
  for (const f of fields) {
    const t = f.type;
    if (typeof t === 'string') {
      const nulls = file.nullValueCounts?.get(f.id);
      if (nulls !== undefined) out.nulls[f.name] = new RawJson(nulls.toString());
      const lo = file.lowerBounds?.get(f.id);
      const hi = file.upperBounds?.get(f.id);
      const loV = lo === undefined ? undefined : decodeBound(t, lo);
      const hiV = hi === undefined ? undefined : decodeBound(t, hi);
      const loJ = loV === undefined || loV === null ? undefined : boundJson(t, loV, 'min', stringBoundLength);
      const hiJ = hiV === undefined || hiV === null ? undefined : boundJson(t, hiV, 'max', stringBoundLength);
      if (loJ) out.min[f.name] = loJ;
      if (hiJ) out.max[f.name] = hiJ;
    } else if (t.type === 'struct') {
      const inner = collect(t.fields, file, stringBoundLength);
      if (!isEmpty(inner.min)) out.min[f.name] = inner.min;
      if (!isEmpty(inner.max)) out.max[f.name] = inner.max;
      if (!isEmpty(inner.nulls)) out.nulls[f.name] = inner.nulls;
    }
  }
  return out;
}

/** add.stats for a data file of a table with `schema` (the schema of the snapshot projected). */
export function deltaStats(file: DataFile, schema: Schema, opts: StatsOptions = {}): string {
  const c = collect(schema.fields, file, opts.stringBoundLength ?? DEFAULT_BOUND_TRUNCATE_LENGTH);
  const tree: Tree = { numRecords: new RawJson(file.recordCount.toString()) };
  if (!isEmpty(c.min)) tree.minValues = c.min;
  if (!isEmpty(c.max)) tree.maxValues = c.max;
  if (!isEmpty(c.nulls)) tree.nullCount = c.nulls;
  return render(tree);
}
