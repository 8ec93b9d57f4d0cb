// DeltaProjector over Iceberg tables the agent's own writer and committer build, read back by
// readers we did not write: deltalake (through its QueryBuilder, which applies column mapping),
// duckdb over the files deltalake lists, and pyiceberg for the Iceberg side.

import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { DeltaLog, DeltaProjector, ICEBERG_TXN_APP_ID, type Action, type AddFile, type RemoveFile } from '../../src/delta/index.ts';
import { AppendFiles, ancestors, currentSchema, SetSchema, type TableMetadata } from '../../src/iceberg/index.ts';
import { hourOf } from '../../src/iceberg/partition.ts';
import { HookedStore, tablePrefix, tempWarehouse } from '../iceberg/helpers.ts';
import {
  HOUR_MICROS,
  addRegionColumn,
  appendRecords,
  assertSameRows,
  compact,
  createTable,
  dropOldestFile,
  listKeys,
  readDelta,
  readDeltaWithDuckdb,
  readIceberg,
  recordFor,
  writeFiles,
  type TestTable,
} from './helpers.ts';

const HOUR_COLUMN = '_kafka_timestamp_hour';

function deltaDir(whDir: string, prefix: string): string {
  return path.join(whDir, ...prefix.split('/'));
}

/** Commits of the log in version order with their actions. */
async function commits(log: DeltaLog): Promise<Action[][]> {
  const { commits: versions } = await log.list();
  const out: Action[][] = [];
  for (const v of versions) out[v] = (await log.readCommit(v)) ?? assert.fail(`commit ${v} vanished`);
  return out;
}

function txnOf(actions: Action[]): number | undefined {
  for (const a of actions) if ('txn' in a && a.txn.appId === ICEBERG_TXN_APP_ID) return a.txn.version;
  return undefined;
}

function adds(actions: Action[]): AddFile[] {
  return actions.flatMap((a) => ('add' in a ? [a.add] : []));
}

function removes(actions: Action[]): RemoveFile[] {
  return actions.flatMap((a) => ('remove' in a ? [a.remove] : []));
}

function lineage(md: TableMetadata) {
  return [...ancestors(md)].reverse();
}

/** The log holds exactly one commit per snapshot of the lineage, in order, versions dense. */
async function assertOneCommitPerSnapshot(log: DeltaLog, md: TableMetadata): Promise<void> {
  const all = await commits(log);
  const snaps = lineage(md);
  assert.equal(all.length, snaps.length, `${all.length} Delta commits for ${snaps.length} Iceberg snapshots`);
  for (let v = 0; v < snaps.length; v++) {
    assert.ok(all[v], `commit ${v} is missing`);
    assert.equal(txnOf(all[v]), snaps[v]['sequence-number'], `commit ${v} projects sequence number ${snaps[v]['sequence-number']}`);
    const info = all[v].find((a) => 'commitInfo' in a);
    assert.ok(info && 'commitInfo' in info);
    assert.equal((info.commitInfo.floe as Record<string, string>).icebergSnapshotId, snaps[v]['snapshot-id'].toString());
  }
}

/** deltalake and duckdb read exactly the rows pyiceberg reads; the hour column matches each row. */
async function assertReadersAgree(t: TestTable, dir: string, partitioned: boolean): Promise<number> {
  const iceberg = await readIceberg(t.table.metadataUri());
  assert.equal(iceberg.rows.length, [...t.rowsByFile.values()].reduce((n, rows) => n + rows.length, 0), 'pyiceberg reads every live record');
  const drop = partitioned ? [HOUR_COLUMN] : [];
  const delta = await readDelta(dir);
  assertSameRows(delta.rows, iceberg.rows, 'deltalake vs pyiceberg', drop);
  const local = (f: string): string => f.replace(/^file:\/\//, '');
  assert.deepEqual(delta.files.map(local).sort(), iceberg.files.map(local).sort(), 'same live Parquet files');
  const duck = await readDeltaWithDuckdb(dir);
  assertSameRows(duck.rows, iceberg.rows, 'duckdb (files listed by deltalake) vs pyiceberg', drop);
  if (partitioned) {
    for (const r of [...delta.rows, ...duck.rows]) {
      assert.equal(r[HOUR_COLUMN], hourOf(BigInt(r._kafka_timestamp as number)), 'partition column = hour of _kafka_timestamp');
    }
  }
  return iceberg.rows.length;
}

describe('DeltaProjector: the seed tables read back by deltalake and duckdb', () => {
  it('projects the hour-partitioned JSON logs table over 27 snapshots (schema evolution, compaction, retention) with checkpoints that suffice alone', async () => {
    await using wh = await tempWarehouse('delta');
    const prefix = tablePrefix('example_json_logs_topic');
    const dir = deltaDir(wh.dir, prefix);
    const t = await createTable(wh.store, prefix, 'json', true);
    const projector = new DeltaProjector(wh.store, prefix, { checkpointInterval: 10 });
    let replaceVersion = -1;
    let deleteVersion = -1;
    let evolvedVersion = -1;
    let compacted = 0;
    for (let i = 0; i < 27; i++) {
      if (i === 8) {
        await addRegionColumn(t);
        evolvedVersion = i;
      }
      if (i === 15) {
        compacted = await compact(t, 4);
        replaceVersion = i;
      } else if (i === 20) {
        await dropOldestFile(t);
        deleteVersion = i;
      } else {
        await appendRecords(t, 25 + (i % 7));
      }
      const r = await projector.sync(t.table);
      assert.equal(r.commitsWritten, 1, `snapshot ${i} becomes one commit`);
      assert.equal(r.version, i);
      assert.equal(r.checkpointsWritten, i === 10 || i === 20 ? 1 : 0, `checkpoint after version ${i}`);
      assert.equal(r.snapshotId, t.table.metadata['current-snapshot-id']);
    }

    const log = projector.log;
    const listing = await log.list();
    assert.deepEqual(listing.checkpoints, [10, 20]);
    assert.deepEqual(listing.commits, Array.from({ length: 27 }, (_, v) => v));
    assert.equal((await log.readLastCheckpoint())?.version, 20);
    await assertOneCommitPerSnapshot(log, t.table.metadata);

    const all = await commits(log);
    // Version 0: protocol + metaData with column mapping; evolution: a new metaData in the commit
    // of the first snapshot with the new schema, and nowhere else.
    const metaVersions = all.flatMap((c, v) => (c.some((a) => 'metaData' in a) ? [v] : []));
    assert.deepEqual(metaVersions, [0, evolvedVersion]);
    assert.ok(all[0].some((a) => 'protocol' in a && a.protocol.minReaderVersion === 2 && a.protocol.minWriterVersion === 5));
    // Compaction: dataChange=false on both sides; retention: a data-changing remove.
    assert.ok(compacted >= 2);
    assert.equal(removes(all[replaceVersion]).length, compacted);
    assert.ok(removes(all[replaceVersion]).every((r) => r.dataChange === false));
    assert.ok(adds(all[replaceVersion]).length >= 1 && adds(all[replaceVersion]).every((a) => a.dataChange === false));
    assert.deepEqual(removes(all[deleteVersion]).map((r) => r.dataChange), [true]);
    assert.equal(adds(all[deleteVersion]).length, 0);
    for (const a of adds(all[3])) {
      assert.match(a.path, /^data\/_kafka_timestamp_hour=\d{4}-\d\d-\d\d-\d\d\/[^/]+\.parquet$/);
      assert.equal(a.dataChange, true);
    }

    const total = await assertReadersAgree(t, dir, true);

    // deltalake parses the stats and partition values of every add action as written.
    const d = await readDelta(dir, {
      sql: [
        'select count(*) as n, min(_kafka_timestamp) as lo, max(_kafka_timestamp) as hi, max(_kafka_offset) as off from t',
        `select ${HOUR_COLUMN} as h, count(*) as n from t group by ${HOUR_COLUMN} order by h`,
      ],
    });
    assert.equal(d.protocol.min_reader_version, 2);
    assert.equal(d.protocol.min_writer_version, 5);
    assert.deepEqual(d.partition_columns, [HOUR_COLUMN]);
    const region = d.schema.fields.find((f) => f.name === 'region');
    assert.equal(region?.metadata['delta.columnMapping.id'], 5);
    const hourField = d.schema.fields.find((f) => f.name === HOUR_COLUMN);
    assert.equal(hourField?.type, 'integer');
    assert.equal(hourField?.metadata['delta.columnMapping.id'], 2_000_001_000);
    const liveRows = [...t.rowsByFile.entries()];
    assert.equal(d.adds.length, liveRows.length);
    for (const add of d.adds) {
      const entry = liveRows.find(([p]) => p.endsWith('/' + add.path));
      assert.ok(entry, `add ${add.path} is a live Iceberg file`);
      const rows = entry[1];
      const offsets = rows.map((r) => r._kafka_offset as bigint);
      const stamps = rows.map((r) => r._kafka_timestamp as bigint);
      assert.equal(add.num_records, rows.length);
      assert.equal(add.partition?.[HOUR_COLUMN], hourOf(stamps[0]));
      assert.equal(add.min?._kafka_offset, Number(offsets.reduce((a, b) => (a < b ? a : b))));
      assert.equal(add.max?._kafka_offset, Number(offsets.reduce((a, b) => (a > b ? a : b))));
      const lo = stamps.reduce((a, b) => (a < b ? a : b));
      const hi = stamps.reduce((a, b) => (a > b ? a : b));
      assert.equal(add.min?._kafka_timestamp, Number((lo / 1000n) * 1000n), 'min timestamp rounded down to ms');
      assert.equal(add.max?._kafka_timestamp, Number(((hi + 999n) / 1000n) * 1000n), 'max timestamp rounded up to ms');
      assert.equal(add.null_count?.environment, 0);
      const withRegion = rows.some((r) => 'region' in r);
      if (withRegion) assert.equal(add.null_count?.region, rows.filter((r) => r.region === null).length);
    }
    const every = liveRows.flatMap(([, rows]) => rows);
    const stamps = every.map((r) => r._kafka_timestamp as bigint);
    assert.deepEqual(d.sql[0], [
      {
        n: total,
        lo: Number(stamps.reduce((a, b) => (a < b ? a : b))),
        hi: Number(stamps.reduce((a, b) => (a > b ? a : b))),
        off: Number(every.map((r) => r._kafka_offset as bigint).reduce((a, b) => (a > b ? a : b))),
      },
    ]);
    const perHour = new Map<number, number>();
    for (const s of stamps) perHour.set(hourOf(s), (perHour.get(hourOf(s)) ?? 0) + 1);
    assert.deepEqual(d.sql[1], [...perHour].sort(([a], [b]) => a - b).map(([h, n]) => ({ h, n })));
    // Data skipping on the timestamp stats: a filter between two values one microsecond apart.
    const sorted = [...stamps].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const cut = sorted[Math.floor(sorted.length / 2)];
    const filtered = await readDelta(dir, {
      sql: [`select count(*) as n from t where _kafka_timestamp >= to_timestamp_micros(${cut}) and ${HOUR_COLUMN} >= ${Number(cut / HOUR_MICROS)}`],
    });
    assert.deepEqual(filtered.sql[0], [{ n: sorted.filter((s) => s >= cut).length }]);

    // Time travel: Delta version v is Iceberg snapshot v.
    const snaps = lineage(t.table.metadata);
    for (const v of [4, 15]) {
      const past = await readDelta(dir, { version: v });
      const ice = await readIceberg(t.table.metadataUri(), snaps[v]['snapshot-id']);
      assertSameRows(past.rows, ice.rows, `Delta version ${v} vs Iceberg snapshot ${v}`, [HOUR_COLUMN]);
    }

    // The checkpoint alone suffices: drop every JSON commit up to and including version 20.
    await wh.store.delete(Array.from({ length: 21 }, (_, v) => log.key(`${String(v).padStart(20, '0')}.json`)));
    await assertReadersAgree(t, dir, true);
    // ... for a restarted projector too, which continues from the checkpoint.
    const restarted = new DeltaProjector(wh.store, prefix, { checkpointInterval: 10 });
    assert.deepEqual(await restarted.sync(t.table), { commitsWritten: 0, version: 26, checkpointsWritten: 0, racesLost: 0, catchUps: 0, snapshotId: t.table.metadata['current-snapshot-id'] });
    for (let i = 0; i < 4; i++) await appendRecords(t, 11);
    const r = await restarted.sync(t.table);
    assert.equal(r.commitsWritten, 4);
    assert.equal(r.version, 30);
    assert.equal(r.checkpointsWritten, 1);
    assert.deepEqual((await log.list()).checkpoints, [10, 20, 30]);
    await assertReadersAgree(t, dir, true);
  });

  it('projects the seed Avro events table (nested structs, list, map) with column mapping ids equal to Iceberg field ids', async () => {
    await using wh = await tempWarehouse('delta');
    const prefix = tablePrefix('example_avro_events_topic');
    const dir = deltaDir(wh.dir, prefix);
    const t = await createTable(wh.store, prefix, 'avro', false);
    const projector = new DeltaProjector(wh.store, prefix, { checkpointInterval: 5 });
    for (let i = 0; i < 12; i++) {
      if (i === 6) await addRegionColumn(t);
      if (i === 9) await compact(t, 3);
      else await appendRecords(t, 17 + i);
      await projector.sync(t.table);
    }
    assert.deepEqual((await projector.log.list()).checkpoints, [5, 10]);
    await assertOneCommitPerSnapshot(projector.log, t.table.metadata);
    await assertReadersAgree(t, dir, false);

    const d = await readDelta(dir, {
      sql: ["select count(*) as n from t where profile.country = 'DE' and device.screen.width >= 400 and cardinality(cookies) >= 2"],
    });
    const ice = await readIceberg(t.table.metadataUri());
    const expected = ice.rows.filter((r) => {
      const profile = r.profile as { country: string };
      const device = r.device as { screen: { width: number } };
      return profile.country === 'DE' && device.screen.width >= 400 && (r.cookies as unknown[]).length >= 2;
    }).length;
    assert.deepEqual(d.sql[0], [{ n: expected }]);
    assert.deepEqual(d.partition_columns, []);
    const byName = new Map(d.schema.fields.map((f) => [f.name, f]));
    assert.equal(byName.get('event_id')?.metadata['delta.columnMapping.id'], 1);
    assert.equal(byName.get('event_id')?.nullable, false);
    assert.deepEqual(byName.get('cookies')?.metadata['delta.columnMapping.nested.ids'], { 'cookies.element': 21 });
    assert.deepEqual(byName.get('event_attributes')?.metadata['delta.columnMapping.nested.ids'], { 'event_attributes.key': 23, 'event_attributes.value': 24 });
    const device = byName.get('device')?.type as { fields: { name: string; type: { fields: { name: string; metadata: Record<string, unknown> }[] } }[] };
    const os = device.fields.find((f) => f.name === 'os');
    assert.equal(os?.type.fields.find((f) => f.name === 'vendor')?.metadata['delta.columnMapping.id'], 25);
    // Stats reach into structs: deltalake parses device.screen.width bounds.
    for (const add of d.adds) {
      const screenMin = ((add.min?.device as Record<string, unknown>)?.screen as Record<string, unknown>)?.width;
      assert.equal(typeof screenMin, 'number', `nested min stats for ${add.path}`);
    }
  });

  it('projects the DLQ table (binary key and value)', async () => {
    await using wh = await tempWarehouse('delta');
    const prefix = tablePrefix('example_json_logs_topic+dlq');
    const t = await createTable(wh.store, prefix, 'dlq', false);
    const projector = new DeltaProjector(wh.store, prefix);
    for (let i = 0; i < 3; i++) {
      await appendRecords(t, 9);
      await projector.sync(t.table);
    }
    await assertReadersAgree(t, deltaDir(wh.dir, prefix), false);
  });

  it('upgrades the protocol to reader 3 / writer 7 with timestampNtz when a timestamp column is added', async () => {
    await using wh = await tempWarehouse('delta');
    const prefix = tablePrefix('ntz');
    const dir = deltaDir(wh.dir, prefix);
    const t = await createTable(wh.store, prefix, 'json', true);
    const projector = new DeltaProjector(wh.store, prefix);
    await appendRecords(t, 10);
    await projector.sync(t.table);
    const s = currentSchema(t.table.metadata);
    await t.table.commit(new SetSchema({ ...s, fields: [...s.fields, { id: 6, name: 'local_time', required: false, type: 'timestamp' }] }));
    await appendRecords(t, 10);
    // recordFor does not know local_time: rows hold nulls there; write one file with a value too.
    const extra = [{ ...recordFor(t, 100), local_time: 1_704_067_200_123_456n }];
    await t.table.commit(new AppendFiles(await writeFiles(t, extra)));
    await projector.sync(t.table);
    const all = await commits(projector.log);
    const upgrade = all[1].find((a) => 'protocol' in a);
    assert.ok(upgrade && 'protocol' in upgrade);
    assert.deepEqual(upgrade.protocol, {
      minReaderVersion: 3,
      minWriterVersion: 7,
      readerFeatures: ['columnMapping', 'timestampNtz'],
      writerFeatures: ['columnMapping', 'timestampNtz'],
    });
    assert.ok(!all[2].some((a) => 'protocol' in a));
    const d = await readDelta(dir, { sql: ['select count(*) as n from t where local_time is not null'] });
    assert.deepEqual(d.protocol.reader_features, ['columnMapping', 'timestampNtz']);
    assert.deepEqual(d.sql[0], [{ n: 1 }]);
    const withValue = d.rows.find((r) => r.local_time !== null);
    assert.equal(withValue?.local_time, 1_704_067_200_123_456);
    const ice = await readIceberg(t.table.metadataUri());
    assertSameRows(d.rows, ice.rows, 'deltalake vs pyiceberg', [HOUR_COLUMN]);
    const add = d.adds.find((a) => a.min?._kafka_offset === 100);
    assert.equal(add?.min?.local_time, 1_704_067_200_123_000, 'ntz min stats parsed (rounded down to ms)');
  });
});

describe('DeltaProjector: idempotency, races, crashes, expired snapshots', () => {
  it('syncing twice writes nothing the second time', async () => {
    await using wh = await tempWarehouse('delta');
    const prefix = tablePrefix('idem');
    const t = await createTable(wh.store, prefix, 'json', true);
    const projector = new DeltaProjector(wh.store, prefix, { checkpointInterval: 2 });
    for (let i = 0; i < 3; i++) await appendRecords(t, 5);
    const first = await projector.sync(t.table);
    assert.equal(first.commitsWritten, 3);
    const before = await listKeys(wh.store, `${prefix}/_delta_log/`);
    const again = await projector.sync(t.table);
    assert.deepEqual({ ...again, snapshotId: null }, { commitsWritten: 0, version: 2, checkpointsWritten: 0, racesLost: 0, catchUps: 0, snapshotId: null });
    // A fresh projector (another agent, or after a restart) finds nothing to do either.
    const other = new DeltaProjector(wh.store, prefix, { checkpointInterval: 2 });
    assert.equal((await other.sync(t.table.metadata)).commitsWritten, 0);
    assert.deepEqual(await listKeys(wh.store, `${prefix}/_delta_log/`), before);
  });

  it('two projectors racing for the same versions leave no duplicate and no skipped commit', async () => {
    await using wh = await tempWarehouse('delta');
    const prefix = tablePrefix('race');
    const t = await createTable(wh.store, prefix, 'json', true);

    // Deterministic: A is held at its first commit until B has projected everything.
    for (let i = 0; i < 4; i++) await appendRecords(t, 6);
    const slow = new HookedStore(wh.store);
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let held = false;
    slow.hook = async (key) => {
      if (!held && key.endsWith('.json')) {
        held = true;
        await released;
      }
      return 'proceed';
    };
    const a = new DeltaProjector(slow, prefix, { checkpointInterval: 3 });
    const b = new DeltaProjector(wh.store, prefix, { checkpointInterval: 3 });
    const ra = a.sync(t.table.metadata);
    await new Promise((r) => setTimeout(r, 50));
    const rb = await b.sync(t.table.metadata);
    release();
    const resA = await ra;
    assert.equal(rb.commitsWritten, 4);
    assert.equal(resA.commitsWritten, 0);
    assert.equal(resA.racesLost, 1);
    assert.equal(resA.version, 3);
    await assertOneCommitPerSnapshot(b.log, t.table.metadata);

    // Free-running: several projectors sync concurrently after every few Iceberg commits.
    const projectors = [0, 1, 2].map(() => new DeltaProjector(wh.store, prefix, { checkpointInterval: 3 }));
    let written = 0;
    for (let round = 0; round < 6; round++) {
      for (let i = 0; i <= round % 3; i++) await appendRecords(t, 4);
      const results = await Promise.all(projectors.map((p) => p.sync(t.table.metadata)));
      written += results.reduce((n, r) => n + r.commitsWritten, 0);
      for (const r of results) assert.equal(r.version, lineage(t.table.metadata).length - 1);
    }
    assert.equal(written, lineage(t.table.metadata).length - 4);
    await assertOneCommitPerSnapshot(b.log, t.table.metadata);
    await assertReadersAgree(t, deltaDir(wh.dir, prefix), true);
  });

  it('a commit whose outcome is unknown (connection lost after the write) is re-read, not repeated', async () => {
    await using wh = await tempWarehouse('delta');
    const prefix = tablePrefix('ambiguous');
    const t = await createTable(wh.store, prefix, 'json', false);
    const flaky = new HookedStore(wh.store);
    let failures = 0;
    flaky.hook = async (key) => (key.endsWith('0001.json') && failures++ === 0 ? 'write-then-fail' : 'proceed');
    const projector = new DeltaProjector(flaky, prefix);
    for (let i = 0; i < 3; i++) await appendRecords(t, 5);
    const r = await projector.sync(t.table);
    assert.equal(failures, 1);
    assert.equal(r.version, 2);
    assert.equal(r.commitsWritten, 2, 'the commit that landed unseen is not counted, nor written twice');
    await assertOneCommitPerSnapshot(projector.log, t.table.metadata);
  });

  it('catches up after Iceberg commits made without a Delta sync, crashing many times at every step', async () => {
    await using wh = await tempWarehouse('delta');
    const prefix = tablePrefix('crash');
    const t = await createTable(wh.store, prefix, 'json', true);

    // Iceberg commits without syncing (the agent died after each Iceberg commit): one sync
    // projects them all, one commit each.
    for (let i = 0; i < 5; i++) await appendRecords(t, 7);
    const first = await new DeltaProjector(wh.store, prefix, { checkpointInterval: 4 }).sync(t.table);
    assert.equal(first.commitsWritten, 5);
    assert.equal(first.catchUps, 0);
    await assertOneCommitPerSnapshot(new DeltaLog(wh.store, prefix), t.table.metadata);

    // Crash loop: each "process" dies after a random number of store writes to the Delta log
    // (commits, checkpoints, _last_checkpoint), possibly mid-sync; a new process takes over.
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    let crashes = 0;
    for (let cycle = 0; cycle < 25; cycle++) {
      const n = 1 + random(3);
      for (let i = 0; i < n; i++) {
        if (random(6) === 0 && t.rowsByFile.size >= 4) await compact(t, 2);
        else await appendRecords(t, 3 + random(5));
      }
      const dying = new HookedStore(wh.store);
      let budget = random(4);
      const die = (): void => {
        if (budget-- <= 0) {
          crashes++;
          throw new Error('injected crash: the process died');
        }
      };
      dying.hook = async (key) => {
        if (key.includes('/_delta_log/')) die();
        return 'proceed';
      };
      const innerPut = dying.put.bind(dying);
      dying.put = async (key, body) => {
        if (key.includes('/_delta_log/')) die();
        return innerPut(key, body);
      };
      try {
        await new DeltaProjector(dying, prefix, { checkpointInterval: 4 }).sync(t.table.metadata);
      } catch (err) {
        assert.match((err as Error).message, /injected crash/);
      }
    }
    assert.ok(crashes >= 10, `crashed ${crashes} times`);
    const final = await new DeltaProjector(wh.store, prefix, { checkpointInterval: 4 }).sync(t.table);
    assert.equal(final.version, lineage(t.table.metadata).length - 1);
    await assertOneCommitPerSnapshot(new DeltaLog(wh.store, prefix), t.table.metadata);
    const { checkpoints } = await new DeltaLog(wh.store, prefix).list();
    assert.ok(checkpoints.length >= 3, `checkpoints ${checkpoints}`);
    await assertReadersAgree(t, deltaDir(wh.dir, prefix), true);
  });

  it('projects a catch-up commit when the next snapshot to project was expired from Iceberg metadata', async () => {
    await using wh = await tempWarehouse('delta');
    const prefix = tablePrefix('expired');
    const dir = deltaDir(wh.dir, prefix);
    const t = await createTable(wh.store, prefix, 'json', true);
    const projector = new DeltaProjector(wh.store, prefix, { checkpointInterval: 10 });
    for (let i = 0; i < 4; i++) await appendRecords(t, 8);
    await projector.sync(t.table);
    const projectedFiles = new Set((await projector.state()).files.keys());
    // Unsynced history: appends, a compaction, more appends.
    await appendRecords(t, 8);
    await compact(t, 3);
    await appendRecords(t, 8);
    await appendRecords(t, 8);
    // Maintenance expires every snapshot but the current one (the snapshot expiry of Iceberg).
    const md = t.table.metadata;
    const keep = md['current-snapshot-id'];
    const expired: TableMetadata = {
      ...md,
      snapshots: md.snapshots.filter((s) => s['snapshot-id'] === keep),
      'snapshot-log': md['snapshot-log'].filter((e) => e['snapshot-id'] === keep),
    };
    const r = await projector.sync(expired);
    assert.deepEqual({ commitsWritten: r.commitsWritten, catchUps: r.catchUps, version: r.version }, { commitsWritten: 1, catchUps: 1, version: 4 });
    const last = (await projector.log.readCommit(4)) ?? assert.fail('commit 4 missing');
    const liveNow = new Set((await t.table.liveFiles()).map((f) => f.filePath.slice(t.table.location.length + 1)));
    assert.deepEqual(removes(last).map((r) => r.path).sort(), [...projectedFiles].filter((p) => !liveNow.has(p)).sort(), 'files compacted away meanwhile are removed');
    assert.deepEqual(adds(last).map((a) => a.path).sort(), [...liveNow].filter((p) => !projectedFiles.has(p)).sort(), 'files added meanwhile are added');
    assert.ok(removes(last).length >= 1 && adds(last).length >= 3);
    const info = last.find((a) => 'commitInfo' in a);
    assert.ok(info && 'commitInfo' in info && info.commitInfo.operation === 'FLOE ICEBERG CATCH-UP');
    assert.equal(txnOf(last), md.snapshots.find((s) => s['snapshot-id'] === keep)?.['sequence-number']);
    await assertReadersAgree(t, dir, true);
    // Later snapshots project normally again.
    await appendRecords(t, 3);
    const next = await projector.sync(t.table);
    assert.deepEqual({ commitsWritten: next.commitsWritten, catchUps: next.catchUps }, { commitsWritten: 1, catchUps: 0 });
    await assertReadersAgree(t, dir, true);
  });
});
