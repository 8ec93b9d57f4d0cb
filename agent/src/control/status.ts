// Status of one table, read from where the truth is: the Iceberg metadata in the bucket (last
// snapshot, schema, committed offsets, live files), the `<name>+dlq` table (dead letters), and
// Kafka (high watermarks), asked through the agent's running consumer when it has one for the
// table, else through a short-lived admin client.

import { tablePrefix } from '../ingest/tables.ts';
import { Admin } from '@platformatic/kafka';
import { resolveConnection } from '../config/credentials.ts';
import type { SourceCluster, TableConfig } from '../config/model.ts';
import { tableName } from '../config/model.ts';
import { IcebergTable, currentSchema, currentSnapshot, defaultSpec } from '../iceberg/index.ts';
import { RESERVED_FIELD_ID_BASE } from '../ingest/tables.ts';
import { describeKafkaError, kafkaClientOptions } from '../source/kafka.ts';
import type { ObjectStore } from '../store/store.ts';
import type { BucketTable } from './plan.ts';

/** The parts of the Agent the control API uses; every member is optional (tests pass stubs). */
export interface AgentLike {
  /** High watermark (next offset to be written) of every partition of a table's topic. */
  highWatermarks?(name: string): Promise<Map<number, bigint> | null>;
  /** The table's running pipeline on this agent (its consumer can list offsets). */
  pipeline?(name: string): { opts: { source: { endOffsets(): Promise<Map<number, bigint>> } } } | null;
}

export interface PartitionStatus {
  partition: number;
  /** Next offset the table has recorded (everything below it is in the table or its DLQ). */
  committed_offset: number;
  /** Next offset Kafka will write; null when Kafka could not be asked. */
  high_watermark: number | null;
  offset_lag: number | null;
}

export interface TableStatus {
  name: string;
  /** False until the agent has created the table in the bucket. */
  exists: boolean;
  table_uuid: string | null;
  location: string;
  metadata_version: number | null;
  last_snapshot: { id: string; timestamp_ms: number; time: string; operation: string } | null;
  schema_id: number | null;
  partitions: PartitionStatus[];
  offset_lag: number | null;
  /** Seconds: now minus the last snapshot's time while Kafka holds records the table does not, 0 when caught up. */
  time_lag_seconds: number | null;
  caught_up: boolean | null;
  /** Why high watermarks are missing, when they are. */
  kafka_error?: string;
  data_files: { count: number; total_bytes: number; total_records: number };
  dlq: { enabled: boolean; records: number };
}


/** The table's Iceberg table in the store, or null when none was ever created. */
export async function loadIcebergTable(store: ObjectStore, name: string): Promise<IcebergTable | null> {
  const prefix = tablePrefix(name);
  let any = false;
  for await (const _ of store.list(`${prefix}metadata/v`)) {
    any = true;
    break;
  }
  if (!any) return null;
  return IcebergTable.load(store, prefix);
}

/** What the bucket still holds for a table name (PlanContext.bucketTable). */
export async function bucketTable(store: ObjectStore, name: string): Promise<BucketTable | null> {
  const t = await loadIcebergTable(store, name);
  if (t === null) return null;
  const md = t.metadata;
  const schema = currentSchema(md);
  return {
    schema: { ...schema, fields: schema.fields.filter((f) => f.id < RESERVED_FIELD_ID_BASE) },
    schemaId: schema['schema-id'],
    partitioning: defaultSpec(md).fields.some((f) => f.transform === 'hour') ? 'hour' : 'unpartitioned',
  };
}

export interface StatusOptions {
  store: ObjectStore;
  table: TableConfig;
  cluster: SourceCluster | undefined;
  agent?: AgentLike;
  env?: NodeJS.ProcessEnv;
  now?: number;
  /** Deadline for asking Kafka. @default 10000 */
  kafkaTimeoutMs?: number;
}

export async function tableStatus(opts: StatusOptions): Promise<TableStatus> {
  const name = tableName(opts.table);
  const now = opts.now ?? Date.now();
  const [table, dlqTable, hw] = await Promise.all([
    loadIcebergTable(opts.store, name),
    loadIcebergTable(opts.store, `${name}+dlq`),
    highWatermarks(opts).then(
      (map) => ({ map, error: undefined as string | undefined }),
      (err: unknown) => ({ map: null, error: (err as Error).message }),
    ),
  ]);

  const status: TableStatus = {
    name,
    exists: table !== null,
    table_uuid: null,
    location: table?.location ?? `${opts.store.url}/${tablePrefix(name).replace(/\/$/, '')}`,
    metadata_version: null,
    last_snapshot: null,
    schema_id: null,
    partitions: [],
    offset_lag: null,
    time_lag_seconds: null,
    caught_up: null,
    data_files: { count: 0, total_bytes: 0, total_records: 0 },
    dlq: { enabled: opts.table.dlq.enabled, records: 0 },
  };
  if (hw.error !== undefined) status.kafka_error = hw.error;

  let committed = new Map<number, bigint>();
  let snapshotMs: number | null = null;
  if (table !== null) {
    const md = table.metadata;
    status.table_uuid = md['table-uuid'];
    status.metadata_version = table.version;
    status.schema_id = md['current-schema-id'];
    const snap = currentSnapshot(md);
    if (snap !== null) {
      snapshotMs = snap['timestamp-ms'];
      status.last_snapshot = {
        id: snap['snapshot-id'].toString(),
        timestamp_ms: snap['timestamp-ms'],
        time: new Date(snap['timestamp-ms']).toISOString(),
        operation: snap.summary.operation,
      };
    }
    committed = table.committedOffsets(opts.table.source_topic);
    const files = await table.liveFiles();
    status.data_files = {
      count: files.length,
      total_bytes: files.reduce((s, f) => s + Number(f.fileSizeInBytes), 0),
      total_records: files.reduce((s, f) => s + Number(f.recordCount), 0),
    };
  }
  if (dlqTable !== null) {
    const snap = currentSnapshot(dlqTable.metadata);
    const total = snap?.summary['total-records'];
    status.dlq.records = total === undefined ? (await dlqTable.liveFiles()).reduce((s, f) => s + Number(f.recordCount), 0) : Number(total);
  }

  const partitions = new Set<number>([...committed.keys(), ...(hw.map?.keys() ?? [])]);
  let lag = 0n;
  for (const p of [...partitions].sort((a, b) => a - b)) {
    const c = committed.get(p) ?? 0n;
    const h = hw.map?.get(p);
    const l = h === undefined ? null : h > c ? h - c : 0n;
    if (l !== null) lag += l;
    status.partitions.push({ partition: p, committed_offset: Number(c), high_watermark: h === undefined ? null : Number(h), offset_lag: l === null ? null : Number(l) });
  }
  if (hw.map !== null) {
    status.offset_lag = Number(lag);
    status.caught_up = lag === 0n;
    if (lag === 0n) status.time_lag_seconds = 0;
    else if (snapshotMs !== null) status.time_lag_seconds = Math.max(0, (now - snapshotMs) / 1000);
  }
  return status;
}

async function highWatermarks(opts: StatusOptions): Promise<Map<number, bigint>> {
  const name = tableName(opts.table);
  const agent = opts.agent;
  try {
    const viaAgent = agent?.highWatermarks ? await agent.highWatermarks(name) : await agent?.pipeline?.(name)?.opts.source.endOffsets();
    if (viaAgent && viaAgent.size > 0) return viaAgent;
  } catch {
    // The running consumer may be mid-rebalance: ask Kafka directly below.
  }
  if (opts.cluster === undefined) throw new Error(`source cluster ${JSON.stringify(opts.table.source_cluster_name)} is not defined`);
  return listHighWatermarks(opts.cluster, opts.table.source_topic, opts.env ?? process.env, opts.kafkaTimeoutMs ?? 10_000);
}

/** High watermarks of every partition of a topic, with a short-lived admin client. */
export async function listHighWatermarks(cluster: SourceCluster, topic: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Map<number, bigint>> {
  const conn = resolveConnection(cluster, env);
  const admin = new Admin({ ...kafkaClientOptions(conn, 'floe-control-status'), timeout: Math.min(timeoutMs, 5000), retries: 1 });
  const ask = async (): Promise<Map<number, bigint>> => {
    try {
      const md = await admin.metadata({ topics: [topic] });
      const t = md.topics.get(topic);
      if (!t) throw new Error(`topic ${topic} not found`);
      const partitions = Array.from({ length: t.partitionsCount }, (_, i) => ({ partitionIndex: i, timestamp: -1n }));
      const listed = await admin.listOffsets({ topics: [{ name: topic, partitions }] });
      const out = new Map<number, bigint>();
      for (const lt of listed) for (const p of lt.partitions) out.set(p.partitionIndex, BigInt(p.offset));
      return out;
    } catch (err) {
      throw describeKafkaError(err, conn, `listing the high watermarks of topic ${topic}`);
    }
  };
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Kafka did not answer within ${timeoutMs} ms (${conn.brokers.join(',')})`)), timeoutMs);
  });
  try {
    return await Promise.race([ask(), deadline]);
  } finally {
    clearTimeout(timer);
    await admin.close().catch(() => {});
  }
}
