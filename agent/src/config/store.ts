// The configuration store: every version of the configuration, as objects in the destination
// bucket, so agents stay stateless and any agent can accept a change.
//
//   <store root>/_floe/config/v0000000001.yaml
//   <store root>/_floe/config/v0000000002.yaml   ...
//
// Each object is the canonical seed YAML of one version (configToYaml). Invariants:
// - A version is created exactly once, with putIfAbsent (S3 `If-None-Match: *`, exclusive create on
//   file://). Of two writers racing for v<N+1>, exactly one creates it; the other learns it lost
//   and nothing is overwritten.
// - Versions are dense (v1, v2, ... no gaps): v<N+1> is only written by someone who read v<N> as the
//   newest (bootstrap writes v1 only when no version exists).
// - Versions are never rewritten or deleted by Floe: past versions stay readable, and a parsed
//   version can be cached forever.
// - The newest version is found like Iceberg metadata versions (iceberg/table.ts): list the prefix
//   once, then probe v<N+1>, v<N+2>, ... upward from the newest version known.
//
// Bootstrapping (`bootstrap`): an agent started with `--config FILE` on an empty store writes the
// file as v1. When the store already holds versions, the store wins: the agent runs the newest
// stored version and only logs how the file's tables differ from it. The file then only tells the
// agent where the bucket is.

import { FloeError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { ObjectStore } from '../store/store.ts';
import { configToYaml, loadConfig } from './load.ts';
import { tableName, type Config } from './model.ts';

/** Key prefix of the configuration versions inside the store. */
export const CONFIG_PREFIX = '_floe/config/';

const VERSION_FILE = /^v(\d{10})\.yaml$/;
const MAX_VERSION = 9_999_999_999;

export interface StoredConfig {
  version: number;
  config: Config;
  /** The stored text (canonical seed YAML). */
  yaml: string;
}

export interface ConfigVersionInfo {
  version: number;
  size: number;
  /** When the object was created (the store's last-modified time). */
  createdAt: Date;
}

export interface BootstrapResult {
  stored: StoredConfig;
  /** True when this call wrote the file as v1; false when the store already had versions. */
  created: boolean;
  /** How the file's tables and clusters differ from the stored version (empty when identical or created). */
  differences: string[];
}

/** `_floe/config/v<N:010>.yaml` */
export function configVersionKey(version: number): string {
  if (!Number.isInteger(version) || version < 1 || version > MAX_VERSION) {
    throw new FloeError('FLOE_API', `configuration version must be an integer 1..${MAX_VERSION}, got ${version}`);
  }
  return `${CONFIG_PREFIX}v${String(version).padStart(10, '0')}.yaml`;
}

export class ConfigStore {
  readonly store: ObjectStore;
  /** Parsed versions; versions are immutable, so entries never go stale. */
  #cache = new Map<number, StoredConfig>();
  /** Newest version seen so far (0: none yet); probing starts here. */
  #known = 0;

  constructor(store: ObjectStore) {
    this.store = store;
  }

  /** Number of the newest version, 0 when the store holds none. */
  async latestVersion(): Promise<number> {
    let n = this.#known;
    if (n === 0 || (await this.store.head(configVersionKey(n))) === null) n = await this.#listMax();
    if (n === 0) {
      // A listing may lag behind a create on some stores: v1 is a last probe.
      if ((await this.store.head(configVersionKey(1))) === null) return 0;
      n = 1;
    }
    while (n < MAX_VERSION && (await this.store.head(configVersionKey(n + 1))) !== null) n++;
    if (n > this.#known) this.#known = n;
    return n;
  }

  /** The newest version, or null when the store holds none. */
  async latest(): Promise<StoredConfig | null> {
    const n = await this.latestVersion();
    return n === 0 ? null : this.get(n);
  }

  /** One version, or null when it does not exist. Throws FLOE_CONFIG_INVALID if it does not parse. */
  async get(version: number): Promise<StoredConfig | null> {
    if (!Number.isInteger(version) || version < 1 || version > MAX_VERSION) return null;
    const cached = this.#cache.get(version);
    if (cached) return cached;
    const key = configVersionKey(version);
    const bytes = await this.store.get(key);
    if (bytes === null) return null;
    const yaml = Buffer.from(bytes).toString('utf8');
    let config: Config;
    try {
      config = loadConfig(yaml);
    } catch (err) {
      throw new FloeError('FLOE_CONFIG_INVALID', `stored configuration ${this.store.url}/${key} is invalid: ${(err as Error).message}`, { cause: err });
    }
    const stored = { version, config, yaml };
    this.#cache.set(version, stored);
    return stored;
  }

  /** Every stored version, oldest first. */
  async versions(): Promise<ConfigVersionInfo[]> {
    const out: ConfigVersionInfo[] = [];
    for await (const o of this.store.list(CONFIG_PREFIX + 'v')) {
      const m = VERSION_FILE.exec(o.key.slice(CONFIG_PREFIX.length));
      if (m) out.push({ version: Number(m[1]), size: o.size, createdAt: o.lastModified });
    }
    out.sort((a, b) => a.version - b.version);
    return out;
  }

  /**
   * Creates version `version` holding `config`, only if it does not exist yet. Returns the stored
   * version, or null when another writer created it first (nothing was written then).
   */
  async create(version: number, config: Config): Promise<StoredConfig | null> {
    const key = configVersionKey(version);
    const yaml = configToYaml(config);
    // What a reader will parse back, so the cache holds exactly what the store holds.
    const parsed = loadConfig(yaml);
    if (!(await this.store.putIfAbsent(key, Buffer.from(yaml, 'utf8')))) return null;
    const stored = { version, config: parsed, yaml };
    this.#cache.set(version, stored);
    if (version > this.#known) this.#known = version;
    return stored;
  }

  /**
   * Startup: on an empty store the file's configuration becomes v1; otherwise the newest stored
   * version wins and the differences from the file are returned (and logged when `log` is given).
   */
  async bootstrap(fileConfig: Config, log?: Logger): Promise<BootstrapResult> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await this.latest();
      if (current === null) {
        const created = await this.create(1, fileConfig);
        if (created) {
          log?.info('configuration store was empty; the configuration file became version 1', { store: this.store.url, key: configVersionKey(1) });
          return { stored: created, created: true, differences: [] };
        }
        continue; // another agent bootstrapped at the same moment: read what it wrote
      }
      const differences = describeDifferences(current.config, fileConfig);
      if (differences.length > 0) {
        log?.warn('the configuration file differs from the stored configuration; the stored version wins (change it through the control API)', {
          version: current.version,
          differences,
        });
      } else {
        log?.info('running the stored configuration', { version: current.version });
      }
      return { stored: current, created: false, differences };
    }
    throw new FloeError('FLOE_API', `configuration store ${this.store.url}: v1 exists but cannot be read`, { retryable: true });
  }

  async #listMax(): Promise<number> {
    let max = 0;
    for await (const o of this.store.list(CONFIG_PREFIX + 'v')) {
      const m = VERSION_FILE.exec(o.key.slice(CONFIG_PREFIX.length));
      if (m && Number(m[1]) > max) max = Number(m[1]);
    }
    return max;
  }
}

/** Human-readable differences of `file` from `stored`: tables and clusters added, removed, changed. */
export function describeDifferences(stored: Config, file: Config): string[] {
  const out: string[] = [];
  const compare = <T>(what: string, a: Map<string, T>, b: Map<string, T>): void => {
    for (const [name, v] of b) {
      const s = a.get(name);
      if (s === undefined) out.push(`${what} ${name}: only in the file`);
      else if (JSON.stringify(s) !== JSON.stringify(v)) out.push(`${what} ${name}: defined differently in the file`);
    }
    for (const name of a.keys()) if (!b.has(name)) out.push(`${what} ${name}: only in the store`);
  };
  compare('source cluster', new Map(stored.source_clusters.map((c) => [c.name, c])), new Map(file.source_clusters.map((c) => [c.name, c])));
  compare('table', new Map(stored.tables.map((t) => [tableName(t), t])), new Map(file.tables.map((t) => [tableName(t), t])));
  if (stored.destination_bucket_url !== file.destination_bucket_url) {
    out.push(`destination_bucket_url: ${JSON.stringify(file.destination_bucket_url)} in the file, ${JSON.stringify(stored.destination_bucket_url)} in the store`);
  }
  return out;
}
