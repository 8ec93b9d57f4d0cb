// Rewriting data files: read their rows (rows.ts), optionally keep only some, and write them into
// new files of the table's current schema in the same partition, the way the ingest sink names
// and describes its files (`data/[<partition>/]<time36>-<uuid>.parquet`, stats from the writer).
// Writers do not commit: the result is a list of uploaded files for the step to commit, and on
// any error the files uploaded so far are deleted again.

import { randomUUID } from 'node:crypto';
import { FloeError } from '../errors.ts';
import {
  currentSchema,
  dataFileFromParquet,
  defaultSpec,
  partitionPath,
  type DataFile,
  type PartitionValues,
  type TableMetadata,
} from '../iceberg/index.ts';
import { ParquetFileBuilder, parquetOptionsFromEnv, type ParquetFileResult } from '../parquet/writer.ts';
import type { Row } from '../schema/types.ts';
import type { IcebergTable } from '../iceberg/index.ts';
import { forEachRow } from './rows.ts';

/** A file to rewrite disappeared: another maintainer (or retention) replaced it first. */
export class SourceVanished extends FloeError {
  constructor(message: string) {
    super('FLOE_COMMIT_FAILED', message);
    this.name = 'SourceVanished';
  }
}

export interface RewriteResult {
  outputs: DataFile[];
  rowsIn: bigint;
  rowsOut: bigint;
  bytesRead: number;
  bytesWritten: number;
}

export interface RewriteOptions {
  /** Keep only the rows this accepts. @default every row */
  keep?: (row: Row) => boolean;
  /** Roll to a new output file past this many Arrow bytes in memory. */
  bufferBytes: number;
  /** Stops between input files (throws). */
  check?: (what: string) => void;
}

const CHECK_EVERY_ROWS = 4096;

/**
 * Rewrites `inputs` (all of one partition) into new files under the table. The rows keep the
 * inputs' order. Returns no outputs when no row is kept.
 */
export async function rewriteFiles(
  table: IcebergTable,
  md: TableMetadata,
  inputs: readonly DataFile[],
  partition: PartitionValues,
  opts: RewriteOptions,
): Promise<RewriteResult> {
  const schema = currentSchema(md);
  const spec = defaultSpec(md);
  const parquetOptions = parquetOptionsFromEnv();
  const dir = partitionPath(spec, partition);
  const outputs: DataFile[] = [];
  const result: RewriteResult = { outputs, rowsIn: 0n, rowsOut: 0n, bytesRead: 0, bytesWritten: 0 };
  let builder = new ParquetFileBuilder(schema, parquetOptions);
  let finished: ParquetFileResult[] = [];
  let sinceCheck = 0;

  const roll = (): void => {
    if (builder.recordCount === 0) return;
    finished.push(builder.finish());
    builder = new ParquetFileBuilder(schema, parquetOptions);
  };
  const upload = async (): Promise<void> => {
    const done = finished;
    finished = [];
    for (const out of done) {
      const rel = `data/${dir ? `${dir}/` : ''}${Date.now().toString(36)}-${randomUUID()}.parquet`;
      const key = table.io.key(rel);
      outputs.push(dataFileFromParquet(table.io.uriOfKey(key), out.bytes.byteLength, out.stats, partition, out.recordCount));
      await table.store.put(key, out.bytes); // listed in outputs first: a failed upload is cleaned up too
      result.bytesWritten += out.bytes.byteLength;
    }
  };

  try {
    for (const input of inputs) {
      opts.check?.('reading a file to rewrite');
      const key = table.io.keyOfUri(input.filePath);
      const bytes = await table.store.get(key);
      if (bytes === null) throw new SourceVanished(`data file ${input.filePath} disappeared before it was rewritten`);
      result.bytesRead += bytes.byteLength;
      const n = forEachRow(bytes, schema, input.filePath, (row) => {
        if (opts.keep && !opts.keep(row)) return;
        builder.append(row);
        result.rowsOut++;
        if (++sinceCheck >= CHECK_EVERY_ROWS) {
          sinceCheck = 0;
          if (builder.estimatedBytes >= opts.bufferBytes) roll();
        }
      });
      if (BigInt(n) !== input.recordCount) {
        throw new FloeError('FLOE_TABLE_CORRUPT', `data file ${input.filePath} holds ${n} rows, its manifest entry says ${input.recordCount}`);
      }
      result.rowsIn += BigInt(n);
      await upload();
    }
    roll();
    await upload();
    return result;
  } catch (err) {
    await discardOutputs(table, outputs);
    throw err;
  }
}

/** Deletes uploaded files that will not be committed (best effort: orphan cleanup is the backstop). */
export async function discardOutputs(table: IcebergTable, files: readonly DataFile[]): Promise<void> {
  if (files.length === 0) return;
  const keys: string[] = [];
  for (const f of files) {
    try {
      keys.push(table.io.keyOfUri(f.filePath));
    } catch {
      // not in this store: nothing of ours
    }
  }
  await table.store.delete(keys).catch(() => {});
}
