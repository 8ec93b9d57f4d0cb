import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DecodeError } from '../../src/errors.ts';
import { compileRowCoercer, daysFromCivil, parseDate, parseDecimal, parseTime, parseTimestamp } from '../../src/schema/coerce.ts';
import { inlineToIceberg } from '../../src/schema/convert.ts';
import type { Row } from '../../src/schema/types.ts';

function coercer(fields: unknown[]) {
  return compileRowCoercer(inlineToIceberg({ fields } as never));
}

function one(type: string, optional = false) {
  const c = coercer([{ name: 'v', id: 1, type, optional }]);
  return (v: unknown) => c({ v }).v;
}

function failure(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof DecodeError, `expected DecodeError, got ${String(e)}`);
    return e.message;
  }
  assert.fail('expected a DecodeError');
}

test('calendar arithmetic matches Date for a spread of days', () => {
  for (const [y, m, d] of [[1970, 1, 1], [2000, 2, 29], [1969, 12, 31], [2024, 3, 1], [1, 1, 1], [9999, 12, 31], [1600, 2, 29]]) {
    const viaDate = new Date(0);
    viaDate.setUTCFullYear(y, m - 1, d);
    viaDate.setUTCHours(0, 0, 0, 0);
    assert.equal(daysFromCivil(y, m, d), viaDate.getTime() / 86_400_000, `${y}-${m}-${d}`);
  }
});

test('dates', () => {
  assert.equal(parseDate('1970-01-01'), 0);
  assert.equal(parseDate('2024-02-29'), 19782);
  assert.equal(parseDate('1969-12-31'), -1);
  assert.equal(parseDate('2023-02-29'), undefined);
  assert.equal(parseDate('2023-13-01'), undefined);
  assert.equal(parseDate('2023-1-01'), undefined);
  const date = one('date');
  assert.equal(date('2024-02-29'), 19782);
  assert.equal(date(19782), 19782);
  assert.equal(date('19782'), 19782);
  assert.equal(failure(() => date('2023-02-29')), 'v: expected date (YYYY-MM-DD), got string "2023-02-29"');
  assert.equal(failure(() => date(1.5)), 'v: expected date, got number 1.5 (not an integer)');
});

test('times: HH:MM[:SS[.ffffff]] and integer microseconds', () => {
  assert.equal(parseTime('00:00'), 0n);
  assert.equal(parseTime('12:34:56'), 45_296_000_000n);
  assert.equal(parseTime('12:34:56.5'), 45_296_500_000n);
  assert.equal(parseTime('23:59:59.999999999'), 86_399_999_999n);
  assert.equal(parseTime('24:00:00'), undefined);
  const time = one('time');
  assert.equal(time('01:00:00.000001'), 3_600_000_001n);
  assert.equal(time(5), 5n);
  assert.equal(failure(() => time(86_400_000_000)), 'v: expected time, got number 86400000000 (microseconds since midnight out of range)');
  assert.equal(failure(() => time('1pm')), 'v: expected time (HH:MM:SS[.ffffff]), got string "1pm"');
});

test('timestamps: ISO-8601 with and without offsets -> UTC microseconds', () => {
  assert.equal(parseTimestamp('1970-01-01T00:00:00Z'), 0n);
  assert.equal(parseTimestamp('2024-05-06T07:08:09.123456Z'), 1714979289123456n);
  assert.equal(parseTimestamp('2024-05-06T09:08:09.123456+02:00'), 1714979289123456n);
  assert.equal(parseTimestamp('2024-05-06T02:38:09.123456-04:30'), 1714979289123456n);
  assert.equal(parseTimestamp('2024-05-06 07:08:09.123456789'), 1714979289123456n); // nanoseconds truncated
  assert.equal(parseTimestamp('2024-05-06T07:08:09+0200'), 1714979289000000n - 7_200_000_000n);
  assert.equal(parseTimestamp('2024-05-06'), 1714953600000000n);
  assert.equal(parseTimestamp('1969-12-31T23:59:59.5Z'), -500_000n);
  assert.equal(parseTimestamp('2024-05-06T07:08:60Z'), undefined);
  assert.equal(parseTimestamp('2024-05-06T07:08'), 1714979280000000n);
  assert.equal(parseTimestamp('yesterday'), undefined);
  for (const type of ['timestamp', 'timestamptz']) {
    const ts = one(type);
    assert.equal(ts('2024-05-06T09:08:09.123456+02:00'), 1714979289123456n);
    assert.equal(ts(1714979289123456), 1714979289123456n);
    assert.equal(ts('1714979289123456'), 1714979289123456n);
    assert.equal(failure(() => ts('May 6')), `v: expected ${type} (ISO-8601 or microseconds since the epoch), got string "May 6"`);
    assert.equal(failure(() => ts(1.5)), `v: expected ${type}, got number 1.5 (not an integer)`);
  }
});

test('decimal text is parsed exactly at the column scale', () => {
  assert.equal(parseDecimal('1.5', 2), 150n);
  assert.equal(parseDecimal('-0.01', 2), -1n);
  assert.equal(parseDecimal('1.500', 2), 150n);
  assert.equal(parseDecimal('1.234', 2), 'more than 2 fractional digits');
  assert.equal(parseDecimal('12e2', 0), 1200n);
  assert.equal(parseDecimal('1.5e-1', 2), 15n);
  assert.equal(parseDecimal('.5', 1), 5n);
  assert.equal(parseDecimal('5.', 1), 50n);
  assert.equal(parseDecimal('0', 3), 0n);
  assert.equal(parseDecimal('-0.000', 2), 0n);
  assert.equal(parseDecimal('123456789012345678901234567890.12', 2), 12345678901234567890123456789012n);
  assert.equal(parseDecimal('abc', 2), 'not a number');
  assert.equal(parseDecimal('.', 2), 'not a number');
  assert.equal(parseDecimal('1.5', 0), 'not an integer');
});

test('decimal coercion: numbers, strings, negative values, precision and scale', () => {
  const dec = one('decimal(5, 2)');
  assert.equal(dec(123), 12300n);
  assert.equal(dec('-123.45'), -12345n);
  assert.equal(dec('999.99'), 99999n);
  assert.equal(failure(() => dec('1000.00')), 'v: expected decimal(5, 2), got string "1000.00" (6 digits exceed precision 5)');
  assert.equal(failure(() => dec('1.001')), 'v: expected decimal(5, 2), got string "1.001" (more than 2 fractional digits)');
  assert.equal(failure(() => dec(true)), 'v: expected decimal(5, 2), got boolean true');
});

test('integers: ranges, fractions, numeric strings', () => {
  const int = one('int');
  assert.equal(int(2147483647), 2147483647);
  assert.equal(int('-2147483648'), -2147483648);
  assert.equal(failure(() => int(2147483648)), 'v: expected int, got number 2147483648 (out of range for a 32-bit integer)');
  assert.equal(failure(() => int(1.5)), 'v: expected int, got number 1.5 (not an integer)');
  assert.equal(failure(() => int('12a')), 'v: expected int, got string "12a"');
  const long = one('long');
  assert.equal(long(42), 42n);
  assert.equal(long(1.0), 1n);
  assert.equal(long('9223372036854775807'), 9223372036854775807n);
  assert.equal(long('-9223372036854775808'), -9223372036854775808n);
  assert.equal(failure(() => long('9223372036854775808')), 'v: expected long, got string "9223372036854775808" (out of range for a 64-bit integer)');
  assert.equal(failure(() => long('abc')), 'v: expected long, got string "abc"');
  assert.equal(failure(() => long(2.5)), 'v: expected long, got number 2.5 (not an integer)');
});

test('floats, doubles, booleans, strings, uuids', () => {
  const f = one('float');
  const d = one('double');
  assert.equal(d(1.25), 1.25);
  assert.equal(d('1e3'), 1000);
  assert.ok(Number.isNaN(d('NaN')));
  assert.equal(d('-Infinity'), -Infinity);
  assert.equal(failure(() => d('fast')), 'v: expected double, got string "fast"');
  assert.equal(failure(() => f(1e39)), 'v: expected float, got number 1e+39 (out of range for a 32-bit float)');
  assert.equal(one('boolean')(false), false);
  assert.equal(failure(() => one('boolean')('true')), 'v: expected boolean, got string "true"');
  assert.equal(failure(() => one('string')(5)), 'v: expected string, got number 5');
  const u = one('uuid');
  assert.equal(u('123E4567-E89B-12D3-A456-426614174000'), '123e4567-e89b-12d3-a456-426614174000');
  assert.equal(failure(() => u('123e4567e89b12d3a456426614174000')), 'v: expected uuid (8-4-4-4-12 hex digits), got string "123e4567e89b12d3a456426614174000"');
});

test('binary and fixed from base64', () => {
  const b = one('binary');
  assert.deepEqual(b('AQID'), new Uint8Array([1, 2, 3]));
  assert.deepEqual(b('AQI'), new Uint8Array([1, 2])); // unpadded
  assert.deepEqual(b('-_8'), new Uint8Array([0xfb, 0xff])); // URL-safe alphabet
  assert.deepEqual(b(''), new Uint8Array([]));
  assert.equal(failure(() => b('not base64!')), 'v: expected binary as base64, got string "not base64!"');
  const fx = one('fixed[4]');
  assert.deepEqual(fx('AQIDBA=='), new Uint8Array([1, 2, 3, 4]));
  assert.equal(failure(() => fx('AQID')), 'v: expected fixed[4] (4 bytes), got 3 bytes');
});

test('nested structs, lists and maps report the full path', () => {
  const c = coercer([
    { name: 'profile', id: 1, type: 'struct', fields: [{ name: 'country', id: 2, type: 'string' }, { name: 'age', id: 3, type: 'int', optional: true }] },
    { name: 'tags', id: 4, type: 'list', fields: [{ name: 'element', id: 5, type: 'string' }] },
    { name: 'attrs', id: 6, type: 'map', fields: [{ name: 'key', id: 7, type: 'string' }, { name: 'value', id: 8, type: 'long' }] },
    { name: 'byDay', id: 9, type: 'map', optional: true, fields: [{ name: 'key', id: 10, type: 'date' }, { name: 'value', id: 11, type: 'int', optional: true }] },
    { name: 'flags', id: 12, type: 'map', optional: true, fields: [{ name: 'key', id: 13, type: 'boolean' }, { name: 'value', id: 14, type: 'string' }] },
  ]);
  const good = { profile: { country: 'DE' }, tags: ['a'], attrs: { x: 1 } };
  assert.deepEqual(c(good), { profile: { country: 'DE', age: null }, tags: ['a'], attrs: new Map([['x', 1n]]), byDay: null, flags: null });
  assert.deepEqual(c({ ...good, byDay: { '2024-01-02': 3, '1970-01-01': null } }).byDay, new Map([[19724, 3], [0, null]]));
  assert.deepEqual(c({ ...good, byDay: [{ key: '2024-01-02', value: 3 }, { key: 1 }] }).byDay, new Map([[19724, 3], [1, null]]));
  assert.deepEqual(c({ ...good, flags: { true: 'yes' } }).flags, new Map([[true, 'yes']]));

  assert.equal(failure(() => c({ ...good, profile: {} })), 'profile.country: missing required field');
  assert.equal(failure(() => c({ ...good, profile: { country: null } })), 'profile.country: null for required field');
  assert.equal(failure(() => c({ ...good, profile: 'DE' })), 'profile: expected object, got string "DE"');
  assert.equal(failure(() => c({ ...good, tags: ['a', 7] })), 'tags[1]: expected string, got number 7');
  assert.equal(failure(() => c({ ...good, tags: ['a', null] })), 'tags[1]: null for required element');
  assert.equal(failure(() => c({ ...good, attrs: { x: 'y' } })), 'attrs["x"]: expected long, got string "y"');
  assert.equal(failure(() => c({ ...good, attrs: { x: null } })), 'attrs["x"]: null for required value');
  assert.equal(failure(() => c({ ...good, byDay: { tomorrow: 1 } })), 'byDay: key "tomorrow": expected date (YYYY-MM-DD), got string "tomorrow"');
  assert.equal(failure(() => c({ ...good, byDay: [{ key: 'x', value: 1 }] })), 'byDay[0].key: expected date (YYYY-MM-DD), got string "x"');
  assert.equal(failure(() => c({ ...good, byDay: [{ key: 1, value: 1 }, { key: 1, value: 2 }] })), 'byDay[1].key: duplicate key 1');
  assert.equal(failure(() => c({ ...good, byDay: [{ value: 1 }] })), 'byDay[0]: expected {key, value} entry, got object');
  assert.equal(failure(() => c({ ...good, flags: { maybe: 'x' } })), 'flags: key "maybe": expected boolean ("true" or "false"), got string "maybe"');
  assert.equal(failure(() => c([good])), 'expected a JSON object at the top level, got array');
});

test('unknown fields are ignored; absent optional fields are null', () => {
  const c = coercer([{ name: 'a', id: 1, type: 'int' }, { name: 'b', id: 2, type: 'string', optional: true }]);
  assert.deepEqual(c({ a: 1, zzz: [1, 2, 3] }), { a: 1, b: null });
});

test('field names that exist on Object.prototype are read as own properties only', () => {
  const c = coercer([{ name: 'constructor', id: 1, type: 'string', optional: true }, { name: 'toString', id: 2, type: 'string' }]);
  assert.deepEqual(c({ toString: 'x' }), { constructor: null, toString: 'x' });
  assert.equal(failure(() => c({})), 'toString: missing required field');
});

test('rows are plain objects with the schema field order', () => {
  const c = coercer([{ name: 'b', id: 1, type: 'int' }, { name: 'a', id: 2, type: 'int' }]);
  const row: Row = c({ a: 1, b: 2 });
  assert.deepEqual(Object.keys(row), ['b', 'a']);
  assert.equal(Object.getPrototypeOf(row), Object.prototype);
});
