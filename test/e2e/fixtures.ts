// Shared pieces of the end-to-end suites: the seed's two example tables as configuration entries,
// expected rows in the readers' canonical form, and waiting for an agent to catch up with a topic.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { loadRig } from '../helpers/rig.ts';
import { endOffsets } from '../helpers/kafka.ts';
import { inspectIceberg } from '../helpers/readers.ts';
import { waitFor } from '../helpers/wait.ts';
import { uniquePrefix } from '../helpers/names.ts';
import { openStore } from '../../agent/src/store/index.ts';

const SEED = fileURLToPath(new URL('../../examples/config/seed-example.yaml', import.meta.url));

interface SeedTable {
  source_cluster_name: string;
  source_topic: string;
  source_format: string;
  schema_mode: string;
  schema: { fields: unknown[] };
  [k: string]: unknown;
}

/** The seed's tables, [json logs, avro events], as plain objects. */
export function seedTables(): [SeedTable, SeedTable] {
  const doc = YAML.parse(readFileSync(SEED, 'utf8')) as { tables: SeedTable[] };
  return [doc.tables[0], doc.tables[1]];
}

/** One `tables:` entry (YAML lines, indented for the list) for the given cluster and topic. */
export function tableEntry(base: SeedTable | Record<string, unknown>, overrides: Record<string, unknown>): string {
  const entry = { ...base, ...overrides };
  const text = YAML.stringify([entry], { lineWidth: 0 });
  return text
    .trimEnd()
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}

/** A fresh `s3://` bucket URL in the rig's MinIO, and the matching table root for readers. */
export function freshS3Warehouse(label: string): { bucketUrl: string; tableRoot: (tableName: string) => string } {
  const rig = loadRig();
  const prefix = uniquePrefix(`e2e/${label}`).replace(/\/$/, '');
  return {
    bucketUrl: `s3://${rig.s3.bucket}?region=${rig.s3.region}&prefix=${prefix}`,
    tableRoot: (name) => `s3://${rig.s3.bucket}/${prefix}/_tableflow/${name}`,
  };
}

/** The offsets the table's current snapshot records: partition -> next offset. */
export async function committedOffsets(tableRoot: string): Promise<Map<number, number>> {
  const info = await inspectIceberg(tableRoot);
  const snap = info.snapshots.find((s) => s.snapshotId === info.currentSnapshotId);
  const out = new Map<number, number>();
  const raw = snap?.summary['floe.kafka.offsets'];
  if (!raw) return out;
  const parsed = JSON.parse(raw) as { partitions: Record<string, string> };
  for (const [p, o] of Object.entries(parsed.partitions)) out.set(Number(p), Number(o));
  return out;
}

/** Waits until the table records, for every partition of the topic, the topic's end offset. */
export async function waitCaughtUp(topic: string, tableRoot: string, timeoutMs = 180_000, describe?: () => string): Promise<void> {
  const ends = await endOffsets(topic);
  await waitFor(
    async () => {
      const c = await committedOffsets(tableRoot).catch(() => new Map<number, number>());
      const ok = ends.every((end, p) => end === 0 || c.get(p) === end);
      return { ok, state: `committed ${JSON.stringify([...c])} vs end ${JSON.stringify(ends)}${!ok && describe ? `\n${describe()}` : ''}` };
    },
    { timeoutMs, intervalMs: 1500, until: (v) => v.ok, what: `table ${tableRoot} to catch up with ${topic}` },
  );
}

/**
 * The Delta log's commits as stored (version -> the Iceberg snapshot each projects), and the
 * newest checkpoint, read straight from the bucket.
 */
export async function deltaLog(bucketUrl: string, tableName: string): Promise<{ commits: { version: number; snapshotId: string | null }[]; lastCheckpoint: number | null }> {
  const rig = loadRig();
  const store = openStore(bucketUrl, {
    env: { ...process.env, AWS_ENDPOINT_URL_S3: rig.s3.endpoint, AWS_ACCESS_KEY_ID: rig.s3.accessKey, AWS_SECRET_ACCESS_KEY: rig.s3.secretKey, AWS_REGION: rig.s3.region },
  });
  const dir = `_tableflow/${tableName}/_delta_log/`;
  const commits: { version: number; snapshotId: string | null }[] = [];
  for await (const o of store.list(dir)) {
    const m = /(\d{20})\.json$/.exec(o.key);
    if (!m) continue;
    const text = new TextDecoder().decode((await store.get(o.key))!);
    let snapshotId: string | null = null;
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      const a = JSON.parse(line) as { commitInfo?: { floe?: { icebergSnapshotId?: string } } };
      if (a.commitInfo?.floe?.icebergSnapshotId) snapshotId = a.commitInfo.floe.icebergSnapshotId;
    }
    commits.push({ version: Number(m[1]), snapshotId });
  }
  commits.sort((a, b) => a.version - b.version);
  const lc = await store.get(`${dir}_last_checkpoint`);
  const lastCheckpoint = lc ? (JSON.parse(new TextDecoder().decode(lc)) as { version: number }).version : null;
  return { commits, lastCheckpoint };
}

/**
 * Checks the Delta log projects the Iceberg history one to one: versions 0..N-1 with no gap, each
 * naming a distinct Iceberg snapshot, in the order of the table's snapshots.
 */
export async function assertDeltaMirrorsIceberg(bucketUrl: string, tableName: string, tableRoot: string): Promise<{ versions: number; lastCheckpoint: number | null }> {
  // A maintenance commit may land between the two reads; its projection follows within moments.
  return waitFor(() => deltaMirrorsIceberg(bucketUrl, tableName, tableRoot), { timeoutMs: 30_000, intervalMs: 1000, what: `the Delta log of ${tableName} to mirror its Iceberg history` });
}

async function deltaMirrorsIceberg(bucketUrl: string, tableName: string, tableRoot: string): Promise<{ versions: number; lastCheckpoint: number | null }> {
  const info = await inspectIceberg(tableRoot);
  const { commits, lastCheckpoint } = await deltaLog(bucketUrl, tableName);
  const versions = commits.map((c) => c.version);
  const expectedVersions = Array.from({ length: info.snapshots.length }, (_, i) => i);
  if (JSON.stringify(versions) !== JSON.stringify(expectedVersions)) {
    throw new Error(`delta log versions ${JSON.stringify(versions)} do not match the ${info.snapshots.length} Iceberg snapshots`);
  }
  const ordered = [...info.snapshots].sort((a, b) => a.sequenceNumber - b.sequenceNumber).map((s) => s.snapshotId);
  const projected = commits.map((c) => c.snapshotId);
  if (JSON.stringify(projected) !== JSON.stringify(ordered)) {
    throw new Error(`delta commits project snapshots ${JSON.stringify(projected)}, Iceberg has ${JSON.stringify(ordered)}`);
  }
  return { versions: versions.length, lastCheckpoint };
}
