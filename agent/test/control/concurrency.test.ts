// Racing writers. Two agents (each its own listener and ConfigStore) share one bucket directory;
// a barrier holds their configuration writes until both have planned against the same version, so
// every race here is a real race for the same v<N+1>, not a question of timing.
//
// Decision (documented in api.ts and openapi.json): resource writes without If-Match that lose the
// race are re-planned on the newer version and retried, so writes to different resources all land;
// the same resource changed meanwhile answers 409. With If-Match the loser answers 412. A whole
// configuration PUT that loses answers 409 (without If-Match) or 412 (with).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configToYaml } from '../../src/config/index.ts';
import { ConfigStore } from '../../src/config/store.ts';
import { FileStore } from '../../src/store/file.ts';
import { barrier, baseYaml, latestConfig, logsFields, startHarness, tableBody } from './helpers.ts';

function withColumn(name: string, id: number) {
  return tableBody('logs', [...logsFields(), { name, type: 'string', id, optional: true }]);
}

test('two concurrent PUTs of the same table with the same If-Match: exactly one 200, one 412', async () => {
  const wrap = barrier(2);
  const h = await startHarness({ wrapStore: wrap });
  try {
    const b = await h.second(wrap);
    const [r1, r2] = await Promise.all([
      h.request('PUT', '/v1/tables/c1+logs', { body: withColumn('a', 8), headers: { 'if-match': '"1"' } }),
      h.request('PUT', '/v1/tables/c1+logs', { body: withColumn('b', 8), headers: { 'if-match': '"1"' }, url: b.url }),
    ]);
    assert.deepEqual([r1.status, r2.status].sort(), [200, 412], `${r1.text}\n${r2.text}`);
    const loser = r1.status === 412 ? r1 : r2;
    assert.equal(loser.json.type, 'urn:floe:problem:precondition-failed');
    assert.match(loser.json.detail, /table "c1\+logs" changed since version 1/);
    assert.equal(await h.configs.latestVersion(), 2);
    const winner = r1.status === 200 ? 'a' : 'b';
    const fields = (await latestConfig(h)).tables[0].schema.fields;
    assert.equal(fields.at(-1)?.name, winner);
  } finally {
    await h.close();
  }
});

test('two concurrent PUTs of the same table without If-Match: one 200, one 409, nothing overwritten silently', async () => {
  const wrap = barrier(2);
  const h = await startHarness({ wrapStore: wrap });
  try {
    const b = await h.second(wrap);
    const [r1, r2] = await Promise.all([
      h.request('PUT', '/v1/tables/c1+logs', { body: withColumn('a', 8) }),
      h.request('PUT', '/v1/tables/c1+logs', { body: withColumn('b', 8), url: b.url }),
    ]);
    assert.deepEqual([r1.status, r2.status].sort(), [200, 409], `${r1.text}\n${r2.text}`);
    assert.equal(await h.configs.latestVersion(), 2);
  } finally {
    await h.close();
  }
});

test('two concurrent PUT /v1/config: same If-Match -> 200 + 412; without If-Match -> 200 + 409', async () => {
  for (const ifMatch of [true, false]) {
    const wrap = barrier(2);
    const h = await startHarness({ wrapStore: wrap });
    try {
      const b = await h.second(wrap);
      const headers: Record<string, string> = ifMatch ? { 'if-match': '"1"' } : {};
      const t1 = baseYaml(h.bucketUrl).replace('port: 9093', 'port: 9001');
      const t2 = baseYaml(h.bucketUrl).replace('port: 9093', 'port: 9002');
      const [r1, r2] = await Promise.all([h.request('PUT', '/v1/config', { text: t1, headers }), h.request('PUT', '/v1/config', { text: t2, headers, url: b.url })]);
      assert.deepEqual([r1.status, r2.status].sort(), [200, ifMatch ? 412 : 409], `${r1.text}\n${r2.text}`);
      assert.equal(await h.configs.latestVersion(), 2);
      const port = (await latestConfig(h)).source_clusters[1].bootstrap_brokers[0].port;
      assert.equal(port, r1.status === 200 ? 9001 : 9002);
    } finally {
      await h.close();
    }
  }
});

test('concurrent writes to different resources with If-Match of the same version all land', async () => {
  const wrap = barrier(2);
  const h = await startHarness({ wrapStore: wrap });
  try {
    const b = await h.second(wrap);
    const [r1, r2] = await Promise.all([
      h.request('PUT', '/v1/tables/c1+logs', { body: withColumn('a', 8), headers: { 'if-match': '"1"' } }),
      h.request('PUT', '/v1/source-clusters/c2', { body: { bootstrap_brokers: [{ hostname: 'k', port: 1 }] }, headers: { 'if-match': '"1"' }, url: b.url }),
    ]);
    assert.deepEqual([r1.status, r2.status], [200, 200], `${r1.text}\n${r2.text}`);
    const c = await latestConfig(h);
    assert.equal(c.tables[0].schema.fields.at(-1)?.name, 'a');
    assert.equal(c.source_clusters[1].bootstrap_brokers[0].hostname, 'k');
    assert.equal(await h.configs.latestVersion(), 3);
  } finally {
    await h.close();
  }
});

test('20 concurrent POSTs of different tables on two agents, no If-Match: all land, none lost', async () => {
  const h = await startHarness();
  try {
    const b = await h.second();
    const names = Array.from({ length: 20 }, (_, i) => `topic_${i}`);
    const replies = await Promise.all(
      names.map((t, i) => h.request('POST', '/v1/tables', { body: tableBody(t, [{ name: 'id', type: 'string', id: 1 }]), ...(i % 2 ? { url: b.url } : {}) })),
    );
    assert.deepEqual(
      replies.map((r) => r.status),
      names.map(() => 201),
      replies.map((r) => r.text).join('\n'),
    );
    const c = await latestConfig(h);
    assert.deepEqual(c.tables.map((t) => t.source_topic).sort(), ['logs', ...names].sort());
    // one version per table, dense, each holding one more table than the one before
    assert.equal(await h.configs.latestVersion(), 21);
    for (let v = 2; v <= 21; v++) assert.equal((await h.configs.get(v))?.config.tables.length, v);
    // the ETag of each reply names the version that holds its table
    for (const r of replies) {
      const v = Number(JSON.parse(r.headers.get('etag') ?? '0'));
      assert.ok((await h.configs.get(v))?.config.tables.some((t) => t.source_topic === r.json.source_topic));
    }
  } finally {
    await h.close();
  }
});

test('ConfigStore: of 20 racing creators of the same version exactly one wins', async () => {
  const h = await startHarness();
  try {
    const base = (await h.configs.latest())!;
    const stores = Array.from({ length: 20 }, () => new ConfigStore(new FileStore(h.dir)));
    const results = await Promise.all(stores.map((s) => s.create(2, base.config)));
    assert.equal(results.filter((r) => r !== null).length, 1);
    assert.equal(await h.configs.latestVersion(), 2);
    assert.equal((await h.configs.get(2))?.yaml, configToYaml(base.config));
  } finally {
    await h.close();
  }
});
