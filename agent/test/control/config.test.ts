import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse as parseYaml } from 'yaml';
import { configToYaml, loadConfig } from '../../src/config/index.ts';
import { baseYaml, startHarness } from './helpers.ts';

test('GET /v1/config: JSON by default, YAML on Accept, with ETag and Floe-Config-Version', async () => {
  const h = await startHarness();
  try {
    const j = await h.request('GET', '/v1/config');
    assert.equal(j.status, 200);
    assert.match(j.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(j.headers.get('etag'), '"1"');
    assert.equal(j.headers.get('floe-config-version'), '1');
    assert.deepEqual(j.json.source_clusters.map((c: { name: string }) => c.name), ['c1', 'c2']);
    assert.equal(j.json.tables[0].source_topic, 'logs');
    assert.equal(j.json.destination_bucket_url, h.bucketUrl);

    for (const accept of ['application/yaml', 'text/yaml']) {
      const y = await h.request('GET', '/v1/config', { headers: { accept } });
      assert.equal(y.status, 200);
      assert.match(y.headers.get('content-type') ?? '', new RegExp(`^${accept}`));
      assert.equal(y.headers.get('etag'), '"1"');
      assert.deepEqual(loadConfig(y.text), loadConfig(baseYaml(h.bucketUrl)));
      assert.deepEqual(parseYaml(y.text), j.json);
    }
    const nm = await h.request('GET', '/v1/config', { headers: { 'if-none-match': '"1"' } });
    assert.equal(nm.status, 304);
    const na = await h.request('GET', '/v1/config', { headers: { accept: 'image/png' } });
    assert.equal(na.status, 406);
  } finally {
    await h.close();
  }
});

test('PUT /v1/config with YAML writes version 2; versions stay readable', async () => {
  const h = await startHarness();
  try {
    const text = baseYaml(h.bucketUrl).replace('{ name: code, type: long, id: 7 }', '{ name: code, type: long, id: 7 }\n        - { name: region, type: string, id: 8, optional: true }');
    const r = await h.request('PUT', '/v1/config', { text, contentType: 'application/yaml', headers: { 'if-match': '"1"' } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.version, 2);
    assert.equal(r.headers.get('etag'), '"2"');
    assert.deepEqual(r.json.changes, [
      {
        action: 'update',
        resource: 'table',
        name: 'c1+logs',
        fields: ['schema'],
        schema_changes: [{ kind: 'add-field', path: 'schema.fields[7]', field: 'region', id: 8, type: 'string', optional: true }],
      },
    ]);
    // stored as the canonical seed YAML under _floe/config/
    const stored = await h.store.get('_floe/config/v0000000002.yaml');
    assert.ok(stored);
    assert.equal(Buffer.from(stored).toString('utf8'), configToYaml(loadConfig(text)));

    const versions = await h.request('GET', '/v1/config/versions');
    assert.equal(versions.status, 200);
    assert.equal(versions.json.latest, 2);
    assert.deepEqual(versions.json.versions.map((v: { version: number }) => v.version), [1, 2]);
    assert.ok(!Number.isNaN(Date.parse(versions.json.versions[0].created_at)));

    const v1 = await h.request('GET', '/v1/config/versions/1');
    assert.equal(v1.status, 200);
    assert.equal(v1.headers.get('etag'), '"1"');
    assert.equal(v1.json.tables[0].schema.fields.length, 7);
    const v2 = await h.request('GET', '/v1/config/versions/2', { headers: { accept: 'application/yaml' } });
    assert.match(v2.text, /region/);
    assert.equal((await h.request('GET', '/v1/config/versions/3')).status, 404);
    assert.equal((await h.request('GET', '/v1/config/versions/abc')).status, 404);
    assert.equal((await h.request('GET', '/v1/config/versions/0')).status, 404);
  } finally {
    await h.close();
  }
});

test('PUT /v1/config with JSON (and text/yaml), and a PUT that changes nothing writes no version', async () => {
  const h = await startHarness();
  try {
    const cur = await h.request('GET', '/v1/config');
    const same = await h.request('PUT', '/v1/config', { body: cur.json });
    assert.equal(same.status, 200);
    assert.equal(same.json.version, 1);
    assert.deepEqual(same.json.changes, []);
    assert.equal(await h.configs.latestVersion(), 1);

    const doc = structuredClone(cur.json);
    doc.tables[0].flush = { interval_seconds: 5 };
    const r = await h.request('PUT', '/v1/config', { body: doc });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.version, 2);
    assert.deepEqual(r.json.changes, [{ action: 'update', resource: 'table', name: 'c1+logs', fields: ['flush'] }]);

    const y = await h.request('PUT', '/v1/config', { text: baseYaml(h.bucketUrl), contentType: 'text/yaml; charset=utf-8' });
    assert.equal(y.status, 200, y.text);
    assert.equal(y.json.version, 3);
  } finally {
    await h.close();
  }
});

test('PUT /v1/config: If-Match of an older version is 412 and writes nothing', async () => {
  const h = await startHarness();
  try {
    const text = baseYaml(h.bucketUrl).replace('port: 9093', 'port: 9094');
    assert.equal((await h.request('PUT', '/v1/config', { text, headers: { 'if-match': '"1"' } })).status, 200);
    const stale = await h.request('PUT', '/v1/config', { text: baseYaml(h.bucketUrl), headers: { 'if-match': '"1"' } });
    assert.equal(stale.status, 412);
    assert.equal(stale.json.type, 'urn:floe:problem:precondition-failed');
    assert.match(stale.json.detail, /current configuration version is 2/);
    assert.equal(stale.headers.get('etag'), '"2"');
    assert.equal((await h.request('PUT', '/v1/config', { text: baseYaml(h.bucketUrl), headers: { 'if-match': 'W/"2"' } })).status, 200);
    assert.equal((await h.request('PUT', '/v1/config', { text, headers: { 'if-match': '"not-a-version"' } })).status, 412);
    assert.equal((await h.request('PUT', '/v1/config', { text, headers: { 'if-match': '*' } })).status, 200);
    assert.equal(await h.configs.latestVersion(), 4);
  } finally {
    await h.close();
  }
});

test('malformed YAML: 400 problem naming line and column', async () => {
  const h = await startHarness();
  try {
    const text = 'source_clusters:\n  - name: c1\n    bootstrap_brokers: [\n  tables: x\n';
    const r = await h.request('PUT', '/v1/config', { text });
    assert.equal(r.status, 400);
    assert.equal(r.json.type, 'urn:floe:problem:malformed-request');
    assert.match(r.json.detail, /^malformed YAML at line \d+, column \d+: invalid YAML/);
    assert.match(r.json.errors[0].path, /^line \d+, column \d+$/);

    const dup = await h.request('PUT', '/v1/config', { text: 'destination_bucket_url: a\ndestination_bucket_url: b\n' });
    assert.equal(dup.status, 400);
    assert.match(dup.json.detail, /line 2, column 1/);

    const badJson = await h.request('PUT', '/v1/config', { text: '{"tables": [}', contentType: 'application/json' });
    assert.equal(badJson.status, 400);
    assert.match(badJson.json.detail, /^malformed JSON at line 1, column \d+/);
    assert.equal(await h.configs.latestVersion(), 1);
  } finally {
    await h.close();
  }
});

test('unsupported media type and empty body', async () => {
  const h = await startHarness();
  try {
    const r = await h.request('PUT', '/v1/config', { text: 'a=b', contentType: 'application/x-www-form-urlencoded' });
    assert.equal(r.status, 415);
    assert.equal(r.json.type, 'urn:floe:problem:unsupported-media-type');
    const e = await h.request('PUT', '/v1/config', { text: '', contentType: 'application/yaml' });
    assert.equal(e.status, 400);
    assert.match(e.json.detail, /empty/);
  } finally {
    await h.close();
  }
});

test('unknown fields and duplicate field ids: 422 with every issue, path and value', async () => {
  const h = await startHarness();
  try {
    const text = baseYaml(h.bucketUrl)
      .replace('source_format: json', 'source_format: json\n    sourc_topic: typo')
      .replace('{ name: service, type: string, id: 2 }', '{ name: service, type: string, id: 1 }')
      .replace('{ hostname: localhost, port: 9092 }', '{ hostname: localhost, port: 9092, prot: 1 }');
    const r = await h.request('PUT', '/v1/config', { text });
    assert.equal(r.status, 422);
    assert.match(r.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.equal(r.json.type, 'urn:floe:problem:invalid-config');
    assert.equal(r.json.status, 422);
    const byPath = new Map(r.json.errors.map((e: { path: string; message: string }) => [e.path, e.message]));
    assert.equal(byPath.get('tables[0].sourc_topic'), 'unknown field (did you mean source_topic?)');
    assert.match(String(byPath.get('source_clusters[0].bootstrap_brokers[0].prot')), /^unknown field/);
    assert.equal(byPath.get('tables[0].schema.fields[1].id'), 'duplicate id 1 (first used at tables[0].schema.fields[0].id)');
    assert.match(r.json.detail, /^the configuration is invalid: /);
    assert.equal(await h.configs.latestVersion(), 1);
  } finally {
    await h.close();
  }
});

test('destination_bucket_url cannot change: 422', async () => {
  const h = await startHarness();
  try {
    const text = baseYaml('s3://other-bucket?region=eu-west-1');
    const r = await h.request('PUT', '/v1/config', { text });
    assert.equal(r.status, 422);
    assert.equal(r.json.errors[0].path, 'destination_bucket_url');
    assert.match(r.json.errors[0].message, /cannot change: the configuration is stored in that bucket/);
    assert.match(r.json.errors[0].message, /"s3:\/\/other-bucket\?region=eu-west-1"/);
  } finally {
    await h.close();
  }
});

test('empty store: GET is 404, resource writes are 409, PUT creates version 1 in the agent\'s bucket only', async () => {
  const h = await startHarness({ seed: false });
  try {
    const g = await h.request('GET', '/v1/config');
    assert.equal(g.status, 404);
    const lists = await h.request('GET', '/v1/tables');
    assert.deepEqual(lists.json, { tables: [] });
    assert.equal(lists.headers.get('etag'), '"0"');
    const post = await h.request('POST', '/v1/source-clusters', { body: { name: 'x', bootstrap_brokers: [{ hostname: 'h', port: 1 }] } });
    assert.equal(post.status, 409);
    assert.equal(post.json.type, 'urn:floe:problem:no-configuration');
    const wrong = await h.request('PUT', '/v1/config', { text: baseYaml('file:///somewhere/else') });
    assert.equal(wrong.status, 422);
    const ok = await h.request('PUT', '/v1/config', { text: baseYaml(h.bucketUrl) });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.version, 1);
    assert.equal(ok.json.changes.length, 3);
  } finally {
    await h.close();
  }
});

test('unknown endpoints are 404 problems and wrong methods 405 with Allow', async () => {
  const h = await startHarness();
  try {
    const nf = await h.request('GET', '/v1/nothing');
    assert.equal(nf.status, 404);
    assert.equal(nf.json.type, 'urn:floe:problem:not-found');
    const na = await h.request('DELETE', '/v1/config');
    assert.equal(na.status, 405);
    assert.equal(na.headers.get('allow'), 'GET, PUT');
  } finally {
    await h.close();
  }
});
