// Delta Lake projection of Iceberg tables: the log's data model, the schema/stats/checkpoint
// mapping, and the projector that keeps `<table>/_delta_log/` in step with Iceberg history.

export {
  DeltaProjector,
  ICEBERG_TXN_APP_ID,
  deltaOptionsFromEnv,
  encodeRelativePath,
  resolveDeltaProjectorOptions,
  type DeltaProjectorOptions,
  type ResolvedDeltaProjectorOptions,
  type SyncResult,
} from './projector.ts';
export { DeltaLog } from './log.ts';
export { DeltaState } from './state.ts';
export {
  DELTA_LOG_DIR,
  LAST_CHECKPOINT_FILE,
  actionFromJson,
  actionToJson,
  checkpointFileName,
  classifyLogFile,
  commitFileName,
  parseCommit,
  parseLastCheckpoint,
  serializeCommit,
  serializeLastCheckpoint,
  type Action,
  type AddFile,
  type CommitInfo,
  type DeletionVectorDescriptor,
  type Format,
  type LastCheckpoint,
  type LogFile,
  type Metadata,
  type Protocol,
  type RemoveFile,
  type Txn,
} from './actions.ts';
export { decodeCheckpoint, encodeCheckpoint, type EncodedCheckpoint } from './checkpoint.ts';
export {
  COLUMN_MAPPING_ID,
  COLUMN_MAPPING_MAX_ID,
  COLUMN_MAPPING_MODE,
  COLUMN_MAPPING_NESTED_IDS,
  COLUMN_MAPPING_PHYSICAL_NAME,
  ICEBERG_SCHEMA_ID_PROPERTY,
  deltaPrimitive,
  partitionColumnsFor,
  projectTable,
  requiredProtocol,
  sameProtocol,
  toDeltaSchema,
  type DeltaArrayType,
  type DeltaMapType,
  type DeltaSchemaProjection,
  type DeltaStructField,
  type DeltaStructType,
  type DeltaType,
  type PartitionColumn,
  type ProjectTableOptions,
  type TableProjection,
} from './schema.ts';
export { decodeBound, deltaStats, type StatsOptions } from './stats.ts';
