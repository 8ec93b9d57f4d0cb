// The control API end to end on the rig: a real `floe agent` process, Kafka and MinIO.
//  - the agent bootstraps the configuration store from its file (v1);
//  - a table added through the API starts ingesting;
//  - a column added through the API becomes a new Iceberg schema; records that carry it land next
//    to the old ones, and pyiceberg and deltalake read old and new records together;
//  - a refused migration answers 422 and changes nothing;
//  - a second agent started from a different file runs the stored configuration (the store wins);
//  - deleting the table through the second agent stops ingestion on both, and the data stays.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createTopic, produceJson, uniqueTopic, readIceberg, readDelta, assertSameRows, inspectIceberg, waitFor, endOffsets } from '../helpers/index.ts';
import { AgentProcess, rigConfigYaml } from './agent-process.ts';
import { freshS3Warehouse, waitCaughtUp, committedOffsets } from './fixtures.ts';

const agents: AgentProcess[] = [];
after(async () => {
  for (const a of agents) await a.kill();
});

const TOKEN = randomBytes(24).toString('hex');

async function api(agent: AgentProcess, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  assert.ok(agent.url, 'agent has no URL yet');
  const res = await fetch(`${agent.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

interface Rec {
  id: number;
  name: string;
  region?: string;
}

test('tables added and evolved through the control API ingest, and read back with pyiceberg and deltalake', { timeout: 900_000 }, async () => {
  const topic = uniqueTopic('control-api');
  await createTopic(topic, { partitions: 2 });
  const wh = freshS3Warehouse('control');
  const name = `rig+${topic}`;
  const encoded = encodeURIComponent(name);
  const root = wh.tableRoot(name);
  const env = { FLOE_API_TOKEN: TOKEN, FLOE_CONFIG_POLL_MS: '500' };

  // An agent whose file names the cluster and no table.
  const a = AgentProcess.start({ configYaml: rigConfigYaml({ bucketUrl: wh.bucketUrl, tables: [] }), name: 'control-a', env });
  agents.push(a);
  await a.waitReady();
  const v1 = await api(a, 'GET', '/v1/config');
  assert.equal(v1.status, 200, v1.text);
  assert.equal(v1.headers.get('etag'), '"1"', 'the file became version 1 of the store');
  assert.deepEqual(v1.json.tables, []);
  assert.equal((await api(a, 'GET', '/v1/tables', undefined, { authorization: 'Bearer wrong' })).status, 403);

  const before: Rec[] = Array.from({ length: 60 }, (_, i) => ({ id: i, name: `n${i}` }));
  await produceJson(topic, before, { key: (r) => `k${r.id % 7}` });

  // Add the table through the API: it starts ingesting.
  const fields = [
    { name: 'id', type: 'long', id: 1 },
    { name: 'name', type: 'string', id: 2 },
  ];
  const created = await api(a, 'POST', '/v1/tables', {
    source_cluster_name: 'rig',
    source_topic: topic,
    source_format: 'json',
    schema: { fields },
    flush: { interval_seconds: 1 },
  });
  assert.equal(created.status, 201, created.text);
  assert.equal(created.json.name, name);
  assert.equal(created.headers.get('etag'), '"2"');
  await waitCaughtUp(topic, root, 180_000, () => a.tail(10));

  const ends = await endOffsets(topic);
  const status = await waitFor(() => api(a, 'GET', `/v1/tables/${encoded}/status`), { until: (r) => r.json?.caught_up === true, what: 'status to report caught up', timeoutMs: 60_000 });
  assert.equal(status.json.exists, true);
  assert.equal(status.json.time_lag_seconds, 0);
  assert.deepEqual(
    status.json.partitions.map((p: { partition: number; high_watermark: number; committed_offset: number }) => [p.partition, p.high_watermark, p.committed_offset]),
    ends.map((e, p) => [p, e, e]),
  );
  assert.ok(status.json.last_snapshot?.id);
  assert.ok(status.json.data_files.count >= 1);
  assert.equal(status.json.data_files.total_records, before.length);
  assert.deepEqual(status.json.dlq, { enabled: true, records: 0 });
  assertSameRows((await readIceberg(root)).rows, before, { columns: ['id', 'name'], what: 'table added through the API' });

  // A refused migration answers 422 and changes nothing.
  const narrowed = await api(a, 'PUT', `/v1/tables/${encoded}`, { ...created.json, schema: { fields: [{ name: 'id', type: 'int', id: 1 }, fields[1]] } });
  assert.equal(narrowed.status, 422, narrowed.text);
  assert.equal(narrowed.json.errors[0].path, 'schema.fields[0]');
  assert.match(narrowed.json.errors[0].message, /^id \(id 1\): type change long -> int is not a widening/);

  // Add a column through the API (If-Match: the version read), then produce records carrying it.
  const current = await api(a, 'GET', `/v1/tables/${encoded}`);
  const added = await api(
    a,
    'PUT',
    `/v1/tables/${encoded}`,
    { ...current.json, schema: { fields: [...fields, { name: 'region', type: 'string', id: 3, optional: true }] } },
    { 'if-match': current.headers.get('etag') ?? '' },
  );
  assert.equal(added.status, 200, added.text);
  assert.deepEqual(added.json.schema.fields[2], { name: 'region', id: 3, type: 'string', optional: true });
  const schemaInfo = await waitFor(() => inspectIceberg(root), {
    until: (info) => JSON.stringify(info.schema).includes('"region"'),
    what: 'the agent to commit the new Iceberg schema',
    timeoutMs: 60_000,
  });
  assert.ok(Number((schemaInfo.schema as { 'schema-id'?: number; schema_id?: number })['schema-id'] ?? (schemaInfo.schema as { schema_id?: number }).schema_id) >= 1, 'a new schema id');

  const after1: Rec[] = Array.from({ length: 40 }, (_, i) => ({ id: 100 + i, name: `m${i}`, region: i % 2 ? 'eu' : 'us' }));
  await produceJson(topic, after1, { key: (r) => `k${r.id % 7}` });
  await waitCaughtUp(topic, root, 180_000, () => a.tail(10));

  const expected = [...before.map((r) => ({ ...r, region: null })), ...after1];
  const ice = await readIceberg(root);
  assertSameRows(ice.rows, expected, { columns: ['id', 'name', 'region'], what: 'pyiceberg: old and new records together' });
  const delta = await waitFor(() => readDelta(root), { until: (d) => d.rows.length === expected.length, what: 'the Delta projection to catch up', timeoutMs: 60_000 });
  assertSameRows(delta.rows, expected, { columns: ['id', 'name', 'region'], what: 'deltalake: old and new records together' });

  // A second agent, started from a file without the table: the store wins, and it says so.
  const b = AgentProcess.start({ configYaml: rigConfigYaml({ bucketUrl: wh.bucketUrl, tables: [] }), name: 'control-b', env });
  agents.push(b);
  await waitFor(() => b.url, { what: 'agent b to listen', timeoutMs: 60_000 });
  const bConfig = await waitFor(() => api(b, 'GET', '/v1/config'), { until: (r) => r.status === 200, what: 'agent b to serve the API', timeoutMs: 60_000 });
  assert.equal(bConfig.headers.get('etag'), '"3"');
  assert.equal(bConfig.json.tables.length, 1);
  assert.ok(b.logs.some((l) => l.includes('the stored version wins')), 'agent b logs that the stored configuration wins');

  const after2: Rec[] = Array.from({ length: 30 }, (_, i) => ({ id: 200 + i, name: `o${i}`, region: 'ap' }));
  await produceJson(topic, after2, { key: (r) => `k${r.id % 7}` });
  await waitCaughtUp(topic, root, 180_000, () => `${a.tail(5)}\n${b.tail(5)}`);

  // Delete the table through agent b: both agents stop ingesting it; its data stays.
  const del = await api(b, 'DELETE', `/v1/tables/${encoded}`);
  assert.equal(del.status, 200, del.text);
  assert.equal((await api(a, 'GET', `/v1/tables/${encoded}/status`)).status, 404);
  await waitFor(() => a.logs.some((l) => l.includes('ingestion stops, data stays')) && b.logs.some((l) => l.includes('ingestion stops, data stays')), {
    what: 'both agents to stop the table',
    timeoutMs: 30_000,
  });
  const stoppedAt = await committedOffsets(root);
  await produceJson(topic, Array.from({ length: 10 }, (_, i) => ({ id: 300 + i, name: 'late' })));
  await new Promise((r) => setTimeout(r, 5000));
  assert.deepEqual([...(await committedOffsets(root))], [...stoppedAt], 'no agent ingests a deleted table');
  const kept = await readIceberg(root);
  assertSameRows(kept.rows, [...expected, ...after2], { columns: ['id', 'name', 'region'], what: 'data of the deleted table stays in the bucket' });

  // No agent logged the token.
  for (const agent of [a, b]) assert.ok(!agent.logs.join('\n').includes(TOKEN), 'the API token appears in the logs');
  assert.equal(await b.stop(), 0, `agent b did not stop cleanly:\n${b.tail()}`);
  assert.equal(await a.stop(), 0, `agent a did not stop cleanly:\n${a.tail()}`);
});
