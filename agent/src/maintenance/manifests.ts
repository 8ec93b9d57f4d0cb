// Manifest merging: once the current snapshot has more data manifests than the tuning allows,
// commit RewriteManifests (iceberg/expire.ts), which merges them into few holding only the live
// entries. Same live files before and after; scans and replace commits read far fewer files.

import { RewriteManifests, currentSnapshot } from '../iceberg/index.ts';
import { MAINTENANCE_COMMIT, type StepContext } from './context.ts';

export interface ManifestReport {
  /** Data manifests merged (0: below the threshold). */
  manifestsReplaced: number;
  commits: number;
}

export async function mergeManifests(ctx: StepContext): Promise<ManifestReport> {
  const report: ManifestReport = { manifestsReplaced: 0, commits: 0 };
  const md = await ctx.table.refresh();
  if (!currentSnapshot(md)) return report;
  ctx.check('merging manifests');
  const action = new RewriteManifests({ maxManifests: ctx.tuning.maxManifests, summary: { 'floe.maintenance': 'rewrite-manifests' } });
  const r = await ctx.table.commit(action, MAINTENANCE_COMMIT);
  if (r.snapshots.length > 0) {
    report.manifestsReplaced = action.replaced;
    report.commits = 1;
    ctx.metrics.manifestsMerged.inc({ table_name: ctx.tableName }, action.replaced);
  }
  return report;
}
