// The ObjectStore contract as tests, run against every implementation (file.test.ts, s3.test.ts).
// Each case gets a fresh, empty store rooted at a unique prefix, so list('') is scoped to it.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { ObjectStore } from '../../src/store/store.ts';

export interface StoreFixture {
  store: ObjectStore;
  cleanup(): Promise<void>;
}

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array | null): string | null => (b === null ? null : new TextDecoder().decode(b));

async function keys(store: ObjectStore, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const o of store.list(prefix)) out.push(o.key);
  return out;
}

export function storeConformance(name: string, makeFixture: () => Promise<StoreFixture>): void {
  describe(`ObjectStore conformance: ${name}`, () => {
    let fx: StoreFixture;
    let store: ObjectStore;
    beforeEach(async () => {
      fx = await makeFixture();
      store = fx.store;
    });
    afterEach(async () => {
      await fx.cleanup();
    });

    it('get and head of a missing key return null', async () => {
      assert.equal(await store.get('missing/key.txt'), null);
      assert.equal(await store.head('missing/key.txt'), null);
    });

    it('put then get returns the same bytes; put overwrites; head reports size', async () => {
      await store.put('a/b.txt', bytes('first'));
      assert.equal(text(await store.get('a/b.txt')), 'first');
      await store.put('a/b.txt', bytes('second, longer'));
      assert.equal(text(await store.get('a/b.txt')), 'second, longer');
      const h = await store.head('a/b.txt');
      assert.ok(h);
      assert.equal(h.key, 'a/b.txt');
      assert.equal(h.size, 14);
      assert.ok(h.lastModified instanceof Date && !Number.isNaN(h.lastModified.getTime()));
    });

    it('round-trips binary and empty bodies', async () => {
      const all = Uint8Array.from({ length: 256 }, (_, i) => i);
      await store.put('bin/all-bytes', all);
      assert.deepEqual(await store.get('bin/all-bytes'), all);
      await store.put('bin/empty', new Uint8Array(0));
      assert.deepEqual(await store.get('bin/empty'), new Uint8Array(0));
      assert.equal((await store.head('bin/empty'))?.size, 0);
    });

    it('keeps keys with +, = and spaces intact', async () => {
      const key = '_tableflow/cluster+topic/data/ts_hour=2024-01-01-10/a b.parquet';
      await store.put(key, bytes('x'));
      assert.equal(text(await store.get(key)), 'x');
      assert.deepEqual(await keys(store, '_tableflow/cluster+topic/'), [key]);
    });

    it('putIfAbsent twice: the second returns false and leaves the content unchanged', async () => {
      assert.equal(await store.putIfAbsent('meta/v1.json', bytes('one')), true);
      assert.equal(await store.putIfAbsent('meta/v1.json', bytes('two')), false);
      assert.equal(text(await store.get('meta/v1.json')), 'one');
    });

    it('putIfAbsent refuses a key that put created', async () => {
      await store.put('meta/v2.json', bytes('put'));
      assert.equal(await store.putIfAbsent('meta/v2.json', bytes('pia')), false);
      assert.equal(text(await store.get('meta/v2.json')), 'put');
    });

    it('20 concurrent putIfAbsent of one key: exactly one wins and its body is stored', async () => {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => store.putIfAbsent('race/v7.metadata.json', bytes(`writer-${i}`))),
      );
      const winners = results.flatMap((ok, i) => (ok ? [i] : []));
      assert.equal(winners.length, 1, `winners: ${JSON.stringify(winners)}`);
      assert.equal(text(await store.get('race/v7.metadata.json')), `writer-${winners[0]}`);
    });

    it('lists recursively in lexicographic key order, filtered by prefix', async () => {
      const all = ['x/a0', 'x/b/c/d', 'x/a/2', 'y/1', 'x/a-1', 'x/a/1', 'xx'];
      for (const k of all) await store.put(k, bytes(k));
      assert.deepEqual(await keys(store, ''), ['x/a-1', 'x/a/1', 'x/a/2', 'x/a0', 'x/b/c/d', 'xx', 'y/1']);
      assert.deepEqual(await keys(store, 'x/'), ['x/a-1', 'x/a/1', 'x/a/2', 'x/a0', 'x/b/c/d']);
      assert.deepEqual(await keys(store, 'x'), ['x/a-1', 'x/a/1', 'x/a/2', 'x/a0', 'x/b/c/d', 'xx']);
      assert.deepEqual(await keys(store, 'x/a'), ['x/a-1', 'x/a/1', 'x/a/2', 'x/a0']);
      assert.deepEqual(await keys(store, 'x/a/'), ['x/a/1', 'x/a/2']);
      assert.deepEqual(await keys(store, 'x/b/c/d'), ['x/b/c/d']);
      assert.deepEqual(await keys(store, 'nothing/'), []);
      assert.deepEqual(await keys(store, 'x/a/1/deeper'), []);
      const infos = [];
      for await (const o of store.list('y/')) infos.push(o);
      assert.equal(infos.length, 1);
      assert.equal(infos[0].size, 3);
    });

    it('delete removes keys and ignores missing ones', async () => {
      await store.put('d/1', bytes('1'));
      await store.put('d/2', bytes('2'));
      await store.delete(['d/1', 'd/missing', 'other/missing']);
      assert.equal(await store.get('d/1'), null);
      assert.equal(text(await store.get('d/2')), '2');
      await store.delete([]);
      await store.delete(['d/1']);
      assert.deepEqual(await keys(store, 'd/'), ['d/2']);
    });

    it('a deleted key can be created again with putIfAbsent', async () => {
      assert.equal(await store.putIfAbsent('again/k', bytes('a')), true);
      await store.delete(['again/k']);
      assert.equal(await store.putIfAbsent('again/k', bytes('b')), true);
      assert.equal(text(await store.get('again/k')), 'b');
    });
  });
}
