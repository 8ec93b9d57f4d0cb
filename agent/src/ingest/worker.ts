// An ingest worker thread: Kafka record batches in, finished Parquet files out.
//
// The table's pipeline (pipeline.ts) runs one or more of these; each owns a fixed share of the
// topic's partitions. Per chunk of record batches it parses the records, decodes each value, and
// appends rows to the open batch's column builders (the table's, and the dead-letter table's for
// records that do not decode). On `seal` it encodes every open file to Parquet and hands the bytes
// back; the pipeline uploads and commits them. Messages are handled strictly in arrival order, so
// a seal holds exactly the chunks sent before it.
//
// Protocol (main -> worker):
//   chunk {seq, partition, bytes, mainFrom, dlqFrom, aborted}  -> ack {seq, records, dlqRecords, rawBytes, estimatedBytes}
//   (rawBytes: Kafka key+value bytes of the records that became table rows)
//   seal {id}                                                   -> sealed {id, main[], dlq[], records, dlqRecords, rawBytes, estimatedBytes}
//   reset                                                       (drops the open batch)
// A chunk that cannot be parsed (a corrupt batch) answers `failed {seq, message}`, and the seal of
// its batch answers `sealFailed`: a batch with a hole is never committed. The pipeline drops its
// batches and reads again from the table's offsets.

import { parentPort, workerData } from 'node:worker_threads';
import type { Schema } from '../schema/types.ts';
import type { SourceFormat } from '../config/model.ts';
import { createDecoder } from '../decode/decoder.ts';
import { DecodeError } from '../errors.ts';
import { TableBatch } from '../batch/batch.ts';
import { forEachRecordIn, RECORD_TIMESTAMP, type AbortedTransaction, type RecordTaker } from '../source/records.ts';
import type { ParquetFileBuilder, ParquetFileOptions, ParquetFileResult } from '../parquet/writer.ts';
import { dlqRow, KAFKA_COLUMNS } from './tables.ts';
import type { Column, Int32Column, Int64Column } from '../parquet/columns.ts';
import { avroStage } from '../decode/avro-wasm.ts';
import { jsonStage } from '../decode/json-wasm.ts';
import { FULL, STAGED, STAGE_ROWS, type WasmStage } from '../decode/wasm-stage.ts';

const EMPTY = new Uint8Array(0);

export interface WorkerSpec {
  topic: string;
  format: SourceFormat;
  /** The declared schema (the decoder's). */
  declared: Schema;
  /** The table schema: declared plus the Kafka columns. */
  schema: Schema;
  dlqSchema: Schema | null;
  partitioning: 'unpartitioned' | 'hour';
  /** Whether to use the decoder's fast path where it has one (env FLOE_DIRECT_DECODE=0 turns it off). @default true */
  directDecode?: boolean;
  /**
   * The table's stage (decode/avro-wasm.ts assembleAvroStage or json-wasm.ts assembleJsonStage, by
   * `format`, for the declared schema with the Kafka columns), used ahead of the fast path; none
   * when null or absent (env FLOE_AVRO_STAGE=0, FLOE_JSON_STAGE=0).
   */
  stage?: Uint8Array | null;
  /** Options of the Parquet files (the agent's `FLOE_PARQUET_*`, checked at start). @default {} */
  parquet?: ParquetFileOptions;
}

export type ToWorker =
  | { type: 'chunk'; seq: number; partition: number; bytes: Uint8Array; mainFrom: number; dlqFrom: number; aborted: AbortedTransaction[] | null }
  | { type: 'seal'; id: number }
  | { type: 'reset' };

export interface SealedFile {
  partitionValue: number | null;
  result: ParquetFileResult;
}

export type FromWorker =
  | { type: 'ack'; seq: number; records: number; dlqRecords: number; rawBytes: number; estimatedBytes: number }
  | { type: 'failed'; seq: number; message: string }
  | { type: 'sealed'; id: number; main: SealedFile[]; dlq: SealedFile[]; records: number; dlqRecords: number; rawBytes: number; estimatedBytes: number }
  | { type: 'sealFailed'; id: number; message: string };

const HOUR_MS = 3_600_000;

/** `FLOE_DIRECT_DECODE`: `0` turns the decoders' fast path off (to compare, or to rule it out). */
export function directDecodeFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  const raw = env.FLOE_DIRECT_DECODE;
  if (raw === undefined || raw === '' || raw === '1') return true;
  if (raw === '0') return false;
  throw new Error(`FLOE_DIRECT_DECODE must be 0 or 1, got ${JSON.stringify(raw)}`);
}

/**
 * `FLOE_AVRO_STAGE`, `FLOE_JSON_STAGE`: `0` leaves the format's records to its JavaScript fast path
 * (decode/avro-direct.ts, json-direct.ts) instead of its WebAssembly stage.
 */
export function stageFromEnv(format: SourceFormat, env: NodeJS.ProcessEnv = process.env): boolean {
  const name = format === 'avro' ? 'FLOE_AVRO_STAGE' : 'FLOE_JSON_STAGE';
  const raw = env[name];
  if (raw === undefined || raw === '' || raw === '1') return true;
  if (raw === '0') return false;
  throw new Error(`${name} must be 0 or 1, got ${JSON.stringify(raw)}`);
}

/** The worker's state, separate from the thread plumbing so it can run in-process in tests. */
export class IngestShard {
  readonly spec: WorkerSpec;
  #decode: (v: Uint8Array | null) => import('../schema/types.ts').Row;
  /** The decoder's fast path (no row object), unless off or the schema has none. */
  #direct: ((buf: Uint8Array, start: number, end: number, columns: readonly Column[]) => boolean) | null;
  /** Records read by WebAssembly, ahead of #direct: see chunk(). */
  #stage: WasmStage | null;
  #main: TableBatch;
  #dlq: TableBatch | null;

  constructor(spec: WorkerSpec) {
    this.spec = spec;
    const decoder = createDecoder(spec.format, spec.declared);
    this.#decode = (v) => decoder.decode(v);
    // The fast path appends the Kafka columns by position: after the declared ones, in this order.
    const d = spec.declared.fields.length;
    const fields = spec.schema.fields;
    const kafkaTail = fields.length === d + KAFKA_COLUMNS.length && KAFKA_COLUMNS.every((k, i) => fields[d + i].name === k.name);
    const direct = spec.directDecode !== false && kafkaTail ? decoder.appendTo : undefined;
    this.#direct = direct ? direct.bind(decoder) : null;
    this.#stage = null;
    if (this.#direct !== null && spec.stage) {
      try {
        this.#stage = spec.format === 'avro' ? avroStage(spec.stage, spec.declared, true) : jsonStage(spec.stage, spec.declared, true);
      } catch {
        // A binary this runtime does not take (a defect): the fast path reads the records, as without one.
      }
    }
    this.#main = new TableBatch(spec.schema, spec.parquet);
    this.#dlq = spec.dlqSchema ? new TableBatch(spec.dlqSchema, spec.parquet) : null;
  }

  /** Parses and buffers one chunk; returns what the open batch now holds. */
  chunk(m: Extract<ToWorker, { type: 'chunk' }>): Extract<FromWorker, { type: 'ack' }> {
    const main = this.#main;
    const dlq = this.#dlq;
    const { partition, mainFrom, dlqFrom } = m;
    const hourly = this.spec.partitioning === 'hour';
    const topic = this.spec.topic;
    const decode = this.#decode;
    const direct = this.#direct;
    const from = dlq ? Math.min(mainFrom, dlqFrom) : mainFrom;
    // The fast path's row: the decoder fills the declared columns, then the Kafka columns follow.
    const kafkaColumn = this.spec.declared.fields.length;
    let recordBuf: Uint8Array = EMPTY;
    let recordStart = 0;
    let recordEnd = 0;
    let recordOffset = 0;
    const fill = (columns: readonly Column[]): boolean => {
      if (!direct!(recordBuf, recordStart, recordEnd, columns)) return false;
      (columns[kafkaColumn] as Int32Column).append(partition);
      (columns[kafkaColumn + 1] as Int64Column).appendNumber(recordOffset);
      (columns[kafkaColumn + 2] as Int64Column).appendNumber(RECORD_TIMESTAMP[0] * 1000);
      return true;
    };
    // The stage takes records first and moves them into `staging`, their file's builder, in
    // bulk: when it holds STAGE_ROWS, when it is full, before a record goes to another builder or
    // takes another path (so rows keep their order), and at the chunk's end.
    const stage = this.#stage;
    let staging: ParquetFileBuilder | null = null;
    /** The partition value (hour) of the last record staged: where the taker goes on. */
    let stagingKey: number | null = null;
    const flushStage = (): void => {
      if (staging !== null && stage!.staged > 0) {
        try {
          staging.appendRows(stage!.staged, (columns) => stage!.flush(columns));
        } catch (err) {
          // A defect of the stage: this batch fails (and is read again), without the stage from now on.
          this.#stage = null;
          throw err;
        }
      }
    };
    /** From now on the stage's records go to the builder of partition value `key` (what is staged is moved first). */
    const stageInto = (key: number | null): void => {
      const builder = main.builder(key);
      if (builder !== staging) {
        flushStage();
        staging = builder;
      }
      stagingKey = key;
    };
    // Ahead of the visitor below, the stage takes the runs of records it can in one call each
    // (WasmStage.take: the Kafka framing read in WebAssembly too): records at or past mainFrom that
    // go to the file of the last record staged. The record that stops a run goes to the visitor.
    const taker: RecordTaker | null =
      stage === null
        ? null
        : {
            end: 0,
            // mainFrom is at least the `from` records are read from.
            take: (records, pos, count, base, _from, timestamp, logAppendTime) => {
              const key = hourly ? (stagingKey ?? Math.floor(timestamp / HOUR_MS)) : null;
              stageInto(key);
              const lo = key === null ? -Infinity : key * HOUR_MS;
              const hi = key === null ? Infinity : lo + HOUR_MS;
              let taken = 0;
              for (;;) {
                if (stage.staged === STAGE_ROWS) flushStage();
                const ask = Math.min(count - taken, STAGE_ROWS - stage.staged);
                let n: number;
                try {
                  n = stage.take(records, pos, ask, partition, base, mainFrom, timestamp, logAppendTime, lo, hi);
                } catch (err) {
                  // A defect of the stage: as in flushStage.
                  this.#stage = null;
                  throw err;
                }
                if (n > 0) main.added(stage.takenBytes, n);
                taken += n;
                pos = stage.takenEnd;
                if (n < ask || taken === count) break;
              }
              taker!.end = pos;
              return taken;
            },
          };
    forEachRecordIn(
      m.bytes,
      from,
      m.aborted,
      (offset, records, keyStart, keyLength, valueStart, valueLength) => {
        const timestamp = RECORD_TIMESTAMP[0];
        const acceptMain = offset >= mainFrom;
        const acceptDlq = dlq !== null && offset >= dlqFrom;
        if (!acceptMain && !acceptDlq) return;
        const rawBytes = Math.max(0, keyLength) + Math.max(0, valueLength);
        if (acceptMain && stage !== null && valueLength >= 0) {
          stageInto(hourly ? Math.floor(timestamp / HOUR_MS) : null);
          let r: number;
          try {
            r = stage.add(records, valueStart, valueStart + valueLength, partition, offset, timestamp * 1000);
            if (r === FULL) {
              flushStage();
              r = stage.add(records, valueStart, valueStart + valueLength, partition, offset, timestamp * 1000);
            }
          } catch (err) {
            // A defect of the stage (a trap, a memory that cannot grow): as in flushStage.
            this.#stage = null;
            throw err;
          }
          if (r === STAGED) {
            main.added(rawBytes);
            if (stage.staged === STAGE_ROWS) flushStage();
            return;
          }
          flushStage(); // declined: the paths below take it, after the rows staged before it
        }
        if (acceptMain && direct !== null && valueLength >= 0) {
          recordBuf = records;
          recordStart = valueStart;
          recordEnd = valueStart + valueLength;
          recordOffset = offset;
          let appended: boolean;
          try {
            appended = main.builder(hourly ? Math.floor(timestamp / HOUR_MS) : null).appendWith(fill);
          } catch (err) {
            // A defect of the fast path: this batch fails (and is read again); use the general path from now on.
            this.#direct = null;
            throw err;
          }
          if (appended) {
            main.added(rawBytes);
            return;
          }
        }
        // The general path, and the DLQ: views of the key and value.
        const key = keyLength < 0 ? null : records.subarray(keyStart, keyStart + keyLength);
        const value = valueLength < 0 ? null : records.subarray(valueStart, valueStart + valueLength);
        let reason: string | null = null;
        if (acceptMain) {
          let row;
          try {
            row = decode(value);
          } catch (err) {
            reason = err instanceof DecodeError ? err.message : `unexpected decoder failure: ${(err as Error).message}`;
          }
          if (row) {
            row._kafka_partition = partition;
            row._kafka_offset = BigInt(offset);
            row._kafka_timestamp = BigInt(timestamp) * 1000n;
            main.add(row, hourly ? Math.floor(timestamp / HOUR_MS) : null, rawBytes);
          }
        } else if (acceptDlq) {
          // Already in the table, not yet in the DLQ table (a crash between the two commits):
          // only a record that fails to decode has a place here.
          try {
            decode(value);
          } catch (err) {
            reason = err instanceof DecodeError ? err.message : `unexpected decoder failure: ${(err as Error).message}`;
          }
        }
        if (acceptDlq && reason !== null) {
          const rec = { partition, offset: BigInt(offset), timestamp: BigInt(timestamp), key: key as Buffer | null, value: value as Buffer | null };
          dlq.add(dlqRow(topic, rec, reason), null, rawBytes);
        }
      },
      `in ${topic}[${partition}]`,
      taker,
    );
    flushStage();
    stage?.forget(); // the chunk's buffers are given back: the next ones may be the same objects
    return { type: 'ack', seq: m.seq, records: main.records, dlqRecords: dlq?.records ?? 0, rawBytes: main.rawBytes, estimatedBytes: this.estimatedBytes };
  }

  get estimatedBytes(): number {
    return this.#main.estimatedBytes + (this.#dlq?.estimatedBytes ?? 0);
  }

  /** Encodes the open batch's files and starts a new batch (with the same column buffers). */
  seal(id: number): Extract<FromWorker, { type: 'sealed' }> {
    const main = this.#main;
    const dlq = this.#dlq;
    const estimatedBytes = this.estimatedBytes;
    this.#main = main.next();
    this.#dlq = dlq?.next() ?? null;
    const finish = (b: TableBatch | null): SealedFile[] => (b ? [...b.files.values()].map((f) => ({ partitionValue: f.partitionValue, result: f.builder.finish() })) : []);
    let files: SealedFile[];
    try {
      files = finish(main);
    } catch (err) {
      // finish() refuses misaligned columns, which only a defect of the fast paths leaves: the batch
      // fails (and is read again), through the general path from now on.
      this.#direct = null;
      this.#stage = null;
      throw err;
    }
    return { type: 'sealed', id, main: files, dlq: finish(dlq), records: main.records, dlqRecords: dlq?.records ?? 0, rawBytes: main.rawBytes, estimatedBytes };
  }

  reset(): void {
    this.#stage?.discard(); // what a failed chunk staged
    this.#main = new TableBatch(this.spec.schema, this.spec.parquet);
    this.#dlq = this.spec.dlqSchema ? new TableBatch(this.spec.dlqSchema, this.spec.parquet) : null;
  }
}

if (parentPort && workerData && (workerData as { floeIngestWorker?: boolean }).floeIngestWorker) {
  const port = parentPort;
  const shard = new IngestShard((workerData as { spec: WorkerSpec }).spec);
  /** Why the open batch lost a chunk; until the next seal or reset, nothing more goes into it. */
  let failed: string | null = null;
  port.on('message', (m: ToWorker) => {
    switch (m.type) {
      case 'chunk': {
        let out: FromWorker;
        if (failed !== null) {
          out = { type: 'failed', seq: m.seq, message: failed };
        } else {
          try {
            out = shard.chunk(m);
          } catch (err) {
            failed = (err as Error).message;
            shard.reset();
            out = { type: 'failed', seq: m.seq, message: failed };
          }
        }
        port.postMessage(out);
        break;
      }
      case 'seal': {
        if (failed !== null) {
          port.postMessage({ type: 'sealFailed', id: m.id, message: failed } satisfies FromWorker);
          failed = null;
          break;
        }
        try {
          const out = shard.seal(m.id);
          const transfer = [...out.main, ...out.dlq].map((f) => f.result.bytes.buffer as ArrayBuffer);
          port.postMessage(out, transfer);
        } catch (err) {
          shard.reset();
          port.postMessage({ type: 'sealFailed', id: m.id, message: (err as Error).message } satisfies FromWorker);
        }
        break;
      }
      case 'reset':
        failed = null;
        shard.reset();
        break;
    }
  });
}
