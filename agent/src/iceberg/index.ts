// Iceberg table layer: the spec's data model (metadata, manifests, partitioning), and the
// catalog-free committer (IcebergTable + actions).

export { IcebergTable, type CommitOptions, type CommitResult, type CreateTableOptions } from './table.ts';
export {
  AppendFiles,
  CommitRefused,
  ReplaceFiles,
  SetProperties,
  SetSchema,
  TableIO,
  Transaction,
  type AppendFilesOptions,
  type ApplyContext,
  type StagedCommit,
  type TableAction,
} from './transaction.ts';
export {
  DataFileContent,
  EntryStatus,
  dataFileFromParquet,
  decodeManifest,
  decodeManifestList,
  encodeManifest,
  encodeManifestList,
  inheritFromManifest,
  summarizePartitions,
  type DataFile,
  type FieldSummary,
  type ManifestEntry,
  type ManifestFile,
  type ParquetFileStats,
} from './manifest.ts';
export {
  MAIN_BRANCH,
  ancestors,
  currentSchema,
  currentSnapshot,
  defaultSpec,
  maxFieldId,
  newTableMetadata,
  parseTableMetadata,
  serializeTableMetadata,
  snapshotById,
  specById,
  type Snapshot,
  type SnapshotOperation,
  type SnapshotRef,
  type SnapshotSummary,
  type SortOrder,
  type TableMetadata,
} from './metadata.ts';
export {
  OFFSETS_SUMMARY_KEY,
  decodeOffsets,
  encodeOffsets,
  mergeOffsets,
  offsetsContinueFrom,
  readCommittedOffsets,
  readRecordedOffsets,
  type KafkaOffsets,
} from './offsets.ts';
export {
  PARTITION_FIELD_ID_START,
  buildPartitionSpec,
  hourOf,
  hourToString,
  partitionPath,
  type PartitionField,
  type PartitionSpec,
  type PartitionValues,
  type Partitioning,
} from './partition.ts';
export {
  ExpireSnapshots,
  RewriteManifests,
  planSnapshotExpiry,
  removeSnapshots,
  type ExpireSnapshotsOptions,
  type ExpiryPlan,
  type RewriteManifestsOptions,
} from './expire.ts';
