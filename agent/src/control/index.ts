// The agent's HTTP surface: the listener (health, metrics), the /v1 control API, the configuration
// watcher. Re-exports only.
export { createHttpApp, listen, parseListen, type ReadinessSource } from './server.ts';
export { createControlApi, type ControlApiOptions } from './api.ts';
export { startConfigWatcher, pollIntervalFromEnv, POLL_ENV, DEFAULT_POLL_MS, type ConfigWatcher, type ConfigWatcherOptions } from './watcher.ts';
export { bearerAuth, TOKEN_ENV } from './auth.ts';
export { ApiError, PROBLEMS, type Problem, type ProblemKind } from './problem.ts';
export { plan, diff, checkTableChange, type Plan, type PlanChange, type PlanContext, type SchemaChange, type WriteOp, type BucketTable } from './plan.ts';
export { tableStatus, listHighWatermarks, bucketTable, type AgentLike, type TableStatus, type PartitionStatus } from './status.ts';
