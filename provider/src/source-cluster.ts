// SourceCluster: a Kafka-compatible cluster that tables read from (the seed's `source_clusters`
// entry), as a floe_source_cluster resource of a FloeCluster's provider. Credentials are names of
// environment variables on the agents (read with a TABLEFLOW_ prefix), never secrets.

import { Construct } from 'constructs';
import { Token } from 'cdktf';
import { SourceCluster as SourceClusterResource } from './.gen/floe/source-cluster/index.js';
import type { FloeCluster } from './cluster.ts';
import { InvalidPropsError, show } from './errors.ts';

export const SaslMechanism = { PLAIN: 'plain', SCRAM_256: 'scram-256', SCRAM_512: 'scram-512' } as const;
export type SaslMechanism = (typeof SaslMechanism)[keyof typeof SaslMechanism];

export interface SourceClusterProps {
  /** The Floe deployment whose agents read this cluster. */
  readonly cluster: FloeCluster;
  /** Unique cluster name; the first half of every table name `<cluster>+<topic>`. Changing it replaces the cluster. */
  readonly name: string;
  /** Brokers as `host:port`, e.g. `['broker1.example.com:9092']`. */
  readonly bootstrapServers: readonly string[];
  /**
   * Connect with TLS.
   * @default false
   */
  readonly useTls?: boolean;
  /**
   * Skip verification of the brokers' certificate chain and host name.
   * @default false
   */
  readonly tlsInsecureSkipVerify?: boolean;
  /**
   * SASL mechanism, used with saslUsernameEnv and saslPasswordEnv.
   * @default SaslMechanism.PLAIN
   */
  readonly saslMechanism?: SaslMechanism;
  /**
   * Environment variable (without the TABLEFLOW_ prefix) holding the SASL user name.
   * @default - no SASL
   */
  readonly saslUsernameEnv?: string;
  /**
   * Environment variable (without the TABLEFLOW_ prefix) holding the SASL password.
   * @default - no SASL
   */
  readonly saslPasswordEnv?: string;
  /**
   * Environment variable holding the path of the mTLS client certificate (PEM).
   * @default - no mTLS
   */
  readonly mtlsClientCertEnv?: string;
  /**
   * Environment variable holding the path of the mTLS client key (PEM).
   * @default - no mTLS
   */
  readonly mtlsClientKeyEnv?: string;
  /**
   * Environment variable holding the path of the CA certificate (PEM) that signed the brokers'.
   * @default - the host's root certificates
   */
  readonly mtlsServerCaCertEnv?: string;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const HOST = /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$|^\[[0-9a-fA-F:]+\]$/;

export class SourceCluster extends Construct {
  /** The cluster's name. */
  readonly name: string;
  readonly cluster: FloeCluster;
  /** The underlying floe_source_cluster resource. */
  readonly resource: SourceClusterResource;

  constructor(scope: Construct, id: string, props: SourceClusterProps) {
    super(scope, id);
    const brokers = validate(id, props);
    this.name = props.name;
    this.cluster = props.cluster;

    const credentials: Record<string, unknown> = {};
    if (props.useTls !== undefined) credentials.useTls = props.useTls;
    if (props.tlsInsecureSkipVerify !== undefined) credentials.tlsInsecureSkipVerify = props.tlsInsecureSkipVerify;
    if (props.saslMechanism !== undefined) credentials.saslMechanism = props.saslMechanism;
    for (const key of ['saslUsernameEnv', 'saslPasswordEnv', 'mtlsClientCertEnv', 'mtlsClientKeyEnv', 'mtlsServerCaCertEnv'] as const) {
      if (props[key] !== undefined) credentials[key] = props[key];
    }

    this.resource = new SourceClusterResource(this, 'resource', {
      provider: props.cluster.provider,
      name: props.name,
      bootstrapBrokers: brokers,
      ...(Object.keys(credentials).length > 0 ? { credentials } : {}),
    });
  }
}

function validate(id: string, props: SourceClusterProps): { hostname: string; port: number }[] {
  const where = `SourceCluster ${show(id)}`;
  if (!Token.isUnresolved(props.name) && (typeof props.name !== 'string' || props.name.trim() === '' || props.name.includes('+'))) {
    throw new InvalidPropsError(`${where}: name must be a non-empty string without '+' (table names are <cluster>+<topic>), got ${show(props.name)}`);
  }
  if (!Array.isArray(props.bootstrapServers) || props.bootstrapServers.length === 0) {
    throw new InvalidPropsError(`${where}: bootstrapServers needs at least one "host:port", got ${show(props.bootstrapServers)}`);
  }
  const brokers = props.bootstrapServers.map((s) => {
    const m = typeof s === 'string' ? /^(.+):(\d+)$/.exec(s.trim()) : null;
    const port = m ? Number(m[2]) : NaN;
    if (!m || !HOST.test(m[1]) || !(port >= 1 && port <= 65535)) {
      throw new InvalidPropsError(`${where}: bootstrapServers entries must be "host:port" with a port 1-65535, got ${show(s)}`);
    }
    return { hostname: m[1].replace(/^\[|\]$/g, ''), port };
  });
  for (const key of ['saslUsernameEnv', 'saslPasswordEnv', 'mtlsClientCertEnv', 'mtlsClientKeyEnv', 'mtlsServerCaCertEnv'] as const) {
    const v = props[key];
    if (v !== undefined && !ENV_NAME.test(v)) {
      throw new InvalidPropsError(`${where}: ${key} must be an environment variable name (letters, digits and '_'), got ${show(v)}`);
    }
  }
  const pair = (a: 'saslUsernameEnv' | 'mtlsClientCertEnv', b: 'saslPasswordEnv' | 'mtlsClientKeyEnv') => {
    if ((props[a] === undefined) !== (props[b] === undefined)) {
      const [set, missing] = props[a] !== undefined ? [a, b] : [b, a];
      throw new InvalidPropsError(`${where}: ${set} is ${show(props[set])} but ${missing} is not set; they work only together`);
    }
  };
  pair('saslUsernameEnv', 'saslPasswordEnv');
  pair('mtlsClientCertEnv', 'mtlsClientKeyEnv');
  if (props.saslMechanism !== undefined && props.saslUsernameEnv === undefined) {
    throw new InvalidPropsError(`${where}: saslMechanism is ${show(props.saslMechanism)} but no saslUsernameEnv/saslPasswordEnv is set`);
  }
  if (!props.useTls) {
    for (const key of ['mtlsClientCertEnv', 'mtlsServerCaCertEnv', 'tlsInsecureSkipVerify'] as const) {
      if (props[key]) throw new InvalidPropsError(`${where}: ${key} is ${show(props[key])} but useTls is not true; it needs TLS`);
    }
  }
  return brokers;
}
