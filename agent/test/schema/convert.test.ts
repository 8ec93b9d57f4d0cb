import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/errors.ts';
import {
  MAX_USER_FIELD_ID,
  icebergToInline,
  inlineToIceberg,
  parseInlineSchema,
  parseTypeString,
  typeToString,
} from '../../src/schema/convert.ts';
import type { Schema } from '../../src/schema/types.ts';
import { RESERVED_FIELD_ID_BASE } from '../../src/ingest/tables.ts';

const every = {
  fields: [
    { name: 'b', id: 1, type: 'boolean' },
    { name: 'i', id: 2, type: 'int', optional: true },
    { name: 'l', id: 3, type: 'long' },
    { name: 'f', id: 4, type: 'float' },
    { name: 'd', id: 5, type: 'double' },
    { name: 'dec', id: 6, type: 'decimal(10,2)' },
    { name: 'dt', id: 7, type: 'date' },
    { name: 't', id: 8, type: 'time' },
    { name: 'ts', id: 9, type: 'timestamp' },
    { name: 'tstz', id: 10, type: 'timestamptz' },
    { name: 's', id: 11, type: 'string', doc: 'a comment' },
    { name: 'u', id: 12, type: 'uuid' },
    { name: 'bin', id: 13, type: 'binary' },
    { name: 'fx', id: 14, type: 'fixed[16]' },
    {
      name: 'st',
      id: 15,
      type: 'struct',
      optional: true,
      fields: [
        { name: 'x', id: 16, type: 'int' },
        { name: 'inner', id: 17, type: 'list', fields: [{ name: 'element', id: 18, type: 'struct', optional: true, fields: [{ name: 'y', id: 19, type: 'long' }] }] },
      ],
    },
    { name: 'm', id: 20, type: 'map', fields: [{ name: 'value', id: 22, type: 'double', optional: true }, { name: 'key', id: 21, type: 'int' }] },
  ],
};

test('every type converts to the Iceberg JSON shape', () => {
  const s = inlineToIceberg(every as never, 3);
  const expected: Schema = {
    type: 'struct',
    'schema-id': 3,
    fields: [
      { id: 1, name: 'b', required: true, type: 'boolean' },
      { id: 2, name: 'i', required: false, type: 'int' },
      { id: 3, name: 'l', required: true, type: 'long' },
      { id: 4, name: 'f', required: true, type: 'float' },
      { id: 5, name: 'd', required: true, type: 'double' },
      { id: 6, name: 'dec', required: true, type: 'decimal(10, 2)' },
      { id: 7, name: 'dt', required: true, type: 'date' },
      { id: 8, name: 't', required: true, type: 'time' },
      { id: 9, name: 'ts', required: true, type: 'timestamp' },
      { id: 10, name: 'tstz', required: true, type: 'timestamptz' },
      { id: 11, name: 's', required: true, type: 'string', doc: 'a comment' },
      { id: 12, name: 'u', required: true, type: 'uuid' },
      { id: 13, name: 'bin', required: true, type: 'binary' },
      { id: 14, name: 'fx', required: true, type: 'fixed[16]' },
      {
        id: 15,
        name: 'st',
        required: false,
        type: {
          type: 'struct',
          fields: [
            { id: 16, name: 'x', required: true, type: 'int' },
            {
              id: 17,
              name: 'inner',
              required: true,
              type: {
                type: 'list',
                'element-id': 18,
                element: { type: 'struct', fields: [{ id: 19, name: 'y', required: true, type: 'long' }] },
                'element-required': false,
              },
            },
          ],
        },
      },
      { id: 20, name: 'm', required: true, type: { type: 'map', 'key-id': 21, key: 'int', 'value-id': 22, value: 'double', 'value-required': false } },
    ],
  };
  assert.deepEqual(s, expected);
});

test('icebergToInline is the inverse (normalized: canonical types, key before value)', () => {
  const s = inlineToIceberg(every as never);
  const inline = icebergToInline(s);
  assert.deepEqual(inlineToIceberg(inline), s);
  assert.equal(inline.fields[5].type, 'decimal(10, 2)');
  assert.deepEqual(inline.fields[15].fields?.map((f) => f.name), ['key', 'value']);
  assert.equal(inline.fields[1].optional, true);
  assert.equal(inline.fields[0].optional, false);
  assert.equal(inline.fields[10].doc, 'a comment');
});

test('parseTypeString accepts spacing and case variants and normalizes them', () => {
  for (const [text, canonical] of [
    ['decimal(10, 2)', 'decimal(10, 2)'],
    ['decimal(10,2)', 'decimal(10, 2)'],
    ['decimal( 10 ,2 )', 'decimal(10, 2)'],
    ['Decimal(38, 38)', 'decimal(38, 38)'],
    ['decimal(1, 0)', 'decimal(1, 0)'],
    ['fixed[16]', 'fixed[16]'],
    ['FIXED[ 4 ]', 'fixed[4]'],
    ['String', 'string'],
    [' long ', 'long'],
    ['timestamptz', 'timestamptz'],
  ]) {
    assert.deepEqual(parseTypeString(text), { ok: true, type: canonical }, text);
  }
  for (const [text, message] of [
    ['decimal(0, 0)', '"decimal(0, 0)": decimal precision 0 is out of range 1..38'],
    ['decimal(39, 2)', '"decimal(39, 2)": decimal precision 39 is out of range 1..38'],
    ['decimal(4, 5)', '"decimal(4, 5)": decimal scale 5 must be between 0 and the precision 4'],
    ['decimal', '"decimal": decimal needs precision and scale, e.g. decimal(10, 2)'],
    ['decimal(10)', '"decimal(10)": decimal needs precision and scale, e.g. decimal(10, 2)'],
    ['fixed', '"fixed": fixed needs a length, e.g. fixed[16]'],
    ['intt', 'unknown type "intt" (did you mean int?); supported: boolean, int, long, float, double, date, time, timestamp, timestamptz, string, uuid, binary, decimal(P, S), fixed[L], struct, list, map'],
  ]) {
    assert.deepEqual(parseTypeString(text), { ok: false, message }, text);
  }
});

test('ids must be unique across the whole schema, including element, key and value ids', () => {
  const r = parseInlineSchema({
    fields: [
      { name: 'a', id: 1, type: 'list', fields: [{ name: 'element', id: 2, type: 'string' }] },
      { name: 'b', id: 3, type: 'map', fields: [{ name: 'key', id: 2, type: 'string' }, { name: 'value', id: 1, type: 'string' }] },
    ],
  });
  assert.deepEqual(r, {
    ok: false,
    issues: [
      { path: 'schema.fields[1].fields[0].id', message: 'duplicate id 2 (first used at schema.fields[0].fields[0].id)' },
      { path: 'schema.fields[1].fields[1].id', message: 'duplicate id 1 (first used at schema.fields[0].id)' },
    ],
  });
});

test('ids are positive integers below the reserved range of the agent columns', () => {
  assert.equal(MAX_USER_FIELD_ID, RESERVED_FIELD_ID_BASE - 1);
  const r = parseInlineSchema({ fields: [{ name: 'a', id: 0, type: 'int' }, { name: 'b', id: 1.5, type: 'int' }, { name: 'c', id: -3, type: 'int' }] });
  assert.deepEqual(r.ok ? [] : r.issues, [
    { path: 'schema.fields[0].id', message: 'id 0 is out of range 1..1999999999' },
    { path: 'schema.fields[1].id', message: 'expected a positive integer, got number 1.5' },
    { path: 'schema.fields[2].id', message: 'id -3 is out of range 1..1999999999' },
  ]);
});

test('list and map shapes', () => {
  const issues = (fields: unknown) => {
    const r = parseInlineSchema({ fields: [{ name: 'x', id: 1, type: fields === undefined ? 'list' : (fields as { t: string }).t, fields: (fields as { f?: unknown })?.f }] });
    return r.ok ? [] : r.issues.map((i) => `${i.path}: ${i.message}`);
  };
  assert.deepEqual(issues(undefined), ['schema.fields[0].fields: missing required field (a list lists its one element entry in fields)']);
  assert.deepEqual(issues({ t: 'list', f: [{ name: 'element', id: 2, type: 'int' }, { name: 'element2', id: 3, type: 'int' }] }), [
    'schema.fields[0].fields: a list has exactly one entry named element, got 2 entries',
  ]);
  assert.deepEqual(issues({ t: 'map', f: [{ name: 'key', id: 2, type: 'string' }] }), [
    'schema.fields[0].fields: a map has exactly two entries named key and value, got "key"',
  ]);
  assert.deepEqual(issues({ t: 'map', f: [{ name: 'k', id: 2, type: 'string' }, { name: 'v', id: 3, type: 'string' }] }), [
    'schema.fields[0].fields: a map has exactly two entries named key and value, got "k", "v"',
  ]);
  assert.deepEqual(issues({ t: 'struct', f: 'a, b' }), ['schema.fields[0].fields: expected a list of fields, got string "a, b"']);
});

test('reserved and empty names', () => {
  const r = parseInlineSchema({ fields: [{ name: '__proto__', id: 1, type: 'int' }, { name: '', id: 2, type: 'int' }, { name: 7, id: 3, type: 'int' }] });
  assert.deepEqual(r.ok ? [] : r.issues, [
    { path: 'schema.fields[0].name', message: '"__proto__" is reserved and cannot be a field name' },
    { path: 'schema.fields[1].name', message: 'must not be empty' },
    { path: 'schema.fields[2].name', message: 'expected string, got number 7' },
  ]);
});

test('inlineToIceberg throws a ConfigError with paths under the given prefix', () => {
  assert.throws(
    () => inlineToIceberg({ fields: [{ name: 'a', id: 1, type: 'strin', optional: false }] }, 0, 'tables[3].schema'),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.equal(e.issues[0].path, 'tables[3].schema.fields[0].type');
      return true;
    },
  );
});

test('typeToString spells nested types for messages', () => {
  const s = inlineToIceberg(every as never);
  assert.equal(typeToString(s.fields[14].type), 'struct');
  assert.equal(typeToString(s.fields[15].type), 'map<int, double>');
  const st = s.fields[14].type;
  assert.ok(typeof st === 'object' && st.type === 'struct');
  assert.equal(typeToString(st.fields[1].type), 'list<struct>');
});
