import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDecoder } from '../../src/decode/index.ts';
import { inlineToIceberg } from '../../src/schema/convert.ts';

const schema = inlineToIceberg({ fields: [{ name: 'n', id: 1, type: 'long', optional: false }] });

test('createDecoder picks the decoder of the source format', () => {
  assert.equal(createDecoder('json', schema).format, 'json');
  assert.equal(createDecoder('avro', schema).format, 'avro');
  assert.deepEqual(createDecoder('json', schema).decode(Buffer.from('{"n": 1}')), { n: 1n });
  assert.deepEqual(createDecoder('avro', schema).decode(Buffer.from([0x02])), { n: 1n });
  assert.throws(() => createDecoder('xml' as never, schema), /unsupported source format xml/);
});

test('decoders are independent: one decoder per table, reusable for every record', () => {
  const a = createDecoder('avro', schema);
  const b = createDecoder('avro', schema);
  assert.deepEqual(a.decode(Buffer.from([0x04])), { n: 2n });
  assert.throws(() => b.decode(Buffer.from([0x80])), /truncated input/);
  assert.deepEqual(a.decode(Buffer.from([0x06])), { n: 3n });
});
