import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadConfig, type Config } from '../../src/config/index.ts';
import { ConfigStore } from '../../src/config/store.ts';
import { pollIntervalFromEnv, startConfigWatcher } from '../../src/control/watcher.ts';
import { FileStore } from '../../src/store/file.ts';
import { baseYaml, memoryLogger } from './helpers.ts';

async function setup() {
  const dir = await mkdtemp(path.join(tmpdir(), 'floe-watcher-'));
  const config = loadConfig(baseYaml(`file://${dir}`));
  return {
    dir,
    writer: new ConfigStore(new FileStore(dir)),
    reader: new ConfigStore(new FileStore(dir)),
    config,
    async [Symbol.asyncDispose]() {
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function until(cond: () => boolean, ms = 5000): Promise<void> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (cond()) return resolve();
      if (Date.now() - start > ms) return reject(new Error('timed out'));
      setTimeout(tick, 10);
    };
    tick();
  });
}

test('applies each new version written by another agent, newest first, never the running one again', async () => {
  await using t = await setup();
  await t.writer.create(1, t.config);
  const seen: { version: number; tables: number }[] = [];
  const { log } = memoryLogger();
  const w = startConfigWatcher(t.reader, (c: Config, version) => void seen.push({ version, tables: c.tables.length }), { intervalMs: 20, appliedVersion: 1, log });
  try {
    await new Promise((r) => setTimeout(r, 80));
    assert.deepEqual([...seen], []);
    await t.writer.create(2, { ...t.config, tables: [] });
    await until(() => seen.length === 1);
    assert.deepEqual([...seen], [{ version: 2, tables: 0 }]);
    // two versions between polls: only the newest is applied
    await w.stop();
    await t.writer.create(3, t.config);
    await t.writer.create(4, { ...t.config, tables: [] });
    const w2 = startConfigWatcher(t.reader, (c: Config, version) => void seen.push({ version, tables: c.tables.length }), { intervalMs: 20, appliedVersion: w.appliedVersion, log });
    await until(() => seen.length === 2);
    assert.deepEqual(seen[1], { version: 4, tables: 0 });
    assert.equal(w2.appliedVersion, 4);
    await w2.stop();
  } finally {
    await w.stop();
  }
});

test('the first poll delivers the newest version when nothing was applied yet', async () => {
  await using t = await setup();
  await t.writer.create(1, t.config);
  const seen: number[] = [];
  const w = startConfigWatcher(t.reader, (_c, v) => void seen.push(v), { intervalMs: 1000, log: memoryLogger().log });
  try {
    await w.poll();
    assert.deepEqual([...seen], [1]);
    await w.poll();
    assert.deepEqual([...seen], [1]);
  } finally {
    await w.stop();
  }
});

test('a failed apply is logged once and retried at the next poll', async () => {
  await using t = await setup();
  await t.writer.create(1, t.config);
  let calls = 0;
  const { log, lines } = memoryLogger();
  const w = startConfigWatcher(
    t.reader,
    async () => {
      calls++;
      if (calls < 4) throw new Error('pipelines did not start');
    },
    { intervalMs: 15, log },
  );
  try {
    await until(() => w.appliedVersion === 1);
    assert.equal(calls, 4);
    const failures = lines.filter((l) => l.includes('applying a configuration version failed'));
    assert.equal(failures.length, 1, 'the same failure is not repeated every poll');
  } finally {
    await w.stop();
  }
});

test('stop() waits for an apply in flight and no poll happens afterwards', async () => {
  await using t = await setup();
  await t.writer.create(1, t.config);
  let finished = false;
  let calls = 0;
  const w = startConfigWatcher(
    t.reader,
    async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 100));
      finished = true;
    },
    { intervalMs: 10, log: memoryLogger().log },
  );
  await until(() => calls === 1);
  await w.stop();
  assert.equal(finished, true);
  await t.writer.create(2, t.config);
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(calls, 1);
});

test('FLOE_CONFIG_POLL_MS: default 2000, validated with the value received', () => {
  assert.equal(pollIntervalFromEnv({}), 2000);
  assert.equal(pollIntervalFromEnv({ FLOE_CONFIG_POLL_MS: '250' }), 250);
  assert.throws(() => pollIntervalFromEnv({ FLOE_CONFIG_POLL_MS: 'soon' }), /FLOE_CONFIG_POLL_MS must be an integer .* got "soon"/);
  assert.throws(() => pollIntervalFromEnv({ FLOE_CONFIG_POLL_MS: '5' }), /got "5"/);
});
