// Snapshot expiry: commit ExpireSnapshots (iceberg/expire.ts), then delete the manifest lists,
// manifests and data files that only the expired snapshots referenced.
//
// What is deleted is computed after the commit, from the metadata it produced: candidates are the
// files the removed snapshots mention (any manifest entry, live or deleted), minus everything the
// retained snapshots reference (their lists, manifests and live files). A later commit can only
// build on the retained current snapshot, so it never brings a candidate back. An interrupted
// deletion leaves files nothing references: orphan cleanup removes them later.

import { ExpireSnapshots, planSnapshotExpiry, type Snapshot } from '../iceberg/index.ts';
import { MAINTENANCE_COMMIT, deleteKeys, type StepContext } from './context.ts';
import { ManifestReader, filesOf, reachableFiles } from './reachable.ts';

export interface ExpiryReport {
  snapshotsBefore: number;
  snapshotsExpired: number;
  dataFilesDeleted: number;
  manifestsDeleted: number;
  manifestListsDeleted: number;
}

export async function expireSnapshots(ctx: StepContext): Promise<ExpiryReport> {
  const { table, settings } = ctx;
  const before = await table.refresh();
  const report: ExpiryReport = { snapshotsBefore: before.snapshots.length, snapshotsExpired: 0, dataFilesDeleted: 0, manifestsDeleted: 0, manifestListsDeleted: 0 };
  const nowMs = ctx.now();
  const options = {
    olderThanMs: nowMs - settings.snapshot_max_age_seconds * 1000,
    retainLast: settings.snapshots_min_keep,
    nowMs,
  };
  if (planSnapshotExpiry(before, options).expired.length === 0) return report;

  ctx.check('expiring snapshots');
  const result = await table.commit(new ExpireSnapshots(options), MAINTENANCE_COMMIT);
  const after = result.metadata;
  const kept = new Set(after.snapshots.map((s) => s['snapshot-id']));
  // Everything known to have existed and now gone: what this commit (or a lost-then-landed
  // attempt) expired. Snapshots committed after `before` are all retained.
  const gone: Snapshot[] = before.snapshots.filter((s) => !kept.has(s['snapshot-id']));
  report.snapshotsExpired = gone.length;
  ctx.metrics.snapshotsExpired.inc({ table_name: ctx.tableName }, gone.length);
  if (gone.length === 0) return report;

  const reader = new ManifestReader(table.io);
  const keep = await reachableFiles(reader, after);
  const expired = await filesOf(reader, gone, { liveOnly: false, tolerateMissing: true });
  const dataFiles = [...expired.dataFiles].filter((k) => !keep.dataFiles.has(k));
  const manifests = [...expired.manifests].filter((k) => !keep.manifests.has(k));
  const lists = [...expired.manifestLists].filter((k) => !keep.manifestLists.has(k));
  // Data first, lists last: an interruption leaves nothing that points at a deleted file unless it
  // is itself unreferenced.
  await deleteKeys(ctx, dataFiles, 'deleting expired data files');
  await deleteKeys(ctx, manifests, 'deleting expired manifests');
  await deleteKeys(ctx, lists, 'deleting expired manifest lists');
  report.dataFilesDeleted = dataFiles.length;
  report.manifestsDeleted = manifests.length;
  report.manifestListsDeleted = lists.length;
  const labels = { table_name: ctx.tableName };
  ctx.metrics.expiredFilesDeleted.inc({ ...labels, kind: 'data' }, dataFiles.length);
  ctx.metrics.expiredFilesDeleted.inc({ ...labels, kind: 'manifest' }, manifests.length);
  ctx.metrics.expiredFilesDeleted.inc({ ...labels, kind: 'manifest-list' }, lists.length);
  return report;
}
