// Planning a configuration change: from the current stored version and one write operation to the
// next configuration, or the reasons it is refused. Real writes and the dry run (/v1/validate) both
// call plan(), so a dry run gives exactly the answer (and the messages) the write would.
//
// A plan is refused (422) when:
//  - the resulting document does not validate (config/validate.ts messages, verbatim);
//  - a table that exists changes source_format or partitioning_scheme, or its schema changes in a
//    way checkMigration refuses (schema/evolution.ts messages, verbatim);
//  - a table new to the configuration still has data in the bucket (it was removed earlier, and
//    removing never deletes data) and the new definition is not an allowed migration of it;
//  - destination_bucket_url changes: the configuration itself is stored in that bucket.
// Issue paths are those of the document that was sent: `tables[2].schema.fields[1]` for a whole
// configuration, `schema.fields[1]` for a resource body.

import { configToPlain, tableSchema, validateConfig } from '../config/index.ts';
import type { StoredConfig } from '../config/store.ts';
import { describeValue, isPlainObject } from '../config/issues.ts';
import { tableName, type Config, type TableConfig } from '../config/model.ts';
import type { ConfigIssue } from '../errors.ts';
import { checkMigration, type Change } from '../schema/evolution.ts';
import { typeToString } from '../schema/convert.ts';
import type { Schema } from '../schema/types.ts';
import { ApiError, invalid } from './problem.ts';
import { clusterResource, findCluster, findTable, sameCluster, sameTable, splitTableName, tableResource } from './resources.ts';

export type WriteOp =
  | { kind: 'put-config'; doc: unknown }
  | { kind: 'create-table'; body: unknown }
  | { kind: 'put-table'; name: string; body: unknown }
  | { kind: 'delete-table'; name: string }
  | { kind: 'create-cluster'; body: unknown }
  | { kind: 'put-cluster'; name: string; body: unknown }
  | { kind: 'delete-cluster'; name: string };

/** A schema change as the API reports it. */
export interface SchemaChange {
  kind: Change['kind'];
  path: string;
  field: string;
  id: number;
  type?: string;
  optional?: boolean;
  from?: string;
  to?: string;
  doc?: string | null;
}

export interface PlanChange {
  action: 'create' | 'update' | 'delete';
  resource: 'table' | 'source_cluster';
  name: string;
  /** Top-level keys of the resource that change (updates only). */
  fields?: string[];
  /** Schema migration steps (table updates whose schema changes). */
  schema_changes?: SchemaChange[];
}

export interface Plan {
  /** The configuration after the change (equal to the current one for a no-op). */
  config: Config;
  /** Resource by resource; empty when only the order of entries changes, or nothing. */
  changes: PlanChange[];
  /** The resource the operation targets, in the next configuration (absent after a delete). */
  target?: { resource: 'table' | 'source_cluster'; name: string; created: boolean };
}

/** What the bucket still holds for a table name: its Iceberg schema (declared columns) and partitioning. */
export interface BucketTable {
  schema: Schema;
  schemaId: number;
  partitioning: 'unpartitioned' | 'hour';
}

export interface PlanContext {
  current: StoredConfig | null;
  /** The destination_bucket_url the agent (and the store) runs with; checked when no version exists. */
  bucketUrl?: string;
  /** The table a name still has in the bucket, for tables new to the configuration. */
  bucketTable?: (name: string) => Promise<BucketTable | null>;
}

export async function plan(op: WriteOp, ctx: PlanContext): Promise<Plan> {
  switch (op.kind) {
    case 'put-config':
      return planConfig(op.doc, ctx);
    case 'create-table':
    case 'put-table':
      return planTable(op, ctx);
    case 'delete-table':
      return planDeleteTable(op.name, ctx);
    case 'create-cluster':
    case 'put-cluster':
      return planCluster(op, ctx);
    case 'delete-cluster':
      return planDeleteCluster(op.name, ctx);
  }
}

// ---- whole configuration

async function planConfig(doc: unknown, ctx: PlanContext): Promise<Plan> {
  const r = validateConfig(doc);
  if (!r.ok) throw invalid(summary(r.issues, 'the configuration is invalid'), r.issues);
  const next = r.config;
  const current = ctx.current?.config;
  const bucket = current?.destination_bucket_url ?? ctx.bucketUrl;
  if (bucket !== undefined && next.destination_bucket_url !== bucket) {
    const issue = {
      path: 'destination_bucket_url',
      message: `cannot change: the configuration is stored in that bucket (current ${JSON.stringify(bucket)}), got ${JSON.stringify(next.destination_bucket_url)}`,
    };
    throw invalid(summary([issue], 'the configuration is invalid'), [issue]);
  }
  const issues: ConfigIssue[] = [];
  for (let i = 0; i < next.tables.length; i++) {
    const t = next.tables[i];
    const old = current === undefined ? undefined : findTable(current, tableName(t));
    const found = old !== undefined ? checkTableChange(old, t, `tables[${i}]`) : await checkAgainstBucket(t, `tables[${i}]`, ctx);
    issues.push(...found);
  }
  if (issues.length > 0) throw invalid(summary(issues, 'the change is refused'), issues, true);
  return { config: next, changes: current === undefined ? diff(emptyLike(next), next) : diff(current, next) };
}

// ---- tables

async function planTable(op: { kind: 'create-table'; body: unknown } | { kind: 'put-table'; name: string; body: unknown }, ctx: PlanContext): Promise<Plan> {
  const current = requireCurrent(ctx);
  const issues: ConfigIssue[] = [];
  let body = op.body;
  let urlName: string | undefined;
  if (op.kind === 'put-table') {
    urlName = op.name;
    const parts = splitTableName(op.name);
    if (parts === undefined) throw new ApiError('not-found', `no table named ${JSON.stringify(op.name)} (table names are <source_cluster_name>+<source_topic>)`);
    if (isPlainObject(body)) {
      // The URL names the table: the body may leave the two name parts out.
      body = { ...body };
      const b = body as Record<string, unknown>;
      if (b.source_cluster_name === undefined) b.source_cluster_name = parts.cluster;
      if (b.source_topic === undefined) b.source_topic = parts.topic;
    }
  }
  if (isPlainObject(body) && 'name' in body) {
    const { name, ...rest } = body;
    body = rest;
    const derived = typeof rest.source_cluster_name === 'string' && typeof rest.source_topic === 'string' ? tableName(rest as Pick<TableConfig, 'source_cluster_name' | 'source_topic'>) : undefined;
    if (typeof name !== 'string') issues.push({ path: 'name', message: `expected string, got ${describeValue(name)}` });
    else if (derived !== undefined && name !== derived) {
      issues.push({ path: 'name', message: `${JSON.stringify(name)} does not match source_cluster_name+source_topic = ${JSON.stringify(derived)} (a table's name is derived from them)` });
    }
  }
  const bodyName =
    isPlainObject(body) && typeof body.source_cluster_name === 'string' && typeof body.source_topic === 'string'
      ? tableName(body as Pick<TableConfig, 'source_cluster_name' | 'source_topic'>)
      : undefined;
  const name = urlName ?? bodyName;
  const old = name === undefined ? undefined : findTable(current, name);

  if (op.kind === 'create-table' && old !== undefined) {
    throw new ApiError('conflict', `table ${JSON.stringify(name)} already exists (PUT /v1/tables/{name} replaces its definition)`);
  }
  if (urlName !== undefined && bodyName !== undefined && bodyName !== urlName) {
    const parts = splitTableName(urlName)!;
    const b = body as Record<string, unknown>;
    for (const key of ['source_cluster_name', 'source_topic'] as const) {
      const was = key === 'source_cluster_name' ? parts.cluster : parts.topic;
      if (b[key] === was) continue;
      issues.push({
        path: key,
        message:
          old !== undefined
            ? `cannot change ${key} of table ${JSON.stringify(urlName)}: ${JSON.stringify(was)} -> ${JSON.stringify(b[key])} (a table's name is <source_cluster_name>+<source_topic>; create the other table with POST /v1/tables)`
            : `${JSON.stringify(b[key])} does not match the table named in the URL, ${JSON.stringify(urlName)} (expected ${JSON.stringify(was)})`,
      });
    }
  }
  if (issues.length > 0) throw invalid(summary(issues, 'the table is invalid'), issues);

  const plain = configToPlain(current) as { tables: unknown[] };
  let index = old === undefined ? -1 : current.tables.indexOf(old);
  if (index < 0) {
    index = plain.tables.length;
    plain.tables.push(body);
  } else plain.tables[index] = body;
  const at = `tables[${index}]`;
  const r = validateConfig(plain);
  if (!r.ok) {
    const rebased = rebase(r.issues, at);
    throw invalid(summary(rebased, 'the table is invalid'), rebased);
  }
  const next = r.config;
  const t = next.tables[index];
  const found = old !== undefined ? checkTableChange(old, t, '') : await checkAgainstBucket(t, '', ctx);
  if (found.length > 0) throw invalid(summary(found, 'the change is refused'), found, true);
  const tname = tableName(t);
  return { config: next, changes: diff(current, next), target: { resource: 'table', name: tname, created: old === undefined } };
}

function planDeleteTable(name: string, ctx: PlanContext): Plan {
  const current = requireCurrent(ctx);
  const old = findTable(current, name);
  if (old === undefined) throw new ApiError('not-found', `no table named ${JSON.stringify(name)}`);
  const next: Config = { ...current, tables: current.tables.filter((t) => t !== old) };
  return { config: next, changes: [{ action: 'delete', resource: 'table', name }] };
}

// ---- source clusters

function planCluster(op: { kind: 'create-cluster'; body: unknown } | { kind: 'put-cluster'; name: string; body: unknown }, ctx: PlanContext): Plan {
  const current = requireCurrent(ctx);
  let body = op.body;
  if (op.kind === 'put-cluster' && isPlainObject(body)) {
    body = { ...body };
    const b = body as Record<string, unknown>;
    if (b.name === undefined) b.name = op.name;
    else if (b.name !== op.name) {
      const issue = {
        path: 'name',
        message: `${describeValue(b.name)} does not match the cluster named in the URL, ${JSON.stringify(op.name)} (clusters cannot be renamed: tables reference them by name)`,
      };
      throw invalid(summary([issue], 'the source cluster is invalid'), [issue]);
    }
  }
  const name = op.kind === 'put-cluster' ? op.name : isPlainObject(body) && typeof body.name === 'string' ? body.name : undefined;
  const old = name === undefined ? undefined : findCluster(current, name);
  if (op.kind === 'create-cluster' && old !== undefined) {
    throw new ApiError('conflict', `source cluster ${JSON.stringify(name)} already exists (PUT /v1/source-clusters/{name} replaces it)`);
  }
  const plain = configToPlain(current) as { source_clusters: unknown[] };
  let index = old === undefined ? -1 : current.source_clusters.indexOf(old);
  if (index < 0) {
    index = plain.source_clusters.length;
    plain.source_clusters.push(body);
  } else plain.source_clusters[index] = body;
  const r = validateConfig(plain);
  if (!r.ok) {
    const rebased = rebase(r.issues, `source_clusters[${index}]`);
    throw invalid(summary(rebased, 'the source cluster is invalid'), rebased);
  }
  const c = r.config.source_clusters[index];
  return { config: r.config, changes: diff(current, r.config), target: { resource: 'source_cluster', name: c.name, created: old === undefined } };
}

function planDeleteCluster(name: string, ctx: PlanContext): Plan {
  const current = requireCurrent(ctx);
  const old = findCluster(current, name);
  if (old === undefined) throw new ApiError('not-found', `no source cluster named ${JSON.stringify(name)}`);
  const users = current.tables.filter((t) => t.source_cluster_name === name).map(tableName);
  if (users.length > 0) {
    throw new ApiError('conflict', `source cluster ${JSON.stringify(name)} is used by ${users.length} table(s): ${users.join(', ')}; delete or move them first`);
  }
  const next: Config = { ...current, source_clusters: current.source_clusters.filter((c) => c !== old) };
  return { config: next, changes: [{ action: 'delete', resource: 'source_cluster', name }] };
}

// ---- checks shared by the whole-configuration and resource paths

/** An existing table's new definition: same format and partitioning, allowed schema migration. */
export function checkTableChange(old: TableConfig, next: TableConfig, base: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const name = tableName(old);
  if (old.source_format !== next.source_format) {
    issues.push({
      path: join(base, 'source_format'),
      message: `cannot change the source_format of existing table ${name}: ${JSON.stringify(old.source_format)} -> ${JSON.stringify(next.source_format)} (create a new table for the new format)`,
    });
  }
  if (old.partitioning_scheme !== next.partitioning_scheme) {
    issues.push({
      path: join(base, 'partitioning_scheme'),
      message: `cannot change the partitioning_scheme of existing table ${name}: ${JSON.stringify(old.partitioning_scheme)} -> ${JSON.stringify(next.partitioning_scheme)} (migrating between partitioning schemes is not supported)`,
    });
  }
  const m = checkMigration(tableSchema(old), tableSchema(next), { path: join(base, 'schema') });
  if (!m.ok) for (const i of m.issues) issues.push({ path: i.path, message: i.message });
  return issues;
}

/** A table new to the configuration whose data is still in the bucket must continue that table. */
async function checkAgainstBucket(t: TableConfig, base: string, ctx: PlanContext): Promise<ConfigIssue[]> {
  if (ctx.bucketTable === undefined) return [];
  const existing = await ctx.bucketTable(tableName(t));
  if (existing === null) return [];
  const issues: ConfigIssue[] = [];
  if (existing.partitioning !== t.partitioning_scheme) {
    issues.push({
      path: join(base, 'partitioning_scheme'),
      message: `table ${tableName(t)} still has data in the bucket, partitioned ${JSON.stringify(existing.partitioning)}; got ${JSON.stringify(t.partitioning_scheme)} (migrating between partitioning schemes is not supported)`,
    });
  }
  const m = checkMigration(existing.schema, tableSchema(t), { path: join(base, 'schema') });
  if (!m.ok) {
    issues.push({
      path: base === '' ? '(root)' : base,
      message: `table ${tableName(t)} is not in the configuration, but its data is still in the bucket (Iceberg schema id ${existing.schemaId}); the new schema must be an allowed migration of that table's schema`,
    });
    for (const i of m.issues) issues.push({ path: i.path, message: i.message });
  }
  return issues;
}

// ---- changes

/** What changes from `a` to `b`, resource by resource. */
export function diff(a: Config, b: Config): PlanChange[] {
  const out: PlanChange[] = [];
  const ac = new Map(a.source_clusters.map((c) => [c.name, c]));
  const bc = new Map(b.source_clusters.map((c) => [c.name, c]));
  for (const [name, c] of bc) {
    const old = ac.get(name);
    if (old === undefined) out.push({ action: 'create', resource: 'source_cluster', name });
    else if (!sameCluster(old, c)) out.push({ action: 'update', resource: 'source_cluster', name, fields: changedKeys(clusterResource(old), clusterResource(c)) });
  }
  for (const name of ac.keys()) if (!bc.has(name)) out.push({ action: 'delete', resource: 'source_cluster', name });
  const at = new Map(a.tables.map((t) => [tableName(t), t]));
  const bt = new Map(b.tables.map((t) => [tableName(t), t]));
  for (const [name, t] of bt) {
    const old = at.get(name);
    if (old === undefined) out.push({ action: 'create', resource: 'table', name });
    else if (!sameTable(old, t)) {
      const change: PlanChange = { action: 'update', resource: 'table', name, fields: changedKeys(tableResource(old), tableResource(t)) };
      const m = checkMigration(tableSchema(old), tableSchema(t));
      if (m.ok && m.changes.length > 0) change.schema_changes = m.changes.map(schemaChange);
      out.push(change);
    }
  }
  for (const name of at.keys()) if (!bt.has(name)) out.push({ action: 'delete', resource: 'table', name });
  return out;
}

function changedKeys(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
}

function schemaChange(c: Change): SchemaChange {
  const base = { kind: c.kind, path: c.path, field: c.field, id: c.id };
  switch (c.kind) {
    case 'add-field':
      return { ...base, type: typeToString(c.added.type), optional: !c.added.required };
    case 'widen-type':
      return { ...base, from: c.from, to: c.to };
    case 'update-doc':
      return { ...base, doc: c.doc ?? null };
    case 'make-optional':
      return base;
  }
}

// ---- helpers

function requireCurrent(ctx: PlanContext): Config {
  if (ctx.current === null) throw new ApiError('no-configuration', 'no configuration is stored yet; create one with PUT /v1/config');
  return ctx.current.config;
}

function emptyLike(c: Config): Config {
  return { source_clusters: [], tables: [], destination_bucket_url: c.destination_bucket_url };
}

/** Issues of the entry at `prefix` in a whole document, re-rooted to the entry (`tables[3].x` -> `x`). */
export function rebase(issues: ConfigIssue[], prefix: string): ConfigIssue[] {
  return issues.map((i) => {
    const message = i.message.split(`${prefix}.`).join('');
    if (i.path === prefix) return { path: '(root)', message };
    if (i.path.startsWith(`${prefix}.`)) return { path: i.path.slice(prefix.length + 1), message };
    return { path: i.path, message };
  });
}

function join(base: string, key: string): string {
  return base === '' ? key : `${base}.${key}`;
}

function summary(issues: ConfigIssue[], what: string): string {
  const first = issues[0];
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more issue${issues.length > 2 ? 's' : ''})` : '';
  return first === undefined ? what : `${what}: ${first.path}: ${first.message}${more}`;
}

