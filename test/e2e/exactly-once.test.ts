// Exactly once under faults: 200,000 records are produced while the agent is killed with SIGKILL
// at random moments (at least 10 times) and restarted; then two agents run side by side on the
// same table. Afterwards the table must hold every record exactly once and record the topic's end
// offsets, as read by pyiceberg and duckdb.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { createTopic, produceJson, uniqueTopic, readIcebergBoth, assertSameRows, endOffsets } from '../helpers/index.ts';
import { AgentProcess, rigConfigYaml } from './agent-process.ts';
import { tableEntry, freshS3Warehouse, waitCaughtUp, committedOffsets, assertDeltaMirrorsIceberg } from './fixtures.ts';
import { readDelta } from '../helpers/readers.ts';

const TOTAL = Number(process.env.FLOE_E2E_FAULT_RECORDS ?? 200_000);
const CHUNK = 10_000;
const MIN_KILLS = 10;

const running = new Set<AgentProcess>();
after(async () => {
  for (const a of running) await a.kill();
});

function startAgent(yaml: string, name: string): AgentProcess {
  const a = AgentProcess.start({ configYaml: yaml, name });
  running.add(a);
  return a;
}

async function kill(a: AgentProcess): Promise<void> {
  await a.kill('SIGKILL');
  running.delete(a);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test(`every one of ${TOTAL} records exactly once despite SIGKILLs and a second agent`, { timeout: 1_200_000 }, async () => {
  const topic = uniqueTopic('exactly-once');
  await createTopic(topic, { partitions: 6 });
  const wh = freshS3Warehouse('exactly-once');
  const table = {
    source_cluster_name: 'rig',
    source_topic: topic,
    source_format: 'json',
    schema_mode: 'inline',
    schema: {
      fields: [
        { name: 'id', id: 1, type: 'long' },
        { name: 'payload', id: 2, type: 'string' },
      ],
    },
    flush: { interval_seconds: 1, max_records: 7000 },
  };
  const yaml = rigConfigYaml({ bucketUrl: wh.bucketUrl, tables: [tableEntry(table, {})] });
  const root = wh.tableRoot(`rig+${topic}`);
  const expected = Array.from({ length: TOTAL }, (_, i) => ({ id: i, payload: `p-${i}-${'x'.repeat(i % 50)}` }));

  // Produce in chunks in the background while the agent is killed and restarted.
  let produced = 0;
  const producing = (async () => {
    for (let i = 0; i < TOTAL; i += CHUNK) {
      await produceJson(topic, expected.slice(i, i + CHUNK), { key: (v) => `k${v.id % 97}` });
      produced = Math.min(TOTAL, i + CHUNK);
    }
  })();

  let kills = 0;
  let agent = startAgent(yaml, 'a0');
  let producingDone = false;
  void producing.then(() => (producingDone = true), () => (producingDone = true));
  while (kills < MIN_KILLS || !producingDone) {
    // A random moment: sometimes before the agent is even ready, mostly while it ingests.
    await sleep(randomInt(300, 4000));
    await kill(agent);
    kills++;
    agent = startAgent(yaml, `a${kills}`);
    if (kills > 60) break;
  }
  await producing;
  assert.equal(produced, TOTAL);
  assert.ok(kills >= MIN_KILLS, `only ${kills} kills`);

  // Two agents side by side share the partitions through the consumer group.
  const second = startAgent(yaml, 'b');
  await agent.waitReady(120_000);
  await second.waitReady(120_000);
  await waitCaughtUp(topic, root, 300_000, () => `${agent.tail(5)}\n${second.tail(5)}`);
  assert.ok((await agent.metricSum('floe_records_ingested_total')) + (await second.metricSum('floe_records_ingested_total')) >= 0);
  await agent.stop();
  await second.stop();
  running.delete(agent);
  running.delete(second);

  const read = await readIcebergBoth(root);
  const keys = new Set(read.rows.map((r) => `${r._kafka_partition}/${r._kafka_offset}`));
  assert.equal(keys.size, read.rows.length, 'some Kafka record landed twice');
  assertSameRows(read.rows, expected, { columns: ['id', 'payload'], what: 'table after faults' });
  // SIGKILLs also fell between Iceberg commits and their Delta projection: the Delta log must still
  // hold exactly one commit per Iceberg snapshot, none doubled or skipped, and read the same rows.
  const mirror = await assertDeltaMirrorsIceberg(wh.bucketUrl, `rig+${topic}`, root);
  assertSameRows((await readDelta(root)).rows, expected, { columns: ['id', 'payload'], what: 'delta table after faults' });
  const ends = await endOffsets(topic);
  const c = await committedOffsets(root);
  assert.deepEqual([...c.entries()].sort((a, b) => a[0] - b[0]), ends.map((e, p) => [p, e]));
  assert.equal(ends.reduce((a, b) => a + b, 0), TOTAL);
  process.stderr.write(`exactly-once: ${TOTAL} records, ${kills} SIGKILLs, ${read.filesScanned} data files, ${mirror.versions} Delta commits\n`);
});
