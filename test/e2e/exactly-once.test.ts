// Exactly once under faults: 200,000 JSON records (and 60,000 Avro records, through the agent's
// WebAssembly stage) are produced while the agent is killed with SIGKILL at random moments (at
// least 10 times, at least 5 of them after the agent's first commit, while it ingests and commits
// the next) and restarted; then two agents run side by side on the same table. Afterwards the
// table must hold every record exactly once and record the topic's end offsets, as read by
// pyiceberg and duckdb.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { createTopic, produceBinary, produceJson, uniqueTopic, readIcebergBoth, assertSameRows, endOffsets } from '../helpers/index.ts';
import { avroEncoderFor } from '../../agent/src/decode/index.ts';
import { loadConfig, tableSchema } from '../../agent/src/config/index.ts';
import { AgentProcess, rigConfigYaml } from './agent-process.ts';
import { tableEntry, freshS3Warehouse, waitCaughtUp, committedOffsets, assertDeltaMirrorsIceberg } from './fixtures.ts';
import { readDelta } from '../helpers/readers.ts';

const TOTAL = Number(process.env.FLOE_E2E_FAULT_RECORDS ?? 200_000);
const AVRO_TOTAL = Number(process.env.FLOE_E2E_FAULT_AVRO_RECORDS ?? 60_000);
const CHUNK = 10_000;
/** Records produced every half second while the agent is being killed. */
const PACED = 250;
const MIN_KILLS = 10;

const running = new Set<AgentProcess>();
after(async () => {
  for (const a of running) await a.kill();
});

function startAgent(yaml: string, name: string): AgentProcess {
  // A killed agent keeps its partitions until the group's session timeout: the shortest the broker
  // takes, so that the next agent gets to work (and to be killed at work) within seconds.
  const a = AgentProcess.start({ configYaml: yaml, name, env: { FLOE_KAFKA_SESSION_TIMEOUT_MS: '6000' } });
  running.add(a);
  return a;
}

async function kill(a: AgentProcess): Promise<void> {
  await a.kill('SIGKILL');
  running.delete(a);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test(`every one of ${TOTAL} records exactly once despite SIGKILLs and a second agent`, { timeout: 1_200_000 }, () => faults('json', TOTAL));

test(`every one of ${AVRO_TOTAL} Avro records exactly once despite SIGKILLs and a second agent`, { timeout: 1_200_000 }, () => faults('avro', AVRO_TOTAL));

async function faults(format: 'json' | 'avro', TOTAL: number): Promise<void> {
  const topic = uniqueTopic(`exactly-once-${format}`);
  await createTopic(topic, { partitions: 6 });
  const wh = freshS3Warehouse(`exactly-once-${format}`);
  const fields = [
    { name: 'id', id: 1, type: 'long' },
    { name: 'payload', id: 2, type: 'string' },
  ];
  const table = {
    source_cluster_name: 'rig',
    source_topic: topic,
    source_format: format,
    schema_mode: 'inline',
    schema: { fields },
    flush: { interval_seconds: 1, max_records: 7000 },
  };
  const yaml = rigConfigYaml({ bucketUrl: wh.bucketUrl, tables: [tableEntry(table, {})] });
  const root = wh.tableRoot(`rig+${topic}`);
  const expected = Array.from({ length: TOTAL }, (_, i) => ({ id: i, payload: `p-${i}-${'x'.repeat(i % 50)}` }));
  const encode = avroEncoderFor(tableSchema(loadConfig(yaml).tables[0]));

  // Produce in the background while the agent is killed and restarted: a trickle (PACED records
  // every half second) until the kills are done, so that agents have work to be killed at, then
  // the rest at once.
  let produced = 0;
  let killing = true;
  const produce = async (values: typeof expected) => {
    if (format === 'json') await produceJson(topic, values, { key: (v) => `k${v.id % 97}` });
    else await produceBinary(topic, values.map((v) => ({ key: Buffer.from(`k${v.id % 97}`), value: encode({ id: BigInt(v.id), payload: v.payload }) })));
  };
  const producing = (async () => {
    while (produced < TOTAL) {
      const n = killing ? PACED : CHUNK;
      await produce(expected.slice(produced, produced + n));
      produced = Math.min(TOTAL, produced + n);
      if (killing) await sleep(500);
    }
  })();

  let kills = 0;
  // Kills of an agent that had committed in its life: those fell in the middle of its work.
  let midFlight = 0;
  let agent = startAgent(yaml, 'a0');
  const commits = (a: AgentProcess) => a.metricSum('floe_commits_total').catch(() => 0);
  while ((kills < MIN_KILLS || midFlight < MIN_KILLS / 2) && produced < TOTAL) {
    // A random moment: every other time any moment, sometimes before the agent is even ready;
    // otherwise one after its first commit, while it ingests and commits the next.
    if (kills % 2 === 1) {
      const until = Date.now() + 60_000;
      while ((await commits(agent)) === 0 && Date.now() < until) await sleep(200);
      await sleep(randomInt(0, 1500));
    } else {
      await sleep(randomInt(300, 4000));
    }
    if ((await commits(agent)) > 0) midFlight++;
    await kill(agent);
    kills++;
    agent = startAgent(yaml, `a${kills}`);
  }
  killing = false;
  await producing;
  assert.equal(produced, TOTAL);
  assert.ok(kills >= MIN_KILLS, `only ${kills} kills`);
  assert.ok(midFlight >= MIN_KILLS / 2, `only ${midFlight} of ${kills} kills hit an agent that had committed`);

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
  process.stderr.write(`exactly-once ${format}: ${TOTAL} records, ${kills} SIGKILLs (${midFlight} after commits), ${read.filesScanned} data files, ${mirror.versions} Delta commits\n`);
}
