// Inline schema (the seed's YAML form) <-> Iceberg schema (types.ts).
//
// Inline form, per the seed: a field is `{name, id, type, optional?}`; a struct lists its children
// in `fields`; a list has one child named `element`; a map has children `key` and `value`. Ids are
// Iceberg field ids: positive, unique across the whole schema including element/key/value ids.
// `optional` defaults to false (required). Validation collects every issue with its path in the
// document (`tables[1].schema.fields[3].id`) and the value received.

import { ConfigError, type ConfigIssue } from '../errors.ts';
import type { InlineField, InlineSchema } from '../config/model.ts';
import { Issues, checkKeys, describeValue, didYouMean, isPlainObject, join, quote } from '../config/issues.ts';
import type { IcebergType, NestedField, PrimitiveType, Schema, StructType } from './types.ts';

export const PRIMITIVE_NAMES = [
  'boolean',
  'int',
  'long',
  'float',
  'double',
  'date',
  'time',
  'timestamp',
  'timestamptz',
  'string',
  'uuid',
  'binary',
] as const;

const NESTED_NAMES = ['struct', 'list', 'map'] as const;
const ALL_TYPE_NAMES: readonly string[] = [...PRIMITIVE_NAMES, 'decimal(P, S)', 'fixed[L]', ...NESTED_NAMES];
const SUGGESTIONS: readonly string[] = [...PRIMITIVE_NAMES, 'decimal', 'fixed', ...NESTED_NAMES];

/**
 * Field ids at and above this are reserved for the columns the agent adds to every table
 * (`_kafka_partition`, ... in ingest/tables.ts: RESERVED_FIELD_ID_BASE = 2_000_000_000).
 */
export const MAX_USER_FIELD_ID = 1_999_999_999;

export const MAX_DECIMAL_PRECISION = 38;

const FIELD_KEYS = ['name', 'id', 'type', 'optional', 'fields', 'doc'] as const;
const AVRO_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DECIMAL_RE = /^decimal\s*\(\s*(\d+)\s*,\s*(\d+)\s*\)$/i;
const FIXED_RE = /^fixed\s*\[\s*(\d+)\s*\]$/i;

export interface InlineSchemaOptions {
  /** Path of the schema object in the document, for issue paths. @default 'schema' */
  path?: string;
  /** Iceberg schema id of the result. @default 0 */
  schemaId?: number;
  /** Also require Avro-legal names ([A-Za-z_][A-Za-z0-9_]*), for tables with source_format avro. */
  avroNames?: boolean;
}

export type ParsedInlineSchema =
  | { ok: true; inline: InlineSchema; schema: Schema }
  | { ok: false; issues: ConfigIssue[] };

/** A canonical type: a primitive or one of the nested kinds. */
type ParsedType = { ok: true; type: PrimitiveType | 'struct' | 'list' | 'map' } | { ok: false; message: string };

/**
 * Parses a type string: primitive names case-insensitively, `decimal(P,S)` with any spacing,
 * `fixed[L]`. Returns the canonical spelling (`decimal(10, 2)`, as Iceberg writes it).
 */
export function parseTypeString(text: string): ParsedType {
  const s = text.trim().toLowerCase();
  if ((PRIMITIVE_NAMES as readonly string[]).includes(s)) return { ok: true, type: s as PrimitiveType };
  if ((NESTED_NAMES as readonly string[]).includes(s)) return { ok: true, type: s as 'struct' | 'list' | 'map' };
  const d = DECIMAL_RE.exec(s);
  if (d) {
    const p = Number(d[1]);
    const sc = Number(d[2]);
    if (p < 1 || p > MAX_DECIMAL_PRECISION) {
      return { ok: false, message: `${quote(text)}: decimal precision ${p} is out of range 1..${MAX_DECIMAL_PRECISION}` };
    }
    if (sc > p) return { ok: false, message: `${quote(text)}: decimal scale ${sc} must be between 0 and the precision ${p}` };
    return { ok: true, type: `decimal(${p}, ${sc})` };
  }
  const f = FIXED_RE.exec(s);
  if (f) {
    const len = Number(f[1]);
    if (len < 1 || len > 2_147_483_647) return { ok: false, message: `${quote(text)}: fixed length ${len} must be at least 1` };
    return { ok: true, type: `fixed[${len}]` };
  }
  if (/^decimal\b/.test(s)) return { ok: false, message: `${quote(text)}: decimal needs precision and scale, e.g. decimal(10, 2)` };
  if (/^fixed\b/.test(s)) return { ok: false, message: `${quote(text)}: fixed needs a length, e.g. fixed[16]` };
  const hint = didYouMean(s.replace(/[^a-z]/g, ''), SUGGESTIONS);
  return { ok: false, message: `unknown type ${quote(text)}${hint}; supported: ${ALL_TYPE_NAMES.join(', ')}` };
}

/** `decimal(10, 2)` -> {precision: 10, scale: 2}; undefined for any other type. */
export function decimalParams(t: IcebergType): { precision: number; scale: number } | undefined {
  if (typeof t !== 'string' || !t.startsWith('decimal(')) return undefined;
  const m = DECIMAL_RE.exec(t);
  return m ? { precision: Number(m[1]), scale: Number(m[2]) } : undefined;
}

/** `fixed[16]` -> 16; undefined for any other type. */
export function fixedLength(t: IcebergType): number | undefined {
  if (typeof t !== 'string' || !t.startsWith('fixed[')) return undefined;
  const m = FIXED_RE.exec(t);
  return m ? Number(m[1]) : undefined;
}

/** Short human spelling of a type for messages: `list<string>`, `map<string, long>`, `struct`. */
export function typeToString(t: IcebergType): string {
  if (typeof t === 'string') return t;
  switch (t.type) {
    case 'struct':
      return 'struct';
    case 'list':
      return `list<${typeToString(t.element)}>`;
    case 'map':
      return `map<${typeToString(t.key)}, ${typeToString(t.value)}>`;
  }
}

interface Ctx {
  issues: Issues;
  /** id -> path of the `id` key where it was first used. */
  ids: Map<number, string>;
  avroNames: boolean;
}

interface ParsedField {
  inline: InlineField;
  iceberg: NestedField;
}

/**
 * Validates a raw (parsed-YAML) inline schema and converts it. Collects all issues; never throws
 * for bad input.
 */
export function parseInlineSchema(raw: unknown, options: InlineSchemaOptions = {}): ParsedInlineSchema {
  const issues = new Issues();
  const result = collectInlineSchema(raw, options, issues);
  if (result === undefined || !issues.empty) return { ok: false, issues: issues.list };
  return { ok: true, ...result };
}

/** As parseInlineSchema, adding issues to a caller's collection (used by config validation). */
export function collectInlineSchema(
  raw: unknown,
  options: InlineSchemaOptions,
  issues: Issues,
): { inline: InlineSchema; schema: Schema } | undefined {
  const path = options.path ?? 'schema';
  const before = issues.list.length;
  if (!isPlainObject(raw)) {
    issues.at(path, `expected an object with fields, got ${describeValue(raw)}`);
    return undefined;
  }
  checkKeys(raw, ['fields'], path, issues);
  const ctx: Ctx = { issues, ids: new Map(), avroNames: options.avroNames ?? false };
  const fields = parseChildren(raw.fields, join(path, 'fields'), ctx, 'schema');
  if (fields === undefined || issues.list.length > before) return undefined;
  return {
    inline: { fields: fields.map((f) => f.inline) },
    schema: { type: 'struct', 'schema-id': options.schemaId ?? 0, fields: fields.map((f) => f.iceberg) },
  };
}

/** Inline -> Iceberg. Throws ConfigError (with every issue) when the inline schema is invalid. */
export function inlineToIceberg(inline: InlineSchema, schemaId = 0, path = 'schema'): Schema {
  const r = parseInlineSchema(inline, { schemaId, path });
  if (!r.ok) throw new ConfigError(r.issues);
  return r.schema;
}

/** Iceberg -> inline (the form users write), for showing a table's schema as configuration. */
export function icebergToInline(schema: Schema | StructType): InlineSchema {
  return { fields: schema.fields.map((f) => inlineField(f.name, f.id, f.type, !f.required, f.doc)) };
}

function inlineField(name: string, id: number, t: IcebergType, optional: boolean, doc?: string): InlineField {
  const out: InlineField = { name, id, type: typeof t === 'string' ? t : t.type, optional };
  if (typeof t !== 'string') {
    switch (t.type) {
      case 'struct':
        out.fields = t.fields.map((f) => inlineField(f.name, f.id, f.type, !f.required, f.doc));
        break;
      case 'list':
        out.fields = [inlineField('element', t['element-id'], t.element, !t['element-required'])];
        break;
      case 'map':
        out.fields = [inlineField('key', t['key-id'], t.key, false), inlineField('value', t['value-id'], t.value, !t['value-required'])];
        break;
    }
  }
  if (doc !== undefined) out.doc = doc;
  return out;
}

type Parent = 'schema' | 'struct' | 'list' | 'map';

function parseChildren(raw: unknown, path: string, ctx: Ctx, parent: Parent): ParsedField[] | undefined {
  if (raw === undefined) {
    ctx.issues.at(path, parent === 'schema' ? 'missing required field' : `missing required field (a ${parent} lists its ${childWord(parent)} in fields)`);
    return undefined;
  }
  if (!Array.isArray(raw)) {
    ctx.issues.at(path, `expected a list of fields, got ${describeValue(raw)}`);
    return undefined;
  }
  if (raw.length === 0) {
    ctx.issues.at(path, parent === 'schema' ? 'a schema needs at least one field' : `a ${parent} needs ${childWord(parent)}, got none`);
    return undefined;
  }
  const out: ParsedField[] = [];
  const names = new Map<string, string>();
  let ok = true;
  raw.forEach((item, i) => {
    const p = `${path}[${i}]`;
    const f = parseField(item, p, ctx);
    if (f === undefined) {
      ok = false;
      return;
    }
    const lower = f.inline.name.toLowerCase();
    const first = names.get(lower);
    if (first !== undefined) {
      ctx.issues.at(`${p}.name`, `duplicate name ${quote(f.inline.name)} (first used at ${first}; names must differ by more than case)`);
      ok = false;
    } else {
      names.set(lower, `${p}.name`);
    }
    out.push(f);
  });
  if (parent === 'list' && ok) {
    if (out.length !== 1) {
      ctx.issues.at(path, `a list has exactly one entry named element, got ${out.length} entries`);
      return undefined;
    }
    if (out[0].inline.name !== 'element') {
      ctx.issues.at(`${path}[0].name`, `a list's entry must be named element, got ${quote(out[0].inline.name)}`);
      return undefined;
    }
  }
  if (parent === 'map' && ok) {
    const names2 = out.map((f) => f.inline.name);
    if (out.length !== 2 || !names2.includes('key') || !names2.includes('value')) {
      ctx.issues.at(path, `a map has exactly two entries named key and value, got ${out.length === 0 ? 'none' : names2.map(quote).join(', ')}`);
      return undefined;
    }
    const keyIndex = names2.indexOf('key');
    if (out[keyIndex].inline.optional) {
      ctx.issues.at(`${path}[${keyIndex}].optional`, 'map keys are always required, got true');
      return undefined;
    }
  }
  return ok ? out : undefined;
}

function childWord(parent: Parent): string {
  return parent === 'list' ? 'one element entry' : parent === 'map' ? 'a key and a value entry' : 'fields';
}

function parseField(raw: unknown, path: string, ctx: Ctx): ParsedField | undefined {
  const { issues } = ctx;
  if (!isPlainObject(raw)) {
    issues.at(path, `expected a field {name, id, type}, got ${describeValue(raw)}`);
    return undefined;
  }
  checkKeys(raw, FIELD_KEYS, path, issues);
  let ok = true;

  const name = raw.name;
  if (name === undefined) {
    issues.at(`${path}.name`, 'missing required field');
    ok = false;
  } else if (typeof name !== 'string') {
    issues.at(`${path}.name`, `expected string, got ${describeValue(name)}`);
    ok = false;
  } else if (name.length === 0) {
    issues.at(`${path}.name`, 'must not be empty');
    ok = false;
  } else if (name === '__proto__') {
    issues.at(`${path}.name`, '"__proto__" is reserved and cannot be a field name');
    ok = false;
  } else if (ctx.avroNames && !AVRO_NAME.test(name)) {
    issues.at(`${path}.name`, `${quote(name)} is not a valid Avro name (source_format avro needs [A-Za-z_][A-Za-z0-9_]*)`);
    ok = false;
  }

  const id = raw.id;
  if (id === undefined) {
    issues.at(`${path}.id`, 'missing required field');
    ok = false;
  } else if (typeof id !== 'number' || !Number.isInteger(id)) {
    issues.at(`${path}.id`, `expected a positive integer, got ${describeValue(id)}`);
    ok = false;
  } else if (id < 1 || id > MAX_USER_FIELD_ID) {
    issues.at(`${path}.id`, `id ${id} is out of range 1..${MAX_USER_FIELD_ID}${id > MAX_USER_FIELD_ID ? ' (higher ids are reserved for the Kafka columns the agent adds)' : ''}`);
    ok = false;
  } else {
    const first = ctx.ids.get(id);
    if (first !== undefined) {
      issues.at(`${path}.id`, `duplicate id ${id} (first used at ${first})`);
      ok = false;
    } else {
      ctx.ids.set(id, `${path}.id`);
    }
  }

  let optional = false;
  if (raw.optional !== undefined) {
    if (typeof raw.optional !== 'boolean') {
      issues.at(`${path}.optional`, `expected boolean, got ${describeValue(raw.optional)}`);
      ok = false;
    } else {
      optional = raw.optional;
    }
  }

  let doc: string | undefined;
  if (raw.doc !== undefined) {
    if (typeof raw.doc !== 'string') {
      issues.at(`${path}.doc`, `expected string, got ${describeValue(raw.doc)}`);
      ok = false;
    } else {
      doc = raw.doc;
    }
  }

  let parsedType: PrimitiveType | 'struct' | 'list' | 'map' | undefined;
  if (raw.type === undefined) {
    issues.at(`${path}.type`, 'missing required field');
    ok = false;
  } else if (typeof raw.type !== 'string') {
    issues.at(`${path}.type`, `expected string, got ${describeValue(raw.type)}`);
    ok = false;
  } else {
    const t = parseTypeString(raw.type);
    if (t.ok) parsedType = t.type;
    else {
      issues.at(`${path}.type`, t.message);
      ok = false;
    }
  }

  let children: ParsedField[] | undefined;
  const nested = parsedType === 'struct' || parsedType === 'list' || parsedType === 'map';
  if (nested) {
    children = parseChildren(raw.fields, `${path}.fields`, ctx, parsedType as Parent);
    if (children === undefined) ok = false;
  } else if (raw.fields !== undefined && parsedType !== undefined) {
    issues.at(`${path}.fields`, `only struct, list and map have fields (type is ${parsedType})`);
    ok = false;
  }

  if (!ok || parsedType === undefined) return undefined;
  const n = name as string;
  const i = id as number;
  let type: IcebergType;
  const inline: InlineField = { name: n, id: i, type: parsedType, optional };
  if (children !== undefined) {
    inline.fields = children.map((c) => c.inline);
    if (parsedType === 'struct') {
      type = { type: 'struct', fields: children.map((c) => c.iceberg) };
    } else if (parsedType === 'list') {
      const e = children[0].iceberg;
      type = { type: 'list', 'element-id': e.id, element: e.type, 'element-required': e.required };
    } else {
      const kf = children.find((c) => c.inline.name === 'key')!;
      const vf = children.find((c) => c.inline.name === 'value')!;
      inline.fields = [kf.inline, vf.inline];
      const k = kf.iceberg;
      const v = vf.iceberg;
      type = { type: 'map', 'key-id': k.id, key: k.type, 'value-id': v.id, value: v.type, 'value-required': v.required };
    }
  } else {
    type = parsedType as PrimitiveType;
  }
  if (doc !== undefined) inline.doc = doc;
  const iceberg: NestedField = { id: i, name: n, required: !optional, type };
  if (doc !== undefined) iceberg.doc = doc;
  return { inline, iceberg };
}
