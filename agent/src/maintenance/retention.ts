// Retention: rows whose Kafka timestamp (`_kafka_timestamp`) is older than the table's
// `retention_seconds` are removed.
//
// - Hour-partitioned tables: a partition whose whole hour lies before the cutoff is dropped by
//   metadata alone (one delete snapshot removing its files; nothing is read or written). Rows of
//   the partition the cutoff falls into stay until that hour has passed entirely.
// - Otherwise: a file whose upper bound lies before the cutoff is dropped whole; a file that
//   straddles the cutoff is rewritten without its old rows. So that a straddling file is not
//   rewritten on every pass as the cutoff creeps forward, it is only rewritten once its lower
//   bound is older than the cutoff by a slack of min(1 hour, retention / 10).
// The Kafka offsets recorded in the table are unchanged (ReplaceFiles copies them forward), so
// removed rows are never ingested again.

import { CommitRefused, ReplaceFiles, currentSchema, currentSnapshot, defaultSpec, type DataFile } from '../iceberg/index.ts';
import { KAFKA_TIMESTAMP_COLUMN } from '../ingest/tables.ts';
import { deserializeBound } from '../schema/bounds.ts';
import { MAINTENANCE_COMMIT, type StepContext } from './context.ts';
import { livePartitions, partitionHour } from './compact.ts';
import { discardOutputs, rewriteFiles, SourceVanished } from './rewrite.ts';

export interface RetentionReport {
  cutoffMs: number;
  /** Files removed whole (by metadata). */
  filesDropped: number;
  /** Files rewritten without their old rows. */
  filesRewritten: number;
  rowsDropped: number;
  bytesWritten: number;
  partitionsDropped: number;
  commits: number;
}

const HOUR_MS = 3_600_000;

function boundMicros(bounds: Map<number, Uint8Array> | null, id: number): bigint | null {
  const b = bounds?.get(id);
  if (!b) return null;
  const v = deserializeBound('timestamptz', b);
  return typeof v === 'bigint' ? v : null;
}

export async function enforceRetention(ctx: StepContext): Promise<RetentionReport | null> {
  const seconds = ctx.settings.retention_seconds;
  if (seconds === undefined) return null;
  const { table } = ctx;
  const cutoffMs = ctx.now() - seconds * 1000;
  const report: RetentionReport = { cutoffMs, filesDropped: 0, filesRewritten: 0, rowsDropped: 0, bytesWritten: 0, partitionsDropped: 0, commits: 0 };
  const md = await table.refresh();
  const snapshot = currentSnapshot(md);
  if (!snapshot) return report;
  const spec = defaultSpec(md);
  const schema = currentSchema(md);
  const ts = schema.fields.find((f) => f.name === KAFKA_TIMESTAMP_COLUMN);
  if (!ts || (ts.type !== 'timestamptz' && ts.type !== 'timestamp')) {
    ctx.log.warn('retention is configured but the table has no _kafka_timestamp column; nothing removed', { table: ctx.tableName });
    return report;
  }
  const partitions = livePartitions(spec, await table.liveEntries(snapshot));
  const hourPartitioned = spec.fields.length === 1 && spec.fields[0].transform === 'hour' && spec.fields[0]['source-id'] === ts.id;

  const drop: DataFile[] = [];
  const rewrite: { file: DataFile; partition: DataFile['partition'] }[] = [];
  const cutoffMicros = BigInt(cutoffMs) * 1000n;
  const slackMicros = BigInt(Math.min(HOUR_MS, Math.floor((seconds * 1000) / 10))) * 1000n;
  for (const { partition, entries } of partitions.values()) {
    const hour = hourPartitioned ? partitionHour(spec, partition) : null;
    if (hour !== null) {
      if ((hour + 1) * HOUR_MS <= cutoffMs) {
        drop.push(...entries.map((e) => e.dataFile));
        report.partitionsDropped++;
      }
      continue;
    }
    for (const e of entries) {
      const f = e.dataFile;
      const upper = boundMicros(f.upperBounds, ts.id);
      const lower = boundMicros(f.lowerBounds, ts.id);
      if (upper !== null && upper < cutoffMicros) drop.push(f);
      else if (lower === null || lower < cutoffMicros - slackMicros) rewrite.push({ file: f, partition });
    }
  }
  if (drop.length === 0 && rewrite.length === 0) return report;

  const added: DataFile[] = [];
  const removed: DataFile[] = [...drop];
  let rowsDropped = drop.reduce((n, f) => n + Number(f.recordCount), 0);
  let committing = false;
  try {
    for (const { file, partition } of rewrite) {
      ctx.check('rewriting for retention');
      let r;
      try {
        r = await rewriteFiles(table, md, [file], partition, {
          keep: (row) => (row[ts.name] as bigint) >= cutoffMicros,
          bufferBytes: ctx.tuning.rewriteBufferBytes,
          check: ctx.check,
        });
      } catch (err) {
        if (err instanceof SourceVanished) continue;
        throw err;
      }
      if (r.rowsOut === r.rowsIn) {
        await discardOutputs(table, r.outputs); // nothing old in it after all (no bounds)
        continue;
      }
      removed.push(file);
      added.push(...r.outputs);
      rowsDropped += Number(r.rowsIn - r.rowsOut);
      report.bytesWritten += r.bytesWritten;
      report.filesRewritten++;
    }
    if (removed.length === 0) return report;
    ctx.check('committing retention');
    committing = true;
    await table.commit(new ReplaceFiles(removed, added, { 'floe.maintenance': 'retention' }), MAINTENANCE_COMMIT);
  } catch (err) {
    // Refused (a file was replaced concurrently) or failed before committing: the outputs are
    // referenced by nothing. Other commit errors leave them to orphan cleanup (it may have landed).
    if (!committing || err instanceof CommitRefused) await discardOutputs(table, added);
    if (err instanceof CommitRefused) {
      ctx.log.info('retention commit refused (files replaced concurrently); retrying next pass', { table: ctx.tableName, error: err });
      return { ...report, filesRewritten: 0, bytesWritten: 0 };
    }
    throw err;
  }
  report.commits = 1;
  report.filesDropped = drop.length;
  report.rowsDropped = rowsDropped;
  const labels = { table_name: ctx.tableName };
  ctx.metrics.retentionFilesDropped.inc(labels, removed.length);
  ctx.metrics.retentionRowsDropped.inc(labels, rowsDropped);
  ctx.metrics.bytesRewritten.inc({ ...labels, reason: 'retention' }, report.bytesWritten);
  return report;
}
