// The maintenance lease: one holder at a time, renewal, takeover of an expired lease (race-free),
// release, and a stale claim that must not win.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MaintenanceLease, type LeaseOptions } from '../../src/maintenance/lease.ts';
import type { ObjectInfo, ObjectStore } from '../../src/store/store.ts';
import { listKeys, tempWarehouse } from './helpers.ts';

const DIR = '_tableflow/test+events/_floe/maintenance-lease/';

class Clock {
  t = 1_700_000_000_000;
  now = (): number => this.t;
}

function lease(store: ObjectStore, agentId: string, clock: Clock, over: Partial<LeaseOptions> = {}): MaintenanceLease {
  return new MaintenanceLease({ store, dir: DIR, agentId, ttlMs: 30_000, clockSkewMs: 2_000, now: clock.now, ...over });
}

describe('maintenance lease', () => {
  it('lets one agent hold it; the other stays out while it is renewed', async () => {
    await using wh = await tempWarehouse('lease');
    const clock = new Clock();
    const a = lease(wh.store, 'agent-a', clock);
    const b = lease(wh.store, 'agent-b', clock);
    assert.equal(await a.acquire(), true);
    assert.equal(await b.acquire(), false);
    assert.equal(b.lastSeen?.agentId, 'agent-a');
    for (let i = 0; i < 5; i++) {
      clock.t += 10_000; // a third of the TTL
      assert.equal(await a.renew(), true);
      assert.equal(await b.acquire(), false);
    }
    assert.ok(a.held);
    assert.ok(!b.held);
    // Old epochs are cleaned up: only the newest few stay listed.
    assert.ok((await listKeys(wh.store, DIR)).length <= 3);
  });

  it('is taken over once it expired (plus the skew allowance), and the old holder knows it lost', async () => {
    await using wh = await tempWarehouse('lease');
    const clock = new Clock();
    const a = lease(wh.store, 'agent-a', clock);
    const b = lease(wh.store, 'agent-b', clock);
    assert.ok(await a.acquire());
    clock.t += 30_000; // expired, within the skew allowance
    assert.equal(a.held, false, 'the holder stops acting before its expiry');
    assert.equal(await b.acquire(), false);
    clock.t += 2_001;
    assert.equal(await b.acquire(), true);
    assert.equal(await a.renew(), false);
    assert.equal(a.held, false);
    assert.equal(a.lastSeen?.agentId, 'agent-b');
  });

  it('lets exactly one of many racing candidates take over an expired lease', async () => {
    await using wh = await tempWarehouse('lease');
    const clock = new Clock();
    for (let round = 0; round < 10; round++) {
      const candidates = Array.from({ length: 8 }, (_, i) => lease(wh.store, `agent-${round}-${i}`, clock));
      const won = await Promise.all(candidates.map((c) => c.acquire()));
      assert.equal(won.filter(Boolean).length, 1, `round ${round}: ${won.filter(Boolean).length} winners`);
      clock.t += 40_000; // let it expire for the next round
    }
  });

  it('is free again at once after release', async () => {
    await using wh = await tempWarehouse('lease');
    const clock = new Clock();
    const a = lease(wh.store, 'agent-a', clock);
    const b = lease(wh.store, 'agent-b', clock);
    assert.ok(await a.acquire());
    await a.release();
    assert.equal(a.held, false);
    assert.equal(await b.acquire(), true);
  });

  it('is not inherited by a restarted agent with the same id before it expires', async () => {
    await using wh = await tempWarehouse('lease');
    const clock = new Clock();
    assert.ok(await lease(wh.store, 'agent-a', clock).acquire());
    const restarted = lease(wh.store, 'agent-a', clock);
    assert.equal(await restarted.acquire(), false);
    clock.t += 33_000;
    assert.equal(await restarted.acquire(), true);
  });

  it('a stale claim (made from an old listing, below the real head) does not hold the lease', async () => {
    await using wh = await tempWarehouse('lease');
    const clock = new Clock();
    const a = lease(wh.store, 'agent-a', clock);
    assert.ok(await a.acquire()); // epoch 1
    for (let i = 0; i < 4; i++) {
      clock.t += 10_000;
      assert.ok(await a.renew()); // epochs 2..5; cleanup deleted 1 and 2
    }
    assert.deepEqual((await listKeys(wh.store, DIR)).map((k) => k.slice(DIR.length)), ['000000000003.json', '000000000004.json', '000000000005.json']);
    // A candidate whose first listing is from long ago (it still saw epoch 1, expired by now).
    clock.t += 60_000;
    const stale = new StaleListStore(wh.store, DIR, ['000000000001.json']);
    await wh.store.put(`${DIR}000000000001.json`, Buffer.from(JSON.stringify({ holder: 'x', agentId: 'x', expiresAtMs: 0 })));
    const b = lease(stale, 'agent-b', clock);
    // It creates epoch 2 (deleted, so the create succeeds), then verifies against a true listing.
    assert.equal(await b.acquire(), false);
    // Nobody renewed epoch 5 for a minute: a fresh candidate takes it over properly (epoch 6).
    const c = lease(wh.store, 'agent-c', clock);
    assert.equal(await c.acquire(), true);
    assert.equal(c.epoch, 6);
  });
});

/** A store whose first list() of `dir` answers with an old listing. */
class StaleListStore implements ObjectStore {
  readonly inner: ObjectStore;
  #stale: string[] | null;
  readonly #dir: string;

  constructor(inner: ObjectStore, dir: string, stale: string[]) {
    this.inner = inner;
    this.#dir = dir;
    this.#stale = stale;
  }

  get url(): string {
    return this.inner.url;
  }

  get(key: string): Promise<Uint8Array | null> {
    return this.inner.get(key);
  }

  put(key: string, body: Uint8Array): Promise<void> {
    return this.inner.put(key, body);
  }

  putIfAbsent(key: string, body: Uint8Array): Promise<boolean> {
    return this.inner.putIfAbsent(key, body);
  }

  head(key: string): Promise<ObjectInfo | null> {
    return this.inner.head(key);
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    if (prefix === this.#dir && this.#stale) {
      const names = this.#stale;
      this.#stale = null;
      for (const n of names) yield { key: prefix + n, size: 1, lastModified: new Date(0) };
      return;
    }
    yield* this.inner.list(prefix);
  }

  delete(keys: string[]): Promise<void> {
    return this.inner.delete(keys);
  }
}

describe('maintenance lease, one agent', () => {
  it('renewals racing each other inside one agent do not lose the lease', async () => {
    await using wh = await tempWarehouse('lease');
    const clock = new Clock();
    const a = lease(wh.store, 'agent-a', clock);
    assert.ok(await a.acquire());
    const results = await Promise.all([a.renew(), a.acquire(), a.renew(), a.acquire()]);
    assert.deepEqual(results, [true, true, true, true]);
    assert.ok(a.held);
    assert.equal(a.epoch, 5);
  });
});
