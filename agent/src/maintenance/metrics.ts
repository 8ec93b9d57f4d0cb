// Prometheus metrics of table maintenance, registered on the registry the agent passes in (one
// set per registry, shared by every table, labelled by table name).

import { Counter, Gauge, type Registry } from 'prom-client';

function counter(registry: Registry, name: string, help: string, labelNames: string[] = ['table_name']): Counter {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter;
  return new Counter({ name, help, labelNames, registers: [registry] });
}

function gauge(registry: Registry, name: string, help: string): Gauge {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Gauge;
  return new Gauge({ name, help, labelNames: ['table_name'], registers: [registry] });
}

export class MaintenanceMetrics {
  readonly filesCompacted: Counter;
  readonly compactionFilesWritten: Counter;
  readonly bytesRewritten: Counter;
  readonly bytesRead: Counter;
  readonly compactionBacklog: Gauge;
  readonly dataFiles: Gauge;
  readonly snapshotsExpired: Counter;
  readonly expiredFilesDeleted: Counter;
  readonly orphansRemoved: Counter;
  readonly orphanBytesRemoved: Counter;
  readonly retentionFilesDropped: Counter;
  readonly retentionRowsDropped: Counter;
  readonly manifestsMerged: Counter;
  readonly passes: Counter;
  readonly leaseHeld: Gauge;

  constructor(registry: Registry) {
    this.filesCompacted = counter(registry, 'floe_maintenance_files_compacted_total', 'Data files replaced by compaction (merge inputs).');
    this.compactionFilesWritten = counter(registry, 'floe_maintenance_compaction_files_written_total', 'Data files written by compaction (merge outputs).');
    this.bytesRewritten = counter(
      registry,
      'floe_maintenance_bytes_rewritten_total',
      'Bytes of data files written by maintenance (compaction or row-level retention) and committed.',
      ['table_name', 'reason'],
    );
    this.bytesRead = counter(registry, 'floe_maintenance_bytes_read_total', 'Bytes of data files read by maintenance rewrites.', ['table_name', 'reason']);
    this.compactionBacklog = gauge(registry, 'floe_maintenance_compaction_backlog_files', 'Live data files below the compaction threshold (3/4 of the target size).');
    this.dataFiles = gauge(registry, 'floe_maintenance_data_files', 'Live data files of the table, as of the last maintenance pass.');
    this.snapshotsExpired = counter(registry, 'floe_maintenance_snapshots_expired_total', 'Snapshots removed from table metadata by expiry.');
    this.expiredFilesDeleted = counter(
      registry,
      'floe_maintenance_expired_files_deleted_total',
      'Files deleted because only expired snapshots referenced them.',
      ['table_name', 'kind'],
    );
    this.orphansRemoved = counter(registry, 'floe_maintenance_orphans_removed_total', 'Files no retained metadata references, deleted after the safety window.');
    this.orphanBytesRemoved = counter(registry, 'floe_maintenance_orphan_bytes_removed_total', 'Bytes of orphan files deleted.');
    this.retentionFilesDropped = counter(registry, 'floe_maintenance_retention_files_dropped_total', 'Data files removed by retention (whole or rewritten).');
    this.retentionRowsDropped = counter(registry, 'floe_maintenance_retention_rows_dropped_total', 'Rows removed by retention.');
    this.manifestsMerged = counter(registry, 'floe_maintenance_manifests_merged_total', 'Data manifests replaced by merged ones.');
    this.passes = counter(registry, 'floe_maintenance_passes_total', 'Maintenance passes by outcome (ok, error, not_leader, no_table).', ['table_name', 'result']);
    this.leaseHeld = gauge(registry, 'floe_maintenance_lease_held', '1 while this agent holds the maintenance lease of the table.');
  }
}
