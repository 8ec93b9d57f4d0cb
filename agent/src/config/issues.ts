// Small helpers shared by configuration and schema validation: describing a received value in a
// message, suggesting the closest known name, and collecting issues with their paths.

import type { ConfigIssue } from '../errors.ts';

/** `got string "abc"`-style description of a value, short enough for one line. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return `array of ${value.length}`;
  if (value instanceof Uint8Array) return `binary of ${value.length} bytes`;
  switch (typeof value) {
    case 'string':
      return `string ${quote(value)}`;
    case 'number':
    case 'boolean':
      return `${typeof value} ${String(value)}`;
    case 'bigint':
      return `number ${value.toString()}`;
    case 'object':
      return 'object';
    default:
      return typeof value;
  }
}

/** JSON-quotes a string, cut to 60 characters so a huge value cannot flood a message. */
export function quote(s: string): string {
  return JSON.stringify(s.length > 60 ? `${s.slice(0, 57)}...` : s);
}

/** Levenshtein distance, small inputs only (field names). */
function distance(a: string, b: string): number {
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}

/** The closest candidate when it is plausibly a typo of `name`, else undefined. */
export function closest(name: string, candidates: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  // `host` -> `hostname`, `timestampns` -> `timestamp`: one contains the other.
  if (lower.length >= 3) {
    const inside = candidates
      .filter((c) => c.length >= 3 && (c.toLowerCase().startsWith(lower) || lower.startsWith(c.toLowerCase())))
      .sort((a, b) => Math.abs(a.length - lower.length) - Math.abs(b.length - lower.length))[0];
    if (inside !== undefined) return inside;
  }
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = distance(lower, c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  const limit = name.length <= 4 ? 1 : Math.max(2, Math.floor(name.length / 3));
  return bestD <= limit ? best : undefined;
}

/** ` (did you mean x?)` or an empty string. */
export function didYouMean(name: string, candidates: readonly string[]): string {
  const c = closest(name, candidates);
  return c === undefined ? '' : ` (did you mean ${c}?)`;
}

/** Collects issues; `at(path, message)` reads like the message it produces. */
export class Issues {
  readonly list: ConfigIssue[] = [];
  at(path: string, message: string): void {
    this.list.push({ path, message });
  }
  get empty(): boolean {
    return this.list.length === 0;
  }
}

/** `parent.key`, or `key` at the root. */
export function join(parent: string, key: string): string {
  return parent === '' ? key : `${parent}.${key}`;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

/**
 * Refuses keys outside `allowed`, with a suggestion for near misses:
 * `tables[0].sourc_topic: unknown field (did you mean source_topic?)`.
 */
export function checkKeys(obj: Record<string, unknown>, allowed: readonly string[], path: string, issues: Issues): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) issues.at(join(path, key), `unknown field${didYouMean(key, allowed)}`);
  }
}
