// Continuous incremental compaction: plan (plan.ts) over the live files of each partition, merge
// each group into new files (rewrite.ts), and commit the merges with ReplaceFiles.
//
// Rows are never lost or doubled: a merge's output holds exactly its inputs' rows (counted, and
// checked before committing), and ReplaceFiles swaps inputs for outputs in one snapshot. A
// concurrent ingestion commit makes the commit reload and re-apply on the fresh metadata (the
// inputs are still live, new files stay). If an input is no longer live (another maintainer got
// there first), the commit is refused: the merges whose inputs are all still live are committed
// on their own, the others' outputs are deleted and their partitions planned again next pass.

import { CommitRefused, currentSnapshot, defaultSpec, type DataFile, type ManifestEntry, type PartitionSpec, type PartitionValues, type TableMetadata } from '../iceberg/index.ts';
import { ReplaceFiles } from '../iceberg/index.ts';
import { FloeError } from '../errors.ts';
import { MAINTENANCE_COMMIT, type StepContext } from './context.ts';
import { backlogOf, planPartition, type CandidateFile, type MergeGroup } from './plan.ts';
import { discardOutputs, rewriteFiles, SourceVanished } from './rewrite.ts';

export interface CompactionReport {
  /** Live data files before the pass. */
  dataFiles: number;
  /** Of those, files below the small threshold. */
  backlogFiles: number;
  groupsPlanned: number;
  groupsCommitted: number;
  /** Groups dropped because an input was replaced concurrently. */
  groupsDropped: number;
  filesCompacted: number;
  filesWritten: number;
  bytesRead: number;
  bytesWritten: number;
  commits: number;
  /** Commit attempts that lost the race to a concurrent commit (and were re-applied). */
  conflicts: number;
}

interface Candidate extends CandidateFile {
  file: DataFile;
}

interface Merge {
  inputs: DataFile[];
  outputs: DataFile[];
  bytesRead: number;
  bytesWritten: number;
}

const HOUR_MS = 3_600_000;

function partitionKey(p: PartitionValues): string {
  return JSON.stringify(Object.entries(p).sort(([a], [b]) => (a < b ? -1 : 1)), (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
}

/** The hour a partition covers (hour-partitioned tables), or null. */
export function partitionHour(spec: PartitionSpec, p: PartitionValues): number | null {
  const f = spec.fields.find((x) => x.transform === 'hour');
  if (!f || spec.fields.length !== 1) return null;
  const v = p[f.name];
  return typeof v === 'number' ? v : null;
}

/** Live entries of the current snapshot, grouped by partition (default spec only). */
export function livePartitions(spec: PartitionSpec, entries: readonly ManifestEntry[]): Map<string, { partition: PartitionValues; entries: ManifestEntry[] }> {
  const names = spec.fields.map((f) => f.name).sort().join(',');
  const out = new Map<string, { partition: PartitionValues; entries: ManifestEntry[] }>();
  for (const e of entries) {
    if (e.dataFile.content !== 0) continue;
    // Files of another (older) spec are left alone: merging must not mix partitionings.
    if (Object.keys(e.dataFile.partition).sort().join(',') !== names) continue;
    const k = partitionKey(e.dataFile.partition);
    let slot = out.get(k);
    if (!slot) out.set(k, (slot = { partition: e.dataFile.partition, entries: [] }));
    slot.entries.push(e);
  }
  return out;
}

export async function compact(ctx: StepContext): Promise<CompactionReport> {
  const { table, settings, tuning } = ctx;
  const report: CompactionReport = {
    dataFiles: 0,
    backlogFiles: 0,
    groupsPlanned: 0,
    groupsCommitted: 0,
    groupsDropped: 0,
    filesCompacted: 0,
    filesWritten: 0,
    bytesRead: 0,
    bytesWritten: 0,
    commits: 0,
    conflicts: 0,
  };
  const md = await table.refresh();
  if (!currentSnapshot(md)) return report;
  const spec = defaultSpec(md);
  const entries = await table.liveEntries(currentSnapshot(md));
  const opts = { targetBytes: settings.target_file_size_bytes, fanout: tuning.fanout };
  const now = ctx.now();
  const retentionCutoff = settings.retention_seconds === undefined ? null : now - settings.retention_seconds * 1000;

  const groups: { group: MergeGroup<Candidate>; partition: PartitionValues }[] = [];
  for (const { partition, entries: files } of livePartitions(spec, entries).values()) {
    const candidates: Candidate[] = files.map((e) => ({
      path: e.dataFile.filePath,
      sizeBytes: Number(e.dataFile.fileSizeInBytes),
      sequenceNumber: e.sequenceNumber ?? 0,
      file: e.dataFile,
    }));
    report.dataFiles += candidates.length;
    report.backlogFiles += backlogOf(candidates, opts);
    const hour = partitionHour(spec, partition);
    // Retention is about to drop this partition: merging it would be wasted work.
    if (hour !== null && retentionCutoff !== null && (hour + 1) * HOUR_MS <= retentionCutoff) continue;
    const sealed = hour !== null && (hour + 1) * HOUR_MS + tuning.sealAfterMs <= now;
    for (const group of planPartition(candidates, { ...opts, sealed })) groups.push({ group, partition });
  }
  report.groupsPlanned = groups.length;
  ctx.metrics.dataFiles.set({ table_name: ctx.tableName }, report.dataFiles);
  ctx.metrics.compactionBacklog.set({ table_name: ctx.tableName }, report.backlogFiles);
  if (groups.length === 0) return report;

  // Oldest data first: it is the least likely to be joined by more files of its tier.
  groups.sort((a, b) => a.group.files[0].sequenceNumber - b.group.files[0].sequenceNumber);
  const commitBytes = Math.max(2 * settings.target_file_size_bytes, 1);
  let budget = tuning.maxPassBytes;
  let pending: Merge[] = [];
  let pendingBytes = 0;

  try {
    for (const { group, partition } of groups) {
      if (budget <= 0) break;
      ctx.check('compacting');
      budget -= group.bytes;
      const inputs = group.files.map((c) => c.file);
      let merge: Merge;
      try {
        const r = await rewriteFiles(table, md, inputs, partition, { bufferBytes: tuning.rewriteBufferBytes, check: ctx.check });
        const expected = inputs.reduce((n, f) => n + f.recordCount, 0n);
        if (r.rowsIn !== expected || r.rowsOut !== expected) {
          await discardOutputs(table, r.outputs);
          throw new FloeError('FLOE_TABLE_CORRUPT', `compaction read ${r.rowsIn} and wrote ${r.rowsOut} rows for inputs recording ${expected}`);
        }
        merge = { inputs, outputs: r.outputs, bytesRead: r.bytesRead, bytesWritten: r.bytesWritten };
      } catch (err) {
        if (!(err instanceof SourceVanished)) throw err;
        ctx.log.info('compaction input vanished; the partition is planned again next pass', { table: ctx.tableName, error: err });
        report.groupsDropped++;
        continue;
      }
      pending.push(merge);
      pendingBytes += merge.bytesRead;
      if (pendingBytes >= commitBytes) {
        await commitMerges(ctx, pending, report);
        pending = [];
        pendingBytes = 0;
      }
    }
    if (pending.length > 0) await commitMerges(ctx, pending, report);
  } catch (err) {
    if (err instanceof OutcomeUnknown) throw err.cause;
    // Merges not committed (lease lost, error): their outputs are referenced by nothing.
    await discardOutputs(table, pending.flatMap((m) => m.outputs));
    throw err;
  }
  return report;
}

/** A commit failed in a way that leaves open whether it landed: its files must stay. */
class OutcomeUnknown extends Error {
  constructor(cause: unknown) {
    super('commit outcome unknown', { cause });
  }
}

async function commitMerges(ctx: StepContext, merges: Merge[], report: CompactionReport): Promise<void> {
  const { table } = ctx;
  let batch = merges;
  for (let round = 0; round < 2 && batch.length > 0; round++) {
    ctx.check('committing a compaction');
    const action = new ReplaceFiles(
      batch.flatMap((m) => m.inputs),
      batch.flatMap((m) => m.outputs),
      { 'floe.maintenance': 'compaction' },
    );
    try {
      const r = await table.commit(action, MAINTENANCE_COMMIT);
      report.conflicts += r.conflicts;
    } catch (err) {
      // Outcome unknown (the commit may have landed): leave the outputs to orphan cleanup.
      if (!(err instanceof CommitRefused)) throw new OutcomeUnknown(err);
      // Some input is no longer live: keep the merges whose inputs all are, drop the rest.
      const md: TableMetadata = await table.refresh();
      const live = new Set((await table.liveFiles(currentSnapshot(md))).map((f) => f.filePath));
      const ok = batch.filter((m) => m.inputs.every((f) => live.has(table.io.resolve(f.filePath))));
      const dropped = batch.filter((m) => !ok.includes(m));
      await discardOutputs(table, dropped.flatMap((m) => m.outputs));
      report.groupsDropped += dropped.length;
      ctx.log.info('compaction inputs replaced concurrently; committing the merges still valid', {
        table: ctx.tableName,
        kept: ok.length,
        dropped: dropped.length,
      });
      batch = ok;
      if (round === 1) {
        await discardOutputs(table, batch.flatMap((m) => m.outputs));
        report.groupsDropped += batch.length;
      }
      continue;
    }
    const filesIn = batch.reduce((n, m) => n + m.inputs.length, 0);
    const filesOut = batch.reduce((n, m) => n + m.outputs.length, 0);
    const read = batch.reduce((n, m) => n + m.bytesRead, 0);
    const written = batch.reduce((n, m) => n + m.bytesWritten, 0);
    report.commits++;
    report.groupsCommitted += batch.length;
    report.filesCompacted += filesIn;
    report.filesWritten += filesOut;
    report.bytesRead += read;
    report.bytesWritten += written;
    const labels = { table_name: ctx.tableName };
    ctx.metrics.filesCompacted.inc(labels, filesIn);
    ctx.metrics.compactionFilesWritten.inc(labels, filesOut);
    ctx.metrics.bytesRewritten.inc({ ...labels, reason: 'compaction' }, written);
    ctx.metrics.bytesRead.inc({ ...labels, reason: 'compaction' }, read);
    break;
  }
}
