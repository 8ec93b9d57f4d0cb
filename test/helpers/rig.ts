// The running test rig, as described by test/rig/rig.env (written by test/rig/up.sh).
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Where up.sh writes the rig description. FLOE_RIG_ENV points elsewhere if needed. */
export const RIG_ENV_PATH: string =
  process.env.FLOE_RIG_ENV ?? fileURLToPath(new URL('../rig/rig.env', import.meta.url));

export interface RigS3 {
  /** e.g. http://127.0.0.1:19000 (path-style addressing). */
  endpoint: string;
  accessKey: string;
  secretKey: string;
  bucket: string;
  region: string;
}

export interface RigKafka {
  /** PLAINTEXT listener, host:port. */
  bootstrap: string;
  /** SASL_SSL listener (SCRAM-SHA-256 and SCRAM-SHA-512), host:port. */
  saslBootstrap: string;
  saslMechanisms: string[];
  saslUser: string;
  saslPassword: string;
  /** PEM file of the CA that signed the SASL_SSL listener's certificate. */
  saslCaPem: string;
  /** Java client properties for the SASL_SSL listener (SCRAM-SHA-512). */
  saslClientProperties: string;
  /** Same with SCRAM-SHA-256. */
  saslClientPropertiesSha256: string;
  /** Folder of kafka-*.sh wrappers (kafka-topics.sh, kafka-console-producer.sh, ...). */
  bin: string;
  libs: string;
  version: string;
}

export interface Rig {
  kafka: RigKafka;
  s3: RigS3;
  /** `tofu` binary (OpenTofu 1.6.3). */
  tofuBin: string;
  minioBin: string;
  /** Python of the rig's virtualenv (pyiceberg, deltalake, duckdb, pyarrow). */
  python: string;
  javaHome: string;
  /** test/rig/.state: logs, pids and generated config of the running rig. */
  stateDir: string;
  /** Every KEY=VALUE of rig.env, for passing on to child processes. */
  env: Record<string, string>;
}

const REQUIRED = [
  'FLOE_RIG_STATE', 'KAFKA_BOOTSTRAP', 'KAFKA_SASL_BOOTSTRAP', 'KAFKA_SASL_USER', 'KAFKA_SASL_PASSWORD',
  'KAFKA_SASL_CA_PEM', 'KAFKA_SASL_CLIENT_PROPERTIES', 'KAFKA_BIN', 'S3_ENDPOINT', 'S3_ACCESS_KEY',
  'S3_SECRET_KEY', 'S3_BUCKET', 'S3_REGION', 'TOFU_BIN', 'RIG_PYTHON',
] as const;

/** Parses the KEY=VALUE lines up.sh writes (values bare, 'single' or "double" quoted). */
export function parseRigEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) throw new Error(`rig.env: cannot parse line: ${line}`);
    let value = m[2];
    if (value.length >= 2 && value.startsWith("'") && value.endsWith("'")) value = value.slice(1, -1);
    else if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    out[m[1]] = value;
  }
  return out;
}

let cached: Rig | undefined;

/**
 * Loads the rig description. Throws a clear error if the rig is not up (run `npm run rig:up`).
 * Cached per process; pass `{ reload: true }` after restarting the rig.
 */
export function loadRig(options: { reload?: boolean } = {}): Rig {
  if (cached && !options.reload) return cached;
  if (!existsSync(RIG_ENV_PATH)) {
    throw new Error(
      `The test rig is not running: ${RIG_ENV_PATH} does not exist. ` +
        'Start it with `npm run rig:up` (or `bash test/rig/up.sh`), then run the tests again.',
    );
  }
  const env = parseRigEnv(readFileSync(RIG_ENV_PATH, 'utf8'));
  const missing = REQUIRED.filter((k) => !env[k]);
  if (missing.length > 0) {
    throw new Error(`${RIG_ENV_PATH} lacks ${missing.join(', ')}; rerun \`npm run rig:up\` to rewrite it.`);
  }
  cached = {
    kafka: {
      bootstrap: env.KAFKA_BOOTSTRAP,
      saslBootstrap: env.KAFKA_SASL_BOOTSTRAP,
      saslMechanisms: (env.KAFKA_SASL_MECHANISMS ?? 'SCRAM-SHA-256,SCRAM-SHA-512').split(','),
      saslUser: env.KAFKA_SASL_USER,
      saslPassword: env.KAFKA_SASL_PASSWORD,
      saslCaPem: env.KAFKA_SASL_CA_PEM,
      saslClientProperties: env.KAFKA_SASL_CLIENT_PROPERTIES,
      saslClientPropertiesSha256: env.KAFKA_SASL_CLIENT_PROPERTIES_SHA256 ?? env.KAFKA_SASL_CLIENT_PROPERTIES,
      bin: env.KAFKA_BIN,
      libs: env.KAFKA_LIBS ?? '',
      version: env.KAFKA_VERSION ?? '',
    },
    s3: {
      endpoint: env.S3_ENDPOINT,
      accessKey: env.S3_ACCESS_KEY,
      secretKey: env.S3_SECRET_KEY,
      bucket: env.S3_BUCKET,
      region: env.S3_REGION,
    },
    tofuBin: env.TOFU_BIN,
    minioBin: env.MINIO_BIN ?? '',
    python: env.RIG_PYTHON,
    javaHome: env.JAVA_HOME ?? '',
    stateDir: env.FLOE_RIG_STATE,
    env,
  };
  return cached;
}

/** process.env plus the rig's variables, for spawning tools that read them (the agent, tofu, ...). */
export function rigProcessEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const rig = loadRig();
  const env: NodeJS.ProcessEnv = { ...process.env, ...rig.env, ...extra };
  if (rig.javaHome) env.JAVA_HOME = rig.javaHome;
  return env;
}
