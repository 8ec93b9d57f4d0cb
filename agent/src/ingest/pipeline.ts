// The ingest loop of one table: fetch -> filter already-committed -> parse, decode, buffer (in
// workers) -> maybe flush -> encode files (in workers) -> upload -> commit (DLQ table first, then
// the table) -> commit group offsets.
//
// Threads: this thread fetches (source/fetch.ts, record bytes untouched), accounts for offsets from
// the batch headers, and uploads and commits. Partition p's chunks go to ingest worker p mod N
// (worker.ts), which parses the records, decodes them into column builders, and on a flush encodes
// Parquet. A flush seals the open batch in every worker at once and the next batch starts filling
// while the sealed one is uploaded and committed; only a full batch with MAX_FLUSHES_IN_FLIGHT sealed
// batches still committing holds the fetch loop back, as does a backlog of unparsed chunks
// (MAX_PENDING_BYTES).
//
// Exactly-once, in three rules (DESIGN.md "Exactly-once contract"):
//  1. The table's snapshot summary is the truth for consumed offsets. A record whose offset is below
//     the table's recorded next offset for its partition is already in the table: it is dropped.
//     The DLQ table keeps its own offsets and the same rule, so a crash between the two commits
//     neither loses nor doubles a dead letter.
//  2. A commit is refused (and the batch discarded) if, on the freshly loaded metadata, the table's
//     next offset for any partition in the batch is above the batch's first offset for it: another
//     agent committed that range first (a rebalance moved the partition). The fetch loop then restarts
//     from the tables' fresh offsets and rule 1 drops what is already in.
//  3. Kafka group offsets are committed only after the table commit: they never run ahead of it,
//     so restarting from them never skips a record.

import type { Schema } from '../schema/types.ts';
import type { SourceFormat } from '../config/model.ts';
import type { ObjectStore } from '../store/store.ts';
import type { Logger } from '../log.ts';
import type { AgentMetrics } from '../metrics/metrics.ts';
import type { FlushPolicy, OffsetRange } from '../batch/batch.ts';
import type { KafkaSource } from '../source/kafka.ts';
import type { FetchChunk } from '../source/fetch.ts';
import { TableSink, type SinkCommitResult } from './sink.ts';
import { DLQ_SCHEMA } from './tables.ts';
import { IngestShards, ingestWorkerCount, type Sealed } from './shards.ts';
import { directDecodeFromEnv, stageFromEnv } from './worker.ts';
import { assembleAvroStage } from '../decode/avro-wasm.ts';
import { assembleJsonStage } from '../decode/json-wasm.ts';
import { parquetOptionsFromEnv } from '../parquet/writer.ts';

export interface PipelineOptions {
  tableName: string;
  topic: string;
  /** The table schema: the declared fields plus the Kafka columns. */
  schema: Schema;
  /** The declared schema, which the decoder reads values against. */
  declared: Schema;
  format: SourceFormat;
  partitioning: 'unpartitioned' | 'hour';
  store: ObjectStore;
  /** Key prefix of the table (…/_tableflow/<cluster>+<topic>/). */
  tablePrefix: string;
  dlqPrefix: string | null;
  /** Publish the table (and its DLQ table) as Delta Lake too. */
  delta: boolean;
  source: KafkaSource;
  flush: FlushPolicy;
  metrics: AgentMetrics;
  log: Logger;
  /** Ingest worker threads; default ingestWorkerCount(). */
  workers?: number;
}

/**
 * Sealed batches waiting for their commit before a full batch holds the fetch loop back. A sealed
 * batch holds only its encoded Parquet files, so a second one costs little memory and keeps the
 * workers busy while the first uploads and commits.
 */
const MAX_FLUSHES_IN_FLIGHT = 2;

/** Chunk bytes handed to the workers and not yet parsed before the fetch loop waits. */
const MAX_PENDING_BYTES = 32 * 1024 * 1024;

/** What the open batch covers, on this thread; the rows themselves are in the workers. */
class OpenBatch {
  readonly ranges = new Map<number, OffsetRange>();
  readonly dlqRanges = new Map<number, OffsetRange>();
  /** Smallest record timestamp (ms) per Kafka partition, for the time-lag metric. */
  readonly oldestTimestamp = new Map<number, bigint>();
  /** Wall-clock ms when the first chunk arrived. */
  firstAt = 0;

  get isEmpty(): boolean {
    return this.ranges.size === 0 && this.dlqRanges.size === 0;
  }
}

/** The idle flush needs a batch of at least 1/IDLE_FLUSH_SHARE of the size limits. */
const IDLE_FLUSH_SHARE = 16;

/** `FLOE_FLUSH_IDLE_MS`: how long the source must be idle before a sizeable batch is flushed early (the tail of a backlog goes as soon as it is idle); 0 turns the idle flush off. @default 1000 */
export function flushIdleMsFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.FLOE_FLUSH_IDLE_MS;
  if (raw === undefined || raw === '') return 1000;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`FLOE_FLUSH_IDLE_MS must be a whole number of milliseconds (0 turns the idle flush off), got ${JSON.stringify(raw)}`);
  return n;
}

function extend(ranges: Map<number, OffsetRange>, p: number, from: number, to: number): void {
  const r = ranges.get(p);
  if (r) r.to = BigInt(to);
  else ranges.set(p, { from: BigInt(from), to: BigInt(to) });
}

export class TablePipeline {
  readonly opts: PipelineOptions;
  readonly main: TableSink;
  readonly dlq: TableSink | null;
  #open = new OpenBatch();
  /** Since when (ms) the source has had nothing new; 0 while records are coming. */
  #idleSince = 0;
  /** The last flush was for size: the open batch is the tail of a backlog or burst. */
  #afterSizeFlush = false;
  readonly #idleMs = flushIdleMsFromEnv();
  #shards: IngestShards | null = null;
  /** Next offset this process will accept per partition, for the table and for the DLQ. */
  #posMain = new Map<number, bigint>();
  #posDlq = new Map<number, bigint>();
  #lock: Promise<void> = Promise.resolve();
  /** Flushes sealed and not yet committed, oldest first (they commit in this order). */
  #flushes: Promise<void>[] = [];
  #timer: NodeJS.Timeout | null = null;
  #stopping = false;
  #restartRequested = false;
  #reassigned = false;
  #running: Promise<void> | null = null;
  #lastError: Error | null = null;
  #started = false;
  /** Partitions this pipeline has committed data of: their lag gauges read 0 once caught up. */
  #lagPartitions = new Set<number>();

  constructor(opts: PipelineOptions) {
    this.opts = opts;
    const sinkOptions = { delta: opts.delta, log: opts.log };
    this.main = new TableSink(opts.store, opts.tablePrefix, opts.schema, opts.partitioning, opts.topic, opts.tableName, sinkOptions);
    this.dlq = opts.dlqPrefix ? TableSink.dlq(opts.store, opts.dlqPrefix, opts.topic, `${opts.tableName}+dlq`, sinkOptions) : null;
  }

  get ready(): boolean {
    return this.#started && !this.#stopping && this.#lastError === null;
  }

  get lastError(): Error | null {
    return this.#lastError;
  }

  /** Opens (or creates) the tables, joins the consumer group and runs until `stop()`. */
  async start(): Promise<void> {
    await this.main.open();
    if (this.dlq) await this.dlq.open();
    this.#resetPositions();
    const o = this.opts;
    const directDecode = directDecodeFromEnv();
    const stage = directDecode && stageFromEnv(o.format) ? await this.#assembleStage() : null;
    this.#shards = new IngestShards(
      { topic: o.topic, format: o.format, declared: o.declared, schema: this.main.schema, dlqSchema: this.dlq ? DLQ_SCHEMA : null, partitioning: o.partitioning, directDecode, stage, parquet: parquetOptionsFromEnv() },
      o.workers ?? ingestWorkerCount(),
      (message) => this.#workerFailed(message),
    );
    await o.source.open(() => this.#onAssignment());
    this.#started = true;
    o.log.info('table pipeline started', { table: o.tableName, committed: this.main.committed, workers: this.#shards.size });
    const tick = Math.max(50, Math.min(1000, Math.floor(o.flush.intervalMs / 4)));
    const idleTick = this.#idleMs > 0 ? Math.min(tick, 250) : tick;
    this.#timer = setInterval(() => {
      if (this.#flushes.length < MAX_FLUSHES_IN_FLIGHT && this.#open.firstAt !== 0) {
        if (Date.now() - this.#open.firstAt >= o.flush.intervalMs) void this.#startFlush('interval');
        else if (this.#idleEnough()) void this.#startFlush('idle');
      }
      this.#updateLagMetrics();
    }, idleTick);
    this.#running = this.#consumeLoop();
  }

  /**
   * The stage's binary for the workers (null where the schema has a type it does not cover); none
   * (the JavaScript fast path only) if it cannot be assembled, which is a defect.
   */
  async #assembleStage(): Promise<Uint8Array | null> {
    const { declared, format } = this.opts;
    try {
      return format === 'avro' ? await assembleAvroStage(declared, true) : await assembleJsonStage(declared, true);
    } catch (err) {
      this.opts.log.error(`the ${format === 'avro' ? 'Avro' : 'JSON'} stage could not be assembled: records take the JavaScript fast path`, { table: this.opts.tableName, error: (err as Error).message });
      return null;
    }
  }

  /** Flushes what is buffered (unless `abandon`), then leaves the group. */
  async stop({ abandon = false } = {}): Promise<void> {
    this.#stopping = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.opts.source.stopFetching();
    if (!abandon) {
      await this.#startFlush('shutdown');
    }
    await this.#lock;
    await this.opts.source.close();
    await this.#running?.catch(() => {});
    await this.#shards?.close();
  }

  async #consumeLoop(): Promise<void> {
    const source = this.opts.source;
    while (!this.#stopping) {
      try {
        // After a failed batch, do not hammer what failed (a store, a worker): wait a moment.
        if (this.#lastError) await sleep(1000);
        if (this.#reassigned) await this.#adoptAssignment();
        const positions = await source.startPositions((p) => this.#posMain.get(p));
        if (this.#stopping) return;
        this.#restartRequested = false;
        this.#reassigned = false;
        this.#idleSince = 0;
        await source.fetcher.run(
          positions,
          (chunk) => this.#deliver(chunk),
          () => this.#gate(),
          (delivered, caughtUp, settled) => this.#round(delivered, caughtUp, settled),
        );
        if (!this.#stopping && !this.#restartRequested && !this.#reassigned) await sleep(200);
      } catch (err) {
        if (this.#stopping) return;
        this.#lastError = err as Error;
        this.opts.log.error('consume loop error; restarting the source', { table: this.opts.tableName, error: err });
        await sleep(1000);
      }
    }
  }

  // A rebalance may have handed this member partitions that another agent has committed since this
  // process last read the table: positions move up to the table's offsets, except for partitions
  // the open batch holds data of (their positions are where that data ends).
  #onAssignment(): void {
    this.#reassigned = true;
    this.opts.source.stopFetching();
  }

  async #adoptAssignment(): Promise<void> {
    await this.main.refreshCommitted();
    if (this.dlq) await this.dlq.refreshCommitted();
    const raise = (pos: Map<number, bigint>, committed: Map<number, bigint>, open: Map<number, OffsetRange>) => {
      for (const [p, c] of committed) if (!open.has(p) && (pos.get(p) ?? -1n) < c) pos.set(p, c);
    };
    raise(this.#posMain, this.main.committed, this.#open.ranges);
    if (this.dlq) raise(this.#posDlq, this.dlq.committed, this.#open.dlqRanges);
  }

  // One chunk of record batches: account for its offsets here, parse and decode it in a worker.
  #deliver(chunk: FetchChunk): void {
    if (this.#restartRequested || this.#stopping) return;
    const p = chunk.partition;
    const next = chunk.scan.nextOffset;
    const mainFrom = Number(this.#posMain.get(p) ?? 0n);
    const dlqFrom = this.dlq ? Number(this.#posDlq.get(p) ?? 0n) : Number.MAX_SAFE_INTEGER;
    const acceptMain = next > mainFrom;
    const acceptDlq = this.dlq !== null && next > dlqFrom;
    if (!acceptMain && !acceptDlq) return;
    const b = this.#open;
    if (acceptMain) {
      extend(b.ranges, p, Math.max(mainFrom, chunk.scan.firstOffset), next);
      this.#posMain.set(p, BigInt(next));
    }
    if (acceptDlq) {
      extend(b.dlqRanges, p, Math.max(dlqFrom, chunk.scan.firstOffset), next);
      this.#posDlq.set(p, BigInt(next));
    }
    if (chunk.scan.minTimestamp >= 0) {
      const ts = BigInt(chunk.scan.minTimestamp);
      const old = b.oldestTimestamp.get(p);
      if (old === undefined || ts < old) b.oldestTimestamp.set(p, ts);
    }
    if (b.firstAt === 0) b.firstAt = Date.now();
    this.#shards!.send(p, chunk.bytes, mainFrom, dlqFrom, chunk.aborted, chunk.lease);
  }

  // Awaited by the fetch loop before each request: the workers' backlog and a full batch whose
  // previous flush is still committing hold it back.
  async #gate(): Promise<void> {
    const shards = this.#shards!;
    for (;;) {
      if (this.#stopping || this.#restartRequested || this.#reassigned) return;
      if (shards.pendingBytes > MAX_PENDING_BYTES) {
        await shards.progress();
        continue;
      }
      if (this.#full()) {
        if (this.#flushes.length >= MAX_FLUSHES_IN_FLIGHT) await Promise.race(this.#flushes);
        else void this.#startFlush(this.#fullWhy() ?? 'bytes');
        continue;
      }
      return;
    }
  }

  // The fetch loop's rounds: the source is idle from the first round that brought nothing with
  // every partition caught up (at its last stable offset), until records come again. That round
  // already waited out the broker's max wait (500 ms) with nothing new, so the tail of a backlog or
  // burst (the open batch follows a flush for size) commits at once rather than FLOE_FLUSH_IDLE_MS
  // later: the end of a backlog is visible ~1 s sooner. Sooner still when the round that read the
  // last records is settled (no partition's end moved since the round before: the backlog was
  // written before it was read): the tail commits then ('caught up'), not after the next round's
  // wait. A producer still writing moves the ends, so it gets no small file after each full one.
  #round(delivered: number, caughtUp: boolean, settled: boolean): void {
    const tail = this.#idleMs > 0 && this.#afterSizeFlush && this.#flushes.length < MAX_FLUSHES_IN_FLIGHT;
    if (delivered > 0 || !caughtUp) {
      this.#idleSince = 0;
      if (delivered > 0 && settled && tail) void this.#startFlush('caught up');
      return;
    }
    if (this.#idleSince !== 0) return;
    this.#idleSince = Date.now();
    if (tail) void this.#startFlush('idle');
  }

  // The idle flush: a batch is committed once the source has been idle for FLOE_FLUSH_IDLE_MS
  // (a pause between bursts) instead of waiting out the interval, if it holds at least 1/16 of a
  // size limit, or as soon as the source is idle if it follows a flush for size (the tail of a
  // backlog or burst, whatever its size: #round, or here when two flushes were in flight then). A
  // trickle never fills 1/16 of a limit nor a batch, so it still commits on the interval, in files
  // that are not tiny.
  #idleEnough(): boolean {
    if (this.#idleMs <= 0 || this.#idleSince === 0 || Date.now() - this.#idleSince < this.#idleMs) return false;
    const shards = this.#shards;
    if (!shards || this.#open.isEmpty) return false;
    if (this.#afterSizeFlush) return true;
    const f = this.opts.flush;
    return shards.openEstimatedBytes >= f.maxBytes / IDLE_FLUSH_SHARE || shards.openRecords >= f.maxRecords / IDLE_FLUSH_SHARE;
  }

  #full(): boolean {
    return this.#fullWhy() !== null;
  }

  // The size limits, from the workers' latest acknowledgements; the age limit is the timer's.
  #fullWhy(): 'records' | 'bytes' | null {
    const shards = this.#shards;
    return shards ? this.#sizeLimit(shards.openRecords, shards.openEstimatedBytes) : null;
  }

  #sizeLimit(records: number, estimatedBytes: number): 'records' | 'bytes' | null {
    const f = this.opts.flush;
    if (records >= f.maxRecords) return 'records';
    if (estimatedBytes >= f.maxBytes) return 'bytes';
    return null;
  }

  // Seals the open batch in the workers now (records keep flowing into the next one) and commits it
  // after any earlier flush. Never rejects: a failure drops the batch and re-reads it.
  //
  // The timers decide on the workers' latest acknowledgements, which a busy machine delivers late:
  // the idle or interval timer can seal a batch that was full before the fetch loop's gate saw it
  // so. Such a batch is a flush for size all the same (it says so in the log), and the batch after
  // it is the tail of a burst; otherwise that tail would wait out the whole interval (regression).
  #startFlush(why: string): Promise<void> {
    const batch = this.#open;
    if (batch.isEmpty || this.#restartRequested) return this.#lock;
    const next = (this.#open = new OpenBatch());
    this.#afterSizeFlush = why === 'bytes' || why === 'records';
    const sealed = this.#shards!.seal().then((s) => {
      const full = why === 'shutdown' ? null : this.#sizeLimit(s.records + s.dlqRecords, s.estimatedBytes);
      if (full && this.#open === next) this.#afterSizeFlush = true;
      return { s, why: full ?? why };
    });
    // Awaited once the lock is ours: a seal that fails while an earlier batch still commits (a
    // worker died, a chunk failed) must not count as an unhandled rejection, which ends the process.
    sealed.catch(() => {});
    const run = this.#withLock(async () => {
      try {
        const { s, why: reason } = await sealed;
        await this.#commit(reason, batch, s);
      } catch (err) {
        this.#fail(err);
      }
    });
    const flushing: Promise<void> = run.finally(() => {
      this.#flushes = this.#flushes.filter((f) => f !== flushing);
    });
    this.#flushes.push(flushing);
    return flushing;
  }

  // Upload the batch's files and commit them: DLQ table first, then the table, then group offsets.
  // Any failure drops the batch and re-reads it from the tables' offsets: nothing is acknowledged
  // to Kafka before the table holds it.
  async #commit(why: string, batch: OpenBatch, sealed: Sealed): Promise<void> {
    if (this.#restartRequested) return;
    const started = performance.now();
    const m = this.opts.metrics;
    const name = this.opts.tableName;

    if (this.dlq && sealed.dlqRecords > 0) {
      const r = await this.dlq.commitFiles(sealed.dlq, batch.dlqRanges);
      if (!this.#afterCommit(r, `${name}+dlq`)) return this.#discard('dlq', r);
      m.dlqRecords.inc({ table_name: name }, sealed.dlqRecords);
    }
    // The table commits whenever the batch moved offsets, even with no rows (all were dead letters):
    // otherwise its recorded offsets would lag forever behind a run of bad records.
    if (batch.ranges.size > 0) {
      const r = await this.main.commitFiles(sealed.main, batch.ranges);
      if (!this.#afterCommit(r, name)) return this.#discard('table', r);
      m.recordsIngested.inc({ table_name: name }, sealed.records);
      m.bytesIngested.inc({ table_name: name }, sealed.rawBytes);
    }
    m.commitLatency.observe({ table_name: name }, (performance.now() - started) / 1000);
    this.opts.log.info('committed batch', {
      table: name,
      why,
      records: sealed.records,
      dlqRecords: sealed.dlqRecords,
      files: sealed.main.length,
      snapshotId: this.main.lastSnapshotId,
      ms: Math.round(performance.now() - started),
    });
    this.#lastError = null;
    for (const p of batch.ranges.keys()) this.#lagPartitions.add(p);
    await this.opts.source.commitGroupOffsets(this.main.committed);
    this.#updateLagMetrics();
  }

  #afterCommit(r: SinkCommitResult, name: string): boolean {
    const m = this.opts.metrics;
    if (r.conflicts > 0) m.commitConflicts.inc({ table_name: name }, r.conflicts);
    if (!r.ok) return false;
    m.commits.inc({ table_name: name });
    m.filesWritten.inc({ table_name: name }, r.filesWritten);
    return true;
  }

  // Another writer committed part of this batch's range: drop the batch, re-read from the tables.
  #discard(which: string, r: SinkCommitResult): void {
    this.opts.log.warn('batch overlaps offsets committed by another agent; discarding it and re-reading', {
      table: this.opts.tableName,
      sink: which,
      detail: r.reason,
    });
    this.#dropOpenBatch();
  }

  // Forget everything read past the tables' offsets: the open batch, in the workers too, and the
  // positions; the fetch loop starts again from the tables' offsets.
  #dropOpenBatch(): void {
    this.#restartRequested = true;
    this.#open = new OpenBatch();
    this.#shards?.reset();
    this.#resetPositions();
    this.opts.source.stopFetching();
  }

  #workerFailed(message: string): void {
    this.#fail(new Error(message));
  }

  #resetPositions(): void {
    this.#posMain = new Map(this.main.committed);
    this.#posDlq = this.dlq ? new Map(this.dlq.committed) : new Map();
  }

  #updateLagMetrics(): void {
    const m = this.opts.metrics;
    const now = BigInt(Date.now());
    let maxLag = 0;
    for (const p of new Set([...this.#open.ranges.keys(), ...this.#lagPartitions])) {
      const oldest = this.#open.oldestTimestamp.get(p);
      const lag = oldest === undefined ? 0 : Math.max(0, Number(now - oldest) / 1000);
      if (m.withPartition) m.timeLag.set(m.lagLabels(this.main.tableId, this.opts.tableName, this.opts.topic, p), lag);
      maxLag = Math.max(maxLag, lag);
    }
    if (!m.withPartition) m.timeLag.set(m.lagLabels(this.main.tableId, this.opts.tableName, this.opts.topic, 0), maxLag);
  }

  /** Offset lag per partition against the topic's high watermarks (called periodically by the agent). */
  async refreshOffsetLag(): Promise<void> {
    const ends = await this.opts.source.endOffsets();
    const m = this.opts.metrics;
    for (const [p, end] of ends) {
      const lag = end - (this.main.committed.get(p) ?? 0n);
      m.offsetLag.set(m.lagLabels(this.main.tableId, this.opts.tableName, this.opts.topic, p), Number(lag < 0n ? 0n : lag));
    }
  }

  #withLock<T>(fn: () => Promise<T> | T): Promise<T> {
    const run = this.#lock.then(fn);
    this.#lock = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  #fail(err: unknown): void {
    this.#lastError = err as Error;
    this.opts.log.error('flush failed; the batch stays unacknowledged and will be re-read', { table: this.opts.tableName, error: err });
    // A failed flush leaves offsets uncommitted; re-read from the table's offsets.
    this.#dropOpenBatch();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

