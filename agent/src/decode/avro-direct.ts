// Avro's fast path: record bytes straight into the Parquet column builders, with no row object
// and no JavaScript string per value (a string's UTF-8 bytes are copied as they are).
//
// Two functions are generated per table from its Iceberg schema (the writer schema is derived
// from it, see avro.ts):
//   check(buf, pos, end) -> where the record ends, or -1. It checks everything createAvroDecoder's
//                           readers check (truncation, varint lengths, int range, negative lengths,
//                           block counts, union branches, boolean bytes, UTF-8), builds nothing.
//   fill(buf, pos, end, columns) appends the record; it trusts check and checks nothing.
// check decides whether the fast path may run: a value it refuses takes the general path
// (decode -> row -> append), which refuses it too and says why. check must accept exactly what the
// readers accept: never more, and never less either, since a framed-looking value that check
// refused as framed is tried as plain Avro, as decode does. test/decode/avro-direct.test.ts
// compares both paths on valid and on corrupted values, down to the Parquet bytes.
//
// Tables with a type this path does not cover (time, uuid, binary, decimal, fixed, maps whose keys
// are not strings) use the general path for every record.
//
// Generated code: identifiers and column indices only, never a name from the schema.

import { isUtf8 } from 'node:buffer';
import { readZigZag } from './avro.ts';
import type { IcebergType, NestedField, Schema } from '../schema/types.ts';
import { ListColumn, MapColumn, StructColumn, type Column, type Int32Column, type Int64Column, type Utf8Column } from '../parquet/columns.ts';

/** The fast path of one table: appends the fields of buf[start, end) to the declared columns, or declines. */
export type AvroDirect = (buf: Uint8Array, start: number, end: number, columns: readonly Column[]) => boolean;

const TWO_49 = 2 ** 49;
const TWO_32 = 4294967296;

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

function chkInt(b: Uint8Array, p: number, e: number): number {
  p = vnum(b, p, e);
  return p < 0 || R.v < -2147483648 || R.v > 2147483647 ? -1 : p;
}

/** A long as readLongBig accepts it: a varint of at most 10 bytes. */
function chkLong(b: Uint8Array, p: number, e: number): number {
  for (let n = 0; n < 10; n++) {
    if (p >= e) return -1;
    if ((b[p++] & 0x80) === 0) return p;
  }
  return -1;
}

function chkStr(b: Uint8Array, p: number, e: number): number {
  p = vnum(b, p, e);
  if (p < 0) return -1;
  const n = R.v;
  if (n < 0 || n > e - p) return -1;
  const end = p + n;
  for (let i = p; i < end; i++) {
    if (b[i] >= 0x80) return isUtf8(b.subarray(p, end)) ? end : -1;
  }
  return end;
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

function fillInt(b: Uint8Array, p: number, col: Int32Column): number {
  p = vnum(b, p, b.length);
  col.append(R.v);
  return p;
}

function fillLong(b: Uint8Array, p: number, col: Int64Column): number {
  const start = p;
  let acc = 0;
  let mul = 1;
  let x: number;
  do {
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

function fillStr(b: Uint8Array, p: number, col: Utf8Column): number {
  p = vnum(b, p, b.length);
  const end = p + R.v;
  col.appendUtf8(b, p, end);
  return end;
}

// Floats are read through one scratch word in the platform's byte order; Avro's is little-endian,
// so on a big-endian platform floats and doubles are not covered (the general path reads them).
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const F32 = new Float32Array(1);
const F32B = new Uint8Array(F32.buffer);
const F64 = new Float64Array(1);
const F64B = new Uint8Array(F64.buffer);

function fillFloat(b: Uint8Array, p: number, col: Column): number {
  for (let i = 0; i < 4; i++) F32B[i] = b[p + i];
  col.append(F32[0]);
  return p + 4;
}

function fillDouble(b: Uint8Array, p: number, col: Column): number {
  for (let i = 0; i < 8; i++) F64B[i] = b[p + i];
  col.append(F64[0]);
  return p + 8;
}

const HELPERS = { vnum, chkInt, chkLong, chkStr, blk, fillInt, fillLong, fillStr, fillFloat, fillDouble, R };

/** True when every type of the schema has a fast path. */
function covered(t: IcebergType): boolean {
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

/** Source of check (mode 'check') or fill (mode 'fill') for the fields of a struct. */
class Generator {
  private col = 0;
  private depth = 0;
  private lists = 0;
  readonly lines: string[] = [];
  private readonly mode: 'check' | 'fill';

  constructor(mode: 'check' | 'fill') {
    this.mode = mode;
  }

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
    if (this.mode === 'fill') {
      this.emit(`if (br === 0) C[${k}].append(null);`);
      this.emit('else {');
    } else {
      this.emit('if (br === 1) {');
    }
    this.depth++;
    this.base(t);
    this.depth--;
    this.emit('}');
  }

  private base(t: IcebergType): void {
    const k = this.col++;
    const check = this.mode === 'check';
    if (typeof t === 'string') {
      switch (t) {
        case 'boolean':
          this.emit(check ? 'if (p >= e || b[p] > 1) return -1; p++;' : `C[${k}].append(b[p++] === 1);`);
          return;
        case 'int':
        case 'date':
          this.emit(check ? 'p = H.chkInt(b, p, e); if (p < 0) return -1;' : `p = H.fillInt(b, p, C[${k}]);`);
          return;
        case 'long':
        case 'timestamp':
        case 'timestamptz':
          this.emit(check ? 'p = H.chkLong(b, p, e); if (p < 0) return -1;' : `p = H.fillLong(b, p, C[${k}]);`);
          return;
        case 'float':
          this.emit(check ? 'if (e - p < 4) return -1; p += 4;' : `p = H.fillFloat(b, p, C[${k}]);`);
          return;
        case 'double':
          this.emit(check ? 'if (e - p < 8) return -1; p += 8;' : `p = H.fillDouble(b, p, C[${k}]);`);
          return;
        case 'string':
          this.emit(check ? 'p = H.chkStr(b, p, e); if (p < 0) return -1;' : `p = H.fillStr(b, p, C[${k}]);`);
          return;
      }
      throw new Error(`no Avro fast path for ${t}`);
    }
    switch (t.type) {
      case 'struct':
        if (!check) this.emit(`C[${k}].appendPresent();`);
        this.fields(t.fields);
        return;
      case 'list':
      case 'map': {
        const d = this.lists++;
        this.emit('for (;;) {');
        this.depth++;
        this.emit('p = H.blk(b, p, e); if (p < 0) return -1;');
        this.emit(`let m${d} = H.R.v; if (m${d} === 0) break;`);
        this.emit(`for (; m${d} > 0; m${d}--) {`);
        this.depth++;
        if (t.type === 'list') this.value(t.element, !t['element-required']);
        else {
          const key = this.col++;
          this.emit(check ? 'p = H.chkStr(b, p, e); if (p < 0) return -1;' : `p = H.fillStr(b, p, C[${key}]);`);
          this.value(t.value, !t['value-required']);
        }
        this.depth--;
        this.emit('}');
        this.depth--;
        this.emit('}');
        if (!check) this.emit(`C[${k}].appendEntries();`);
        return;
      }
    }
  }
}

/** Every column of `columns` and of their children, in the order Generator numbers them. */
function flatten(columns: readonly Column[], out: Column[] = []): Column[] {
  for (const c of columns) {
    out.push(c);
    if (c instanceof StructColumn) flatten(c.children, out);
    else if (c instanceof ListColumn) flatten([c.element], out);
    else if (c instanceof MapColumn) flatten([c.key, c.value], out);
  }
  return out;
}

type Check = (b: Uint8Array, p: number, e: number) => number;
type Fill = (b: Uint8Array, p: number, e: number, C: Column[]) => number;

/** The table's Avro fast path, or null when its schema has a type the fast path does not cover. */
export function compileAvroDirect(schema: Schema): AvroDirect | null {
  if (!schema.fields.every((f) => covered(f.type))) return null;
  const gen = (mode: 'check' | 'fill') => {
    const g = new Generator(mode);
    g.fields(schema.fields);
    const body = ['let br = 0;', ...g.lines, 'return p;'].join('\n');
    return new Function('H', `return function ${mode}(b, p, e, C) {\n${body}\n};`)(HELPERS);
  };
  const check = gen('check') as Check;
  const fill = gen('fill') as Fill;
  const declared = schema.fields.length;

  let lastColumns: readonly Column[] | null = null;
  let flat: Column[] = [];

  return (buf, start, end, columns) => {
    if (end <= start) return false;
    // Framing as createAvroDecoder reads it: a value that may be framed is read as framed first,
    // then as plain Avro (a plain record may start with 0x00).
    let at = buf[start] === 0 && end - start >= 5 ? start + 5 : start;
    if (check(buf, at, end) !== end) {
      if (at === start || check(buf, start, end) !== end) return false;
      at = start;
    }
    if (columns !== lastColumns) {
      flat = flatten(columns.slice(0, declared));
      lastColumns = columns;
    }
    fill(buf, at, end, flat);
    return true;
  };
}
