// Prometheus metrics of one agent process. Names follow the seed's
// `warpstream_tableflow_partition_time_lag_seconds`, under our own `floe_` prefix.
//
// The seed lets operators drop the per-partition label with
// WARPSTREAM_DISABLE_CONSUMER_GROUP_METRICS_TAGS=partition; we honour that variable and our own
// FLOE_DISABLE_METRICS_TAGS=partition.

import { Registry, Gauge, Counter, Histogram, collectDefaultMetrics } from 'prom-client';

export function partitionLabelDisabled(env: NodeJS.ProcessEnv = process.env): boolean {
  const raw = [env.FLOE_DISABLE_METRICS_TAGS, env.WARPSTREAM_DISABLE_CONSUMER_GROUP_METRICS_TAGS].filter(Boolean).join(',');
  return raw.split(',').map((s) => s.trim()).includes('partition');
}

export class AgentMetrics {
  readonly registry = new Registry();
  readonly withPartition: boolean;
  readonly timeLag: Gauge;
  readonly offsetLag: Gauge;
  readonly recordsIngested: Counter;
  readonly bytesIngested: Counter;
  readonly dlqRecords: Counter;
  readonly filesWritten: Counter;
  readonly commitLatency: Histogram;
  readonly commitConflicts: Counter;
  readonly commits: Counter;

  constructor(env: NodeJS.ProcessEnv = process.env) {
    this.withPartition = !partitionLabelDisabled(env);
    const lagLabels = this.withPartition ? ['table_id', 'table_name', 'topic', 'partition'] : ['table_id', 'table_name', 'topic'];
    const r = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'floe_process_' });
    this.timeLag = new Gauge({
      name: 'floe_tableflow_partition_time_lag_seconds',
      help: 'Age of the newest record of the partition that is not yet committed to the table (0 when caught up).',
      labelNames: lagLabels,
      registers: r,
    });
    this.offsetLag = new Gauge({
      name: 'floe_tableflow_partition_offset_lag',
      help: 'High watermark minus the next offset committed to the table.',
      labelNames: lagLabels,
      registers: r,
    });
    this.recordsIngested = new Counter({ name: 'floe_records_ingested_total', help: 'Records committed to tables.', labelNames: ['table_name'], registers: r });
    this.bytesIngested = new Counter({ name: 'floe_bytes_ingested_total', help: 'Kafka key+value bytes committed to tables.', labelNames: ['table_name'], registers: r });
    this.dlqRecords = new Counter({ name: 'floe_dlq_records_total', help: 'Records routed to the dead-letter table.', labelNames: ['table_name'], registers: r });
    this.filesWritten = new Counter({ name: 'floe_files_written_total', help: 'Parquet data files written and committed.', labelNames: ['table_name'], registers: r });
    this.commits = new Counter({ name: 'floe_commits_total', help: 'Iceberg commits that succeeded.', labelNames: ['table_name'], registers: r });
    this.commitConflicts = new Counter({
      name: 'floe_commit_conflicts_total',
      help: 'Commit attempts that lost the race for the next metadata version (retried on fresh metadata).',
      labelNames: ['table_name'],
      registers: r,
    });
    this.commitLatency = new Histogram({
      name: 'floe_commit_latency_seconds',
      help: 'Time from starting a flush to the table commit being visible.',
      labelNames: ['table_name'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
      registers: r,
    });
  }

  lagLabels(tableId: string, tableName: string, topic: string, partition: number): Record<string, string> {
    const l: Record<string, string> = { table_id: tableId, table_name: tableName, topic };
    if (this.withPartition) l.partition = String(partition);
    return l;
  }
}
