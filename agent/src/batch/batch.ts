// One table's rows between two commits (in an ingest worker), and the flush policy.
//
// Flush policy (per table, from `flush` in the configuration):
//   open batch --(first record)--> filling --(bytes >= max_bytes | records >= max_records
//   | age >= interval_seconds | idle)--> flushing --(files written, commit done)--> open batch
// The interval is the freshness bound: a record waits at most that long before its commit starts.
// Idle: the source has had nothing new for FLOE_FLUSH_IDLE_MS (1 s) and the batch holds at least
// 1/16 of max_bytes or max_records; or the batch follows a flush for size (the tail of a backlog
// or burst) and a fetch came back empty after the broker's max wait (500 ms), or read the last
// records of partitions whose ends had not moved since the fetch before ("caught up"): it need not
// wait out the interval. A trickle never fills 1/16 of a limit nor a batch, and still commits on
// the interval.
// The pipeline (ingest/pipeline.ts) applies the policy: the sizes come from the workers' batches,
// the age from the first chunk of the batch; the offsets a batch covers are kept there too.

import type { Row, Schema } from '../schema/types.ts';
import { ParquetFileBuilder, type ParquetFileOptions } from '../parquet/writer.ts';

export interface FlushPolicy {
  maxBytes: number;
  maxRecords: number;
  intervalMs: number;
}

/** Offsets a batch covers in one Kafka partition: [from, to). */
export interface OffsetRange {
  from: bigint;
  to: bigint;
}

/**
 * Rows bound for one table, split into one Parquet file per partition value (hour number, or none).
 * File builders come from `spare` (those of the batch before, see next()) before new ones are made.
 */
export class TableBatch {
  readonly schema: Schema;
  /** Options of the Parquet files (the agent's `FLOE_PARQUET_*`). */
  readonly parquet: ParquetFileOptions;
  readonly files = new Map<string, { partitionValue: number | null; builder: ParquetFileBuilder }>();
  records = 0;
  /** Kafka key+value bytes of the records that became these rows. */
  rawBytes = 0;
  readonly #spare: ParquetFileBuilder[];
  /** builder()'s last partition value (undefined before its first call) and its builder. */
  #lastValue: number | null | undefined = undefined;
  #lastBuilder: ParquetFileBuilder | null = null;

  constructor(schema: Schema, parquet: ParquetFileOptions = {}, spare: ParquetFileBuilder[] = []) {
    this.schema = schema;
    this.parquet = parquet;
    this.#spare = spare;
  }

  /**
   * The batch after this one, reusing this one's file builders (once their files are finished):
   * their column buffers already have the size a batch needs. Builders this batch did not use are
   * not kept, so a burst over several hours holds its memory for one batch only.
   */
  next(): TableBatch {
    return new TableBatch(this.schema, this.parquet, [...this.files.values()].map((f) => f.builder));
  }

  add(row: Row, partitionValue: number | null, rawBytes: number): void {
    this.builder(partitionValue).append(row);
    this.added(rawBytes);
  }

  /** The file builder of a partition value (opened on first use), for appending directly. */
  builder(partitionValue: number | null): ParquetFileBuilder {
    // Called per record, and consecutive records nearly always share a partition value: no string
    // key and no map lookup for them.
    if (partitionValue === this.#lastValue) return this.#lastBuilder!;
    const k = partitionValue === null ? '' : String(partitionValue);
    let f = this.files.get(k);
    if (!f) {
      f = { partitionValue, builder: this.#spare.pop()?.reset() ?? new ParquetFileBuilder(this.schema, this.parquet) };
      this.files.set(k, f);
    }
    this.#lastValue = partitionValue;
    this.#lastBuilder = f.builder;
    return f.builder;
  }

  /** Counts rows appended directly to one of the builders (one by default), of rawBytes in all. */
  added(rawBytes: number, rows = 1): void {
    this.records += rows;
    this.rawBytes += rawBytes;
  }

  /** Arrow bytes of the column builders (ParquetFileBuilder.estimatedBytes), summed over files. */
  get estimatedBytes(): number {
    let n = 0;
    for (const f of this.files.values()) n += f.builder.estimatedBytes;
    return n;
  }
}
