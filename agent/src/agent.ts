// One agent process: every table of the configuration gets a pipeline (its own consumer-group member
// and its own committer); the HTTP listener serves metrics and health. Agents share nothing but the
// consumer groups and the bucket, so running more of them with the same configuration scales out.
//
// Pipeline lifecycle: starting --(tables open, group joined)--> running --(stop)--> stopped.
// A pipeline that cannot start (broker unreachable, credentials refused) is retried with backoff
// and reported by /readyz and the logs; it never takes the other tables down.

import type { Server } from 'node:http';
import type { Config, TableConfig } from './config/model.ts';
import { tableName } from './config/model.ts';
import { tableSchema as declaredSchema, resolveConnection, parseBucketUrl } from './config/index.ts';
import { createDecoder } from './decode/index.ts';
import { openStoreAt } from './store/index.ts';
import type { ObjectStore } from './store/store.ts';
import { KafkaSource } from './source/kafka.ts';
import { TablePipeline } from './ingest/pipeline.ts';
import { tableSchema, tablePrefix, DLQ_SCHEMA } from './ingest/tables.ts';
import { startMaintenance, type Maintainer } from './maintenance/index.ts';
import { DeltaProjector, deltaOptionsFromEnv } from './delta/index.ts';
import type { IcebergTable } from './iceberg/index.ts';
import { AgentMetrics } from './metrics/metrics.ts';
import { createHttpApp, listen } from './control/server.ts';
import { ConfigStore } from './config/store.ts';
import { createControlApi } from './control/api.ts';
import { startConfigWatcher, type ConfigWatcher } from './control/watcher.ts';
import { createLogger, type Logger } from './log.ts';

export interface AgentOptions {
  config: Config;
  /** HOST:PORT for /metrics, /healthz, /readyz; none when absent. */
  listen?: string;
  env?: NodeJS.ProcessEnv;
  log?: Logger;
  /** Distinguishes agents in logs and Kafka client ids. */
  agentId?: string;
}

interface TableSlot {
  name: string;
  table: TableConfig;
  /** The table's definition and its cluster's, to tell which tables a new configuration changes. */
  fingerprint: string;
  pipeline: TablePipeline | null;
  problem: string | null;
  retry: NodeJS.Timeout | null;
  attempts: number;
  /** Compaction, expiry, orphan cleanup and retention of the table and its DLQ table. */
  maintainers: Maintainer[];
}


export class Agent {
  readonly opts: AgentOptions;
  readonly metrics: AgentMetrics;
  readonly log: Logger;
  readonly agentId: string;
  store!: ObjectStore;
  #slots = new Map<string, TableSlot>();
  #server: Server | null = null;
  #lagTimer: NodeJS.Timeout | null = null;
  #stopped = false;
  #config: Config;
  #applying: Promise<void> = Promise.resolve();
  #watcher: ConfigWatcher | null = null;
  configs!: ConfigStore;
  url: string | null = null;

  constructor(opts: AgentOptions) {
    this.opts = opts;
    this.#config = opts.config;
    this.agentId = opts.agentId ?? `floe-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    this.metrics = new AgentMetrics(opts.env ?? process.env);
    this.log = opts.log ?? createLogger({ agent: this.agentId });
  }

  get config(): Config {
    return this.#config;
  }

  async start(): Promise<void> {
    const env = this.opts.env ?? process.env;
    this.store = openStoreAt(parseBucketUrl(this.#config.destination_bucket_url), env);
    // The bucket holds the configuration: an empty store takes the file as v1, else the store wins.
    this.configs = new ConfigStore(this.store);
    const boot = await this.configs.bootstrap(this.#config, this.log);
    this.#config = boot.stored.config;
    const config = this.#config;
    if (this.opts.listen !== undefined) {
      const control = createControlApi({ configs: this.configs, agent: this, env, log: this.log.child({ component: 'control-api' }), bucketUrl: config.destination_bucket_url });
      const app = createHttpApp(this.metrics, { readinessProblems: () => this.readinessProblems() }, control);
      const { server, url } = await listen(app, this.opts.listen);
      this.#server = server;
      this.url = url;
      this.log.info('listening', { url });
    }
    for (const table of config.tables) {
      const name = tableName(table);
      this.#slots.set(name, { name, table, fingerprint: fingerprint(config, table), pipeline: null, problem: 'starting', retry: null, attempts: 0, maintainers: [] });
    }
    await Promise.all([...this.#slots.values()].map((s) => this.#startSlot(s)));
    this.#lagTimer = setInterval(() => void this.#refreshLag(), 5000);
    this.#watcher = startConfigWatcher(this.configs, (c) => this.applyConfig(c), {
      appliedVersion: boot.stored.version,
      log: this.log.child({ component: 'config-watcher' }),
      env,
    });
    this.log.info('agent started', { tables: [...this.#slots.keys()], store: this.store.url });
  }

  async #startSlot(slot: TableSlot): Promise<void> {
    if (this.#stopped || this.#slots.get(slot.name) !== slot) return;
    if (slot.maintainers.length === 0) this.#startMaintainers(slot);
    slot.attempts++;
    let pipeline: TablePipeline | null = null;
    try {
      pipeline = this.#buildPipeline(slot.table);
      slot.pipeline = pipeline;
      await pipeline.start();
      slot.problem = null;
      slot.attempts = 0;
    } catch (err) {
      slot.pipeline = null;
      await pipeline?.stop({ abandon: true }).catch(() => {});
      if (this.#stopped || this.#slots.get(slot.name) !== slot) return;
      slot.problem = (err as Error).message;
      const delay = Math.min(30_000, 1000 * 2 ** Math.min(slot.attempts - 1, 5));
      this.log.error('table pipeline failed to start; retrying', { table: slot.name, error: err, retryInMs: delay });
      slot.retry = setTimeout(() => void this.#startSlot(slot), delay);
    }
  }

  /**
   * Moves to a new configuration: tables that are new start ingesting, removed ones stop (their
   * data stays in the bucket, as the seed promises), changed ones (schema, flush policy, cluster
   * settings) restart — a changed schema is committed as a new Iceberg schema on the way.
   * Calls are serialized; the bucket cannot change under a running agent.
   */
  applyConfig(config: Config): Promise<void> {
    const run = this.#applying.then(() => this.#apply(config));
    this.#applying = run.catch(() => {});
    return run;
  }

  async #apply(config: Config): Promise<void> {
    if (this.#stopped) return;
    if (config.destination_bucket_url !== this.#config.destination_bucket_url) {
      throw new Error(
        `destination_bucket_url cannot change under a running agent (${this.#config.destination_bucket_url} -> ${config.destination_bucket_url})`,
      );
    }
    this.#config = config;
    const wanted = new Map(config.tables.map((t) => [tableName(t), t] as const));
    const stops: Promise<void>[] = [];
    const starts: TableSlot[] = [];
    for (const [name, slot] of this.#slots) {
      const next = wanted.get(name);
      if (next && fingerprint(config, next) === slot.fingerprint) continue;
      this.#slots.delete(name);
      if (slot.retry) clearTimeout(slot.retry);
      slot.retry = null;
      stops.push(this.#stopSlot(slot).catch((err) => this.log.warn('stopping table failed', { table: name, error: err })));
      this.log.info(next ? 'table changed; restarting it' : 'table removed from the configuration; ingestion stops, data stays', { table: name });
    }
    await Promise.all(stops);
    for (const [name, table] of wanted) {
      if (this.#slots.has(name)) continue;
      const slot: TableSlot = { name, table, fingerprint: fingerprint(config, table), pipeline: null, problem: 'starting', retry: null, attempts: 0, maintainers: [] };
      this.#slots.set(name, slot);
      starts.push(slot);
    }
    await Promise.all(starts.map((s) => this.#startSlot(s)));
    this.log.info('configuration applied', { tables: [...this.#slots.keys()] });
  }

  // Maintenance needs only the bucket, not a running pipeline: it holds a lease per table, so one
  // agent at a time maintains a table however many agents ingest into it.
  #startMaintainers(slot: TableSlot): void {
    const { table, name } = slot;
    const env = this.opts.env ?? process.env;
    const common = { store: this.store, registry: this.metrics.registry, agentId: this.agentId, env };
    // Maintenance commits (compaction, retention, expiry) reach the Delta log through the same projector.
    const deltaSync = (prefix: string) => {
      if (!table.delta.enabled) return undefined;
      const projector = new DeltaProjector(this.store, prefix, { ...deltaOptionsFromEnv(env), logger: this.log.child({ table: name }) });
      return async (t: IcebergTable) => void (await projector.sync(t));
    };
    slot.maintainers = [
      startMaintenance({
        ...common,
        tablePrefix: tablePrefix(name),
        tableName: name,
        schema: tableSchema(declaredSchema(table)),
        partitioning: table.partitioning_scheme,
        settings: table.maintenance,
        log: this.log.child({ table: name }),
        syncDelta: deltaSync(tablePrefix(name)),
      }),
    ];
    if (table.dlq.enabled) {
      // The DLQ table has no _kafka_timestamp column: retention does not apply to it.
      const { retention_seconds: _retention, ...dlqSettings } = table.maintenance;
      slot.maintainers.push(
        startMaintenance({
          ...common,
          tablePrefix: tablePrefix(`${name}+dlq`),
          tableName: `${name}+dlq`,
          schema: DLQ_SCHEMA,
          partitioning: 'unpartitioned',
          settings: dlqSettings,
          log: this.log.child({ table: `${name}+dlq` }),
          syncDelta: deltaSync(tablePrefix(`${name}+dlq`)),
        }),
      );
    }
  }

  async #stopSlot(slot: TableSlot): Promise<void> {
    await Promise.all([slot.pipeline?.stop(), ...slot.maintainers.map((m) => m.stop())]);
    slot.maintainers = [];
  }

  #buildPipeline(table: TableConfig): TablePipeline {
    const config = this.#config;
    const env = this.opts.env ?? process.env;
    const name = tableName(table);
    const cluster = config.source_clusters.find((c) => c.name === table.source_cluster_name);
    if (!cluster) throw new Error(`table ${name}: source cluster ${table.source_cluster_name} is not defined`);
    const declared = declaredSchema(table);
    // Compiled here once so that a schema the decoder cannot handle fails the table now, not in a worker.
    createDecoder(table.source_format, declared);
    // The table's recorded offsets decide where reading starts (ingest/pipeline.ts). The DLQ table
    // commits before the table, so the table's offsets are a safe start for both.
    const source = new KafkaSource({
      connection: resolveConnection(cluster, env),
      topic: table.source_topic,
      groupId: `floe.${name}`,
      clientId: `${this.agentId}.${name}`,
      log: this.log.child({ table: name }),
    });
    const pipeline = new TablePipeline({
      tableName: name,
      topic: table.source_topic,
      schema: tableSchema(declared),
      declared,
      format: table.source_format,
      partitioning: table.partitioning_scheme,
      store: this.store,
      tablePrefix: tablePrefix(name),
      dlqPrefix: table.dlq.enabled ? tablePrefix(`${name}+dlq`) : null,
      delta: table.delta.enabled,
      source,
      flush: {
        maxBytes: table.flush.max_bytes,
        maxRecords: table.flush.max_records,
        intervalMs: table.flush.interval_seconds * 1000,
      },
      metrics: this.metrics,
      log: this.log.child({ table: name }),
    });
    return pipeline;
  }

  async #refreshLag(): Promise<void> {
    for (const s of this.#slots.values()) {
      await s.pipeline?.refreshOffsetLag().catch(() => {});
    }
  }

  readinessProblems(): string[] {
    const out: string[] = [];
    for (const s of this.#slots.values()) {
      if (s.problem) out.push(`${s.name}: ${s.problem}`);
      else if (s.pipeline && !s.pipeline.ready) out.push(`${s.name}: ${s.pipeline.lastError?.message ?? 'not running'}`);
    }
    return out;
  }

  pipeline(name: string): TablePipeline | null {
    return this.#slots.get(name)?.pipeline ?? null;
  }

  /** Flushes and commits what is buffered, leaves the consumer groups, closes the listener. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#watcher?.stop();
    if (this.#lagTimer) clearInterval(this.#lagTimer);
    await Promise.all(
      [...this.#slots.values()].map(async (s) => {
        if (s.retry) clearTimeout(s.retry);
        await this.#stopSlot(s);
      }),
    );
    if (this.#server) await new Promise<void>((r) => this.#server!.close(() => r()));
    this.log.info('agent stopped');
  }
}

function fingerprint(config: Config, table: TableConfig): string {
  const cluster = config.source_clusters.find((c) => c.name === table.source_cluster_name);
  return JSON.stringify({ table, cluster });
}
