import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ParquetFileBuilder, resolveParquetFileOptions, parquetOptionsFromEnv, type ParquetFileResult } from '../../src/parquet/writer.ts';
import { DICTIONARY_RETRY, ENTRY_SET_KEPT, PAGE_ENTRIES, STAT_BYTES } from '../../src/parquet/encode.ts';
import { DICTIONARY_BYTES } from '../../src/parquet/kernels.ts';
import { readRows } from '../../src/maintenance/rows.ts';
import { serializeBound } from '../../src/schema/bounds.ts';
import type { IcebergType, NestedField, Row, Schema, Value } from '../../src/schema/types.ts';
import { ConfigError, FloeError } from '../../src/errors.ts';
import { allTypesSchema, edgeRows, randomRows } from './fixtures.ts';
import { canonRows, hex, readBack, readVarint, rigPython, type ReadBack } from './helpers.ts';

/** Expected Iceberg field id of every field path, as pyarrow names them (`tags.element`, `attrs.key`). */
function arrowPaths(fields: NestedField[], prefix = ''): Record<string, number> {
  const out: Record<string, number> = {};
  const visit = (path: string, id: number, type: IcebergType): void => {
    out[path] = id;
    if (typeof type === 'string') return;
    if (type.type === 'struct') Object.assign(out, arrowPaths(type.fields, `${path}.`));
    else if (type.type === 'list') visit(`${path}.element`, type['element-id'], type.element);
    else {
      visit(`${path}.key`, type['key-id'], type.key);
      visit(`${path}.value`, type['value-id'], type.value);
    }
  };
  for (const f of fields) visit(prefix + f.name, f.id, f.type);
  return out;
}

/** Expected field_id of every Parquet schema element (groups Parquet adds for lists and maps have none). */
function parquetPaths(fields: NestedField[], prefix = ''): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  const visit = (path: string, id: number, type: IcebergType): void => {
    out[path] = id;
    if (typeof type === 'string') return;
    if (type.type === 'struct') Object.assign(out, parquetPaths(type.fields, `${path}.`));
    else if (type.type === 'list') {
      out[`${path}.list`] = null;
      visit(`${path}.list.element`, type['element-id'], type.element);
    } else {
      out[`${path}.key_value`] = null;
      visit(`${path}.key_value.key`, type['key-id'], type.key);
      visit(`${path}.key_value.value`, type['value-id'], type.value);
    }
  };
  for (const f of fields) visit(prefix + f.name, f.id, f.type);
  return out;
}

function write(schema: Schema, rows: Row[], options = {}): ParquetFileResult {
  const builder = new ParquetFileBuilder(schema, options);
  for (const row of rows) builder.append(row);
  assert.equal(builder.recordCount, rows.length);
  return builder.finish();
}

const toNumbers = (m: Map<number, bigint>): Record<string, number> =>
  Object.fromEntries([...m].map(([k, v]) => [String(k), Number(v)]));

describe('ParquetFileBuilder: every type, read back by independent readers', () => {
  const rows = [...edgeRows, ...randomRows(400)];
  let result: ParquetFileResult;
  let seen: ReadBack;

  before(async () => {
    result = write(allTypesSchema, rows);
    seen = await readBack(result.bytes, allTypesSchema);
  });

  it('requires RIG_PYTHON (fails rather than skips without it)', () => {
    assert.ok(rigPython());
  });

  it('pyarrow reads every value exactly', () => {
    assert.equal(result.recordCount, rows.length);
    assert.equal(seen.pyarrow.num_rows, rows.length);
    assert.deepEqual(seen.pyarrow.rows, canonRows(allTypesSchema, rows));
  });

  it('duckdb reads every value exactly', () => {
    assert.equal(seen.duckdb.num_rows, rows.length);
    assert.deepEqual(seen.duckdb.rows, canonRows(allTypesSchema, rows));
  });

  it('pyarrow sees PARQUET:field_id on every field, list elements and map keys/values included', () => {
    assert.deepEqual(seen.pyarrow.field_ids, arrowPaths(allTypesSchema.fields));
  });

  it("duckdb's parquet_schema() shows the field ids, with Iceberg's list/key_value group names", () => {
    assert.deepEqual(seen.duckdb.field_ids, parquetPaths(allTypesSchema.fields));
  });

  it('pyiceberg converts the file schema back into the same Iceberg schema', () => {
    assert.deepEqual(seen.pyiceberg.file_schema.fields, JSON.parse(JSON.stringify(allTypesSchema.fields)));
  });

  it("uses Iceberg's Parquet physical and logical types", () => {
    const c = seen.pyarrow.columns;
    assert.deepEqual(c.dec, { physical: 'INT64', logical: 'Decimal(precision=10, scale=2)' });
    assert.deepEqual(c.dec38, { physical: 'FIXED_LEN_BYTE_ARRAY', logical: 'Decimal(precision=38, scale=10)' });
    assert.deepEqual(c.day, { physical: 'INT32', logical: 'Date' });
    assert.deepEqual(c.t, { physical: 'INT64', logical: 'Time(isAdjustedToUTC=false, timeUnit=microseconds)' });
    assert.match(c.ts.logical, /^Timestamp\(isAdjustedToUTC=false, timeUnit=microseconds/);
    assert.match(c.tstz.logical, /^Timestamp\(isAdjustedToUTC=true, timeUnit=microseconds/);
    assert.equal(c.u.physical, 'FIXED_LEN_BYTE_ARRAY');
    assert.equal(c.fx.physical, 'FIXED_LEN_BYTE_ARRAY');
    assert.deepEqual(c.s, { physical: 'BYTE_ARRAY', logical: 'String' });
    assert.deepEqual(c.bin, { physical: 'BYTE_ARRAY', logical: 'None' });
    assert.equal(seen.pyarrow.arrow_types.u, 'extension<arrow.uuid>');
    for (const rg of seen.pyarrow.row_groups) {
      for (const chunk of rg.columns) {
        assert.equal(chunk.compression, 'ZSTD', chunk.path);
        assert.ok(chunk.null_count !== null, `statistics written for ${chunk.path}`);
      }
    }
  });

  it('value, null and size counts equal what pyiceberg derives from the footer', () => {
    const py = seen.pyiceberg.stats;
    assert.equal(py.record_count, rows.length);
    assert.deepEqual(toNumbers(result.stats.valueCounts), py.value_counts);
    assert.deepEqual(toNumbers(result.stats.nullValueCounts), py.null_value_counts);
    assert.deepEqual(toNumbers(result.stats.columnSizes), py.column_sizes);
    assert.deepEqual(result.stats.splitOffsets?.map(Number), py.split_offsets);
  });

  it('bounds equal the ones pyiceberg derives from the Parquet statistics', () => {
    const py = seen.pyiceberg.stats;
    const lower = Object.fromEntries([...result.stats.lowerBounds].map(([k, v]) => [String(k), hex(v)]));
    const upper = Object.fromEntries([...result.stats.upperBounds].map(([k, v]) => [String(k), hex(v)]));
    for (const [id, bound] of Object.entries(py.lower_bounds)) assert.equal(lower[id], bound, `lower bound of field ${id}`);
    for (const [id, bound] of Object.entries(py.upper_bounds)) {
      if (id === '14') {
        // binary max fe ff*19 truncated to 16 bytes: Java's BinaryUtil.truncateBinaryMax drops the
        // bytes after the incremented one (-> ff); pyiceberg keeps them (-> ff*16). Both are valid.
        assert.equal(upper[id], 'ff');
        assert.ok(bound.startsWith(upper[id]));
        continue;
      }
      assert.equal(upper[id], bound, `upper bound of field ${id}`);
    }
    // pyiceberg keeps no bounds below a struct; Iceberg's Java writer does (not below lists or maps).
    const structMembers = ['17', '18', '20', '21'];
    assert.deepEqual(Object.keys(lower).sort(), [...Object.keys(py.lower_bounds), ...structMembers].sort());
    assert.deepEqual(Object.keys(upper).sort(), [...Object.keys(py.upper_bounds), ...structMembers].sort());
  });

  it('bounds of struct members and NaN counts match a direct computation over the rows', () => {
    const st = rows.map((r) => r.st as Row | null).filter((s): s is Row => s !== null);
    const inner = st.map((s) => s.inner as Row | null).filter((s): s is Row => s !== null);
    const present = <T>(vs: Value[]): T[] => vs.filter((v) => v !== null) as T[];
    const a = present<number>(st.map((s) => s.a));
    const b = present<string>(st.map((s) => s.b)).sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    const x = present<number>(inner.map((s) => s.x)).filter((v) => !Number.isNaN(v));
    const y = present<bigint>(inner.map((s) => s.y)).sort((p, q) => (p < q ? -1 : p > q ? 1 : 0));
    const s = result.stats;
    assert.deepEqual(s.lowerBounds.get(17), serializeBound('int', Math.min(...a)));
    assert.deepEqual(s.upperBounds.get(17), serializeBound('int', Math.max(...a)));
    assert.equal(s.minValues.get(18), b[0]);
    assert.equal(s.maxValues.get(18), b[b.length - 1]);
    assert.deepEqual(s.lowerBounds.get(20), serializeBound('double', Math.min(...x)));
    assert.deepEqual(s.upperBounds.get(20), serializeBound('double', Math.max(...x)));
    assert.equal(s.minValues.get(21), y[0]);
    assert.equal(s.maxValues.get(21), y[y.length - 1]);

    const nans = (vs: Value[]): number => vs.filter((v) => typeof v === 'number' && Number.isNaN(v)).length;
    assert.deepEqual(toNumbers(s.nanValueCounts), {
      '4': nans(rows.map((r) => r.f)),
      '5': nans(rows.map((r) => r.d)),
      '20': nans(inner.map((r) => r.x)),
    });
    assert.equal(s.nanValueCounts.get(4), 1n);
  });

  it('keeps signed zero, infinities and untruncated raw min/max values', () => {
    const s = result.stats;
    assert.ok(Object.is(s.minValues.get(4), Math.min(...rows.map((r) => r.f as number).filter((v) => v !== null && !Number.isNaN(v)))));
    assert.equal(s.maxValues.get(4), Number.POSITIVE_INFINITY);
    assert.equal(s.minValues.get(5), Number.NEGATIVE_INFINITY);
    assert.equal(s.maxValues.get(12), '😀 grinning face, longer than sixteen code points');
    assert.equal(s.minValues.get(13), '00000000-0000-0000-0000-000000000000');
    assert.equal(s.maxValues.get(7), 10n ** 38n - 1n);
    assert.equal(s.minValues.get(3), -(2n ** 63n));
    assert.equal(s.maxValues.get(1), true);
    assert.equal(s.minValues.get(1), false);
    assert.ok(!s.minValues.has(23), 'no bounds inside a list');
    assert.ok(!s.minValues.has(29), 'no bounds inside a map');
  });
});

describe('ParquetFileBuilder: row groups', () => {
  it('reports one split offset per row group, at the start of its first page', async () => {
    const rows = randomRows(350, 7);
    const result = write(allTypesSchema, rows, { rowGroupRows: 100 });
    const seen = await readBack(result.bytes, allTypesSchema);
    assert.equal(seen.pyarrow.row_groups.length, 4);
    assert.deepEqual(
      result.stats.splitOffsets?.map(Number),
      seen.pyarrow.row_groups.map((rg) => rg.columns[0].dictionary_page_offset ?? rg.columns[0].data_page_offset),
    );
    assert.deepEqual(result.stats.splitOffsets?.map(Number), seen.pyiceberg.stats.split_offsets);
    assert.deepEqual(toNumbers(result.stats.columnSizes), seen.pyiceberg.stats.column_sizes);
    assert.deepEqual(toNumbers(result.stats.valueCounts), seen.pyiceberg.stats.value_counts);
    assert.deepEqual(toNumbers(result.stats.nullValueCounts), seen.pyiceberg.stats.null_value_counts);
    assert.deepEqual(seen.duckdb.rows, canonRows(allTypesSchema, rows));
  });
});

describe('ParquetFileBuilder: size and lifecycle', () => {
  const stringsSchema: Schema = {
    type: 'struct',
    'schema-id': 0,
    fields: [
      { id: 1, name: 'environment', required: true, type: 'string' },
      { id: 2, name: 'service', required: true, type: 'string' },
      { id: 3, name: 'status', required: false, type: 'string' },
      { id: 4, name: 'message', required: false, type: 'string' },
    ],
  };

  it('writes 200k rows; the memory estimate tracks the raw data', async () => {
    const n = 200_000;
    const builder = new ParquetFileBuilder(stringsSchema);
    let rawBytes = 0;
    const envs = ['prod', 'staging', 'dev'];
    for (let i = 0; i < n; i++) {
      const row: Row = {
        environment: envs[i % 3],
        service: `service-${i % 17}`,
        status: i % 10 === 0 ? null : i % 7 === 0 ? 'error' : 'ok',
        message: `request ${i} handled in ${i % 1000} ms`,
      };
      for (const v of Object.values(row)) if (typeof v === 'string') rawBytes += Buffer.byteLength(v);
      builder.append(row);
    }
    assert.equal(builder.recordCount, n);
    const estimate = builder.estimatedBytes;
    // UTF-8 payload plus 4-byte offsets per value and validity bits: between 1x and 3x the payload.
    assert.ok(estimate >= rawBytes, `estimate ${estimate} >= raw ${rawBytes}`);
    assert.ok(estimate <= rawBytes + n * 4 * 4 + n, `estimate ${estimate} within payload + offsets + validity`);
    const result = builder.finish();
    assert.equal(result.recordCount, n);
    assert.ok(result.bytes.length < rawBytes / 4, `zstd + dictionary compress (${result.bytes.length} of ${rawBytes})`);
    const seen = await readBack(result.bytes, stringsSchema, { summary: true });
    assert.equal(seen.duckdb.num_rows, n);
    assert.equal(seen.pyarrow.num_rows, n);
    assert.deepEqual(toNumbers(result.stats.nullValueCounts), { '1': 0, '2': 0, '3': n / 10, '4': 0 });
    assert.deepEqual(toNumbers(result.stats.nullValueCounts), seen.pyiceberg.stats.null_value_counts);
  });

  it('estimatedBytes grows with every append', () => {
    const builder = new ParquetFileBuilder(allTypesSchema);
    let last = builder.estimatedBytes;
    assert.ok(last < 100, `an empty builder holds only offsets' first entries (${last})`);
    for (const row of edgeRows) {
      builder.append(row);
      assert.ok(builder.estimatedBytes > last);
      last = builder.estimatedBytes;
    }
  });

  it('writes an empty file that readers accept', async () => {
    const result = new ParquetFileBuilder(allTypesSchema).finish();
    assert.equal(result.recordCount, 0);
    const seen = await readBack(result.bytes, allTypesSchema);
    assert.equal(seen.pyarrow.num_rows, 0);
    assert.equal(seen.duckdb.num_rows, 0);
    assert.equal(result.stats.lowerBounds.size, 0);
    assert.equal(result.stats.valueCounts.get(2), 0n);
  });

  it('fails if a required field is null, and stays poisoned', () => {
    const builder = new ParquetFileBuilder(stringsSchema);
    builder.append({ environment: 'a', service: 'b', status: null, message: null });
    assert.throws(
      () => builder.append({ environment: 'a', service: null, status: null, message: null }),
      (err: unknown) => err instanceof FloeError && err.code === 'FLOE_SCHEMA_INVALID' && /field 2 is required/.test(err.message),
    );
    assert.throws(() => builder.append({ environment: 'a', service: 'b', status: null, message: null }), /poisoned/);
    assert.throws(() => builder.finish(), /poisoned/);
  });

  it('reset() makes a reused builder write exactly what a fresh one writes', async () => {
    // The reused buffers hold the last file's values (longer strings, set bits, non-null slots
    // where the next file has nulls): none of it may reach the next file.
    const builder = new ParquetFileBuilder(allTypesSchema);
    for (const row of randomRows(3000, 7)) builder.append(row);
    builder.finish();
    builder.reset();
    for (const row of randomRows(500, 8)) builder.append(row);
    assert.throws(() => builder.append({ ...edgeRows[0], i: null }), /field 2 is required/); // poisoned mid-row
    builder.reset();
    for (const row of edgeRows) builder.append(row);
    const reused = builder.finish();
    const fresh = write(allTypesSchema, edgeRows);
    assert.equal(reused.recordCount, edgeRows.length);
    assert.deepEqual(hex(reused.bytes), hex(fresh.bytes));
    assert.deepEqual(reused.stats, fresh.stats);
    const seen = await readBack(reused.bytes, allTypesSchema);
    assert.deepEqual(seen.pyarrow.rows, canonRows(allTypesSchema, edgeRows));
  });

  it('fails if used after finish', () => {
    const builder = new ParquetFileBuilder(stringsSchema);
    builder.finish();
    assert.throws(() => builder.append({ environment: 'a', service: 'b', status: null, message: null }), /already finished/);
    assert.throws(() => builder.finish(), /already finished/);
  });

  it('fails if a fixed value has the wrong width', () => {
    const schema: Schema = { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'f', required: true, type: 'fixed[4]' }] };
    assert.throws(() => new ParquetFileBuilder(schema).append({ f: new Uint8Array(3) }), /fixed\[4\] but the row holds 3 bytes/);
  });

  it('validates options, naming the path and the value', () => {
    assert.deepEqual(resolveParquetFileOptions({}), { compression: 'zstd', rowGroupRows: 1_048_576, pageEntries: PAGE_ENTRIES, boundTruncateLength: 16 });
    assert.equal(PAGE_ENTRIES, 131_072);
    assert.throws(
      () => resolveParquetFileOptions({ rowGroupRows: 0, compression: 'lz4' as never }),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.issues.some((i) => i.path === 'parquet.rowGroupRows' && i.message.includes('got 0')) &&
        err.issues.some((i) => i.path === 'parquet.compression' && i.message.includes('"lz4"')),
    );
    assert.deepEqual(parquetOptionsFromEnv({ FLOE_PARQUET_COMPRESSION: 'snappy', FLOE_PARQUET_ROW_GROUP_ROWS: '5000', FLOE_PARQUET_PAGE_ENTRIES: '20000' }), {
      compression: 'snappy',
      rowGroupRows: 5000,
      pageEntries: 20000,
    });
  });

  it('honours the bound truncation length', () => {
    const schema: Schema = { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 's', required: true, type: 'string' }] };
    const result = write(schema, [{ s: 'abcdefgh' }, { s: 'abcdefgz' }], { boundTruncateLength: 4 });
    assert.equal(Buffer.from(result.stats.lowerBounds.get(1) as Uint8Array).toString(), 'abcd');
    assert.equal(Buffer.from(result.stats.upperBounds.get(1) as Uint8Array).toString(), 'abce');
    assert.equal(result.stats.maxValues.get(1), 'abcdefgz');
  });
});

describe('ParquetFileBuilder: codecs, pages and dictionaries, read back by pyarrow, duckdb and arrow-rs', () => {
  /** What parquet-wasm (arrow-rs, the reader compaction uses) reads, in the canonical form. */
  const arrowRs = (schema: Schema, bytes: Uint8Array): Record<string, unknown>[] => canonRows(schema, readRows(bytes, schema));

  /** Writes `rows` and checks that pyarrow, duckdb and arrow-rs each read exactly them back. */
  const roundTrip = async (schema: Schema, rows: Row[], options = {}): Promise<{ result: ParquetFileResult; seen: ReadBack }> => {
    const result = write(schema, rows, options);
    const seen = await readBack(result.bytes, schema);
    const expected = canonRows(schema, rows);
    assert.deepEqual(seen.pyarrow.rows, expected);
    assert.deepEqual(seen.duckdb.rows, expected);
    assert.deepEqual(arrowRs(schema, result.bytes), expected);
    return { result, seen };
  };

  /** A deterministic generator of 32-bit values (xorshift32), so a failure reproduces. */
  const xorshift = (seed: number): (() => number) => {
    let x = seed;
    return () => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return x >>> 0;
    };
  };

  for (const compression of ['snappy', 'uncompressed'] as const) {
    it(`writes ${compression} pages that every reader decodes`, async () => {
      const rows = [...edgeRows, ...randomRows(300, 11)];
      const { result, seen } = await roundTrip(allTypesSchema, rows, { compression });
      for (const chunk of seen.pyarrow.row_groups[0].columns) assert.equal(chunk.compression, compression.toUpperCase(), chunk.path);
      assert.deepEqual(toNumbers(result.stats.columnSizes), seen.pyiceberg.stats.column_sizes);
    });
  }

  it('nested lists and maps over many pages read back exactly', async () => {
    // Pages of 2,000 entries at most (the default's ~131,000 would need as many rows): ten and more
    // per column, their ends inside lists and maps.
    const rows = randomRows(21_234, 5);
    const { result, seen } = await roundTrip(allTypesSchema, rows, { pageEntries: 2000 });
    assert.deepEqual(toNumbers(result.stats.valueCounts), seen.pyiceberg.stats.value_counts);
    assert.deepEqual(toNumbers(result.stats.nullValueCounts), seen.pyiceberg.stats.null_value_counts);
  });

  it('a list column of more entries than the encoder keeps room for reads back exactly, and so does the file after it', async () => {
    // Lists of 0 to 31 ints (some null, some elements null), ~1.1 million entries: past
    // ENTRY_SET_KEPT, the levels are built in arrays of the chunk's own; the next, smaller file
    // goes back to the kept ones.
    const schema: Schema = {
      type: 'struct',
      'schema-id': 0,
      fields: [
        { id: 1, name: 'id', required: true, type: 'int' },
        { id: 2, name: 'xs', required: false, type: { type: 'list', 'element-id': 3, element: 'int', 'element-required': false } },
      ],
    };
    const next = xorshift(7);
    const rowsOf = (n: number): Row[] =>
      Array.from({ length: n }, (_, i) => {
        const len = next() % 32;
        return { id: i, xs: i % 97 === 0 ? null : Array.from({ length: len }, (_, k) => (k % 13 === 5 ? null : next() % 1000)) };
      });
    const big = rowsOf(Math.ceil(ENTRY_SET_KEPT / 15));
    assert.ok(big.reduce((a, r) => a + Math.max(1, (r.xs as unknown[] | null)?.length ?? 1), 0) > ENTRY_SET_KEPT);
    await roundTrip(schema, big);
    await roundTrip(schema, rowsOf(5000));
  });

  /**
   * The values of each data page of a column chunk, read from the page headers from the chunk's
   * first page on (a Thrift compact protocol reader for PageHeader, from parquet-format's
   * parquet.thrift: field 3 the compressed size, 5 the data page header, whose field 1 is num_values).
   */
  const pageValues = (bytes: Uint8Array, chunk: { data_page_offset: number; dictionary_page_offset: number | null; num_values: number }): number[] => {
    const at = { p: chunk.dictionary_page_offset ?? chunk.data_page_offset };
    const zigzag = (): number => {
      const v = readVarint(bytes, at);
      return v % 2 === 0 ? v / 2 : -(v + 1) / 2;
    };
    // A struct's i32 fields and nested structs by field id (PageHeader has no other kinds this reads past).
    const struct = (): Map<number, number | Map<number, unknown>> => {
      const fields = new Map<number, number | Map<number, unknown>>();
      let id = 0;
      for (;;) {
        const head = bytes[at.p++];
        if (head === 0) return fields;
        id = head >> 4 === 0 ? zigzag() : id + (head >> 4);
        const type = head & 0x0f;
        if (type === 5 || type === 6) fields.set(id, zigzag());
        else if (type === 12) fields.set(id, struct());
        else if (type === 1 || type === 2) fields.set(id, type === 1 ? 1 : 0);
        else throw new Error(`page header field ${id} of compact type ${type}: not read here`);
      }
    };
    const values: number[] = [];
    let seen = 0;
    while (seen < chunk.num_values) {
      const header = struct();
      at.p += header.get(3) as number;
      const data = header.get(5) as Map<number, unknown> | undefined;
      if (data === undefined) continue; // the dictionary page
      values.push(data.get(1) as number);
      seen += data.get(1) as number;
    }
    return values;
  };

  it('ends PLAIN pages of fixed-width values at the page entries, or at PAGE_BYTES of values', async () => {
    const schema: Schema = {
      type: 'struct',
      'schema-id': 0,
      fields: [
        { id: 1, name: 'seq', required: true, type: 'long' },
        { id: 2, name: 'count', required: true, type: 'int' },
        { id: 3, name: 'maybe', required: false, type: 'long' },
      ],
    };
    // Distinct values, past what a dictionary holds: PLAIN. `maybe` is null in every seventh row.
    const n = 300_001;
    const rows: Row[] = Array.from({ length: n }, (_, i) => ({ seq: BigInt(1e12 + i), count: i * 3, maybe: i % 7 === 3 ? null : BigInt(5e11 + i) }));
    const pages = (entries: number, tail: number, each: number): number[] => [...new Array(Math.floor(entries / each)).fill(each), ...(tail > 0 ? [tail] : [])];
    for (const [pageEntries, seqPage, countPage] of [[1000, 1000, 1000], [PAGE_ENTRIES, 131_072, 131_072], [500_000, 131_072, 262_144]] as const) {
      const result = write(schema, rows, { pageEntries });
      const seen = await readBack(result.bytes, schema, { summary: true });
      const chunk = (path: string) => seen.pyarrow.row_groups[0].columns.find((c) => c.path === path)!;
      for (const path of ['seq', 'count', 'maybe']) {
        assert.ok(chunk(path).encodings.includes('PLAIN'), path);
        assert.equal(chunk(path).dictionary_page_offset, null, path);
      }
      assert.deepEqual(pageValues(result.bytes, chunk('seq')), pages(n, n % seqPage, seqPage), `seq, ${pageEntries} entries a page`);
      assert.deepEqual(pageValues(result.bytes, chunk('count')), pages(n, n % countPage, countPage), `count, ${pageEntries} entries a page`);
      // With nulls, a page's entries count the nulls too; its bytes only the values.
      const maybe = pageValues(result.bytes, chunk('maybe'));
      assert.equal(maybe.reduce((a, b) => a + b, 0), n);
      assert.ok(maybe.slice(0, -1).every((v) => v === maybe[0]), `maybe's pages: ${maybe.join(', ')}`);
      // The rows up to and with the 131,072nd value (1 MiB of 8-byte values).
      let full = 0;
      for (let values = 0; values < (1 << 20) / 8; full++) if (full % 7 !== 3) values++;
      assert.equal(maybe[0], Math.min(pageEntries, full), `maybe, ${pageEntries} entries a page`);
    }
  });

  it('dictionary indices of bit widths from 1 to 17 read back exactly, in runs and bit-packed', async () => {
    // Widths below, at and above the 8- and 16-bit boundaries, and odd ones whose groups straddle words.
    const widths = [1, 2, 3, 5, 7, 8, 9, 11, 13, 16, 17];
    const schema: Schema = { type: 'struct', 'schema-id': 0, fields: widths.map((w) => ({ id: w, name: `w${w}`, required: true, type: 'int' })) };
    // Column wN holds up to 2^N distinct values (indices of N bits; w17's are every row's but the
    // runs'); every 50 rows start with a run of 10.
    const n = 1 << 17;
    const next = xorshift(99);
    const rows: Row[] = Array.from({ length: n }, (_, i) => {
      const x = next();
      const row: Row = {};
      for (const w of widths) row[`w${w}`] = i % 50 < 10 ? 0 : i < 1 << w ? i : x % (1 << w);
      return row;
    });
    const { seen } = await roundTrip(schema, rows);
    for (const c of seen.pyarrow.row_groups[0].columns) assert.ok(c.encodings.includes('RLE_DICTIONARY'), c.path);
  });

  it('stores zstd pages that would not shrink in raw zstd frames, which every reader decodes', async () => {
    const schema: Schema = {
      type: 'struct',
      'schema-id': 0,
      fields: [
        { id: 1, name: 'noise', required: true, type: 'binary' },
        { id: 2, name: 'tiny', required: true, type: 'int' },
      ],
    };
    // 60,000 random 32-byte values: no dictionary (too large), PLAIN pages of ~700 KB (several zstd
    // blocks each) that zstd cannot shrink. The first is compressed, the next ones are stored.
    // `tiny` is one value, RLE: pages of a few bytes, stored too.
    const next = xorshift(12345);
    const rows: Row[] = Array.from({ length: 60_000 }, () => ({ noise: Uint8Array.from({ length: 32 }, () => next() & 0xff), tiny: 7 }));
    const { seen } = await roundTrip(schema, rows);
    const noise = seen.pyarrow.row_groups[0].columns.find((c) => c.path === 'noise')!;
    assert.equal(noise.compression, 'ZSTD');
    assert.equal(noise.dictionary_page_offset, null);
    // zstd shrinks each of the three pages by ~56 KB (the 4-byte lengths): compressing them all would
    // save ~170 KB, storing all but the first saves one page's worth.
    const raw = 60_000 * 36;
    assert.ok(noise.total_compressed_size > raw - 100_000 && noise.total_compressed_size < raw, `${noise.total_compressed_size} of ${raw}`);
  });

  it('dictionary-encodes repetitive columns and falls back to PLAIN for those whose dictionary would be too large', async () => {
    const schema: Schema = {
      type: 'struct',
      'schema-id': 0,
      fields: [
        { id: 1, name: 'low', required: true, type: 'string' },
        { id: 2, name: 'distinct', required: false, type: 'string' },
        { id: 3, name: 'ratio', required: true, type: 'double' },
        { id: 4, name: 'code', required: true, type: 'int' },
        { id: 5, name: 'seq', required: true, type: 'long' },
        { id: 6, name: 'bucket', required: false, type: 'long' },
        { id: 7, name: 'level', required: false, type: 'float' },
      ],
    };
    // `distinct` and `seq` have more distinct values than a dictionary of DICTIONARY_BYTES holds.
    const n = 140_000;
    const rows: Row[] = [];
    for (let i = 0; i < n; i++) {
      rows.push({
        low: ['alpha', 'beta', 'gamma', 'δέλτα'][i % 4],
        distinct: i % 97 === 0 ? null : `row ${(i * 7919) % n} ${'x'.repeat(i % 23)}`,
        ratio: [1.5, -0, 0, Number.NaN, -2.25][i % 5],
        code: [200, 404, 500][i % 3],
        seq: BigInt(i) * 1_000_003n - 2n ** 40n,
        bucket: i % 5 === 0 ? null : BigInt(i % 7) - 3n,
        level: i % 11 === 0 ? null : Math.fround((i % 9) / 4 - 1),
      });
    }
    assert.ok(n * 8 > DICTIONARY_BYTES && n * 20 > DICTIONARY_BYTES);
    const { result, seen } = await roundTrip(schema, rows);
    const chunks = Object.fromEntries(seen.pyarrow.row_groups[0].columns.map((c) => [c.path, c]));
    for (const dictionary of ['low', 'ratio', 'code', 'bucket', 'level']) {
      assert.notEqual(chunks[dictionary].dictionary_page_offset, null, `${dictionary} has a dictionary page`);
      assert.ok(chunks[dictionary].encodings.includes('RLE_DICTIONARY'), dictionary);
    }
    for (const plain of ['distinct', 'seq']) {
      assert.equal(chunks[plain].dictionary_page_offset, null, `${plain} has no dictionary page`);
      assert.ok(!chunks[plain].encodings.includes('RLE_DICTIONARY'), plain);
    }
    // Bounds come from the dictionary for dictionary columns and from every value otherwise; NaN
    // is never a bound, and -0 sorts below +0.
    const sorted = (vs: string[]): string[] => vs.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const distinct = sorted(rows.map((r) => r.distinct).filter((v): v is string => v !== null));
    const s = result.stats;
    assert.equal(s.minValues.get(1), 'alpha');
    assert.equal(s.maxValues.get(1), 'δέλτα');
    assert.equal(s.minValues.get(2), distinct[0]);
    assert.equal(s.maxValues.get(2), distinct[distinct.length - 1]);
    assert.equal(s.minValues.get(3), -2.25);
    assert.equal(s.maxValues.get(3), 1.5);
    assert.equal(s.nanValueCounts.get(3), BigInt(n / 5));
    assert.equal(s.minValues.get(5), -(2n ** 40n));
    assert.equal(s.maxValues.get(5), BigInt(n - 1) * 1_000_003n - 2n ** 40n);
    assert.equal(s.minValues.get(6), -3n);
    assert.equal(s.maxValues.get(6), 3n);
    assert.equal(s.nullValueCounts.get(6), BigInt(n / 5));
    assert.equal(s.minValues.get(7), -1);
    assert.equal(s.maxValues.get(7), 1);
    assert.deepEqual(toNumbers(s.valueCounts), seen.pyiceberg.stats.value_counts);
    assert.deepEqual(toNumbers(s.nullValueCounts), seen.pyiceberg.stats.null_value_counts);
  });

  it('writes a column PLAIN for DICTIONARY_RETRY files after its dictionary was given up, then tries again', async () => {
    const schema: Schema = {
      type: 'struct',
      'schema-id': 0,
      fields: [
        { id: 1, name: 'low', required: true, type: 'string' },
        { id: 2, name: 'seq', required: true, type: 'long' },
      ],
    };
    // The builder is reused from file to file, as the ingest batches reuse theirs.
    const builder = new ParquetFileBuilder(schema);
    const file = (n: number, seq: (i: number) => bigint): { rows: Row[]; result: ParquetFileResult } => {
      builder.reset();
      const rows: Row[] = Array.from({ length: n }, (_, i) => ({ low: ['a', 'b', 'c'][i % 3], seq: seq(i) }));
      for (const row of rows) builder.append(row);
      return { rows, result: builder.finish() };
    };
    const dictionaryOf = async ({ rows, result }: { rows: Row[]; result: ParquetFileResult }): Promise<Record<string, boolean>> => {
      const seen = await readBack(result.bytes, schema);
      assert.deepEqual(seen.pyarrow.rows, canonRows(schema, rows));
      assert.deepEqual(seen.duckdb.rows, canonRows(schema, rows));
      return Object.fromEntries(seen.pyarrow.row_groups[0].columns.map((c) => [c.path, c.dictionary_page_offset !== null && c.encodings.includes('RLE_DICTIONARY')]));
    };
    // More distinct 8-byte values than a dictionary of DICTIONARY_BYTES holds: given up.
    const n = DICTIONARY_BYTES / 8 + 1000;
    assert.deepEqual(await dictionaryOf(file(n, (i) => BigInt(i) * 7919n)), { low: true, seq: false });
    // Then DICTIONARY_RETRY files whose `seq` would fit one are PLAIN all the same; `low` keeps its dictionary.
    for (let k = 0; k < DICTIONARY_RETRY; k++) {
      const next = file(1000, (i) => BigInt(i % 4));
      if (k === 0 || k === DICTIONARY_RETRY - 1) assert.deepEqual(await dictionaryOf(next), { low: true, seq: false }, `file ${k + 2}`);
    }
    // The next one tries, and keeps, a dictionary.
    assert.deepEqual(await dictionaryOf(file(1000, (i) => BigInt(i % 4))), { low: true, seq: true });
  });

  it('leaves Parquet min/max out for byte arrays longer than STAT_BYTES, but keeps the Iceberg bounds', async () => {
    const schema: Schema = {
      type: 'struct',
      'schema-id': 0,
      fields: [
        { id: 1, name: 'long', required: true, type: 'string' },
        { id: 2, name: 'short', required: true, type: 'string' },
      ],
    };
    const rows: Row[] = ['b', 'a', 'c'].map((c) => ({ long: c.repeat(STAT_BYTES + 1), short: c.repeat(STAT_BYTES) }));
    const result = write(schema, rows);
    const seen = await readBack(result.bytes, schema);
    assert.deepEqual(seen.pyarrow.rows, canonRows(schema, rows));
    const chunks = Object.fromEntries(seen.pyarrow.row_groups[0].columns.map((c) => [c.path, c]));
    assert.equal(chunks.long.has_min_max, false);
    assert.equal(chunks.short.has_min_max, true);
    assert.equal(result.stats.minValues.get(1), 'a'.repeat(STAT_BYTES + 1));
    assert.equal(result.stats.maxValues.get(1), 'c'.repeat(STAT_BYTES + 1));
    assert.deepEqual(result.stats.lowerBounds.get(1), new Uint8Array(Buffer.from('a'.repeat(16))));
    assert.equal(seen.pyiceberg.stats.lower_bounds['2'], Buffer.from('a'.repeat(16)).toString('hex'));
  });

  it('keeps the sign of a zero bound; Parquet statistics write a zero minimum as -0 and a zero maximum as +0', async () => {
    const schema: Schema = { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'z', required: true, type: 'double' }] };
    const zeros = write(schema, [{ z: 0 }, { z: -0 }, { z: 0 }]).stats;
    assert.ok(Object.is(zeros.minValues.get(1), -0) && Object.is(zeros.maxValues.get(1), 0));
    const positive = write(schema, [{ z: 0 }, { z: 0 }]);
    assert.ok(Object.is(positive.stats.minValues.get(1), 0) && Object.is(positive.stats.maxValues.get(1), 0));
    // pyiceberg takes its bounds from the Parquet statistics.
    const seen = await readBack(positive.bytes, schema);
    assert.equal(seen.pyiceberg.stats.lower_bounds['1'], hex(serializeBound('double', -0)));
    assert.equal(seen.pyiceberg.stats.upper_bounds['1'], hex(serializeBound('double', 0)));
  });
});
