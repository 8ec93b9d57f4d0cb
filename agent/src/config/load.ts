// Reading and writing the configuration file. YAML (the seed's format) or JSON (what the control
// API speaks); both go through the same validation. Syntax errors carry line and column.

import { readFile } from 'node:fs/promises';
import { Document, parseDocument, visit, isScalar, type Pair } from 'yaml';
import { ConfigError } from '../errors.ts';
import { describeJsonError } from '../decode/json-error.ts';
import { parseConfig } from './validate.ts';
import {
  CREDENTIALS_DEFAULTS,
  FLUSH_DEFAULTS,
  MAINTENANCE_DEFAULTS,
  type Config,
  type Credentials,
  type InlineField,
  type SourceCluster,
  type TableConfig,
} from './model.ts';

export type ConfigFormat = 'yaml' | 'json';

export interface LoadOptions {
  /** @default 'yaml' (YAML 1.2 is a superset of JSON, so JSON text loads either way) */
  format?: ConfigFormat;
}

/** Parses and validates configuration text. Throws ConfigError listing every issue. */
export function loadConfig(text: string, options: LoadOptions = {}): Config {
  const doc = options.format === 'json' ? parseJsonText(text) : parseYamlText(text);
  return parseConfig(doc);
}

/** Reads a file; `.json` files are JSON, anything else YAML. */
export async function loadConfigFile(path: string): Promise<Config> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError([{ path: '(file)', message: `cannot read ${path}: ${(err as Error).message}` }]);
  }
  return loadConfig(text, { format: path.endsWith('.json') ? 'json' : 'yaml' });
}

/** YAML text -> plain data. Syntax errors become issues at `line L, column C`. */
export function parseYamlText(text: string): unknown {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false, strict: true });
  const problems = [...doc.errors, ...doc.warnings];
  if (problems.length > 0) {
    throw new ConfigError(
      problems.map((e) => ({ path: lineColumn(text, e.pos[0]), message: `invalid YAML: ${firstLine(e.message)}${e.code === 'DUPLICATE_KEY' ? ` ${quoteKeyAt(text, e.pos[0])}` : ''}` })),
    );
  }
  try {
    return doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    throw new ConfigError([{ path: '(yaml)', message: `invalid YAML: ${firstLine((err as Error).message)}` }]);
  }
}

/** JSON text -> plain data. Syntax errors become issues at `line L, column C`. */
export function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const { position, reason } = describeJsonError(err, text);
    throw new ConfigError([{ path: lineColumn(text, position), message: `invalid JSON: ${reason}` }]);
  }
}

function lineColumn(text: string, offset: number): string {
  let line = 1;
  let col = 1;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      col = 1;
    } else col++;
  }
  return `line ${line}, column ${col}`;
}

function firstLine(s: string): string {
  const i = s.indexOf('\n');
  return i < 0 ? s : s.slice(0, i);
}

function quoteKeyAt(text: string, offset: number): string {
  const m = /^[^:\n]*/.exec(text.slice(offset));
  const key = m ? m[0].trim() : '';
  return key === '' ? '' : `(${JSON.stringify(key)})`;
}

/**
 * The configuration as YAML in the seed's style: schema leaf fields on one line in flow style,
 * defaults left out. `loadConfig(configToYaml(c))` deep-equals `c`.
 */
export function configToYaml(config: Config): string {
  const doc = new Document(configToPlain(config));
  visit(doc, {
    Map(_key, node) {
      // A schema field without children reads best on one line, as in the seed.
      const keys = node.items.map((p: Pair) => (isScalar(p.key) ? p.key.value : undefined));
      if (keys.includes('id') && keys.includes('type') && !keys.includes('fields')) node.flow = true;
    },
  });
  return doc.toString({ lineWidth: 0, flowCollectionPadding: true });
}

/** The configuration as JSON (same content as configToYaml). */
export function configToJson(config: Config): string {
  return `${JSON.stringify(configToPlain(config), null, 2)}\n`;
}

/** Plain data in the file's key order, defaults omitted. */
export function configToPlain(config: Config): Record<string, unknown> {
  return {
    source_clusters: config.source_clusters.map(clusterToPlain),
    tables: config.tables.map(tableToPlain),
    destination_bucket_url: config.destination_bucket_url,
  };
}

function clusterToPlain(c: SourceCluster): Record<string, unknown> {
  const out: Record<string, unknown> = {
    name: c.name,
    bootstrap_brokers: c.bootstrap_brokers.map((b) => ({ hostname: b.hostname, port: b.port })),
  };
  if (c.credentials !== undefined) out.credentials = credentialsToPlain(c.credentials);
  return out;
}

function credentialsToPlain(c: Credentials): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (c.sasl_username_env !== undefined) out.sasl_username_env = c.sasl_username_env;
  if (c.sasl_password_env !== undefined) out.sasl_password_env = c.sasl_password_env;
  if (c.mtls_client_cert_env !== undefined) out.mtls_client_cert_env = c.mtls_client_cert_env;
  if (c.mtls_client_key_env !== undefined) out.mtls_client_key_env = c.mtls_client_key_env;
  if (c.mtls_server_ca_cert_env !== undefined) out.mtls_server_ca_cert_env = c.mtls_server_ca_cert_env;
  out.use_tls = c.use_tls;
  if (c.tls_insecure_skip_verify !== CREDENTIALS_DEFAULTS.tls_insecure_skip_verify) out.tls_insecure_skip_verify = c.tls_insecure_skip_verify;
  if (c.sasl_username_env !== undefined || c.sasl_mechanism !== CREDENTIALS_DEFAULTS.sasl_mechanism) out.sasl_mechanism = c.sasl_mechanism;
  return out;
}

function tableToPlain(t: TableConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {
    source_cluster_name: t.source_cluster_name,
    source_topic: t.source_topic,
    source_format: t.source_format,
    schema_mode: t.schema_mode,
  };
  if (t.partitioning_scheme !== 'unpartitioned') out.partitioning_scheme = t.partitioning_scheme;
  out.schema = { fields: t.schema.fields.map(fieldToPlain) };
  const flush: Record<string, number> = {};
  for (const k of ['max_bytes', 'max_records', 'interval_seconds'] as const) {
    if (t.flush[k] !== FLUSH_DEFAULTS[k]) flush[k] = t.flush[k];
  }
  if (Object.keys(flush).length > 0) out.flush = flush;
  if (!t.delta.enabled) out.delta = { enabled: false };
  if (!t.dlq.enabled) out.dlq = { enabled: false };
  const m: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(t.maintenance)) {
    if (v !== undefined && v !== (MAINTENANCE_DEFAULTS as Record<string, unknown>)[k]) m[k] = v;
  }
  if (Object.keys(m).length > 0) out.maintenance = m;
  return out;
}

function fieldToPlain(f: InlineField): Record<string, unknown> {
  const out: Record<string, unknown> = { name: f.name, id: f.id, type: f.type };
  if (f.optional) out.optional = true;
  if (f.doc !== undefined) out.doc = f.doc;
  if (f.fields !== undefined) out.fields = f.fields.map(fieldToPlain);
  return out;
}

