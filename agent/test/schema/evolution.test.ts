import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadConfig, tableSchema } from '../../src/config/index.ts';
import { inlineToIceberg } from '../../src/schema/convert.ts';
import { MigrationRefused, assertMigration, checkMigration, isWidening } from '../../src/schema/evolution.ts';
import type { Schema } from '../../src/schema/types.ts';

const seed = loadConfig(readFileSync(fileURLToPath(new URL('../../../examples/config/seed-example.yaml', import.meta.url)), 'utf8'));
const events = tableSchema(seed.tables[1]);

/** Inline fields as written in YAML -> Iceberg schema. */
function schema(fields: unknown[]): Schema {
  return inlineToIceberg({ fields } as never);
}

function refusals(a: Schema, b: Schema): string[] {
  const r = checkMigration(a, b);
  assert.equal(r.ok, false, 'expected the migration to be refused');
  return r.ok ? [] : r.issues.map((i) => `${i.path}: ${i.message}`);
}

function changes(a: Schema, b: Schema) {
  const r = checkMigration(a, b);
  assert.ok(r.ok, r.ok ? '' : r.issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
  return r.changes;
}

const base = [
  { name: 'event_id', id: 1, type: 'string' },
  { name: 'user_id', id: 2, type: 'long' },
  { name: 'count', id: 3, type: 'int' },
  { name: 'ratio', id: 4, type: 'float' },
  { name: 'price', id: 5, type: 'decimal(10, 2)' },
  { name: 'note', id: 6, type: 'string', optional: true },
];

test('the same schema migrates with no changes', () => {
  assert.deepEqual(checkMigration(events, events), { ok: true, changes: [] });
});

test('allowed: add optional column, required -> optional, int -> long, float -> double, decimal widening', () => {
  const next = schema([
    { name: 'event_id', id: 1, type: 'string', optional: true },
    { name: 'user_id', id: 2, type: 'long' },
    { name: 'count', id: 3, type: 'long' },
    { name: 'ratio', id: 4, type: 'double' },
    { name: 'price', id: 5, type: 'decimal(12,2)' },
    { name: 'note', id: 6, type: 'string', optional: true },
    { name: 'country', id: 7, type: 'string', optional: true },
  ]);
  assert.deepEqual(changes(schema(base), next), [
    { kind: 'make-optional', path: 'schema.fields[0]', field: 'event_id', id: 1 },
    { kind: 'widen-type', path: 'schema.fields[2]', field: 'count', id: 3, from: 'int', to: 'long' },
    { kind: 'widen-type', path: 'schema.fields[3]', field: 'ratio', id: 4, from: 'float', to: 'double' },
    { kind: 'widen-type', path: 'schema.fields[4]', field: 'price', id: 5, from: 'decimal(10, 2)', to: 'decimal(12, 2)' },
    { kind: 'add-field', path: 'schema.fields[6]', field: 'country', id: 7, parentId: null, added: { id: 7, name: 'country', required: false, type: 'string' } },
  ]);
});

test('allowed: nested additions in a struct, in a list element struct and in a map value struct', () => {
  const before = schema([
    { name: 'profile', id: 1, type: 'struct', fields: [{ name: 'country', id: 2, type: 'string' }] },
    { name: 'items', id: 3, type: 'list', fields: [{ name: 'element', id: 4, type: 'struct', fields: [{ name: 'sku', id: 5, type: 'string' }] }] },
    {
      name: 'attrs',
      id: 6,
      type: 'map',
      fields: [
        { name: 'key', id: 7, type: 'string' },
        { name: 'value', id: 8, type: 'struct', fields: [{ name: 'v', id: 9, type: 'int' }] },
      ],
    },
  ]);
  const after = schema([
    { name: 'profile', id: 1, type: 'struct', fields: [{ name: 'language', id: 10, type: 'string', optional: true }, { name: 'country', id: 2, type: 'string' }] },
    {
      name: 'items',
      id: 3,
      type: 'list',
      fields: [{ name: 'element', id: 4, type: 'struct', optional: true, fields: [{ name: 'sku', id: 5, type: 'string' }, { name: 'qty', id: 11, type: 'int', optional: true }] }],
    },
    {
      name: 'attrs',
      id: 6,
      type: 'map',
      fields: [
        { name: 'key', id: 7, type: 'string' },
        { name: 'value', id: 8, type: 'struct', fields: [{ name: 'v', id: 9, type: 'long' }, { name: 'w', id: 12, type: 'struct', optional: true, fields: [{ name: 'z', id: 13, type: 'int' }] }] },
      ],
    },
  ]);
  assert.deepEqual(
    changes(before, after).map((c) => `${c.kind} ${c.path} ${c.field} ${c.id}`),
    [
      'add-field schema.fields[0].fields[0] profile.language 10',
      'make-optional schema.fields[1].fields[0] items.element 4',
      'add-field schema.fields[1].fields[0].fields[1] items.element.qty 11',
      'widen-type schema.fields[2].fields[1].fields[0] attrs.value.v 9',
      'add-field schema.fields[2].fields[1].fields[1] attrs.value.w 12',
    ],
  );
});

test('allowed: adding to the seed events schema (the os.vendor / screen.model pattern)', () => {
  const next = structuredClone(events);
  const device = next.fields[4].type;
  assert.ok(typeof device === 'object' && device.type === 'struct');
  const browser = device.fields[2].type;
  assert.ok(typeof browser === 'object' && browser.type === 'struct');
  browser.fields.push({ id: 26, name: 'engine', required: false, type: 'string' });
  assert.deepEqual(changes(events, next).map((c) => `${c.kind} ${c.path} ${c.field}`), ['add-field schema.fields[4].fields[2].fields[2] device.browser.engine']);
});

test('refused: narrowing and other type changes name the path, the field, the old and the new type', () => {
  const next = schema([
    { name: 'event_id', id: 1, type: 'binary' },
    { name: 'user_id', id: 2, type: 'int' },
    { name: 'count', id: 3, type: 'string' },
    { name: 'ratio', id: 4, type: 'long' },
    { name: 'price', id: 5, type: 'decimal(12, 3)' },
    { name: 'note', id: 6, type: 'struct', optional: true, fields: [{ name: 'x', id: 7, type: 'int' }] },
  ]);
  const allowed = 'allowed: int -> long, float -> double, decimal(P,S) -> decimal(P2,S) with P2 > P';
  assert.deepEqual(refusals(schema(base), next), [
    `schema.fields[0]: event_id (id 1): type change string -> binary is not a widening; ${allowed}`,
    `schema.fields[1]: user_id (id 2): type change long -> int is not a widening; ${allowed}`,
    `schema.fields[2]: count (id 3): type change int -> string is not a widening; ${allowed}`,
    `schema.fields[3]: ratio (id 4): type change float -> long is not a widening; ${allowed}`,
    `schema.fields[4]: price (id 5): type change decimal(10, 2) -> decimal(12, 3) is not a widening; ${allowed}`,
    `schema.fields[5]: note (id 6): type change string -> struct is not allowed; ${allowed}`,
  ]);
});

test('refused: decimal precision narrowing and same precision', () => {
  assert.equal(isWidening('decimal(10, 2)', 'decimal(9, 2)'), false);
  assert.equal(isWidening('decimal(10, 2)', 'decimal(10, 2)'), false);
  assert.equal(isWidening('decimal(10, 2)', 'decimal(38, 2)'), true);
  assert.equal(isWidening('int', 'double'), false);
  assert.equal(isWidening('long', 'timestamp'), false);
});

test('refused: dropping a field (top level and nested)', () => {
  const next = schema(base.filter((f) => f.id !== 3));
  assert.deepEqual(refusals(schema(base), next), [
    'schema.fields[2]: count (id 3): dropped; dropping fields is not supported (make it optional and stop sending it instead)',
  ]);
  const noLanguage = structuredClone(events);
  const profile = noLanguage.fields[3].type;
  assert.ok(typeof profile === 'object' && profile.type === 'struct');
  profile.fields.pop();
  assert.deepEqual(refusals(events, noLanguage), [
    'schema.fields[3].fields[1]: profile.language (id 6): dropped; dropping fields is not supported (make it optional and stop sending it instead)',
  ]);
});

test('refused: reordering fields', () => {
  const next = schema([base[0], base[2], base[1], ...base.slice(3)]);
  assert.deepEqual(refusals(schema(base), next), [
    'schema.fields[1]: count (id 3): reordered (was after user_id, now before it); reordering fields is not supported',
  ]);
});

test('refused: renaming (same id, new name)', () => {
  const next = schema(base.map((f) => (f.id === 2 ? { ...f, name: 'uid' } : f)));
  assert.deepEqual(refusals(schema(base), next), [
    'schema.fields[1]: user_id (id 2): renamed user_id -> uid; renaming is not supported (add a new optional field instead)',
  ]);
});

test('refused: reusing an id for a different field', () => {
  // the id of `note` now names a new field, and `note` got a fresh id
  const next = schema([...base.slice(0, 5), { name: 'comment', id: 6, type: 'string', optional: true }, { name: 'note', id: 7, type: 'string', optional: true }]);
  assert.deepEqual(refusals(schema(base), next), [
    'schema.fields[5]: note (id 6): id 6 was note and is now used for comment, while note got id 7; field ids cannot be reused for a different field',
  ]);
  // two fields swap ids
  const swapped = schema([{ name: 'event_id', id: 2, type: 'string' }, { name: 'user_id', id: 1, type: 'long' }]);
  assert.deepEqual(refusals(schema(base.slice(0, 2)), swapped), [
    'schema.fields[1]: event_id (id 1): id 1 was event_id and is now used for user_id, while event_id got id 2; field ids cannot be reused for a different field',
    'schema.fields[0]: user_id (id 2): id 2 was user_id and is now used for event_id, while user_id got id 1; field ids cannot be reused for a different field',
  ]);
});

test('refused: a new field reusing an id of a nested field whose parent is gone', () => {
  const next = structuredClone(events);
  next.fields.splice(5, 1); // cookies (20, element 21) dropped
  next.fields.push({ id: 21, name: 'extra', required: false, type: 'string' });
  assert.deepEqual(refusals(events, next), [
    'schema.fields[5]: cookies (id 20): dropped; dropping fields is not supported (make it optional and stop sending it instead)',
    'schema.fields[6]: extra (id 21): id 21 belonged to cookies.element; field ids cannot be reused for a different field',
  ]);
});

test('refused: a new schema with duplicate ids', () => {
  const next = structuredClone(events);
  next.fields.push({ id: 21, name: 'extra', required: false, type: 'string' });
  assert.deepEqual(refusals(events, next), ['schema.fields[7]: extra (id 21): duplicate id 21 in the new schema (first used by cookies.element)']);
});

test('refused: optional -> required, for fields, list elements and map values', () => {
  const before = schema([
    { name: 'a', id: 1, type: 'string', optional: true },
    { name: 'l', id: 2, type: 'list', fields: [{ name: 'element', id: 3, type: 'int', optional: true }] },
    { name: 'm', id: 4, type: 'map', fields: [{ name: 'key', id: 5, type: 'string' }, { name: 'value', id: 6, type: 'int', optional: true }] },
  ]);
  const after = schema([
    { name: 'a', id: 1, type: 'string' },
    { name: 'l', id: 2, type: 'list', fields: [{ name: 'element', id: 3, type: 'int' }] },
    { name: 'm', id: 4, type: 'map', fields: [{ name: 'key', id: 5, type: 'string' }, { name: 'value', id: 6, type: 'int' }] },
  ]);
  assert.deepEqual(refusals(before, after), [
    'schema.fields[0]: a (id 1): optional -> required is not allowed: existing rows may hold nulls',
    'schema.fields[1].fields[0]: l.element (id 3): optional -> required is not allowed: existing rows may hold nulls',
    'schema.fields[2].fields[1]: m.value (id 6): optional -> required is not allowed: existing rows may hold nulls',
  ]);
});

test('refused: a new required column, top level or nested', () => {
  const next = schema([...base, { name: 'tenant', id: 7, type: 'string' }]);
  assert.deepEqual(refusals(schema(base), next), [
    'schema.fields[6]: tenant (id 7): new field tenant (string) is required, but existing rows have no value for it; add it with optional: true',
  ]);
  const nested = structuredClone(events);
  const profile = nested.fields[3].type;
  assert.ok(typeof profile === 'object' && profile.type === 'struct');
  profile.fields.push({ id: 30, name: 'city', required: true, type: 'string' });
  assert.deepEqual(refusals(events, nested), [
    'schema.fields[3].fields[2]: profile.city (id 30): new field city (string) is required, but existing rows have no value for it; add it with optional: true',
  ]);
});

test('allowed: a new optional struct may have required children', () => {
  const next = schema([...base, { name: 'geo', id: 7, type: 'struct', optional: true, fields: [{ name: 'lat', id: 8, type: 'double' }] }]);
  assert.deepEqual(changes(schema(base), next).map((c) => c.kind), ['add-field']);
});

test('refused: map key changes and list element id changes', () => {
  const before = schema([
    { name: 'm', id: 1, type: 'map', fields: [{ name: 'key', id: 2, type: 'int' }, { name: 'value', id: 3, type: 'string' }] },
    { name: 'l', id: 4, type: 'list', fields: [{ name: 'element', id: 5, type: 'int' }] },
  ]);
  const after = schema([
    { name: 'm', id: 1, type: 'map', fields: [{ name: 'key', id: 2, type: 'long' }, { name: 'value', id: 3, type: 'string' }] },
    { name: 'l', id: 4, type: 'list', fields: [{ name: 'element', id: 6, type: 'int' }] },
  ]);
  assert.deepEqual(refusals(before, after), [
    'schema.fields[0].fields[0]: m.key (id 2): map key type change int -> long is not allowed; map keys cannot change',
    'schema.fields[1]: l (id 4): list element id changed 5 -> 6; field ids cannot change',
  ]);
});

test('refused: moving a field into another struct', () => {
  const before = schema([{ name: 'a', id: 1, type: 'string' }, { name: 's', id: 2, type: 'struct', fields: [{ name: 'b', id: 3, type: 'int' }] }]);
  const after = schema([{ name: 's', id: 2, type: 'struct', fields: [{ name: 'b', id: 3, type: 'int' }, { name: 'a', id: 1, type: 'string' }] }]);
  assert.deepEqual(refusals(before, after), ['schema.fields[0].fields[1]: a (id 1): moved to s.a; moving fields between structs is not supported']);
});

test('all refusals are reported together; assertMigration throws MigrationRefused', () => {
  const next = schema([
    { name: 'event_id', id: 1, type: 'int' },
    { name: 'user_id', id: 2, type: 'long' },
    { name: 'count', id: 3, type: 'int' },
    { name: 'ratio', id: 4, type: 'float' },
    { name: 'price', id: 5, type: 'decimal(10, 2)' },
  ]);
  assert.throws(
    () => assertMigration(schema(base), next, { path: 'tables[1].schema' }),
    (e: unknown) => {
      assert.ok(e instanceof MigrationRefused);
      assert.equal(e.code, 'FLOE_SCHEMA_MIGRATION_REFUSED');
      assert.deepEqual(e.issues.map((i) => [i.path, i.field, i.id]), [
        ['tables[1].schema.fields[0]', 'event_id', 1],
        ['tables[1].schema.fields[5]', 'note', 6],
      ]);
      assert.match(e.message, /^tables\[1\]\.schema\.fields\[0\]: event_id \(id 1\): type change string -> int is not a widening/);
      return true;
    },
  );
});
