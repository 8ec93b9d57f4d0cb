// The configuration file as a typed model. It is the WarpStream Tableflow YAML (seeds/
// tableflow-setup.txt) field for field, snake_case names included, so a Tableflow file loads
// unchanged. Values here are normalized: defaults are filled in and types are canonical
// (`decimal(10, 2)`), so two files that mean the same thing produce equal models.
//
// Extensions, only where the seed is silent (each is optional and has a default):
//  - tables[].flush       {max_bytes, max_records, interval_seconds}: when buffered records become
//                         a Parquet file and a commit. interval_seconds bounds data freshness.
//  - tables[].delta       {enabled}: also publish the table as Delta Lake (a projection of the
//                         Iceberg history, DESIGN.md).
//  - tables[].dlq         {enabled}: records that cannot be decoded go to the dead-letter table
//                         `<table>+dlq` instead of stopping ingestion.
//  - tables[].maintenance {compaction_enabled, target_file_size_bytes, snapshot_max_age_seconds,
//                         snapshots_min_keep, orphan_min_age_seconds, retention_seconds}: the
//                         table maintenance the agents run (maintenance/): compaction, snapshot
//                         expiry, orphan cleanup, and optional retention.
//  - schema fields' `doc` (Iceberg's field doc string).
//  - source_clusters and tables may be omitted (empty lists), so a fresh agent can start from a
//    file that only names the bucket.

export const SASL_MECHANISMS = ['plain', 'scram-256', 'scram-512'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

export const SOURCE_FORMATS = ['json', 'avro'] as const;
export type SourceFormat = (typeof SOURCE_FORMATS)[number];

export const SCHEMA_MODES = ['inline'] as const;
export type SchemaMode = (typeof SCHEMA_MODES)[number];

export const PARTITIONING_SCHEMES = ['unpartitioned', 'hour'] as const;
export type PartitioningScheme = (typeof PARTITIONING_SCHEMES)[number];

export interface Config {
  source_clusters: SourceCluster[];
  tables: TableConfig[];
  /** `s3://bucket?region=..&prefix=..` or `file:///absolute/path` (see bucket.ts). */
  destination_bucket_url: string;
}

export interface SourceCluster {
  /** Unique; the first half of every table name `<cluster-name>+<topic-name>`. */
  name: string;
  bootstrap_brokers: BootstrapBroker[];
  credentials?: Credentials;
}

export interface BootstrapBroker {
  hostname: string;
  port: number;
}

/**
 * How to reach a cluster. The `*_env` fields name environment variables; the agent reads them with
 * a `TABLEFLOW_` prefix (seed). mTLS variables hold paths to PEM files.
 */
export interface Credentials {
  /** @default false */
  use_tls: boolean;
  /** @default false */
  tls_insecure_skip_verify: boolean;
  /** @default 'plain' */
  sasl_mechanism: SaslMechanism;
  sasl_username_env?: string;
  sasl_password_env?: string;
  mtls_client_cert_env?: string;
  mtls_client_key_env?: string;
  mtls_server_ca_cert_env?: string;
}

export interface TableConfig {
  source_cluster_name: string;
  source_topic: string;
  source_format: SourceFormat;
  /** @default 'inline' (the only mode) */
  schema_mode: SchemaMode;
  schema: InlineSchema;
  /** @default 'unpartitioned' */
  partitioning_scheme: PartitioningScheme;
  /** Extension. */
  flush: FlushSettings;
  /** Extension. */
  delta: { enabled: boolean };
  /** Extension. */
  dlq: { enabled: boolean };
  /** Extension. */
  maintenance: MaintenanceSettings;
}

/** Inline schema: the Iceberg schema written as YAML (seed "Schema Definitions"). */
export interface InlineSchema {
  fields: InlineField[];
}

/**
 * One field. `type` is a primitive (`string`, `decimal(10, 2)`, `fixed[16]`, ...) or `struct`,
 * `list`, `map`. A struct lists its fields in `fields`; a list has exactly one entry named
 * `element`; a map has `key` and `value` entries. `id` is the Iceberg field id.
 */
export interface InlineField {
  name: string;
  id: number;
  type: string;
  /** @default false (the field is required) */
  optional: boolean;
  fields?: InlineField[];
  /** Extension: Iceberg field doc. */
  doc?: string;
}

/** Extension: when a table's buffer becomes a file and a commit; whichever limit is hit first. */
export interface FlushSettings {
  /** Estimated in-memory bytes of buffered rows. @default 67108864 (64 MiB) */
  max_bytes: number;
  /** @default 1000000 */
  max_records: number;
  /** Age of the oldest buffered record: the freshness bound of the table. @default 60 */
  interval_seconds: number;
}

export const FLUSH_DEFAULTS: Readonly<FlushSettings> = Object.freeze({
  max_bytes: 64 * 1024 * 1024,
  max_records: 1_000_000,
  interval_seconds: 60,
});

/** Bounds enforced by validation, so a typo cannot make a table unreadable or unbounded. */
export const FLUSH_LIMITS = Object.freeze({
  max_bytes: { min: 1024 * 1024, max: 4 * 1024 * 1024 * 1024 },
  max_records: { min: 1, max: 100_000_000 },
  interval_seconds: { min: 1, max: 86_400 },
});

/** Extension: how the agents keep a table compacted and clean (maintenance/). */
export interface MaintenanceSettings {
  /** Merge small data files into files near target_file_size_bytes, continuously. @default true */
  compaction_enabled: boolean;
  /** Size compaction aims for; files of at least 3/4 of it are left alone. @default 134217728 (128 MiB) */
  target_file_size_bytes: number;
  /** Snapshots younger than this stay readable (time travel). @default 21600 (6 hours) */
  snapshot_max_age_seconds: number;
  /** The newest this-many snapshots are kept whatever their age. @default 5 */
  snapshots_min_keep: number;
  /**
   * Files under the table that no retained metadata references are deleted once older than this:
   * the safety window for uploads whose commit is still in flight. @default 1800 (30 minutes)
   */
  orphan_min_age_seconds: number;
  /**
   * Rows whose `_kafka_timestamp` is older than this are removed: whole hour partitions by
   * metadata, otherwise by rewriting the files that hold them. @default absent (keep forever)
   */
  retention_seconds?: number;
}

export const MAINTENANCE_DEFAULTS: Readonly<Omit<MaintenanceSettings, 'retention_seconds'>> = Object.freeze({
  compaction_enabled: true,
  target_file_size_bytes: 128 * 1024 * 1024,
  snapshot_max_age_seconds: 6 * 3600,
  snapshots_min_keep: 5,
  orphan_min_age_seconds: 1800,
});

/** Bounds enforced by validation. */
export const MAINTENANCE_LIMITS = Object.freeze({
  target_file_size_bytes: { min: 1024 * 1024, max: 4 * 1024 * 1024 * 1024 },
  snapshot_max_age_seconds: { min: 60, max: 10 * 365 * 86_400 },
  snapshots_min_keep: { min: 1, max: 100_000 },
  // Below a few minutes an upload whose commit is merely slow could be taken for an orphan.
  orphan_min_age_seconds: { min: 300, max: 365 * 86_400 },
  retention_seconds: { min: 3600, max: 100 * 365 * 86_400 },
});

export const CREDENTIALS_DEFAULTS = Object.freeze({
  use_tls: false,
  tls_insecure_skip_verify: false,
  sasl_mechanism: 'plain' as SaslMechanism,
});

/** The seed's table name: `<cluster-name>+<topic-name>`. */
export function tableName(table: Pick<TableConfig, 'source_cluster_name' | 'source_topic'>): string {
  return `${table.source_cluster_name}+${table.source_topic}`;
}
