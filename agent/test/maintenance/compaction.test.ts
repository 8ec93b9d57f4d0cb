// Continuous compaction on real tables (IcebergTable + ParquetFileBuilder on file://), read back
// by pyiceberg after every pass: no row lost or doubled, file count bounded, bytes near target.

import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { AppendFiles, IcebergTable, currentSnapshot, readCommittedOffsets } from '../../src/iceberg/index.ts';
import { ManifestCachingStore } from '../../src/maintenance/cache.ts';
import { compact } from '../../src/maintenance/compact.ts';
import { mergeManifests } from '../../src/maintenance/manifests.ts';
import { startMaintenance } from '../../src/maintenance/maintainer.ts';
import { smallThreshold, tierOf } from '../../src/maintenance/plan.ts';
import { readRows } from '../../src/maintenance/rows.ts';
import {
  HookedStore,
  Producer,
  PyIceberg,
  SCHEMA,
  TOPIC,
  createTable,
  listKeys,
  liveFiles,
  quietLog,
  rowKey,
  settingsOf,
  sorted,
  stepContext,
  tablePrefix,
  tempWarehouse,
} from './helpers.ts';

const TARGET = 256 * 1024;
const FANOUT = 8;

let py: PyIceberg;
before(() => {
  py = new PyIceberg();
});
after(async () => {
  await py.close();
});

/** Every row of the table's live files, read by our own reader (for checks between pyiceberg reads). */
async function ownRows(table: IcebergTable): Promise<string[]> {
  const md = await table.refresh();
  const out: string[] = [];
  for (const f of await table.liveFiles(currentSnapshot(md))) {
    const bytes = await table.store.get(table.io.keyOfUri(f.filePath));
    assert.ok(bytes, `live file ${f.filePath} is missing`);
    for (const r of readRows(bytes, schemaOf(md))) out.push(rowKey(r as Parameters<typeof rowKey>[0]));
  }
  return out.sort();
}

function schemaOf(md: IcebergTable['metadata']) {
  return md.schemas.find((s) => s['schema-id'] === md['current-schema-id'])!;
}

describe('continuous compaction', () => {
  it('keeps the file count bounded under steady small appends; pyiceberg reads exactly the produced rows after every pass', async () => {
    await using wh = await tempWarehouse('compact');
    const prefix = tablePrefix();
    const table = await createTable(wh.store, prefix);
    const producer = new Producer(await IcebergTable.load(wh.store, prefix), 0, 200);
    // The agent's maintainer, full passes (manifests, compaction, expiry, orphans); the clock runs
    // 10 minutes per pass so that old snapshots expire as they would in a long run.
    let skew = 0;
    const m = startMaintenance({
      store: wh.store,
      tablePrefix: prefix,
      tableName: 'steady',
      schema: SCHEMA,
      partitioning: 'unpartitioned',
      settings: settingsOf({ target_file_size_bytes: TARGET, snapshot_max_age_seconds: 1800, snapshots_min_keep: 5 }),
      registry: new Registry(),
      log: quietLog,
      agentId: 'agent-a',
      tuning: { fanout: FANOUT, orphanScanIntervalMs: 0 },
      env: {},
      now: () => Date.now() + skew,
      schedule: false,
    });
    const S = smallThreshold({ targetBytes: TARGET, fanout: FANOUT });
    const batches = 120;
    const passEvery = 4;
    let compactionWritten = 0;
    let compactionRead = 0;
    let maxSmall = 0;
    let maxFiles = 0;
    let minIngest = Infinity;
    const series: { batch: number; files: number; small: number; ingested: number; rewritten: number }[] = [];

    try {
      for (let b = 1; b <= batches; b++) {
        const before = producer.bytesWritten;
        await producer.append(40);
        minIngest = Math.min(minIngest, producer.bytesWritten - before);
        if (b % passEvery !== 0) continue;
        const r = await m.runOnce();
        assert.deepEqual(r.errors, []);
        compactionWritten += r.compaction?.bytesWritten ?? 0;
        compactionRead += r.compaction?.bytesRead ?? 0;
        skew += 10 * 60_000;
        await m.lease.renew();
        const files = await liveFiles(table);
        const small = files.filter((f) => Number(f.fileSizeInBytes) < S).length;
        maxSmall = Math.max(maxSmall, small);
        maxFiles = Math.max(maxFiles, files.length);
        series.push({ batch: b, files: files.length, small, ingested: producer.bytesWritten, rewritten: compactionWritten });
        const got = await py.scan(table.metadataUri());
        assert.deepEqual(got.keys, sorted(producer.committed), `pyiceberg after the pass at batch ${b}`);
        assert.equal(got.files, files.length);
      }
    } finally {
      await m.stop();
    }

    const files = await liveFiles(table);
    const sizes = files.map((f) => Number(f.fileSizeInBytes));
    const total = sizes.reduce((a, b) => a + b, 0);
    const inBig = sizes.filter((s) => s >= S).reduce((a, b) => a + b, 0);
    const tiers = tierOf(minIngest, S, FANOUT) + 1;
    const wa = compactionWritten / producer.bytesWritten;
    // Bounded: fewer than F files wait per tier (plus the files a pass has not seen yet).
    assert.ok(maxSmall <= (FANOUT - 1) * tiers + passEvery, `small files peaked at ${maxSmall}, bound ${(FANOUT - 1) * tiers + passEvery}`);
    assert.ok(inBig / total >= 0.6, `only ${Math.round((100 * inBig) / total)}% of the bytes are in files near the target`);
    for (const s of sizes) assert.ok(s < 2 * TARGET, `a compacted file of ${s} bytes overshoots the target ${TARGET}`);
    // Each byte is rewritten about once per tier it climbs, not on every pass.
    assert.ok(wa <= tiers + 0.5, `write amplification ${wa.toFixed(2)} above ${tiers + 0.5}`);
    assert.equal(readCommittedOffsets(await table.refresh(), TOPIC).get(0), producer.next);

    const figures = {
      target: TARGET,
      fanout: FANOUT,
      batches,
      passEvery,
      ingestedBytes: producer.bytesWritten,
      ingestFileBytes: Math.round(producer.bytesWritten / batches),
      compactionBytesRead: compactionRead,
      compactionBytesWritten: compactionWritten,
      writeAmplification: Number(wa.toFixed(3)),
      finalFiles: files.length,
      finalSmallFiles: sizes.filter((s) => s < S).length,
      bytesInFilesNearTarget: Number((inBig / total).toFixed(3)),
      maxFiles,
      maxSmall,
      series,
    };
    if (process.env.FLOE_WRITE_FIGURES) {
      await writeFile(path.join(process.env.FLOE_WRITE_FIGURES, 'compaction.json'), JSON.stringify(figures, null, 2) + '\n');
    }
  });

  it('merges a sealed hour partition down to at most one small file, and leaves other partitions alone', async () => {
    await using wh = await tempWarehouse('compact-hour');
    const table = await createTable(wh.store, tablePrefix(), 'hour');
    const producer = new Producer(table, 0, 200);
    const nowHour = BigInt(Math.floor(Date.now() / 3_600_000));
    // Three old hours (sealed), four batches each: too few files for a tier merge.
    for (let h = 4n; h >= 2n; h--) for (let i = 0; i < 4; i++) await producer.append(30, (nowHour - h) * 3_600_000_000n + BigInt(i) * 1_000_000n);
    // The current hour: also four files, not sealed.
    for (let i = 0; i < 4; i++) await producer.append(30);
    const ctx = stepContext(table, { settings: { target_file_size_bytes: TARGET }, tuning: { fanout: FANOUT } });
    const r = await compact(ctx);
    assert.equal(r.groupsCommitted, 3);
    assert.equal(r.filesCompacted, 12);
    const files = await liveFiles(table);
    const byHour = new Map<number, number>();
    for (const f of files) byHour.set(f.partition._kafka_timestamp_hour as number, (byHour.get(f.partition._kafka_timestamp_hour as number) ?? 0) + 1);
    assert.deepEqual([...byHour.values()].sort(), [1, 1, 1, 4]);
    const got = await py.scan(table.metadataUri());
    assert.deepEqual(got.keys, sorted(producer.committed));
    // A second pass finds nothing to do.
    const again = await compact(ctx);
    assert.equal(again.groupsPlanned, 0);
  });

  it('races ingestion from two agents for many cycles: no row lost or doubled, offsets exact', async (t) => {
    await using wh = await tempWarehouse('compact-race');
    const prefix = tablePrefix();
    const table = await createTable(wh.store, prefix);
    // Three processes' worth of table instances: two ingesting agents and one maintainer (which,
    // as in the agent, reads through the manifest cache).
    const a = new Producer(await IcebergTable.load(wh.store, prefix), 0, 100);
    const b = new Producer(await IcebergTable.load(wh.store, prefix), 1, 100);
    const maintainer = await IcebergTable.load(new ManifestCachingStore(wh.store), prefix);
    const ctx = stepContext(maintainer, { settings: { target_file_size_bytes: 64 * 1024 }, tuning: { fanout: 4 } });
    let stop = false;
    let passes = 0;
    let commits = 0;
    let conflicts = 0;
    const ingest = async (p: Producer) => {
      // 45 cycles, or more until compaction has committed in between at least 5 times (a loaded
      // machine gives the maintainer fewer passes in the same time).
      for (let i = 0; i < 45 || (commits < 5 && i < 400); i++) {
        await p.append(20);
        await new Promise((res) => setTimeout(res, 40 + Math.random() * 40)); // 2 agents: ~25 commits/s
      }
    };
    const maintain = async () => {
      while (!stop) {
        await mergeManifests(ctx);
        const r = await compact(ctx);
        passes++;
        commits += r.commits;
        conflicts += r.conflicts;
        await new Promise((res) => setTimeout(res, 5));
      }
    };
    const m = maintain();
    await Promise.all([ingest(a), ingest(b)]);
    stop = true;
    await m;
    await compact(ctx);
    assert.ok(commits >= 5, `only ${commits} compaction commits raced the appends`);
    const expected = sorted([...a.committed, ...b.committed]);
    assert.deepEqual(await ownRows(table), expected);
    assert.deepEqual((await py.scan(table.metadataUri())).keys, expected);
    const offsets = readCommittedOffsets(await table.refresh(), TOPIC);
    assert.deepEqual([...offsets].sort(), [
      [0, a.next],
      [1, b.next],
    ]);
    assert.ok(passes > 0);
    t.diagnostic(`compaction passes ${passes}, commits ${commits}, lost races re-applied ${conflicts}`);
  });

  it('retries on fresh metadata when an append lands between staging and publishing', async () => {
    await using wh = await tempWarehouse('compact-conflict');
    const hooked = new HookedStore(wh.store);
    const prefix = tablePrefix();
    const table = await createTable(hooked, prefix);
    const writer = new Producer(await IcebergTable.load(wh.store, prefix), 0, 100);
    for (let i = 0; i < 8; i++) await writer.append(10);
    let interleaved = 0;
    hooked.hook = async (key) => {
      if (/metadata\/v\d+\.metadata\.json$/.test(key) && interleaved < 2) {
        interleaved++;
        await writer.append(10); // another agent commits first: this attempt loses v<N+1>
      }
      return 'proceed';
    };
    const r = await compact(stepContext(table, { settings: { target_file_size_bytes: 1024 * 1024 }, tuning: { fanout: 8 } }));
    hooked.hook = null;
    assert.equal(interleaved, 2);
    assert.equal(r.groupsCommitted, 1);
    assert.equal(r.filesCompacted, 8);
    const files = await liveFiles(table);
    assert.equal(files.length, 3); // the merge + the two interleaved appends
    assert.deepEqual((await py.scan(table.metadataUri())).keys, sorted(writer.committed));
    assert.equal(readCommittedOffsets(await table.refresh(), TOPIC).get(0), writer.next);
  });

  it('drops its merge when another compactor replaced an input first, and deletes its outputs', async () => {
    await using wh = await tempWarehouse('compact-twice');
    const prefix = tablePrefix();
    const table1 = await createTable(wh.store, prefix);
    const table2 = await IcebergTable.load(wh.store, prefix);
    const writer = new Producer(table1, 0, 100);
    for (let i = 0; i < 8; i++) await writer.append(10);
    const settings = { target_file_size_bytes: 1024 * 1024 };
    // Both plan on the same state; the first to commit wins, the other is refused.
    const [r1, r2] = await Promise.all([compact(stepContext(table1, { settings })), compact(stepContext(table2, { settings }))]);
    assert.equal(r1.groupsCommitted + r2.groupsCommitted, 1);
    assert.equal(r1.groupsDropped + r2.groupsDropped, 1);
    const live = new Set((await liveFiles(table1)).map((f) => table1.io.keyOfUri(f.filePath)));
    assert.equal(live.size, 1);
    assert.deepEqual((await py.scan(table1.metadataUri())).keys, sorted(writer.committed));
    // Data files on disk: the 8 inputs (until expiry), the winning merge; the loser's output is gone.
    const onDisk = (await listKeys(wh.store, `${prefix}/data/`)).filter((k) => k.endsWith('.parquet'));
    assert.equal(onDisk.length, 9);
  });

  it('compacts files written under an older schema into the current one (added column reads null)', async () => {
    await using wh = await tempWarehouse('compact-evolve');
    const table = await createTable(wh.store, tablePrefix());
    const writer = new Producer(table, 0, 50);
    for (let i = 0; i < 3; i++) await writer.append(10);
    const { SetSchema } = await import('../../src/iceberg/index.ts');
    const current = table.metadata.schemas[0];
    await table.commit(new SetSchema({ ...current, fields: [...current.fields, { id: 3, name: 'extra', required: false, type: 'string' }] }));
    const r = await compact(stepContext(table, { settings: { target_file_size_bytes: 1024 * 1024 }, tuning: { fanout: 3 } }));
    assert.equal(r.filesCompacted, 3);
    const [merged] = await liveFiles(table);
    const rows = readRows((await table.store.get(table.io.keyOfUri(merged.filePath)))!, schemaOf(await table.refresh()));
    assert.equal(rows.length, 30);
    assert.ok(rows.every((row) => row.extra === null));
    assert.deepEqual((await py.scan(table.metadataUri())).keys, sorted(writer.committed));
  });
});
