// Reading a table's state straight from the rig's MinIO, the way a path-based Iceberg reader finds
// it: Floe's tables through metadata/version-hint.text, the Connect sink's through the metadata
// location its JDBC (sqlite) catalog records. Also removes a benchmark's objects afterwards.
import { S3Client, GetObjectCommand, ListObjectsV2Command, DeleteObjectsCommand } from '@aws-sdk/client-s3';
import { DatabaseSync } from 'node:sqlite';
import type { Rig } from '../../test/helpers/index.ts';

export interface TableState {
  snapshotId: string | null;
  /** Snapshots in the current metadata. */
  snapshots: number;
  totalRecords: number;
  totalDataFiles: number;
  totalFilesSize: number;
  /** Floe's `floe.kafka.offsets`: partition -> next offset. Empty for other writers. */
  offsets: Map<number, number>;
  /** When the current snapshot was committed (writer's clock), epoch ms. */
  committedAtMs: number | null;
}

/**
 * Seconds from `t0WallMs` (epoch ms, when the writer was started) to the commit of `st`'s current
 * snapshot, by its own timestamp: the end of a run is that commit, not the poll that saw it (up to
 * a poll interval and a metadata read later). Never later than `polledSeconds`, which it also is
 * when the snapshot has no timestamp or one before t0WallMs (a clock that cannot be trusted for this).
 */
export function committedSeconds(st: TableState, t0WallMs: number, polledSeconds: number): number {
  const at = st.committedAtMs;
  if (at === null || !Number.isFinite(at) || at < t0WallMs) return polledSeconds;
  return Math.min(polledSeconds, (at - t0WallMs) / 1000);
}

const EMPTY: TableState = { snapshotId: null, snapshots: 0, totalRecords: 0, totalDataFiles: 0, totalFilesSize: 0, offsets: new Map(), committedAtMs: null };

export class BenchBucket {
  readonly bucket: string;
  readonly s3: S3Client;

  readonly #region: string;

  constructor(rig: Rig) {
    this.bucket = rig.s3.bucket;
    this.#region = rig.s3.region;
    this.s3 = new S3Client({
      endpoint: rig.s3.endpoint,
      region: rig.s3.region,
      forcePathStyle: true,
      credentials: { accessKeyId: rig.s3.accessKey, secretAccessKey: rig.s3.secretKey },
    });
  }

  /** An agent's warehouse under `prefix` of this bucket, and the key prefix of its table of `topic` (cluster "rig"). */
  floeTableAt(prefix: string, topic: string): { bucketUrl: string; tablePrefix: string } {
    return { bucketUrl: `s3://${this.bucket}?region=${this.#region}&prefix=${prefix}`, tablePrefix: `${prefix}/_tableflow/rig+${topic}` };
  }

  async getText(key: string): Promise<string | null> {
    try {
      const r = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return await r.Body!.transformToString('utf8');
    } catch (e) {
      const name = (e as { name?: string }).name;
      if (name === 'NoSuchKey' || name === 'NotFound') return null;
      throw e;
    }
  }

  /** Current state of a Floe table rooted at `tablePrefix` (…/_tableflow/<cluster>+<topic>). */
  async floeTable(tablePrefix: string): Promise<TableState> {
    const hint = await this.getText(`${tablePrefix}/metadata/version-hint.text`);
    if (hint === null) return EMPTY;
    const meta = await this.getText(`${tablePrefix}/metadata/v${hint.trim()}.metadata.json`);
    if (meta === null) return EMPTY;
    return stateOf(JSON.parse(meta) as IcebergMetadata);
  }

  /** Current state of a table whose metadata file is at `s3://bucket/key`. */
  async tableAt(metadataLocation: string): Promise<TableState> {
    const m = /^s3a?:\/\/([^/]+)\/(.+)$/.exec(metadataLocation);
    if (!m) throw new Error(`not an s3 location: ${metadataLocation}`);
    const meta = await this.getText(m[2]);
    if (meta === null) return EMPTY;
    return stateOf(JSON.parse(meta) as IcebergMetadata);
  }

  /** Deletes every object under a prefix; returns how many. */
  async deletePrefix(prefix: string): Promise<number> {
    let deleted = 0;
    let token: string | undefined;
    do {
      const page = await this.s3.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }));
      const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key! }));
      if (keys.length > 0) {
        await this.s3.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys, Quiet: true } }));
        deleted += keys.length;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return deleted;
  }

  close(): void {
    this.s3.destroy();
  }
}

interface IcebergMetadata {
  'current-snapshot-id'?: number | string | null;
  snapshots?: Array<{ 'snapshot-id': number | string; 'timestamp-ms': number; summary?: Record<string, string> }>;
}

function stateOf(meta: IcebergMetadata): TableState {
  const current = meta['current-snapshot-id'];
  if (current === undefined || current === null || String(current) === '-1') return { ...EMPTY, snapshots: meta.snapshots?.length ?? 0 };
  const snap = meta.snapshots?.find((s) => String(s['snapshot-id']) === String(current));
  const summary = snap?.summary ?? {};
  const offsets = new Map<number, number>();
  const raw = summary['floe.kafka.offsets'];
  if (raw) {
    const parsed = JSON.parse(raw) as { partitions: Record<string, string | number> };
    for (const [p, o] of Object.entries(parsed.partitions)) offsets.set(Number(p), Number(o));
  }
  return {
    snapshotId: String(current),
    snapshots: meta.snapshots?.length ?? 0,
    totalRecords: Number(summary['total-records'] ?? 0),
    totalDataFiles: Number(summary['total-data-files'] ?? 0),
    totalFilesSize: Number(summary['total-files-size'] ?? 0),
    offsets,
    committedAtMs: snap ? Number(snap['timestamp-ms']) : null,
  };
}

/** The metadata location the Iceberg JDBC catalog (sqlite file) records for a table, if any. */
export function jdbcMetadataLocation(catalogFile: string, namespace: string, table: string): string | null {
  let db: DatabaseSync | undefined;
  try {
    db = new DatabaseSync(catalogFile, { readOnly: true });
    const row = db
      .prepare('SELECT metadata_location FROM iceberg_tables WHERE table_namespace = ? AND table_name = ?')
      .get(namespace, table) as { metadata_location?: string } | undefined;
    return row?.metadata_location ?? null;
  } catch {
    // The worker has not created the catalog tables yet, or holds a write lock right now.
    return null;
  } finally {
    db?.close();
  }
}
