// The API's resource shapes: one `source_clusters` or `tables` entry of the seed's configuration in
// snake_case JSON, normalized (every default filled in), plus the resource's `name`.

import { tableName, type Config, type Credentials, type InlineField, type SourceCluster, type TableConfig } from '../config/model.ts';

export function tableResource(t: TableConfig): Record<string, unknown> {
  return {
    name: tableName(t),
    source_cluster_name: t.source_cluster_name,
    source_topic: t.source_topic,
    source_format: t.source_format,
    schema_mode: t.schema_mode,
    schema: { fields: t.schema.fields.map(fieldResource) },
    partitioning_scheme: t.partitioning_scheme,
    flush: { max_bytes: t.flush.max_bytes, max_records: t.flush.max_records, interval_seconds: t.flush.interval_seconds },
    delta: { enabled: t.delta.enabled },
    dlq: { enabled: t.dlq.enabled },
    maintenance: { ...t.maintenance },
  };
}

function fieldResource(f: InlineField): Record<string, unknown> {
  const out: Record<string, unknown> = { name: f.name, id: f.id, type: f.type, optional: f.optional };
  if (f.doc !== undefined) out.doc = f.doc;
  if (f.fields !== undefined) out.fields = f.fields.map(fieldResource);
  return out;
}

export function clusterResource(c: SourceCluster): Record<string, unknown> {
  const out: Record<string, unknown> = {
    name: c.name,
    bootstrap_brokers: c.bootstrap_brokers.map((b) => ({ hostname: b.hostname, port: b.port })),
  };
  if (c.credentials !== undefined) out.credentials = credentialsResource(c.credentials);
  return out;
}

function credentialsResource(c: Credentials): Record<string, unknown> {
  const out: Record<string, unknown> = {
    use_tls: c.use_tls,
    tls_insecure_skip_verify: c.tls_insecure_skip_verify,
    sasl_mechanism: c.sasl_mechanism,
  };
  for (const k of ['sasl_username_env', 'sasl_password_env', 'mtls_client_cert_env', 'mtls_client_key_env', 'mtls_server_ca_cert_env'] as const) {
    if (c[k] !== undefined) out[k] = c[k];
  }
  return out;
}

export function findTable(config: Config, name: string): TableConfig | undefined {
  return config.tables.find((t) => tableName(t) === name);
}

export function findCluster(config: Config, name: string): SourceCluster | undefined {
  return config.source_clusters.find((c) => c.name === name);
}

/**
 * `<cluster>+<topic>` split at the first '+'. Neither half can contain '+' (cluster names and Kafka
 * topic names do not allow it), so the split is unambiguous; undefined when there is no '+'.
 */
export function splitTableName(name: string): { cluster: string; topic: string } | undefined {
  const i = name.indexOf('+');
  if (i <= 0 || i === name.length - 1) return undefined;
  return { cluster: name.slice(0, i), topic: name.slice(i + 1) };
}

/** Same normalized content, or both absent (no-op detection, If-Match on resources). */
export function sameTable(a: TableConfig | undefined, b: TableConfig | undefined): boolean {
  return JSON.stringify(a && tableResource(a)) === JSON.stringify(b && tableResource(b));
}

export function sameCluster(a: SourceCluster | undefined, b: SourceCluster | undefined): boolean {
  return JSON.stringify(a && clusterResource(a)) === JSON.stringify(b && clusterResource(b));
}
