import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as arrow from 'apache-arrow';
import { FIELD_ID_KEY, toArrowSchema, toArrowType } from '../../src/schema/arrow.ts';
import type { IcebergType } from '../../src/schema/types.ts';
import { allTypesSchema } from '../parquet/fixtures.ts';

function field(schema: arrow.Schema | arrow.DataType, ...path: string[]): arrow.Field {
  let children = schema instanceof arrow.Schema ? schema.fields : schema.children;
  let found: arrow.Field | undefined;
  for (const name of path) {
    found = children.find((f) => f.name === name);
    assert.ok(found, `no field ${name} in ${path.join('.')}`);
    children = found.type.children ?? [];
  }
  return found as arrow.Field;
}

const id = (f: arrow.Field): number => Number(f.metadata.get(FIELD_ID_KEY));

describe('toArrowSchema', () => {
  const schema = toArrowSchema(allTypesSchema);

  it('maps every primitive to the Arrow type of Iceberg\'s Parquet mapping', () => {
    const expect: [string, (t: arrow.DataType) => boolean][] = [
      ['flag', (t) => arrow.DataType.isBool(t)],
      ['i', (t) => t instanceof arrow.Int && t.bitWidth === 32 && t.isSigned],
      ['l', (t) => t instanceof arrow.Int && t.bitWidth === 64 && t.isSigned],
      ['f', (t) => t instanceof arrow.Float && t.precision === arrow.Precision.SINGLE],
      ['d', (t) => t instanceof arrow.Float && t.precision === arrow.Precision.DOUBLE],
      ['dec', (t) => t instanceof arrow.Decimal && t.precision === 10 && t.scale === 2 && t.bitWidth === 128],
      ['dec38', (t) => t instanceof arrow.Decimal && t.precision === 38 && t.scale === 10 && t.bitWidth === 128],
      ['day', (t) => t instanceof arrow.Date_ && t.unit === arrow.DateUnit.DAY],
      ['t', (t) => t instanceof arrow.Time && t.unit === arrow.TimeUnit.MICROSECOND && t.bitWidth === 64],
      ['ts', (t) => t instanceof arrow.Timestamp && t.unit === arrow.TimeUnit.MICROSECOND && t.timezone == null],
      ['tstz', (t) => t instanceof arrow.Timestamp && t.unit === arrow.TimeUnit.MICROSECOND && t.timezone === 'UTC'],
      ['s', (t) => arrow.DataType.isUtf8(t)],
      ['u', (t) => t instanceof arrow.FixedSizeBinary && t.byteWidth === 16],
      ['bin', (t) => arrow.DataType.isBinary(t)],
      ['fx', (t) => t instanceof arrow.FixedSizeBinary && t.byteWidth === 4],
    ];
    for (const [name, check] of expect) assert.ok(check(field(schema, name).type), `${name}: ${String(field(schema, name).type)}`);
  });

  it('tags uuid columns with the arrow.uuid extension', () => {
    assert.equal(field(schema, 'u').metadata.get('ARROW:extension:name'), 'arrow.uuid');
    assert.equal(field(schema, 'fx').metadata.get('ARROW:extension:name'), undefined);
  });

  it('puts the field id on every field, nested ones included', () => {
    const paths: [string[], number][] = [
      [['flag'], 1],
      [['st'], 16],
      [['st', 'a'], 17],
      [['st', 'inner', 'y'], 21],
      [['tags'], 22],
      [['tags', 'element'], 23],
      [['items', 'element'], 25],
      [['items', 'element', 'qty'], 27],
      [['attrs'], 28],
      [['attrs', 'key_value', 'key'], 29],
      [['attrs', 'key_value', 'value'], 30],
      [['smap', 'key_value', 'value', 'w'], 35],
      [['st2', 'm', 'key_value', 'value'], 44],
    ];
    for (const [path, expected] of paths) assert.equal(id(field(schema, ...path)), expected, path.join('.'));
    // Groups Arrow adds for maps have no Iceberg id.
    assert.equal(field(schema, 'attrs', 'key_value').metadata.has(FIELD_ID_KEY), false);
  });

  it('takes nullability from required/optional', () => {
    assert.equal(field(schema, 'i').nullable, false);
    assert.equal(field(schema, 'flag').nullable, true);
    assert.equal(field(schema, 'st', 'a').nullable, false);
    assert.equal(field(schema, 'st', 'b').nullable, true);
    assert.equal(field(schema, 'tags', 'element').nullable, true);
    assert.equal(field(schema, 'items', 'element').nullable, false);
    assert.equal(field(schema, 'attrs', 'key_value').nullable, false);
    assert.equal(field(schema, 'attrs', 'key_value', 'key').nullable, false);
    assert.equal(field(schema, 'attrs', 'key_value', 'value').nullable, true);
    assert.equal(field(schema, 'smap', 'key_value', 'value').nullable, false);
    assert.equal(field(schema, 'req_list').nullable, false);
  });

  it('names list elements `element` and map entries `key_value`; ids survive Arrow IPC', () => {
    assert.ok(arrow.DataType.isList(field(schema, 'tags').type));
    assert.ok(arrow.DataType.isMap(field(schema, 'attrs').type));
    assert.equal(field(schema, 'attrs').type.children[0].name, 'key_value');
    assert.equal(field(schema, 'tags').type.children[0].name, 'element');
    // (apache-arrow's own IPC reader renames map entries to `entries` again; the Parquet tests
    // check that the written file has `key_value`.)
    const back = arrow.tableFromIPC(arrow.tableToIPC(new arrow.Table(schema), 'stream')).schema;
    assert.equal(id(field(back, 'attrs', 'entries', 'value')), 30);
    assert.equal(id(field(back, 'items', 'element', 'name')), 26);
  });

  it('fails if a type is not an Iceberg type', () => {
    assert.throws(() => toArrowType('decimal(39, 2)' as IcebergType), /precision must be 1\.\.38/);
    assert.throws(() => toArrowType('decimal(5, 6)' as IcebergType), /scale at most the precision/);
    assert.throws(() => toArrowType('fixed[0]' as IcebergType), /length must be at least 1/);
    assert.throws(() => toArrowType('varchar' as IcebergType), /not an Iceberg primitive type/);
    assert.throws(() => toArrowType({ type: 'union' } as unknown as IcebergType), /not an Iceberg type/);
  });
});
