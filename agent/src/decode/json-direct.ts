// JSON's fast path: one scan over a record's bytes, straight into the column builders, with no
// JSON.parse, no row object and no JavaScript string per string value (its UTF-8 bytes are copied
// as they are).
//
// It takes the common shape of event and log records: one JSON object whose values are strings,
// numbers, true/false or null. A kept string's escapes are decoded as JSON.parse decodes them,
// into the UTF-8 the column would get from that string (a lone surrogate becomes U+FFFD, as
// Buffer#write writes it). Each value is
// checked as JSON.parse and the column's coercer (schema/coerce.ts) would check it; the values of
// other types go through that same coercer. Anything else declines the record, and the general
// path (UTF-8 -> JSON.parse -> coercer -> row -> append) decides:
//   - a nested object or array, anywhere;
//   - an escape in a key, or in a string value for a column of a non-string type;
//   - a key that appears twice (JSON.parse keeps the last);
//   - a required column missing or null; a value its coercer refuses;
//   - a string for a column of a non-string type that is not ASCII; a decimal column with a value;
//   - malformed JSON of any kind, invalid UTF-8, a byte-order mark.
// Values are appended as they are read, in the record's key order (each column is independent); at
// the end, the columns whose keys did not appear get a null. A record declined halfway has its
// slots dropped by the caller (ParquetFileBuilder.appendWith truncates the columns).
// test/decode/json-direct.test.ts compares both paths, down to the Parquet bytes.

import { isUtf8 } from 'node:buffer';
import { primitiveCoercer, type Coercer } from '../schema/coerce.ts';
import type { PrimitiveType, Schema, Value } from '../schema/types.ts';
import { viewOf, type Column, type Int64Column, type Utf8Column } from '../parquet/columns.ts';

/** The fast path of one table: appends the fields of buf[start, end) to the declared columns, or declines. */
export type JsonDirect = (buf: Uint8Array, start: number, end: number, columns: readonly Column[]) => boolean;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN = 0x7b;
const CLOSE = 0x7d;

const SIMPLE: ReadonlySet<string> = new Set(['boolean', 'int', 'long', 'float', 'double', 'date', 'time', 'timestamp', 'timestamptz', 'string', 'uuid', 'binary']);

/** Why JSON grammar was not followed (or the shape is not taken): the record is declined. */
const DECLINE = -1;

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** Flags of the last scanString/scanNumber call (set only when they occur). */
const S = { escaped: false, nonAscii: false, integer: false, digits: 0, intValue: 0 };

function skipWs(b: Uint8Array, p: number, e: number): number {
  while (p < e && isWs(b[p])) p++;
  return p;
}

/** A string's end (after its closing quote) from just after its opening quote; escapes checked. */
function scanString(b: Uint8Array, p: number, e: number): number {
  for (; p < e; p++) {
    const c = b[p];
    if (c > QUOTE && c !== BACKSLASH && c < 0x80) continue;
    if (c === QUOTE) return p + 1;
    if (c === 0x20 || c === 0x21) continue;
    if (c < 0x20) return DECLINE;
    if (c >= 0x80) {
      S.nonAscii = true;
      continue;
    }
    // a backslash
    S.escaped = true;
    const x = b[p + 1];
    if (x === 0x75) {
      // \uXXXX
      if (p + 6 > e || !isHex(b[p + 2]) || !isHex(b[p + 3]) || !isHex(b[p + 4]) || !isHex(b[p + 5])) return DECLINE;
      p += 5;
    } else if (x === QUOTE || x === BACKSLASH || x === 0x2f || x === 0x62 || x === 0x66 || x === 0x6e || x === 0x72 || x === 0x74) {
      p += 1;
    } else return DECLINE;
  }
  return DECLINE;
}

/** A number's end, from its first byte; S.integer, S.digits and S.intValue describe it. */
function scanNumber(b: Uint8Array, p: number, e: number): number {
  const negative = b[p] === 0x2d;
  if (negative) p++;
  if (p >= e) return DECLINE;
  const s = p;
  let c = b[p];
  let v = 0;
  if (c === 0x30) {
    p++;
  } else if (c >= 0x31 && c <= 0x39) {
    while (p < e && (c = b[p]) >= 0x30 && c <= 0x39) {
      v = v * 10 + (c - 0x30);
      p++;
    }
  } else return DECLINE;
  S.digits = p - s;
  S.intValue = negative ? -v : v; // "-0" is -0, as JSON.parse reads it
  S.integer = true;
  if (p < e && b[p] === 0x2e) {
    S.integer = false;
    p++;
    const f = p;
    while (p < e && (c = b[p]) >= 0x30 && c <= 0x39) p++;
    if (p === f) return DECLINE;
  }
  if (p < e && (b[p] === 0x65 || b[p] === 0x45)) {
    S.integer = false;
    p++;
    if (p < e && (b[p] === 0x2b || b[p] === 0x2d)) p++;
    const f = p;
    while (p < e && (c = b[p]) >= 0x30 && c <= 0x39) p++;
    if (p === f) return DECLINE;
  }
  return p;
}

/** true, false or null at p (its first byte already seen): the end, or DECLINE. */
function scanWord(b: Uint8Array, p: number, e: number): number {
  const c = b[p];
  if (c === 0x74) return p + 4 <= e && b[p + 1] === 0x72 && b[p + 2] === 0x75 && b[p + 3] === 0x65 ? p + 4 : DECLINE;
  if (c === 0x66) return p + 5 <= e && b[p + 1] === 0x61 && b[p + 2] === 0x6c && b[p + 3] === 0x73 && b[p + 4] === 0x65 ? p + 5 : DECLINE;
  return p + 4 <= e && b[p + 1] === 0x75 && b[p + 2] === 0x6c && b[p + 3] === 0x6c ? p + 4 : DECLINE;
}

function hexDigit(c: number): number {
  return c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x57;
}

function hex4(b: Uint8Array, p: number): number {
  return (hexDigit(b[p]) << 12) | (hexDigit(b[p + 1]) << 8) | (hexDigit(b[p + 2]) << 4) | hexDigit(b[p + 3]);
}

/** Where a string with escapes is decoded to; a decoded string is never longer than its text. */
let unescaped = Buffer.alloc(1024);

/**
 * Decodes the text b[s, e) of a string whose escapes scanString checked, into `unescaped`; returns
 * the length. \uXXXX pairs of surrogates become one code point; a lone surrogate becomes U+FFFD.
 */
function unescape(b: Uint8Array, s: number, e: number): number {
  if (unescaped.length < e - s) unescaped = Buffer.alloc(Math.max(e - s, unescaped.length * 2));
  const out = unescaped;
  let o = 0;
  let p = s;
  while (p < e) {
    const c = b[p];
    if (c !== BACKSLASH) {
      out[o++] = c;
      p++;
      continue;
    }
    const x = b[p + 1];
    if (x !== 0x75) {
      // \" \\ \/ are themselves
      out[o++] = x === 0x62 ? 0x08 : x === 0x66 ? 0x0c : x === 0x6e ? 0x0a : x === 0x72 ? 0x0d : x === 0x74 ? 0x09 : x;
      p += 2;
      continue;
    }
    let u = hex4(b, p + 2);
    p += 6;
    if (u >= 0xd800 && u <= 0xdbff && p + 6 <= e && b[p] === BACKSLASH && b[p + 1] === 0x75) {
      const low = hex4(b, p + 2);
      if (low >= 0xdc00 && low <= 0xdfff) {
        u = 0x10000 + ((u - 0xd800) << 10) + (low - 0xdc00);
        p += 6;
      }
    }
    if (u >= 0xd800 && u <= 0xdfff) u = 0xfffd;
    if (u < 0x80) out[o++] = u;
    else if (u < 0x800) {
      out[o++] = 0xc0 | (u >> 6);
      out[o++] = 0x80 | (u & 0x3f);
    } else if (u < 0x10000) {
      out[o++] = 0xe0 | (u >> 12);
      out[o++] = 0x80 | ((u >> 6) & 0x3f);
      out[o++] = 0x80 | (u & 0x3f);
    } else {
      out[o++] = 0xf0 | (u >> 18);
      out[o++] = 0x80 | ((u >> 12) & 0x3f);
      out[o++] = 0x80 | ((u >> 6) & 0x3f);
      out[o++] = 0x80 | (u & 0x3f);
    }
  }
  return o;
}

function ascii(b: Uint8Array, s: number, t: number): string {
  let out = '';
  for (let i = s; i < t; i++) out += String.fromCharCode(b[i]);
  return out;
}

/** The table's JSON fast path, or null when the schema has no columns. */
export function compileJsonDirect(schema: Schema): JsonDirect | null {
  const fields = schema.fields;
  const n = fields.length;
  if (n === 0) return null;
  const names = fields.map((f) => Buffer.from(f.name, 'utf8'));
  // Each name as little-endian words, the last one masked to the name's bytes: a key is compared
  // with the name of the field expected next a word at a time. Names that JSON would write with
  // escapes (quotes, backslashes, control characters) are never compared this way (no words).
  const nameWords = names.map((name) => {
    if (name.length === 0 || name.some((c) => c === QUOTE || c === BACKSLASH || c < 0x20)) return null;
    const words = new Int32Array(Math.ceil(name.length / 4));
    name.forEach((c, i) => (words[i >> 2] |= c << (8 * (i & 3))));
    return words;
  });
  const lastMasks = names.map((name) => (name.length % 4 === 0 ? -1 : (1 << (8 * (name.length % 4))) - 1));
  const required = fields.map((f) => f.required);
  // The column type, when the fast path can fill it from a JSON primitive (else only null/absent).
  const types = fields.map((f) => (typeof f.type === 'string' && SIMPLE.has(f.type) ? (f.type as PrimitiveType) : null));
  const coercers: (Coercer | null)[] = types.map((t) => (t === null || t === 'string' ? null : primitiveCoercer(t)));

  // The fields seen in the record being read: stamped with its number.
  const seen = new Int32Array(n);
  let stamp = 0;

  /**
   * Whether the key at ks (just after its opening quote) is field f's name followed by the closing
   * quote, compared a word at a time (unaligned loads within the buffer, past the key's end).
   */
  const isName = (b: Uint8Array, ks: number, e: number, f: number): boolean => {
    const words = nameWords[f];
    const len = names[f].length;
    if (words === null || ks + len >= e || b[ks + len] !== QUOTE || ks + 4 * words.length > b.length) return false;
    const v = viewOf(b);
    const last = words.length - 1;
    for (let w = 0; w < last; w++) if (v.getInt32(ks + 4 * w, true) !== words[w]) return false;
    return (v.getInt32(ks + 4 * last, true) & lastMasks[f]) === words[last];
  };

  /** The field whose name is b[ks, ke), or -1. Keys usually come in schema order: `hint` first. */
  const field = (b: Uint8Array, ks: number, ke: number, hint: number): number => {
    const len = ke - ks;
    for (let k = 0; k < n; k++) {
      const f = hint + k < n ? hint + k : hint + k - n;
      const name = names[f];
      if (name.length !== len) continue;
      let i = 0;
      while (i < len && name[i] === b[ks + i]) i++;
      if (i === len) return f;
    }
    return -1;
  };

  /** Coerces a JSON primitive for field f and appends it; false declines the record. */
  const coerce = (f: number, v: unknown, col: Column): boolean => {
    let value: Value;
    try {
      value = (coercers[f] as Coercer)(v);
    } catch {
      return false; // refused (or needs the exact source text): the general path says why
    }
    col.append(value);
    return true;
  };

  /** Reads one record, appending its values to `columns`; false declines it. */
  const scan = (b: Uint8Array, s: number, e: number, columns: readonly Column[]): boolean => {
    let p = skipWs(b, s, e);
    if (p >= e || b[p] !== OPEN) return false;
    p = skipWs(b, p + 1, e);
    let hint = 0;
    if (p < e && b[p] === CLOSE) p++;
    else {
      for (;;) {
        // key
        if (p >= e || b[p] !== QUOTE) return false;
        const ks = p + 1;
        let f: number;
        if (isName(b, ks, e, hint)) {
          // The expected key, as it usually comes: no scan, no lookup.
          f = hint;
          p = ks + names[hint].length + 1;
        } else {
          S.escaped = false;
          p = scanString(b, ks, e);
          if (p === DECLINE || S.escaped) return false;
          f = field(b, ks, p - 1, hint);
        }
        if (p < e && b[p] !== COLON) p = skipWs(b, p, e);
        if (p >= e || b[p] !== COLON) return false;
        p++;
        if (p < e && isWs(b[p])) p = skipWs(b, p, e);
        if (p >= e) return false;
        if (f >= 0) {
          if (seen[f] === stamp) return false; // a duplicate key
          seen[f] = stamp;
          hint = f + 1 < n ? f + 1 : 0;
        }
        // value
        const c = b[p];
        const type = f >= 0 ? types[f] : null;
        if (c === QUOTE) {
          const vs = p + 1;
          S.escaped = false;
          const before = S.nonAscii;
          S.nonAscii = false;
          p = scanString(b, vs, e);
          if (p === DECLINE) return false;
          const valueNonAscii = S.nonAscii;
          // A kept value's UTF-8 is checked here (appendUtf8, or ASCII only); the record's
          // check at the end is for keys and for the values of other keys.
          S.nonAscii = before || (f < 0 && valueNonAscii);
          if (f >= 0) {
            if (type === 'string') {
              const col = columns[f] as Utf8Column;
              if (S.escaped) {
                const length = unescape(b, vs, p - 1); // may replace `unescaped` by a larger buffer
                if (!col.appendUtf8(unescaped, 0, length)) return false;
              } else if (!col.appendUtf8(b, vs, p - 1)) return false;
            } else if (type === null || S.escaped || valueNonAscii || !coerce(f, ascii(b, vs, p - 1), columns[f])) return false;
          }
        } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
          const ns = p;
          p = scanNumber(b, p, e);
          if (p === DECLINE) return false;
          if (f >= 0) {
            if (type === null || type === 'string') return false;
            const small = S.integer && S.digits <= 15;
            if (type === 'long' && small) (columns[f] as Int64Column).appendNumber(S.intValue);
            else if (!coerce(f, small ? S.intValue : Number(ascii(b, ns, p)), columns[f])) return false;
          }
        } else if (c === 0x74 || c === 0x66 || c === 0x6e) {
          p = scanWord(b, p, e);
          if (p === DECLINE) return false;
          if (f >= 0) {
            if (c === 0x6e) {
              if (required[f]) return false;
              columns[f].append(null);
            } else if (type === null || !coerce(f, c === 0x74, columns[f])) return false;
          }
        } else return false; // an object, an array, or not JSON
        if (p < e && isWs(b[p])) p = skipWs(b, p, e);
        if (p >= e) return false;
        if (b[p] === COMMA) {
          p = skipWs(b, p + 1, e);
          continue;
        }
        if (b[p] === CLOSE) {
          p++;
          break;
        }
        return false;
      }
    }
    if (skipWs(b, p, e) !== e) return false;
    for (let f = 0; f < n; f++) {
      if (seen[f] !== stamp) {
        if (required[f]) return false;
        columns[f].append(null);
      }
    }
    return true;
  };

  return (buf, begin, finish, columns) => {
    if (++stamp === 0x7fffffff) {
      seen.fill(0);
      stamp = 1;
    }
    S.nonAscii = false;
    return scan(buf, begin, finish, columns) && !(S.nonAscii && !isUtf8(buf.subarray(begin, finish)));
  };
}
