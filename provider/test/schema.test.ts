import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Schema, InvalidSchemaError, MAX_FIELD_DEPTH, type SchemaField } from '../src/index.ts';
import { catchError, seedEventsSchema } from './helpers.ts';

test('builds the seed schema in the inline form the API takes', () => {
  const s = seedEventsSchema();
  assert.equal(s.fields.length, 7);
  assert.deepEqual(s.fields[5], {
    name: 'cookies', id: 20, type: 'list', optional: false,
    fields: [{ name: 'element', id: 21, type: 'string', optional: false }],
  });
  assert.deepEqual(s.fields[6].fields, [
    { name: 'key', id: 23, type: 'string', optional: false },
    { name: 'value', id: 24, type: 'string', optional: false },
  ]);
  assert.deepEqual(s.fields[4].fields?.[1].fields?.[2], { name: 'vendor', id: 25, type: 'string', optional: true });
  assert.equal(s.maxId, 25);
});

test('nested element and value types keep their ids', () => {
  const s = Schema.of(
    Schema.list('orders', 1, {
      elementId: 2,
      element: Schema.structType([Schema.decimal('amount', 3, 10, 2), Schema.map('tags', 4, { keyId: 5, key: 'string', valueId: 6, value: Schema.listType({ elementId: 7, element: 'long' }) })]),
      elementOptional: true,
    }),
  );
  const element = s.fields[0].fields![0];
  assert.equal(element.name, 'element');
  assert.equal(element.type, 'struct');
  assert.equal(element.optional, true);
  assert.equal(element.fields![0].type, 'decimal(10, 2)');
  assert.deepEqual(element.fields![1].fields![1].fields, [{ name: 'element', id: 7, type: 'long', optional: false }]);
  assert.deepEqual(s.ids, [1, 2, 3, 4, 5, 6, 7]);
});

test('fails if two fields share an id, naming both and the id', () => {
  const err = catchError(() => Schema.of(Schema.string('a', 1), Schema.struct('s', 2, [Schema.int('b', 1)])));
  assert.ok(err instanceof InvalidSchemaError);
  assert.match(err.message, /duplicate field id 1: used by "a" and "s\.b"/);
});

test('fails if a list element id collides with a column id', () => {
  assert.throws(() => Schema.of(Schema.string('a', 21), Schema.list('cookies', 20, { elementId: 21, element: 'string' })), /duplicate field id 21: used by "a" and "cookies\.element"/);
});

test('fails if an id is not a positive integer', () => {
  assert.throws(() => Schema.of(Schema.string('a', 0)), /field "a": id must be a positive integer, got 0/);
  assert.throws(() => Schema.of(Schema.string('a', 1.5)), /field "a": id must be a positive integer, got 1\.5/);
});

test('fails if two columns share a name at one level', () => {
  assert.throws(() => Schema.of(Schema.string('a', 1), Schema.long('a', 2)), /duplicate field name "a" in the top level/);
});

test('fails if a type is unknown or out of range', () => {
  assert.throws(() => Schema.of(Schema.primitive('a', 1, 'varchar' as never)), /field "a": unknown type "varchar"/);
  assert.throws(() => Schema.of(Schema.decimal('price', 1, 40, 2)), /field "price": decimal precision must be 1\.\.38, got 40/);
  assert.throws(() => Schema.of(Schema.decimal('price', 1, 5, 7)), /decimal scale must not exceed precision, got decimal\(5, 7\)/);
  assert.throws(() => Schema.of(Schema.fixed('h', 1, 0)), /fixed length must be at least 1, got 0/);
});

test('fails if a struct is empty or the schema has no fields', () => {
  assert.throws(() => Schema.of(Schema.struct('s', 1, [])), /field "s": a struct needs at least one field/);
  assert.throws(() => Schema.of(), /a schema needs at least one field/);
});

test('fails if the schema nests deeper than the provider allows', () => {
  let f: SchemaField = Schema.string('leaf', 100);
  for (let i = MAX_FIELD_DEPTH; i >= 1; i--) f = Schema.struct(`s${i}`, i, [f]);
  assert.throws(() => Schema.of(f), /field "s1\.s2\.s3\.s4\.s5\.s6\.leaf": nested 7 levels deep; at most 6 are supported/);
});

test('lists every problem at once', () => {
  const err = catchError(() => Schema.of(Schema.string('a', 1), Schema.string('a', 1), Schema.struct('s', 3, [])));
  assert.ok(err instanceof InvalidSchemaError);
  assert.equal(err.issues.length, 3);
  assert.equal(err.code, 'FLOE_CDKTF_INVALID_SCHEMA');
});
