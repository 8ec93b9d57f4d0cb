// The Kafka side of the agent: one consumer-group member per table.
//
// The table decides where reading starts, not the consumer group: every fetch loop starts at the
// offsets the table records, and at the earliest retained offset for a partition the table has
// never seen (a new or re-created table reads its topic from the beginning). The group only spreads
// partitions over the agents; its offsets are committed after each table commit, for lag monitoring.
// The ingest loop still drops any record below the table's offsets, and a commit that overlaps
// another agent's is refused, after which reading restarts from the table's fresh offsets.
// Records are fetched by fetch.ts, which leaves their parsing to the ingest workers.

import { Consumer } from '@platformatic/kafka';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { FloeError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { RawFetcher } from './fetch.ts';

/** Everything needed to reach one source cluster, with secrets already resolved. */
export interface ClusterConnection {
  /** `host:port` strings. */
  brokers: string[];
  tls?: {
    /** Verify the broker's certificate chain and host name (seed: `!tls_insecure_skip_verify`). */
    verify: boolean;
    /** PEM text of the CA bundle; the host's roots when absent. */
    ca?: string;
    /** PEM client certificate and key for mTLS. */
    cert?: string;
    key?: string;
  };
  sasl?: { mechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512'; username: string; password: string };
}

export interface SourceRecord {
  partition: number;
  offset: bigint;
  /** Record timestamp, milliseconds since the epoch. */
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
}

export interface KafkaSourceOptions {
  connection: ClusterConnection;
  topic: string;
  groupId: string;
  clientId: string;
  /** Longest the broker holds a fetch that has no data yet. @default 500 */
  maxWaitTimeMs?: number;
  log?: Logger;
}

export function kafkaClientOptions(conn: ClusterConnection, clientId: string) {
  let tls: TlsOptions | undefined;
  if (conn.tls) {
    tls = { rejectUnauthorized: conn.tls.verify };
    if (conn.tls.ca) tls.ca = conn.tls.ca;
    if (conn.tls.cert) tls.cert = conn.tls.cert;
    if (conn.tls.key) tls.key = conn.tls.key;
  }
  return {
    clientId,
    bootstrapBrokers: conn.brokers,
    ...(tls ? { tls } : {}),
    ...(conn.sasl ? { sasl: { mechanism: conn.sasl.mechanism, username: conn.sasl.username, password: conn.sasl.password } } : {}),
    // Fail fast on a broker that does not answer or refuses our credentials instead of hanging.
    timeout: 15_000,
    retries: 3,
    retryDelay: 500,
  };
}

/** Turns a client error into one that says what failed and where, without any secret. */
export function describeKafkaError(err: unknown, conn: ClusterConnection, what: string): FloeError {
  const e = err as { message?: string; code?: string; errors?: unknown[] };
  const inner = collectMessages(err).join('; ');
  const auth = /auth|sasl|scram|credential|password/i.test(inner);
  const where = `${conn.brokers.join(',')}${conn.sasl ? ` as ${conn.sasl.username} (${conn.sasl.mechanism})` : ''}${conn.tls ? ' over TLS' : ''}`;
  return new FloeError(auth ? 'FLOE_SOURCE_AUTH' : 'FLOE_SOURCE_CONNECT', `${what} failed for ${where}: ${inner || e.message || String(err)}`, {
    cause: err,
    retryable: !auth,
  });
}

function collectMessages(err: unknown, out: string[] = [], depth = 0): string[] {
  if (!err || depth > 4) return out;
  const e = err as { message?: string; errors?: unknown[]; cause?: unknown };
  if (e.message && !out.includes(e.message)) out.push(e.message);
  if (Array.isArray(e.errors)) for (const x of e.errors) collectMessages(x, out, depth + 1);
  if (e.cause) collectMessages(e.cause, out, depth + 1);
  return out;
}

/**
 * A consumer-group member for one topic: membership, assignments, start offsets and group-offset
 * commits through @platformatic/kafka; the records themselves come through `fetcher` (fetch.ts),
 * which leaves their parsing to the ingest workers.
 */
export class KafkaSource {
  readonly options: KafkaSourceOptions;
  #consumer: Consumer | null = null;
  #fetcher: RawFetcher | null = null;
  #closed = false;
  #onAssignment: (() => void) | null = null;

  constructor(options: KafkaSourceOptions) {
    this.options = options;
  }

  /** Joins the group; `onAssignment` runs after every later (re)join, when partitions may have moved. */
  async open(onAssignment?: () => void): Promise<void> {
    const { connection, groupId, clientId, topic } = this.options;
    const consumer = new Consumer({
      ...kafkaClientOptions(connection, clientId),
      groupId,
      autocommit: false,
      sessionTimeout: sessionTimeoutMs(),
      rebalanceTimeout: 30_000,
      heartbeatInterval: 2_000,
    });
    this.#consumer = consumer;
    this.#onAssignment = onAssignment ?? null;
    this.#fetcher = new RawFetcher(consumer, {
      connection,
      clientId,
      topic,
      ...(this.options.maxWaitTimeMs !== undefined ? { maxWaitMs: this.options.maxWaitTimeMs } : {}),
      ...(this.options.log ? { log: this.options.log } : {}),
    });
    try {
      consumer.topics.track(topic);
      await consumer.joinGroup({});
    } catch (err) {
      throw describeKafkaError(err, connection, `joining consumer group ${groupId} for topic ${topic}`);
    }
    consumer.on('consumer:group:join', () => this.#onAssignment?.());
  }

  get fetcher(): RawFetcher {
    if (!this.#fetcher) throw new Error(`the source of topic ${this.options.topic} is not open`);
    return this.#fetcher;
  }

  /** Ends the running fetch loop, if any (it returns after its request in flight). */
  stopFetching(): void {
    this.#fetcher?.stop();
  }

  /** Partitions currently assigned to this member. */
  assignedPartitions(): number[] {
    const a = this.#consumer?.assignments ?? [];
    return a.filter((x) => x.topic === this.options.topic).flatMap((x) => x.partitions);
  }

  /**
   * Where to read each assigned partition from: `known` (the table's next offset, or the position
   * in memory) when Kafka still holds it, else the earliest retained offset.
   */
  async startPositions(known: (partition: number) => bigint | undefined): Promise<Map<number, number>> {
    const consumer = this.#consumer;
    const out = new Map<number, number>();
    if (!consumer) return out;
    const assigned = this.assignedPartitions();
    if (assigned.length === 0) return out;
    const { topic } = this.options;
    let earliest: bigint[];
    try {
      earliest = (await consumer.listOffsets({ topics: [topic], timestamp: -2n } as never)).get(topic) ?? [];
    } catch (err) {
      throw describeKafkaError(err, this.options.connection, `listing the earliest offsets of topic ${topic}`);
    }
    for (const p of assigned) {
      const first = earliest[p] ?? 0n;
      const k = known(p);
      // Below the earliest retained offset the records are gone from Kafka: start at what exists.
      out.set(p, Number(k !== undefined && k > first ? k : first));
    }
    return out;
  }

  /** Group offsets, for lag monitoring only. Failures (e.g. mid-rebalance) are reported, not thrown. */
  async commitGroupOffsets(next: Map<number, bigint>): Promise<boolean> {
    const assigned = new Set(this.assignedPartitions());
    const offsets = [...next].filter(([p]) => assigned.has(p));
    if (!this.#consumer || offsets.length === 0) return true;
    try {
      await this.#consumer.commit({
        offsets: offsets.map(([partition, offset]) => ({ topic: this.options.topic, partition, offset, leaderEpoch: -1 })),
      });
      return true;
    } catch {
      return false;
    }
  }

  /** High watermarks of every partition of the topic. */
  async endOffsets(): Promise<Map<number, bigint>> {
    const out = new Map<number, bigint>();
    if (!this.#consumer) return out;
    const offsets = await this.#consumer.listOffsets({ topics: [this.options.topic], timestamp: -1n } as never);
    const list = offsets.get(this.options.topic) ?? [];
    list.forEach((o, partition) => out.set(partition, o));
    return out;
  }

  get closed(): boolean {
    return this.#closed;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#onAssignment = null;
    const f = this.#fetcher;
    this.#fetcher = null;
    if (f) await f.close().catch(() => {});
    if (this.#consumer) await this.#consumer.close(true).catch(() => {});
    this.#consumer = null;
  }
}

/** The consumer group session timeout when FLOE_KAFKA_SESSION_TIMEOUT_MS is not set. */
export const DEFAULT_SESSION_TIMEOUT_MS = 20_000;

/**
 * `FLOE_KAFKA_SESSION_TIMEOUT_MS`: how long the group waits for an agent that stopped heartbeating
 * (one that was killed) before its partitions go to the others; 6,000 to 1,800,000 (the broker's
 * default bounds, group.min/max.session.timeout.ms). The message when it is not that.
 */
export function sessionTimeoutProblem(env: NodeJS.ProcessEnv): string | null {
  const raw = env.FLOE_KAFKA_SESSION_TIMEOUT_MS;
  if (raw === undefined || raw === '') return null;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 6000 || n > 1_800_000) return `FLOE_KAFKA_SESSION_TIMEOUT_MS must be a whole number of milliseconds from 6000 to 1800000, got ${JSON.stringify(raw)}`;
  return null;
}

function sessionTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.FLOE_KAFKA_SESSION_TIMEOUT_MS;
  return raw === undefined || raw === '' || sessionTimeoutProblem(env) !== null ? DEFAULT_SESSION_TIMEOUT_MS : Number(raw);
}
