// What every maintenance step gets: the table, the policy, and the guard that stops a step once
// the lease is gone or the maintainer is stopping.

import type { MaintenanceSettings } from '../config/model.ts';
import type { IcebergTable } from '../iceberg/index.ts';
import type { Logger } from '../log.ts';
import { LeaseLost } from './lease.ts';
import type { MaintenanceMetrics } from './metrics.ts';
import type { MaintenanceTuning } from './options.ts';

export interface StepContext {
  table: IcebergTable;
  tableName: string;
  settings: MaintenanceSettings;
  tuning: MaintenanceTuning;
  metrics: MaintenanceMetrics;
  log: Logger;
  /** Wall clock, ms since the epoch. */
  now(): number;
  /**
   * Throws LeaseLost unless this agent may still act on the table. Called before every commit
   * and every deletion.
   */
  check(what: string): void;
}

/** Commit retries for maintenance: more patient than ingestion, it is never in a hurry. */
export const MAINTENANCE_COMMIT = { maxAttempts: 30, baseDelayMs: 10, maxDelayMs: 250 } as const;

export function checkerFor(held: () => boolean, signal: AbortSignal | undefined, describe: string): (what: string) => void {
  return (what: string) => {
    if (signal?.aborted) throw new LeaseLost(`maintenance of ${describe} stopped (before ${what})`);
    if (!held()) throw new LeaseLost(`maintenance lease of ${describe} is no longer held (before ${what})`);
  };
}

/** Deletes keys in chunks, after checking the guard before each chunk. */
export async function deleteKeys(ctx: StepContext, keys: string[], what: string): Promise<void> {
  for (let i = 0; i < keys.length; i += 500) {
    ctx.check(what);
    await ctx.table.store.delete(keys.slice(i, i + 500));
  }
}
