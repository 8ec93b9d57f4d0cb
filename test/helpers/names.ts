// Unique names for topics, tables and object-store prefixes, so suites sharing one broker and one
// bucket (and reruns against a rig that stayed up) never see each other's data.
import { randomBytes } from 'node:crypto';

let counter = 0;

function token(): string {
  counter += 1;
  return `${process.pid}-${counter}-${randomBytes(3).toString('hex')}`;
}

function clean(prefix: string, allowed: RegExp, sep: string): string {
  const cleaned = prefix.toLowerCase().replace(allowed, sep).replace(new RegExp(`\\${sep}+`, 'g'), sep);
  return cleaned.replace(new RegExp(`^\\${sep}|\\${sep}$`, 'g'), '') || 't';
}

/** A Kafka topic name: `<prefix>-<pid>-<n>-<hex>`, only [a-z0-9._-], at most 200 characters. */
export function uniqueTopic(prefix = 'floe-test'): string {
  const name = `${clean(prefix, /[^a-z0-9._-]+/g, '-')}-${token()}`;
  return name.slice(0, 200);
}

/**
 * A table (or namespace) name that is a plain SQL identifier: `<prefix>_<pid>_<n>_<hex>`,
 * only [a-z0-9_], starting with a letter.
 */
export function uniqueTable(prefix = 'floe_test'): string {
  let base = clean(prefix, /[^a-z0-9_]+/g, '_');
  if (!/^[a-z]/.test(base)) base = `t_${base}`;
  return `${base}_${token().replace(/-/g, '_')}`.slice(0, 120);
}

/** An object-store key prefix ending in '/': `<prefix>/<pid>-<n>-<hex>/`. Slashes in prefix are kept. */
export function uniquePrefix(prefix = 'floe-test'): string {
  const parts = prefix.split('/').filter((p) => p !== '').map((p) => clean(p, /[^a-z0-9._-]+/g, '-'));
  return `${[...parts, token()].join('/')}/`;
}

/** A consumer group id. */
export function uniqueGroup(prefix = 'floe-test-group'): string {
  return uniqueTopic(prefix);
}
