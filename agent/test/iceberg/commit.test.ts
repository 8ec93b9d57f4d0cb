// The commit protocol under contention: racing committers, offset preconditions, lost and
// ambiguous conditional writes, bounded retries.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CommitConflict } from '../../src/errors.ts';
import {
  AppendFiles,
  CommitRefused,
  IcebergTable,
  ancestors,
  offsetsContinueFrom,
  readCommittedOffsets,
  type DataFile,
} from '../../src/iceberg/index.ts';
import { HookedStore, listKeys, scan, schemaOf, sortBy, tablePrefix, tempWarehouse, writeParquet, type Column, type TempWarehouse } from './helpers.ts';

const COLUMNS: Column[] = [
  { name: 'id', id: 1, type: 'long', required: true },
  { name: 'name', id: 2, type: 'string' },
];

async function newTable(wh: TempWarehouse): Promise<{ prefix: string; table: IcebergTable }> {
  const prefix = tablePrefix();
  const table = await IcebergTable.create(wh.store, prefix, { schema: schemaOf(COLUMNS), partitioning: 'unpartitioned' });
  return { prefix, table };
}

function fileOf(wh: TempWarehouse, prefix: string, name: string, ids: number[]): Promise<DataFile> {
  return writeParquet(wh, `${prefix}/data/${name}.parquet`, COLUMNS, ids.map((id) => ({ id, name: `${name}-${id}` })));
}

const offsets = (p: number, next: bigint) => ({ topic: 't', partitions: new Map([[p, next]]) });

describe('commit protocol', () => {
  it('10 concurrent committers: every file exactly once, linear lineage, offsets merged', async () => {
    await using wh = await tempWarehouse();
    const { prefix } = await newTable(wh);
    const n = 10;
    const files = await Promise.all(Array.from({ length: n }, (_, i) => fileOf(wh, prefix, `w${i}`, [i, 100 + i])));
    const writers = await Promise.all(Array.from({ length: n }, () => IcebergTable.load(wh.store, prefix)));
    const results = await Promise.all(
      writers.map((t, i) =>
        t.commit(
          new AppendFiles([files[i]], {
            offsets: offsets(i, BigInt(10 * (i + 1))),
            precondition: offsetsContinueFrom(new Map([[i, 0n]])),
          }),
          { maxAttempts: 40, baseDelayMs: 2, maxDelayMs: 40 },
        ),
      ),
    );
    assert.ok(results.reduce((s, r) => s + r.conflicts, 0) > 0, 'the committers never actually raced');
    assert.deepEqual(results.map((r) => r.version).sort((a, b) => a - b), Array.from({ length: n }, (_, i) => i + 2));

    const table = await IcebergTable.load(wh.store, prefix);
    assert.equal(table.version, n + 1);
    const md = table.metadata;
    assert.equal(md.snapshots.length, n);
    const lineage = [...ancestors(md)];
    assert.equal(lineage.length, n, 'every snapshot is on the current lineage');
    assert.deepEqual(lineage.map((s) => s['sequence-number']), Array.from({ length: n }, (_, i) => n - i));
    assert.equal(md['last-sequence-number'], n);
    assert.deepEqual(
      readCommittedOffsets(md, 't'),
      new Map(Array.from({ length: n }, (_, i) => [i, BigInt(10 * (i + 1))] as const)),
    );
    assert.equal(lineage[0].summary['total-data-files'], String(n));
    assert.equal(lineage[0].summary['total-records'], String(2 * n));

    const got = await scan(table.metadataUri());
    assert.deepEqual(got.files, files.map((f) => table.io.resolve(f.filePath)).sort());
    assert.deepEqual(sortBy(got.rows, 'id').map((r) => r.id), [...Array.from({ length: n }, (_, i) => i), ...Array.from({ length: n }, (_, i) => 100 + i)]);

    // Lost attempts cleaned up after themselves: one manifest and one manifest list per snapshot.
    const meta = await listKeys(wh.store, `${prefix}/metadata/`);
    assert.equal(meta.filter((k) => k.endsWith('-m0.avro')).length, n);
    assert.equal(meta.filter((k) => /\/snap-\d+-\d+-[0-9a-f-]+\.avro$/.test(k)).length, n);
  });

  it('refuses an append whose offsets overlap what the table already holds', async () => {
    await using wh = await tempWarehouse();
    const { prefix, table } = await newTable(wh);
    await table.commit(new AppendFiles([await fileOf(wh, prefix, 'a', [1])], { offsets: offsets(0, 100n) }));
    const stale = await fileOf(wh, prefix, 'b', [2]);
    await assert.rejects(
      table.commit(new AppendFiles([stale], { offsets: offsets(0, 50n), precondition: offsetsContinueFrom(new Map([[0, 0n]])) })),
      (err: unknown) => err instanceof CommitRefused && err.code === 'FLOE_COMMIT_FAILED' && !err.retryable && /committed 100, new 50/.test(err.message),
    );
    // Without a precondition, offsets still never move backwards.
    await assert.rejects(table.commit(new AppendFiles([stale], { offsets: offsets(0, 60n) })), CommitRefused);
    assert.equal((await table.current(), table.version), 2);
    // Another partition is fine, and the first one's offset is kept.
    await table.commit(new AppendFiles([stale], { offsets: offsets(1, 7n), precondition: offsetsContinueFrom(new Map([[1, 0n]])) }));
    assert.deepEqual(table.committedOffsets('t'), new Map([[0, 100n], [1, 7n]]));
  });

  it('re-checks the offset precondition after losing a race, and refuses', async () => {
    await using wh = await tempWarehouse();
    const { prefix } = await newTable(wh);
    const hooked = new HookedStore(wh.store);
    const a = await IcebergTable.load(wh.store, prefix);
    const b = await IcebergTable.load(hooked, prefix);
    const fa = await fileOf(wh, prefix, 'a', [1, 2]);
    const fb = await fileOf(wh, prefix, 'b', [1]);

    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let paused!: () => void;
    const bIsPublishing = new Promise<void>((r) => (paused = r));
    hooked.hook = async (key) => {
      if (key.endsWith('/v2.metadata.json')) {
        paused();
        await gate;
      }
      return 'proceed';
    };
    const seen: Map<number, bigint>[] = [];
    const bCommit = b.commit(
      new AppendFiles([fb], {
        offsets: offsets(0, 1n),
        precondition: (committed) => {
          seen.push(committed);
          return offsetsContinueFrom(new Map([[0, 0n]]))(committed);
        },
      }),
      { baseDelayMs: 1 },
    );
    await bIsPublishing; // B staged against v1 and is about to create v2
    await a.commit(new AppendFiles([fa], { offsets: offsets(0, 2n) }));
    release();
    await assert.rejects(bCommit, CommitRefused);
    assert.deepEqual(seen, [new Map(), new Map([[0, 2n]])]);
    // B's losing attempt deleted its manifest and manifest list.
    assert.equal(hooked.deleted.length, 2);
    for (const k of hooked.deleted) assert.equal(await wh.store.head(k), null);

    const got = await scan((await IcebergTable.load(wh.store, prefix)).metadataUri());
    assert.deepEqual(sortBy(got.rows, 'id').map((r) => r.name), ['a-1', 'a-2']);
  });

  it('an ambiguous metadata write that did land is recognised, not applied twice', async () => {
    await using wh = await tempWarehouse();
    const { prefix } = await newTable(wh);
    const hooked = new HookedStore(wh.store);
    let first = true;
    hooked.hook = async (key) => {
      if (key.endsWith('.metadata.json') && first) {
        first = false;
        return 'write-then-fail';
      }
      return 'proceed';
    };
    const table = await IcebergTable.load(hooked, prefix);
    const f = await fileOf(wh, prefix, 'once', [1, 2, 3]);
    const r = await table.commit(new AppendFiles([f], { offsets: offsets(0, 3n) }), { baseDelayMs: 1 });
    assert.equal(r.attempts, 2);
    assert.equal(r.version, 2);
    assert.equal(r.snapshots.length, 1);
    const fresh = await IcebergTable.load(wh.store, prefix);
    assert.equal(fresh.version, 2);
    assert.equal(fresh.metadata.snapshots.length, 1);
    assert.equal((await scan(fresh.metadataUri())).rows.length, 3);
    assert.deepEqual(hooked.deleted, [], 'files of a landed attempt must not be deleted');
  });

  it('retries retryable store errors while staging', async () => {
    await using wh = await tempWarehouse();
    const { prefix } = await newTable(wh);
    const hooked = new HookedStore(wh.store);
    const table = await IcebergTable.load(hooked, prefix);
    hooked.failPuts = 2;
    const r = await table.commit(new AppendFiles([await fileOf(wh, prefix, 'x', [1])]), { baseDelayMs: 1 });
    assert.equal(r.attempts, 3);
    assert.equal((await table.liveFiles()).length, 1);
  });

  it('gives up with CommitConflict after maxAttempts lost races, leaving no files behind', async () => {
    await using wh = await tempWarehouse();
    const { prefix } = await newTable(wh);
    const hooked = new HookedStore(wh.store);
    hooked.hook = async (key) => (key.endsWith('.metadata.json') ? 'lose' : 'proceed');
    const table = await IcebergTable.load(hooked, prefix);
    const f = await fileOf(wh, prefix, 'never', [1]);
    await assert.rejects(table.commit(new AppendFiles([f]), { maxAttempts: 4, baseDelayMs: 1 }), (err: unknown) => {
      assert.ok(err instanceof CommitConflict);
      assert.equal(err.retryable, true);
      assert.match(err.message, /after 4 attempts \(4 lost races\)/);
      return true;
    });
    const meta = await listKeys(wh.store, `${prefix}/metadata/`);
    assert.deepEqual(meta, [`${prefix}/metadata/v1.metadata.json`, `${prefix}/metadata/version-hint.text`]);
  });

  it('an error thrown by a precondition propagates unchanged and is not retried', async () => {
    await using wh = await tempWarehouse();
    const { prefix, table } = await newTable(wh);
    let calls = 0;
    const boom = new Error('rebalanced away');
    await assert.rejects(
      table.commit(
        new AppendFiles([await fileOf(wh, prefix, 'y', [1])], {
          offsets: offsets(0, 1n),
          precondition: () => {
            calls++;
            throw boom;
          },
        }),
      ),
      (err: unknown) => err === boom,
    );
    assert.equal(calls, 1);
    assert.equal((await table.current(), table.version), 1);
  });

  it('an append of no files still records offsets (a batch of dead letters only)', async () => {
    await using wh = await tempWarehouse();
    const { table } = await newTable(wh);
    const r = await table.commit(new AppendFiles([], { offsets: offsets(3, 42n) }));
    assert.equal(r.snapshots.length, 1);
    assert.equal(r.snapshots[0].summary['total-data-files'], '0');
    assert.deepEqual(table.committedOffsets('t'), new Map([[3, 42n]]));
    assert.deepEqual((await scan(table.metadataUri())).rows, []);
    // Nothing at all to do: no new version.
    assert.equal((await table.commit(new AppendFiles([]))).version, 2);
  });
});
