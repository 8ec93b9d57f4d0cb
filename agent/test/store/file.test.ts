import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { FloeError } from '../../src/errors.ts';
import { FileStore } from '../../src/store/file.ts';
import { openStore } from '../../src/store/index.ts';
import { storeConformance } from './conformance.ts';

async function tempDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), `floe-filestore-${process.pid}-`));
}

storeConformance('file', async () => {
  const dir = await tempDir();
  return { store: new FileStore(dir), cleanup: () => rm(dir, { recursive: true, force: true }) };
});

describe('FileStore', () => {
  it('a reader never sees a partial object while writers replace it', async () => {
    const dir = await tempDir();
    try {
      const store = new FileStore(dir);
      const bodies = [0x11, 0x22, 0x33, 0x44].map((b) => new Uint8Array(4 * 1024 * 1024).fill(b));
      let stop = false;
      const writers = (async () => {
        for (let i = 0; i < 12; i++) await store.put('big/object', bodies[i % bodies.length]);
        stop = true;
      })();
      let reads = 0;
      while (!stop) {
        const got = await store.get('big/object');
        if (got === null) continue;
        reads++;
        assert.equal(got.length, bodies[0].length);
        assert.ok(got.every((b) => b === got[0]), 'object mixes two bodies');
      }
      await writers;
      assert.ok(reads > 0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('putIfAbsent is exclusive across processes', async () => {
    const dir = await tempDir();
    try {
      const src = path.resolve(import.meta.dirname, '../../src/store/file.ts');
      const script = `
        import { FileStore } from ${JSON.stringify(src)};
        const s = new FileStore(${JSON.stringify(dir)});
        const ok = await s.putIfAbsent('race/key', new TextEncoder().encode(process.argv[1]));
        process.stdout.write(ok ? 'won' : 'lost');`;
      const run = (id: string): Promise<string> =>
        new Promise((resolve, reject) => {
          const child = spawn(process.execPath, ['--input-type=module', '-e', script, id], { stdio: ['ignore', 'pipe', 'inherit'] });
          let out = '';
          child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
          child.on('error', reject);
          child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`child exited ${code}`))));
        });
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => run(`p${i}`)));
      assert.equal(results.filter((r) => r === 'won').length, 1, JSON.stringify(results));
      const winner = results.indexOf('won');
      assert.equal(new TextDecoder().decode((await new FileStore(dir).get('race/key'))!), `p${winner}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('leaves no temporary files behind and never lists them', async () => {
    const dir = await tempDir();
    try {
      const store = new FileStore(dir);
      await store.put('a', new Uint8Array([1]));
      await store.putIfAbsent('b', new Uint8Array([2]));
      await store.putIfAbsent('b', new Uint8Array([3]));
      const tmp = await readdir(path.join(dir, '.floe-tmp'));
      assert.deepEqual(tmp, []);
      const listed = [];
      for await (const o of store.list('')) listed.push(o.key);
      assert.deepEqual(listed, ['a', 'b']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects keys that could escape the root', async () => {
    const store = new FileStore(await tempDir());
    try {
      for (const key of ['../x', 'a/../../x', '/abs', 'a//b', 'a/./b', '', '.floe-tmp/x']) {
        await assert.rejects(store.get(key), (err: unknown) => err instanceof FloeError && err.code === 'FLOE_STORE_IO', key);
      }
    } finally {
      await rm(store.root, { recursive: true, force: true });
    }
  });

  it('needs an absolute root', () => {
    assert.throws(() => new FileStore('relative/dir'), (err: unknown) => err instanceof FloeError && err.code === 'FLOE_CONFIG_INVALID');
  });

  it('io errors name the op and key', async () => {
    const dir = await tempDir();
    try {
      const store = new FileStore(dir);
      await store.put('file', new Uint8Array([1]));
      // 'file' is a file, so 'file/child' cannot be created below it.
      await assert.rejects(store.put('file/child', new Uint8Array([1])), (err: unknown) => {
        assert.ok(err instanceof FloeError);
        assert.equal(err.code, 'FLOE_STORE_IO');
        assert.match(err.message, /put "file\/child"/);
        return true;
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('openStore (file://)', () => {
  it('opens a directory, with the prefix below it', async () => {
    const dir = await tempDir();
    try {
      const s = openStore(`file://${dir}?prefix=wh/one`);
      assert.ok(s instanceof FileStore);
      assert.equal(s.root, path.join(dir, 'wh', 'one'));
      assert.equal(s.url, `file://${dir}/wh/one`);
      await s.put('k', new Uint8Array([7]));
      assert.deepEqual(await new FileStore(dir).get('wh/one/k'), new Uint8Array([7]));
      const plain = openStore(`file://${dir}/`);
      assert.equal(plain.url, `file://${dir}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses relative file URLs and unknown schemes', () => {
    const bad = (err: unknown): boolean => err instanceof FloeError && err.code === 'FLOE_CONFIG_INVALID';
    assert.throws(() => openStore('file://relative/path'), bad);
    assert.throws(() => openStore('gs://bucket'), bad);
    assert.throws(() => openStore('not a url'), bad);
  });
});
