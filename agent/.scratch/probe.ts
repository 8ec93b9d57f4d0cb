import * as arrow from 'apache-arrow';
import * as parquet from 'parquet-wasm';
import { ParquetFileBuilder } from '../src/parquet/writer.ts';
import type { Schema } from '../src/schema/types.ts';
const schema: Schema = { type: 'struct', 'schema-id': 0, fields: [
  { id: 1, name: 'id', required: true, type: 'long' },
  { id: 2, name: 's', required: false, type: 'string' },
  { id: 3, name: 'ts', required: true, type: 'timestamptz' },
  { id: 4, name: 'd', required: false, type: 'decimal(10, 2)' },
  { id: 5, name: 'st', required: false, type: { type: 'struct', fields: [{ id: 6, name: 'a', required: false, type: 'int' }] } },
  { id: 7, name: 'l', required: false, type: { type: 'list', 'element-id': 8, element: 'string', 'element-required': false } },
  { id: 9, name: 'm', required: false, type: { type: 'map', 'key-id': 10, key: 'string', 'value-id': 11, value: 'long', 'value-required': false } },
  { id: 12, name: 'u', required: false, type: 'uuid' },
  { id: 13, name: 'dt', required: false, type: 'date' },
  { id: 14, name: 't', required: false, type: 'time' },
  { id: 15, name: 'b', required: false, type: 'boolean' },
]};
const b = new ParquetFileBuilder(schema);
b.append({ id: 1n, s: 'x', ts: 1700000000123456n, d: 12345n, st: { a: 5 }, l: ['a', null], m: new Map([['k', 1n]]), u: '123e4567-e89b-12d3-a456-426614174000', dt: 19000, t: 3600000000n, b: true });
b.append({ id: 2n, s: null, ts: 1n, d: -5n, st: null, l: null, m: null, u: null, dt: null, t: null, b: null });
const out = b.finish();
const t = parquet.readParquet(out.bytes);
const ipc = t.intoIPCStream();
const at = arrow.tableFromIPC(ipc);
for (const f of at.schema.fields) console.log(f.name, String(f.type), f.typeId, [...f.metadata], f.nullable);
const batch = at.batches[0];
for (const [i, c] of batch.data.children.entries()) {
  console.log(at.schema.fields[i].name, c.constructor.name, c.values?.constructor.name, c.offset, c.length, !!c.nullBitmap, (c.type as any).ArrayType?.name, c.children.length);
}
const st = at.schema.fields[4].type as arrow.Struct; console.log([...st.children[0].metadata]);
const l = at.schema.fields[5].type as arrow.List; console.log(l.children[0].name, [...l.children[0].metadata]);
const m = at.schema.fields[6].type as arrow.Map_; console.log(m.children[0].name, m.children[0].type.children.map((c: any)=>[c.name,[...c.metadata]]));
console.log(typeof (batch.data.children[0] as any).getValid);
