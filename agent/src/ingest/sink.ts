// One Iceberg table the ingest loop writes to: uploads a batch's Parquet files, then commits them
// with the batch's Kafka offsets under the exactly-once precondition (pipeline.ts, rule 2).
// Writers do not commit: the ingest workers encode the files, this committer uploads them and makes the snapshot.

import { randomUUID } from 'node:crypto';
import type { Schema } from '../schema/types.ts';
import type { ObjectStore } from '../store/store.ts';
import { IcebergTable, AppendFiles, CommitRefused, SetSchema, currentSchema, dataFileFromParquet, hourToString, type DataFile } from '../iceberg/index.ts';
import { assertMigration } from '../schema/evolution.ts';
import type { OffsetRange } from '../batch/batch.ts';
import type { SealedFile } from './worker.ts';
import type { ParquetFileResult } from '../parquet/writer.ts';
import { DLQ_SCHEMA, KAFKA_TIMESTAMP_COLUMN } from './tables.ts';
import { DeltaProjector, deltaOptionsFromEnv } from '../delta/index.ts';
import type { Logger } from '../log.ts';

export interface SinkCommitResult {
  ok: boolean;
  conflicts: number;
  filesWritten: number;
  /** Why a commit was refused (another writer holds part of the batch's offsets). */
  reason?: string;
}

export class TableSink {
  readonly store: ObjectStore;
  readonly prefix: string;
  readonly schema: Schema;
  readonly partitioning: 'unpartitioned' | 'hour';
  readonly topic: string;
  readonly name: string;
  #table: IcebergTable | null = null;
  /** Projects each Iceberg snapshot into the Delta log (DESIGN.md); null when Delta is off. */
  readonly delta: DeltaProjector | null;
  readonly log: Logger | null;
  /** Next offset per Kafka partition recorded by the table, as of the last load or commit. */
  committed = new Map<number, bigint>();
  lastSnapshotId: bigint | null = null;

  constructor(
    store: ObjectStore,
    prefix: string,
    schema: Schema,
    partitioning: 'unpartitioned' | 'hour',
    topic: string,
    name: string,
    options: { delta?: boolean; log?: Logger } = {},
  ) {
    this.log = options.log ?? null;
    this.delta = options.delta === false ? null : new DeltaProjector(store, prefix, { ...deltaOptionsFromEnv(), ...(options.log ? { logger: options.log } : {}) });
    this.store = store;
    this.prefix = prefix;
    this.schema = schema;
    this.partitioning = partitioning;
    this.topic = topic;
    this.name = name;
  }

  static dlq(store: ObjectStore, prefix: string, topic: string, name: string, options: { delta?: boolean; log?: Logger } = {}): TableSink {
    return new TableSink(store, prefix, DLQ_SCHEMA, 'unpartitioned', topic, name, options);
  }

  get table(): IcebergTable {
    if (!this.#table) throw new Error(`table ${this.name} is not open`);
    return this.#table;
  }

  get tableId(): string {
    return this.#table?.metadata['table-uuid'] ?? '';
  }

  async open(): Promise<void> {
    this.#table = await IcebergTable.loadOrCreate(this.store, this.prefix, {
      schema: this.schema,
      partitioning: this.partitioning === 'hour' ? { hour: KAFKA_TIMESTAMP_COLUMN } : 'unpartitioned',
      properties: { 'floe.table-name': this.name, 'floe.kafka.topic': this.topic },
    });
    await this.#reconcileSchema();
    this.committed = this.#table.committedOffsets(this.topic);
    // Repairs a Delta log left behind by a crash between an Iceberg commit and its projection.
    await this.syncDelta();
  }

  /**
   * Brings the Delta log up to the Iceberg history. The Iceberg table is the source of truth: a
   * failed projection is logged and caught up by the next sync, never a reason to stop ingesting.
   */
  async syncDelta(): Promise<void> {
    if (!this.delta || !this.#table) return;
    try {
      await this.delta.sync(this.#table);
    } catch (err) {
      this.log?.warn('delta projection failed; the next commit catches up', { table: this.name, error: err });
    }
  }

  // The declared schema is the wanted state: when it differs from the table's current schema, the
  // change must be an allowed migration, committed as a new Iceberg schema (new schema id). Files
  // written before keep their schema; readers project them onto the new one by field id.
  async #reconcileSchema(): Promise<void> {
    const table = this.table;
    const current = currentSchema(table.metadata);
    if (sameFields(current.fields, this.schema.fields)) return;
    assertMigration(current, this.schema, { path: `${this.name}.schema` });
    await table.commit([new SetSchema(this.schema)]);
  }

  /**
   * Uploads finished Parquet files and commits them with the offsets they cover: `ranges` holds,
   * per Kafka partition, the batch's first offset and the offset after its last. Refused (ok: false)
   * when the table already holds any of those offsets (another agent committed them first).
   */
  async commitFiles(finished: SealedFile[], ranges: Map<number, OffsetRange>): Promise<SinkCommitResult> {
    const table = this.table;
    const files = await Promise.all(finished.map((f) => this.#uploadFile(f.result, f.partitionValue)));
    const from = new Map<number, bigint>();
    const to = new Map<number, bigint>();
    for (const [p, r] of ranges) {
      from.set(p, r.from);
      to.set(p, r.to);
    }
    const append = new AppendFiles(files, {
      offsets: { topic: this.topic, partitions: to },
      // Refuse when the table already holds any offset of this batch: committed next offset above
      // the batch's first offset means another agent committed (part of) this range.
      precondition: (committed) => [...from].every(([p, first]) => (committed.get(p) ?? 0n) <= first),
    });
    try {
      const r = await table.commit([append]);
      this.committed = table.committedOffsets(this.topic);
      this.lastSnapshotId = r.snapshots.at(-1)?.['snapshot-id'] ?? this.lastSnapshotId;
      await this.syncDelta();
      return { ok: true, conflicts: r.conflicts, filesWritten: files.length };
    } catch (err) {
      if (!(err instanceof CommitRefused)) {
        await this.refreshCommitted();
        throw err;
      }
      // The files are referenced by nothing: remove them now rather than leave them to orphan cleanup.
      await this.store.delete(files.map((f) => this.#keyOf(f))).catch(() => {});
      await this.refreshCommitted();
      return { ok: false, conflicts: 0, filesWritten: 0, reason: err.message };
    }
  }

  /** Reloads the table's metadata for its committed offsets; keeps the last known ones on failure. */
  async refreshCommitted(): Promise<void> {
    try {
      await this.table.refresh();
      this.committed = this.table.committedOffsets(this.topic);
    } catch {
      // Keep the last known offsets; the next commit reloads anyway.
    }
  }

  #keyOf(f: DataFile): string {
    const loc = this.table.location.replace(/\/+$/, '');
    return this.prefix + f.filePath.slice(loc.length + 1);
  }

  async #uploadFile(out: ParquetFileResult, hour: number | null): Promise<DataFile> {
    const dir = hour === null ? 'data' : `data/${KAFKA_TIMESTAMP_COLUMN}_hour=${hourToString(hour)}`;
    const rel = `${dir}/${Date.now().toString(36)}-${randomUUID()}.parquet`;
    await this.store.put(this.prefix + rel, out.bytes);
    const partition: Record<string, number> = hour === null ? {} : { [`${KAFKA_TIMESTAMP_COLUMN}_hour`]: hour };
    return dataFileFromParquet(`${this.table.location.replace(/\/+$/, '')}/${rel}`, out.bytes.byteLength, out.stats, partition, out.recordCount);
  }
}

function sameFields(a: Schema['fields'], b: Schema['fields']): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
