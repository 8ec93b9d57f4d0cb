// JSON's fast path (decode/json-direct.ts) against the general path (UTF-8 -> JSON.parse ->
// coercer -> row -> append): the fast path may decline any record, but what it accepts must be
// accepted by the general path too, and the Parquet files built both ways must be byte for byte the
// same, statistics included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDecoder } from '../../src/decode/index.ts';
import { compileJsonDirect } from '../../src/decode/json-direct.ts';
import { ParquetFileBuilder } from '../../src/parquet/writer.ts';
import { assertSameFiles, decodes, embedded, rng } from './fast-path.ts';
import type { Row, Schema } from '../../src/schema/types.ts';

const schema: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'env', required: true, type: 'string' },
    { id: 2, name: 'msg', required: false, type: 'string' },
    { id: 3, name: 'n', required: false, type: 'int' },
    { id: 4, name: 'big', required: false, type: 'long' },
    { id: 5, name: 'x', required: false, type: 'double' },
    { id: 6, name: 'y', required: false, type: 'float' },
    { id: 7, name: 'ok', required: false, type: 'boolean' },
    { id: 8, name: 'at', required: false, type: 'timestamptz' },
    { id: 9, name: 'day', required: false, type: 'date' },
    { id: 10, name: 'amount', required: false, type: 'decimal(10, 2)' },
    { id: 11, name: 'ümlaut', required: false, type: 'string' },
    { id: 12, name: 'tags', required: false, type: { type: 'list', 'element-id': 13, element: 'string', 'element-required': true } },
    { id: 14, name: 'inner', required: false, type: { type: 'struct', fields: [{ id: 15, name: 'a', required: false, type: 'int' }] } },
    { id: 16, name: 'constructor', required: false, type: 'string' },
  ],
};

// JSON value texts per field that the table accepts (the first list) and refuses (the second).
const TEXTS: Record<string, [string[], string[]]> = {
  env: [['"prod"', '""', '"dev"', '"ß-ü"', '"😀"', '"a\\"b"', '"tab\\t"', '"\\u00e9"', '"x y z"', '"  spaced "'], ['1', 'null', 'true']],
  msg: [['"request 1 handled in 7 ms"', '"— em"', 'null', '"\\\\"', '"line\\nbreak"', '"' + 'long '.repeat(20) + '"'], ['12']],
  n: [['0', '-0', '7', '-2147483648', '2147483647', '1.0', '1e3', '"42"', 'null'], ['2147483648', '1.5', '"4x"', '00', '-', '12345678901234567890']],
  big: [['0', '-1', '123456789012345', '9007199254740993', '-9007199254740993', '1e2', '"9223372036854775807"', 'null'], ['9223372036854775808', '1.25', '"abc"']],
  x: [['0', '-0', '1.5', '-2.25e-3', '1e400', '"NaN"', '"Infinity"', '"1.5"', '12345678901234567', '0.1', 'null'], ['true', '1.', '.5']],
  y: [['1.5', '-0', '"-Infinity"', '1e-50', 'null'], ['3.5e38']],
  ok: [['true', 'false', 'null'], ['"true"', '1']],
  at: [['"2026-11-25T10:00:00Z"', '"2026-11-25 10:00:00.123456+02:00"', '1764064800000000', '"1764064800000000"', 'null'], ['"not a time"', '"2026-11-25T10:00:00Zé"']],
  day: [['"2026-11-25"', '20000', '"20000"', 'null'], ['"2026-13-01"']],
  amount: [['null', '12.5', '"12.50"'], ['"1.234"']],
  ümlaut: [['"ö"', 'null', '"plain"'], ['5']],
  tags: [['null', '[]', '["a","b"]'], ['{}']],
  inner: [['null', '{}', '{"a":1}'], ['[]']],
  constructor: [['"c"', 'null'], ['{}']] as [string[], string[]],
};
const EXTRA: string[] = ['"extra": 1', '"extra": "s\\"q"', '"extra": null', '"extra": [1,2]', '"extra": {"k": "v"}', '"e\\u0078tra": 1', '"extra": tru', '"extra": -'];
const WS = ['', ' ', '\n', '\t', ' \r\n '];

/** Fields whose values only the general path takes (a decimal, a list, a struct), but null. */
const NESTED = new Set(['amount', 'tags', 'inner']);

function record(r: () => number): string {
  const pick = <T,>(a: readonly T[]): T => a[Math.floor(r() * a.length)];
  const parts: string[] = [];
  // Half of the records keep to values the fast path takes (the first three of each field's list).
  const plain = r() < 0.5;
  for (const f of schema.fields) {
    const roll = r();
    if (roll < 0.1 && f.name !== 'env') continue; // absent
    const key = roll < 0.12 && !plain ? JSON.stringify(f.name).replace('e', '\\u0065') : JSON.stringify(f.name);
    const [good, bad] = TEXTS[f.name];
    const text = plain ? (NESTED.has(f.name) ? 'null' : pick(good.slice(0, 3))) : pick(r() < 0.03 ? bad : good);
    parts.push(`${key}${pick(WS)}:${pick(WS)}${text}`);
  }
  if (r() < 0.3) parts.push(pick(EXTRA));
  if (!plain && r() < 0.05) parts.push(`"env": ${pick(TEXTS.env[0])}`); // a duplicate key
  for (let i = parts.length - 1; i > 0; i--) {
    if (r() < 0.3) {
      const j = Math.floor(r() * (i + 1));
      [parts[i], parts[j]] = [parts[j], parts[i]];
    }
  }
  return `${pick(WS)}{${pick(WS)}${parts.join(`${pick(WS)},${pick(WS)}`)}${pick(WS)}}${pick(WS)}`;
}

const decoder = createDecoder('json', schema);
const direct = compileJsonDirect(schema)!;

/** Runs values through both paths; returns how many the fast path took. */
function compare(values: Uint8Array[]): { accepted: number; declinedValid: number; refused: number } {
  const fast = new ParquetFileBuilder(schema);
  const slow = new ParquetFileBuilder(schema);
  let accepted = 0;
  let declinedValid = 0;
  let refused = 0;
  for (const v of values) {
    const row = decodes(decoder, v);
    const { buf, start, end } = embedded(v);
    if (fast.appendWith((cols) => direct(buf, start, end, cols))) {
      assert.ok(row !== null, `the fast path accepted a record decode refuses: ${Buffer.from(v).toString()}`);
      accepted++;
      slow.append(row);
    } else if (row !== null) {
      declinedValid++;
      fast.append(row);
      slow.append(row);
    } else refused++;
  }
  assertSameFiles(fast, slow);
  return { accepted, declinedValid, refused };
}

test('the decoder offers the fast path', () => {
  assert.equal(typeof decoder.appendTo, 'function');
});

test('random records: accepted only when decode accepts them, and then the same file', () => {
  const r = rng(11);
  const values: Uint8Array[] = [];
  for (let i = 0; i < 6000; i++) {
    const v = Buffer.from(record(r), 'utf8');
    values.push(v);
  }
  const c = compare(values);
  assert.ok(c.accepted > 500 && c.declinedValid > 500 && c.refused > 500, JSON.stringify(c));
});

test('corrupted records: truncations, byte flips, invalid UTF-8, a byte-order mark', () => {
  const r = rng(5);
  const values: Uint8Array[] = [];
  const good = Buffer.from('{"env": "prod", "msg": "ok ö", "n": 12, "big": 1764064800000, "x": 1.5, "ok": true, "at": "2026-11-25T10:00:00Z"}');
  for (let cut = 0; cut <= good.length; cut++) values.push(good.subarray(0, cut));
  for (let k = 0; k < 3000; k++) {
    const v = Buffer.from(good);
    v[Math.floor(r() * v.length)] = Math.floor(r() * 256);
    values.push(v);
  }
  values.push(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), good]));
  values.push(Buffer.from('{"env": "\xff"}', 'latin1'));
  values.push(Buffer.from('{"env": "a\u0001b"}'));
  const c = compare(values);
  assert.ok(c.accepted > 200 && c.refused > 500, JSON.stringify(c));
});

test('every byte value at every position of a record: accepted only when decode accepts it, and then the same file', () => {
  const good = Buffer.from('{"env":"prod","msg":"a\\"b ö","n":-12,"big":1764064800000,"x":1.5e3,"ok":true,"at":"2026-11-25T10:00:00Z","tags":null}');
  const values: Uint8Array[] = [];
  for (let at = 0; at < good.length; at++) {
    for (let x = 0; x < 256; x++) {
      if (x === good[at]) continue;
      const v = Buffer.from(good);
      v[at] = x;
      values.push(v);
    }
  }
  const c = compare(values);
  assert.ok(c.accepted > 1000 && c.refused > 1000, JSON.stringify(c));
});

test('escapes in kept strings: decoded as JSON.parse and Buffer#write together would, lone surrogates included', () => {
  const texts = [
    '\\"', '\\\\', '\\/', '\\b\\f\\n\\r\\t', '\\u0000', '\\u0041\\u00e9\\u20ac', '\\uD83D\\uDE00', '\\ud83d\\ude00 and 😀',
    '\\ud800', 'a\\udc00b', '\\ud800\\u0041', '\\ud800\\ud800\\udc00', 'end \\ud83d', '\\udbff\\udfff', 'ü\\"ß\\"😀', '\\u00', 'x'.repeat(40) + '\\n',
    'z'.repeat(3000) + '\\t' + 'é'.repeat(700), // longer than the decoding buffer so far
  ];
  const values = texts.map((t) => Buffer.from(`{"env":"${t}","msg":"pre ${t} post","ümlaut":"${t}"}`));
  const c = compare(values);
  // All but the truncated \u00 (refused by both paths) are taken by the fast path.
  assert.deepEqual(c, { accepted: texts.length - 1, declinedValid: 0, refused: 1 });
});

test('what the fast path takes: flat records of the table columns, in any key order', () => {
  const b = new ParquetFileBuilder(schema);
  const take = (s: string) => {
    const { buf, start, end } = embedded(Buffer.from(s));
    return b.appendWith((cols) => direct(buf, start, end, cols));
  };
  assert.equal(take('{"env":"prod","n":1,"x":-0,"ok":false,"at":"2026-11-25T10:00:00Z","unknown":"a\\"b"}'), true);
  assert.equal(take(' { "msg" : null , "env" : "ß" } '), true);
  assert.equal(take('{"env":"a","inner":null,"tags":null,"amount":null}'), true);
  assert.equal(take('{"env":"a\\"b","msg":"\\ud83d\\ude00\\n"}'), true); // escapes in kept strings
  // left to the general path:
  assert.equal(take('{"env":"a","at":"2026-11-25T10:00:00\\u005a"}'), false); // an escape for a non-string column
  assert.equal(take('{"env":"a","inner":{"a":1}}'), false); // a nested object
  assert.equal(take('{"env":"a","env":"b"}'), false); // a duplicate key
  assert.equal(take('{"msg":"no env"}'), false); // a required column missing
  assert.equal(take('{"env":"a","big":9007199254740993}'), false); // beyond 2^53
  assert.equal(take('{"env":"a","amount":1.5}'), false); // a decimal value
  assert.equal(take('{"env":"a"} x'), false);
  assert.equal(b.recordCount, 4);
});
