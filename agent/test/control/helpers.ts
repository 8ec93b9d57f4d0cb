// An in-process agent listener with the control API over a FileStore in a temporary directory,
// plus a small HTTP client that speaks to it with (or without) the bearer token.

import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadConfig, type Config } from '../../src/config/index.ts';
import { ConfigStore } from '../../src/config/store.ts';
import { createControlApi, type ControlApiOptions } from '../../src/control/api.ts';
import { createHttpApp, listen } from '../../src/control/server.ts';
import type { AgentLike } from '../../src/control/status.ts';
import { createLogger, type Logger } from '../../src/log.ts';
import { AgentMetrics } from '../../src/metrics/metrics.ts';
import { FileStore } from '../../src/store/file.ts';
import type { ObjectStore } from '../../src/store/store.ts';

export const TOKEN = 'test-token-0123456789';

/** Logs into memory, so tests can assert that no secret was logged. */
export function memoryLogger(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  return { log: createLogger({}, 'debug', (l) => lines.push(l)), lines };
}

export function baseYaml(bucketUrl: string): string {
  return `source_clusters:
  - name: c1
    bootstrap_brokers:
      - { hostname: localhost, port: 9092 }
  - name: c2
    bootstrap_brokers:
      - { hostname: broker2.example.com, port: 9093 }
    credentials:
      sasl_username_env: SASL_USER
      sasl_password_env: SASL_PASSWORD
      use_tls: true
      sasl_mechanism: scram-512
tables:
  - source_cluster_name: c1
    source_topic: logs
    source_format: json
    schema_mode: inline
    schema:
      fields:
        - { name: environment, type: string, id: 1 }
        - { name: service, type: string, id: 2 }
        - { name: status, type: int, id: 3 }
        - { name: latency, type: float, id: 4 }
        - { name: price, type: "decimal(10, 2)", id: 5 }
        - { name: message, type: string, id: 6, optional: true }
        - { name: code, type: long, id: 7 }
destination_bucket_url: ${bucketUrl}
`;
}

export interface Harness {
  dir: string;
  store: FileStore;
  configs: ConfigStore;
  bucketUrl: string;
  url: string;
  lines: string[];
  /** A second agent (own ConfigStore, own listener) over the same directory. */
  second(wrap?: (s: ObjectStore) => ObjectStore): Promise<{ url: string; configs: ConfigStore }>;
  request(method: string, p: string, init?: RequestOptions): Promise<Reply>;
  close(): Promise<void>;
}

export interface RequestOptions {
  body?: unknown;
  /** Raw body text (sent as is). */
  text?: string;
  contentType?: string;
  headers?: Record<string, string>;
  /** Omit the Authorization header. */
  noAuth?: boolean;
  token?: string;
  /** Which listener (default: the first agent's). */
  url?: string;
}

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed JSON body (undefined when not JSON). */
  json: any;
}

export interface HarnessOptions {
  /** Store v1 from baseYaml (default true). */
  seed?: boolean | string;
  token?: string | null;
  agent?: AgentLike;
  api?: Partial<ControlApiOptions>;
  /** Wraps the first agent's store (e.g. to hold writes at a barrier). */
  wrapStore?: (s: ObjectStore) => ObjectStore;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const dir = await mkdtemp(path.join(tmpdir(), 'floe-control-'));
  const store = new FileStore(dir);
  const bucketUrl = `file://${dir}`;
  const configs = new ConfigStore(options.wrapStore ? options.wrapStore(store) : store);
  const seed = options.seed ?? true;
  if (seed !== false) {
    const created = await new ConfigStore(store).create(1, loadConfig(typeof seed === 'string' ? seed : baseYaml(bucketUrl)));
    if (created === null) throw new Error('seed v1 exists');
  }
  const { log, lines } = memoryLogger();
  const token = options.token === null ? undefined : (options.token ?? TOKEN);
  const servers: Server[] = [];
  const start = async (cs: ConfigStore): Promise<string> => {
    const env: NodeJS.ProcessEnv = token === undefined ? {} : { FLOE_API_TOKEN: token };
    const api = createControlApi({ configs: cs, env, log, bucketUrl, ...(options.agent ? { agent: options.agent } : {}), ...options.api });
    const app = createHttpApp(new AgentMetrics({}), { readinessProblems: () => [] }, api);
    const { server, url } = await listen(app, '127.0.0.1:0');
    servers.push(server);
    return url;
  };
  const url = await start(configs);
  const request = async (method: string, p: string, init: RequestOptions = {}): Promise<Reply> => {
    const headers: Record<string, string> = { ...init.headers };
    if (!init.noAuth) headers.authorization = `Bearer ${init.token ?? TOKEN}`;
    let body: string | undefined;
    if (init.text !== undefined) {
      body = init.text;
      headers['content-type'] = init.contentType ?? 'application/yaml';
    } else if (init.body !== undefined) {
      body = JSON.stringify(init.body);
      headers['content-type'] = init.contentType ?? 'application/json';
    }
    const res = await fetch(`${init.url ?? url}${p}`, { method, headers, body });
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json };
  };
  const closeAll = async () => {
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  };
  return {
    dir,
    store,
    configs,
    bucketUrl,
    url,
    lines,
    request,
    async second(wrap) {
      const fs = new FileStore(dir);
      const cs = new ConfigStore(wrap ? wrap(fs) : fs);
      const u = await start(cs);
      return { url: u, configs: cs };
    },
    async close() {
      await closeAll();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A table entry in the seed's JSON form. */
export function tableBody(topic: string, fields: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { source_cluster_name: 'c1', source_topic: topic, source_format: 'json', schema: { fields }, ...extra };
}

/** The fields of table c1+logs in the seed v1. */
export function logsFields(): Record<string, unknown>[] {
  return [
    { name: 'environment', type: 'string', id: 1 },
    { name: 'service', type: 'string', id: 2 },
    { name: 'status', type: 'int', id: 3 },
    { name: 'latency', type: 'float', id: 4 },
    { name: 'price', type: 'decimal(10, 2)', id: 5 },
    { name: 'message', type: 'string', id: 6, optional: true },
    { name: 'code', type: 'long', id: 7 },
  ];
}

export async function latestConfig(h: Harness): Promise<Config> {
  const s = await h.configs.latest();
  if (s === null) throw new Error('no configuration stored');
  return s.config;
}

/**
 * A store whose configuration writes (putIfAbsent under _floe/config/) wait until `parties` of them
 * are pending, then all proceed together: every writer has read the same version first, so the
 * race for the next version is certain, not a matter of timing. One-shot; later writes pass.
 */
export function barrier(parties: number): (s: ObjectStore) => ObjectStore {
  let waiting: (() => void)[] = [];
  let open = false;
  const arrive = (): Promise<void> => {
    if (open) return Promise.resolve();
    return new Promise<void>((resolve) => {
      waiting.push(resolve);
      if (waiting.length >= parties) {
        open = true;
        for (const w of waiting) w();
        waiting = [];
      }
    });
  };
  return (s) => ({
    get url() {
      return s.url;
    },
    get: (k) => s.get(k),
    put: (k, b) => s.put(k, b),
    head: (k) => s.head(k),
    list: (p) => s.list(p),
    delete: (k) => s.delete(k),
    async putIfAbsent(k, b) {
      if (k.startsWith('_floe/config/')) await arrive();
      return s.putIfAbsent(k, b);
    },
  });
}
