// Ingestion edges, end to end on the rig with a real agent process: hour partitioning and pruning,
// bad input routed to the dead-letter table, every Kafka compression codec, and SASL/SCRAM over TLS
// with the seed's credential fields (and a wrong password failing clearly, not hanging).
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  createTopic,
  produceJson,
  produceText,
  produceBinary,
  uniqueTopic,
  readIceberg,
  readIcebergBoth,
  assertSameRows,
  inspectIceberg,
  loadRig,
  COMPRESSIONS,
  waitFor,
} from '../helpers/index.ts';
import { avroEncoderFor, frameForSchemaRegistry } from '../../agent/src/decode/index.ts';
import { loadConfig, tableSchema } from '../../agent/src/config/index.ts';
import { AgentProcess, rigConfigYaml } from './agent-process.ts';
import { tableEntry, freshS3Warehouse, waitCaughtUp, committedOffsets } from './fixtures.ts';

const agents: AgentProcess[] = [];
after(async () => {
  for (const a of agents) await a.kill();
});
before(() => {
  loadRig();
});

const logsSchema = {
  fields: [
    { name: 'environment', id: 1, type: 'string' },
    { name: 'service', id: 2, type: 'string' },
    { name: 'status', id: 3, type: 'string' },
    { name: 'message', id: 4, type: 'string' },
  ],
};

function table(topic: string, extra: Record<string, unknown> = {}) {
  return tableEntry(
    { source_cluster_name: 'rig', source_topic: topic, source_format: 'json', schema_mode: 'inline', schema: logsSchema, flush: { interval_seconds: 1 } },
    extra,
  );
}

test('hour partitioning: files land in their hour, and a time filter prunes', { timeout: 300_000 }, async () => {
  const topic = uniqueTopic('hourly');
  // The records are dated in a fixed past: with the broker's 7-day retention they would be deleted
  // at its next retention check once a week old (a regression: the table then never caught up).
  await createTopic(topic, { partitions: 2, config: { 'retention.ms': '-1' } });
  const wh = freshS3Warehouse('hourly');
  // Compaction off: it would merge an hour's files (one per ingest worker) between the listing of
  // the files below and the filtered scan, and the file counts would compare different snapshots.
  const yaml = rigConfigYaml({ bucketUrl: wh.bucketUrl, tables: [table(topic, { partitioning_scheme: 'hour', maintenance: { compaction_enabled: false } })] });
  const base = Date.UTC(2026, 10, 20, 8, 0, 0);
  const hours = [0, 1, 2, 5];
  const records = hours.flatMap((h) =>
    Array.from({ length: 50 }, (_, i) => ({
      value: { environment: 'prod', service: `h${h}`, status: 'ok', message: `m${h}-${i}` },
      timestamp: BigInt(base + h * 3_600_000 + i * 1000),
    })),
  );
  await produceBinary(
    topic,
    records.map((r, i) => ({ key: Buffer.from(`k${i % 5}`), value: Buffer.from(JSON.stringify(r.value)), timestamp: r.timestamp })),
  );
  const agent = AgentProcess.start({ configYaml: yaml, name: 'hourly' });
  agents.push(agent);
  const root = wh.tableRoot(`rig+${topic}`);
  await waitCaughtUp(topic, root, 120_000, () => agent.tail(5));

  const info = await inspectIceberg(root);
  const hourOfFile = new Map<string, number>();
  for (const f of info.dataFiles) {
    const m = /_kafka_timestamp_hour=(\d{4}-\d{2}-\d{2}-\d{2})\//.exec(f.path);
    assert.ok(m, `data file outside an hour partition: ${f.path}`);
    hourOfFile.set(f.path, Date.parse(`${m[1].slice(0, 10)}T${m[1].slice(11)}:00:00Z`));
  }
  assert.deepEqual(
    [...new Set(hourOfFile.values())].sort(),
    hours.map((h) => base + h * 3_600_000),
  );
  const all = await readIcebergBoth(root);
  assertSameRows(all.rows, records.map((r) => r.value), { columns: ['environment', 'service', 'status', 'message'] });
  // Every row sits in the partition of its own record timestamp.
  for (const r of all.rows) {
    const ts = Number(r._kafka_timestamp) / 1000;
    assert.equal(Math.floor(ts / 3_600_000) * 3_600_000, base + Number(String(r.service).slice(1)) * 3_600_000);
  }
  const from = new Date(base + 2 * 3_600_000).toISOString().replace(/\.\d{3}Z$/, '+00:00');
  const filtered = await readIceberg(root, { filter: `_kafka_timestamp >= '${from}'` });
  assertSameRows(filtered.rows, records.filter((r) => r.timestamp >= BigInt(base + 2 * 3_600_000)).map((r) => r.value), {
    columns: ['environment', 'service', 'status', 'message'],
  });
  const filesAfter = [...hourOfFile.values()].filter((h) => h >= base + 2 * 3_600_000).length;
  assert.equal(filtered.filesScanned, filesAfter, 'the time filter did not prune partitions');
  assert.ok(filtered.filesScanned < all.filesScanned);
  await agent.stop();
});

test('bad input goes to the DLQ with its reason; the good records around it land', { timeout: 300_000 }, async () => {
  const jsonTopic = uniqueTopic('bad-json');
  const avroTopic = uniqueTopic('bad-avro');
  await createTopic(jsonTopic, { partitions: 1 });
  await createTopic(avroTopic, { partitions: 1 });
  const wh = freshS3Warehouse('dlq');
  const typed = {
    fields: [
      { name: 'id', id: 1, type: 'long' },
      { name: 'name', id: 2, type: 'string' },
      { name: 'score', id: 3, type: 'int', optional: true },
    ],
  };
  const yaml = rigConfigYaml({
    bucketUrl: wh.bucketUrl,
    tables: [
      tableEntry({ source_cluster_name: 'rig', source_topic: jsonTopic, source_format: 'json', schema_mode: 'inline', schema: typed, flush: { interval_seconds: 1 } }, {}),
      tableEntry({ source_cluster_name: 'rig', source_topic: avroTopic, source_format: 'avro', schema_mode: 'inline', schema: typed, flush: { interval_seconds: 1 } }, {}),
    ],
  });
  const cfg = loadConfig(yaml);
  const encode = avroEncoderFor(tableSchema(cfg.tables[1]));

  const bad = [
    { raw: '{"id": 1, "name": "x"', reason: /JSON/i },
    { raw: '{"id": "abc", "name": "x"}', reason: /id: expected long/ },
    { raw: '{"name": "no id"}', reason: /id: missing required field/ },
    { raw: '{"id": 4, "name": "x", "score": "high"}', reason: /score: expected int/ },
  ];
  const jsonLines: string[] = [];
  const goodJson: unknown[] = [];
  for (let i = 0; i < 20; i++) {
    const g = { id: 100 + i, name: `good-${i}`, score: i };
    goodJson.push(g);
    jsonLines.push(JSON.stringify(g));
    if (i % 5 === 2) jsonLines.push(bad[(i / 5) | 0].raw);
  }
  await produceText(jsonTopic, jsonLines);

  const goodAvro = Array.from({ length: 10 }, (_, i) => ({ id: BigInt(i), name: `a${i}`, score: i % 2 ? null : i }));
  const full = encode(goodAvro[0]);
  const wrongMagic = Buffer.concat([Buffer.from([0x07, 0, 0, 0, 1]), encode(goodAvro[1])]);
  const avroValues: Buffer[] = [];
  goodAvro.forEach((r, i) => {
    avroValues.push(i % 2 ? frameForSchemaRegistry(encode(r), 7) : encode(r));
    if (i === 3) avroValues.push(full.subarray(0, full.length - 2)); // truncated
    if (i === 6) avroValues.push(wrongMagic);
  });
  await produceBinary(avroTopic, avroValues.map((v) => ({ value: v, partition: 0 })));

  const agent = AgentProcess.start({ configYaml: yaml, name: 'dlq' });
  agents.push(agent);
  const jsonRoot = wh.tableRoot(`rig+${jsonTopic}`);
  const avroRoot = wh.tableRoot(`rig+${avroTopic}`);
  await waitCaughtUp(jsonTopic, jsonRoot, 120_000, () => agent.tail(5));
  await waitCaughtUp(avroTopic, avroRoot, 120_000, () => agent.tail(5));

  assertSameRows((await readIcebergBoth(jsonRoot)).rows, goodJson, { columns: ['id', 'name', 'score'] });
  assertSameRows((await readIcebergBoth(avroRoot)).rows, goodAvro.map((r) => ({ ...r, id: Number(r.id) })), { columns: ['id', 'name', 'score'] });

  const jsonDlq = (await readIcebergBoth(`${jsonRoot}+dlq`)).rows;
  assert.equal(jsonDlq.length, bad.length, JSON.stringify(jsonDlq));
  for (const b of bad) {
    const hit = jsonDlq.find((r) => Buffer.from(String(r.value), 'base64').toString() === b.raw);
    assert.ok(hit, `no DLQ row for ${b.raw}`);
    assert.match(String(hit.reason), b.reason);
    assert.equal(hit.topic, jsonTopic);
    assert.equal(hit.partition, 0);
    assert.equal(typeof hit.offset, 'number');
    assert.ok(Number(hit.timestamp) > 0);
  }
  const avroDlq = (await readIcebergBoth(`${avroRoot}+dlq`)).rows;
  assert.equal(avroDlq.length, 2, JSON.stringify(avroDlq));
  assert.ok(avroDlq.some((r) => /truncat|end of (input|data)|bytes/i.test(String(r.reason))), JSON.stringify(avroDlq));
  assert.ok(avroDlq.some((r) => /magic byte 0x07/.test(String(r.reason))), JSON.stringify(avroDlq));
  assert.equal(await agent.metricSum('floe_dlq_records_total'), bad.length + 2);
  await agent.stop();
});

test('records written with every Kafka compression codec are ingested', { timeout: 300_000 }, async () => {
  const topic = uniqueTopic('codecs');
  await createTopic(topic, { partitions: 1 });
  const wh = freshS3Warehouse('codecs');
  const yaml = rigConfigYaml({ bucketUrl: wh.bucketUrl, tables: [table(topic)] });
  const expected: Record<string, string>[] = [];
  for (const codec of COMPRESSIONS) {
    const values = Array.from({ length: 300 }, (_, i) => ({ environment: codec, service: 'svc', status: 'ok', message: `${codec} ${i} ${'lorem ipsum '.repeat(i % 7)}` }));
    expected.push(...values);
    // Kafka's own console producer, so the batches are compressed by the Java client.
    await produceJson(topic, values, { compression: codec, producerProperties: { 'linger.ms': '20', 'batch.size': '65536' } });
  }
  const agent = AgentProcess.start({ configYaml: yaml, name: 'codecs' });
  agents.push(agent);
  const root = wh.tableRoot(`rig+${topic}`);
  await waitCaughtUp(topic, root, 120_000, () => agent.tail(5));
  assertSameRows((await readIcebergBoth(root)).rows, expected, { columns: ['environment', 'service', 'status', 'message'] });
  await agent.stop();
});

function saslCluster(mechanism: string): string {
  return [
    '    credentials:',
    '      use_tls: true',
    '      tls_insecure_skip_verify: false',
    `      sasl_mechanism: ${mechanism}`,
    '      sasl_username_env: RIG_SASL_USER',
    '      sasl_password_env: RIG_SASL_PASSWORD',
    '      mtls_server_ca_cert_env: RIG_CA_PATH',
  ].join('\n');
}

test('SASL/SCRAM over TLS with the seed credential fields; a wrong password fails clearly', { timeout: 300_000 }, async () => {
  const rig = loadRig();
  const topic = uniqueTopic('tls-in'); // a name without 'sasl' in it, so the checks below can't match it
  await createTopic(topic, { partitions: 2 });
  const values = Array.from({ length: 500 }, (_, i) => ({ environment: 'sasl', service: 's', status: 'ok', message: `m${i}` }));
  await produceJson(topic, values);
  for (const mechanism of ['scram-512', 'scram-256']) {
    // Each round its own bucket prefix: a stored configuration in the bucket would win over the file.
    const wh = freshS3Warehouse(`sasl-${mechanism}`);
    const yaml = rigConfigYaml({
      bucketUrl: wh.bucketUrl,
      bootstrap: rig.kafka.saslBootstrap,
      credentials: saslCluster(mechanism),
      tables: [table(topic)],
    });
    const env = { TABLEFLOW_RIG_SASL_USER: rig.kafka.saslUser, TABLEFLOW_RIG_SASL_PASSWORD: rig.kafka.saslPassword, TABLEFLOW_RIG_CA_PATH: rig.kafka.saslCaPem };
    {
      const agent = AgentProcess.start({ configYaml: yaml, env, name: 'sasl' });
      agents.push(agent);
      const root = wh.tableRoot(`rig+${topic}`);
      await waitCaughtUp(topic, root, 120_000, () => agent.tail(5));
      assertSameRows((await readIcebergBoth(root)).rows, values, { columns: ['environment', 'service', 'status', 'message'] });
      await agent.stop();
    }
    // The wrong password: the agent stays up, reports the authentication failure, never hangs silently.
    const wrong = AgentProcess.start({ configYaml: yaml, env: { ...env, TABLEFLOW_RIG_SASL_PASSWORD: 'not-the-password' }, name: 'sasl-wrong' });
    agents.push(wrong);
    const problem = await waitFor(
      async () => {
        if (!wrong.url) return '';
        const r = await fetch(`${wrong.url}/readyz`);
        const body = (await r.json()) as { problems: string[] };
        return r.status === 503 ? body.problems.join('\n') : '';
      },
      { timeoutMs: 60_000, intervalMs: 500, until: (p) => /auth|sasl|scram|password|credential/i.test(p), what: `a ${mechanism} authentication failure on /readyz` },
    );
    assert.match(problem, new RegExp(rig.kafka.saslUser));
    assert.doesNotMatch(problem, /not-the-password/);
    assert.ok(wrong.logs.some((l) => /"level":"error"/.test(l) && /auth|sasl|scram/i.test(l)), 'no error log about authentication');
    assert.ok(!wrong.logs.some((l) => l.includes('not-the-password')), 'the password was logged');
    await wrong.stop();
  }
});

test('a new table reads its topic from the beginning even when the consumer group has offsets (regression)', { timeout: 300_000 }, async () => {
  const topic = uniqueTopic('fresh-table');
  await createTopic(topic, { partitions: 2 });
  const values = Array.from({ length: 400 }, (_, i) => ({ environment: 'e', service: 's', status: 'ok', message: `m${i}` }));
  await produceJson(topic, values);
  // The first warehouse ingests everything and leaves group offsets at the topic's end.
  const first = freshS3Warehouse('fresh-a');
  const a = AgentProcess.start({ configYaml: rigConfigYaml({ bucketUrl: first.bucketUrl, tables: [table(topic)] }), name: 'fresh-a' });
  agents.push(a);
  await waitCaughtUp(topic, first.tableRoot(`rig+${topic}`), 120_000, () => a.tail(5));
  await a.stop();
  // Same table name, same consumer group, empty warehouse: the table, not the group, decides.
  const second = freshS3Warehouse('fresh-b');
  const b = AgentProcess.start({ configYaml: rigConfigYaml({ bucketUrl: second.bucketUrl, tables: [table(topic)] }), name: 'fresh-b' });
  agents.push(b);
  const root = second.tableRoot(`rig+${topic}`);
  await waitCaughtUp(topic, root, 120_000, () => b.tail(5));
  assertSameRows((await readIceberg(root)).rows, values, { columns: ['environment', 'service', 'status', 'message'] });
  await b.stop();
});

test('idle flush: a backlog and the tail after a full batch commit once the topic goes quiet, a trickle waits for its interval', { timeout: 300_000 }, async () => {
  const backlog = uniqueTopic('idle-backlog');
  const trickle = uniqueTopic('idle-trickle');
  const tail = uniqueTopic('idle-tail');
  await createTopic(backlog, { partitions: 2 });
  await createTopic(trickle, { partitions: 1 });
  await createTopic(tail, { partitions: 1 });
  // ~3 MiB of records: more than 1/16 of the 16 MiB batch, far less than a full batch.
  const many = Array.from({ length: 20_000 }, (_, i) => ({ environment: 'prod', service: `svc-${i % 7}`, status: 'ok', message: `request ${i} ${'x'.repeat(100)}` }));
  await produceJson(backlog, many, { producerProperties: { 'linger.ms': '20', 'batch.size': '262144' } });
  await produceJson(trickle, [{ environment: 'dev', service: 'svc', status: 'ok', message: 'one' }]);
  // The tail table's batches are full at 1,000 records: its first batch commits for size.
  const full = Array.from({ length: 1_000 }, (_, i) => ({ environment: 'prod', service: 'tail', status: 'ok', message: `full ${i}` }));
  await produceJson(tail, full);
  const wh = freshS3Warehouse('idle');
  const flush = { max_bytes: 16 * 1024 * 1024, max_records: 10_000_000, interval_seconds: 300 };
  const entry = (topic: string, f = flush) =>
    tableEntry({ source_cluster_name: 'rig', source_topic: topic, source_format: 'json', schema_mode: 'inline', schema: logsSchema, flush: f }, {});
  const yaml = rigConfigYaml({ bucketUrl: wh.bucketUrl, tables: [entry(backlog), entry(trickle), entry(tail, { ...flush, max_records: 1_000 })] });
  const agent = AgentProcess.start({ configYaml: yaml, name: 'idle' });
  agents.push(agent);
  // The interval is 5 minutes: only the idle flush can commit the backlog within 2.
  await waitCaughtUp(backlog, wh.tableRoot(`rig+${backlog}`), 120_000, () => agent.tail(5));
  assertSameRows((await readIcebergBoth(wh.tableRoot(`rig+${backlog}`))).rows, many, { columns: ['environment', 'service', 'status', 'message'] });
  assert.ok(agent.logs.some((l) => l.includes('committed batch') && l.includes('"why":"idle"')), `no idle commit in the log:\n${agent.tail(10)}`);
  // After the full batch, 20 records (far below 1/16 of 1,000) are the tail of a burst: they commit
  // on idle too, not after the 5-minute interval.
  await waitCaughtUp(tail, wh.tableRoot(`rig+${tail}`), 120_000, () => agent.tail(5));
  const rest = Array.from({ length: 20 }, (_, i) => ({ environment: 'prod', service: 'tail', status: 'ok', message: `rest ${i}` }));
  await produceJson(tail, rest);
  await waitCaughtUp(tail, wh.tableRoot(`rig+${tail}`), 60_000, () => agent.tail(5));
  const tailCommits = agent.logs.filter((l) => l.includes('committed batch') && l.includes(`rig+${tail}"`)).map((l) => JSON.parse(l) as { why: string; records: number });
  assert.deepEqual(tailCommits.map((c) => [c.why, c.records]), [['records', 1_000], ['idle', 20]]);
  assertSameRows((await readIcebergBoth(wh.tableRoot(`rig+${tail}`))).rows, [...full, ...rest], { columns: ['environment', 'service', 'status', 'message'] });
  // One small record is far below 1/16 of a batch and follows no full batch: it waits for the
  // interval (or the shutdown).
  const trickleOffsets = await committedOffsets(wh.tableRoot(`rig+${trickle}`)).catch(() => new Map<number, number>());
  assert.equal(trickleOffsets.get(0), undefined, 'the trickle table committed before its interval');
  await agent.stop();
  assert.equal((await committedOffsets(wh.tableRoot(`rig+${trickle}`))).get(0), 1, 'the shutdown flush commits the trickle');
});

test('idle flush: the tail after a full batch commits as soon as a fetch comes back empty, not FLOE_FLUSH_IDLE_MS later', { timeout: 180_000 }, async () => {
  const tail = uniqueTopic('idle-tail-prompt');
  await createTopic(tail, { partitions: 1 });
  const full = Array.from({ length: 1_000 }, (_, i) => ({ environment: 'prod', service: 'tail', status: 'ok', message: `full ${i}` }));
  await produceJson(tail, full);
  const wh = freshS3Warehouse('idle-prompt');
  const flush = { max_bytes: 16 * 1024 * 1024, max_records: 1_000, interval_seconds: 300 };
  const yaml = rigConfigYaml({
    bucketUrl: wh.bucketUrl,
    tables: [tableEntry({ source_cluster_name: 'rig', source_topic: tail, source_format: 'json', schema_mode: 'inline', schema: logsSchema, flush }, {})],
  });
  // Ten minutes of idleness and five of interval: only the tail rule can commit the rest soon.
  const agent = AgentProcess.start({ configYaml: yaml, name: 'idle-prompt', env: { FLOE_FLUSH_IDLE_MS: '600000' } });
  agents.push(agent);
  await waitCaughtUp(tail, wh.tableRoot(`rig+${tail}`), 60_000, () => agent.tail(5));
  const rest = Array.from({ length: 20 }, (_, i) => ({ environment: 'prod', service: 'tail', status: 'ok', message: `rest ${i}` }));
  await produceJson(tail, rest);
  await waitCaughtUp(tail, wh.tableRoot(`rig+${tail}`), 60_000, () => agent.tail(5));
  const commits = agent.logs.filter((l) => l.includes('committed batch')).map((l) => JSON.parse(l) as { why: string; records: number });
  assert.deepEqual(commits.map((c) => [c.why, c.records]), [['records', 1_000], ['idle', 20]]);
  assertSameRows((await readIcebergBoth(wh.tableRoot(`rig+${tail}`))).rows, [...full, ...rest], { columns: ['environment', 'service', 'status', 'message'] });
  await agent.stop();
});
