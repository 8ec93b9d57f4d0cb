// Orphan cleanup: files under the table that no retained metadata references, older than the
// safety window, are deleted. They come from uploads whose commit never happened (a killed
// agent, a refused batch, a lost race) and from interrupted expiry.
//
// Order matters: the listing is taken first and the metadata loaded after it, so every file the
// listing shows that a commit references is referenced by metadata at least as new as the listing.
// Files younger than the window are never touched: an upload whose commit is still in flight is
// young. Only these are ever deleted:
//   data/**                        data files no retained snapshot has live
//   metadata/*.avro                manifests and manifest lists no retained snapshot uses
//   metadata/v<N>.metadata.json    only with tuning.deleteOldMetadata, only N below every version
//                                  of the metadata log, and only once v<N+1> is itself older than
//                                  the window (so no writer can still be committing on top of v<N>)
// Never: metadata/version-hint.text, anything else under metadata/, `_delta_log/` (the Delta
// projection owns it), `_floe/` (leases), or any other path.

import type { ObjectInfo } from '../store/store.ts';
import { deleteKeys, type StepContext } from './context.ts';
import { ManifestReader, reachableFiles } from './reachable.ts';

export interface OrphanReport {
  scanned: number;
  deleted: number;
  bytesDeleted: number;
  /** Unreferenced files spared because they are younger than the window. */
  young: number;
  deletedKeys: string[];
}

const VERSION_FILE = /^v(\d+)\.metadata\.json$/;

export async function removeOrphans(ctx: StepContext): Promise<OrphanReport> {
  const { table, settings, tuning } = ctx;
  const io = table.io;
  const root = io.key('');
  const listing: ObjectInfo[] = [];
  for await (const o of table.store.list(root)) listing.push(o);

  const md = await table.current(); // after the listing, by listing: the newest version
  const version = table.version;
  const reader = new ManifestReader(io);
  const keep = await reachableFiles(reader, md);
  const olderThan = ctx.now() - settings.orphan_min_age_seconds * 1000;

  // Metadata versions still in use: the current one and those its metadata log names.
  let oldestLogged = version;
  for (const e of md['metadata-log']) {
    const m = VERSION_FILE.exec(e['metadata-file'].slice(e['metadata-file'].lastIndexOf('/') + 1));
    if (m) oldestLogged = Math.min(oldestLogged, Number(m[1]));
  }
  const versionAge = new Map<number, number>();
  for (const o of listing) {
    const rel = o.key.slice(root.length);
    const m = rel.startsWith('metadata/') ? VERSION_FILE.exec(rel.slice('metadata/'.length)) : null;
    if (m) versionAge.set(Number(m[1]), o.lastModified.getTime());
  }

  const report: OrphanReport = { scanned: listing.length, deleted: 0, bytesDeleted: 0, young: 0, deletedKeys: [] };
  const doomed: ObjectInfo[] = [];
  for (const o of listing) {
    const rel = o.key.slice(root.length);
    let orphan = false;
    if (rel.startsWith('data/')) {
      orphan = !keep.dataFiles.has(o.key);
    } else if (rel.startsWith('metadata/') && !rel.slice('metadata/'.length).includes('/')) {
      const name = rel.slice('metadata/'.length);
      const v = VERSION_FILE.exec(name);
      if (name.endsWith('.avro')) {
        orphan = !keep.manifests.has(o.key) && !keep.manifestLists.has(o.key);
      } else if (v && tuning.deleteOldMetadata) {
        const n = Number(v[1]);
        const successor = versionAge.get(n + 1);
        orphan = n < oldestLogged && n < version && successor !== undefined && successor <= olderThan;
      }
    }
    if (!orphan) continue;
    if (o.lastModified.getTime() > olderThan) {
      report.young++;
      continue;
    }
    doomed.push(o);
  }
  await deleteKeys(
    ctx,
    doomed.map((o) => o.key),
    'deleting orphan files',
  );
  report.deleted = doomed.length;
  report.bytesDeleted = doomed.reduce((n, o) => n + o.size, 0);
  report.deletedKeys = doomed.map((o) => o.key);
  const labels = { table_name: ctx.tableName };
  ctx.metrics.orphansRemoved.inc(labels, report.deleted);
  ctx.metrics.orphanBytesRemoved.inc(labels, report.bytesDeleted);
  if (report.deleted > 0) ctx.log.info('removed orphan files', { table: ctx.tableName, files: report.deleted, bytes: report.bytesDeleted });
  return report;
}
