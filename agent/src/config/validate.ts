// Validation of a parsed configuration document (any YAML/JSON value) into the typed model.
// Every problem is collected, not just the first, each with the path of the offending value and
// the value received, e.g. `tables[1].schema.fields[3].id: duplicate id 3 (first used at
// tables[1].schema.fields[0].id)`. Unknown keys are refused with a suggestion.

import { isIP } from 'node:net';
import { ConfigError, type ConfigIssue } from '../errors.ts';
import { collectInlineSchema } from '../schema/convert.ts';
import type { Schema } from '../schema/types.ts';
import { checkBucketUrl } from './bucket.ts';
import { Issues, checkKeys, describeValue, didYouMean, isPlainObject, join, quote } from './issues.ts';
import {
  CREDENTIALS_DEFAULTS,
  FLUSH_DEFAULTS,
  FLUSH_LIMITS,
  MAINTENANCE_DEFAULTS,
  MAINTENANCE_LIMITS,
  PARTITIONING_SCHEMES,
  SASL_MECHANISMS,
  SCHEMA_MODES,
  SOURCE_FORMATS,
  tableName,
  type BootstrapBroker,
  type Config,
  type Credentials,
  type FlushSettings,
  type MaintenanceSettings,
  type SourceCluster,
  type TableConfig,
} from './model.ts';

const ROOT_KEYS = ['source_clusters', 'tables', 'destination_bucket_url'] as const;
const CLUSTER_KEYS = ['name', 'bootstrap_brokers', 'credentials'] as const;
const BROKER_KEYS = ['hostname', 'port'] as const;
const CREDENTIAL_KEYS = [
  'use_tls',
  'tls_insecure_skip_verify',
  'sasl_mechanism',
  'sasl_username_env',
  'sasl_password_env',
  'mtls_client_cert_env',
  'mtls_client_key_env',
  'mtls_server_ca_cert_env',
] as const;
const TABLE_KEYS = [
  'source_cluster_name',
  'source_topic',
  'source_format',
  'schema_mode',
  'schema',
  'partitioning_scheme',
  'flush',
  'delta',
  'dlq',
  'maintenance',
] as const;
const FLUSH_KEYS = ['max_bytes', 'max_records', 'interval_seconds'] as const;
const MAINTENANCE_INT_KEYS = [
  'target_file_size_bytes',
  'snapshot_max_age_seconds',
  'snapshots_min_keep',
  'orphan_min_age_seconds',
  'retention_seconds',
] as const;
const MAINTENANCE_KEYS = ['compaction_enabled', ...MAINTENANCE_INT_KEYS] as const;

/** Cluster names become half of a table name and a path segment: keep them path-safe. */
const CLUSTER_NAME = /^[A-Za-z0-9_.-]{1,200}$/;
/** Kafka's own rule for topic names. */
const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const HOST_NAME = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,251}[A-Za-z0-9_])?$/;

export type ValidationResult = { ok: true; config: Config } | { ok: false; issues: ConfigIssue[] };

/** Validates a parsed document; never throws for bad input. */
export function validateConfig(doc: unknown): ValidationResult {
  const issues = new Issues();
  const config = collectConfig(doc, issues);
  if (config === undefined || !issues.empty) return { ok: false, issues: issues.list };
  return { ok: true, config };
}

/** Validates a parsed document into the model; throws ConfigError listing every issue. */
export function parseConfig(doc: unknown): Config {
  const r = validateConfig(doc);
  if (!r.ok) throw new ConfigError(r.issues);
  return r.config;
}

/** The Iceberg schema of a validated table (field ids as declared). */
export function tableSchema(table: TableConfig, schemaId = 0): Schema {
  const issues = new Issues();
  const r = collectInlineSchema(table.schema, { schemaId, path: 'schema', avroNames: table.source_format === 'avro' }, issues);
  if (r === undefined) throw new ConfigError(issues.list);
  return r.schema;
}

function collectConfig(doc: unknown, issues: Issues): Config | undefined {
  if (doc === null || doc === undefined) {
    issues.at('(root)', 'the configuration is empty; expected source_clusters, tables and destination_bucket_url');
    return undefined;
  }
  if (!isPlainObject(doc)) {
    issues.at('(root)', `expected a mapping with source_clusters, tables and destination_bucket_url, got ${describeValue(doc)}`);
    return undefined;
  }
  checkKeys(doc, ROOT_KEYS, '', issues);

  const rawClusters = list(doc, 'source_clusters', '', issues);
  const clusters = rawClusters.map((raw, i) => cluster(raw, `source_clusters[${i}]`, issues));
  // Names of every cluster entry, valid or not, so a table does not also report a missing cluster
  // when the cluster has an error of its own.
  const byName = new Map<string, string>();
  rawClusters.forEach((raw, i) => {
    const name = isPlainObject(raw) ? raw.name : undefined;
    if (typeof name !== 'string') return;
    const first = byName.get(name);
    if (first !== undefined) issues.at(`source_clusters[${i}].name`, `duplicate cluster name ${quote(name)} (first defined at ${first})`);
    else byName.set(name, `source_clusters[${i}].name`);
  });

  const tables = list(doc, 'tables', '', issues).map((raw, i) => table(raw, `tables[${i}]`, byName, issues));
  const seen = new Map<string, string>();
  tables.forEach((t, i) => {
    if (t === undefined) return;
    const name = tableName(t);
    const first = seen.get(name);
    if (first !== undefined) issues.at(`tables[${i}].source_topic`, `duplicate table ${quote(name)} (first defined at ${first})`);
    else seen.set(name, `tables[${i}]`);
  });

  const url = str(doc, 'destination_bucket_url', '', issues, true);
  if (url !== undefined) checkBucketUrl(url, 'destination_bucket_url', issues);

  if (!issues.empty || url === undefined) return undefined;
  return {
    source_clusters: clusters as SourceCluster[],
    tables: tables as TableConfig[],
    destination_bucket_url: url,
  };
}

function cluster(raw: unknown, path: string, issues: Issues): SourceCluster | undefined {
  if (!isPlainObject(raw)) {
    issues.at(path, `expected a source cluster {name, bootstrap_brokers}, got ${describeValue(raw)}`);
    return undefined;
  }
  const before = issues.list.length;
  checkKeys(raw, CLUSTER_KEYS, path, issues);
  const name = str(raw, 'name', path, issues, true);
  if (name !== undefined && (!CLUSTER_NAME.test(name) || name === '.' || name === '..')) {
    issues.at(join(path, 'name'), `invalid cluster name ${quote(name)} (letters, digits, '.', '_' and '-' only, as it becomes part of table names and paths)`);
  }
  const brokersPath = join(path, 'bootstrap_brokers');
  const rawBrokers = list(raw, 'bootstrap_brokers', path, issues, true);
  if (Array.isArray(raw.bootstrap_brokers) && rawBrokers.length === 0) issues.at(brokersPath, 'needs at least one broker');
  const brokers = rawBrokers.map((b, i) => broker(b, `${brokersPath}[${i}]`, issues));
  let credentials: Credentials | undefined;
  if (raw.credentials !== undefined && raw.credentials !== null) credentials = creds(raw.credentials, join(path, 'credentials'), issues);
  if (issues.list.length > before || name === undefined) return undefined;
  const out: SourceCluster = { name, bootstrap_brokers: brokers as BootstrapBroker[] };
  if (credentials !== undefined) out.credentials = credentials;
  return out;
}

function broker(raw: unknown, path: string, issues: Issues): BootstrapBroker | undefined {
  if (!isPlainObject(raw)) {
    issues.at(path, `expected a broker {hostname, port}, got ${describeValue(raw)}`);
    return undefined;
  }
  checkKeys(raw, BROKER_KEYS, path, issues);
  const hostname = str(raw, 'hostname', path, issues, true);
  const hp = join(path, 'hostname');
  if (hostname !== undefined) {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(hostname)) {
      issues.at(hp, `${quote(hostname)} has a scheme; give the bare host name`);
    } else if (isIP(hostname) === 0) {
      const m = /^(.+):(\d+)$/.exec(hostname);
      if (m) issues.at(hp, `${quote(hostname)} includes a port; put ${m[2]} in port and ${quote(m[1])} in hostname`);
      else if (!HOST_NAME.test(hostname)) issues.at(hp, `invalid host name ${quote(hostname)}`);
    }
  }
  let port: number | undefined;
  const pp = join(path, 'port');
  if (raw.port === undefined || raw.port === null) issues.at(pp, 'missing required field');
  else if (typeof raw.port !== 'number' || !Number.isInteger(raw.port) || raw.port < 1 || raw.port > 65535) {
    issues.at(pp, `expected a port number 1..65535, got ${describeValue(raw.port)}`);
  } else port = raw.port;
  if (hostname === undefined || port === undefined) return undefined;
  return { hostname, port };
}

function creds(raw: unknown, path: string, issues: Issues): Credentials | undefined {
  if (!isPlainObject(raw)) {
    issues.at(path, `expected a mapping, got ${describeValue(raw)}`);
    return undefined;
  }
  const before = issues.list.length;
  checkKeys(raw, CREDENTIAL_KEYS, path, issues);
  const out: Credentials = {
    use_tls: bool(raw, 'use_tls', path, issues) ?? CREDENTIALS_DEFAULTS.use_tls,
    tls_insecure_skip_verify: bool(raw, 'tls_insecure_skip_verify', path, issues) ?? CREDENTIALS_DEFAULTS.tls_insecure_skip_verify,
    sasl_mechanism: oneOf(raw, 'sasl_mechanism', SASL_MECHANISMS, path, issues) ?? CREDENTIALS_DEFAULTS.sasl_mechanism,
  };
  for (const key of ['sasl_username_env', 'sasl_password_env', 'mtls_client_cert_env', 'mtls_client_key_env', 'mtls_server_ca_cert_env'] as const) {
    const v = str(raw, key, path, issues, false);
    if (v === undefined) continue;
    if (!ENV_NAME.test(v)) {
      issues.at(join(path, key), `${quote(v)} is not an environment variable name (letters, digits and '_'; the agent reads TABLEFLOW_<name>)`);
    } else out[key] = v;
  }
  // Pairs that only work together. SASL without TLS is legal (SASL PLAIN over plaintext).
  const pair = (a: keyof Credentials, b: keyof Credentials, what: string) => {
    if (out[a] !== undefined && out[b] === undefined && raw[b] === undefined) {
      issues.at(join(path, b), `missing: ${a} is set to ${quote(String(out[a]))} and ${what} needs both ${a} and ${b}`);
    }
  };
  pair('sasl_username_env', 'sasl_password_env', 'SASL');
  pair('sasl_password_env', 'sasl_username_env', 'SASL');
  pair('mtls_client_cert_env', 'mtls_client_key_env', 'mTLS');
  pair('mtls_client_key_env', 'mtls_client_cert_env', 'mTLS');
  if (!out.use_tls) {
    for (const key of ['mtls_client_cert_env', 'mtls_client_key_env', 'mtls_server_ca_cert_env'] as const) {
      if (out[key] !== undefined) issues.at(join(path, key), `${key} is set to ${quote(out[key])} but use_tls is not true; certificates need TLS`);
    }
    if (out.tls_insecure_skip_verify) issues.at(join(path, 'tls_insecure_skip_verify'), 'true has no effect unless use_tls is true');
  }
  return issues.list.length > before ? undefined : out;
}

function table(raw: unknown, path: string, clusters: Map<string, string>, issues: Issues): TableConfig | undefined {
  if (!isPlainObject(raw)) {
    issues.at(path, `expected a table {source_cluster_name, source_topic, source_format, schema}, got ${describeValue(raw)}`);
    return undefined;
  }
  const before = issues.list.length;
  checkKeys(raw, TABLE_KEYS, path, issues);
  const clusterName = str(raw, 'source_cluster_name', path, issues, true);
  if (clusterName !== undefined && !clusters.has(clusterName)) {
    const names = [...clusters.keys()];
    issues.at(
      join(path, 'source_cluster_name'),
      `no source cluster named ${quote(clusterName)}${didYouMean(clusterName, names)} (defined: ${names.length === 0 ? 'none' : names.join(', ')})`,
    );
  }
  const topic = str(raw, 'source_topic', path, issues, true);
  if (topic !== undefined && (!TOPIC_NAME.test(topic) || topic === '.' || topic === '..')) {
    issues.at(join(path, 'source_topic'), `invalid Kafka topic name ${quote(topic)} (1-249 letters, digits, '.', '_' and '-')`);
  }
  const format = oneOf(raw, 'source_format', SOURCE_FORMATS, path, issues, true);
  const mode = oneOf(raw, 'schema_mode', SCHEMA_MODES, path, issues) ?? 'inline';
  const partitioning = oneOf(raw, 'partitioning_scheme', PARTITIONING_SCHEMES, path, issues) ?? 'unpartitioned';
  let schema;
  const sp = join(path, 'schema');
  if (raw.schema === undefined || raw.schema === null) issues.at(sp, 'missing required field');
  else schema = collectInlineSchema(raw.schema, { path: sp, avroNames: format === 'avro' }, issues);
  const flush = flushSettings(raw.flush, join(path, 'flush'), issues);
  const delta = toggle(raw.delta, join(path, 'delta'), issues);
  const dlq = toggle(raw.dlq, join(path, 'dlq'), issues);
  const maintenance = maintenanceSettings(raw.maintenance, join(path, 'maintenance'), issues);
  if (issues.list.length > before || clusterName === undefined || topic === undefined || format === undefined || schema === undefined) {
    return undefined;
  }
  return {
    source_cluster_name: clusterName,
    source_topic: topic,
    source_format: format,
    schema_mode: mode,
    schema: schema.inline,
    partitioning_scheme: partitioning,
    flush,
    delta: { enabled: delta },
    dlq: { enabled: dlq },
    maintenance,
  };
}

function maintenanceSettings(raw: unknown, path: string, issues: Issues): MaintenanceSettings {
  const out: MaintenanceSettings = { ...MAINTENANCE_DEFAULTS };
  if (raw === undefined || raw === null) return out;
  if (!isPlainObject(raw)) {
    issues.at(path, `expected a mapping {${MAINTENANCE_KEYS.join(', ')}}, got ${describeValue(raw)}`);
    return out;
  }
  checkKeys(raw, MAINTENANCE_KEYS, path, issues);
  const enabled = bool(raw, 'compaction_enabled', path, issues);
  if (enabled !== undefined) out.compaction_enabled = enabled;
  for (const key of MAINTENANCE_INT_KEYS) {
    const v = raw[key];
    if (v === undefined || v === null) continue;
    const { min, max } = MAINTENANCE_LIMITS[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      issues.at(join(path, key), `expected an integer ${min}..${max}, got ${describeValue(v)}`);
    } else out[key] = v;
  }
  return out;
}

function flushSettings(raw: unknown, path: string, issues: Issues): FlushSettings {
  const out: FlushSettings = { ...FLUSH_DEFAULTS };
  if (raw === undefined || raw === null) return out;
  if (!isPlainObject(raw)) {
    issues.at(path, `expected a mapping {max_bytes, max_records, interval_seconds}, got ${describeValue(raw)}`);
    return out;
  }
  checkKeys(raw, FLUSH_KEYS, path, issues);
  for (const key of FLUSH_KEYS) {
    const v = raw[key];
    if (v === undefined || v === null) continue;
    const { min, max } = FLUSH_LIMITS[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      issues.at(join(path, key), `expected an integer ${min}..${max}, got ${describeValue(v)}`);
    } else out[key] = v;
  }
  return out;
}

/** `{enabled: boolean}` blocks (delta, dlq); enabled by default. */
function toggle(raw: unknown, path: string, issues: Issues): boolean {
  if (raw === undefined || raw === null) return true;
  if (!isPlainObject(raw)) {
    issues.at(path, `expected a mapping {enabled: true|false}, got ${describeValue(raw)}`);
    return true;
  }
  checkKeys(raw, ['enabled'], path, issues);
  return bool(raw, 'enabled', path, issues) ?? true;
}

// ---- typed field readers: each reports its own issue and returns undefined when absent/invalid

function str(obj: Record<string, unknown>, key: string, path: string, issues: Issues, required: boolean): string | undefined {
  const v = obj[key];
  const p = join(path, key);
  if (v === undefined || v === null) {
    if (required) issues.at(p, 'missing required field');
    return undefined;
  }
  if (typeof v !== 'string') {
    issues.at(p, `expected string, got ${describeValue(v)}`);
    return undefined;
  }
  if (v.trim() === '') {
    issues.at(p, 'must not be empty');
    return undefined;
  }
  return v;
}

function bool(obj: Record<string, unknown>, key: string, path: string, issues: Issues): boolean | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') {
    issues.at(join(path, key), `expected true or false, got ${describeValue(v)}`);
    return undefined;
  }
  return v;
}

function oneOf<T extends string>(
  obj: Record<string, unknown>,
  key: string,
  values: readonly T[],
  path: string,
  issues: Issues,
  required = false,
): T | undefined {
  const v = str(obj, key, path, issues, required);
  if (v === undefined) return undefined;
  if (!(values as readonly string[]).includes(v)) {
    issues.at(join(path, key), `unsupported value ${quote(v)}${didYouMean(v, values)} (supported: ${values.join(', ')})`);
    return undefined;
  }
  return v as T;
}

function list(obj: Record<string, unknown>, key: string, path: string, issues: Issues, required = false): unknown[] {
  const v = obj[key];
  if (v === undefined || v === null) {
    if (required) issues.at(join(path, key), 'missing required field');
    return [];
  }
  if (!Array.isArray(v)) {
    issues.at(join(path, key), `expected a list, got ${describeValue(v)}`);
    return [];
  }
  return v;
}
