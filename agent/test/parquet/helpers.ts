// Test helpers for the Parquet writer: read a file back with independent readers (pyarrow,
// pyiceberg, duckdb) through the rig's Python, and canonicalise values so both sides compare
// exactly. The Python interpreter comes from RIG_PYTHON; without it the tests fail, never skip.

import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { IcebergType, Row, Schema, Value } from '../../src/schema/types.ts';

const run = promisify(execFile);
const READER = join(import.meta.dirname, 'read_parquet.py');

export function rigPython(): string {
  const python = process.env.RIG_PYTHON;
  if (python === undefined || python === '') {
    throw new Error(
      'RIG_PYTHON is not set. The Parquet tests read files back with pyarrow, pyiceberg and duckdb from the ' +
        'test rig\'s virtualenv; set RIG_PYTHON to its python (for development: RIG_PYTHON=/tmp/devvenv/bin/python).',
    );
  }
  return python;
}

export interface ColumnChunkInfo {
  path: string;
  physical_type: string;
  compression: string;
  num_values: number;
  null_count: number | null;
  has_min_max: boolean;
  total_compressed_size: number;
  data_page_offset: number;
  dictionary_page_offset: number | null;
  /** Encodings of the chunk's pages, sorted (pyarrow's names: PLAIN, RLE, RLE_DICTIONARY...). */
  encodings: string[];
}

export interface PyarrowView {
  num_rows: number;
  field_ids: Record<string, number | null>;
  arrow_types: Record<string, string>;
  columns: Record<string, { physical: string; logical: string }>;
  row_groups: { num_rows: number; columns: ColumnChunkInfo[] }[];
  rows: Record<string, unknown>[] | null;
}

export interface PyicebergView {
  file_schema: { fields: unknown[] };
  stats: {
    record_count: number;
    column_sizes: Record<string, number>;
    value_counts: Record<string, number>;
    null_value_counts: Record<string, number>;
    lower_bounds: Record<string, string>;
    upper_bounds: Record<string, string>;
    split_offsets: number[];
  };
}

export interface DuckdbView {
  num_rows: number;
  field_ids: Record<string, number | null>;
  rows: Record<string, unknown>[] | null;
}

export interface ReadBack {
  pyarrow: PyarrowView;
  pyiceberg: PyicebergView;
  duckdb: DuckdbView;
}

/**
 * Writes `bytes` to a temporary file and returns what pyarrow, pyiceberg and duckdb read from it.
 * With `summary`, rows are counted but not returned (`rows` is null).
 */
export async function readBack(bytes: Uint8Array, schema: Schema, options: { summary?: boolean } = {}): Promise<ReadBack> {
  const python = rigPython();
  const dir = await mkdtemp(join(tmpdir(), 'floe-parquet-test-'));
  try {
    const file = join(dir, 'data.parquet');
    const schemaFile = join(dir, 'schema.json');
    await writeFile(file, bytes);
    await writeFile(schemaFile, JSON.stringify(schema));
    const { stdout } = await run(python, [READER, file, schemaFile, ...(options.summary ? ['--summary'] : [])], {
      maxBuffer: 1 << 30,
    });
    const out = JSON.parse(stdout) as Record<string, { error?: string }>;
    for (const [reader, view] of Object.entries(out)) {
      if (view.error !== undefined) throw new Error(`${reader} could not read the file:\n${view.error}`);
    }
    return out as unknown as ReadBack;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** The canonical form read_parquet.py produces, computed from an in-memory Value. */
export function canon(type: IcebergType, v: Value | undefined): unknown {
  if (v === null || v === undefined) return null;
  if (typeof type !== 'string') {
    switch (type.type) {
      case 'struct': {
        const row = v as Row;
        return Object.fromEntries(type.fields.map((f) => [f.name, canon(f.type, row[f.name])]));
      }
      case 'list':
        return (v as Value[]).map((x) => canon(type.element, x));
      case 'map':
        return [...(v as Map<Value, Value>)].map(([k, x]) => [canon(type.key, k), canon(type.value, x)]);
    }
  }
  switch (type) {
    case 'boolean':
    case 'int':
    case 'date':
    case 'string':
    case 'uuid':
      return v;
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
      return (v as bigint).toString();
    case 'float':
    case 'double': {
      const x = v as number;
      if (Number.isNaN(x)) return 'NaN';
      const b = Buffer.alloc(type === 'float' ? 4 : 8);
      if (type === 'float') b.writeFloatLE(x);
      else b.writeDoubleLE(x);
      return b.toString('hex');
    }
    case 'binary':
      return hex(v as Uint8Array);
  }
  if (type.startsWith('decimal')) return (v as bigint).toString();
  if (type.startsWith('fixed')) return hex(v as Uint8Array);
  throw new Error(`unknown type ${type}`);
}

export function canonRows(schema: Schema, rows: Row[]): Record<string, unknown>[] {
  return rows.map((row) => Object.fromEntries(schema.fields.map((f) => [f.name, canon(f.type, row[f.name])])));
}

/** Deterministic pseudo-random numbers (mulberry32), so failures reproduce. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The unsigned LEB128 varint at `at.p` (Parquet's hybrid headers, Thrift's compact integers); moves `at.p` past it. */
export function readVarint(bytes: Uint8Array, at: { p: number }): number {
  let v = 0;
  for (let shift = 0; ; shift += 7) {
    const b = bytes[at.p++];
    v += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return v;
  }
}

export { hex };
