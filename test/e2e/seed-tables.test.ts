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
import { seedTables, tableEntry, freshS3Warehouse, waitCaughtUp, committedOffsets, assertDeltaMirrorsIceberg } from './fixtures.ts';
import { readDelta } from '../helpers/readers.ts';
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

  // A checkpoint every 3 Delta commits, so the run spans several checkpoints.
  const agent = AgentProcess.start({ configYaml: yaml, name: 'seed', env: { FLOE_DELTA_CHECKPOINT_INTERVAL: '3' } });
  agents.push(agent);
  await agent.waitReady();
  // The rest arrives in waves while the agent runs, so it makes many commits.
  const waves = 8;
  for (let w = 0; w < waves; w++) {
    const js = jsonValues.slice(1500 + (w * 1500) / waves, 1500 + ((w + 1) * 1500) / waves);
    const av = avroRows.slice(1000 + (w * 1000) / waves, 1000 + ((w + 1) * 1000) / waves);
    await produceJson(jsonTopic, js, { key: (_v, i) => `k${i % 17}` });
    await produceBinary(
      avroTopic,
      av.map((r, i) => ({ key: Buffer.from(`u${i % 11}`), value: i % 2 ? frameForSchemaRegistry(encode(r), 42) : encode(r) })),
    );
    await new Promise((r) => setTimeout(r, 2500));
  }

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
  // The Delta log mirrors the Iceberg history one commit per snapshot, over at least two
  // checkpoints, and deltalake (QueryBuilder, column mapping by id) reads the same rows.
  for (const [name, root, rows, columns] of [
    [`rig+${jsonTopic}`, jsonRoot, jsonRead.rows, ['environment', 'service', 'status', 'message']],
    [`rig+${avroTopic}`, avroRoot, avroRead.rows, ['event_id', 'user_id', 'session_id', 'profile', 'device', 'cookies', 'event_attributes']],
  ] as const) {
    const mirror = await assertDeltaMirrorsIceberg(wh.bucketUrl, name, root);
    assert.ok(mirror.lastCheckpoint !== null && mirror.lastCheckpoint >= 6, `${name}: want two checkpoints, last at ${mirror.lastCheckpoint} of ${mirror.versions} versions`);
    const delta = await readDelta(root);
    assertSameRows(delta.rows, rows, { columns: [...columns, '_kafka_partition', '_kafka_offset', '_kafka_timestamp'], what: `${name} through deltalake` });
  }
  const info = await inspectIceberg(avroRoot);
  assert.equal(info.formatVersion, 2);
  assert.ok(info.snapshots.length >= 1);
  assert.equal(await agent.metricSum('floe_records_ingested_total', jsonTopic), jsonCount);
  assert.equal(await agent.metricSum('floe_records_ingested_total', avroTopic), avroCount);
  assert.equal(await agent.metricSum('floe_dlq_records_total'), 0);
  assert.equal(await agent.stop(), 0, `agent did not stop cleanly:\n${agent.tail()}`);
});
