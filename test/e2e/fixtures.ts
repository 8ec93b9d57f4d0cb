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
