// The fetching thread's scavenges (source/scavenge.ts): paced by the bytes fetched, off at 0, the
// gc function private to the module, FLOE_FETCH_SCAVENGE_MIB validated. Forced collections are
// counted through a gc PerformanceObserver: V8's own are not forced.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { runInNewContext } from 'node:vm';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_FETCH_SCAVENGE_MIB, fetchScavengeMiBFromEnv, fetched, setFetchScavengeMiB } from '../../src/source/scavenge.ts';

const MiB = 1024 * 1024;

/** Counts the young-generation collections someone asked for (V8 runs its own unforced). */
function forcedScavenges(): { count: () => Promise<number>; stop: () => void } {
  let n = 0;
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const d = (e as unknown as { detail: { kind: number; flags: number } }).detail;
      if (d.kind === constants.NODE_PERFORMANCE_GC_MINOR && (d.flags & constants.NODE_PERFORMANCE_GC_FLAGS_FORCED) !== 0) n++;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return {
    // The observer hears of collections asynchronously.
    count: async () => {
      await sleep(50);
      return n;
    },
    stop: () => observer.disconnect(),
  };
}

test('the fetching thread runs a young-generation collection once per interval of bytes fetched, none when off', async (t) => {
  const gcs = forcedScavenges();
  t.after(() => {
    gcs.stop();
    setFetchScavengeMiB(DEFAULT_FETCH_SCAVENGE_MIB);
  });
  setFetchScavengeMiB(1);
  fetched(MiB / 2);
  assert.equal(await gcs.count(), 0, 'half an interval');
  fetched(MiB / 2);
  assert.equal(await gcs.count(), 1, 'one interval');
  fetched(MiB - 1);
  assert.equal(await gcs.count(), 1, 'the count starts again after a collection');
  fetched(3 * MiB);
  assert.equal(await gcs.count(), 2, 'one collection per call at most');
  setFetchScavengeMiB(0);
  fetched(100 * MiB);
  assert.equal(await gcs.count(), 2, 'off');
});

test('the gc function stays private: neither this context nor contexts made later get one', () => {
  setFetchScavengeMiB(1);
  try {
    fetched(MiB);
  } finally {
    setFetchScavengeMiB(DEFAULT_FETCH_SCAVENGE_MIB);
  }
  assert.equal(typeof (globalThis as { gc?: unknown }).gc, 'undefined');
  assert.equal(runInNewContext('typeof gc'), 'undefined');
});

test('FLOE_FETCH_SCAVENGE_MIB: a whole number of MiB, 32 by default; anything else is refused with the value', () => {
  assert.equal(fetchScavengeMiBFromEnv({}), 32);
  assert.equal(fetchScavengeMiBFromEnv({ FLOE_FETCH_SCAVENGE_MIB: '' }), 32);
  assert.equal(fetchScavengeMiBFromEnv({ FLOE_FETCH_SCAVENGE_MIB: '0' }), 0);
  assert.equal(fetchScavengeMiBFromEnv({ FLOE_FETCH_SCAVENGE_MIB: '64' }), 64);
  for (const bad of ['x', '-1', '1.5', '65537', ' 8']) {
    assert.equal(
      fetchScavengeMiBFromEnv({ FLOE_FETCH_SCAVENGE_MIB: bad }),
      `FLOE_FETCH_SCAVENGE_MIB must be a whole number of MiB from 0 to 65536 (0 turns the fetching thread's scavenges off), got ${JSON.stringify(bad)}`,
    );
  }
  assert.throws(() => setFetchScavengeMiB(-1), /got -1/);
});
