// POST /v1/validate: a dry run answers exactly what the real write would (status, problem body),
// and writes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { baseYaml, logsFields, startHarness, tableBody } from './helpers.ts';
import { loadConfig, configToPlain } from '../../src/config/index.ts';
import { IcebergTable } from '../../src/iceberg/index.ts';
import { tableSchema as withKafkaColumns } from '../../src/ingest/tables.ts';
import type { Schema } from '../../src/schema/types.ts';

const events = [{ name: 'id', type: 'string', id: 1 }];

test('a valid table create: 200 {valid, changes}, nothing written', async () => {
  const h = await startHarness();
  try {
    const r = await h.request('POST', '/v1/validate', { body: { table: tableBody('events', events), operation: 'create' } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { valid: true, version: 1, changes: [{ action: 'create', resource: 'table', name: 'c1+events' }] });
    assert.equal(await h.configs.latestVersion(), 1);
    // without operation: create, as the table does not exist
    const d = await h.request('POST', '/v1/validate', { body: { table: tableBody('events', events) } });
    assert.deepEqual(d.json.changes, [{ action: 'create', resource: 'table', name: 'c1+events' }]);
  } finally {
    await h.close();
  }
});

test('dry run and real write give the same problem for every kind of refusal', async () => {
  const h = await startHarness();
  try {
    const dropped = logsFields().filter((f) => f.id !== 2);
    const cases: { dry: unknown; method: string; path: string; body?: unknown; text?: string }[] = [
      // refused migration on update
      { dry: { table: tableBody('logs', dropped), operation: 'update' }, method: 'PUT', path: '/v1/tables/c1+logs', body: tableBody('logs', dropped) },
      // validation issues on create
      { dry: { table: tableBody('events', [{ name: 'id', type: 'strng', id: 0 }]), operation: 'create' }, method: 'POST', path: '/v1/tables', body: tableBody('events', [{ name: 'id', type: 'strng', id: 0 }]) },
      // create of an existing table
      { dry: { table: tableBody('logs', logsFields()), operation: 'create' }, method: 'POST', path: '/v1/tables', body: tableBody('logs', logsFields()) },
      // deleting a cluster that is in use
      { dry: { source_cluster: { name: 'c1' }, operation: 'delete' }, method: 'DELETE', path: '/v1/source-clusters/c1' },
      // renaming a cluster
      { dry: { source_cluster: { name: 'c9', bootstrap_brokers: [{ hostname: 'h', port: 1 }] }, operation: 'update', name: 'c2' }, method: 'PUT', path: '/v1/source-clusters/c2', body: { name: 'c9', bootstrap_brokers: [{ hostname: 'h', port: 1 }] } },
    ];
    for (const c of cases) {
      const dry = await h.request('POST', '/v1/validate', { body: c.dry });
      const real = await h.request(c.method, c.path, c.body === undefined ? {} : { body: c.body });
      assert.ok(dry.status >= 400, `${c.method} ${c.path}: dry run ${dry.status} ${dry.text}`);
      assert.equal(dry.status, real.status, `${c.method} ${c.path}`);
      assert.deepEqual(dry.json, real.json, `${c.method} ${c.path}`);
    }
    // the whole configuration, with a refused migration
    const text = baseYaml(h.bucketUrl).replace('type: long, id: 7', 'type: int, id: 7');
    const doc = configToPlain(loadConfig(baseYaml(h.bucketUrl)));
    (doc.tables as { schema: { fields: { type: string }[] } }[])[0].schema.fields[6].type = 'int';
    const dry = await h.request('POST', '/v1/validate', { body: { config: doc } });
    const real = await h.request('PUT', '/v1/config', { text });
    assert.equal(dry.status, 422);
    assert.deepEqual(dry.json, real.json);
    assert.equal(await h.configs.latestVersion(), 1);
  } finally {
    await h.close();
  }
});

test('a valid whole configuration: the changes it would make', async () => {
  const h = await startHarness();
  try {
    const doc = configToPlain(loadConfig(baseYaml(h.bucketUrl))) as { tables: unknown[]; source_clusters: unknown[] };
    doc.tables.push(tableBody('events', events));
    doc.source_clusters.splice(1, 1); // c2 is unused
    const r = await h.request('POST', '/v1/validate', { body: { config: doc } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.changes, [
      { action: 'delete', resource: 'source_cluster', name: 'c2' },
      { action: 'create', resource: 'table', name: 'c1+events' },
    ]);
    assert.equal(await h.configs.latestVersion(), 1);
  } finally {
    await h.close();
  }
});

test('update and delete of something that does not exist: 404, as the write would', async () => {
  const h = await startHarness();
  try {
    const u = await h.request('POST', '/v1/validate', { body: { table: tableBody('nope', events), operation: 'update' } });
    assert.equal(u.status, 404);
    const d = await h.request('POST', '/v1/validate', { body: { source_cluster: { name: 'nope' }, operation: 'delete' } });
    assert.equal(d.status, 404);
    const ok = await h.request('POST', '/v1/validate', { body: { table: tableBody('logs', logsFields()), operation: 'delete' } });
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.json.changes, [{ action: 'delete', resource: 'table', name: 'c1+logs' }]);
  } finally {
    await h.close();
  }
});

test('a malformed validate request names what is wrong', async () => {
  const h = await startHarness();
  try {
    const none = await h.request('POST', '/v1/validate', { body: {} });
    assert.equal(none.status, 422);
    assert.equal(none.json.errors[0].path, '(root)');
    const two = await h.request('POST', '/v1/validate', { body: { table: {}, source_cluster: {} } });
    assert.equal(two.status, 422);
    const unknown = await h.request('POST', '/v1/validate', { body: { tabel: {} } });
    assert.equal(unknown.json.errors[0].path, 'tabel');
    const op = await h.request('POST', '/v1/validate', { body: { table: {}, operation: 'upsert' } });
    assert.equal(op.json.errors[0].path, 'operation');
    assert.match(op.json.errors[0].message, /got "upsert"/);
  } finally {
    await h.close();
  }
});

test('If-Match on a dry run is checked as the write would check it', async () => {
  const h = await startHarness();
  try {
    assert.equal((await h.request('PUT', '/v1/source-clusters/c2', { body: { bootstrap_brokers: [{ hostname: 'x', port: 1 }] } })).status, 200);
    const stale = await h.request('POST', '/v1/validate', { body: { source_cluster: { name: 'c2', bootstrap_brokers: [{ hostname: 'y', port: 1 }] } }, headers: { 'if-match': '"1"' } });
    assert.equal(stale.status, 412);
    const other = await h.request('POST', '/v1/validate', { body: { table: tableBody('logs', logsFields()) }, headers: { 'if-match': '"1"' } });
    assert.equal(other.status, 200, 'c1+logs did not change since version 1');
  } finally {
    await h.close();
  }
});

test('a table re-added while its data is still in the bucket must continue that table', async () => {
  const h = await startHarness();
  try {
    // the table c1+old existed once: its Iceberg table is in the bucket, with two columns
    const declared: Schema = {
      type: 'struct',
      'schema-id': 0,
      fields: [
        { id: 1, name: 'id', required: true, type: 'string' },
        { id: 2, name: 'n', required: true, type: 'int' },
      ],
    };
    await IcebergTable.create(h.store, '_tableflow/c1+old/', { schema: withKafkaColumns(declared), partitioning: 'unpartitioned' });
    const narrowed = await h.request('POST', '/v1/tables', { body: tableBody('old', [{ name: 'id', type: 'string', id: 1 }, { name: 'n', type: 'string', id: 2 }]) });
    assert.equal(narrowed.status, 422);
    assert.equal(narrowed.json.type, 'urn:floe:problem:migration-refused');
    assert.match(narrowed.json.errors[0].message, /is not in the configuration, but its data is still in the bucket/);
    assert.equal(narrowed.json.errors[1].path, 'schema.fields[1]');
    assert.match(narrowed.json.errors[1].message, /^n \(id 2\): type change int -> string/);
    const hourly = await h.request('POST', '/v1/tables', { body: tableBody('old', [{ name: 'id', type: 'string', id: 1 }, { name: 'n', type: 'long', id: 2 }], { partitioning_scheme: 'hour' }) });
    assert.equal(hourly.status, 422);
    assert.equal(hourly.json.errors[0].path, 'partitioning_scheme');
    const widened = await h.request('POST', '/v1/tables', { body: tableBody('old', [{ name: 'id', type: 'string', id: 1 }, { name: 'n', type: 'long', id: 2 }]) });
    assert.equal(widened.status, 201, widened.text);
  } finally {
    await h.close();
  }
});
