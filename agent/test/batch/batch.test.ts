// TableBatch: rows split into one file per partition value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TableBatch } from '../../src/batch/batch.ts';
import type { Schema } from '../../src/schema/types.ts';

const schema: Schema = { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'id', required: true, type: 'long' }] };

/** Each file's partition value, row count and smallest and largest id. */
function files(batch: TableBatch): [number | null, number, bigint, bigint][] {
  return [...batch.files.values()].map(({ partitionValue, builder }) => {
    const r = builder.finish();
    return [partitionValue, r.recordCount, r.stats.minValues.get(1) as bigint, r.stats.maxValues.get(1) as bigint];
  });
}

test('rows whose partition values alternate each go to their own file (builder() caches the last one)', () => {
  const batch = new TableBatch(schema);
  const values: (number | null)[] = [7, 7, 8, 7, null, 8, null, 7];
  values.forEach((v, i) => batch.add({ id: BigInt(i + 1) }, v, 10));
  // Directly appended rows, as the decoders' fast path does, in the same alternation.
  for (const [id, v] of [[9n, 8], [10n, 8], [11n, null], [12n, 7]] as const) {
    batch.builder(v).append({ id });
    batch.added(10);
  }
  assert.equal(batch.records, 12);
  assert.deepEqual(files(batch), [
    [7, 5, 1n, 12n],
    [8, 4, 3n, 10n],
    [null, 3, 5n, 11n],
  ]);
  // The next batch reuses the builders, and starts without the last batch's partition value.
  const next = batch.next();
  next.add({ id: 100n }, 8, 10);
  next.add({ id: 101n }, 7, 10);
  next.add({ id: 102n }, 8, 10);
  assert.deepEqual(files(next), [
    [8, 2, 100n, 102n],
    [7, 1, 101n, 101n],
  ]);
});
