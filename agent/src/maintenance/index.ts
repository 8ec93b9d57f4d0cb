// Table maintenance inside the agents: continuous compaction, snapshot expiry, orphan cleanup and
// retention, one agent per table at a time (a lease in the bucket). See maintainer.ts.

export { startMaintenance, leaseDir, type Maintainer, type MaintenanceOptions, type PassReport } from './maintainer.ts';
export { MaintenanceLease, LeaseLost, type LeaseOptions, type LeaseRecord } from './lease.ts';
export { MaintenanceMetrics } from './metrics.ts';
export {
  MAINTENANCE_TUNING_DEFAULTS,
  maintenanceTuningFromEnv,
  resolveMaintenanceTuning,
  type MaintenanceTuning,
} from './options.ts';
export { planPartition, tierOf, backlogOf, smallThreshold, type CandidateFile, type MergeGroup, type PlanOptions } from './plan.ts';
export { compact, type CompactionReport } from './compact.ts';
export { mergeManifests, type ManifestReport } from './manifests.ts';
export { enforceRetention, type RetentionReport } from './retention.ts';
export { expireSnapshots, type ExpiryReport } from './expiry.ts';
export { removeOrphans, type OrphanReport } from './orphans.ts';
export { readRows, forEachRow } from './rows.ts';
export type { StepContext } from './context.ts';
