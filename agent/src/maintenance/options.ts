// Agent-wide tuning of table maintenance: one documented, validated object, every option with its
// environment variable. The per-table policy (target size, snapshot age, retention, ...) is the
// configuration's `maintenance` block (config/model.ts MaintenanceSettings).

import { ConfigError, type ConfigIssue } from '../errors.ts';

export interface MaintenanceTuning {
  /** Time between two maintenance passes of a table. Env `FLOE_MAINTENANCE_INTERVAL_MS`. @default 60000 */
  intervalMs: number;
  /**
   * How long a maintenance lease lasts without renewal; the holder renews every third of it.
   * Env `FLOE_MAINTENANCE_LEASE_TTL_MS`. @default 60000
   */
  leaseTtlMs: number;
  /**
   * Clock skew tolerated between agents: a holder stops acting this long before its lease expires,
   * and a candidate waits this long after the expiry before taking over.
   * Env `FLOE_MAINTENANCE_CLOCK_SKEW_MS`. @default 5000
   */
  clockSkewMs: number;
  /**
   * Files merged together per compaction tier: a tier of files of about the same size is merged
   * once it holds this many. Larger means fewer rewrites of each byte and more small files
   * waiting. Env `FLOE_MAINTENANCE_COMPACTION_FANOUT`. @default 8
   */
  fanout: number;
  /**
   * An hour partition this long past its hour is sealed: its remaining small files are merged
   * regardless of tier. Env `FLOE_MAINTENANCE_SEAL_AFTER_MS`. @default 900000 (15 minutes)
   */
  sealAfterMs: number;
  /** Input bytes one pass rewrites at most (the rest waits). Env `FLOE_MAINTENANCE_MAX_PASS_BYTES`. @default 4 GiB */
  maxPassBytes: number;
  /**
   * Rows of one output file held in memory at most, in Arrow bytes; a merge rolls to another
   * output file beyond it. Env `FLOE_MAINTENANCE_REWRITE_BUFFER_BYTES`. @default 512 MiB
   */
  rewriteBufferBytes: number;
  /**
   * Minimum time between two orphan scans of a table (a scan lists every object under it).
   * Env `FLOE_MAINTENANCE_ORPHAN_SCAN_INTERVAL_MS`. @default 3600000 (1 hour)
   */
  orphanScanIntervalMs: number;
  /**
   * Merge the current snapshot's data manifests once there are more than this many (every
   * append adds one; readers and replace commits read them all).
   * Env `FLOE_MAINTENANCE_MAX_MANIFESTS`. @default 16
   */
  maxManifests: number;
  /**
   * Also delete `metadata/v<N>.metadata.json` files older than every entry of the current
   * metadata log. Off by default: an IcebergTable instance that has been idle for more versions
   * than the log keeps cannot refresh once its version is gone (see docs/maintenance.md).
   * Env `FLOE_MAINTENANCE_DELETE_OLD_METADATA` (true|false). @default false
   */
  deleteOldMetadata: boolean;
}

export const MAINTENANCE_TUNING_DEFAULTS: Readonly<MaintenanceTuning> = Object.freeze({
  intervalMs: 60_000,
  leaseTtlMs: 60_000,
  clockSkewMs: 5_000,
  fanout: 8,
  sealAfterMs: 15 * 60_000,
  maxPassBytes: 4 * 1024 ** 3,
  rewriteBufferBytes: 512 * 1024 ** 2,
  orphanScanIntervalMs: 3_600_000,
  maxManifests: 16,
  deleteOldMetadata: false,
});

const ENV: Record<keyof MaintenanceTuning, string> = {
  intervalMs: 'FLOE_MAINTENANCE_INTERVAL_MS',
  leaseTtlMs: 'FLOE_MAINTENANCE_LEASE_TTL_MS',
  clockSkewMs: 'FLOE_MAINTENANCE_CLOCK_SKEW_MS',
  fanout: 'FLOE_MAINTENANCE_COMPACTION_FANOUT',
  sealAfterMs: 'FLOE_MAINTENANCE_SEAL_AFTER_MS',
  maxPassBytes: 'FLOE_MAINTENANCE_MAX_PASS_BYTES',
  rewriteBufferBytes: 'FLOE_MAINTENANCE_REWRITE_BUFFER_BYTES',
  orphanScanIntervalMs: 'FLOE_MAINTENANCE_ORPHAN_SCAN_INTERVAL_MS',
  maxManifests: 'FLOE_MAINTENANCE_MAX_MANIFESTS',
  deleteOldMetadata: 'FLOE_MAINTENANCE_DELETE_OLD_METADATA',
};

const MINIMUM: Record<Exclude<keyof MaintenanceTuning, 'deleteOldMetadata'>, number> = {
  intervalMs: 1,
  leaseTtlMs: 100,
  clockSkewMs: 0,
  fanout: 2,
  sealAfterMs: 0,
  maxPassBytes: 1,
  rewriteBufferBytes: 1024,
  orphanScanIntervalMs: 0,
  maxManifests: 1,
};

/** Tuning from `FLOE_MAINTENANCE_*` environment variables (unset ones are left out; values are the raw strings). */
export function maintenanceTuningFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<Record<keyof MaintenanceTuning, unknown>> {
  const out: Partial<Record<keyof MaintenanceTuning, unknown>> = {};
  for (const [key, name] of Object.entries(ENV) as [keyof MaintenanceTuning, string][]) {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') continue;
    out[key] = raw.trim();
  }
  return out;
}

/**
 * Validates tuning (explicit values win over the environment) and fills defaults. Problems name
 * the option, its environment variable, and the value received.
 */
export function resolveMaintenanceTuning(
  explicit: Partial<MaintenanceTuning> = {},
  env: NodeJS.ProcessEnv = process.env,
): MaintenanceTuning {
  const merged: Partial<Record<keyof MaintenanceTuning, unknown>> = { ...maintenanceTuningFromEnv(env), ...explicit };
  const out: MaintenanceTuning = { ...MAINTENANCE_TUNING_DEFAULTS };
  const issues: ConfigIssue[] = [];
  for (const [key, v] of Object.entries(merged) as [keyof MaintenanceTuning, unknown][]) {
    if (v === undefined) continue;
    const where = `maintenance.${key} (${ENV[key]})`;
    if (key === 'deleteOldMetadata') {
      if (v === true || v === 'true') out.deleteOldMetadata = true;
      else if (v === false || v === 'false') out.deleteOldMetadata = false;
      else issues.push({ path: where, message: `expected true or false, got ${JSON.stringify(v)}` });
      continue;
    }
    const min = MINIMUM[key];
    const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < min) {
      issues.push({ path: where, message: `expected an integer >= ${min}, got ${typeof v === 'number' ? String(v) : JSON.stringify(v)}` });
      continue;
    }
    out[key] = n;
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return out;
}
