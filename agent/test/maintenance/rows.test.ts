// Reading data files back into rows: exact values for every type, columns matched by field id,
// older schemas projected onto the current one.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readRows } from '../../src/maintenance/rows.ts';
import { ParquetFileBuilder } from '../../src/parquet/writer.ts';
import type { Row, Schema } from '../../src/schema/types.ts';

const ALL: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 's', required: false, type: 'string' },
    { id: 3, name: 'ts', required: true, type: 'timestamptz' },
    { id: 16, name: 'ts_local', required: false, type: 'timestamp' },
    { id: 4, name: 'd', required: false, type: 'decimal(38, 9)' },
    { id: 5, name: 'st', required: false, type: { type: 'struct', fields: [{ id: 6, name: 'a', required: false, type: 'int' }, { id: 17, name: 'f', required: true, type: 'float' }] } },
    { id: 7, name: 'l', required: false, type: { type: 'list', 'element-id': 8, element: 'string', 'element-required': false } },
    { id: 9, name: 'm', required: false, type: { type: 'map', 'key-id': 10, key: 'string', 'value-id': 11, value: 'long', 'value-required': false } },
    { id: 12, name: 'u', required: false, type: 'uuid' },
    { id: 13, name: 'dt', required: false, type: 'date' },
    { id: 14, name: 't', required: false, type: 'time' },
    { id: 15, name: 'b', required: false, type: 'boolean' },
    { id: 18, name: 'bin', required: false, type: 'binary' },
    { id: 19, name: 'fx', required: false, type: 'fixed[3]' },
    { id: 20, name: 'dbl', required: false, type: 'double' },
  ],
};

function write(schema: Schema, rows: Row[]): Uint8Array {
  const b = new ParquetFileBuilder(schema);
  for (const r of rows) b.append(r);
  return b.finish().bytes;
}

describe('reading data files into rows', () => {
  it('round-trips every type exactly (64-bit, decimals, nested, nulls)', () => {
    const rows: Row[] = [
      {
        id: 9_223_372_036_854_775_807n,
        s: 'ünïcode ✓',
        ts: 1_700_000_000_123_456n,
        ts_local: -1n,
        d: -99_999_999_999_999_999_999_999_999_999_999_999_999n,
        st: { a: -5, f: 1.5 },
        l: ['a', null, ''],
        m: new Map<string, bigint | null>([['k', 1n], ['z', null]]) as Row['m'],
        u: '123e4567-e89b-12d3-a456-426614174000',
        dt: -719_162,
        t: 86_399_999_999n,
        b: true,
        bin: new Uint8Array([0, 255, 7]),
        fx: new Uint8Array([1, 2, 3]),
        dbl: Number.NaN,
      },
      { id: -1n, s: null, ts: 0n, ts_local: null, d: null, st: null, l: null, m: null, u: null, dt: null, t: null, b: null, bin: null, fx: null, dbl: null },
      { id: 0n, s: '', ts: -86_400_000_000n, ts_local: 5n, d: 1n, st: { a: null, f: -0 }, l: [], m: new Map(), u: 'ffffffff-ffff-ffff-ffff-ffffffffffff', dt: 0, t: 0n, b: false, bin: new Uint8Array(), fx: new Uint8Array([0, 0, 0]), dbl: -0 },
    ];
    assert.deepEqual(readRows(write(ALL, rows), ALL), rows);
  });

  it('reads thousands of rows across all of them', () => {
    const schema: Schema = { type: 'struct', 'schema-id': 0, fields: [ALL.fields[0], ALL.fields[1]] };
    const rows: Row[] = Array.from({ length: 5000 }, (_, i) => ({ id: BigInt(i), s: i % 7 === 0 ? null : `row ${i}` }));
    assert.deepEqual(readRows(write(schema, rows), schema), rows);
  });

  it('projects a file of an older schema by field id: renamed, reordered, widened, added columns', () => {
    const old: Schema = {
      type: 'struct',
      'schema-id': 0,
      fields: [
        { id: 1, name: 'n', required: true, type: 'int' },
        { id: 2, name: 'x', required: true, type: 'float' },
        { id: 3, name: 'gone', required: false, type: 'string' },
      ],
    };
    const current: Schema = {
      type: 'struct',
      'schema-id': 1,
      fields: [
        { id: 2, name: 'x2', required: false, type: 'double' },
        { id: 1, name: 'n', required: true, type: 'long' },
        { id: 4, name: 'added', required: false, type: 'string' },
      ],
    };
    const bytes = write(old, [{ n: 7, x: 0.5, gone: 'a' }, { n: -2, x: 2, gone: null }]);
    assert.deepEqual(readRows(bytes, current), [
      { x2: 0.5, n: 7n, added: null },
      { x2: 2, n: -2n, added: null },
    ]);
  });

  it('refuses a required column the file lacks, and an incompatible type, naming the file', () => {
    const bytes = write({ type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'n', required: true, type: 'string' }] }, [{ n: 'x' }]);
    assert.throws(() => readRows(bytes, { type: 'struct', 'schema-id': 1, fields: [{ id: 5, name: 'm', required: true, type: 'int' }] }, 'f.parquet'), /f\.parquet: required field 5 \(m\) is missing/);
    assert.throws(() => readRows(bytes, { type: 'struct', 'schema-id': 1, fields: [{ id: 1, name: 'n', required: true, type: 'long' }] }, 'f.parquet'), /f\.parquet: n: cannot read Arrow Utf8 as Iceberg long/);
  });
});
