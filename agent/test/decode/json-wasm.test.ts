// JSON's stage (decode/json-wasm.ts) against the general path (UTF-8 -> JSON.parse -> coercer ->
// row -> append), as json-direct.test.ts tests json-direct: the stage may decline a record, but what
// it stages the general path must accept, and the Parquet files built both ways must be byte for
// byte the same, statistics included; with records staged across flushes at random points. The
// records of the common form (flat, the column's own JSON type, within the limits the module
// names) must all be staged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDecoder } from '../../src/decode/index.ts';
import { assembleJsonStage, DECLINED, FULL, jsonStage, STAGED, STAGE_ROWS } from '../../src/decode/json-wasm.ts';
import { ParquetFileBuilder } from '../../src/parquet/writer.ts';
import { KAFKA_COLUMNS } from '../../src/ingest/tables.ts';
import { assertSameFiles, decodes, embedded, rng, stageAdd, stageFlush } from './fast-path.ts';
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
    { id: 8, name: 'ümlaut', required: false, type: 'string' },
    { id: 9, name: 'constructor', required: false, type: 'string' },
    { id: 10, name: 'a"b', required: false, type: 'string' }, // JSON writes its key with an escape
    { id: 11, name: 'environment', required: false, type: 'string' }, // a longer name sharing a prefix
    { id: 12, name: 'at', required: false, type: 'timestamptz' },
    { id: 13, name: 'day', required: false, type: 'date' },
  ],
};

// JSON value texts per field: what the stage takes, what only the general path takes, what both refuse.
const TEXTS: Record<string, [string[], string[], string[]]> = {
  env: [['"prod"', '""', '"dev"', '"ß-ü"', '"😀"', '"a\\"b"', '"tab\\t"', '"\\u00e9"', '"x y z"', '"  spaced "', '"\\ud83d\\ude00"'], [], ['1', 'null', 'true', '"\\x"', '"a\u0001"']],
  msg: [['"request 1 handled in 7 ms"', '"— em"', 'null', '"\\\\"', '"line\\nbreak"', '"' + 'long '.repeat(20) + '"'], [], ['12', '"\\u12"', '{}']],
  n: [['0', '-0', '7', '-2147483648', '2147483647', '-12', 'null'], ['1.0', '1e3', '"42"'], ['2147483648', '-2147483649', '1.5', '"4x"', '00', '-', '12345678901234567890']],
  big: [['0', '-1', '123456789012345', '-999999999999999', '9007199254740993', '-999999999999999999', 'null'], ['9223372036854775807', '-9223372036854775808', '1e2', '"9223372036854775807"'], ['9223372036854775808', '-9223372036854775809', '18446744073709551617', '1.25', '"abc"', '01']],
  x: [['0', '-0', '1.5', '-2.25e-3', '0.1', '1e22', '4.35', '100', '0.000001', '-7E+2', '123456789012345', 'null'], ['1e400', '"NaN"', '"Infinity"', '"1.5"', '12345678901234567', '1e23', '0.1234567890123456'], ['true', '1.', '.5', '+1', '1e', '--1']],
  y: [['1.5', '-0', '1e-5', '3.4e20', '0.1', 'null'], ['"-Infinity"', '1e-50', '3.4e37'], ['3.5e38', '"x"']],
  ok: [['true', 'false', 'null'], [], ['"true"', '1', 'nul', 'tru']],
  ümlaut: [['"ö"', 'null', '"plain"'], [], ['5']],
  constructor: [['"c"', 'null'], [], ['{}', '[]']] as [string[], string[], string[]],
  'a"b': [[], ['"v"', 'null'], ['1']],
  environment: [['"long"', 'null'], [], ['2']],
  at: [
    ['"2026-11-25T10:00:00Z"', '"2026-11-25 10:00:00.123456+02:00"', '"2026-11-25t10:00z"', '"2024-02-29T23:59:59,999999999-0530"', '"2026-11-25"', '"0000-01-01T00:00:00Z"', '"9999-12-31T23:59:59.1+23:59"', '"2026-11-25T10:00:00.5"', '"1969-12-31T23:59:59.999999Z"', '1764064800000000', '-5', 'null'],
    ['"1764064800000000"', '1.0', '"2026-11-25T10:00:00\\u005a"'],
    ['"not a time"', '"2026-11-25T10:00:00Zé"', '"2026-02-30"', '"2026-11-25T24:00"', '"2026-11-25T10:60"', '"2026-11-25T10:00:00.1234567890"', '"2026-11-25+05:"', '"2026-11-25T10"', '"2026-11-25T10:00:"', '"2026-11-25T10:00.5"', '"2026-11-25T10:00:00+24:00"', '"2026-11x25"', '"2026x11-25"', '1.5', 'true'],
  ],
  day: [['"2026-11-25"', '"2000-02-29"', '"0000-02-29"', '20000', '-1', 'null'], ['"20000"', '"2026-11-2\\u0035"'], ['"2026-13-01"', '"1900-02-29"', '"2026-11-25T00:00"', '2147483648', '"2026-11-25 "', '"2026-11x25"']],
};
const EXTRA_TAKEN = ['"extra": 1', '"extra": "s\\"q ü"', '"extra": null', '"extra": -1.5e3', '"extra": true', '"ex": "\\u00fc"', '"envi": 1', '"": 0'];
const EXTRA_OTHER = ['"extra": [1,2]', '"extra": {"k": "v"}', '"e\\u0078tra": 1', '"extra": tru', '"extra": -', '"extra": "\\q"', '"en\\u0076": "prod"'];
const WS = ['', ' ', '\n', '\t', ' \r\n '];

/** A random record, and whether the stage must take it (every part of it of the common form). */
function record(r: () => number): { text: string; common: boolean } {
  const pick = <T,>(a: readonly T[]): T => a[Math.floor(r() * a.length)];
  const parts: string[] = [];
  const common = r() < 0.5;
  for (const f of schema.fields) {
    const roll = r();
    if (roll < 0.1 && f.name !== 'env') continue; // absent
    const [taken, general, refused] = TEXTS[f.name];
    if (common && taken.length === 0) continue;
    let text: string;
    if (common) text = pick(taken);
    else {
      const which = r();
      text = which < 0.04 ? pick(refused) : which < 0.2 && general.length > 0 ? pick(general) : pick(taken.length > 0 ? taken : general);
    }
    const key = !common && roll < 0.12 ? JSON.stringify(f.name).replace('e', '\\u0065') : JSON.stringify(f.name);
    parts.push(`${key}${pick(WS)}:${pick(WS)}${text}`);
  }
  if (r() < 0.3) parts.push(pick(EXTRA_TAKEN));
  if (!common && r() < 0.1) parts.push(pick(EXTRA_OTHER));
  if (!common && r() < 0.05) parts.push(`"env": ${pick(TEXTS.env[0])}`); // a repeated key
  for (let i = parts.length - 1; i > 0; i--) {
    if (r() < 0.3) {
      const j = Math.floor(r() * (i + 1));
      [parts[i], parts[j]] = [parts[j], parts[i]];
    }
  }
  return { text: `${pick(WS)}{${pick(WS)}${parts.join(`${pick(WS)},${pick(WS)}`)}${pick(WS)}}${pick(WS)}`, common };
}

const decoder = createDecoder('json', schema);
const binary = (await assembleJsonStage(schema, false))!;

const add = stageAdd;
const flush = stageFlush;

/**
 * Runs values through the stage (flushed at random points) and the general path; a value the stage
 * declines and decode accepts goes in after those staged before it, as the worker does. `common`
 * values must be staged.
 */
function compare(values: Iterable<{ value: Uint8Array; common?: boolean }>, s: Schema = schema, bin: Uint8Array = binary): { accepted: number; declinedValid: number; refused: number } {
  const r = rng(3);
  const dec = s === schema ? decoder : createDecoder('json', s);
  const stage = jsonStage(bin, s, false);
  const fast = new ParquetFileBuilder(s);
  const slow = new ParquetFileBuilder(s);
  const counts = { accepted: 0, declinedValid: 0, refused: 0 };
  for (const { value, common } of values) {
    const row = decodes(dec, value);
    const { buf, start, end } = embedded(value);
    if (add(stage, fast, buf, start, end)) {
      assert.ok(row !== null, `the stage accepted a record decode refuses: ${Buffer.from(value).toString()}`);
      counts.accepted++;
      slow.append(row);
    } else {
      assert.ok(!common, `the stage declined a record of the common form: ${Buffer.from(value).toString()}`);
      if (row !== null) {
        counts.declinedValid++;
        flush(stage, fast);
        fast.append(row);
        slow.append(row);
      } else counts.refused++;
    }
    if (r() < 0.01 || stage.staged === STAGE_ROWS) flush(stage, fast);
  }
  flush(stage, fast);
  assertSameFiles(fast, slow);
  return counts;
}

const text = (s: string): { value: Uint8Array } => ({ value: Buffer.from(s, 'utf8') });

test('the stage covers tables of booleans, numbers, strings, dates and timestamps; a column of another type has none', async () => {
  assert.ok(binary instanceof Uint8Array && binary.length > 0);
  for (const type of ['time', 'uuid', 'binary', 'decimal(10, 2)', { type: 'list', 'element-id': 2, element: 'string', 'element-required': true }] as const) {
    const s: Schema = { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'a', required: true, type: 'string' }, { id: 3, name: 'b', required: false, type }] };
    assert.equal(await assembleJsonStage(s, false), null, JSON.stringify(type));
  }
  assert.equal(await assembleJsonStage({ type: 'struct', 'schema-id': 0, fields: [] }, true), null);
});

test('random records: staged only when decode accepts them, all of the common form staged, and the same file', () => {
  const r = rng(11);
  const values = [];
  for (let i = 0; i < 8000; i++) {
    const { text: t, common } = record(r);
    values.push({ value: Buffer.from(t, 'utf8'), common });
  }
  const c = compare(values);
  assert.ok(c.accepted > 4000 && c.declinedValid > 500 && c.refused > 500, JSON.stringify(c));
});

test('corrupted records: truncations, byte flips, invalid UTF-8, control characters, a byte-order mark', () => {
  const r = rng(5);
  const values: { value: Uint8Array }[] = [];
  const good = Buffer.from('{"env": "prod \\"q\\" \\u00e9", "msg": "ok ö 😀", "n": -12, "big": 1764064800000, "x": 1.5e-3, "y": 0.25, "ok": true, "other": "ü\\n", "z": null}');
  for (let cut = 0; cut <= good.length; cut++) values.push({ value: good.subarray(0, cut) });
  for (let k = 0; k < 4000; k++) {
    const v = Buffer.from(good);
    v[Math.floor(r() * v.length)] = Math.floor(r() * 256);
    values.push({ value: v });
  }
  values.push({ value: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), good]) });
  for (const bad of ['\xff', '\xc3', '\xc3\x28', '\xe0\x80\x80', '\xed\xa0\x80', '\xf4\x90\x80\x80', '\xc0\xaf']) {
    values.push({ value: Buffer.from(`{"env": "a${bad}b"}`, 'latin1') }); // a kept string
    values.push({ value: Buffer.from(`{"env": "a", "other": "${bad}"}`, 'latin1') }); // a string no column keeps
    values.push({ value: Buffer.from(`{"env": "a", "k${bad}": 1}`, 'latin1') }); // a key
  }
  values.push(text('{"env": "a\u0001b"}'), text('{"env": "a\u001fb"}'), text('{"env": "a\u007fb"}'));
  const c = compare(values);
  assert.ok(c.accepted > 300 && c.refused > 3000, JSON.stringify(c));
});

test('every byte value at every position of a record: staged only when decode accepts it, and then the same file', () => {
  const good = Buffer.from('{"env":"prod","msg":"a\\"b ö\\u00e9","n":-12,"big":1764064800000,"x":1.5e3,"y":-0.5,"ok":true,"other":[]}'.replace('[]', '"\\t"'));
  const values: { value: Uint8Array }[] = [];
  for (let at = 0; at < good.length; at++) {
    for (let x = 0; x < 256; x++) {
      if (x === good[at]) continue;
      const v = Buffer.from(good);
      v[at] = x;
      values.push({ value: v });
    }
  }
  const c = compare(values);
  assert.ok(c.accepted > 1000 && c.refused > 10000, JSON.stringify(c));
});

test('escapes in kept strings: decoded as JSON.parse and Buffer#write together would, lone surrogates included', () => {
  const texts = [
    '\\"', '\\\\', '\\/', '\\b\\f\\n\\r\\t', '\\u0000', '\\u0041\\u00e9\\u20ac', '\\uD83D\\uDE00', '\\ud83d\\ude00 and 😀',
    '\\ud800', 'a\\udc00b', '\\ud800\\u0041', '\\ud800\\ud800\\udc00', 'end \\ud83d', '\\udbff\\udfff', 'ü\\"ß\\"😀', '\\u00', 'x'.repeat(40) + '\\n',
    '\\ud83d\\u', '\\ud83d\\uzzzz', '\\uDBFF\\uDFFF\\uDC00', 'sixteen bytes ab\\n', 'fifteen bytes a\\n', '\\n'.repeat(20), '\\ud83d\\ue000', '\\ud83d\\\\ude00',
    'z'.repeat(3000) + '\\t' + 'é'.repeat(700),
  ];
  const values = texts.map((t) => text(`{"env":"${t}","msg":"pre ${t} post","ümlaut":"${t}"}`));
  const c = compare(values);
  // All but the truncated or malformed \u escapes (refused by both paths) are staged.
  assert.deepEqual(c, { accepted: texts.length - 3, declinedValid: 0, refused: 3 });
});

test('numbers for double and float columns: staged exactly as JSON.parse reads them, within the fast path\'s digits and powers', () => {
  const r = rng(17);
  const values: { value: Uint8Array; common?: boolean }[] = [];
  for (let i = 0; i < 20000; i++) {
    const digits = 1 + Math.floor(r() * 17);
    let d = '';
    for (let k = 0; k < digits; k++) d += String(Math.floor(r() * 10));
    d = d.replace(/^0+(?=\d)/, '');
    const point = Math.floor(r() * (d.length + 1));
    let num = point > 0 && point < d.length && r() < 0.7 ? `${d.slice(0, point)}.${d.slice(point)}` : d;
    if (r() < 0.3) num = `0.${'0'.repeat(Math.floor(r() * 4))}${d}`;
    if (r() < 0.4) num += `${r() < 0.5 ? 'e' : 'E'}${['', '+', '-'][Math.floor(r() * 3)]}${Math.floor(r() * 30)}`;
    if (r() < 0.5) num = `-${num}`;
    values.push(text(`{"env":"e","x":${num},"y":${num}}`));
  }
  const c = compare(values);
  assert.ok(c.accepted > 5000 && c.declinedValid > 2000, JSON.stringify(c));
  // Integers and limits the fast path is exact for.
  const exact = ['0', '-0', '1', '9007199254740991', '999999999999999', '0.1', '0.2', '0.3', '1e22', '1e-22', '123456789012345e-22', '5e-324', '2.5', '0.5e-22', '8.589973e9', '1.7976931348623157'];
  const e = compare(exact.map((x) => text(`{"env":"e","x":${x},"y":${x}}`)));
  assert.equal(e.accepted + e.declinedValid, exact.length);
});

test('what the stage takes: flat records of the columns\' own types, in any key order, keys of no column included', () => {
  const stage = jsonStage(binary, schema, false);
  const take = (s: string): boolean => {
    const { buf, start, end } = embedded(Buffer.from(s, 'utf8'));
    return stage.add(buf, start, end) === STAGED;
  };
  assert.equal(take('{"env":"prod","n":1,"x":-0,"ok":false,"unknown":"a\\"b","big":-5,"y":2.5}'), true);
  assert.equal(take(' { "msg" : null , "env" : "ß" } '), true);
  assert.equal(take('{"ümlaut":"ö","constructor":"c","environment":"e","env":"x","other":{}}'.replace(',"other":{}', ',"other":-1e5')), true);
  assert.equal(take('{"env":"a\\"b","msg":"\\ud83d\\ude00\\n"}'), true);
  assert.equal(take('{"environment":"e","env":"x"}'), true); // a name that starts another
  assert.equal(take('{"env":"a","x":0.00000000000000001234,"y":-1234.5e-20}'), true); // zeros after the point are not significant digits
  assert.equal(stage.staged, 6);
  // left to json-direct and the general path:
  for (const s of [
    '{"env":"a","n":"5"}', // a string for an int column
    '{"env":"a","n":2147483648}', // beyond an int
    '{"env":"a","n":-2147483649}',
    '{"env":"a","big":1234567890123456789}', // 19 digits
    '{"env":"a","x":1e23}', // a power of ten beyond 22
    '{"env":"a","n":1.0}', // an int column's value written with a point
    '{"env":"a","inner":{"a":1}}', // a nested object
    '{"env":"a","env":"b"}', // a repeated key
    '{"msg":"no env"}', // a required column missing
    '{"env":null}', // a required column null
    '{"e\\u006ev":"a"}', // an escape in a key
    '{"env":"a","a\\"b":"v"}', // the key of a column whose name JSON escapes
    '{"env":"a"} x',
    '["env"]',
    '',
  ]) assert.equal(take(s), false, s);
  assert.equal(stage.staged, 6);
});

test('more than 64 columns, keys in any order, some absent: the same file', async () => {
  const fields = Array.from({ length: 150 }, (_, i) => ({ id: i + 1, name: `c${i}`, required: i === 70, type: i % 3 === 0 ? 'long' : 'string' }) as const);
  const wide: Schema = { type: 'struct', 'schema-id': 0, fields: [...fields] };
  const bin = (await assembleJsonStage(wide, false))!;
  const r = rng(29);
  const values: { value: Uint8Array; common?: boolean }[] = [];
  for (let n = 0; n < 1500; n++) {
    const parts = fields.filter((f) => f.required || r() < 0.7).map((f) => `"${f.name}":${f.type === 'long' ? Math.floor(r() * 1e6) : `"v${n}"`}`);
    for (let i = parts.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [parts[i], parts[j]] = [parts[j], parts[i]];
    }
    if (n % 10 === 9) parts.push(parts[Math.floor(r() * parts.length)]); // a repeated key, in any word of the bits
    values.push({ value: Buffer.from(`{${parts.join(',')}}`), common: n % 10 !== 9 });
  }
  values.push({ value: Buffer.from('{"c0":1}') }); // c70 missing
  const c = compare(values, wide, bin);
  assert.deepEqual(c, { accepted: 1350, declinedValid: 150, refused: 1 });
});

test('with the Kafka columns: the same file as the worker\'s general path; a full stage; a large buffer and a reused one', async () => {
  const table: Schema = { ...schema, fields: [...schema.fields, ...KAFKA_COLUMNS] };
  const stage = jsonStage((await assembleJsonStage(schema, true))!, schema, true);
  const r = rng(23);
  const fast = new ParquetFileBuilder(table);
  const slow = new ParquetFileBuilder(table);
  const long = 'ü'.repeat(5000);
  let full = 0;
  // The records one after another in one large buffer (the source region grows), as in a fetch.
  const records: Buffer[] = [];
  for (let n = 0; n < 3000; n++) {
    let t: string;
    let common: boolean;
    do ({ text: t, common } = record(r));
    while (!common);
    records.push(Buffer.from(n % 50 === 0 ? t.replace(/"env"(\s*):(\s*)"/, `"env"$1:$2"${long}`) : t));
  }
  const big = Buffer.concat(records);
  let at = 0;
  for (let n = 0; n < records.length; n++) {
    const v = records[n];
    const partition = n % 7;
    const offset = 2 ** 40 + n * 3;
    const timestamp = 1_764_000_000_000_000 + n * 1000;
    const row = decoder.decode(v) as Row;
    let got = stage.add(big, at, at + v.length, partition, offset, timestamp);
    if (got === FULL) {
      full++;
      flush(stage, fast);
      got = stage.add(big, at, at + v.length, partition, offset, timestamp);
    }
    const kafkaRow = { ...row, _kafka_partition: partition, _kafka_offset: BigInt(offset), _kafka_timestamp: BigInt(timestamp) };
    assert.equal(got, STAGED);
    slow.append(kafkaRow);
    at += v.length;
    if (stage.staged === STAGE_ROWS) flush(stage, fast);
  }
  // The same object with other bytes: read again only after forget().
  const small = Buffer.from('{"env":"first"}');
  assert.equal(stage.add(small, 0, small.length, 1, 1, 1), STAGED);
  slow.append({ ...(decoder.decode(small) as Row), _kafka_partition: 1, _kafka_offset: 1n, _kafka_timestamp: 1n });
  small.set(Buffer.from('{"env":"other"}'));
  stage.forget();
  assert.equal(stage.add(small, 0, small.length, 1, 2, 2), STAGED);
  slow.append({ ...(decoder.decode(small) as Row), _kafka_partition: 1, _kafka_offset: 2n, _kafka_timestamp: 2n });
  flush(stage, fast);
  assertSameFiles(fast, slow);
  assert.ok(full > 0, 'the stage never filled');
  // A timestamp (or offset) that is no safe integer, as from a corrupt batch: declined, not a trap.
  for (const [offset, timestamp] of [[0, 2 ** 80], [0, 1.5], [0, NaN], [2 ** 60, 0]]) assert.equal(stage.add(small, 0, small.length, 0, offset, timestamp), DECLINED);
  // A record that does not fit an empty stage: declined.
  const huge = Buffer.from(`{"env":"${'x'.repeat(300 * 1024)}"}`);
  assert.equal(stage.add(huge, 0, huge.length), DECLINED);
  assert.equal(stage.staged, 0);
});

test('a string region filled to its last byte: every length of value, across the flush', async () => {
  const one: Schema = { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 's', required: true, type: 'string' }] };
  const bin = (await assembleJsonStage(one, false))!;
  const dec = createDecoder('json', one);
  for (let length = 17; length <= 48; length++) {
    const stage = jsonStage(bin, one, false);
    const fast = new ParquetFileBuilder(one);
    const slow = new ParquetFileBuilder(one);
    let full = 0;
    for (let n = 0; full < 2; n++) {
      // Values of one length, an escape in some (decoded shorter than written).
      const body = n % 3 === 0 ? `\\n${String(n).padStart(length - 1, 'x')}` : String(n).padStart(length, 'y');
      const v = Buffer.from(`{"s":"${body}"}`);
      let r = stage.add(v, 0, v.length);
      if (r === FULL) {
        full++;
        flush(stage, fast);
        r = stage.add(v, 0, v.length);
      }
      assert.equal(r, STAGED);
      slow.append(dec.decode(v));
    }
    flush(stage, fast);
    assertSameFiles(fast, slow);
  }
});

test('dates and timestamps written in many ways: staged exactly as the coercer reads them', () => {
  const r = rng(31);
  const pick = <T,>(a: readonly T[]): T => a[Math.floor(r() * a.length)];
  const digits = (n: number, max: number): string => String(Math.floor(r() * max)).padStart(n, '0');
  const values: { value: Uint8Array }[] = [];
  for (let i = 0; i < 20000; i++) {
    let t = `${digits(4, 10000)}-${digits(2, r() < 0.9 ? 13 : 100)}-${digits(2, r() < 0.9 ? 32 : 100)}`;
    if (r() < 0.8) {
      t += `${pick(['T', 't', ' ', 'T', 'X'])}${digits(2, r() < 0.9 ? 24 : 100)}:${digits(2, r() < 0.9 ? 60 : 100)}`;
      if (r() < 0.7) {
        t += `:${digits(2, r() < 0.9 ? 60 : 100)}`;
        if (r() < 0.5) t += `${pick(['.', ',', '.'])}${'123456789012'.slice(0, Math.floor(r() * 12))}`;
      }
    }
    if (r() < 0.7) t += pick(['Z', 'z', `+${digits(2, 26)}`, `-${digits(2, 26)}:${digits(2, 62)}`, `+${digits(2, 24)}${digits(2, 60)}`, '+05:', '+5', 'ZZ', ' ']);
    if (r() < 0.03) t = t.slice(0, Math.floor(r() * t.length));
    const day = r() < 0.5 ? t.slice(0, 10) : t;
    values.push(text(`{"env":"e","at":"${t}","day":"${day}"}`));
  }
  const c = compare(values);
  assert.ok(c.accepted > 3000 && c.refused > 3000, JSON.stringify(c));
  // The common forms are all staged.
  const common = ['2026-11-25T10:00:00Z', '2026-11-25T10:00:00.123Z', '2026-11-25T10:00:00.123456789+01:00', '2026-11-25 10:00:00', '2026-11-25T10:00:00-0800', '2026-11-25'];
  const stage = jsonStage(binary, schema, false);
  for (const t of common) {
    const { buf, start, end } = embedded(Buffer.from(`{"env":"e","at":"${t}","day":"2026-11-25"}`));
    assert.equal(stage.add(buf, start, end), STAGED, t);
  }
});

test('slots filled to the last: each number, date and timestamp column answers FULL, and nothing is lost across the flush', async () => {
  const values: Record<string, (i: number) => unknown> = { int: (i) => i, long: (i) => i * 1_000_003, date: (i) => (i % 3 ? '2026-11-25' : i), timestamp: (i) => (i % 3 ? '2026-11-25T10:00:00Z' : i), double: (i) => i / 8, boolean: (i) => i % 3 === 0 };
  for (const [type, value] of Object.entries(values)) {
    // One column, so that no other column's full slots answer for it.
    const one: Schema = { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'v', required: true, type: type as 'int' }] };
    const dec = createDecoder('json', one);
    const stage = jsonStage((await assembleJsonStage(one, false))!, one, false);
    const fast = new ParquetFileBuilder(one);
    const slow = new ParquetFileBuilder(one);
    let full = 0;
    for (let i = 0; i < 40_000; i++) {
      const v = Buffer.from(JSON.stringify({ v: value(i) }));
      let r = stage.add(v, 0, v.length);
      if (r === FULL) {
        // Only when the slots are full (the stage is never flushed before).
        assert.equal(stage.staged, 16384, type);
        full++;
        flush(stage, fast);
        r = stage.add(v, 0, v.length);
      }
      assert.equal(r, STAGED, type);
      slow.append(dec.decode(v));
    }
    flush(stage, fast);
    assert.equal(full, 2, type);
    assertSameFiles(fast, slow);
  }
});
