// The maintainer of one table inside an agent: passes on an interval, each run only while this
// agent holds the table's maintenance lease (lease.ts).
//
// One pass, as named steps:
//   lease      acquire or renew the lease; not held -> the pass is skipped (another agent maintains)
//   load       open the table (none yet -> nothing to do)
//   retention  drop hour partitions / rewrite rows older than retention_seconds (when configured)
//   manifests  merge the manifests once there are more than tuning.maxManifests (first, so the
//              compaction commit has few to read)
//   compact    merge small files tier by tier (when compaction_enabled)
//   expire     expire old snapshots, delete files only they referenced
//   orphans    delete unreferenced files older than the safety window (at most every
//              orphanScanIntervalMs)
// A step that fails is logged and reported; the next steps still run. A lost lease (or stop())
// ends the pass at the next step boundary, commit or deletion.
//
// While held, the lease is renewed every third of its TTL, between passes too, so the same agent
// keeps maintaining the table; stop() releases it for the next agent.

import type { Registry } from 'prom-client';
import type { MaintenanceSettings } from '../config/model.ts';
import { FloeError } from '../errors.ts';
import { IcebergTable, defaultSpec } from '../iceberg/index.ts';
import type { Logger } from '../log.ts';
import type { Schema } from '../schema/types.ts';
import type { ObjectStore } from '../store/store.ts';
import { ManifestCachingStore } from './cache.ts';
import { compact, type CompactionReport } from './compact.ts';
import { checkerFor, type StepContext } from './context.ts';
import { expireSnapshots, type ExpiryReport } from './expiry.ts';
import { LeaseLost, MaintenanceLease } from './lease.ts';
import { MaintenanceMetrics } from './metrics.ts';
import { resolveMaintenanceTuning, type MaintenanceTuning } from './options.ts';
import { mergeManifests, type ManifestReport } from './manifests.ts';
import { removeOrphans, type OrphanReport } from './orphans.ts';
import { enforceRetention, type RetentionReport } from './retention.ts';

export interface MaintenanceOptions {
  store: ObjectStore;
  /** Store key prefix of the table (`_tableflow/<cluster>+<topic>/`). */
  tablePrefix: string;
  /** For logs and metric labels. */
  tableName: string;
  /**
   * The schema the agent writes (informational). Rewritten files use the table's current schema,
   * which the ingest pipeline keeps equal to this one.
   */
  schema: Schema;
  /** The configured partitioning (a table partitioned otherwise is logged; its own spec decides). */
  partitioning: 'unpartitioned' | 'hour';
  /** The table's `maintenance` configuration. */
  settings: MaintenanceSettings;
  /** Where the maintenance metrics are registered (the agent's `metrics.registry`). */
  registry: Registry;
  log: Logger;
  /** Identifies this agent in the lease. */
  agentId: string;
  /** Agent-wide tuning; unset values come from FLOE_MAINTENANCE_* variables, then defaults. */
  tuning?: Partial<MaintenanceTuning>;
  /** Environment for the tuning variables. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Wall clock (tests move it forward). @default Date.now */
  now?: () => number;
  /** Run passes on the interval. false: only runOnce() runs passes. @default true */
  schedule?: boolean;
  /**
   * Called after the steps that commit (before expiry, so each maintenance snapshot is projected
   * on its own, and again at the end of the pass): the agent brings the Delta log up to date here.
   */
  syncDelta?: (table: IcebergTable) => Promise<void>;
}

export interface PassReport {
  table: string;
  /** Why nothing ran: 'not_leader' (another agent holds the lease), 'no_table', 'stopped'. */
  skipped?: 'not_leader' | 'no_table' | 'stopped';
  lease: { held: boolean; epoch: number; holder: string | null };
  retention: RetentionReport | null;
  compaction: CompactionReport | null;
  manifests: ManifestReport | null;
  expiry: ExpiryReport | null;
  orphans: OrphanReport | null;
  errors: { step: string; message: string }[];
  durationMs: number;
}

export interface Maintainer {
  /** Runs one pass now (waits for a pass in progress first). */
  runOnce(): Promise<PassReport>;
  /** Stops passes and renewals, waits for a pass in progress to end, releases the lease. */
  stop(): Promise<void>;
  readonly lease: MaintenanceLease;
  readonly metrics: MaintenanceMetrics;
  readonly tuning: MaintenanceTuning;
}

/** Key prefix of a table's lease epochs (outside data/ and metadata/, so no cleanup touches it). */
export function leaseDir(tablePrefix: string): string {
  const p = tablePrefix.replace(/^\/+|\/+$/g, '');
  return `${p ? `${p}/` : ''}_floe/maintenance-lease/`;
}

/** Starts maintaining a table; see the module comment for what a pass does. */
export function startMaintenance(opts: MaintenanceOptions): Maintainer {
  const tuning = resolveMaintenanceTuning(opts.tuning, opts.env ?? process.env);
  const now = opts.now ?? Date.now;
  const metrics = new MaintenanceMetrics(opts.registry);
  const log = opts.log.child({ component: 'maintenance' });
  const labels = { table_name: opts.tableName };
  const lease = new MaintenanceLease({
    store: opts.store,
    dir: leaseDir(opts.tablePrefix),
    agentId: opts.agentId,
    ttlMs: tuning.leaseTtlMs,
    clockSkewMs: tuning.clockSkewMs,
    now,
  });
  const stopping = new AbortController();
  let table: IcebergTable | null = null;
  let running: Promise<PassReport> | null = null;
  let lastOrphanScan = -Infinity;
  let passTimer: NodeJS.Timeout | null = null;
  let renewTimer: NodeJS.Timeout | null = null;
  let wasHeld = false;

  const leaseState = (): PassReport['lease'] => ({
    held: lease.held,
    epoch: lease.epoch,
    holder: lease.lastSeen?.agentId ?? null,
  });
  const noteLease = (): void => {
    metrics.leaseHeld.set(labels, lease.held ? 1 : 0);
    if (lease.held && !wasHeld) log.info('maintenance lease acquired', { table: opts.tableName, epoch: lease.epoch });
    if (!lease.held && wasHeld) log.info('maintenance lease no longer held', { table: opts.tableName, holder: lease.lastSeen?.agentId });
    wasHeld = lease.held;
  };

  const renew = async (): Promise<void> => {
    if (lease.epoch === 0 || stopping.signal.aborted) return;
    try {
      await lease.renew();
    } catch (err) {
      log.warn('maintenance lease renewal failed; retrying', { table: opts.tableName, error: err });
    }
    noteLease();
  };

  const pass = async (): Promise<PassReport> => {
    const started = performance.now();
    const report: PassReport = {
      table: opts.tableName,
      lease: leaseState(),
      retention: null,
      compaction: null,
      manifests: null,
      expiry: null,
      orphans: null,
      errors: [],
      durationMs: 0,
    };
    const finish = (result: string): PassReport => {
      report.lease = leaseState();
      report.durationMs = Math.round(performance.now() - started);
      metrics.passes.inc({ ...labels, result });
      return report;
    };
    if (stopping.signal.aborted) {
      report.skipped = 'stopped';
      return finish('stopped');
    }

    // lease
    try {
      await lease.acquire();
    } catch (err) {
      report.errors.push({ step: 'lease', message: (err as Error).message });
      noteLease();
      return finish('error');
    }
    noteLease();
    if (!lease.held) {
      report.skipped = 'not_leader';
      return finish('not_leader');
    }

    // load
    try {
      if (table === null) {
        table = await IcebergTable.load(new ManifestCachingStore(opts.store), opts.tablePrefix);
        const hourly = defaultSpec(table.metadata).fields.some((f) => f.transform === 'hour');
        if (hourly !== (opts.partitioning === 'hour')) {
          log.warn('the table is partitioned differently from its configuration; maintenance follows the table', {
            table: opts.tableName,
            configured: opts.partitioning,
            spec: defaultSpec(table.metadata).fields,
          });
        }
      } else await table.current();
    } catch (err) {
      if (err instanceof FloeError && err.code === 'FLOE_TABLE_CORRUPT' && /no Iceberg table/.test(err.message)) {
        report.skipped = 'no_table';
        return finish('no_table');
      }
      report.errors.push({ step: 'load', message: (err as Error).message });
      return finish('error');
    }

    const ctx: StepContext = {
      table,
      tableName: opts.tableName,
      settings: opts.settings,
      tuning,
      metrics,
      log,
      now,
      check: checkerFor(() => lease.held, stopping.signal, opts.tableName),
    };
    const step = async <T>(name: string, fn: () => Promise<T>): Promise<T | null> => {
      try {
        return await fn();
      } catch (err) {
        report.errors.push({ step: name, message: (err as Error).message });
        if (err instanceof LeaseLost) throw err;
        log.error(`maintenance step ${name} failed`, { table: opts.tableName, error: err });
        return null;
      }
    };
    try {
      report.retention = await step('retention', () => enforceRetention(ctx));
      report.manifests = await step('manifests', () => mergeManifests(ctx));
      if (opts.settings.compaction_enabled) report.compaction = await step('compaction', () => compact(ctx));
      if (opts.syncDelta) await step('delta', () => opts.syncDelta!(ctx.table));
      report.expiry = await step('expiry', () => expireSnapshots(ctx));
      if (opts.syncDelta) await step('delta', () => opts.syncDelta!(ctx.table));
      if (now() - lastOrphanScan >= tuning.orphanScanIntervalMs) {
        report.orphans = await step('orphans', () => removeOrphans(ctx));
        if (report.orphans) lastOrphanScan = now();
      }
    } catch (err) {
      log.warn('maintenance pass ended early', { table: opts.tableName, error: err });
      noteLease();
      return finish('error');
    }
    const c = report.compaction;
    if (c && (c.commits > 0 || c.groupsDropped > 0)) {
      log.info('compacted', {
        table: opts.tableName,
        files: c.filesCompacted,
        into: c.filesWritten,
        bytesRead: c.bytesRead,
        bytesWritten: c.bytesWritten,
        backlog: c.backlogFiles,
      });
    }
    return finish(report.errors.length > 0 ? 'error' : 'ok');
  };

  const runOnce = async (): Promise<PassReport> => {
    while (running) await running.catch(() => {});
    running = pass();
    try {
      return await running;
    } finally {
      running = null;
    }
  };

  const schedule = (delay: number): void => {
    if (stopping.signal.aborted) return;
    passTimer = setTimeout(() => {
      passTimer = null;
      void runOnce()
        .catch((err: unknown) => log.error('maintenance pass failed', { table: opts.tableName, error: err }))
        .finally(() => schedule(tuning.intervalMs));
    }, delay);
    passTimer.unref?.();
  };

  if (opts.schedule !== false) {
    // A random first delay spreads the tables (and the agents racing for them) over the interval.
    schedule(Math.floor(Math.random() * tuning.intervalMs));
    renewTimer = setInterval(() => void renew(), Math.max(50, Math.floor(tuning.leaseTtlMs / 3)));
    renewTimer.unref?.();
  }

  return {
    runOnce,
    lease,
    metrics,
    tuning,
    async stop(): Promise<void> {
      stopping.abort(new LeaseLost(`maintenance of ${opts.tableName} stopped`));
      if (passTimer) clearTimeout(passTimer);
      if (renewTimer) clearInterval(renewTimer);
      passTimer = null;
      renewTimer = null;
      while (running) await running.catch(() => {});
      await lease.release().catch(() => {});
      metrics.leaseHeld.set(labels, 0);
    },
  };
}
