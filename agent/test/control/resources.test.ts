import { test } from 'node:test';
import assert from 'node:assert/strict';
import { latestConfig, logsFields, startHarness, tableBody } from './helpers.ts';

const events = [
  { name: 'id', type: 'string', id: 1 },
  { name: 'n', type: 'long', id: 2, optional: true },
];

test('source clusters: list and get, normalized with defaults filled in', async () => {
  const h = await startHarness();
  try {
    const list = await h.request('GET', '/v1/source-clusters');
    assert.equal(list.status, 200);
    assert.equal(list.headers.get('etag'), '"1"');
    assert.deepEqual(list.json.source_clusters[0], { name: 'c1', bootstrap_brokers: [{ hostname: 'localhost', port: 9092 }] });
    const c2 = await h.request('GET', '/v1/source-clusters/c2');
    assert.equal(c2.status, 200);
    assert.equal(c2.headers.get('floe-config-version'), '1');
    assert.deepEqual(c2.json, {
      name: 'c2',
      bootstrap_brokers: [{ hostname: 'broker2.example.com', port: 9093 }],
      credentials: { use_tls: true, tls_insecure_skip_verify: false, sasl_mechanism: 'scram-512', sasl_username_env: 'SASL_USER', sasl_password_env: 'SASL_PASSWORD' },
    });
    assert.equal((await h.request('GET', '/v1/source-clusters/nope')).status, 404);
  } finally {
    await h.close();
  }
});

test('source clusters: create (201, 409 if it exists), create-or-replace, delete (409 while a table uses it)', async () => {
  const h = await startHarness();
  try {
    const body = { name: 'c3', bootstrap_brokers: [{ hostname: '10.0.0.1', port: 9092 }] };
    const created = await h.request('POST', '/v1/source-clusters', { body });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.headers.get('location'), '/v1/source-clusters/c3');
    assert.equal(created.headers.get('etag'), '"2"');
    assert.deepEqual(created.json, body);
    const again = await h.request('POST', '/v1/source-clusters', { body });
    assert.equal(again.status, 409);
    assert.match(again.json.detail, /already exists/);

    const bad = await h.request('POST', '/v1/source-clusters', { body: { name: 'c4', bootstrap_brokers: [{ hostname: 'h:9092', port: 70000 }], extra: 1 } });
    assert.equal(bad.status, 422);
    const paths = bad.json.errors.map((e: { path: string }) => e.path).sort();
    assert.deepEqual(paths, ['bootstrap_brokers[0].hostname', 'bootstrap_brokers[0].port', 'extra']);
    assert.match(bad.json.errors.find((e: { path: string }) => e.path === 'bootstrap_brokers[0].port').message, /got number 70000/);

    const put = await h.request('PUT', '/v1/source-clusters/c4', { body: { bootstrap_brokers: [{ hostname: 'k4', port: 9092 }], credentials: { use_tls: true } } });
    assert.equal(put.status, 201, put.text);
    assert.deepEqual(put.json, {
      name: 'c4',
      bootstrap_brokers: [{ hostname: 'k4', port: 9092 }],
      credentials: { use_tls: true, tls_insecure_skip_verify: false, sasl_mechanism: 'plain' },
    });
    const replaced = await h.request('PUT', '/v1/source-clusters/c4', { body: { name: 'c4', bootstrap_brokers: [{ hostname: 'k5', port: 9092 }] } });
    assert.equal(replaced.status, 200);
    assert.deepEqual(replaced.json, { name: 'c4', bootstrap_brokers: [{ hostname: 'k5', port: 9092 }] });
    const rename = await h.request('PUT', '/v1/source-clusters/c4', { body: { name: 'c5', bootstrap_brokers: [{ hostname: 'k5', port: 9092 }] } });
    assert.equal(rename.status, 422);
    assert.equal(rename.json.errors[0].path, 'name');
    assert.match(rename.json.errors[0].message, /string "c5" does not match the cluster named in the URL, "c4"/);

    const inUse = await h.request('DELETE', '/v1/source-clusters/c1');
    assert.equal(inUse.status, 409);
    assert.match(inUse.json.detail, /used by 1 table\(s\): c1\+logs/);
    const del = await h.request('DELETE', '/v1/source-clusters/c4');
    assert.equal(del.status, 200);
    assert.deepEqual(del.json, { name: 'c4', deleted: true, version: 5 });
    assert.equal((await h.request('DELETE', '/v1/source-clusters/c4')).status, 404);
    assert.deepEqual((await latestConfig(h)).source_clusters.map((c) => c.name), ['c1', 'c2', 'c3']);
  } finally {
    await h.close();
  }
});

test('tables: list and get (name with + raw or URL-encoded), normalized with defaults', async () => {
  const h = await startHarness();
  try {
    const list = await h.request('GET', '/v1/tables');
    assert.equal(list.status, 200);
    assert.equal(list.json.tables.length, 1);
    for (const p of ['/v1/tables/c1+logs', '/v1/tables/c1%2Blogs']) {
      const t = await h.request('GET', p);
      assert.equal(t.status, 200, p);
      assert.equal(t.headers.get('etag'), '"1"');
      assert.deepEqual(t.json, list.json.tables[0]);
    }
    const t = list.json.tables[0];
    assert.equal(t.name, 'c1+logs');
    assert.equal(t.schema_mode, 'inline');
    assert.equal(t.partitioning_scheme, 'unpartitioned');
    assert.deepEqual(t.flush, { max_bytes: 67108864, max_records: 1000000, interval_seconds: 60 });
    assert.deepEqual(t.delta, { enabled: true });
    assert.deepEqual(t.dlq, { enabled: true });
    assert.deepEqual(t.schema.fields[0], { name: 'environment', id: 1, type: 'string', optional: false });
    assert.deepEqual(t.schema.fields[5], { name: 'message', id: 6, type: 'string', optional: true });
    assert.equal((await h.request('GET', '/v1/tables/c1+nope')).status, 404);
    assert.equal((await h.request('GET', '/v1/tables/nope')).status, 404);
  } finally {
    await h.close();
  }
});

test('tables: create derives the name, 409 if it exists, 422 with resource paths', async () => {
  const h = await startHarness();
  try {
    const created = await h.request('POST', '/v1/tables', { body: tableBody('events', events, { partitioning_scheme: 'hour' }) });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.headers.get('location'), '/v1/tables/c1%2Bevents');
    assert.equal(created.headers.get('etag'), '"2"');
    assert.equal(created.json.name, 'c1+events');
    assert.equal(created.json.partitioning_scheme, 'hour');
    assert.deepEqual(created.json.schema.fields[1], { name: 'n', id: 2, type: 'long', optional: true });

    const dup = await h.request('POST', '/v1/tables', { body: tableBody('events', events) });
    assert.equal(dup.status, 409);
    assert.equal(dup.json.type, 'urn:floe:problem:conflict');

    const named = await h.request('POST', '/v1/tables', { body: { name: 'c1+other', ...tableBody('other', events) } });
    assert.equal(named.status, 201);
    const misnamed = await h.request('POST', '/v1/tables', { body: { name: 'c1+x', ...tableBody('y', events) } });
    assert.equal(misnamed.status, 422);
    assert.equal(misnamed.json.errors[0].path, 'name');
    assert.match(misnamed.json.errors[0].message, /"c1\+x" does not match source_cluster_name\+source_topic = "c1\+y"/);

    const bad = await h.request('POST', '/v1/tables', {
      body: {
        source_cluster_name: 'c9',
        source_topic: 'bad',
        source_format: 'jsn',
        sourc_topic: 'x',
        schema: { fields: [{ name: 'a', type: 'string', id: 1 }, { name: 'b', type: 'strin', id: 1 }] },
      },
    });
    assert.equal(bad.status, 422);
    const byPath = new Map(bad.json.errors.map((e: { path: string; message: string }) => [e.path, e.message]));
    assert.match(String(byPath.get('source_cluster_name')), /^no source cluster named "c9"/);
    assert.match(String(byPath.get('source_format')), /unsupported value "jsn" \(did you mean json\?\)/);
    assert.equal(byPath.get('sourc_topic'), 'unknown field (did you mean source_topic?)');
    assert.equal(byPath.get('schema.fields[1].id'), 'duplicate id 1 (first used at schema.fields[0].id)');
    assert.match(String(byPath.get('schema.fields[1].type')), /"strin"/);

    const notObject = await h.request('POST', '/v1/tables', { body: [1, 2] });
    assert.equal(notObject.status, 422);
    assert.equal(notObject.json.errors[0].path, '(root)');
    assert.match(notObject.json.errors[0].message, /got array of 2/);
    assert.deepEqual((await latestConfig(h)).tables.map((t) => t.source_topic), ['logs', 'events', 'other']);
  } finally {
    await h.close();
  }
});

test('tables: PUT replaces (body may omit the name parts), creates when absent, refuses renames', async () => {
  const h = await startHarness();
  try {
    const put = await h.request('PUT', '/v1/tables/c1+logs', {
      body: { source_format: 'json', schema: { fields: logsFields() }, flush: { interval_seconds: 10 }, delta: { enabled: false } },
    });
    assert.equal(put.status, 200, put.text);
    assert.equal(put.headers.get('etag'), '"2"');
    assert.deepEqual(put.json.flush, { max_bytes: 67108864, max_records: 1000000, interval_seconds: 10 });
    assert.deepEqual(put.json.delta, { enabled: false });

    const same = await h.request('PUT', '/v1/tables/c1%2Blogs', { body: { ...put.json } });
    assert.equal(same.status, 200);
    assert.equal(same.headers.get('etag'), '"2"', 'an unchanged table writes no version');

    const created = await h.request('PUT', '/v1/tables/c2+metrics', { body: { source_format: 'avro', schema: { fields: events } } });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.json.source_cluster_name, 'c2');

    const moved = await h.request('PUT', '/v1/tables/c1+logs', { body: tableBody('logs2', logsFields()) });
    assert.equal(moved.status, 422);
    assert.equal(moved.json.errors[0].path, 'source_topic');
    assert.match(moved.json.errors[0].message, /cannot change source_topic of table "c1\+logs": "logs" -> "logs2"/);
    const recluster = await h.request('PUT', '/v1/tables/c1+logs', { body: { ...tableBody('logs', logsFields()), source_cluster_name: 'c2' } });
    assert.equal(recluster.status, 422);
    assert.equal(recluster.json.errors[0].path, 'source_cluster_name');
    assert.equal((await h.request('PUT', '/v1/tables/nocluster', { body: tableBody('x', events) })).status, 404);
  } finally {
    await h.close();
  }
});

test('tables: DELETE removes the table from the configuration and leaves its data in the bucket', async () => {
  const h = await startHarness();
  try {
    await h.store.put('_tableflow/c1+logs/data/part-0.parquet', Buffer.from('data'));
    const del = await h.request('DELETE', '/v1/tables/c1%2Blogs');
    assert.equal(del.status, 200);
    assert.deepEqual(del.json, { name: 'c1+logs', deleted: true, version: 2 });
    assert.equal(del.headers.get('etag'), '"2"');
    assert.equal((await h.request('GET', '/v1/tables/c1+logs')).status, 404);
    assert.equal((await h.request('DELETE', '/v1/tables/c1+logs')).status, 404);
    assert.ok(await h.store.head('_tableflow/c1+logs/data/part-0.parquet'));
    assert.deepEqual((await latestConfig(h)).tables, []);
    // and now the cluster is free to go
    assert.equal((await h.request('DELETE', '/v1/source-clusters/c1')).status, 200);
  } finally {
    await h.close();
  }
});

test('resource writes take YAML bodies too', async () => {
  const h = await startHarness();
  try {
    const text = 'source_cluster_name: c1\nsource_topic: yaml_topic\nsource_format: json\nschema:\n  fields:\n    - { name: a, id: 1, type: string }\n';
    const r = await h.request('POST', '/v1/tables', { text, contentType: 'application/yaml' });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.name, 'c1+yaml_topic');
  } finally {
    await h.close();
  }
});
