// Row lists compared as multisets: order is ignored, duplicates count. "No row lost or duplicated"
// is exactly this comparison between the records produced and the rows a reader returns.
import { AssertionError } from 'node:assert';

/**
 * The canonical form rows are compared in, the same encoding test/helpers/readers.py emits:
 * object keys sorted; bigint and integers as JSON numbers when safe, else decimal strings; bytes as
 * base64; Date as integer epoch microseconds; Map as [key, value] pairs sorted by key; NaN and
 * ±Infinity as strings; undefined as null.
 */
export function canonical(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'bigint':
      return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
        ? Number(value)
        : value.toString();
    case 'number':
      if (Number.isNaN(value)) return 'NaN';
      if (value === Infinity) return 'Infinity';
      if (value === -Infinity) return '-Infinity';
      return Object.is(value, -0) ? 0 : value;
    case 'string':
    case 'boolean':
      return value;
    case 'object':
      break;
    default:
      throw new TypeError(`cannot compare a ${typeof value} in a row`);
  }
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  if (value instanceof Date) return value.getTime() * 1000;
  if (Array.isArray(value)) return value.map(canonical);
  if (value instanceof Map) {
    const pairs = [...value.entries()].map(([k, v]) => [canonical(k), canonical(v)] as [unknown, unknown]);
    return pairs.sort((a, b) => compareText(JSON.stringify(a[0]), JSON.stringify(b[0])));
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort(compareText)) out[key] = canonical((value as Record<string, unknown>)[key]);
  return out;
}

/** The canonical JSON text of a value (the multiset key). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(canonical(value));
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export interface MultisetOptions {
  /** Compare only these columns (of object rows); others are dropped from both sides. */
  columns?: readonly string[];
  /** How many missing / extra rows the message shows (default 5). */
  show?: number;
}

export interface MultisetDiff {
  equal: boolean;
  /** Rows in `expected` but not (or not as often) in `actual`, one entry per missing copy. */
  missing: unknown[];
  /** Rows in `actual` but not (or not as often) in `expected`, one entry per extra copy. */
  extra: unknown[];
  actualCount: number;
  expectedCount: number;
  message: string;
}

function project(row: unknown, columns: readonly string[] | undefined): unknown {
  if (!columns || row === null || typeof row !== 'object' || Array.isArray(row)) return row;
  const out: Record<string, unknown> = {};
  for (const c of columns) out[c] = (row as Record<string, unknown>)[c];
  return out;
}

/** Compares two row lists as multisets. */
export function diffMultisets(actual: readonly unknown[], expected: readonly unknown[], options: MultisetOptions = {}): MultisetDiff {
  const counts = new Map<string, number>();
  for (const row of expected) {
    const key = canonicalJson(project(row, options.columns));
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const extra: unknown[] = [];
  for (const row of actual) {
    const key = canonicalJson(project(row, options.columns));
    const n = counts.get(key) ?? 0;
    if (n > 0) counts.set(key, n - 1);
    else extra.push(JSON.parse(key));
  }
  const missing: unknown[] = [];
  for (const [key, n] of counts) for (let i = 0; i < n; i++) missing.push(JSON.parse(key));
  const equal = missing.length === 0 && extra.length === 0;
  const show = options.show ?? 5;
  let message = `rows match: ${actual.length}`;
  if (!equal) {
    const lines = [
      `rows differ: got ${actual.length}, expected ${expected.length}; ${missing.length} missing, ${extra.length} extra`,
    ];
    if (missing.length > 0) {
      lines.push(`first missing (expected, not read):`);
      for (const r of missing.slice(0, show)) lines.push(`  - ${JSON.stringify(r)}`);
    }
    if (extra.length > 0) {
      lines.push(`first extra (read, not expected):`);
      for (const r of extra.slice(0, show)) lines.push(`  + ${JSON.stringify(r)}`);
    }
    message = lines.join('\n');
  }
  return { equal, missing, extra, actualCount: actual.length, expectedCount: expected.length, message };
}

/** Throws an AssertionError listing the first missing and extra rows unless the multisets are equal. */
export function assertSameRows(actual: readonly unknown[], expected: readonly unknown[], options: MultisetOptions & { what?: string } = {}): void {
  const diff = diffMultisets(actual, expected, options);
  if (!diff.equal) {
    throw new AssertionError({
      message: options.what ? `${options.what}: ${diff.message}` : diff.message,
      actual: diff.extra.slice(0, options.show ?? 5),
      expected: diff.missing.slice(0, options.show ?? 5),
      operator: 'sameRows',
    });
  }
}
