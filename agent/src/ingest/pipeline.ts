// The ingest loop of one table: consume -> filter already-committed -> decode -> buffer
// -> maybe flush -> write files -> commit (DLQ table first, then the table) -> commit group offsets.
//
// Exactly-once, in three rules (DESIGN.md "Exactly-once contract"):
//  1. The table's snapshot summary is the truth for consumed offsets. A record whose offset is below
//     the table's recorded next offset for its partition is already in the table: it is dropped.
//     The DLQ table keeps its own offsets and the same rule, so a crash between the two commits
//     neither loses nor doubles a dead letter.
//  2. A commit is refused (and the batch discarded) if, on the freshly loaded metadata, the table's
//     next offset for any partition in the batch is above the batch's first offset for it: another
//     agent committed that range first (a rebalance moved the partition). The source then restarts
//     from the group's offsets and rule 1 drops what is already in.
//  3. Kafka group offsets are committed only after the table commit: they never run ahead of it,
//     so restarting from them never skips a record.

import type { Row, Schema } from '../schema/types.ts';
import type { ObjectStore } from '../store/store.ts';
import type { Logger } from '../log.ts';
import type { AgentMetrics } from '../metrics/metrics.ts';
import { TableBatch, shouldFlush, type FlushPolicy } from '../batch/batch.ts';
import { KafkaSource, type SourceRecord } from '../source/kafka.ts';
import { DecodeError } from '../errors.ts';
import { TableSink, type SinkCommitResult } from './sink.ts';
import { dlqRow, withKafkaColumns, type DecodeFn } from './tables.ts';

export interface PipelineOptions {
  tableName: string;
  topic: string;
  schema: Schema;
  partitioning: 'unpartitioned' | 'hour';
  decode: DecodeFn;
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
}

const HOUR_MS = 3_600_000n;
/** Records between two checks of the batch's size limits (the check sums the column builders). */
const SIZE_CHECK_EVERY = 64;

export class TablePipeline {
  readonly opts: PipelineOptions;
  readonly main: TableSink;
  readonly dlq: TableSink | null;
  #batch: TableBatch;
  #dlqBatch: TableBatch | null;
  /** Next offset this process will accept per partition, for the table and for the DLQ. */
  #posMain = new Map<number, bigint>();
  #posDlq = new Map<number, bigint>();
  #lock: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | null = null;
  #stopping = false;
  #restartRequested = false;
  #running: Promise<void> | null = null;
  #lastError: Error | null = null;
  #started = false;
  /** Partitions this pipeline has committed data of: their lag gauges read 0 once caught up. */
  #lagPartitions = new Set<number>();
  #sinceCheck = 0;

  constructor(opts: PipelineOptions) {
    this.opts = opts;
    const sinkOptions = { delta: opts.delta, log: opts.log };
    this.main = new TableSink(opts.store, opts.tablePrefix, opts.schema, opts.partitioning, opts.topic, opts.tableName, sinkOptions);
    this.dlq = opts.dlqPrefix ? TableSink.dlq(opts.store, opts.dlqPrefix, opts.topic, `${opts.tableName}+dlq`, sinkOptions) : null;
    this.#batch = new TableBatch(this.main.schema);
    this.#dlqBatch = this.dlq ? new TableBatch(this.dlq.schema) : null;
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
    await this.opts.source.open();
    this.#started = true;
    this.opts.log.info('table pipeline started', { table: this.opts.tableName, committed: this.main.committed });
    const tick = Math.max(50, Math.min(1000, Math.floor(this.opts.flush.intervalMs / 4)));
    this.#timer = setInterval(
      () =>
        void this.#withLock(async () => {
          await this.#maybeFlush();
          this.#updateLagMetrics();
        }),
      tick,
    );
    this.#running = this.#consumeLoop();
  }

  /** Flushes what is buffered (unless `abandon`), then leaves the group. */
  async stop({ abandon = false } = {}): Promise<void> {
    this.#stopping = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    if (!abandon) await this.#withLock(() => this.#flush('shutdown'));
    await this.opts.source.close();
    await this.#running?.catch(() => {});
  }

  async #consumeLoop(): Promise<void> {
    while (!this.#stopping) {
      try {
        for await (const rec of this.opts.source.records()) {
          // Records go into the open batch without waiting on a flush in progress (the flush took
          // the previous batch away); only a full batch waits, which is the backpressure.
          this.#handle(rec);
          if (++this.#sinceCheck >= SIZE_CHECK_EVERY && this.#full()) {
            this.#sinceCheck = 0;
            await this.#withLock(() => this.#maybeFlush());
          }
          if (this.#stopping || this.#restartRequested) break;
        }
        if (this.#stopping) return;
        if (this.#restartRequested) {
          this.#restartRequested = false;
          await this.opts.source.restart();
        } else {
          // The stream ended by itself (closed by the client after a fatal group error): start again.
          await sleep(500);
          await this.opts.source.restart();
        }
      } catch (err) {
        if (this.#stopping) return;
        this.#lastError = err as Error;
        this.opts.log.error('consume loop error; restarting the source', { table: this.opts.tableName, error: err });
        await sleep(1000);
        try {
          await this.opts.source.restart();
          this.#lastError = null;
        } catch (e) {
          this.#lastError = e as Error;
        }
      }
    }
  }

  // Route one record: skip what the tables already hold, decode, buffer into the table or the DLQ.
  #handle(rec: SourceRecord): void {
    // After a discarded batch nothing is accepted until the source has restarted from committed offsets.
    if (this.#restartRequested) return;
    const p = rec.partition;
    const acceptMain = rec.offset >= (this.#posMain.get(p) ?? 0n);
    const acceptDlq = this.#dlqBatch !== null && rec.offset >= (this.#posDlq.get(p) ?? 0n);
    if (!acceptMain && !acceptDlq) return;
    const rawBytes = (rec.key?.length ?? 0) + (rec.value?.length ?? 0);
    let row: Row | null = null;
    let reason: string | null = null;
    try {
      row = this.opts.decode(rec.value);
    } catch (err) {
      if (!(err instanceof DecodeError)) reason = `unexpected decoder failure: ${(err as Error).message}`;
      else reason = err.message;
    }
    if (acceptMain) {
      this.#batch.track(p, rec.offset, rec.timestamp);
      if (row) {
        withKafkaColumns(row, rec);
        this.#batch.add(row, this.opts.partitioning === 'hour' ? Number(rec.timestamp / HOUR_MS) : null, rawBytes);
      }
      this.#posMain.set(p, rec.offset + 1n);
    }
    if (acceptDlq) {
      this.#dlqBatch!.track(p, rec.offset, rec.timestamp);
      if (reason !== null) this.#dlqBatch!.add(dlqRow(this.opts.topic, rec, reason), null, rawBytes);
      this.#posDlq.set(p, rec.offset + 1n);
    }
  }

  // The size limits, checked every SIZE_CHECK_EVERY records on the hot path; the age limit is the timer's.
  #full(): boolean {
    const f = this.opts.flush;
    const d = this.#dlqBatch;
    const records = this.#batch.records + (d ? d.records : 0);
    if (records >= f.maxRecords) return true;
    return this.#batch.estimatedBytes + (d ? d.estimatedBytes : 0) >= f.maxBytes;
  }

  async #maybeFlush(): Promise<void> {
    const batches = this.#dlqBatch ? [this.#batch, this.#dlqBatch] : [this.#batch];
    const why = shouldFlush(batches, this.opts.flush);
    if (why) await this.#flush(why);
  }

  // Write the batch's files and commit them: DLQ table first, then the table, then group offsets.
  // Any failure drops the batch and re-reads it from the tables' offsets: nothing is acknowledged
  // to Kafka before the table holds it.
  async #flush(why: string): Promise<void> {
    try {
      await this.#flushOnce(why);
    } catch (err) {
      this.#fail(err);
    }
  }

  async #flushOnce(why: string): Promise<void> {
    if (this.#restartRequested) return;
    const batch = this.#batch;
    const dlqBatch = this.#dlqBatch;
    if (batch.isEmpty && (!dlqBatch || dlqBatch.isEmpty)) return;
    this.#batch = new TableBatch(this.main.schema);
    this.#dlqBatch = this.dlq ? new TableBatch(this.dlq.schema) : null;
    const started = performance.now();
    const m = this.opts.metrics;
    const name = this.opts.tableName;

    if (this.dlq && dlqBatch && dlqBatch.records > 0) {
      const r = await this.dlq.commitBatch(dlqBatch);
      if (!this.#afterCommit(r, `${name}+dlq`)) return this.#discard('dlq', r);
      m.dlqRecords.inc({ table_name: name }, dlqBatch.records);
    }
    // The table commits whenever the batch moved offsets, even with no rows (all were dead letters):
    // otherwise its recorded offsets would lag forever behind a run of bad records.
    if (!batch.isEmpty) {
      const r = await this.main.commitBatch(batch);
      if (!this.#afterCommit(r, name)) return this.#discard('table', r);
      m.recordsIngested.inc({ table_name: name }, batch.records);
      m.bytesIngested.inc({ table_name: name }, batch.rawBytes);
    }
    m.commitLatency.observe({ table_name: name }, (performance.now() - started) / 1000);
    this.opts.log.info('committed batch', {
      table: name,
      why,
      records: batch.records,
      dlqRecords: dlqBatch?.records ?? 0,
      files: batch.files.size,
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
    this.#batch = new TableBatch(this.main.schema);
    this.#dlqBatch = this.dlq ? new TableBatch(this.dlq.schema) : null;
    this.#resetPositions();
    this.#restartRequested = true;
  }

  #resetPositions(): void {
    this.#posMain = new Map(this.main.committed);
    this.#posDlq = this.dlq ? new Map(this.dlq.committed) : new Map();
  }

  #updateLagMetrics(): void {
    const m = this.opts.metrics;
    const now = BigInt(Date.now());
    let maxLag = 0;
    for (const p of new Set([...this.#batch.ranges.keys(), ...this.#lagPartitions])) {
      const oldest = this.#batch.oldestTimestamp.get(p);
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
    this.#batch = new TableBatch(this.main.schema);
    this.#dlqBatch = this.dlq ? new TableBatch(this.dlq.schema) : null;
    this.#resetPositions();
    this.#restartRequested = true;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

