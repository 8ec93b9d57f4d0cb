// The seed's two example tables, end to end on the rig: JSON logs and Avro events (nested structs,
// a list, a map) from Kafka through a real agent process into MinIO; pyiceberg and duckdb must read
// back exactly the records produced, and the table must record the topic's end offsets.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTopic, produceJson, produceBinary, uniqueTopic, readIcebergBoth, assertSameRows, canonical, inspectIceberg } from '../helpers/index.ts';
import { avroEncoderFor, frameForSchemaRegistry } from '../../agent/src/decode/index.ts';
import { loadConfig } from '../../agent/src/config/index.ts';
import { tableSchema } from '../../agent/src/config/index.ts';
import { jsonLog, avroEvent } from '../../examples/producers/seed-data.ts';
import { AgentProcess, rigConfigYaml } from './agent-process.ts';
import { seedTables, tableEntry, freshS3Warehouse, waitCaughtUp, committedOffsets } from './fixtures.ts';
import { endOffsets } from '../helpers/kafka.ts';

const agents: AgentProcess[] = [];
after(async () => {
  for (const a of agents) await a.kill();
});

test('the seed tables land in MinIO exactly as produced (pyiceberg and duckdb)', { timeout: 600_000 }, async () => {
  const [jsonTable, avroTable] = seedTables();
  const jsonTopic = uniqueTopic('seed-json-logs');
  const avroTopic = uniqueTopic('seed-avro-events');
  await createTopic(jsonTopic, { partitions: 3 });
  await createTopic(avroTopic, { partitions: 3 });
  const wh = freshS3Warehouse('seed');
  const flush = { interval_seconds: 2 };
  const yaml = rigConfigYaml({
    bucketUrl: wh.bucketUrl,
    tables: [
      tableEntry(jsonTable, { source_cluster_name: 'rig', source_topic: jsonTopic, flush }),
      tableEntry(avroTable, { source_cluster_name: 'rig', source_topic: avroTopic, flush }),
    ],
  });
  const config = loadConfig(yaml);
  const avroSchema = tableSchema(config.tables[1]);
  const encode = avroEncoderFor(avroSchema);

  const jsonCount = 3000;
  const avroCount = 2000;
  const jsonValues = Array.from({ length: jsonCount }, (_, i) => jsonLog(i));
  const avroRows = Array.from({ length: avroCount }, (_, i) => avroEvent(i));
  // Half of the Avro records carry the schema-registry framing (magic byte + schema id).
  await produceJson(jsonTopic, jsonValues.slice(0, 1500), { key: (_v, i) => `k${i % 17}` });
  await produceBinary(
    avroTopic,
    avroRows.slice(0, 1000).map((r, i) => ({ key: Buffer.from(`u${i % 11}`), value: i % 2 ? frameForSchemaRegistry(encode(r), 42) : encode(r) })),
  );

  const agent = AgentProcess.start({ configYaml: yaml, name: 'seed' });
  agents.push(agent);
  await agent.waitReady();
  // The rest arrives while the agent runs.
  await produceJson(jsonTopic, jsonValues.slice(1500), { key: (_v, i) => `k${i % 17}` });
  await produceBinary(
    avroTopic,
    avroRows.slice(1000).map((r, i) => ({ key: Buffer.from(`u${i % 11}`), value: i % 2 ? frameForSchemaRegistry(encode(r), 42) : encode(r) })),
  );

  const jsonRoot = wh.tableRoot(`rig+${jsonTopic}`);
  const avroRoot = wh.tableRoot(`rig+${avroTopic}`);
  await waitCaughtUp(jsonTopic, jsonRoot, 180_000, () => agent.tail(10));
  await waitCaughtUp(avroTopic, avroRoot, 180_000, () => agent.tail(10));

  const jsonRead = await readIcebergBoth(jsonRoot);
  assertSameRows(jsonRead.rows, jsonValues, { columns: ['environment', 'service', 'status', 'message'], what: 'json logs table' });
  const avroRead = await readIcebergBoth(avroRoot);
  assertSameRows(avroRead.rows, avroRows.map((r) => canonical(r)), {
    columns: ['event_id', 'user_id', 'session_id', 'profile', 'device', 'cookies', 'event_attributes'],
    what: 'avro events table',
  });

  // Each row is traceable to its record, and no (partition, offset) appears twice.
  for (const rows of [jsonRead.rows, avroRead.rows]) {
    const keys = new Set(rows.map((r) => `${r._kafka_partition}/${r._kafka_offset}`));
    assert.equal(keys.size, rows.length, 'a Kafka record landed twice');
  }
  for (const [topic, root] of [
    [jsonTopic, jsonRoot],
    [avroTopic, avroRoot],
  ]) {
    const ends = await endOffsets(topic);
    const c = await committedOffsets(root);
    assert.deepEqual([...c.entries()].sort((a, b) => a[0] - b[0]), ends.map((e, p) => [p, e]));
  }
  const info = await inspectIceberg(avroRoot);
  assert.equal(info.formatVersion, 2);
  assert.ok(info.snapshots.length >= 1);
  assert.equal(await agent.metricSum('floe_records_ingested_total', jsonTopic), jsonCount);
  assert.equal(await agent.metricSum('floe_records_ingested_total', avroTopic), avroCount);
  assert.equal(await agent.metricSum('floe_dlq_records_total'), 0);
  assert.equal(await agent.stop(), 0, `agent did not stop cleanly:\n${agent.tail()}`);
});
