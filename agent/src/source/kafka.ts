// The Kafka side of the agent: one consumer-group member per table, reading raw records.
//
// The table decides where reading starts, not the consumer group: every stream starts at the offsets
// the table records (`startOffsets`), and at the earliest retained offset for a partition the table
// has never seen (a new or re-created table reads its topic from the beginning). Group offsets are
// committed after each table commit, for lag monitoring only. The ingest loop still drops any
// record below the table's offsets, and a commit that overlaps another agent's is refused, after
// which the stream restarts from the table's fresh offsets.

import { Consumer, MessagesStreamModes, MessagesStreamFallbackModes, type MessagesStream } from '@platformatic/kafka';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { FloeError } from '../errors.ts';

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
  /** Next offset per partition as recorded by the table; read again at every (re)start. */
  startOffsets: () => Map<number, bigint>;
  groupId: string;
  clientId: string;
  /** Upper bound on records the client buffers ahead of the loop. */
  highWaterMark?: number;
  maxWaitTimeMs?: number;
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
 * A consumer-group member for one topic. `records()` yields until `close()`; `restart()` drops the
 * current stream and starts again from the group's committed offsets (used after a lost commit race,
 * when the batch in memory was discarded and must be read again).
 */
export class KafkaSource {
  readonly options: KafkaSourceOptions;
  #consumer: Consumer | null = null;
  #stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | null = null;
  #closed = false;

  constructor(options: KafkaSourceOptions) {
    this.options = options;
  }

  async open(): Promise<void> {
    const { connection, groupId, clientId } = this.options;
    this.#consumer = new Consumer({
      ...kafkaClientOptions(connection, clientId),
      groupId,
      autocommit: false,
      sessionTimeout: 20_000,
      rebalanceTimeout: 30_000,
      heartbeatInterval: 2_000,
      maxWaitTime: this.options.maxWaitTimeMs ?? 500,
      highWaterMark: this.options.highWaterMark ?? 2048,
    });
    await this.#startStream();
  }

  async #startStream(): Promise<void> {
    const consumer = this.#consumer!;
    const { topic } = this.options;
    try {
      const earliest = (await consumer.listOffsets({ topics: [topic], timestamp: -2n } as never)).get(topic) ?? [];
      const recorded = this.options.startOffsets();
      const offsets = earliest.map((first, partition) => {
        const t = recorded.get(partition);
        // Below the earliest retained offset the records are gone from Kafka: start at what exists.
        return { topic, partition, offset: t !== undefined && t > first ? t : first };
      });
      this.#stream = await consumer.consume({
        topics: [topic],
        mode: MessagesStreamModes.MANUAL,
        offsets,
        fallbackMode: MessagesStreamFallbackModes.EARLIEST,
        autocommit: false,
      });
    } catch (err) {
      throw describeKafkaError(err, this.options.connection, `joining consumer group ${this.options.groupId} for topic ${this.options.topic}`);
    }
  }

  /** Records in arrival order. Ends when the source is closed or restarted. */
  async *records(): AsyncGenerator<SourceRecord> {
    const stream = this.#stream;
    if (!stream) return;
    for await (const m of stream) {
      yield {
        partition: m.partition,
        offset: m.offset,
        timestamp: m.timestamp,
        key: m.key && m.key.length > 0 ? m.key : m.key ?? null,
        value: m.value ?? null,
      };
    }
  }

  /** Partitions currently assigned to this member. */
  assignedPartitions(): number[] {
    const a = this.#consumer?.assignments ?? [];
    return a.filter((x) => x.topic === this.options.topic).flatMap((x) => x.partitions);
  }

  /** Group offsets, for lag monitoring only. Failures (e.g. mid-rebalance) are reported, not thrown. */
  async commitGroupOffsets(next: Map<number, bigint>): Promise<boolean> {
    if (!this.#consumer || next.size === 0) return true;
    try {
      await this.#consumer.commit({
        offsets: [...next].map(([partition, offset]) => ({ topic: this.options.topic, partition, offset, leaderEpoch: -1 })),
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

  async restart(): Promise<void> {
    if (this.#closed) return;
    const old = this.#stream;
    this.#stream = null;
    if (old) await old.close().catch(() => {});
    await this.#startStream();
  }

  async close(): Promise<void> {
    this.#closed = true;
    const s = this.#stream;
    this.#stream = null;
    if (s) await s.close().catch(() => {});
    if (this.#consumer) await this.#consumer.close(true).catch(() => {});
    this.#consumer = null;
  }
}
