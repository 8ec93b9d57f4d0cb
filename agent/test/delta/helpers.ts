// Helpers for the Delta projection tests: Iceberg tables built with the agent's own writer and
// committer (as ingest/sink.ts does), and independent readers (deltalake, duckdb, pyiceberg) run
// with the rig's Python. Without RIG_PYTHON the tests fail, they never skip.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfigFile, tableSchema as declaredSchema } from '../../src/config/index.ts';
import {
  AppendFiles,
  IcebergTable,
  ReplaceFiles,
  SetSchema,
  currentSchema,
  dataFileFromParquet,
  hourOf,
  hourToString,
  type DataFile,
} from '../../src/iceberg/index.ts';
import { DLQ_SCHEMA, KAFKA_TIMESTAMP_COLUMN, tableSchema } from '../../src/ingest/tables.ts';
import { ParquetFileBuilder } from '../../src/parquet/writer.ts';
import type { Row, Schema } from '../../src/schema/types.ts';
import type { ObjectStore } from '../../src/store/store.ts';
import { avroEvent, jsonLog } from '../../../examples/producers/seed-data.ts';
import { rigSetting } from '../store/s3-rig.ts';

const TOOL = path.join(path.dirname(fileURLToPath(import.meta.url)), 'delta_tool.py');
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export function rigPython(): string {
  const py = rigSetting('RIG_PYTHON');
  if (!py) {
    throw new Error(
      'RIG_PYTHON is not set: the Delta tests read tables with deltalake, duckdb and pyiceberg from the rig\'s ' +
        'Python virtualenv. Run `npm run rig:up` (it writes RIG_PYTHON to test/rig/rig.env), or set RIG_PYTHON=/path/to/venv/bin/python.',
    );
  }
  return py;
}

async function tool<T>(command: string, request: unknown): Promise<T> {
  const python = rigPython();
  return new Promise<T>((resolve, reject) => {
    const child = spawn(python, [TOOL, command], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`delta_tool ${command} exited ${code}:\n${err}`));
      try {
        resolve(JSON.parse(out) as T);
      } catch (e) {
        reject(new Error(`delta_tool ${command} printed no JSON: ${out.slice(0, 2000)}\n${err}`, { cause: e }));
      }
    });
    child.stdin.end(JSON.stringify(request, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
  });
}

export type JsonRow = Record<string, unknown>;

export interface DeltaAnswer {
  rows: JsonRow[];
  files: string[];
  version: number;
  protocol: { min_reader_version: number; min_writer_version: number; reader_features: string[] | null; writer_features: string[] | null };
  schema: { fields: { name: string; type: unknown; nullable: boolean; metadata: Record<string, unknown> }[] };
  partition_columns: string[];
  /** Live add actions as deltalake parses them (partition values and stats by column name). */
  adds: {
    path: string;
    size: number;
    partition: Record<string, unknown> | null;
    num_records: number | null;
    min: Record<string, unknown> | null;
    max: Record<string, unknown> | null;
    null_count: Record<string, unknown> | null;
  }[];
  sql: JsonRow[][];
}

/** deltalake (QueryBuilder) reads the Delta table at `dir` (a local directory, or s3:// with storage options). */
export function readDelta(dir: string, opts: { version?: number; sql?: string[]; storageOptions?: Record<string, string> } = {}): Promise<DeltaAnswer> {
  return tool<DeltaAnswer>('delta', { path: dir, version: opts.version, sql: opts.sql ?? [], storage_options: opts.storageOptions });
}

/** duckdb reads the Parquet files deltalake lists for the Delta table at `dir`. */
export function readDeltaWithDuckdb(dir: string, opts: { version?: number } = {}): Promise<{ rows: JsonRow[] }> {
  return tool<{ rows: JsonRow[] }>('duckdb', { path: dir, version: opts.version });
}

/** pyiceberg reads the Iceberg table (a metadata file URI), optionally at a snapshot; `properties` configure its FileIO. */
export function readIceberg(metadataUri: string, snapshotId?: bigint, properties?: Record<string, string>): Promise<{ rows: JsonRow[]; files: string[] }> {
  return tool<{ rows: JsonRow[]; files: string[] }>('iceberg', { metadata: metadataUri, snapshot_id: snapshotId?.toString(), properties });
}

function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
}

/** Rows without the given columns, as sorted canonical JSON lines (a multiset). */
export function canonicalRows(rows: JsonRow[], drop: string[] = []): string[] {
  return rows
    .map((r) => {
      const copy = { ...r };
      for (const d of drop) delete copy[d];
      return canonicalJson(copy);
    })
    .sort();
}

/** Both row multisets are equal (after dropping `drop` from the first). */
export function assertSameRows(actual: JsonRow[], expected: JsonRow[], what: string, drop: string[] = []): void {
  const a = canonicalRows(actual, drop);
  const e = canonicalRows(expected);
  if (a.length !== e.length) assert.fail(`${what}: ${a.length} rows, expected ${e.length}`);
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== e[i]) assert.fail(`${what}: rows differ (sorted row ${i}):\n  got      ${a[i]}\n  expected ${e[i]}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Tables built like the agent builds them

export const HOUR_MICROS = 3_600_000_000n;
/** 2024-01-01T00:00:00Z in microseconds, plus 123 µs so timestamps are never whole milliseconds. */
export const T0 = 1_704_067_200_000_000n + 123n;

export const JSON_LOGS_DECLARED: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'environment', required: false, type: 'string' },
    { id: 2, name: 'service', required: false, type: 'string' },
    { id: 3, name: 'status', required: false, type: 'string' },
    { id: 4, name: 'message', required: false, type: 'string' },
  ],
};

/** The seed's Avro events schema (examples/config/seed-example.yaml), as the config loads it. */
export async function avroEventsDeclared(): Promise<Schema> {
  const config = await loadConfigFile(path.join(REPO, 'examples/config/seed-example.yaml'));
  const t = config.tables.find((x) => x.source_topic === 'example_avro_events_topic');
  if (!t) throw new Error('seed-example.yaml has no example_avro_events_topic table');
  return declaredSchema(t);
}

export interface TestTable {
  table: IcebergTable;
  store: ObjectStore;
  prefix: string;
  partitioned: boolean;
  /** Rows of each live data file, by file path. */
  rowsByFile: Map<string, Row[]>;
  /** Records produced so far (the next Kafka offset). */
  produced: number;
  kind: 'json' | 'avro' | 'dlq';
}

export async function createTable(store: ObjectStore, prefix: string, kind: 'json' | 'avro' | 'dlq', partitioned: boolean): Promise<TestTable> {
  const schema = kind === 'dlq' ? DLQ_SCHEMA : tableSchema(kind === 'json' ? JSON_LOGS_DECLARED : await avroEventsDeclared());
  const table = await IcebergTable.create(store, prefix, {
    schema,
    partitioning: partitioned ? { hour: KAFKA_TIMESTAMP_COLUMN } : 'unpartitioned',
    properties: { 'floe.table-name': `test+${kind}` },
  });
  return { table, store, prefix, partitioned, rowsByFile: new Map(), produced: 0, kind };
}

/** Record i of the table's topic, with the Kafka columns (3 partitions, ~7 minutes apart). */
export function recordFor(t: TestTable, i: number): Row {
  const ts = T0 + BigInt(i) * 420_000_017n;
  if (t.kind === 'dlq') {
    return {
      topic: 'example_json_logs_topic',
      partition: i % 3,
      offset: BigInt(i),
      timestamp: ts,
      key: i % 4 === 0 ? null : new TextEncoder().encode(`k${i}`),
      value: new TextEncoder().encode(`{"broken": ${i}`),
      reason: `record ${i}: unexpected end of JSON input`,
      failed_at: ts + 5_000_000n,
    };
  }
  const row: Row = t.kind === 'json' ? { ...jsonLog(i) } : avroEvent(i);
  const schema = currentSchema(t.table.metadata);
  if (schema.fields.some((f) => f.name === 'region')) row.region = i % 5 === 0 ? null : `region-${i % 4}`;
  row._kafka_partition = i % 3;
  row._kafka_offset = BigInt(i);
  row._kafka_timestamp = ts;
  return row;
}

function hourOfRow(t: TestTable, row: Row): number | null {
  return t.partitioned ? hourOf(row._kafka_timestamp as bigint) : null;
}

/** Writes rows as Parquet files (one per hour when partitioned) like the sink; returns their DataFiles. */
export async function writeFiles(t: TestTable, rows: Row[]): Promise<DataFile[]> {
  const schema = currentSchema(t.table.metadata);
  const groups = new Map<number | null, Row[]>();
  for (const r of rows) {
    const h = hourOfRow(t, r);
    groups.set(h, [...(groups.get(h) ?? []), r]);
  }
  const out: DataFile[] = [];
  for (const [hour, group] of groups) {
    const b = new ParquetFileBuilder(schema);
    for (const r of group) b.append(r);
    const res = b.finish();
    const dir = hour === null ? 'data' : `data/${KAFKA_TIMESTAMP_COLUMN}_hour=${hourToString(hour)}`;
    const rel = `${dir}/${Date.now().toString(36)}-${randomUUID()}.parquet`;
    await t.store.put(`${t.prefix}/${rel}`, res.bytes);
    const partition: Record<string, number> = hour === null ? {} : { [`${KAFKA_TIMESTAMP_COLUMN}_hour`]: hour };
    const file = dataFileFromParquet(`${t.table.location}/${rel}`, res.bytes.byteLength, res.stats, partition, res.recordCount);
    t.rowsByFile.set(file.filePath, group);
    out.push(file);
  }
  return out;
}

/** Produces `n` more records and commits them as one Iceberg append (one snapshot). */
export async function appendRecords(t: TestTable, n: number): Promise<void> {
  const rows: Row[] = [];
  for (let k = 0; k < n; k++) rows.push(recordFor(t, t.produced + k));
  t.produced += n;
  await t.table.commit(new AppendFiles(await writeFiles(t, rows)));
}

/** Compaction: replaces the `count` smallest live files by one file with their rows (operation replace). */
export async function compact(t: TestTable, count = 4): Promise<number> {
  const live = await t.table.liveFiles();
  const byPartition = new Map<string, DataFile[]>();
  for (const f of live) {
    const k = JSON.stringify(f.partition);
    byPartition.set(k, [...(byPartition.get(k) ?? []), f]);
  }
  const group = [...byPartition.values()].sort((a, b) => b.length - a.length)[0].slice(0, count);
  assert.ok(group.length >= 2, 'compaction needs at least two files in one partition');
  const rows = group.flatMap((f) => t.rowsByFile.get(f.filePath) ?? assert.fail(`rows of ${f.filePath} unknown`));
  const schema = currentSchema(t.table.metadata);
  const normalized = rows.map((r) => Object.fromEntries(schema.fields.map((f) => [f.name, r[f.name] ?? null])) as Row);
  const added = await writeFiles(t, normalized);
  await t.table.commit(new ReplaceFiles(group, added));
  for (const f of group) t.rowsByFile.delete(f.filePath);
  return group.length;
}

/** Retention: deletes the oldest live file (operation delete). */
export async function dropOldestFile(t: TestTable): Promise<void> {
  const live = await t.table.liveFiles();
  const oldest = live.sort((a, b) => Number((t.rowsByFile.get(a.filePath)?.[0]?._kafka_offset as bigint) - (t.rowsByFile.get(b.filePath)?.[0]?._kafka_offset as bigint)))[0];
  await t.table.commit(new ReplaceFiles([oldest], []));
  t.rowsByFile.delete(oldest.filePath);
}

/** Schema evolution: adds the optional string column `region` (a fresh field id). */
export async function addRegionColumn(t: TestTable): Promise<void> {
  const s = currentSchema(t.table.metadata);
  const id = t.kind === 'json' ? 5 : 26;
  await t.table.commit(new SetSchema({ ...s, fields: [...s.fields, { id, name: 'region', required: false, type: 'string' }] }));
}

/** Every key under a prefix. */
export async function listKeys(store: ObjectStore, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const o of store.list(prefix)) out.push(o.key);
  return out;
}
