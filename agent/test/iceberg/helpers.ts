// Helpers for the Iceberg tests: unique temporary warehouses, tiny real Parquet files written by
// pyarrow, and pyiceberg as the independent reader. The Python interpreter comes from RIG_PYTHON
// (the test rig writes it); without it the tests fail, they never skip.

import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serializeBound } from '../../src/schema/bounds.ts';
import type { PrimitiveType, Schema, Value } from '../../src/schema/types.ts';
import { FloeError } from '../../src/errors.ts';
import { FileStore } from '../../src/store/file.ts';
import type { ObjectInfo, ObjectStore } from '../../src/store/store.ts';
import { rigSetting } from '../store/s3-rig.ts';
import { dataFileFromParquet, type DataFile, type ParquetFileStats, type PartitionValues } from '../../src/iceberg/index.ts';

const TOOL = path.join(path.dirname(fileURLToPath(import.meta.url)), 'pyiceberg_tool.py');

/** The rig's Python (RIG_PYTHON from the environment, else from test/rig/rig.env). */
export function rigPython(): string {
  const py = rigSetting('RIG_PYTHON');
  if (!py) {
    throw new Error(
      'RIG_PYTHON is not set: these tests read tables with pyiceberg from the rig\'s Python virtualenv. ' +
        'Run `npm run rig:up` (it writes RIG_PYTHON to test/rig/rig.env), or set RIG_PYTHON=/path/to/venv/bin/python.',
    );
  }
  return py;
}

/** Runs one pyiceberg_tool.py command with a JSON request; returns its JSON answer. */
export async function py<T = unknown>(command: string, request: unknown): Promise<T> {
  const python = rigPython();
  return new Promise<T>((resolve, reject) => {
    const child = spawn(python, [TOOL, command], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`pyiceberg_tool ${command} exited ${code}:\n${err}`));
      try {
        resolve(JSON.parse(out) as T);
      } catch (e) {
        reject(new Error(`pyiceberg_tool ${command} printed no JSON: ${out}\n${err}`, { cause: e }));
      }
    });
    child.stdin.end(JSON.stringify(request, (_k, v) => (typeof v === 'bigint' ? Number(v) : v)));
  });
}

export interface TempWarehouse {
  dir: string;
  store: FileStore;
  [Symbol.asyncDispose](): Promise<void>;
}

let counter = 0;

/** A fresh directory-backed store; removed on dispose. */
export async function tempWarehouse(name = 'wh'): Promise<TempWarehouse> {
  const dir = await mkdtemp(path.join(tmpdir(), `floe-${name}-${process.pid}-${++counter}-`));
  return {
    dir,
    store: new FileStore(dir),
    async [Symbol.asyncDispose]() {
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Unique table prefix in the layout DESIGN.md prescribes. */
export function tablePrefix(topic = 'events'): string {
  return `_tableflow/test+${topic}-${process.pid}-${++counter}`;
}

export interface Column {
  name: string;
  id: number;
  type: 'boolean' | 'int' | 'long' | 'double' | 'string' | 'timestamp' | 'timestamptz';
  required?: boolean;
}

export function schemaOf(columns: Column[], schemaId = 0): Schema {
  return {
    type: 'struct',
    'schema-id': schemaId,
    fields: columns.map((c) => ({ id: c.id, name: c.name, required: c.required ?? false, type: c.type })),
  };
}

type JsonRow = Record<string, string | number | boolean | null>;

interface WriteAnswer {
  size: number;
  records: number;
  stats: Record<string, { size: number; values: number; nulls: number; min: string | number | boolean | null; max: string | number | boolean | null }>;
}

function boundValue(type: Column['type'], v: string | number | boolean): Value {
  if (type === 'long' || type === 'timestamp' || type === 'timestamptz') return BigInt(v as number);
  return v;
}

async function writeLocalParquet(
  file: string,
  columns: Column[],
  rows: JsonRow[],
  withBounds: boolean,
): Promise<{ size: number; records: number; stats: ParquetFileStats }> {
  await mkdir(path.dirname(file), { recursive: true });
  const ans = await py<WriteAnswer>('write_parquet', { path: file, columns, rows });
  const stats: ParquetFileStats = {
    columnSizes: new Map(),
    valueCounts: new Map(),
    nullValueCounts: new Map(),
    nanValueCounts: new Map(),
    lowerBounds: new Map(),
    upperBounds: new Map(),
  };
  for (const c of columns) {
    const s = ans.stats[String(c.id)];
    stats.columnSizes.set(c.id, BigInt(s.size));
    stats.valueCounts.set(c.id, BigInt(s.values));
    stats.nullValueCounts.set(c.id, BigInt(s.nulls));
    if (withBounds && s.min !== null && s.max !== null) {
      stats.lowerBounds.set(c.id, serializeBound(c.type as PrimitiveType, boundValue(c.type, s.min)));
      stats.upperBounds.set(c.id, serializeBound(c.type as PrimitiveType, boundValue(c.type, s.max)));
    }
  }
  return { size: ans.size, records: ans.records, stats };
}

/**
 * Writes a real Parquet file (pyarrow, with field ids) at `key` of the warehouse and returns its
 * DataFile with full column statistics (`bounds: false` leaves out lower/upper bounds).
 */
export async function writeParquet(
  wh: TempWarehouse,
  key: string,
  columns: Column[],
  rows: JsonRow[],
  partition: PartitionValues = {},
  opts: { bounds?: boolean } = {},
): Promise<DataFile> {
  const w = await writeLocalParquet(path.join(wh.dir, ...key.split('/')), columns, rows, opts.bounds !== false);
  return dataFileFromParquet(key, w.size, w.stats, partition, w.records);
}

/** As writeParquet, for any store: written to a scratch file first, then uploaded with put(). */
export async function writeParquetToStore(
  store: ObjectStore,
  key: string,
  columns: Column[],
  rows: JsonRow[],
  partition: PartitionValues = {},
): Promise<DataFile> {
  const scratch = await mkdtemp(path.join(tmpdir(), `floe-parquet-${process.pid}-`));
  try {
    const file = path.join(scratch, 'f.parquet');
    const w = await writeLocalParquet(file, columns, rows, true);
    await store.put(key, new Uint8Array(await readFile(file)));
    return dataFileFromParquet(key, w.size, w.stats, partition, w.records);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

export interface ScanAnswer {
  rows: JsonRow[];
  files: string[];
}

/** pyiceberg reads the table; `properties` configure its FileIO (s3.endpoint, ...). */
export function scan(metadataUri: string, filter?: string, properties?: Record<string, string>): Promise<ScanAnswer> {
  return py<ScanAnswer>('scan', { metadata: metadataUri, filter, properties });
}

export interface InspectAnswer {
  snapshots: { id: string; parent: string | null; seq: number; summary: Record<string, string> }[];
  current: string | null;
  files: { path: string; records: number; partition: Record<string, unknown>; lower_bounds: Record<string, string> }[];
  schema: string;
  format_version: number;
}

export function inspect(metadataUri: string): Promise<InspectAnswer> {
  return py<InspectAnswer>('inspect', { metadata: metadataUri });
}

export function sortBy<T extends JsonRow>(rows: T[], key: string): T[] {
  return [...rows].sort((a, b) => ((a[key] as number) < (b[key] as number) ? -1 : (a[key] as number) > (b[key] as number) ? 1 : 0));
}

/**
 * A store that delegates to another and lets a test intervene in putIfAbsent (pause it, make it
 * lose, make its outcome ambiguous). `hook` returns what to do with the call.
 */
export class HookedStore implements ObjectStore {
  readonly inner: ObjectStore;
  hook: ((key: string, body: Uint8Array) => Promise<'proceed' | 'lose' | 'write-then-fail'>) | null = null;
  readonly deleted: string[] = [];
  /** The next this-many put() calls fail with a retryable error before writing anything. */
  failPuts = 0;

  constructor(inner: ObjectStore) {
    this.inner = inner;
  }

  get url(): string {
    return this.inner.url;
  }

  get(key: string): Promise<Uint8Array | null> {
    return this.inner.get(key);
  }

  async put(key: string, body: Uint8Array): Promise<void> {
    if (this.failPuts > 0) {
      this.failPuts--;
      throw new FloeError('FLOE_STORE_IO', `injected: 503 on put ${key}`, { retryable: true });
    }
    return this.inner.put(key, body);
  }

  async putIfAbsent(key: string, body: Uint8Array): Promise<boolean> {
    const what = this.hook ? await this.hook(key, body) : 'proceed';
    if (what === 'lose') return false;
    const ok = await this.inner.putIfAbsent(key, body);
    if (what === 'write-then-fail') {
      throw new FloeError('FLOE_STORE_IO', `injected: connection reset after putIfAbsent ${key}`, { retryable: true });
    }
    return ok;
  }

  head(key: string): Promise<ObjectInfo | null> {
    return this.inner.head(key);
  }

  list(prefix: string): AsyncIterable<ObjectInfo> {
    return this.inner.list(prefix);
  }

  delete(keys: string[]): Promise<void> {
    this.deleted.push(...keys);
    return this.inner.delete(keys);
  }
}

/** Every key under a prefix. */
export async function listKeys(store: ObjectStore, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const o of store.list(prefix)) out.push(o.key);
  return out;
}
