import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DecodeError } from '../../src/errors.ts';
import { loadConfig, tableSchema } from '../../src/config/index.ts';
import {
  avroEncoderFor,
  avroSchemaFor,
  avroTypeFor,
  bigintToTwosComplement,
  createDecoder,
  frameForSchemaRegistry,
} from '../../src/decode/index.ts';
import { inlineToIceberg } from '../../src/schema/convert.ts';
import type { Row } from '../../src/schema/types.ts';

const seed = loadConfig(readFileSync(fileURLToPath(new URL('../../../examples/config/seed-example.yaml', import.meta.url)), 'utf8'));
const eventsSchema = tableSchema(seed.tables[1]);
const events = createDecoder('avro', eventsSchema);
const encodeEvent = avroEncoderFor(eventsSchema);

function failure(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof DecodeError, `expected DecodeError, got ${String(e)}`);
    return e.message;
  }
  assert.fail('expected a DecodeError');
}

const event: Row = {
  event_id: 'evt-1',
  user_id: 9_007_199_254_740_993n,
  session_id: 'sess-1',
  profile: { country: 'DE', language: 'de' },
  device: {
    type: 'mobile',
    os: { name: 'ios', version: '17.4', vendor: null },
    browser: { name: 'safari', version: '17.4' },
    screen: { width: 1170, height: 2532, pixel_ratio: 3, model: 'iPhone 15' },
  },
  cookies: ['a=1', 'consent=yes'],
  event_attributes: new Map([
    ['page', '/checkout'],
    ['ümlaut', 'ß'],
  ]),
};

test('the seed events table: the full schema round-trips through the writer schema', () => {
  const value = encodeEvent(event);
  const row = events.decode(value);
  assert.deepEqual(row, event);
  assert.equal(Object.getPrototypeOf(row), Object.prototype);
  assert.equal(Object.getPrototypeOf(row.profile), Object.prototype);
  assert.equal(events.format, 'avro');
});

test('bytes written by avsc itself (avsc values, not our encoder) decode to the same row', () => {
  const type = avroTypeFor(eventsSchema);
  const value = type.toBuffer({
    ...event,
    device: { ...(event.device as Row) },
    event_attributes: { page: '/checkout', ümlaut: 'ß' },
  });
  assert.deepEqual(events.decode(value), event);
  // and avsc reads what it wrote (the writer schema is a valid Avro schema)
  assert.equal(type.fromBuffer(value).user_id, 9_007_199_254_740_993n);
});

test('writer schema: records named r<id>, optional as ["null", T] with default null, field ids kept', () => {
  const s = avroSchemaFor(eventsSchema) as any;
  assert.equal(s.type, 'record');
  assert.equal(s.name, 'row');
  assert.deepEqual(s.fields[0], { name: 'event_id', type: 'string', 'field-id': 1 });
  assert.deepEqual(s.fields[1], { name: 'user_id', type: 'long', 'field-id': 2 });
  assert.equal(s.fields[3].type.name, 'r4');
  const os = s.fields[4].type.fields[1].type;
  assert.equal(os.name, 'r9');
  assert.deepEqual(os.fields[2], { name: 'vendor', type: ['null', 'string'], default: null, 'field-id': 25 });
  assert.deepEqual(s.fields[5].type, { type: 'array', items: 'string', 'element-id': 21 });
  assert.deepEqual(s.fields[6].type, { type: 'map', values: 'string', 'key-id': 23, 'value-id': 24 });
});

const allTypes = inlineToIceberg({
  fields: [
    { name: 'b', id: 1, type: 'boolean' },
    { name: 'i', id: 2, type: 'int' },
    { name: 'l', id: 3, type: 'long' },
    { name: 'f', id: 4, type: 'float' },
    { name: 'd', id: 5, type: 'double' },
    { name: 'dec', id: 6, type: 'decimal(38, 4)' },
    { name: 'dt', id: 7, type: 'date' },
    { name: 't', id: 8, type: 'time' },
    { name: 'ts', id: 9, type: 'timestamp' },
    { name: 'tz', id: 10, type: 'timestamptz' },
    { name: 's', id: 11, type: 'string' },
    { name: 'u', id: 12, type: 'uuid' },
    { name: 'bin', id: 13, type: 'binary' },
    { name: 'fx', id: 14, type: 'fixed[3]' },
    { name: 'ol', id: 15, type: 'long', optional: true },
    { name: 'list', id: 16, type: 'list', fields: [{ name: 'element', id: 17, type: 'int', optional: true }] },
    { name: 'structs', id: 18, type: 'list', optional: true, fields: [{ name: 'element', id: 19, type: 'struct', fields: [{ name: 'x', id: 20, type: 'double' }] }] },
    { name: 'byId', id: 21, type: 'map', fields: [{ name: 'key', id: 22, type: 'long' }, { name: 'value', id: 23, type: 'string', optional: true }] },
    { name: 'nested', id: 24, type: 'map', fields: [{ name: 'key', id: 25, type: 'string' }, { name: 'value', id: 26, type: 'map', fields: [{ name: 'key', id: 27, type: 'uuid' }, { name: 'value', id: 28, type: 'decimal(5, 2)' }] }] },
  ],
} as never);

function allTypesRow(over: Partial<Row> = {}): Row {
  return {
    b: true,
    i: -2147483648,
    l: -9223372036854775808n,
    f: 1.5,
    d: -1e300,
    dec: -123456789012345678901234567890123n,
    dt: -719162,
    t: 86_399_999_999n,
    ts: 9223372036854775807n,
    tz: -1n,
    s: 'ü → ✓ and a longer string past the ASCII fast path',
    u: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
    bin: new Uint8Array([0, 1, 255]),
    fx: new Uint8Array([9, 8, 7]),
    ol: null,
    list: [1, null, -3],
    structs: [{ x: 0.5 }, { x: -0.25 }],
    byId: new Map<bigint, string | null>([
      [2n ** 62n, 'big'],
      [-1n, null],
    ]),
    nested: new Map([['outer', new Map([['123e4567-e89b-12d3-a456-426614174000', -99999n]])]]),
    ...over,
  };
}

test('every type decodes, including extremes and negative decimals', () => {
  const d = createDecoder('avro', allTypes);
  const enc = avroEncoderFor(allTypes);
  for (const row of [
    allTypesRow(),
    allTypesRow({ l: 9223372036854775807n, ol: 5n, dec: 1n, structs: null, list: [], byId: new Map(), nested: new Map() }),
    allTypesRow({ dec: -1n, i: 2147483647, l: 0n, ol: -(2n ** 53n) - 1n }),
    allTypesRow({ dec: 10n ** 37n, bin: new Uint8Array(0), s: '' }),
  ]) {
    assert.deepEqual(d.decode(enc(row)), row);
  }
});

test('decimal two\'s complement encodes minimal and sign-correct bytes', () => {
  for (const [n, hex] of [
    [0n, '00'],
    [1n, '01'],
    [-1n, 'ff'],
    [127n, '7f'],
    [128n, '0080'],
    [-128n, '80'],
    [-129n, 'ff7f'],
    [-32768n, '8000'],
    [255n, '00ff'],
  ] as const) {
    assert.equal(bigintToTwosComplement(n).toString('hex'), hex, String(n));
  }
});

test('schema-registry framing: the 5-byte prefix is stripped and the schema id ignored', () => {
  const value = encodeEvent(event);
  assert.deepEqual(events.decode(frameForSchemaRegistry(value, 1)), event);
  assert.deepEqual(events.decode(frameForSchemaRegistry(value, 0xffffffff)), event);
});

test('a plain (unframed) record starting with 0x00 still decodes', () => {
  const s = inlineToIceberg({ fields: [{ name: 'maybe', id: 1, type: 'string', optional: true }, { name: 'n', id: 2, type: 'long' }, { name: 's', id: 3, type: 'string' }] } as never);
  const enc = avroEncoderFor(s);
  const d = createDecoder('avro', s);
  const row = { maybe: null, n: 123456789n, s: 'abc' };
  const value = enc(row);
  assert.equal(value[0], 0);
  assert.ok(value.length >= 5);
  assert.deepEqual(d.decode(value), row);
  assert.deepEqual(d.decode(frameForSchemaRegistry(value, 7)), row);
});

test('truncated input is a DecodeError naming where it stopped', () => {
  const value = encodeEvent(event);
  const msg = failure(() => events.decode(frameForSchemaRegistry(value.subarray(0, value.length - 4), 3)));
  assert.match(msg, /^avro: truncated input \(at event_attributes\["ümlaut"\]\) \(read as schema-registry framed: magic byte 0x00, schema id 3\)$/);
  assert.match(failure(() => events.decode(value.subarray(0, 10))), /^avro: truncated input \(at /);
});

test('a wrong magic byte ends as a DecodeError, not a garbage row', () => {
  const framed = frameForSchemaRegistry(encodeEvent(event), 9);
  framed[0] = 0x07;
  const msg = failure(() => events.decode(framed));
  assert.match(msg, /^avro: .*; not schema-registry framed either: unexpected magic byte 0x07 \(schema-registry framing expects 0x00\)$/);
});

test('trailing bytes: the writer schema had more than the table schema', () => {
  const wider = inlineToIceberg({
    fields: [
      { name: 'environment', id: 1, type: 'string' },
      { name: 'service', id: 2, type: 'string' },
      { name: 'status', id: 3, type: 'string' },
      { name: 'message', id: 4, type: 'string' },
      { name: 'extra', id: 5, type: 'long' },
    ],
  } as never);
  const logsAsAvro = createDecoder('avro', tableSchema(seed.tables[0]));
  const value = avroEncoderFor(wider)({ environment: 'e', service: 's', status: 'ok', message: 'm', extra: 1n });
  assert.equal(
    failure(() => logsAsAvro.decode(value)),
    "avro: trailing bytes (1 of 10 left after the record; is the writer schema the table's schema?); not schema-registry framed either: unexpected magic byte 0x02 (schema-registry framing expects 0x00)",
  );
  assert.match(failure(() => logsAsAvro.decode(frameForSchemaRegistry(value, 1))), /^avro: trailing bytes \(1 of 10 left/);
});

test('regression: a huge array block count is an error, not an out-of-memory crash', () => {
  // avsc's own decoder allocates until the process dies on these 5 bytes for a record {a: array<string>}
  const s = inlineToIceberg({ fields: [{ name: 'a', id: 1, type: 'list', fields: [{ name: 'element', id: 2, type: 'string' }] }] } as never);
  const d = createDecoder('avro', s);
  assert.equal(
    failure(() => d.decode(Buffer.from([0xfe, 0xff, 0xff, 0xff, 0x0f]))),
    'avro: block count 2147483647 exceeds the 0 bytes left (at a[0]); not schema-registry framed either: unexpected magic byte 0xfe (schema-registry framing expects 0x00)',
  );
  const m = createDecoder('avro', inlineToIceberg({ fields: [{ name: 'm', id: 1, type: 'map', fields: [{ name: 'key', id: 2, type: 'string' }, { name: 'value', id: 3, type: 'int' }] }] } as never));
  assert.match(failure(() => m.decode(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x10, 0x02]))), /^avro: block count \d+ exceeds the 1 bytes left/);
});

test('malformed values: union branch, boolean byte, negative length, UTF-8, uuid, decimal precision, varint', () => {
  const d = (fields: unknown[]) => createDecoder('avro', inlineToIceberg({ fields } as never));
  const opt = d([{ name: 'x', id: 1, type: 'int', optional: true }]);
  assert.match(failure(() => opt.decode(Buffer.from([0x04, 0x02]))), /^avro: invalid union branch 2 \(\["null", T\] has branches 0 and 1\) \(at x\)/);
  assert.deepEqual(opt.decode(Buffer.from([0x82, 0x00, 0x06])), { x: 3 }); // branch 1 in two bytes
  const bool = d([{ name: 'b', id: 1, type: 'boolean' }]);
  assert.match(failure(() => bool.decode(Buffer.from([0x02]))), /^avro: invalid boolean byte 0x02 \(at b\)/);
  const str = d([{ name: 's', id: 1, type: 'string' }]);
  assert.match(failure(() => str.decode(Buffer.from([0x03, 0x41]))), /^avro: negative length -2 \(at s\)/);
  assert.match(failure(() => str.decode(Buffer.from([0x04, 0xc3, 0x28]))), /^avro: invalid UTF-8 in string \(at s\)/);
  const uuid = d([{ name: 'u', id: 1, type: 'uuid' }]);
  assert.match(failure(() => uuid.decode(Buffer.from([0x06, 0x61, 0x62, 0x63]))), /^avro: invalid uuid "abc" \(at u\)/);
  const dec = d([{ name: 'p', id: 1, type: 'decimal(3, 2)' }]);
  assert.deepEqual(dec.decode(Buffer.from([0x04, 0x03, 0xe7])), { p: 999n });
  assert.match(failure(() => dec.decode(Buffer.from([0x04, 0x03, 0xe8]))), /^avro: decimal 1000 \(unscaled\) exceeds precision 3 \(at p\)/);
  const long = d([{ name: 'l', id: 1, type: 'long' }]);
  assert.match(failure(() => long.decode(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]))), /^avro: invalid varint \(longer than 10 bytes\) \(at l\)/);
  const int = d([{ name: 'i', id: 1, type: 'int' }]);
  assert.match(failure(() => int.decode(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x10]))), /^avro: int out of range: 2147483648 \(at i\)/);
});

test('tombstones and empty values', () => {
  assert.equal(failure(() => events.decode(null)), 'avro: record value is null (a tombstone)');
  assert.equal(failure(() => events.decode(new Uint8Array(0))), 'avro: empty record value');
});

test('bytes in rows are copies: reusing the record buffer does not change decoded rows', () => {
  const s = inlineToIceberg({ fields: [{ name: 'b', id: 1, type: 'binary' }, { name: 'f', id: 2, type: 'fixed[2]' }] } as never);
  const value = avroEncoderFor(s)({ b: new Uint8Array([1, 2]), f: new Uint8Array([3, 4]) });
  const row = createDecoder('avro', s).decode(value);
  value.fill(0);
  assert.deepEqual(row, { b: new Uint8Array([1, 2]), f: new Uint8Array([3, 4]) });
});

test('a plain Uint8Array (not a Buffer) is accepted', () => {
  const value = encodeEvent(event);
  const copy = new Uint8Array(value.length);
  copy.set(value);
  assert.deepEqual(events.decode(copy), event);
});
