// config/store.ts: versioned configuration objects in the bucket, created put-if-absent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { configToYaml, loadConfig, type Config } from '../../src/config/index.ts';
import { ConfigStore, configVersionKey, describeDifferences } from '../../src/config/store.ts';
import { FileStore } from '../../src/store/file.ts';
import { baseYaml, memoryLogger } from './helpers.ts';

async function tempStore(): Promise<{ dir: string; fs: FileStore; config: Config; [Symbol.asyncDispose](): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'floe-config-store-'));
  return {
    dir,
    fs: new FileStore(dir),
    config: loadConfig(baseYaml(`file://${dir}`)),
    async [Symbol.asyncDispose]() {
      await rm(dir, { recursive: true, force: true });
    },
  };
}

test('keys are _floe/config/v<N:010>.yaml', () => {
  assert.equal(configVersionKey(1), '_floe/config/v0000000001.yaml');
  assert.equal(configVersionKey(1234567890), '_floe/config/v1234567890.yaml');
  assert.throws(() => configVersionKey(0), /got 0/);
  assert.throws(() => configVersionKey(1.5), /got 1.5/);
});

test('create, get, latest and versions; a version is created only once', async () => {
  await using t = await tempStore();
  const s = new ConfigStore(t.fs);
  assert.equal(await s.latest(), null);
  assert.equal(await s.latestVersion(), 0);
  assert.deepEqual(await s.versions(), []);
  const v1 = await s.create(1, t.config);
  assert.ok(v1);
  assert.equal(v1.yaml, configToYaml(t.config));
  assert.equal(await s.create(1, { ...t.config, tables: [] }), null, 'v1 exists: nothing is overwritten');
  assert.deepEqual((await s.get(1))?.config, t.config);
  const v2 = await s.create(2, { ...t.config, tables: [] });
  assert.ok(v2);
  assert.equal((await s.latest())?.version, 2);
  assert.deepEqual((await s.versions()).map((v) => v.version), [1, 2]);
  assert.equal(await s.get(3), null);
  assert.equal(await s.get(0), null);
  // a fresh instance (another agent) finds the newest by listing, then follows by probing
  const other = new ConfigStore(new FileStore(t.dir));
  assert.equal(await other.latestVersion(), 2);
  await s.create(3, t.config);
  await s.create(4, t.config);
  assert.equal(await other.latestVersion(), 4);
  assert.equal((await other.get(1))?.config.tables.length, 1, 'past versions stay readable');
});

test('a stored version that does not parse is reported with its key', async () => {
  await using t = await tempStore();
  await t.fs.put(configVersionKey(1), Buffer.from('tables: [\n'));
  const s = new ConfigStore(t.fs);
  await assert.rejects(s.latest(), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'FLOE_CONFIG_INVALID');
    assert.match(err.message, /_floe\/config\/v0000000001\.yaml is invalid/);
    return true;
  });
});

test('bootstrap: an empty store takes the file as v1; otherwise the store wins and differences are logged', async () => {
  await using t = await tempStore();
  const s = new ConfigStore(t.fs);
  const { log, lines } = memoryLogger();
  const first = await s.bootstrap(t.config, log);
  assert.equal(first.created, true);
  assert.equal(first.stored.version, 1);
  assert.match(lines.join(''), /the configuration file became version 1/);

  const stored: Config = { ...t.config, tables: [] };
  assert.ok(await s.create(2, stored));
  lines.length = 0;
  const second = await new ConfigStore(t.fs).bootstrap(t.config, log);
  assert.equal(second.created, false);
  assert.equal(second.stored.version, 2);
  assert.deepEqual(second.stored.config, stored);
  assert.deepEqual(second.differences, ['table c1+logs: only in the file']);
  assert.match(lines.join(''), /the stored version wins/);

  const same = await new ConfigStore(t.fs).bootstrap(stored);
  assert.deepEqual(same.differences, []);
});

test('bootstrap: agents starting together on an empty store agree on one v1', async () => {
  await using t = await tempStore();
  const variants = Array.from({ length: 8 }, (_, i) => ({ ...t.config, tables: t.config.tables.map((x) => ({ ...x, flush: { ...x.flush, interval_seconds: i + 1 } })) }));
  const results = await Promise.all(variants.map((c) => new ConfigStore(new FileStore(t.dir)).bootstrap(c)));
  assert.equal(results.filter((r) => r.created).length, 1);
  const yaml = results[0].stored.yaml;
  for (const r of results) {
    assert.equal(r.stored.version, 1);
    assert.equal(r.stored.yaml, yaml);
  }
  assert.equal(await new ConfigStore(t.fs).latestVersion(), 1);
});

test('describeDifferences names clusters and tables added, removed and changed', () => {
  const a = loadConfig(baseYaml('file:///x'));
  const b: Config = {
    ...a,
    source_clusters: [a.source_clusters[0], { name: 'c3', bootstrap_brokers: [{ hostname: 'h', port: 1 }] }],
    tables: [{ ...a.tables[0], flush: { ...a.tables[0].flush, interval_seconds: 1 } }],
  };
  assert.deepEqual(describeDifferences(a, b), ['source cluster c3: only in the file', 'source cluster c2: only in the store', 'table c1+logs: defined differently in the file']);
});
