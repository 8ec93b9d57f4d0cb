// Maintenance inside real agents, with no operator action: two agents ingest one topic with a short
// flush interval (many small files) while whichever holds the table's lease compacts it. Readers
// see exactly the produced records throughout, the live file count stays bounded, and the Delta
// log follows every compaction commit.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTopic, produceJson, uniqueTopic, readIceberg, readIcebergBoth, readDelta, assertSameRows, inspectIceberg, waitFor } from '../helpers/index.ts';
import { AgentProcess, rigConfigYaml } from './agent-process.ts';
import { tableEntry, freshS3Warehouse, waitCaughtUp, assertDeltaMirrorsIceberg } from './fixtures.ts';

const agents: AgentProcess[] = [];
after(async () => {
  for (const a of agents) await a.kill();
});

test('two agents ingesting while one compacts: no row lost or doubled, file count bounded', { timeout: 600_000 }, async () => {
  const topic = uniqueTopic('compaction');
  await createTopic(topic, { partitions: 4 });
  const wh = freshS3Warehouse('compaction');
  const table = {
    source_cluster_name: 'rig',
    source_topic: topic,
    source_format: 'json',
    schema_mode: 'inline',
    schema: {
      fields: [
        { name: 'id', id: 1, type: 'long' },
        { name: 'body', id: 2, type: 'string' },
      ],
    },
    flush: { interval_seconds: 1 },
    maintenance: { target_file_size_bytes: 1048576 },
  };
  const yaml = rigConfigYaml({ bucketUrl: wh.bucketUrl, tables: [tableEntry(table, {})] });
  const env = { FLOE_MAINTENANCE_INTERVAL_MS: '1500', FLOE_MAINTENANCE_COMPACTION_FANOUT: '4' };
  const root = wh.tableRoot(`rig+${topic}`);
  const a = AgentProcess.start({ configYaml: yaml, env, name: 'm-a' });
  const b = AgentProcess.start({ configYaml: yaml, env, name: 'm-b' });
  agents.push(a, b);
  await a.waitReady();
  await b.waitReady();

  const expected: { id: number; body: string }[] = [];
  const fileCounts: number[] = [];
  const waves = 24;
  for (let w = 0; w < waves; w++) {
    const batch = Array.from({ length: 1500 }, (_, i) => {
      const id = w * 1500 + i;
      return { id, body: `row ${id} ${'payload '.repeat(id % 9)}` };
    });
    expected.push(...batch);
    await produceJson(topic, batch, { key: (v) => `k${v.id % 31}` });
    await new Promise((r) => setTimeout(r, 1200));
    if (w % 6 === 5) {
      // Readers see a consistent table at any moment: every row they return was produced, once.
      const mid = await readIceberg(root);
      const ids = mid.rows.map((r) => Number(r.id));
      assert.equal(new Set(ids).size, ids.length, 'a row doubled mid-run');
      assert.ok(ids.every((id) => id < expected.length), 'a row that was never produced');
      fileCounts.push((await inspectIceberg(root)).dataFiles.length);
    }
  }
  await waitCaughtUp(topic, root, 180_000, () => `${a.tail(5)}\n${b.tail(5)}`);
  const compacted = await waitFor(
    async () => (await a.metricSum('floe_maintenance_files_compacted_total')) + (await b.metricSum('floe_maintenance_files_compacted_total')),
    { timeoutMs: 60_000, intervalMs: 1000, until: (n) => n > 0, what: 'a compaction commit' },
  );
  const info = await inspectIceberg(root);
  const appends = info.snapshots.filter((s) => s.operation === 'append').length;
  const replaces = info.snapshots.filter((s) => s.operation === 'replace').length;
  fileCounts.push(info.dataFiles.length);
  process.stderr.write(
    `maintenance e2e: ${expected.length} rows, ${appends} ingest commits, ${replaces} compaction commits, ${compacted} files compacted, live files over time ${JSON.stringify(fileCounts)}\n`,
  );
  assert.ok(replaces > 0);
  assert.ok(info.dataFiles.length < appends, `live files ${info.dataFiles.length} not below the ${appends} ingest commits`);

  const read = await readIcebergBoth(root);
  assertSameRows(read.rows, expected, { columns: ['id', 'body'], what: 'table after compaction' });
  await assertDeltaMirrorsIceberg(wh.bucketUrl, `rig+${topic}`, root);
  assertSameRows((await readDelta(root)).rows, expected, { columns: ['id', 'body'], what: 'delta table after compaction' });
  await a.stop();
  await b.stop();
});
