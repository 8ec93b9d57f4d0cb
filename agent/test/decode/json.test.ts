import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DecodeError } from '../../src/errors.ts';
import { loadConfig, tableSchema } from '../../src/config/index.ts';
import { createDecoder } from '../../src/decode/index.ts';
import { inlineToIceberg } from '../../src/schema/convert.ts';

const seed = loadConfig(readFileSync(fileURLToPath(new URL('../../../examples/config/seed-example.yaml', import.meta.url)), 'utf8'));
const logs = createDecoder('json', tableSchema(seed.tables[0]));
const events = createDecoder('json', tableSchema(seed.tables[1]));

const bytes = (s: string) => new TextEncoder().encode(s);

function decoderFor(fields: unknown[]) {
  return createDecoder('json', inlineToIceberg({ fields } as never));
}

function failure(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof DecodeError, `expected DecodeError, got ${String(e)}`);
    assert.equal(e.code, 'FLOE_DECODE_FAILED');
    return e.message;
  }
  assert.fail('expected a DecodeError');
}

test('the seed logs table: four strings; unknown fields ignored', () => {
  const row = logs.decode(bytes('{"environment":"prod","service":"api","status":"ok","message":"hello","host":"h1"}'));
  assert.deepEqual(row, { environment: 'prod', service: 'api', status: 'ok', message: 'hello' });
  assert.equal(logs.format, 'json');
});

test('the seed events table, nested, as JSON', () => {
  const doc = {
    event_id: 'e1',
    user_id: 42,
    session_id: 's1',
    profile: { country: 'DE', language: 'de' },
    device: {
      type: 'mobile',
      os: { name: 'ios', version: '17.4' },
      browser: { name: 'safari', version: '17' },
      screen: { width: 1170, height: 2532, pixel_ratio: 3.0, model: null },
    },
    cookies: ['a=1', 'b=2'],
    event_attributes: { page: '/home', ref: 'ad' },
  };
  assert.deepEqual(events.decode(bytes(JSON.stringify(doc))), {
    ...doc,
    user_id: 42n,
    device: { ...doc.device, os: { name: 'ios', version: '17.4', vendor: null } },
    event_attributes: new Map([
      ['page', '/home'],
      ['ref', 'ad'],
    ]),
  });
});

test('every type, including nested list of structs and non-string map keys', () => {
  const d = decoderFor([
    { name: 'b', id: 1, type: 'boolean' },
    { name: 'i', id: 2, type: 'int' },
    { name: 'l', id: 3, type: 'long' },
    { name: 'f', id: 4, type: 'float' },
    { name: 'd', id: 5, type: 'double' },
    { name: 'dec', id: 6, type: 'decimal(9, 3)' },
    { name: 'dt', id: 7, type: 'date' },
    { name: 't', id: 8, type: 'time' },
    { name: 'ts', id: 9, type: 'timestamp' },
    { name: 'tz', id: 10, type: 'timestamptz' },
    { name: 's', id: 11, type: 'string' },
    { name: 'u', id: 12, type: 'uuid' },
    { name: 'bin', id: 13, type: 'binary' },
    { name: 'fx', id: 14, type: 'fixed[2]' },
    { name: 'items', id: 15, type: 'list', fields: [{ name: 'element', id: 16, type: 'struct', fields: [{ name: 'sku', id: 17, type: 'string' }, { name: 'qty', id: 18, type: 'int', optional: true }] }] },
    { name: 'counts', id: 19, type: 'map', fields: [{ name: 'key', id: 20, type: 'int' }, { name: 'value', id: 21, type: 'long' }] },
    { name: 'opt', id: 22, type: 'string', optional: true },
  ]);
  const row = d.decode(
    bytes(
      JSON.stringify({
        b: true,
        i: -7,
        l: '-9223372036854775808',
        f: 1.5,
        d: -2.25,
        dec: '-123456.789',
        dt: '2024-02-29',
        t: '13:14:15.000016',
        ts: '2024-02-29T23:30:00-01:00',
        tz: '2024-03-01T00:30:00.5Z',
        s: 'ü → ✓',
        u: 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11',
        bin: Buffer.from([0, 255, 7]).toString('base64'),
        fx: 'AAE=',
        items: [{ sku: 'x' }, { sku: 'y', qty: 2 }],
        counts: { '1': 10, '-2': '20' },
      }),
    ),
  );
  assert.deepEqual(row, {
    b: true,
    i: -7,
    l: -9223372036854775808n,
    f: 1.5,
    d: -2.25,
    dec: -123456789n,
    dt: 19782,
    t: 47_655_000_016n,
    ts: 1709253000000000n,
    tz: 1709253000500000n,
    s: 'ü → ✓',
    u: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
    bin: new Uint8Array([0, 255, 7]),
    fx: new Uint8Array([0, 1]),
    items: [
      { sku: 'x', qty: null },
      { sku: 'y', qty: 2 },
    ],
    counts: new Map([
      [1, 10n],
      [-2, 20n],
    ]),
    opt: null,
  });
});

test('big longs written as JSON numbers keep every digit', () => {
  const d = decoderFor([{ name: 'id', id: 1, type: 'long' }, { name: 'ts', id: 2, type: 'timestamptz', optional: true }]);
  assert.deepEqual(d.decode(bytes('{"id": 9223372036854775807}')), { id: 9223372036854775807n, ts: null });
  assert.deepEqual(d.decode(bytes('{"id": -9223372036854775808, "ts": 9007199254740993}')), { id: -9223372036854775808n, ts: 9007199254740993n });
  assert.deepEqual(d.decode(bytes('{"id": 9007199254740993}')), { id: 9007199254740993n, ts: null });
  assert.deepEqual(d.decode(bytes('{"id": 1e18}')), { id: 1_000_000_000_000_000_000n, ts: null });
  assert.equal(failure(() => d.decode(bytes('{"id": 9223372036854775808}'))), 'id: expected long, got number 9223372036854775808 (out of range for a 64-bit integer)');
  assert.equal(failure(() => d.decode(bytes('{"id": 12345678901234567.5}'))), 'id: expected long, got number 12345678901234567.5 (not an integer)');
  assert.equal(failure(() => d.decode(bytes('{"id": 1.5}'))), 'id: expected long, got number 1.5 (not an integer)');
});

test('decimals written as JSON numbers are exact, including negative values and many digits', () => {
  const d = decoderFor([{ name: 'amount', id: 1, type: 'decimal(38, 2)' }, { name: 'rate', id: 2, type: 'decimal(20, 19)', optional: true }, { name: 'n', id: 3, type: 'long', optional: true }]);
  assert.deepEqual(d.decode(bytes('{"amount": 12345678901234567.89}')), { amount: 1234567890123456789n, rate: null, n: null });
  assert.deepEqual(d.decode(bytes('{"amount": -0.1, "rate": 0.1000000000000000001}')), { amount: -10n, rate: 1000000000000000001n, n: null });
  assert.deepEqual(d.decode(bytes('{"amount": 1.10, "n": 12345678901234567890e-1}')), { amount: 110n, rate: null, n: 1234567890123456789n });
  assert.deepEqual(d.decode(bytes('{"amount": -5}')), { amount: -500n, rate: null, n: null });
  assert.equal(failure(() => d.decode(bytes('{"amount": 0.125}'))), 'amount: expected decimal(38, 2), got number 0.125 (more than 2 fractional digits)');
  assert.equal(failure(() => d.decode(bytes('{"amount": 1, "rate": 10}'))), 'rate: expected decimal(20, 19), got number 10 (21 digits exceed precision 20)');
});

test('timestamps with offsets are converted to UTC', () => {
  const d = decoderFor([{ name: 'at', id: 1, type: 'timestamptz' }]);
  const utc = d.decode(bytes('{"at": "2024-06-01T12:00:00Z"}')).at;
  assert.equal(d.decode(bytes('{"at": "2024-06-01T14:00:00+02:00"}')).at, utc);
  assert.equal(d.decode(bytes('{"at": "2024-06-01T07:00:00-05:00"}')).at, utc);
  assert.equal(utc, BigInt(Date.UTC(2024, 5, 1, 12)) * 1000n);
});

test('malformed JSON reports the position', () => {
  assert.equal(failure(() => logs.decode(bytes('{"environment": "prod",, }'))), 'invalid JSON at position 23: Expected double-quoted property name');
  assert.equal(failure(() => logs.decode(bytes('{"environment": prod}'))), "invalid JSON at position 16: Unexpected token 'p'");
  assert.equal(failure(() => logs.decode(bytes('{"environment": "pr'))), 'invalid JSON at position 19: Unterminated string');
  assert.equal(failure(() => logs.decode(bytes(''))), 'invalid JSON at position 0: Unexpected end of JSON input');
});

test('not an object, tombstones and invalid UTF-8', () => {
  assert.equal(failure(() => logs.decode(bytes('[1,2]'))), 'expected a JSON object at the top level, got array');
  assert.equal(failure(() => logs.decode(bytes('"text"'))), 'expected a JSON object at the top level, got string "text"');
  assert.equal(failure(() => logs.decode(null)), 'record value is null (a tombstone); expected a JSON object');
  assert.equal(failure(() => logs.decode(new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x7d]))), 'invalid UTF-8 in record value');
});

test('a UTF-8 byte order mark is skipped', () => {
  const withBom = new Uint8Array([0xef, 0xbb, 0xbf, ...bytes('{"environment":"a","service":"b","status":"c","message":"d"}')]);
  assert.deepEqual(logs.decode(withBom), { environment: 'a', service: 'b', status: 'c', message: 'd' });
});

test('wrong types and missing required fields name the field path', () => {
  const ok = { event_id: 'e', user_id: 1, session_id: 's', profile: { country: 'DE', language: 'de' }, device: { type: 't', os: { name: 'n', version: 'v' }, browser: { name: 'n', version: 'v' }, screen: { width: 1, height: 2, pixel_ratio: 1 } }, cookies: [], event_attributes: {} };
  const bad = (patch: (d: any) => void) => {
    const doc = structuredClone(ok) as any;
    patch(doc);
    return failure(() => events.decode(bytes(JSON.stringify(doc))));
  };
  assert.equal(bad((d) => (d.user_id = 'abc')), 'user_id: expected long, got string "abc"');
  assert.equal(bad((d) => delete d.profile.country), 'profile.country: missing required field');
  assert.equal(bad((d) => (d.device.screen.width = 1.5)), 'device.screen.width: expected int, got number 1.5 (not an integer)');
  assert.equal(bad((d) => (d.device.os = null)), 'device.os: null for required field');
  assert.equal(bad((d) => (d.cookies = ['a', { b: 1 }])), 'cookies[1]: expected string, got object');
  assert.equal(bad((d) => (d.event_attributes = { k: 5 })), 'event_attributes["k"]: expected string, got number 5');
  assert.equal(bad((d) => (d.event_attributes = 'k=v')), 'event_attributes: expected object or array of {key, value}, got string "k=v"');
});

test('each decode returns a fresh row', () => {
  const v = bytes('{"environment":"a","service":"b","status":"c","message":"d"}');
  const a = logs.decode(v);
  a.environment = 'changed';
  assert.equal(logs.decode(v).environment, 'a');
});

test('in a table with a decimal column (exact parsing) every other type still decodes', () => {
  const d = decoderFor([
    { name: 'price', id: 1, type: 'decimal(10, 2)' },
    { name: 'ratio', id: 2, type: 'double' },
    { name: 'f', id: 3, type: 'float' },
    { name: 'n', id: 4, type: 'int' },
    { name: 'day', id: 5, type: 'date' },
    { name: 'big', id: 6, type: 'long' },
    { name: 'xs', id: 7, type: 'list', fields: [{ name: 'element', id: 8, type: 'double' }] },
    { name: 'm', id: 9, type: 'map', fields: [{ name: 'key', id: 10, type: 'string' }, { name: 'value', id: 11, type: 'decimal(4, 1)' }] },
  ]);
  assert.deepEqual(d.decode(bytes('{"price": 19.99, "ratio": 0.1, "f": 2.5e0, "n": 7, "day": 19000, "big": 123456789012345678, "xs": [1, 1.5, -2e-3], "m": {"a": 1.5}}')), {
    price: 1999n,
    ratio: 0.1,
    f: 2.5,
    n: 7,
    day: 19000,
    big: 123456789012345678n,
    xs: [1, 1.5, -0.002],
    m: new Map([['a', 15n]]),
  });
  assert.equal(failure(() => d.decode(bytes('{"price": 1, "ratio": 1, "f": 1, "n": 7.5, "day": 1, "big": 1, "xs": [], "m": {}}'))), 'n: expected int, got number 7.5 (not an integer)');
  assert.equal(failure(() => d.decode(bytes('{"price": 1, "ratio": "x", "f": 1, "n": 7, "day": 1, "big": 1, "xs": [], "m": {}}'))), 'ratio: expected double, got string "x"');
});

test('decimals of precision <= 15 read JSON numbers through doubles, re-reading the source when digits were lost', () => {
  const d = decoderFor([{ name: 'p', id: 1, type: 'decimal(15, 2)' }]);
  assert.deepEqual(d.decode(bytes('{"p": 19.99}')), { p: 1999n });
  assert.deepEqual(d.decode(bytes('{"p": -0.5}')), { p: -50n });
  assert.deepEqual(d.decode(bytes('{"p": 1234567890123.45}')), { p: 123456789012345n });
  assert.deepEqual(d.decode(bytes('{"p": 1.5e2}')), { p: 15000n });
  assert.deepEqual(d.decode(bytes('{"p": 1.50000000000000000000}')), { p: 150n });
  assert.equal(failure(() => d.decode(bytes('{"p": 1.005}'))), 'p: expected decimal(15, 2), got number 1.005 (more than 2 fractional digits)');
  // 17 significant digits: the double shows more than 15, so the source is read and refused exactly
  assert.equal(failure(() => d.decode(bytes('{"p": 12345678901234.567}'))), 'p: expected decimal(15, 2), got number 12345678901234.567 (more than 2 fractional digits)');
  assert.equal(failure(() => d.decode(bytes('{"p": 12345678901234567}'))), 'p: expected decimal(15, 2), got number 12345678901234567 (19 digits exceed precision 15)');
});
