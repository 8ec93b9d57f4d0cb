// Reads Iceberg and Delta tables with readers we did not write (pyiceberg, duckdb, deltalake), via
// readers.py in the rig's virtualenv. Rows come back in the canonical encoding described in
// readers.py (and compared by multiset.ts): integers as numbers (strings beyond 2^53), decimals as
// strings, bytes as base64, dates as epoch days, timestamps as epoch microseconds, uuids as strings,
// maps as sorted [key, value] pairs.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadRig, rigProcessEnv } from './rig.ts';
import { diffMultisets } from './multiset.ts';

export type Row = Record<string, unknown>;
export type IcebergReader = 'pyiceberg' | 'duckdb';

const READERS_PY = fileURLToPath(new URL('./readers.py', import.meta.url));

export interface PythonResult {
  stdout: string;
  stderr: string;
}

/** Runs a Python script with the rig's virtualenv (S3_* settings in its environment). */
export function runRigPython(script: string, args: readonly string[], options: { timeoutMs?: number } = {}): Promise<PythonResult> {
  const rig = loadRig();
  const timeoutMs = options.timeoutMs ?? 300_000;
  return new Promise((resolve, reject) => {
    const child = spawn(rig.python, [script, ...args], {
      env: rigProcessEnv({ PYTHONUNBUFFERED: '1', PYTHONWARNINGS: 'ignore', PYTHONDONTWRITEBYTECODE: '1' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (code === 0) resolve({ stdout, stderr });
      else {
        const why = signal ? `was killed (${signal}${signal === 'SIGKILL' ? `, timeout ${timeoutMs} ms?` : ''})` : `exited with ${code}`;
        reject(new Error(`python ${script} ${args.join(' ')} ${why}\n${stderr.slice(-4000)}`));
      }
    });
  });
}

interface ReaderOutput {
  rows: Row[];
  meta: Record<string, unknown>;
}

async function runReader(args: string[]): Promise<ReaderOutput> {
  const { stdout } = await runRigPython(READERS_PY, args);
  const rows: Row[] = [];
  let meta: Record<string, unknown> | undefined;
  for (const line of stdout.split('\n')) {
    if (line === '') continue;
    const obj = JSON.parse(line) as { row?: Row; meta?: Record<string, unknown> };
    if (obj.row !== undefined) rows.push(obj.row);
    else if (obj.meta !== undefined) meta = obj.meta;
  }
  if (!meta) throw new Error(`readers.py ${args.join(' ')} printed no summary`);
  return { rows, meta };
}

/** `s3://<rig bucket>/<key>` for a key or prefix in the rig's bucket. */
export function s3Uri(key: string): string {
  return `s3://${loadRig().s3.bucket}/${key.replace(/^\/+/, '')}`;
}

export interface ReadIcebergOptions {
  /** Which reader (default pyiceberg). duckdb reads the Parquet files pyiceberg plans, by field id. */
  reader?: IcebergReader;
  /** Row filter in pyiceberg's expression syntax, e.g. "id >= 10 and name = 'x'" (also valid SQL for duckdb). */
  filter?: string;
  /** Read this snapshot instead of the current one. */
  snapshotId?: string | bigint;
}

export interface IcebergReadResult {
  rows: Row[];
  /** Data files planned for the scan after partition and statistics pruning. */
  filesScanned: number;
  /** Delete files attached to those data files. */
  deleteFiles: number;
  /** Snapshot read (decimal string), null for a table without snapshots. */
  snapshotId: string | null;
  /** The metadata file the table was read from. */
  metadataLocation: string;
  formatVersion: number;
}

/**
 * Reads an Iceberg table. `location`: the table root (its metadata/version-hint.text, else the newest
 * metadata/*.metadata.json) or a metadata file; a local path, file:// URI or s3://bucket/key (MinIO).
 */
export async function readIceberg(location: string, options: ReadIcebergOptions = {}): Promise<IcebergReadResult> {
  const args = ['iceberg', location, '--reader', options.reader ?? 'pyiceberg'];
  if (options.filter) args.push('--filter', options.filter);
  if (options.snapshotId !== undefined) args.push('--snapshot-id', String(options.snapshotId));
  const { rows, meta } = await runReader(args);
  return {
    rows,
    filesScanned: Number(meta.filesScanned),
    deleteFiles: Number(meta.deleteFiles ?? 0),
    snapshotId: (meta.snapshotId as string | null) ?? null,
    metadataLocation: String(meta.metadataLocation),
    formatVersion: Number(meta.formatVersion),
  };
}

/**
 * Reads an Iceberg table with both pyiceberg and duckdb, checks they return the same rows (as a
 * multiset) from the same snapshot, and returns pyiceberg's result.
 */
export async function readIcebergBoth(location: string, options: Omit<ReadIcebergOptions, 'reader'> = {}): Promise<IcebergReadResult> {
  const first = await readIceberg(location, { ...options, reader: 'pyiceberg' });
  // Pin the second read to the same metadata and snapshot: the table may move on in between.
  const second = await readIceberg(first.metadataLocation, {
    ...options,
    reader: 'duckdb',
    snapshotId: options.snapshotId ?? first.snapshotId ?? undefined,
  });
  const diff = diffMultisets(second.rows, first.rows);
  if (!diff.equal) {
    throw new Error(`pyiceberg and duckdb disagree on ${first.metadataLocation} (+ duckdb only, - pyiceberg only):\n${diff.message}`);
  }
  return first;
}

export interface ReadDeltaOptions {
  /** SQL WHERE clause over the table's logical column names. */
  filter?: string;
  /** Read this table version instead of the latest. */
  version?: number;
}

export interface DeltaReadResult {
  rows: Row[];
  /** Data files in the table version read. */
  filesScanned: number;
  version: number;
}

/** Reads a Delta table (local path, file:// or s3://) with deltalake's QueryBuilder, so column mapping and deletion vectors apply. */
export async function readDelta(location: string, options: ReadDeltaOptions = {}): Promise<DeltaReadResult> {
  const args = ['delta', location];
  if (options.filter) args.push('--filter', options.filter);
  if (options.version !== undefined) args.push('--version', String(options.version));
  const { rows, meta } = await runReader(args);
  return { rows, filesScanned: Number(meta.filesScanned), version: Number(meta.version) };
}

export interface IcebergSnapshotInfo {
  snapshotId: string;
  parentId: string | null;
  sequenceNumber: number;
  timestampMs: number;
  operation: string | null;
  /** The snapshot summary without `operation` (Floe records Kafka offsets here). */
  summary: Record<string, string>;
}

export interface IcebergTableInfo {
  metadataLocation: string;
  formatVersion: number;
  tableUuid: string;
  location: string;
  currentSnapshotId: string | null;
  snapshots: IcebergSnapshotInfo[];
  /** Schema, partition spec and sort order as pyiceberg serialises them (Iceberg JSON). */
  schema: Record<string, unknown>;
  partitionSpec: Record<string, unknown>;
  sortOrder: Record<string, unknown>;
  properties: Record<string, string>;
  /** Live data files of the current snapshot. */
  dataFiles: Array<{ path: string; records: number; bytes: number; deleteFiles: number }>;
}

/** Table metadata as pyiceberg sees it: snapshots with summaries, schema, spec, live data files. */
export async function inspectIceberg(location: string): Promise<IcebergTableInfo> {
  const { meta } = await runReader(['iceberg-inspect', location]);
  return meta as unknown as IcebergTableInfo;
}
