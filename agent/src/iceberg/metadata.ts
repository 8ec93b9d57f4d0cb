// Iceberg table metadata (format version 2) as a plain data model in the spec's JSON shape, with
// its (de)serializer. No I/O.
//
// Invariants kept by every function that builds metadata here:
// - snapshot ids are bigint in memory (random 63-bit longs) and plain JSON integers on disk;
// - `current-snapshot-id` is null in memory and -1 on disk when the table has no snapshot
//   (what the reference implementation writes), and `refs.main` follows it;
// - keys this model does not know (statistics, ...) survive a parse/serialize round trip.

import { randomUUID } from 'node:crypto';
import { FloeError } from '../errors.ts';
import type { IcebergType, NestedField, Schema } from '../schema/types.ts';
import { parseJsonBig, stringifyJsonBig, toBigInt } from './json.ts';
import { buildPartitionSpec, type PartitionSpec, type Partitioning } from './partition.ts';

export type SnapshotOperation = 'append' | 'replace' | 'overwrite' | 'delete';

export interface SnapshotSummary {
  operation: SnapshotOperation;
  [key: string]: string;
}

export interface Snapshot {
  'snapshot-id': bigint;
  'parent-snapshot-id'?: bigint;
  'sequence-number': number;
  'timestamp-ms': number;
  'manifest-list': string;
  summary: SnapshotSummary;
  'schema-id'?: number;
}

export interface SnapshotRef {
  'snapshot-id': bigint;
  type: 'branch' | 'tag';
  'max-ref-age-ms'?: number;
  'max-snapshot-age-ms'?: number;
  'min-snapshots-to-keep'?: number;
}

export interface SortField {
  transform: string;
  'source-id': number;
  direction: 'asc' | 'desc';
  'null-order': 'nulls-first' | 'nulls-last';
}

export interface SortOrder {
  'order-id': number;
  fields: SortField[];
}

export interface TableMetadata {
  'format-version': 2;
  'table-uuid': string;
  location: string;
  'last-sequence-number': number;
  'last-updated-ms': number;
  'last-column-id': number;
  schemas: Schema[];
  'current-schema-id': number;
  'partition-specs': PartitionSpec[];
  'default-spec-id': number;
  'last-partition-id': number;
  properties: Record<string, string>;
  'current-snapshot-id': bigint | null;
  snapshots: Snapshot[];
  'snapshot-log': { 'timestamp-ms': number; 'snapshot-id': bigint }[];
  'metadata-log': { 'timestamp-ms': number; 'metadata-file': string }[];
  'sort-orders': SortOrder[];
  'default-sort-order-id': number;
  refs: Record<string, SnapshotRef>;
}

export const MAIN_BRANCH = 'main';

/** Highest field id used anywhere in a schema (structs, list elements, map keys and values). */
export function maxFieldId(schema: { fields: NestedField[] }): number {
  let max = 0;
  const visitType = (t: IcebergType): void => {
    if (typeof t === 'string') return;
    switch (t.type) {
      case 'struct':
        for (const f of t.fields) visitField(f);
        break;
      case 'list':
        max = Math.max(max, t['element-id']);
        visitType(t.element);
        break;
      case 'map':
        max = Math.max(max, t['key-id'], t['value-id']);
        visitType(t.key);
        visitType(t.value);
        break;
    }
  };
  const visitField = (f: NestedField): void => {
    max = Math.max(max, f.id);
    visitType(f.type);
  };
  for (const f of schema.fields) visitField(f);
  return max;
}

export interface NewTableOptions {
  location: string;
  schema: Schema;
  partitioning: Partitioning;
  properties?: Record<string, string>;
  nowMs?: number;
  tableUuid?: string;
}

/** Metadata of a new, empty table (schema id 0, spec id 0, unsorted order 0, no snapshot). */
export function newTableMetadata(opts: NewTableOptions): TableMetadata {
  const schema: Schema = { ...opts.schema, 'schema-id': 0 };
  const { spec, lastPartitionId } = buildPartitionSpec(schema, opts.partitioning);
  return {
    'format-version': 2,
    'table-uuid': opts.tableUuid ?? randomUUID(),
    location: opts.location.replace(/\/+$/, ''),
    'last-sequence-number': 0,
    'last-updated-ms': opts.nowMs ?? Date.now(),
    'last-column-id': maxFieldId(schema),
    schemas: [schema],
    'current-schema-id': 0,
    'partition-specs': [spec],
    'default-spec-id': 0,
    'last-partition-id': lastPartitionId,
    properties: { ...(opts.properties ?? {}) },
    'current-snapshot-id': null,
    snapshots: [],
    'snapshot-log': [],
    'metadata-log': [],
    'sort-orders': [{ 'order-id': 0, fields: [] }],
    'default-sort-order-id': 0,
    refs: {},
  };
}

export function currentSchema(md: TableMetadata): Schema {
  const s = md.schemas.find((x) => x['schema-id'] === md['current-schema-id']);
  if (!s) throw new FloeError('FLOE_TABLE_CORRUPT', `table metadata: current schema ${md['current-schema-id']} is missing`);
  return s;
}

export function schemaById(md: TableMetadata, id: number): Schema | undefined {
  return md.schemas.find((x) => x['schema-id'] === id);
}

export function defaultSpec(md: TableMetadata): PartitionSpec {
  const s = md['partition-specs'].find((x) => x['spec-id'] === md['default-spec-id']);
  if (!s) throw new FloeError('FLOE_TABLE_CORRUPT', `table metadata: default partition spec ${md['default-spec-id']} is missing`);
  return s;
}

export function specById(md: TableMetadata, id: number): PartitionSpec | undefined {
  return md['partition-specs'].find((x) => x['spec-id'] === id);
}

export function snapshotById(md: TableMetadata, id: bigint): Snapshot | undefined {
  return md.snapshots.find((s) => s['snapshot-id'] === id);
}

export function currentSnapshot(md: TableMetadata): Snapshot | null {
  const id = md['current-snapshot-id'];
  if (id === null) return null;
  const s = snapshotById(md, id);
  if (!s) throw new FloeError('FLOE_TABLE_CORRUPT', `table metadata: current snapshot ${id} is missing`);
  return s;
}

/** The snapshots from the current one back through its parents (newest first), while they exist. */
export function* ancestors(md: TableMetadata, from: bigint | null = md['current-snapshot-id']): Generator<Snapshot> {
  const seen = new Set<bigint>();
  let id = from;
  while (id !== null && id !== undefined && !seen.has(id)) {
    seen.add(id);
    const s = snapshotById(md, id);
    if (!s) return;
    yield s;
    id = s['parent-snapshot-id'] ?? null;
  }
}

/** A fresh random positive 63-bit snapshot id not used by `md`. */
export function newSnapshotId(md: TableMetadata | null, taken: Set<bigint> = new Set()): bigint {
  for (;;) {
    const bytes = new BigUint64Array(1);
    crypto.getRandomValues(bytes);
    const id = BigInt.asUintN(63, bytes[0]);
    if (id === 0n || taken.has(id)) continue;
    if (md && snapshotById(md, id)) continue;
    return id;
  }
}

function corrupt(what: string): never {
  throw new FloeError('FLOE_TABLE_CORRUPT', `table metadata: ${what}`);
}

function asObject(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) corrupt(`${what} is not an object`);
  return v as Record<string, unknown>;
}

function asNumber(v: unknown, what: string): number {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'bigint') return Number(v);
  return corrupt(`${what} is not a number (got ${String(v)})`);
}

function asArray(v: unknown, what: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) corrupt(`${what} is not an array`);
  return v;
}

function big(v: unknown, what: string): bigint {
  try {
    return toBigInt(v, what);
  } catch {
    return corrupt(`${what} is not an integer (got ${String(v)})`);
  }
}

/** Parses `v<N>.metadata.json` text. Only format version 2 is accepted. */
export function parseTableMetadata(text: string): TableMetadata {
  let raw: unknown;
  try {
    raw = parseJsonBig(text);
  } catch (err) {
    throw new FloeError('FLOE_TABLE_CORRUPT', `table metadata is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  const o = asObject(raw, 'document');
  if (o['format-version'] !== 2) {
    corrupt(`format-version ${String(o['format-version'])} is not supported (Floe reads and writes format version 2)`);
  }
  const snapshots = asArray(o.snapshots, 'snapshots').map((x, i) => {
    const s = asObject(x, `snapshots[${i}]`);
    const snap: Snapshot = {
      ...(s as object),
      'snapshot-id': big(s['snapshot-id'], `snapshots[${i}].snapshot-id`),
      'sequence-number': asNumber(s['sequence-number'] ?? 0, `snapshots[${i}].sequence-number`),
      'timestamp-ms': asNumber(s['timestamp-ms'], `snapshots[${i}].timestamp-ms`),
      'manifest-list': String(s['manifest-list']),
      summary: { operation: 'append', ...(asObject(s.summary ?? { operation: 'append' }, `snapshots[${i}].summary`) as object) } as SnapshotSummary,
    };
    if (s['parent-snapshot-id'] !== undefined && s['parent-snapshot-id'] !== null) {
      snap['parent-snapshot-id'] = big(s['parent-snapshot-id'], `snapshots[${i}].parent-snapshot-id`);
    } else {
      delete snap['parent-snapshot-id'];
    }
    return snap;
  });
  const currentRaw = o['current-snapshot-id'];
  let current: bigint | null = null;
  if (currentRaw !== undefined && currentRaw !== null) {
    current = big(currentRaw, 'current-snapshot-id');
    if (current === -1n) current = null;
  }
  const refs: Record<string, SnapshotRef> = {};
  for (const [name, r] of Object.entries(asObject(o.refs ?? {}, 'refs'))) {
    const ro = asObject(r, `refs.${name}`);
    refs[name] = { ...(ro as object), 'snapshot-id': big(ro['snapshot-id'], `refs.${name}.snapshot-id`) } as SnapshotRef;
  }
  if (current !== null && !refs[MAIN_BRANCH]) refs[MAIN_BRANCH] = { 'snapshot-id': current, type: 'branch' };
  const md: TableMetadata = {
    ...(o as object),
    'format-version': 2,
    'table-uuid': String(o['table-uuid']),
    location: String(o.location),
    'last-sequence-number': asNumber(o['last-sequence-number'] ?? 0, 'last-sequence-number'),
    'last-updated-ms': asNumber(o['last-updated-ms'], 'last-updated-ms'),
    'last-column-id': asNumber(o['last-column-id'], 'last-column-id'),
    schemas: asArray(o.schemas, 'schemas') as Schema[],
    'current-schema-id': asNumber(o['current-schema-id'] ?? 0, 'current-schema-id'),
    'partition-specs': asArray(o['partition-specs'], 'partition-specs') as PartitionSpec[],
    'default-spec-id': asNumber(o['default-spec-id'] ?? 0, 'default-spec-id'),
    'last-partition-id': asNumber(o['last-partition-id'] ?? 999, 'last-partition-id'),
    properties: (o.properties ?? {}) as Record<string, string>,
    'current-snapshot-id': current,
    snapshots,
    'snapshot-log': asArray(o['snapshot-log'], 'snapshot-log').map((x, i) => {
      const e = asObject(x, `snapshot-log[${i}]`);
      return { 'timestamp-ms': asNumber(e['timestamp-ms'], 'snapshot-log.timestamp-ms'), 'snapshot-id': big(e['snapshot-id'], 'snapshot-log.snapshot-id') };
    }),
    'metadata-log': asArray(o['metadata-log'], 'metadata-log') as TableMetadata['metadata-log'],
    'sort-orders': (o['sort-orders'] as SortOrder[] | undefined) ?? [{ 'order-id': 0, fields: [] }],
    'default-sort-order-id': asNumber(o['default-sort-order-id'] ?? 0, 'default-sort-order-id'),
    refs,
  };
  if (md.schemas.length === 0) corrupt('no schemas');
  if (md['partition-specs'].length === 0) corrupt('no partition specs');
  return md;
}

/** Serializes metadata to the JSON text of a `v<N>.metadata.json` file. */
export function serializeTableMetadata(md: TableMetadata): string {
  const out: Record<string, unknown> = { ...md, 'current-snapshot-id': md['current-snapshot-id'] ?? -1n };
  return stringifyJsonBig(out, 2);
}
