// Coercion of parsed JSON values to a table schema, producing rows in the in-memory Value
// representation of types.ts. This is the hot path of JSON ingestion: the coercer is compiled once
// per schema into a tree of functions (one per field, built at compile time), so decoding a record
// allocates only the output row and its values.
//
// Accepted input per Iceberg type (anything else is a DecodeError naming the field path):
//  boolean      JSON true/false
//  int          integer number or integer string, within int32
//  long         integer number or integer string (strings keep precision beyond 2^53; numbers
//               beyond 2^53 are re-read from the JSON source text, see decode/json.ts), int64 range
//  float/double number, numeric string, or "NaN" / "Infinity" / "-Infinity"
//  decimal(P,S) number or numeric string, exact; more fractional digits than S (other than
//               trailing zeros) or more than P digits: error. A JSON number is read from its
//               source text when its double shows more than 15 significant digits (and always
//               for P > 15, see decode/json.ts); a number written with more than 15 significant
//               digits into a column with P <= 15 is read at double precision first
//  date         "YYYY-MM-DD" or integer days since 1970-01-01 (number or string)
//  time         "HH:MM[:SS[.ffffff]]" or integer microseconds since midnight
//  timestamp,   ISO-8601 "YYYY-MM-DD[T ]HH:MM[:SS[.f...]][Z|±HH[:MM]]" (an offset is converted to
//  timestamptz  UTC; no offset means UTC; digits beyond microseconds are truncated), a date alone
//               (midnight), or integer microseconds since the epoch (number or string)
//  string       JSON string
//  uuid         canonical 8-4-4-4-12 hex string, any case (stored lowercase)
//  binary       base64 string (standard or URL-safe alphabet, padding optional)
//  fixed[L]     base64 string of exactly L bytes
//  struct       JSON object; fields missing from it are null if optional, an error if required;
//               keys not in the schema are ignored (producers may send more than the table keeps)
//  list         JSON array
//  map          JSON object (keys are strings, coerced to the key type) or array of {key, value}
// A null (or absent) value is null for an optional field and an error for a required one.

import { DecodeError } from '../errors.ts';
import { decimalParams, fixedLength } from './convert.ts';
import type { IcebergType, NestedField, PrimitiveType, Row, Schema, StructType, Value } from './types.ts';

/**
 * A JSON number together with its source text, produced by the exact (reviver) parse of
 * decode/json.ts for numbers whose double value may differ from what was written.
 */
export class JsonNumber {
  readonly source: string;
  readonly value: number;
  constructor(source: string, value: number) {
    this.source = source;
    this.value = value;
  }
}

/**
 * Thrown (not an Error: no stack) when a number was read through a double and its exact source
 * text is needed. The JSON decoder catches it and re-parses the record with source access.
 */
export const NEED_SOURCE: unique symbol = Symbol('floe.needSource');

/** A coercion failure on its way up: each enclosing level adds its path segment. */
export class CoerceFailure {
  readonly reason: string;
  /** Path segments, innermost first. */
  readonly segments: string[] = [];
  constructor(reason: string) {
    this.reason = reason;
  }
  get path(): string {
    let p = '';
    for (let i = this.segments.length - 1; i >= 0; i--) p += this.segments[i];
    return p.startsWith('.') ? p.slice(1) : p;
  }
  toDecodeError(): DecodeError {
    const path = this.path;
    return new DecodeError(path === '' ? this.reason : `${path}: ${this.reason}`);
  }
}

export type Coercer = (v: unknown) => Value;
export type RowCoercer = (v: unknown) => Row;

/**
 * Compiles the coercer of a schema. The returned function throws DecodeError on bad input (and
 * NEED_SOURCE, see above, which only decode/json.ts needs to know about).
 */
export function compileRowCoercer(schema: Schema | StructType): RowCoercer {
  const struct = structCoercer(schema.fields);
  return (v: unknown): Row => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      throw new DecodeError(`expected a JSON object at the top level, got ${got(v)}`);
    }
    try {
      return struct(v) as Row;
    } catch (e) {
      if (e instanceof CoerceFailure) throw e.toDecodeError();
      throw e;
    }
  };
}

/**
 * Largest decimal precision whose JSON numbers can be read through a double: a number written with
 * at most 15 significant digits survives the double round trip (`String(Number(text))` has the
 * same value), so the coercer only needs the source text when the double shows more digits.
 */
export const DOUBLE_EXACT_DIGITS = 15;

/**
 * True when the schema has a decimal wider than DOUBLE_EXACT_DIGITS anywhere: the JSON decoder then
 * always parses with source text (slower), since such values legitimately carry more digits than a
 * double holds.
 */
export function needsExactParse(t: IcebergType | Schema): boolean {
  if (typeof t === 'string') {
    const d = decimalParams(t);
    return d !== undefined && d.precision > DOUBLE_EXACT_DIGITS;
  }
  switch (t.type) {
    case 'struct':
      return t.fields.some((f) => needsExactParse(f.type));
    case 'list':
      return needsExactParse(t.element);
    case 'map':
      return needsExactParse(t.key) || needsExactParse(t.value);
  }
}

// ---- compilation

function coercerFor(t: IcebergType): Coercer {
  if (typeof t === 'string') return primitiveCoercer(t);
  switch (t.type) {
    case 'struct':
      return structCoercer(t.fields);
    case 'list':
      return listCoercer(coercerFor(t.element), t['element-required']);
    case 'map':
      return mapCoercer(t.key, coercerFor(t.value), t['value-required']);
  }
}

function structCoercer(fields: NestedField[]): Coercer {
  const names = fields.map((f) => f.name);
  const coercers = fields.map((f) => coercerFor(f.type));
  const required = fields.map((f) => f.required);
  // Names like `constructor` exist on every object's prototype: read those as own properties only.
  const inherited = fields.map((f) => f.name in Object.prototype);
  const notObject = (v: unknown) => new CoerceFailure(`expected object, got ${got(v)}`);
  const absent = (x: unknown) => new CoerceFailure(x === undefined ? 'missing required field' : 'null for required field');
  // Generated per struct: named property loads and an object literal keep every row of a struct on
  // one hidden class (a generic loop with computed keys measured far slower). Names are embedded as
  // JSON string literals; a struct with a `__proto__` field (refused by the configuration anyway)
  // takes the generic path.
  if (!names.includes('__proto__')) {
    const lines = names.map((n, i) => {
      const key = JSON.stringify(n);
      const read = inherited[i] ? `(Object.hasOwn(v, ${key}) ? v[${key}] : undefined)` : `v[${key}]`;
      return required[i]
        ? `    x = ${read}; if (x === undefined || x === null) throw A(x); const v${i} = c${i}(x); i = ${i + 1};`
        : `    x = ${read}; const v${i} = x === undefined || x === null ? null : c${i}(x); i = ${i + 1};`;
    });
    const body = [
      'return function coerceStruct(v) {',
      '  if (typeof v !== "object" || v === null || Array.isArray(v)) throw N(v);',
      '  let i = 0;',
      '  let x;',
      '  try {',
      ...lines,
      `    return { ${names.map((n, i) => `${JSON.stringify(n)}: v${i}`).join(', ')} };`,
      '  } catch (e) {',
      '    if (e instanceof F) e.segments.push(S[i]);',
      '    throw e;',
      '  }',
      '};',
    ].join('\n');
    const args = coercers.map((_, i) => `c${i}`);
    const factory = new Function('F', 'S', 'N', 'A', ...args, body) as (...a: unknown[]) => Coercer;
    return factory(CoerceFailure, names.map((n) => `.${n}`), notObject, absent, ...coercers);
  }
  const n = fields.length;
  return (v: unknown): Value => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw notObject(v);
    const src = v as Record<string, unknown>;
    const out: Row = {};
    let i = 0;
    try {
      for (; i < n; i++) {
        const name = names[i];
        const x = inherited[i] && !Object.hasOwn(src, name) ? undefined : src[name];
        let value: Value = null;
        if (x === undefined || x === null) {
          if (required[i]) throw absent(x);
        } else value = coercers[i](x);
        Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
      }
    } catch (e) {
      if (e instanceof CoerceFailure) e.segments.push(`.${names[i]}`);
      throw e;
    }
    return out;
  };
}

function listCoercer(element: Coercer, elementRequired: boolean): Coercer {
  return (v: unknown): Value => {
    if (!Array.isArray(v)) throw new CoerceFailure(`expected array, got ${got(v)}`);
    const n = v.length;
    const out = new Array<Value>(n);
    let i = 0;
    try {
      for (; i < n; i++) {
        const x = v[i];
        if (x === null || x === undefined) {
          if (elementRequired) throw new CoerceFailure('null for required element');
          out[i] = null;
        } else out[i] = element(x);
      }
    } catch (e) {
      if (e instanceof CoerceFailure) e.segments.push(`[${i}]`);
      throw e;
    }
    return out;
  };
}

function mapCoercer(keyType: IcebergType, value: Coercer, valueRequired: boolean): Coercer {
  const key = coercerFor(keyType);
  // Object keys are always strings: booleans need their own spelling; other primitives parse from
  // strings already. Struct/list/map keys can only come from the [{key, value}] form.
  const objectKey: Coercer | undefined =
    keyType === 'boolean' ? booleanFromString : typeof keyType === 'string' ? key : undefined;
  const coerceValue = (x: unknown, where: string): Value => {
    if (x === null || x === undefined) {
      if (valueRequired) throw failAt('null for required value', where);
      return null;
    }
    try {
      return value(x);
    } catch (e) {
      if (e instanceof CoerceFailure) e.segments.push(where);
      throw e;
    }
  };
  const coerceKey = (c: Coercer, k: unknown, shown: string): Value => {
    try {
      return c(k);
    } catch (e) {
      if (e instanceof CoerceFailure) throw new CoerceFailure(`key ${shown}: ${e.reason}`);
      throw e;
    }
  };
  return (v: unknown): Value => {
    const out = new Map<Value, Value>();
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const entry = v[i];
        if (typeof entry !== 'object' || entry === null || Array.isArray(entry) || !('key' in entry)) {
          throw failAt(`expected {key, value} entry, got ${got(entry)}`, `[${i}]`);
        }
        const e = entry as { key: unknown; value?: unknown };
        if (e.key === null || e.key === undefined) throw failAt('null map key', `[${i}].key`);
        let k: Value;
        try {
          k = key(e.key);
        } catch (err) {
          if (err instanceof CoerceFailure) err.segments.push(`[${i}].key`);
          throw err;
        }
        if (out.has(k)) throw failAt(`duplicate key ${shownKey(k)}`, `[${i}].key`);
        out.set(k, coerceValue(e.value, `[${i}].value`));
      }
      return out;
    }
    if (typeof v !== 'object' || v === null) throw new CoerceFailure(`expected object or array of {key, value}, got ${got(v)}`);
    if (objectKey === undefined) throw new CoerceFailure('a map with non-primitive keys must be an array of {key, value}');
    const src = v as Record<string, unknown>;
    for (const k in src) {
      const shown = JSON.stringify(k);
      out.set(coerceKey(objectKey, k, shown), coerceValue(src[k], `[${shown}]`));
    }
    return out;
  };
}

function failAt(reason: string, segment: string): CoerceFailure {
  const f = new CoerceFailure(reason);
  f.segments.push(segment);
  return f;
}

function shownKey(k: Value): string {
  return typeof k === 'string' ? JSON.stringify(k) : typeof k === 'bigint' || typeof k === 'number' || typeof k === 'boolean' ? String(k) : 'value';
}

function booleanFromString(v: unknown): Value {
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new CoerceFailure(`expected boolean ("true" or "false"), got ${got(v)}`);
}

// ---- primitives

const INT_STRING = /^[+-]?\d+$/;
const NUMERIC_STRING = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const BASE64 = /^[A-Za-z0-9+/\-_]*={0,2}$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME = /^(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?$/;
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?$/;

const INT_MIN = -2147483648;
const INT_MAX = 2147483647;
const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;
const FLOAT_MAX = 3.4028234663852886e38;
const MICROS_PER_DAY = 86_400_000_000n;

export function primitiveCoercer(t: PrimitiveType): Coercer {
  switch (t) {
    case 'boolean':
      return (v) => {
        if (typeof v === 'boolean') return v;
        throw new CoerceFailure(`expected boolean, got ${got(v)}`);
      };
    case 'int':
      return (v) => toInt(v, 'int');
    case 'long':
      return (v) => toLong(v, 'long');
    case 'float':
      return (v) => toFloat(v, true);
    case 'double':
      return (v) => toFloat(v, false);
    case 'date':
      return (v) => {
        if (typeof v === 'string' && !INT_STRING.test(v)) {
          const days = parseDate(v);
          if (days === undefined) throw new CoerceFailure(`expected date (YYYY-MM-DD), got ${got(v)}`);
          return days;
        }
        return toInt(v, 'date');
      };
    case 'time':
      return (v) => {
        if (typeof v === 'string' && !INT_STRING.test(v)) {
          const t = parseTime(v);
          if (t === undefined) throw new CoerceFailure(`expected time (HH:MM:SS[.ffffff]), got ${got(v)}`);
          return t;
        }
        const us = toLong(v, 'time');
        if (us < 0n || us >= MICROS_PER_DAY) throw new CoerceFailure(`expected time, got ${got(v)} (microseconds since midnight out of range)`);
        return us;
      };
    case 'timestamp':
    case 'timestamptz':
      return (v) => {
        if (typeof v === 'string' && !INT_STRING.test(v)) {
          const ts = parseTimestamp(v);
          if (ts === undefined) throw new CoerceFailure(`expected ${t} (ISO-8601 or microseconds since the epoch), got ${got(v)}`);
          return ts;
        }
        return toLong(v, t);
      };
    case 'string':
      return (v) => {
        if (typeof v === 'string') return v;
        throw new CoerceFailure(`expected string, got ${got(v)}`);
      };
    case 'uuid':
      return (v) => {
        if (typeof v === 'string' && v.length === 36 && UUID.test(v)) return v.toLowerCase();
        throw new CoerceFailure(`expected uuid (8-4-4-4-12 hex digits), got ${got(v)}`);
      };
    case 'binary':
      return (v) => fromBase64(v, 'binary', -1);
  }
  const dec = decimalParams(t);
  if (dec !== undefined) {
    const { precision, scale } = dec;
    return (v) => toDecimal(v, precision, scale, t);
  }
  const len = fixedLength(t);
  if (len !== undefined) return (v) => fromBase64(v, t, len);
  throw new Error(`no coercer for type ${String(t)}`);
}

function toInt(v: unknown, type: string): number {
  let n: number;
  if (typeof v === 'number') n = v;
  else if (v instanceof JsonNumber) n = v.value;
  else if (typeof v === 'string' && INT_STRING.test(v)) n = Number(v);
  else throw new CoerceFailure(`expected ${type}, got ${got(v)}`);
  if (!Number.isInteger(n)) throw new CoerceFailure(`expected ${type}, got ${got(v)} (not an integer)`);
  if (n < INT_MIN || n > INT_MAX) throw new CoerceFailure(`expected ${type}, got ${got(v)} (out of range for a 32-bit integer)`);
  return n;
}

function toLong(v: unknown, type: string): bigint {
  let r: bigint;
  if (typeof v === 'number') {
    if (Number.isSafeInteger(v)) return BigInt(v);
    if (Number.isInteger(v)) throw NEED_SOURCE; // beyond 2^53: the double lost digits
    throw new CoerceFailure(`expected ${type}, got ${got(v)} (not an integer)`);
  } else if (typeof v === 'string' && INT_STRING.test(v)) {
    r = BigInt(v);
  } else if (v instanceof JsonNumber) {
    const exact = parseDecimal(v.source, 0);
    if (typeof exact === 'string') throw new CoerceFailure(`expected ${type}, got ${got(v)} (not an integer)`);
    r = exact;
  } else throw new CoerceFailure(`expected ${type}, got ${got(v)}`);
  if (r < LONG_MIN || r > LONG_MAX) throw new CoerceFailure(`expected ${type}, got ${got(v)} (out of range for a 64-bit integer)`);
  return r;
}

function toFloat(v: unknown, single: boolean): number {
  let n: number;
  if (typeof v === 'number') n = v;
  else if (v instanceof JsonNumber) n = v.value;
  else if (typeof v === 'string') {
    if (v === 'NaN') return NaN;
    if (v === 'Infinity') return Infinity;
    if (v === '-Infinity') return -Infinity;
    if (!NUMERIC_STRING.test(v)) throw new CoerceFailure(`expected ${single ? 'float' : 'double'}, got ${got(v)}`);
    n = Number(v);
  } else throw new CoerceFailure(`expected ${single ? 'float' : 'double'}, got ${got(v)}`);
  if (single && Math.abs(n) > FLOAT_MAX && Number.isFinite(n)) {
    throw new CoerceFailure(`expected float, got ${got(v)} (out of range for a 32-bit float)`);
  }
  return n;
}

function toDecimal(v: unknown, precision: number, scale: number, type: string): bigint {
  let r: bigint | string;
  if (typeof v === 'number') {
    if (Number.isSafeInteger(v)) r = BigInt(v) * 10n ** BigInt(scale);
    else {
      if (!Number.isFinite(v)) throw new CoerceFailure(`expected ${type}, got ${got(v)}`);
      const text = String(v);
      // More digits than a double keeps exactly: the written text may differ; read it instead.
      if (significantDigits(text) > DOUBLE_EXACT_DIGITS) throw NEED_SOURCE;
      r = plainDecimal(text, scale) ?? parseDecimal(text, scale);
    }
  } else if (typeof v === 'string') r = parseDecimal(v.trim(), scale);
  else if (v instanceof JsonNumber) r = parseDecimal(v.source, scale);
  else throw new CoerceFailure(`expected ${type}, got ${got(v)}`);
  if (typeof r === 'string') throw new CoerceFailure(`expected ${type}, got ${got(v)} (${r})`);
  const digits = (r < 0n ? -r : r).toString().length;
  if (r !== 0n && digits > precision) throw new CoerceFailure(`expected ${type}, got ${got(v)} (${digits} digits exceed precision ${precision})`);
  return r;
}

/** `-12.5` at scale 2 -> -1250n without a regex; undefined for anything less plain. */
function plainDecimal(text: string, scale: number): bigint | undefined {
  if (text.includes('e')) return undefined;
  const dot = text.indexOf('.');
  if (dot < 0) return BigInt(text + '0'.repeat(scale));
  const frac = text.length - dot - 1;
  if (frac > scale) return undefined;
  return BigInt(text.slice(0, dot) + text.slice(dot + 1) + '0'.repeat(scale - frac));
}

/** Significant digits of a number's text (`-0.00120e5` -> 2). */
function significantDigits(text: string): number {
  const mantissa = text.replace(/[eE].*$/, '').replace(/[-+.]/g, '');
  return mantissa.replace(/^0+/, '').replace(/0+$/, '').length;
}

const DECIMAL_TEXT = /^([+-])?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d{1,6}))?$/;

/**
 * Exact decimal text -> unscaled value at `scale`, or a string saying why not. Trailing zeros
 * beyond the scale are fine (`1.500` at scale 2); other extra fractional digits are refused.
 */
export function parseDecimal(text: string, scale: number): bigint | string {
  const m = DECIMAL_TEXT.exec(text);
  if (!m || (m[2] === '' && (m[3] === undefined || m[3] === ''))) return 'not a number';
  const intPart = m[2];
  const frac = m[3] ?? '';
  const exp = m[4] === undefined ? 0 : Number(m[4]);
  let digits = (intPart + frac).replace(/^0+(?=\d)/, '');
  // value = digits * 10^(exp - frac.length); unscaled = value * 10^scale
  const shift = exp - frac.length + scale;
  if (shift >= 0) {
    if (shift > 400) return digits.replace(/0/g, '') === '' ? 0n : 'too many digits';
    digits = digits === '0' ? '0' : digits + '0'.repeat(shift);
  } else {
    const drop = -shift;
    if (drop >= digits.length) {
      if (/[1-9]/.test(digits)) return scale === 0 ? 'not an integer' : `more than ${scale} fractional digits`;
      digits = '0';
    } else {
      const tail = digits.slice(digits.length - drop);
      if (/[1-9]/.test(tail)) return scale === 0 ? 'not an integer' : `more than ${scale} fractional digits`;
      digits = digits.slice(0, digits.length - drop);
    }
  }
  const n = BigInt(digits);
  return m[1] === '-' ? -n : n;
}

function fromBase64(v: unknown, type: string, length: number): Uint8Array {
  if (typeof v !== 'string' || !BASE64.test(v) || v.replace(/=+$/, '').length % 4 === 1) {
    throw new CoerceFailure(`expected ${type} as base64, got ${got(v)}`);
  }
  const buf = Buffer.from(v, v.includes('-') || v.includes('_') ? 'base64url' : 'base64');
  if (length >= 0 && buf.length !== length) throw new CoerceFailure(`expected ${type} (${length} bytes), got ${buf.length} bytes`);
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
}

// ---- dates and times

/** Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's days_from_civil). */
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function validDate(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const dim = m === 2 ? (leap ? 29 : 28) : m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
  return d <= dim;
}

/** 'YYYY-MM-DD' -> days since the epoch, undefined when malformed or not a calendar date. */
export function parseDate(s: string): number | undefined {
  const m = DATE.exec(s);
  if (!m) return undefined;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  return validDate(y, mo, d) ? daysFromCivil(y, mo, d) : undefined;
}

/** Up to 9 fractional digits -> whole microseconds (truncated). */
function fracMicros(f: string | undefined): number {
  if (f === undefined) return 0;
  return Number(f.length >= 6 ? f.slice(0, 6) : f + '000000'.slice(f.length));
}

/** 'HH:MM[:SS[.f]]' -> microseconds since midnight. */
export function parseTime(s: string): bigint | undefined {
  const m = TIME.exec(s);
  if (!m) return undefined;
  const h = Number(m[1]);
  const mi = Number(m[2]);
  const sec = m[3] === undefined ? 0 : Number(m[3]);
  if (h > 23 || mi > 59 || sec > 59) return undefined;
  return BigInt((h * 3600 + mi * 60 + sec) * 1_000_000 + fracMicros(m[4]));
}

/** ISO-8601 date-time (or date) -> microseconds since the epoch, UTC. */
export function parseTimestamp(s: string): bigint | undefined {
  const m = TIMESTAMP.exec(s);
  if (!m) return undefined;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  if (!validDate(y, mo, d)) return undefined;
  const h = m[4] === undefined ? 0 : Number(m[4]);
  const mi = m[5] === undefined ? 0 : Number(m[5]);
  const sec = m[6] === undefined ? 0 : Number(m[6]);
  if (h > 23 || mi > 59 || sec > 59) return undefined;
  let offsetSeconds = 0;
  if (m[9] !== undefined) {
    const oh = Number(m[10]);
    const om = m[11] === undefined ? 0 : Number(m[11]);
    if (oh > 23 || om > 59) return undefined;
    offsetSeconds = (oh * 3600 + om * 60) * (m[9] === '-' ? -1 : 1);
  }
  const seconds = daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offsetSeconds;
  return BigInt(seconds) * 1_000_000n + BigInt(fracMicros(m[7]));
}

// ---- messages

/** `string "abc"`, `number 1.5`, `object`, `array` ... for `expected X, got Y`. */
export function got(v: unknown): string {
  if (v === null) return 'null';
  if (v instanceof JsonNumber) return `number ${v.source}`;
  if (Array.isArray(v)) return 'array';
  switch (typeof v) {
    case 'string':
      return `string ${JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v)}`;
    case 'number':
    case 'boolean':
    case 'bigint':
      return `${typeof v === 'bigint' ? 'number' : typeof v} ${String(v)}`;
    case 'undefined':
      return 'nothing';
    default:
      return typeof v;
  }
}
