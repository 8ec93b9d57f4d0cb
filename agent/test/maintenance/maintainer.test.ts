// startMaintenance: full passes (all steps) under ingestion, one maintainer per table, lease
// takeover, metrics on the agent's registry.

import assert from 'node:assert/strict';
import { utimes } from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { IcebergTable, currentSnapshot } from '../../src/iceberg/index.ts';
import { leaseDir, startMaintenance, type MaintenanceOptions } from '../../src/maintenance/maintainer.ts';
import { ManifestReader, filesOf } from '../../src/maintenance/reachable.ts';
import { Producer, PyIceberg, SCHEMA, createTable, listKeys, quietLog, settingsOf, sorted, tablePrefix, tempWarehouse } from './helpers.ts';
import type { ObjectStore } from '../../src/store/store.ts';

let py: PyIceberg;
before(() => {
  py = new PyIceberg();
});
after(async () => {
  await py.close();
});

function options(store: ObjectStore, prefix: string, agentId: string, registry: Registry, now: () => number, over: Partial<MaintenanceOptions> = {}): MaintenanceOptions {
  return {
    store,
    tablePrefix: `${prefix}/`,
    tableName: 'test+events',
    schema: SCHEMA,
    partitioning: 'unpartitioned',
    settings: settingsOf({ target_file_size_bytes: 128 * 1024, snapshot_max_age_seconds: 60, snapshots_min_keep: 3, orphan_min_age_seconds: 300 }),
    registry,
    log: quietLog,
    agentId,
    tuning: { fanout: 4, orphanScanIntervalMs: 0, leaseTtlMs: 30_000, clockSkewMs: 1000, maxManifests: 8 },
    env: {},
    now,
    schedule: false,
    ...over,
  };
}

describe('startMaintenance', () => {
  it('runs every step under ingestion; pyiceberg reads exactly the produced rows after every pass', async () => {
    await using wh = await tempWarehouse('maintainer');
    const prefix = tablePrefix();
    const table = await createTable(wh.store, prefix);
    const producer = new Producer(await IcebergTable.load(wh.store, prefix), 0, 200);
    const registry = new Registry();
    // Time runs 10 minutes per pass: snapshots age out, abandoned uploads pass the window.
    let skew = 0;
    const now = () => Date.now() + skew;
    const m = startMaintenance(options(wh.store, prefix, 'agent-a', registry, now));
    let expired = 0;
    let orphans = 0;
    let merged = 0;
    try {
      for (let pass = 0; pass < 12; pass++) {
        for (let i = 0; i < 5; i++) await producer.append(30);
        // A killed writer's upload every few passes (stamped with the test's clock).
        if (pass % 4 === 0) {
          await wh.store.put(`${prefix}/data/orphan-${pass}.parquet`, new Uint8Array(100));
          const t = new Date(now());
          await utimes(path.join(wh.dir, prefix, 'data', `orphan-${pass}.parquet`), t, t);
        }
        const r = await m.runOnce();
        assert.deepEqual(r.errors, []);
        assert.equal(r.skipped, undefined);
        expired += r.expiry?.snapshotsExpired ?? 0;
        orphans += r.orphans?.deleted ?? 0;
        merged += r.manifests?.manifestsReplaced ?? 0;
        await table.refresh();
        const got = await py.scan(table.metadataUri());
        assert.deepEqual(got.keys, sorted(producer.committed), `after pass ${pass}`);
        skew += 10 * 60_000;
        await m.lease.renew(); // what the renewal timer does between passes
      }
    } finally {
      await m.stop();
    }
    assert.ok(expired > 0, 'snapshots expired');
    assert.ok(merged > 0, 'manifests merged');
    assert.equal(orphans, 3, 'each abandoned upload is removed once older than the window');
    const md = await table.refresh();
    assert.ok(md.snapshots.length <= 3 + 4, `${md.snapshots.length} snapshots retained`);
    // Nothing under data/ that the retained snapshots do not reference.
    const refs = await filesOf(new ManifestReader(table.io), md.snapshots, { liveOnly: true });
    const data = await listKeys(wh.store, `${prefix}/data/`);
    assert.deepEqual(data.filter((k) => !refs.dataFiles.has(k)), []);
    const live = await table.liveFiles(currentSnapshot(md));
    assert.ok(live.length <= 12, `${live.length} live files`);

    const text = await registry.metrics();
    for (const name of [
      'floe_maintenance_files_compacted_total',
      'floe_maintenance_bytes_rewritten_total',
      'floe_maintenance_snapshots_expired_total',
      'floe_maintenance_orphans_removed_total',
      'floe_maintenance_compaction_backlog_files',
      'floe_maintenance_lease_held',
    ]) {
      assert.match(text, new RegExp(`^${name}\\{[^}]*table_name="test\\+events"[^}]*\\} \\d+`, 'm'), `${name} missing`);
    }
    assert.match(text, /^floe_maintenance_orphans_removed_total\{table_name="test\+events"\} 3$/m);
  });

  it('lets only one of two agents maintain a table; the other takes over when the lease expires or is released', async () => {
    await using wh = await tempWarehouse('maintainer-two');
    const prefix = tablePrefix();
    await createTable(wh.store, prefix);
    const producer = new Producer(await IcebergTable.load(wh.store, prefix), 0, 100);
    for (let i = 0; i < 8; i++) await producer.append(10);
    let skew = 0;
    const now = () => Date.now() + skew;
    const registry = new Registry(); // shared by both: metrics registered once
    const a = startMaintenance(options(wh.store, prefix, 'agent-a', registry, now));
    const b = startMaintenance(options(wh.store, prefix, 'agent-b', registry, now));
    try {
      const [ra, rb] = await Promise.all([a.runOnce(), b.runOnce()]);
      const acted = [ra, rb].filter((r) => r.skipped === undefined);
      assert.equal(acted.length, 1, 'exactly one agent acts');
      const [holder, other] = ra.skipped === undefined ? [a, b] : [b, a];
      const [hr, or] = ra.skipped === undefined ? [ra, rb] : [rb, ra];
      assert.equal(or.skipped, 'not_leader');
      assert.equal(hr.compaction?.filesCompacted, 8);
      assert.equal((await other.runOnce()).skipped, 'not_leader');

      // The holder dies (no renewals): after TTL + skew the other one takes over.
      skew += 31_500;
      assert.equal((await other.runOnce()).skipped, undefined);
      assert.equal((await holder.runOnce()).skipped, 'not_leader');

      // A clean stop releases the lease: the first agent may take it at once.
      await other.stop();
      assert.equal((await holder.runOnce()).skipped, undefined);
      assert.match(await registry.metrics(), /floe_maintenance_passes_total\{table_name="test\+events",result="not_leader"\} 3/);
    } finally {
      await a.stop();
      await b.stop();
    }
    assert.ok((await listKeys(wh.store, leaseDir(`${prefix}/`))).length > 0);
    assert.deepEqual((await py.scan((await IcebergTable.load(wh.store, prefix)).metadataUri())).keys, sorted(producer.committed));
  });

  it('reports a table that does not exist yet without failing', async () => {
    await using wh = await tempWarehouse('maintainer-none');
    const m = startMaintenance(options(wh.store, tablePrefix(), 'agent-a', new Registry(), Date.now));
    try {
      const r = await m.runOnce();
      assert.equal(r.skipped, 'no_table');
      assert.deepEqual(r.errors, []);
    } finally {
      await m.stop();
    }
  });

  it('validates tuning from the environment, naming the variable and the value', () => {
    assert.throws(
      () => startMaintenance({ ...options({} as ObjectStore, 'x', 'a', new Registry(), Date.now), env: { FLOE_MAINTENANCE_INTERVAL_MS: 'soon' }, tuning: {} }),
      /maintenance\.intervalMs \(FLOE_MAINTENANCE_INTERVAL_MS\): expected an integer >= 1, got "soon"/,
    );
  });
});
