// One table's in-memory batch between two commits, and the flush policy.
//
// Flush policy (per table, from `flush` in the configuration):
//   open batch --(first record)--> filling --(bytes >= max_bytes | records >= max_records
//   | age >= interval_seconds)--> flushing --(files written, commit done)--> open batch
// The interval is the freshness bound: a record waits at most that long before its commit starts.
// Memory stays bounded because a batch never grows past max_bytes (estimated from the column
// builders) and the Kafka client buffers at most a fixed number of records ahead of the loop.

import type { Row, Schema } from '../schema/types.ts';
import { ParquetFileBuilder } from '../parquet/writer.ts';

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
 * Rows bound for one table, split by partition value (hour number, or '' when unpartitioned), plus
 * the Kafka offset ranges this batch accounts for — including records that produced no row here.
 */
export class TableBatch {
  readonly schema: Schema;
  readonly files = new Map<string, { partitionValue: number | null; builder: ParquetFileBuilder }>();
  readonly ranges = new Map<number, OffsetRange>();
  records = 0;
  rawBytes = 0;
  /** Wall-clock ms when the first record of the batch arrived. */
  firstAt = 0;
  /** Smallest record timestamp (ms) per Kafka partition in the batch, for the time-lag metric. */
  readonly oldestTimestamp = new Map<number, bigint>();

  constructor(schema: Schema) {
    this.schema = schema;
  }

  /** Accounts for a record at `offset` in `partition`, whether or not it produced a row here. */
  track(partition: number, offset: bigint, timestamp: bigint): void {
    const r = this.ranges.get(partition);
    if (r) {
      if (offset + 1n > r.to) r.to = offset + 1n;
    } else {
      this.ranges.set(partition, { from: offset, to: offset + 1n });
    }
    const old = this.oldestTimestamp.get(partition);
    if (old === undefined || timestamp < old) this.oldestTimestamp.set(partition, timestamp);
    if (this.firstAt === 0) this.firstAt = Date.now();
  }

  add(row: Row, partitionValue: number | null, rawBytes: number): void {
    const k = partitionValue === null ? '' : String(partitionValue);
    let f = this.files.get(k);
    if (!f) {
      f = { partitionValue, builder: new ParquetFileBuilder(this.schema) };
      this.files.set(k, f);
    }
    f.builder.append(row);
    this.records++;
    this.rawBytes += rawBytes;
  }

  get estimatedBytes(): number {
    let n = 0;
    for (const f of this.files.values()) n += f.builder.estimatedBytes;
    return n;
  }

  get isEmpty(): boolean {
    return this.ranges.size === 0;
  }

  ageMs(now = Date.now()): number {
    return this.firstAt === 0 ? 0 : now - this.firstAt;
  }

  /** Next offset per partition once this batch is committed. */
  nextOffsets(): Map<number, bigint> {
    const m = new Map<number, bigint>();
    for (const [p, r] of this.ranges) m.set(p, r.to);
    return m;
  }
}

export function shouldFlush(batches: TableBatch[], policy: FlushPolicy, now = Date.now()): 'bytes' | 'records' | 'interval' | null {
  let bytes = 0;
  let records = 0;
  let age = 0;
  for (const b of batches) {
    bytes += b.estimatedBytes;
    records += b.records;
    age = Math.max(age, b.ageMs(now));
  }
  if (bytes >= policy.maxBytes) return 'bytes';
  if (records >= policy.maxRecords) return 'records';
  if (age >= policy.intervalMs) return 'interval';
  return null;
}
