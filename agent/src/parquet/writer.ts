// One Parquet data file from rows of one Iceberg schema, with the column statistics an Iceberg
// manifest's data_file needs. Writers do not commit: the result is bytes plus a description.
//
// Lifecycle:   open --append()*--> open --finish()--> finished
//              open --append() throws--> poisoned
// - append() adds one row that the decoder already coerced to the schema; it checks nothing but
//   what would otherwise corrupt the file (null in a required field, wrong fixed width). A row
//   that throws may be half-written, so the builder is poisoned: every later call throws, and the
//   caller rebuilds the file from its buffered records without the bad one.
// - finish() encodes once, straight from the column builders (encode.ts): Parquet bytes with the
//   codec, chunk statistics, the Iceberg field ids and the Arrow schema in the footer, and the
//   statistics Iceberg's data_file needs. After finish() the builder is finished, until reset().
// - reset() (from any state) empties the builder for a new file and keeps its column buffers.
// - finish() runs synchronously on the calling thread. Peak memory is the columns (capacity up to
//   2x estimatedBytes, or that of the largest file since the builder was made, if it is reused),
//   one column chunk's levels and dictionary, and the compressed file.

import * as arrow from 'apache-arrow';
import type { PrimitiveType, Row, Schema, Value } from '../schema/types.ts';
import { toArrowSchema } from '../schema/arrow.ts';
import { DEFAULT_BOUND_TRUNCATE_LENGTH, serializeBound, truncateLowerBound, truncateUpperBound } from '../schema/bounds.ts';
import { ConfigError, FloeError, type ConfigIssue } from '../errors.ts';
import { makeColumn, type Column, type Leaf } from './columns.ts';
import { PAGE_ENTRIES, ParquetEncoder, type EncodedFile } from './encode.ts';

export type ParquetCompression = 'zstd' | 'snappy' | 'uncompressed';

/** Options of a Parquet data file. Every option has an environment variable (see parquetOptionsFromEnv). */
export interface ParquetFileOptions {
  /**
   * Compression codec of every column. Env `FLOE_PARQUET_COMPRESSION`.
   * @default 'zstd'
   */
  compression?: ParquetCompression;
  /**
   * Maximum rows per row group; a file the flush policy sizes sensibly has one row group.
   * Env `FLOE_PARQUET_ROW_GROUP_ROWS`.
   * @default 1048576
   */
  rowGroupRows?: number;
  /**
   * Level entries per data page at most (a page also ends at 1 MiB of values). Each page costs a
   * fixed ~30-40 µs to compress whatever its size; 20,000, the row limit of arrow-rs and
   * parquet-mr, suits readers that use a page index (Floe writes none). Env `FLOE_PARQUET_PAGE_ENTRIES`.
   * @default 131072
   */
  pageEntries?: number;
  /**
   * Code points (string) or bytes (binary) kept in lower/upper bounds, as Iceberg's
   * `write.metadata.metrics.default = truncate(N)`. Env `FLOE_PARQUET_BOUND_TRUNCATE_LENGTH`.
   * @default 16
   */
  boundTruncateLength?: number;
}

export type ResolvedParquetFileOptions = Required<ParquetFileOptions>;

export const defaultParquetFileOptions: ResolvedParquetFileOptions = {
  compression: 'zstd',
  rowGroupRows: 1_048_576,
  pageEntries: PAGE_ENTRIES,
  boundTruncateLength: DEFAULT_BOUND_TRUNCATE_LENGTH,
};

const COMPRESSIONS: readonly ParquetCompression[] = ['zstd', 'snappy', 'uncompressed'];

/** Validates options and fills defaults; problems are reported under `path`. */
export function resolveParquetFileOptions(options: ParquetFileOptions = {}, path = 'parquet'): ResolvedParquetFileOptions {
  const issues: ConfigIssue[] = [];
  const out = { ...defaultParquetFileOptions };
  if (options.compression !== undefined) {
    if (COMPRESSIONS.includes(options.compression)) out.compression = options.compression;
    else issues.push({ path: `${path}.compression`, message: `must be one of ${COMPRESSIONS.join(', ')}, got ${JSON.stringify(options.compression)}` });
  }
  if (options.rowGroupRows !== undefined) {
    if (Number.isSafeInteger(options.rowGroupRows) && options.rowGroupRows >= 1) out.rowGroupRows = options.rowGroupRows;
    else issues.push({ path: `${path}.rowGroupRows`, message: `must be a positive integer, got ${JSON.stringify(options.rowGroupRows)}` });
  }
  if (options.pageEntries !== undefined) {
    if (Number.isSafeInteger(options.pageEntries) && options.pageEntries >= 1 && options.pageEntries <= 2 ** 31 - 1) out.pageEntries = options.pageEntries;
    else issues.push({ path: `${path}.pageEntries`, message: `must be an integer from 1 to 2147483647, got ${JSON.stringify(options.pageEntries)}` });
  }
  if (options.boundTruncateLength !== undefined) {
    if (Number.isSafeInteger(options.boundTruncateLength) && options.boundTruncateLength >= 1) out.boundTruncateLength = options.boundTruncateLength;
    else issues.push({ path: `${path}.boundTruncateLength`, message: `must be a positive integer, got ${JSON.stringify(options.boundTruncateLength)}` });
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return out;
}

/** The environment variable of each option. */
const OPTION_ENV: Record<keyof ParquetFileOptions, string> = {
  compression: 'FLOE_PARQUET_COMPRESSION',
  rowGroupRows: 'FLOE_PARQUET_ROW_GROUP_ROWS',
  pageEntries: 'FLOE_PARQUET_PAGE_ENTRIES',
  boundTruncateLength: 'FLOE_PARQUET_BOUND_TRUNCATE_LENGTH',
};

/**
 * Checks the `FLOE_PARQUET_*` variables (at the agent's start): null when they are right, or a
 * message naming every one that is wrong and the value it holds.
 */
export function checkParquetEnv(env: NodeJS.ProcessEnv = process.env): string | null {
  try {
    resolveParquetFileOptions(parquetOptionsFromEnv(env), '');
    return null;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.issues
      .map((i) => {
        // resolveParquetFileOptions names the option (`.rowGroupRows`) and the number it was given.
        const name = OPTION_ENV[i.path.slice(1) as keyof ParquetFileOptions] ?? i.path;
        return `${name} ${i.message.replace(/, got .*$/, '')}, got ${JSON.stringify(env[name] ?? null)}`;
      })
      .join('; ');
  }
}

/** Options from `FLOE_PARQUET_*` environment variables (unset or empty ones are left out). */
export function parquetOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): ParquetFileOptions {
  const options: Record<string, string | number> = {};
  for (const [key, name] of Object.entries(OPTION_ENV)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    options[key] = key === 'compression' ? raw : Number(raw);
  }
  return options as ParquetFileOptions;
}

/**
 * Iceberg column statistics of a data file, keyed by field id (leaf fields only), in the units
 * the manifest's data_file uses, plus the raw min/max Values for Delta statistics.
 */
export interface ParquetFileStats {
  /** Compressed bytes of each leaf column (summed over row groups, page headers included). */
  columnSizes: Map<number, bigint>;
  /** Parquet level entries per leaf: includes nulls, and one entry per null or empty list/map. */
  valueCounts: Map<number, bigint>;
  nullValueCounts: Map<number, bigint>;
  /** float and double leaves only. */
  nanValueCounts: Map<number, bigint>;
  /** Iceberg single-value serialization; strings and binary truncated to `boundTruncateLength`. */
  lowerBounds: Map<number, Uint8Array>;
  /** As lowerBounds; absent for a column whose truncated upper bound cannot be incremented. */
  upperBounds: Map<number, Uint8Array>;
  /** Start offset of each row group, ascending. */
  splitOffsets?: bigint[];
  /** Untruncated smallest value of each bounded leaf (primitive, not inside a list or map). */
  minValues: Map<number, Value>;
  maxValues: Map<number, Value>;
}

export interface ParquetFileResult {
  bytes: Uint8Array;
  recordCount: number;
  stats: ParquetFileStats;
  /** estimatedBytes when finish() began: with bytes.length, the compression ratio a flush policy can learn. */
  estimatedBytes: number;
}

const CREATED_BY = 'floe version 0.1.0';

/** `ARROW:schema` of each table schema: the Arrow IPC schema message, base64 (as arrow-rs writes it). */
const arrowSchemaMetadata = new WeakMap<Schema, string>();

function arrowSchemaBase64(schema: Schema): string {
  let value = arrowSchemaMetadata.get(schema);
  if (value === undefined) {
    // A stream of no batches is the schema message (continuation, length, flatbuffer) and the
    // 8-byte end-of-stream marker, which the footer value leaves out.
    const stream = arrow.tableToIPC(new arrow.Table(toArrowSchema(schema)), 'stream');
    value = Buffer.from(stream.subarray(0, stream.length - 8)).toString('base64');
    arrowSchemaMetadata.set(schema, value);
  }
  return value;
}

export class ParquetFileBuilder {
  readonly schema: Schema;
  readonly options: ResolvedParquetFileOptions;
  private readonly columns: Column[];
  private readonly names: string[];
  private readonly leaves: Leaf[] = [];
  private rows = 0;
  private state: 'open' | 'finished' | 'poisoned' = 'open';
  private poison: unknown;

  constructor(schema: Schema, options: ParquetFileOptions = {}) {
    this.schema = schema;
    this.options = resolveParquetFileOptions(options);
    this.names = schema.fields.map((f) => f.name);
    this.columns = schema.fields.map((f) => makeColumn(f.id, f.type, !f.required, true, this.leaves));
  }

  /** Rows appended so far. */
  get recordCount(): number {
    return this.rows;
  }

  /**
   * Bytes of Arrow column buffers in use so far (about the Arrow IPC size; allocated capacity is
   * up to twice this). O(columns) per call. Parquet output is typically many times smaller.
   */
  get estimatedBytes(): number {
    let n = 0;
    for (const c of this.columns) n += c.byteSize();
    return n;
  }

  append(row: Row): void {
    if (this.state !== 'open') throw this.closedError();
    const columns = this.columns;
    const names = this.names;
    try {
      for (let c = 0; c < columns.length; c++) columns[c].append(row[names[c]]);
    } catch (err) {
      this.state = 'poisoned';
      this.poison = err;
      throw err;
    }
    this.rows++;
  }

  /**
   * Appends one row whose slots `fill` writes straight into the top-level columns (schema order),
   * exactly one slot each: the decoders' fast path, with no row object. `fill` returns false to
   * decline the row: whatever it appended of it is dropped (Column.truncate). A throw poisons the
   * builder as a failed append() does. A column with a slot too many or too few after accepted
   * rows is refused by finish(), which checks them all once instead of per row.
   */
  appendWith(fill: (columns: readonly Column[]) => boolean): boolean {
    if (this.state !== 'open') throw this.closedError();
    const columns = this.columns;
    try {
      if (fill(columns)) {
        this.rows++;
        return true;
      }
      for (let c = 0; c < columns.length; c++) columns[c].truncate(this.rows);
      return false;
    } catch (err) {
      this.state = 'poisoned';
      this.poison = err;
      throw err;
    }
  }

  /**
   * Appends `count` rows that `fill` writes into the top-level columns in bulk, exactly `count`
   * slots each (the Avro stage's flush, decode/avro-wasm.ts). A throw poisons the builder as a
   * failed append() does; misaligned columns are refused by finish(), as after appendWith.
   */
  appendRows(count: number, fill: (columns: readonly Column[]) => void): void {
    if (this.state !== 'open') throw this.closedError();
    try {
      fill(this.columns);
    } catch (err) {
      this.state = 'poisoned';
      this.poison = err;
      throw err;
    }
    this.rows += count;
  }

  /** Empties the builder for a new file of the same schema, keeping the column buffers' capacity. */
  reset(): this {
    for (const c of this.columns) c.clear();
    this.rows = 0;
    this.state = 'open';
    this.poison = undefined;
    return this;
  }

  /** Every top-level column has one slot per row (the direct appends' contract). */
  private assertAligned(after: string): void {
    const columns = this.columns;
    for (let c = 0; c < columns.length; c++) {
      if (columns[c].length !== this.rows) {
        throw new Error(`column ${this.names[c]} has ${columns[c].length} slots after ${after}, expected ${this.rows}`);
      }
    }
  }

  finish(): ParquetFileResult {
    if (this.state !== 'open') throw this.closedError();
    try {
      this.assertAligned(`${this.rows} rows`);
    } catch (err) {
      this.state = 'poisoned';
      this.poison = err;
      throw err;
    }
    this.state = 'finished';
    const estimatedBytes = this.estimatedBytes;
    const file = new ParquetEncoder(this.options.compression).encode(this.schema, this.columns, this.leaves, this.rows, {
      rowGroupRows: this.options.rowGroupRows,
      pageEntries: this.options.pageEntries,
      keyValues: [['ARROW:schema', arrowSchemaBase64(this.schema)]],
      createdBy: CREATED_BY,
    });
    return { bytes: file.bytes, recordCount: this.rows, stats: this.collectStats(file), estimatedBytes };
  }

  private collectStats(file: EncodedFile): ParquetFileStats {
    const stats: ParquetFileStats = {
      columnSizes: new Map(),
      valueCounts: new Map(),
      nullValueCounts: new Map(),
      nanValueCounts: new Map(),
      lowerBounds: new Map(),
      upperBounds: new Map(),
      minValues: new Map(),
      maxValues: new Map(),
    };
    const truncate = this.options.boundTruncateLength;
    this.leaves.forEach((leaf, i) => {
      const id = leaf.fieldId;
      const summary = file.leaves[i];
      stats.columnSizes.set(id, BigInt(summary.compressedSize));
      stats.valueCounts.set(id, BigInt(summary.entries));
      stats.nullValueCounts.set(id, BigInt(summary.nulls));
      if (leaf.type === 'float' || leaf.type === 'double') stats.nanValueCounts.set(id, BigInt(leaf.nans));
      if (summary.min === undefined || summary.max === undefined) return;
      stats.minValues.set(id, summary.min);
      stats.maxValues.set(id, summary.max);
      const type: PrimitiveType = leaf.type;
      stats.lowerBounds.set(id, serializeBound(type, truncateLowerBound(type, summary.min, truncate)));
      const upper = truncateUpperBound(type, summary.max, truncate);
      if (upper !== null) stats.upperBounds.set(id, serializeBound(type, upper));
    });
    if (this.rows > 0) stats.splitOffsets = file.rowGroupOffsets.map(BigInt);
    return stats;
  }

  private closedError(): Error {
    if (this.state === 'poisoned') {
      return new FloeError('FLOE_SCHEMA_INVALID', 'this Parquet file builder was poisoned by a row that failed to append; build the file again without it', { cause: this.poison });
    }
    return new Error('this Parquet file builder is already finished');
  }
}
