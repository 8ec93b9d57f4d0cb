// Avro's fast path: record bytes straight into the Parquet column builders, with no row object
// and no JavaScript string per value (a string's UTF-8 bytes are copied as they are).
//
// One function is generated per table from its Iceberg schema (the writer schema is derived from
// it, see avro.ts): fill(buf, pos, end, columns) reads a record and appends it as it goes,
// checking everything createAvroDecoder's readers check (truncation, varint lengths, int range,
// negative lengths, block counts, union branches, boolean bytes, UTF-8), and returns where the
// record ends, or -1. A value fill refuses, or that does not end at the value's end, is dropped
// from the columns (Column.truncate) and takes the general path (decode -> row -> append), which
// refuses it too and says why. fill must accept exactly what the readers accept: never more, and
// never less either, since a framed-looking value that fill refused as framed is tried as plain
// Avro, as decode does. test/decode/avro-direct.test.ts compares both paths on valid and on
// corrupted values, down to the Parquet bytes.
//
// A map that repeats a key is declined too, as a whole: the general path reads a map into a
// JavaScript Map, one entry per key (the last value, at the first key's place; Avro's Java reader,
// reading into a HashMap, also keeps the last value), and a Parquet map's keys are unique.
//
// Tables with a type this path does not cover (time, uuid, binary, decimal, fixed, maps whose keys
// are not strings) use the general path for every record.
//
// Generated code: identifiers and column indices only, never a name from the schema.

import { readZigZag } from './avro.ts';
import type { IcebergType, NestedField, Schema } from '../schema/types.ts';
import { ListColumn, MapColumn, StructColumn, type Column, type FloatColumn, type Int32Column, type Int64Column, type Utf8Column } from '../parquet/columns.ts';

/** The fast path of one table: appends the fields of buf[start, end) to the declared columns, or declines. */
export type AvroDirect = (buf: Uint8Array, start: number, end: number, columns: readonly Column[]) => boolean;

const TWO_49 = 2 ** 49;

/** Second result of the helpers below (their first is the new position, -1 for a refusal). */
const R = { v: 0 };

/** A varint as readLongNumber reads it (at most 7 bytes' worth); R.v is its value. */
function vnum(b: Uint8Array, p: number, e: number): number {
  let acc = 0;
  let mul = 1;
  let x: number;
  do {
    if (p >= e || mul >= TWO_49) return -1;
    x = b[p++];
    acc += (x & 0x7f) * mul;
    mul *= 128;
  } while (x & 0x80);
  R.v = acc % 2 === 1 ? -(acc + 1) / 2 : acc / 2;
  return p;
}

/** An array or map block count as readBlockCount reads it; R.v is the count (0 ends the list). */
function blk(b: Uint8Array, p: number, e: number): number {
  p = vnum(b, p, e);
  if (p < 0) return -1;
  let n = R.v;
  if (n < 0) {
    n = -n;
    p = vnum(b, p, e); // the block's size in bytes, not needed
    if (p < 0) return -1;
  }
  if (n > e - p) return -1;
  R.v = n;
  return p;
}

function fillInt(b: Uint8Array, p: number, e: number, col: Int32Column): number {
  p = vnum(b, p, e);
  if (p < 0 || R.v < -2147483648 || R.v > 2147483647) return -1;
  col.append(R.v);
  return p;
}

/** A long as readLongBig accepts it: a varint of at most 10 bytes. */
function fillLong(b: Uint8Array, p: number, e: number, col: Int64Column): number {
  const start = p;
  let acc = 0;
  let mul = 1;
  let x: number;
  do {
    if (p >= e || p - start === 10) return -1;
    x = b[p++];
    acc += (x & 0x7f) * mul;
    mul *= 128;
  } while (x & 0x80);
  const n = p - start;
  // Up to 7 bytes, or 8 whose last adds less than 2^53: every partial sum was exact.
  if (n <= 7 || (n === 8 && x < 16)) {
    col.appendNumber(acc % 2 === 1 ? -(acc + 1) / 2 : acc / 2);
    return p;
  }
  col.append(readZigZag(b, start, p).value);
  return p;
}

function fillStr(b: Uint8Array, p: number, e: number, col: Utf8Column): number {
  if (p >= e) return -1;
  let n = b[p];
  // A length under 64 is one byte: its zigzag is even and has no continuation bit.
  if ((n & 0x81) === 0) {
    n >>= 1;
    p++;
  } else {
    p = vnum(b, p, e);
    if (p < 0) return -1;
    n = R.v;
  }
  if (n < 0 || n > e - p) return -1;
  return col.appendUtf8(b, p, p + n) ? p + n : -1;
}

// Floats and doubles are copied as their bytes into the column's memory, which is in the platform's
// byte order; Avro's is little-endian, so on a big-endian platform they are not covered (the general
// path reads them).
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function fillFloat(b: Uint8Array, p: number, e: number, col: FloatColumn): number {
  if (e - p < 4) return -1;
  col.appendLE(b, p);
  return p + 4;
}

function fillDouble(b: Uint8Array, p: number, e: number, col: FloatColumn): number {
  if (e - p < 8) return -1;
  col.appendLE(b, p);
  return p + 8;
}

/**
 * What fill returns for a map that repeats a key: the value is declined as a whole and the general
 * path, which keeps one entry per key, reads it, framing included.
 */
const DUPLICATE_KEY = -2;

const HELPERS = { vnum, blk, fillInt, fillLong, fillStr, fillFloat, fillDouble, R };

/** True when every type of the schema has a fast path. */
export function covered(t: IcebergType): boolean {
  if (typeof t === 'string') {
    if (t === 'float' || t === 'double') return LITTLE_ENDIAN;
    return ['boolean', 'int', 'date', 'long', 'timestamp', 'timestamptz', 'string'].includes(t);
  }
  switch (t.type) {
    case 'struct':
      return t.fields.every((f) => covered(f.type));
    case 'list':
      return covered(t.element);
    case 'map':
      return t.key === 'string' && covered(t.value);
  }
}

/** Source of fill for the fields of a struct. */
class Generator {
  private col = 0;
  private depth = 0;
  private lists = 0;
  readonly lines: string[] = [];

  fields(fields: NestedField[]): void {
    for (const f of fields) this.value(f.type, !f.required);
  }

  private emit(line: string): void {
    this.lines.push(`${'  '.repeat(this.depth + 1)}${line}`);
  }

  private value(t: IcebergType, optional: boolean): void {
    const k = this.col; // this value's column; its children follow in depth-first order
    if (!optional) return this.base(t);
    this.emit('if (p >= e) return -1;');
    this.emit('if (b[p] === 0) { p++; br = 0; } else if (b[p] === 2) { p++; br = 1; }');
    this.emit('else { p = H.vnum(b, p, e); if (p < 0) return -1; br = H.R.v; if (br !== 0 && br !== 1) return -1; }');
    this.emit(`if (br === 0) C[${k}].append(null);`);
    this.emit('else {');
    this.depth++;
    this.base(t);
    this.depth--;
    this.emit('}');
  }

  private base(t: IcebergType): void {
    const k = this.col++;
    if (typeof t === 'string') {
      switch (t) {
        case 'boolean':
          this.emit(`if (p >= e || b[p] > 1) return -1; C[${k}].append(b[p++] === 1);`);
          return;
        case 'int':
        case 'date':
          this.emit(`p = H.fillInt(b, p, e, C[${k}]); if (p < 0) return -1;`);
          return;
        case 'long':
        case 'timestamp':
        case 'timestamptz':
          this.emit(`p = H.fillLong(b, p, e, C[${k}]); if (p < 0) return -1;`);
          return;
        case 'float':
          this.emit(`p = H.fillFloat(b, p, e, C[${k}]); if (p < 0) return -1;`);
          return;
        case 'double':
          this.emit(`p = H.fillDouble(b, p, e, C[${k}]); if (p < 0) return -1;`);
          return;
        case 'string':
          this.emit(`p = H.fillStr(b, p, e, C[${k}]); if (p < 0) return -1;`);
          return;
      }
      throw new Error(`no Avro fast path for ${t}`);
    }
    switch (t.type) {
      case 'struct':
        this.emit(`C[${k}].appendPresent();`);
        this.fields(t.fields);
        return;
      case 'list':
      case 'map': {
        const d = this.lists++;
        if (t.type === 'map') this.emit(`const q${d} = C[${this.col}].length;`); // the key column's, before this map's entries
        this.emit('for (;;) {');
        this.depth++;
        this.emit('p = H.blk(b, p, e); if (p < 0) return -1;');
        this.emit(`let m${d} = H.R.v; if (m${d} === 0) break;`);
        this.emit(`for (; m${d} > 0; m${d}--) {`);
        this.depth++;
        if (t.type === 'list') this.value(t.element, !t['element-required']);
        else {
          const key = this.col++;
          this.emit(`p = H.fillStr(b, p, e, C[${key}]); if (p < 0) return -1;`);
          this.value(t.value, !t['value-required']);
        }
        this.depth--;
        this.emit('}');
        this.depth--;
        this.emit('}');
        if (t.type === 'map') this.emit(`if (C[${k + 1}].length - q${d} > 1 && !C[${k + 1}].distinctFrom(q${d})) return DUPLICATE_KEY;`);
        this.emit(`C[${k}].appendEntries();`);
        return;
      }
    }
  }
}

/** Every column of `columns` and of their children, in the order Generator numbers them. */
export function flatten(columns: readonly Column[], out: Column[] = []): Column[] {
  for (const c of columns) {
    out.push(c);
    if (c instanceof StructColumn) flatten(c.children, out);
    else if (c instanceof ListColumn) flatten([c.element], out);
    else if (c instanceof MapColumn) flatten([c.key, c.value], out);
  }
  return out;
}

type Fill = (b: Uint8Array, p: number, e: number, C: Column[]) => number;

/** The table's Avro fast path, or null when its schema has a type the fast path does not cover. */
export function compileAvroDirect(schema: Schema): AvroDirect | null {
  if (!schema.fields.every((f) => covered(f.type))) return null;
  const g = new Generator();
  g.fields(schema.fields);
  const body = ['let br = 0;', ...g.lines, 'return p;'].join('\n');
  const fill = new Function('H', 'DUPLICATE_KEY', `return function fill(b, p, e, C) {\n${body}\n};`)(HELPERS, DUPLICATE_KEY) as Fill;
  const declared = schema.fields.length;

  let lastColumns: readonly Column[] | null = null;
  let flat: Column[] = [];

  return (buf, start, end, columns) => {
    if (end <= start) return false;
    if (columns !== lastColumns) {
      flat = flatten(columns.slice(0, declared));
      lastColumns = columns;
    }
    // Framing as createAvroDecoder reads it: a value that may be framed is read as framed first,
    // then as plain Avro (a plain record may start with 0x00). A repeated map key leaves the whole
    // value to the general path, framing included (the caller drops what fill appended).
    if (buf[start] === 0 && end - start >= 5) {
      const rows = columns[0].length;
      const framed = fill(buf, start + 5, end, flat);
      if (framed === end) return true;
      if (framed === DUPLICATE_KEY) return false;
      for (let c = 0; c < declared; c++) columns[c].truncate(rows);
    }
    return fill(buf, start, end, flat) === end;
  };
}
