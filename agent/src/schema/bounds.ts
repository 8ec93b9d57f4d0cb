// Iceberg's "binary single-value serialization" of column bounds, the value order those bounds are
// computed in, and the truncation rules for string and binary bounds.
//
// Invariants (Iceberg table spec, appendix D, and the reference implementation):
// - int, date: 4-byte little-endian; long, time, timestamp, timestamptz: 8-byte little-endian;
//   float, double: IEEE 754 little-endian; boolean: one byte 0x00 / 0x01; string: UTF-8 bytes;
//   uuid: 16 bytes big-endian; fixed, binary: the bytes; decimal: the unscaled value as
//   two's-complement big-endian in the minimum number of bytes.
// - Order: numbers numerically, with -0.0 below +0.0 and NaN never a bound; strings by Unicode code
//   point (the order of their UTF-8 bytes, not JavaScript's UTF-16 order); uuid, fixed and binary
//   by unsigned bytes; false < true.
// - A truncated lower bound is a prefix (always <= every value). A truncated upper bound is a
//   prefix whose last code point / byte is incremented (always > every value); when no increment
//   exists there is no upper bound at all.

import type { PrimitiveType, Value } from './types.ts';

/** Iceberg's default metrics mode is `truncate(16)`: string and binary bounds keep 16 code points / bytes. */
export const DEFAULT_BOUND_TRUNCATE_LENGTH = 16;

const DECIMAL_RE = /^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$/;
const FIXED_RE = /^fixed\[\s*(\d+)\s*\]$/;

/** Precision and scale of a `decimal(P, S)` type string, or null for any other type. */
export function parseDecimalType(type: string): { precision: number; scale: number } | null {
  const m = DECIMAL_RE.exec(type);
  return m === null ? null : { precision: Number(m[1]), scale: Number(m[2]) };
}

/** Length of a `fixed[L]` type string, or null for any other type. */
export function parseFixedType(type: string): number | null {
  const m = FIXED_RE.exec(type);
  return m === null ? null : Number(m[1]);
}

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function hexNibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48; // 0-9
  if (c >= 97 && c <= 102) return c - 87; // a-f
  if (c >= 65 && c <= 70) return c - 55; // A-F
  return -1;
}

/**
 * Writes the 16 bytes of a canonical UUID string (`8-4-4-4-12` hex digits) into `out` at `offset`.
 * Hyphens are skipped wherever they are; anything else that is not 32 hex digits throws.
 */
export function writeUuidBytes(uuid: string, out: Uint8Array, offset: number): void {
  let n = 0;
  let hi = -1;
  for (let i = 0; i < uuid.length; i++) {
    const c = uuid.charCodeAt(i);
    if (c === 45) continue; // '-'
    const v = hexNibble(c);
    if (v < 0 || n === 16) throw new TypeError(`not a UUID: ${JSON.stringify(uuid)}`);
    if (hi < 0) hi = v;
    else {
      out[offset + n++] = (hi << 4) | v;
      hi = -1;
    }
  }
  if (n !== 16 || hi >= 0) throw new TypeError(`not a UUID: ${JSON.stringify(uuid)}`);
}

export function uuidToBytes(uuid: string): Uint8Array {
  const out = new Uint8Array(16);
  writeUuidBytes(uuid, out, 0);
  return out;
}

/** Canonical lowercase `8-4-4-4-12` form of 16 bytes starting at `offset`. */
export function uuidFromBytes(bytes: Uint8Array, offset = 0): string {
  let s = '';
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) s += '-';
    s += HEX[bytes[offset + i]];
  }
  return s;
}

/** Minimal two's-complement big-endian bytes of `v` (at least one byte), as Java's BigInteger.toByteArray. */
export function bigintToMinimalBytes(v: bigint): Uint8Array {
  let n = 1;
  // Smallest n with -2^(8n-1) <= v < 2^(8n-1).
  while (v >= 1n << BigInt(8 * n - 1) || v < -(1n << BigInt(8 * n - 1))) n++;
  const out = new Uint8Array(n);
  let x = BigInt.asUintN(8 * n, v);
  for (let i = n - 1; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

/** Inverse of {@link bigintToMinimalBytes}: two's-complement big-endian bytes of any length. */
export function bigintFromBytes(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  let x = 0n;
  for (let i = 0; i < bytes.length; i++) x = (x << 8n) | BigInt(bytes[i]);
  return BigInt.asIntN(8 * bytes.length, x);
}

function typeError(type: PrimitiveType, value: unknown): TypeError {
  const shown = typeof value === 'bigint' ? `${value}n` : typeof value === 'string' ? JSON.stringify(value) : String(value);
  return new TypeError(`cannot serialize ${shown} (${typeof value}) as an Iceberg ${type} bound`);
}

/** Iceberg binary single-value serialization of a non-null value of a primitive type. */
export function serializeBound(type: PrimitiveType, value: Value): Uint8Array {
  switch (type) {
    case 'boolean':
      if (typeof value !== 'boolean') throw typeError(type, value);
      return Uint8Array.of(value ? 1 : 0);
    case 'int':
    case 'date': {
      if (typeof value !== 'number') throw typeError(type, value);
      const out = new Uint8Array(4);
      new DataView(out.buffer).setInt32(0, value, true);
      return out;
    }
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz': {
      if (typeof value !== 'bigint') throw typeError(type, value);
      const out = new Uint8Array(8);
      new DataView(out.buffer).setBigInt64(0, value, true);
      return out;
    }
    case 'float': {
      if (typeof value !== 'number') throw typeError(type, value);
      const out = new Uint8Array(4);
      new DataView(out.buffer).setFloat32(0, value, true);
      return out;
    }
    case 'double': {
      if (typeof value !== 'number') throw typeError(type, value);
      const out = new Uint8Array(8);
      new DataView(out.buffer).setFloat64(0, value, true);
      return out;
    }
    case 'string':
      if (typeof value !== 'string') throw typeError(type, value);
      return utf8.encode(value);
    case 'uuid':
      if (typeof value !== 'string') throw typeError(type, value);
      return uuidToBytes(value);
    case 'binary':
      if (!(value instanceof Uint8Array)) throw typeError(type, value);
      return value.slice();
  }
  if (parseDecimalType(type) !== null) {
    if (typeof value !== 'bigint') throw typeError(type, value);
    return bigintToMinimalBytes(value);
  }
  const len = parseFixedType(type);
  if (len !== null) {
    if (!(value instanceof Uint8Array) || value.length !== len) throw typeError(type, value);
    return value.slice();
  }
  throw new TypeError(`not an Iceberg primitive type: ${JSON.stringify(type)}`);
}

/** Inverse of {@link serializeBound}; returns the in-memory Value representation of `types.ts`. */
export function deserializeBound(type: PrimitiveType, bytes: Uint8Array): Value {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const need = (n: number): void => {
    if (bytes.length !== n) throw new TypeError(`an Iceberg ${type} bound has ${n} bytes, got ${bytes.length}`);
  };
  switch (type) {
    case 'boolean':
      need(1);
      return bytes[0] !== 0;
    case 'int':
    case 'date':
      need(4);
      return view.getInt32(0, true);
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
      need(8);
      return view.getBigInt64(0, true);
    case 'float':
      need(4);
      return view.getFloat32(0, true);
    case 'double':
      need(8);
      return view.getFloat64(0, true);
    case 'string':
      return utf8Decoder.decode(bytes);
    case 'uuid':
      need(16);
      return uuidFromBytes(bytes);
    case 'binary':
      return bytes.slice();
  }
  if (parseDecimalType(type) !== null) return bigintFromBytes(bytes);
  const len = parseFixedType(type);
  if (len !== null) {
    need(len);
    return bytes.slice();
  }
  throw new TypeError(`not an Iceberg primitive type: ${JSON.stringify(type)}`);
}

/** Unsigned lexicographic byte order. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i] - b[i];
  }
  return a.length - b.length;
}

/**
 * Unicode code point order of two strings (equal to the order of their UTF-8 bytes). JavaScript's
 * `<` compares UTF-16 code units, which disagrees exactly when one side has a surrogate (a code
 * point above U+FFFF) and the other a code unit in U+E000..U+FFFF.
 */
export function compareStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      if (x >= 0xd800 && y >= 0xd800) {
        const xs = x < 0xe000;
        const ys = y < 0xe000;
        if (xs !== ys) return xs ? 1 : -1;
      }
      return x - y;
    }
  }
  return a.length - b.length;
}

/** Numeric order with -0 below +0; NaN sorts above everything (it is never a bound). */
export function compareNumbers(a: number, b: number): number {
  if (a < b) return -1;
  if (a > b) return 1;
  if (a === b) {
    if (a !== 0) return 0;
    const an = Object.is(a, -0);
    const bn = Object.is(b, -0);
    return an === bn ? 0 : an ? -1 : 1;
  }
  const aNaN = a !== a;
  const bNaN = b !== b;
  return aNaN === bNaN ? 0 : aNaN ? 1 : -1;
}

/** Order of two non-null values of a primitive type, the order bounds are computed in. */
export function compareValues(type: PrimitiveType, a: Value, b: Value): number {
  switch (type) {
    case 'boolean':
      return (a ? 1 : 0) - (b ? 1 : 0);
    case 'int':
    case 'date':
    case 'float':
    case 'double':
      return compareNumbers(a as number, b as number);
    case 'string':
      return compareStrings(a as string, b as string);
    case 'uuid':
      // Canonical lowercase hex compares like its bytes; normalise in case of uppercase input.
      return compareStrings((a as string).toLowerCase(), (b as string).toLowerCase());
    case 'binary':
      return compareBytes(a as Uint8Array, b as Uint8Array);
  }
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  if (a instanceof Uint8Array && b instanceof Uint8Array) return compareBytes(a, b);
  throw new TypeError(`cannot compare ${String(a)} and ${String(b)} as ${type}`);
}

/** A lower bound for `value` of at most `length` code points (string) or bytes (binary). */
export function truncateLowerBound(type: PrimitiveType, value: Value, length: number): Value {
  if (type === 'string') {
    const s = value as string;
    if (s.length <= length) return s; // at most `length` UTF-16 units => at most `length` code points
    let end = 0;
    for (let cps = 0; cps < length && end < s.length; cps++) end += isHighSurrogateAt(s, end) ? 2 : 1;
    return s.slice(0, end);
  }
  if (type === 'binary') {
    const b = value as Uint8Array;
    return b.length <= length ? b : b.slice(0, length);
  }
  return value;
}

/**
 * An upper bound for `value` of at most `length` code points (string) or bytes (binary), or null
 * when none exists (every kept code point is U+10FFFF / every kept byte is 0xFF).
 */
export function truncateUpperBound(type: PrimitiveType, value: Value, length: number): Value | null {
  if (type === 'string') {
    const s = value as string;
    const cps = Array.from(s, (ch) => ch.codePointAt(0) as number);
    if (cps.length <= length) return s;
    for (let i = length - 1; i >= 0; i--) {
      let next = cps[i] + 1;
      if (next >= 0xd800 && next <= 0xdfff) next = 0xe000; // surrogates are not code points of their own
      if (next <= 0x10ffff) return String.fromCodePoint(...cps.slice(0, i), next);
    }
    return null;
  }
  if (type === 'binary') {
    const b = value as Uint8Array;
    if (b.length <= length) return b;
    for (let i = length - 1; i >= 0; i--) {
      if (b[i] !== 0xff) {
        const out = b.slice(0, i + 1);
        out[i]++;
        return out;
      }
    }
    return null;
  }
  return value;
}

function isHighSurrogateAt(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  if (c < 0xd800 || c > 0xdbff || i + 1 >= s.length) return false;
  const d = s.charCodeAt(i + 1);
  return d >= 0xdc00 && d <= 0xdfff;
}
