// Turns a cluster's `credentials` block into connection secrets, read from the environment.
//
// Seed: each `*_env` field names an environment variable, and the agent reads it with a
// `TABLEFLOW_` prefix (`sasl_username_env: SASL_USER` -> `TABLEFLOW_SASL_USER`). The mTLS variables
// hold paths to PEM files, which are read here. The seed's mTLS section also says the variables are
// configured without the prefix (contradicting its own previous sentence), so for the three mTLS
// fields the unprefixed name is accepted as a fallback when the prefixed one is not set.
//
// Errors name the variable (and file path), never a secret value.

import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.ts';
import type { SaslMechanism, SourceCluster } from './model.ts';
import type { ClusterConnection } from '../source/kafka.ts';

export const ENV_PREFIX = 'TABLEFLOW_';

/** The `tls`/`sasl` part of a cluster connection, secrets resolved. */
export type ResolvedCredentials = Omit<ClusterConnection, 'brokers'>;

/** Everything needed to reach one cluster: `host:port` brokers plus resolved credentials. */
export type ResolvedConnection = ClusterConnection;

const MECHANISMS: Record<SaslMechanism, 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512'> = {
  plain: 'PLAIN',
  'scram-256': 'SCRAM-SHA-256',
  'scram-512': 'SCRAM-SHA-512',
};

type Env = Record<string, string | undefined>;

/**
 * Reads the secrets a cluster's credentials name. Throws ConfigError listing every missing
 * variable or unreadable file, at paths like `source_clusters["c1"].credentials.sasl_username_env`.
 */
export function resolveCredentials(cluster: SourceCluster, env: Env = process.env): ResolvedCredentials {
  const c = cluster.credentials;
  if (c === undefined) return {};
  const base = `source_clusters[${JSON.stringify(cluster.name)}].credentials`;
  const issues: { path: string; message: string }[] = [];
  const out: ResolvedCredentials = {};

  const variable = (field: string, name: string, unprefixedFallback: boolean): string | undefined => {
    const prefixed = ENV_PREFIX + name;
    const v = env[prefixed];
    if (v !== undefined && v !== '') return v;
    if (unprefixedFallback) {
      const u = env[name];
      if (u !== undefined && u !== '') return u;
    }
    const alt = unprefixedFallback ? ` (nor ${name})` : '';
    issues.push({
      path: `${base}.${field}`,
      message: v === '' ? `environment variable ${prefixed} is set but empty` : `environment variable ${prefixed} is not set${alt}`,
    });
    return undefined;
  };

  const pem = (field: string, name: string): string | undefined => {
    const file = variable(field, name, true);
    if (file === undefined) return undefined;
    const via = env[ENV_PREFIX + name] ? ENV_PREFIX + name : name;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      issues.push({ path: `${base}.${field}`, message: `cannot read ${file} (from ${via}): ${code}` });
      return undefined;
    }
    if (!text.includes('-----BEGIN ')) {
      issues.push({ path: `${base}.${field}`, message: `${file} (from ${via}) is not PEM: no -----BEGIN line` });
      return undefined;
    }
    return text;
  };

  if (c.sasl_username_env !== undefined || c.sasl_password_env !== undefined) {
    const username = c.sasl_username_env === undefined ? undefined : variable('sasl_username_env', c.sasl_username_env, false);
    const password = c.sasl_password_env === undefined ? undefined : variable('sasl_password_env', c.sasl_password_env, false);
    if (username !== undefined && password !== undefined) out.sasl = { mechanism: MECHANISMS[c.sasl_mechanism], username, password };
  }
  if (c.use_tls) {
    const tls: NonNullable<ResolvedCredentials['tls']> = { verify: !c.tls_insecure_skip_verify };
    if (c.mtls_server_ca_cert_env !== undefined) {
      const ca = pem('mtls_server_ca_cert_env', c.mtls_server_ca_cert_env);
      if (ca !== undefined) tls.ca = ca;
    }
    if (c.mtls_client_cert_env !== undefined) {
      const cert = pem('mtls_client_cert_env', c.mtls_client_cert_env);
      if (cert !== undefined) tls.cert = cert;
    }
    if (c.mtls_client_key_env !== undefined) {
      const key = pem('mtls_client_key_env', c.mtls_client_key_env);
      if (key !== undefined) tls.key = key;
    }
    out.tls = tls;
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return out;
}

/** Brokers as `host:port` (IPv6 literals bracketed) plus resolved credentials. */
export function resolveConnection(cluster: SourceCluster, env: Env = process.env): ResolvedConnection {
  const brokers = cluster.bootstrap_brokers.map((b) => (b.hostname.includes(':') ? `[${b.hostname}]:${b.port}` : `${b.hostname}:${b.port}`));
  return { brokers, ...resolveCredentials(cluster, env) };
}
