// Tests of the test helpers themselves: the readers against tables pyiceberg and deltalake wrote
// (on the local disk and on MinIO), the multiset comparison and waitFor's error.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  assertSameRows, canonical, diffMultisets, inspectIceberg, readDelta, readIceberg, readIcebergBoth,
  runRigPython, s3Uri, uniquePrefix, uniqueTable, uniqueTopic, waitFor,
} from './index.ts';

const FIXTURES = fileURLToPath(new URL('./fixtures.py', import.meta.url));
const micros = (iso: string): number => Date.parse(iso) * 1000;
const days = (iso: string): number => Date.parse(`${iso}T00:00:00Z`) / 86_400_000;

// What fixtures.py writes, after its rename (name -> title), added column (extra) and delete (id 2),
// written independently here in plain JS values; canonical() brings both sides to one encoding.
const ICEBERG_ROWS = [
  {
    id: 1, title: 'alpha', amount: '12.30', ts: micros('2024-01-02T03:04:05.123Z') + 456, day: days('2024-01-02'),
    flag: true, payload: Buffer.from([0x00, 0x01, 0xff]), u: '12345678-1234-5678-1234-567812345678',
    tags: ['a', 'b'], attrs: new Map([['k2', 2], ['k1', 1]]), point: { x: 1.5, y: -2 }, f: Math.fround(0.1), extra: null,
  },
  {
    id: 9007199254740993n, title: null, amount: null, ts: null, day: null, flag: null, payload: null, u: null,
    tags: null, attrs: null, point: { x: null, y: 3.25 }, f: 2.5, extra: null,
  },
  {
    id: 4, title: 'delta', amount: '99999999.99', ts: micros('2030-06-01T00:00:00Z'), day: days('2030-06-01'),
    flag: true, payload: Buffer.from('hi'), u: '00000000-0000-0000-0000-000000000001', tags: [null, 'z'],
    attrs: new Map([['only', null]]), point: { x: 0, y: 0 }, f: -1, extra: 7,
  },
];

const DELTA_ROWS = [
  { id: 1, name: 'a', ts: 0, amount: '1.10' },
  { id: 1, name: 'a', ts: 0, amount: '1.10' },
  { id: 2, name: null, ts: 1_700_000_000_000_000, amount: null },
  { id: 3, name: 'c', ts: null, amount: '-3.00' },
];

async function fixture(kind: 'iceberg' | 'delta', where: string): Promise<string> {
  const args = kind === 'iceberg' ? ['iceberg', where, `ns.${uniqueTable('fixture')}`] : ['delta', where];
  const { stdout } = await runRigPython(FIXTURES, args);
  return stdout.trim().split('\n').at(-1) ?? '';
}

const localDirs: string[] = [];
after(() => {
  for (const d of localDirs) rmSync(d, { recursive: true, force: true });
});

for (const store of ['file', 's3'] as const) {
  const base = (): string => {
    if (store === 's3') return s3Uri(uniquePrefix('helpers-test'));
    const dir = mkdtempSync(join(tmpdir(), 'floe-helpers-'));
    localDirs.push(dir);
    return dir;
  };

  test(`readers: an Iceberg table pyiceberg wrote (${store}) reads the same with pyiceberg and duckdb`, async () => {
    const metadata = await fixture('iceberg', base());
    const tableRoot = metadata.slice(0, metadata.indexOf('/metadata/'));

    const both = await readIcebergBoth(tableRoot);
    assertSameRows(both.rows, ICEBERG_ROWS, { what: 'pyiceberg' });
    assert.equal(both.metadataLocation, metadata, 'newest metadata file found from the table root');
    assert.equal(both.filesScanned, 2);

    const duck = await readIceberg(metadata, { reader: 'duckdb' });
    assertSameRows(duck.rows, ICEBERG_ROWS, { what: 'duckdb' });

    const filtered = await readIceberg(tableRoot, { reader: 'duckdb', filter: 'id > 3' });
    assertSameRows(filtered.rows, ICEBERG_ROWS.slice(1), { what: 'duckdb with filter' });
    const filteredPy = await readIceberg(tableRoot, { filter: "title = 'alpha'" });
    assertSameRows(filteredPy.rows, ICEBERG_ROWS.slice(0, 1), { what: 'pyiceberg with filter' });

    const info = await inspectIceberg(tableRoot);
    assert.equal(info.formatVersion, 2);
    assert.equal(info.snapshots.length, 3);
    assert.deepEqual(info.snapshots.map((s) => s.operation), ['append', 'append', 'overwrite']);
    assert.equal(info.snapshots[0].summary['added-records'], '3');
    assert.equal(info.dataFiles.reduce((n, f) => n + f.records, 0), 3);

    // Time travel to the first snapshot: the original three rows, with the old column set.
    const first = await readIceberg(tableRoot, { snapshotId: info.snapshots[0].snapshotId });
    assert.equal(first.rows.length, 3);
    assert.ok(first.rows.some((r) => r.id === 2));
  });

  test(`readers: a Delta table deltalake wrote (${store}) reads through QueryBuilder`, async () => {
    const where = store === 'file' ? join(base(), 'delta') : `${base()}delta`;
    const path = await fixture('delta', where);
    const latest = await readDelta(path);
    assertSameRows(latest.rows, DELTA_ROWS);
    assert.equal(latest.version, 1);
    assert.equal(latest.filesScanned, 2);
    const v0 = await readDelta(path, { version: 0, filter: 'id >= 2' });
    assertSameRows(v0.rows, DELTA_ROWS.slice(2));
  });
}

test('multiset: duplicates count, order does not, and the message shows what differs', () => {
  assert.ok(diffMultisets([{ a: 1, b: 2 }, { a: 1, b: 2 }, { b: 3, a: 1 }], [{ a: 1, b: 3 }, { b: 2, a: 1 }, { a: 1, b: 2 }]).equal);
  const diff = diffMultisets([{ a: 1 }, { a: 1 }, { a: 5 }], [{ a: 1 }, { a: 2 }]);
  assert.equal(diff.equal, false);
  assert.deepEqual(diff.missing, [{ a: 2 }]);
  assert.deepEqual(diff.extra, [{ a: 1 }, { a: 5 }]);
  assert.match(diff.message, /got 3, expected 2; 1 missing, 2 extra/);
  assert.match(diff.message, /- \{"a":2\}/);
  assert.throws(() => assertSameRows([{ a: 1 }], [{ a: 2 }]), /1 missing, 1 extra/);
  // Projection, bigint / Buffer / Map canonical forms.
  assert.ok(diffMultisets([{ a: 1, noise: 'x' }], [{ a: 1 }], { columns: ['a'] }).equal);
  assert.deepEqual(canonical({ z: 2n ** 60n, b: Buffer.from('hi'), m: new Map([['b', 1], ['a', 2]]) }), {
    b: 'aGk=', m: [['a', 2], ['b', 1]], z: '1152921504606846976',
  });
});

test('waitFor: returns the value, and on timeout names what it waited for and the last value', async () => {
  let n = 0;
  assert.equal(await waitFor(() => (++n >= 3 ? n : 0), { intervalMs: 1 }), 3);
  await assert.rejects(
    waitFor(() => ({ rows: 41 }), { timeoutMs: 50, intervalMs: 10, what: 'table to hold 42 rows', until: (v) => v.rows === 42 }),
    /waiting for table to hold 42 rows; last value: \{ rows: 41 \}/,
  );
  await assert.rejects(
    waitFor(() => { throw new Error('connection refused'); }, { timeoutMs: 30, intervalMs: 10 }),
    /no value observed; last error: connection refused/,
  );
});

test('names: unique and valid for Kafka topics, SQL identifiers and key prefixes', () => {
  const topics = new Set(Array.from({ length: 100 }, () => uniqueTopic('My Suite!')));
  assert.equal(topics.size, 100);
  for (const t of topics) assert.match(t, /^my-suite-\d+-\d+-[0-9a-f]{6}$/);
  assert.match(uniqueTable('9 lives'), /^t_9_lives_\d+_\d+_[0-9a-f]{6}$/);
  assert.match(uniquePrefix('e2e/Iceberg'), /^e2e\/iceberg\/\d+-\d+-[0-9a-f]{6}\/$/);
});
