// The fetch loop: Kafka Fetch requests whose record bytes are never parsed on this thread.
//
// @platformatic/kafka keeps the consumer group (join, heartbeats, assignments, offset commits) and
// the connections (TLS, SASL); this module sends Fetch v11 on its own connection pool and reads the
// response only down to each partition's `records` field. Those bytes are copied once into a
// SharedArrayBuffer and handed out as chunks of complete record batches; the ingest workers parse
// the records (source/records.ts). Per chunk, this thread walks only the 61-byte batch headers.
// The socket reads a response was copied from count towards this thread's young-generation
// collections (scavenge.ts), which free them before they add up to a full collection.
//
// Fetch v11 (KIP-320 leader epochs, KIP-392 rack, no flexible fields) is served by every Kafka
// broker since 2.3 and by Kafka 4, and by the Kafka-compatible brokers. Fetch sessions are not used
// (session epoch -1: every request is a full fetch), so a restart is just a new loop.
//
// Per-partition errors:
// - OFFSET_OUT_OF_RANGE: the position is below the log start (retention deleted the records) or
//   past the end (the topic was re-created): reading resumes at the log start offset (ListOffsets
//   earliest), as the consumer's `auto.offset.reset=earliest` would, and a warning says so.
// - leadership and metadata errors: the metadata is refreshed and the partition fetched again.
// - anything else is an error of the loop, reported to the owner, which restarts it.

import { ConnectionPool, Writer, type Consumer } from '@platformatic/kafka';
import { FloeError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { kafkaClientOptions, describeKafkaError, type ClusterConnection } from './kafka.ts';
import { scanBatches, type AbortedTransaction, type BatchScan } from './records.ts';
import { fetched } from './scavenge.ts';

export interface FetchChunk {
  partition: number;
  /**
   * Complete record batches of the partition, a view into a SharedArrayBuffer that is valid during
   * the `deliver` call only, unless the receiver holds its `lease` (the buffer is reused after).
   */
  bytes: Uint8Array;
  lease: Lease;
  /** Records below this offset are already taken (the broker returns whole batches). */
  from: number;
  scan: BatchScan;
  aborted: AbortedTransaction[] | null;
}

export interface FetcherOptions {
  connection: ClusterConnection;
  clientId: string;
  topic: string;
  /** Longest the broker holds a fetch with no data. @default 500 */
  maxWaitMs?: number;
  /** Per-response cap. @default 16 MiB */
  maxBytes?: number;
  /** Per-partition cap (a larger single batch still comes whole). @default 2 MiB */
  partitionMaxBytes?: number;
  /** READ_COMMITTED (1) skips aborted transactions, as the Java consumer's default. @default 1 */
  isolationLevel?: 0 | 1;
  log?: Logger;
}

/**
 * A fetch response's shared buffer, lent out with its chunks. The fetcher holds it while it
 * delivers them; a receiver that keeps a chunk's bytes (to hand them to an ingest worker) calls
 * retain(), and release() once done. When the last holder releases it, the buffer goes back to the
 * pool for a later response: a fresh 16 MiB SharedArrayBuffer per response cost ~0.4-2.5
 * CPU-seconds per GiB, nearly all of it the kernel's page faults. A lease never released (a worker
 * that died with chunks in hand) only keeps its buffer out of the pool.
 */
export class Lease {
  readonly buffer: SharedArrayBuffer;
  #refs = 1;
  #pool: BufferPool | null;

  constructor(buffer: SharedArrayBuffer, pool: BufferPool | null) {
    this.buffer = buffer;
    this.#pool = pool;
  }

  retain(): void {
    if (this.#refs <= 0) throw new Error('a released fetch buffer was retained');
    this.#refs++;
  }

  release(): void {
    if (this.#refs <= 0) throw new Error('a fetch buffer was released more often than retained');
    if (--this.#refs === 0 && this.#pool) {
      this.#pool.put(this.buffer);
      this.#pool = null;
    }
  }
}

/** Idle response buffers of one size; a response larger than that gets a buffer of its own. */
export class BufferPool {
  readonly size: number;
  readonly keep: number;
  #free: SharedArrayBuffer[] = [];

  constructor(size: number, keep = 3) {
    this.size = size;
    this.keep = keep;
  }

  /** A lease on a buffer of at least `n` bytes. */
  take(n: number): Lease {
    if (n > this.size) return new Lease(new SharedArrayBuffer(n), null);
    return new Lease(this.#free.pop() ?? new SharedArrayBuffer(this.size), this);
  }

  put(buffer: SharedArrayBuffer): void {
    if (this.#free.length < this.keep) this.#free.push(buffer);
  }

  get idle(): number {
    return this.#free.length;
  }
}

const RETRIABLE_PARTITION_ERRORS = new Set([3, 5, 6, 9, 56, 74, 75]); // unknown partition, leader moves, storage, epochs
const OFFSET_OUT_OF_RANGE = 1;
const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;

interface PartitionResult {
  partition: number;
  errorCode: number;
  highWatermark: bigint;
  lastStableOffset: bigint;
  aborted: AbortedTransaction[] | null;
  records: Uint8Array | null;
}

interface FetchResponse {
  errorCode: number;
  throttleMs: number;
  partitions: PartitionResult[];
  /** The buffer the partitions' records are in. */
  lease: Lease;
  /** The response's size: the bytes of socket reads it was copied from. */
  bytes: number;
}

/**
 * One fetch loop at a time per topic: `run(positions, deliver, gate)` fetches from the given next
 * offsets until `stop()` or an error; `deliver` gets every chunk in offset order per partition and
 * `gate` is awaited before each request (backpressure).
 */
export class RawFetcher {
  readonly options: FetcherOptions;
  readonly consumer: Consumer;
  #pool: ConnectionPool;
  readonly buffers: BufferPool;
  #generation = 0;
  #closed = false;

  constructor(consumer: Consumer, options: FetcherOptions) {
    this.consumer = consumer;
    this.options = options;
    const base = kafkaClientOptions(options.connection, options.clientId);
    this.#pool = new ConnectionPool(`${options.clientId}.fetch`, {
      ...(base.tls ? { tls: base.tls } : {}),
      ...(base.sasl ? { sasl: base.sasl } : {}),
      connectTimeout: 15_000,
      requestTimeout: 30_000 + (options.maxWaitMs ?? 500),
    } as never);
    // Room for maxBytes of records plus the response's headers; KIP-74 may add one larger batch.
    this.buffers = new BufferPool((options.maxBytes ?? DEFAULT_MAX_BYTES) + 1024 * 1024);
  }

  /** Ends the running loop (it returns after its request in flight). */
  stop(): void {
    this.#generation++;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.stop();
    await new Promise<void>((resolve) => this.#pool.close(() => resolve()));
  }

  /**
   * Runs until `stop()`; rejects on an error that a retry does not fix. After each round of
   * requests, `onRound` hears how many records it brought, whether every partition fetched is now
   * at the end a consumer may read to, and whether, besides, no partition's end moved since the
   * round before (`settled`: nothing was written meanwhile). The pipeline's idle flush uses them.
   */
  async run(
    positions: Map<number, number>,
    deliver: (chunk: FetchChunk) => void,
    gate: () => Promise<void>,
    onRound: (delivered: number, caughtUp: boolean, settled: boolean) => void = () => {},
  ): Promise<void> {
    const generation = ++this.#generation;
    const live = () => generation === this.#generation && !this.#closed;
    const { topic } = this.options;
    let refresh = false;
    let failures = 0;
    let round = 0;
    /** Each partition's end (high watermark, or last stable offset) as the round before saw it. */
    const ends = new Map<number, bigint>();
    while (live()) {
      await gate();
      if (!live() || positions.size === 0) {
        if (positions.size === 0) await sleep(200);
        continue;
      }
      let metadata: { brokers: Map<number, { host: string; port: number }>; topics: Map<string, { partitions: { leader: number }[] }> };
      try {
        metadata = (await this.consumer.metadata({ topics: [topic], forceUpdate: refresh } as never)) as never;
      } catch (err) {
        if (++failures >= 10) throw describeKafkaError(err, this.options.connection, `reading metadata of topic ${topic}`);
        await sleep(Math.min(5000, 100 * 2 ** failures));
        refresh = true;
        continue;
      }
      refresh = false;
      const byLeader = new Map<number, number[]>();
      const partitions = metadata.topics.get(topic)?.partitions ?? [];
      // The partition order rotates between requests. KIP-74 promises a record batch larger than the
      // per-partition limit whole only for the first partition of a request; Kafka 3.9 returns one
      // for every partition (tried: 64-byte limit, ~200-byte batches, 3 partitions, no starvation),
      // but a broker that keeps to the letter would starve the others without the rotation.
      const keys = [...positions.keys()];
      const turn = round++ % keys.length;
      for (const p of [...keys.slice(turn), ...keys.slice(0, turn)]) {
        const leader = partitions[p]?.leader ?? -1;
        if (leader < 0 || !metadata.brokers.has(leader)) {
          refresh = true;
          continue;
        }
        let list = byLeader.get(leader);
        if (!list) byLeader.set(leader, (list = []));
        list.push(p);
      }
      let responses: FetchResponse[];
      try {
        responses = await Promise.all([...byLeader].map(([broker, list]) => this.#fetch(metadata.brokers.get(broker)!, list.map((p) => [p, positions.get(p)!] as const))));
        failures = 0;
      } catch (err) {
        if (!live()) return;
        if (err instanceof FloeError && !err.retryable) throw err;
        if (++failures >= 10) throw describeKafkaError(err, this.options.connection, `fetching from topic ${topic}`);
        this.options.log?.warn('fetch failed; retrying', { topic, attempt: failures, error: err });
        refresh = true;
        await sleep(Math.min(5000, 100 * 2 ** failures));
        continue;
      }
      if (!live()) return;
      let throttle = 0;
      const outOfRange: number[] = [];
      let delivered = 0;
      try {
        for (const response of responses) delivered += this.#deliverResponse(response, positions, deliver, outOfRange, () => (refresh = true));
        for (const response of responses) throttle = Math.max(throttle, response.throttleMs);
      } finally {
        for (const response of responses) {
          response.lease.release();
          fetched(response.bytes);
        }
      }
      // Caught up: every partition is at the end a consumer may read to (READ_COMMITTED: the last
      // stable offset; an open transaction keeps it below the high watermark).
      const committedOnly = (this.options.isolationLevel ?? 1) === 1;
      const caughtUp =
        !refresh &&
        outOfRange.length === 0 &&
        responses.every((r) =>
          r.partitions.every((x) => !positions.has(x.partition) || (x.errorCode === 0 && positions.get(x.partition)! >= Number(committedOnly ? x.lastStableOffset : x.highWatermark))),
        );
      let settled = caughtUp;
      for (const r of responses) {
        for (const x of r.partitions) {
          if (!positions.has(x.partition)) continue;
          const end = committedOnly ? x.lastStableOffset : x.highWatermark;
          if (ends.get(x.partition) !== end) settled = false;
          ends.set(x.partition, end);
        }
      }
      onRound(delivered, caughtUp, settled);
      if (outOfRange.length > 0) await this.#resumeAtLogStart(positions, outOfRange);
      if (refresh) await sleep(200);
      if (throttle > 0) await sleep(Math.min(throttle, 10_000));
    }
  }

  // One response's partitions: errors sorted out, chunks delivered in offset order; returns how many.
  #deliverResponse(response: FetchResponse, positions: Map<number, number>, deliver: (chunk: FetchChunk) => void, outOfRange: number[], refresh: () => void): number {
    const { topic } = this.options;
    let delivered = 0;
    if (response.errorCode !== 0) throw new FloeError('FLOE_SOURCE_CONNECT', `fetch from topic ${topic} failed with Kafka error code ${response.errorCode}`, { retryable: true });
    for (const r of response.partitions) {
      if (!positions.has(r.partition)) continue;
      if (r.errorCode === OFFSET_OUT_OF_RANGE) {
        outOfRange.push(r.partition);
        continue;
      }
      if (RETRIABLE_PARTITION_ERRORS.has(r.errorCode)) {
        refresh();
        continue;
      }
      if (r.errorCode !== 0) {
        throw new FloeError('FLOE_SOURCE_CONNECT', `fetch of ${topic}[${r.partition}] failed with Kafka error code ${r.errorCode}`, { retryable: true });
      }
      if (!r.records || r.records.byteLength === 0) continue;
      const from = positions.get(r.partition)!;
      const scan = scanBatches(r.records, `in ${topic}[${r.partition}]`);
      if (scan.batches === 0) continue;
      positions.set(r.partition, scan.nextOffset);
      deliver({ partition: r.partition, bytes: r.records.subarray(0, scan.bytes), lease: response.lease, from, scan, aborted: r.aborted });
      delivered++;
    }
    return delivered;
  }

  // The broker answers OFFSET_OUT_OF_RANGE with -1 for the log start, so it is asked for separately.
  async #resumeAtLogStart(positions: Map<number, number>, partitions: number[]): Promise<void> {
    const { topic } = this.options;
    let earliest: bigint[];
    try {
      earliest = (await this.consumer.listOffsets({ topics: [topic], timestamp: -2n } as never)).get(topic) ?? [];
    } catch (err) {
      this.options.log?.warn('listing the log start offsets failed; retrying', { topic, error: err });
      await sleep(500);
      return;
    }
    for (const p of partitions) {
      const start = earliest[p];
      if (start === undefined) continue;
      this.options.log?.warn('fetch position is outside the retained log; resuming at the log start', {
        topic,
        partition: p,
        position: positions.get(p),
        logStartOffset: Number(start),
      });
      positions.set(p, Number(start));
    }
  }

  #fetch(broker: { host: string; port: number }, partitions: (readonly [number, number])[]): Promise<FetchResponse> {
    const o = this.options;
    return new Promise((resolve, reject) => {
      this.#pool.get(broker as never, ((error: Error | null, connection?: { send: (...args: unknown[]) => void }) => {
        if (error || !connection) return reject(error ?? new Error('no connection'));
        connection.send(
          1, // Fetch
          11,
          () =>
            Writer.create()
              .appendInt32(-1) // replica_id: a consumer
              .appendInt32(o.maxWaitMs ?? 500)
              .appendInt32(1) // min_bytes
              .appendInt32(o.maxBytes ?? DEFAULT_MAX_BYTES)
              .appendInt8(o.isolationLevel ?? 1)
              .appendInt32(0) // session_id
              .appendInt32(-1) // session_epoch: no fetch session
              .appendArray(
                [o.topic],
                (w: Writer, topic: string) =>
                  w.appendString(topic, false).appendArray(
                    partitions,
                    (pw: Writer, [p, offset]: readonly [number, number]) =>
                      pw
                        .appendInt32(p)
                        .appendInt32(-1) // current_leader_epoch: not checked
                        .appendInt64(BigInt(offset))
                        .appendInt64(-1n) // log_start_offset: consumers send -1
                        .appendInt32(o.partitionMaxBytes ?? 2 * 1024 * 1024),
                    false,
                    false,
                  ),
                false,
                false,
              )
              .appendArray([], () => {}, false, false) // forgotten_topics_data
              .appendString('', false), // rack_id
          (_correlationId: number, _apiKey: number, _apiVersion: number, reader: { buffer: { length: number; buffers: Uint8Array[] } }) => parseFetchV11(reader.buffer, this.buffers),
          false,
          false,
          (err: Error | null, response: FetchResponse) => (err ? reject(err) : resolve(response)),
        );
      }) as never);
    });
  }
}

/** Scratch for copyIntoShared: a piece of a chunk, at the alignment of its place in the shared buffer. */
const scratch = new Uint8Array(64 * 1024 + 8);

/**
 * Copies `chunks` one after the other into `dst`, a view of a SharedArrayBuffer; returns the bytes
 * copied. V8 copies into shared memory with relaxed atomic stores: 8 bytes at a time where source
 * and destination addresses agree modulo 8, byte by byte where they do not (256 against 75 ms per
 * GiB, micro-benchmark in BENCHMARKS.md), and a socket read's bytes land at any offset of the
 * response. A chunk that disagrees is first copied into plain memory at the destination's alignment
 * (an ordinary memcpy), 64 KiB at a time, and from there into `dst`.
 */
export function copyIntoShared(dst: Uint8Array, chunks: readonly Uint8Array[]): number {
  let at = 0;
  for (const b of chunks) {
    if (((dst.byteOffset + at - b.byteOffset) & 7) === 0) {
      dst.set(b, at);
      at += b.byteLength;
      continue;
    }
    for (let from = 0; from < b.byteLength; ) {
      const n = Math.min(b.byteLength - from, scratch.byteLength - 8);
      const shift = (dst.byteOffset + at) & 7;
      scratch.set(b.subarray(from, from + n), shift);
      dst.set(scratch.subarray(shift, shift + n), at);
      from += n;
      at += n;
    }
  }
  return at;
}

/** Reads a Fetch v11 response body; each partition's records are a view into one shared copy. */
function parseFetchV11(body: { length: number; buffers: Uint8Array[] }, pool: BufferPool): FetchResponse {
  const lease = pool.take(body.length);
  const bytes = new Uint8Array(lease.buffer, 0, body.length);
  copyIntoShared(bytes, body.buffers);
  const dv = new DataView(bytes.buffer);
  let pos = 0;
  const need = (n: number) => {
    if (pos + n > bytes.byteLength) throw new FloeError('FLOE_SOURCE_CONNECT', `truncated fetch response (${bytes.byteLength} bytes)`, { retryable: true });
  };
  const i16 = () => (need(2), (pos += 2), dv.getInt16(pos - 2));
  const i32 = () => (need(4), (pos += 4), dv.getInt32(pos - 4));
  const i64 = () => (need(8), (pos += 8), dv.getBigInt64(pos - 8));
  const throttleMs = i32();
  const errorCode = i16();
  i32(); // session_id
  const partitions: PartitionResult[] = [];
  const topics = i32();
  for (let t = 0; t < topics; t++) {
    const nameLength = i16();
    need(Math.max(0, nameLength));
    pos += Math.max(0, nameLength);
    const count = i32();
    for (let i = 0; i < count; i++) {
      const partition = i32();
      const code = i16();
      const highWatermark = i64();
      const lastStableOffset = i64();
      i64(); // log_start_offset (-1 with OFFSET_OUT_OF_RANGE: see #resumeAtLogStart)
      const abortedCount = i32();
      let aborted: AbortedTransaction[] | null = null;
      if (abortedCount > 0) {
        aborted = [];
        for (let a = 0; a < abortedCount; a++) aborted.push({ producerId: i64(), firstOffset: i64() });
      }
      i32(); // preferred_read_replica
      const size = i32();
      let records: Uint8Array | null = null;
      if (size > 0) {
        need(size);
        records = bytes.subarray(pos, pos + size);
        pos += size;
      }
      partitions.push({ partition, errorCode: code, highWatermark, lastStableOffset, aborted, records });
    }
  }
  return { errorCode, throttleMs, partitions, lease, bytes: body.length };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
