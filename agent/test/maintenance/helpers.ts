// Helpers for the maintenance tests: tables shaped like the agent's (declared columns plus the
// Kafka columns), an "agent" that appends Kafka-like batches exactly as the ingest sink commits
// them, a step context without a lease, and pyiceberg kept running as the independent reader.
// The Python interpreter comes from RIG_PYTHON (environment, else test/rig/rig.env); without it
// the tests fail, they never skip.

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { MAINTENANCE_DEFAULTS, type MaintenanceSettings } from '../../src/config/model.ts';
import { AppendFiles, IcebergTable, currentSnapshot, dataFileFromParquet, hourToString, type DataFile } from '../../src/iceberg/index.ts';
import { KAFKA_COLUMNS } from '../../src/ingest/tables.ts';
import { createLogger, type Logger } from '../../src/log.ts';
import { MaintenanceMetrics } from '../../src/maintenance/metrics.ts';
import { MAINTENANCE_TUNING_DEFAULTS, type MaintenanceTuning } from '../../src/maintenance/options.ts';
import type { StepContext } from '../../src/maintenance/context.ts';
import { ParquetFileBuilder } from '../../src/parquet/writer.ts';
import type { Row, Schema } from '../../src/schema/types.ts';
import type { ObjectStore } from '../../src/store/store.ts';
import { rigPython } from '../iceberg/helpers.ts';

export { tempWarehouse, tablePrefix, listKeys, HookedStore } from '../iceberg/helpers.ts';

export const SCHEMA: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'payload', required: false, type: 'string' },
    ...KAFKA_COLUMNS,
  ],
};

export const TOPIC = 'events';
export const HOUR_US = 3_600_000_000n;

export const quietLog: Logger = createLogger({}, 'error', () => {});

export function settingsOf(over: Partial<MaintenanceSettings> = {}): MaintenanceSettings {
  return { ...MAINTENANCE_DEFAULTS, ...over };
}

export function tuningOf(over: Partial<MaintenanceTuning> = {}): MaintenanceTuning {
  return { ...MAINTENANCE_TUNING_DEFAULTS, orphanScanIntervalMs: 0, ...over };
}

/** A step context without a lease (the lease has its own tests). */
export function stepContext(
  table: IcebergTable,
  opts: { settings?: Partial<MaintenanceSettings>; tuning?: Partial<MaintenanceTuning>; now?: () => number; registry?: Registry } = {},
): StepContext {
  return {
    table,
    tableName: 'test',
    settings: settingsOf(opts.settings),
    tuning: tuningOf(opts.tuning),
    metrics: new MaintenanceMetrics(opts.registry ?? new Registry()),
    log: quietLog,
    now: opts.now ?? Date.now,
    check: () => {},
  };
}

export async function createTable(store: ObjectStore, prefix: string, partitioning: 'unpartitioned' | 'hour' = 'unpartitioned'): Promise<IcebergTable> {
  return IcebergTable.create(store, prefix, {
    schema: SCHEMA,
    partitioning: partitioning === 'hour' ? { hour: '_kafka_timestamp' } : 'unpartitioned',
    properties: { 'floe.table-name': 'test' },
  });
}

/** The identity of a row as the tests compare them (multisets of these strings). */
export function rowKey(r: { id: unknown; payload: unknown; _kafka_partition: unknown; _kafka_offset: unknown; _kafka_timestamp: unknown }): string {
  return `${r._kafka_partition}:${r._kafka_offset}:${r.id}:${r.payload}:${r._kafka_timestamp}`;
}

export const COLUMNS = ['id', 'payload', '_kafka_partition', '_kafka_offset', '_kafka_timestamp'] as const;

/**
 * A writer agent: appends batches of Kafka-like records to one Kafka partition, committing with
 * the sink's exactly-once precondition (the table's next offset must not pass the batch's first).
 */
export class Producer {
  readonly table: IcebergTable;
  readonly partition: number;
  next = 0n;
  /** Every row committed, by rowKey. */
  readonly committed: string[] = [];
  bytesWritten = 0;
  files = 0;
  payloadBytes: number;

  constructor(table: IcebergTable, partition: number, payloadBytes = 48) {
    this.table = table;
    this.partition = partition;
    this.payloadBytes = payloadBytes;
  }

  /** Appends `n` records with Kafka timestamps from `tsMicros` on (`stepMicros` apart), one file per hour. */
  async append(n: number, tsMicros: bigint = BigInt(Date.now()) * 1000n, stepMicros = 1000n): Promise<void> {
    const byHour = new Map<number | null, { builder: ParquetFileBuilder; keys: string[] }>();
    const hourly = this.table.metadata['partition-specs'][0].fields.length > 0;
    const first = this.next;
    for (let i = 0; i < n; i++) {
      const ts = tsMicros + BigInt(i) * stepMicros;
      const row: Row = {
        id: BigInt(this.partition) * 1_000_000_000n + this.next,
        payload: randomBytes(this.payloadBytes / 2).toString('hex'),
        _kafka_partition: this.partition,
        _kafka_offset: this.next,
        _kafka_timestamp: ts,
      };
      const hour = hourly ? Number(ts / HOUR_US) : null;
      let slot = byHour.get(hour);
      if (!slot) byHour.set(hour, (slot = { builder: new ParquetFileBuilder(SCHEMA), keys: [] }));
      slot.builder.append(row);
      slot.keys.push(rowKey(row as Parameters<typeof rowKey>[0]));
      this.next++;
    }
    const files: DataFile[] = [];
    for (const [hour, { builder }] of byHour) {
      const out = builder.finish();
      const dir = hour === null ? 'data' : `data/_kafka_timestamp_hour=${hourToString(hour)}`;
      const key = this.table.io.key(`${dir}/${Date.now().toString(36)}-${randomUUID()}.parquet`);
      await this.table.store.put(key, out.bytes);
      this.bytesWritten += out.bytes.byteLength;
      files.push(dataFileFromParquet(this.table.io.uriOfKey(key), out.bytes.byteLength, out.stats, hour === null ? {} : { _kafka_timestamp_hour: hour }, out.recordCount));
    }
    await this.table.commit(
      new AppendFiles(files, {
        offsets: { topic: TOPIC, partitions: new Map([[this.partition, this.next]]) },
        precondition: (c) => (c.get(this.partition) ?? 0n) <= first,
      }),
      { maxAttempts: 50, baseDelayMs: 5, maxDelayMs: 100 },
    );
    this.files += files.length;
    for (const slot of byHour.values()) this.committed.push(...slot.keys);
  }
}

/** Live data files of the table's newest metadata. */
export async function liveFiles(table: IcebergTable): Promise<DataFile[]> {
  const md = await table.refresh();
  return table.liveFiles(currentSnapshot(md));
}

export function sorted(xs: Iterable<string>): string[] {
  return [...xs].sort();
}

const READER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'reader.py');

export interface ScanResult {
  keys: string[];
  files: number;
}

export interface InspectResult {
  snapshots: number;
  current: string | null;
  files: string[];
  summary: Record<string, string>;
}

/** pyiceberg, started once, answering one request at a time. */
export class PyIceberg {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #waiting: ((line: string) => void)[] = [];
  #stderr = '';

  constructor() {
    this.#child = spawn(rigPython(), [READER], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.#child.stderr.setEncoding('utf8').on('data', (d: string) => (this.#stderr = (this.#stderr + d).slice(-4000)));
    createInterface({ input: this.#child.stdout }).on('line', (line) => this.#waiting.shift()?.(line));
    this.#child.on('exit', (code) => {
      for (const w of this.#waiting.splice(0)) w(JSON.stringify({ error: `reader.py exited ${code}: ${this.#stderr}` }));
    });
  }

  async #ask<T>(req: unknown): Promise<T> {
    const answer = await new Promise<string>((resolve) => {
      this.#waiting.push(resolve);
      this.#child.stdin.write(JSON.stringify(req) + '\n');
    });
    const out = JSON.parse(answer) as T & { error?: string; trace?: string };
    if (out.error) throw new Error(`pyiceberg: ${out.error}\n${out.trace ?? ''}`);
    return out;
  }

  /** The table's rows (as rowKeys, sorted) and how many files pyiceberg planned. */
  async scan(metadataUri: string): Promise<ScanResult> {
    const r = await this.#ask<{ rows: unknown[][]; files: number }>({ op: 'scan', metadata: metadataUri, columns: COLUMNS });
    const keys = r.rows.map((v) => `${v[2]}:${v[3]}:${v[0]}:${v[1]}:${v[4]}`);
    return { keys: keys.sort(), files: r.files };
  }

  inspect(metadataUri: string): Promise<InspectResult> {
    return this.#ask<InspectResult>({ op: 'inspect', metadata: metadataUri });
  }

  async close(): Promise<void> {
    this.#child.stdin.end();
    await new Promise((r) => this.#child.once('exit', r));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
