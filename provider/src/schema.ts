// A typed builder for a table's inline schema: the Iceberg schema as the seed writes it in YAML
// (`{name, id, type, optional, fields}`), with the Iceberg field id required on every field, list
// element and map key/value. `Schema.of(...)` checks the whole schema (unique ids, names, types,
// list/map shapes) and throws InvalidSchemaError listing every problem, so a mistake fails
// `cdktf synth` with a message naming the field and the value instead of failing at deploy.
//
//   Schema.of(
//     Schema.string('event_id', 1),
//     Schema.long('user_id', 2),
//     Schema.struct('profile', 4, [Schema.string('country', 5), Schema.string('language', 6)]),
//     Schema.list('cookies', 20, { elementId: 21, element: 'string' }),
//     Schema.map('event_attributes', 22, { keyId: 23, key: 'string', valueId: 24, value: 'string' }),
//     Schema.string('referrer', 26, { optional: true }),
//   )

import { InvalidSchemaError, show } from './errors.ts';

/** Iceberg primitive types; `decimal(P, S)` and `fixed[L]` take parameters. */
export type PrimitiveType =
  | 'boolean'
  | 'int'
  | 'long'
  | 'float'
  | 'double'
  | 'date'
  | 'time'
  | 'timestamp'
  | 'timestamptz'
  | 'string'
  | 'uuid'
  | 'binary'
  | `decimal(${number}, ${number})`
  | `fixed[${number}]`;

export const PRIMITIVE_TYPES = [
  'boolean', 'int', 'long', 'float', 'double', 'date', 'time', 'timestamp', 'timestamptz', 'string', 'uuid', 'binary',
] as const;

/** The deepest nesting the floe provider accepts (terraform/internal/provider/table_schema.go). */
export const MAX_FIELD_DEPTH = 6;

/** One field as the control API and the provider take it. */
export interface SchemaField {
  readonly name: string;
  readonly id: number;
  readonly type: string;
  readonly optional: boolean;
  readonly doc?: string;
  readonly fields?: readonly SchemaField[];
}

export interface FieldOptions {
  /**
   * Whether the value may be null. New columns added to an existing table must be optional.
   * @default false
   */
  readonly optional?: boolean;
  /**
   * Column documentation (Iceberg field doc).
   * @default - none
   */
  readonly doc?: string;
}

/** The type of a list element or map key/value: a primitive or a nested type. */
export type ElementType = PrimitiveType | NestedType;

/** A struct, list or map type without a name, for list elements and map values. */
export interface NestedType {
  readonly type: 'struct' | 'list' | 'map';
  /** Children as they appear in the inline schema. */
  readonly fields: readonly SchemaField[];
}

export interface ListOptions extends FieldOptions {
  /** Iceberg field id of the element. */
  readonly elementId: number;
  readonly element: ElementType;
  /**
   * Whether elements may be null.
   * @default false
   */
  readonly elementOptional?: boolean;
}

export interface MapOptions extends FieldOptions {
  /** Iceberg field id of the key. */
  readonly keyId: number;
  /** Key type; keys are never null. */
  readonly key: ElementType;
  /** Iceberg field id of the value. */
  readonly valueId: number;
  readonly value: ElementType;
  /**
   * Whether values may be null.
   * @default false
   */
  readonly valueOptional?: boolean;
}

function field(name: string, id: number, type: string, options: FieldOptions = {}, fields?: readonly SchemaField[]): SchemaField {
  const out: { -readonly [K in keyof SchemaField]: SchemaField[K] } = { name, id, type, optional: options.optional ?? false };
  if (options.doc !== undefined) out.doc = options.doc;
  if (fields !== undefined) out.fields = fields;
  return out;
}

function child(name: string, id: number, t: ElementType, optional: boolean): SchemaField {
  return typeof t === 'string' ? field(name, id, t, { optional }) : field(name, id, t.type, { optional }, t.fields);
}

function listChildren(o: Pick<ListOptions, 'elementId' | 'element' | 'elementOptional'>): SchemaField[] {
  return [child('element', o.elementId, o.element, o.elementOptional ?? false)];
}

function mapChildren(o: Pick<MapOptions, 'keyId' | 'key' | 'valueId' | 'value' | 'valueOptional'>): SchemaField[] {
  return [child('key', o.keyId, o.key, false), child('value', o.valueId, o.value, o.valueOptional ?? false)];
}

/** A table schema: top-level fields in order, checked when built. */
export class Schema {
  readonly fields: readonly SchemaField[];

  private constructor(fields: readonly SchemaField[]) {
    this.fields = fields;
  }

  /** Builds and checks a schema; throws InvalidSchemaError listing every problem. */
  static of(...fields: SchemaField[]): Schema {
    const issues = checkFields(fields);
    if (issues.length > 0) throw new InvalidSchemaError('invalid schema', issues);
    return new Schema(fields);
  }

  /** A field of any primitive type, e.g. `Schema.primitive('amount', 3, 'decimal(10, 2)')`. */
  static primitive(name: string, id: number, type: PrimitiveType, options?: FieldOptions): SchemaField {
    return field(name, id, type, options);
  }

  static boolean(name: string, id: number, options?: FieldOptions): SchemaField {
    return field(name, id, 'boolean', options);
  }
  static int(name: string, id: number, options?: FieldOptions): SchemaField {
    return field(name, id, 'int', options);
  }
  static long(name: string, id: number, options?: FieldOptions): SchemaField {
    return field(name, id, 'long', options);
  }
  static float(name: string, id: number, options?: FieldOptions): SchemaField {
    return field(name, id, 'float', options);
  }
  static double(name: string, id: number, options?: FieldOptions): SchemaField {
    return field(name, id, 'double', options);
  }
  static date(name: string, id: number, options?: FieldOptions): SchemaField {
    return field(name, id, 'date', options);
  }
  static timestamp(name: string, id: number, options?: FieldOptions): SchemaField {
    return field(name, id, 'timestamp', options);
  }
  static timestamptz(name: string, id: number, options?: FieldOptions): SchemaField {
    return field(name, id, 'timestamptz', options);
  }
  static string(name: string, id: number, options?: FieldOptions): SchemaField {
    return field(name, id, 'string', options);
  }
  static uuid(name: string, id: number, options?: FieldOptions): SchemaField {
    return field(name, id, 'uuid', options);
  }
  static binary(name: string, id: number, options?: FieldOptions): SchemaField {
    return field(name, id, 'binary', options);
  }
  static decimal(name: string, id: number, precision: number, scale: number, options?: FieldOptions): SchemaField {
    return field(name, id, `decimal(${precision}, ${scale})`, options);
  }
  static fixed(name: string, id: number, length: number, options?: FieldOptions): SchemaField {
    return field(name, id, `fixed[${length}]`, options);
  }

  /** A struct column with its fields. */
  static struct(name: string, id: number, fields: readonly SchemaField[], options?: FieldOptions): SchemaField {
    return field(name, id, 'struct', options, fields);
  }

  /** A list column; its element has its own field id. */
  static list(name: string, id: number, options: ListOptions): SchemaField {
    return field(name, id, 'list', options, listChildren(options));
  }

  /** A map column; key and value have their own field ids. */
  static map(name: string, id: number, options: MapOptions): SchemaField {
    return field(name, id, 'map', options, mapChildren(options));
  }

  /** An unnamed struct type, for list elements and map values. */
  static structType(fields: readonly SchemaField[]): NestedType {
    return { type: 'struct', fields };
  }

  /** An unnamed list type, for list elements and map values. */
  static listType(options: Pick<ListOptions, 'elementId' | 'element' | 'elementOptional'>): NestedType {
    return { type: 'list', fields: listChildren(options) };
  }

  /** An unnamed map type, for list elements and map values. */
  static mapType(options: Pick<MapOptions, 'keyId' | 'key' | 'valueId' | 'value' | 'valueOptional'>): NestedType {
    return { type: 'map', fields: mapChildren(options) };
  }

  /** Every field id in the schema, nested ones included. */
  get ids(): number[] {
    const out: number[] = [];
    const walk = (fs: readonly SchemaField[]) => {
      for (const f of fs) {
        out.push(f.id);
        if (f.fields) walk(f.fields);
      }
    };
    walk(this.fields);
    return out;
  }

  /** The largest field id in use: the next new column takes `maxId + 1`. */
  get maxId(): number {
    return Math.max(0, ...this.ids);
  }
}

const DECIMAL = /^decimal\((\d+),\s*(\d+)\)$/;
const FIXED = /^fixed\[(\d+)\]$/;
const AVRO_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Why `type` is not a valid primitive type, or undefined. */
function primitiveProblem(type: string): string | undefined {
  const t = type.trim().toLowerCase();
  if ((PRIMITIVE_TYPES as readonly string[]).includes(t)) return undefined;
  const d = DECIMAL.exec(t);
  if (d) {
    const precision = Number(d[1]);
    const scale = Number(d[2]);
    if (precision < 1 || precision > 38) return `decimal precision must be 1..38, got ${precision}`;
    if (scale > precision) return `decimal scale must not exceed precision, got decimal(${precision}, ${scale})`;
    return undefined;
  }
  const f = FIXED.exec(t);
  if (f) return Number(f[1]) < 1 ? `fixed length must be at least 1, got ${f[1]}` : undefined;
  return `unknown type ${show(type)} (expected ${PRIMITIVE_TYPES.join(', ')}, decimal(P, S), fixed[L], struct, list or map)`;
}

/**
 * Every problem of a schema, one lowercase line each naming the field's dotted path. With
 * `avroNames`, names must also be valid Avro names (the agent derives the Avro reader schema from them).
 */
export function checkFields(fields: readonly SchemaField[], options: { avroNames?: boolean } = {}): string[] {
  const issues: string[] = [];
  const ids = new Map<number, string>();
  if (fields.length === 0) issues.push('a schema needs at least one field');

  const walk = (level: readonly SchemaField[], parent: string, depth: number) => {
    const names = new Set<string>();
    for (const f of level) {
      const path = parent === '' ? f.name : `${parent}.${f.name}`;
      const label = `field ${show(path)}`;
      if (typeof f.name !== 'string' || f.name.trim() === '') issues.push(`field name must not be empty (in ${parent === '' ? 'the top level' : show(parent)})`);
      else if (names.has(f.name)) issues.push(`duplicate field name ${show(f.name)} in ${parent === '' ? 'the top level' : show(parent)}`);
      else if (options.avroNames && !AVRO_NAME.test(f.name)) issues.push(`${label}: ${show(f.name)} is not a valid avro name (letters, digits and '_', not starting with a digit)`);
      names.add(f.name);

      if (!Number.isInteger(f.id) || f.id < 1) issues.push(`${label}: id must be a positive integer, got ${show(f.id)}`);
      else if (ids.has(f.id)) issues.push(`duplicate field id ${f.id}: used by ${show(ids.get(f.id))} and ${show(path)}`);
      else ids.set(f.id, path);

      if (depth > MAX_FIELD_DEPTH) {
        issues.push(`${label}: nested ${depth} levels deep; at most ${MAX_FIELD_DEPTH} are supported`);
        continue;
      }
      const children = f.fields ?? [];
      switch (f.type) {
        case 'struct':
          if (children.length === 0) issues.push(`${label}: a struct needs at least one field`);
          break;
        case 'list':
          if (children.length !== 1 || children[0].name !== 'element') {
            issues.push(`${label}: a list has exactly one child named "element", got ${show(children.map((c) => c.name))}`);
          }
          break;
        case 'map':
          if (children.length !== 2 || children[0].name !== 'key' || children[1].name !== 'value') {
            issues.push(`${label}: a map has exactly two children, "key" then "value", got ${show(children.map((c) => c.name))}`);
          } else if (children[0].optional) {
            issues.push(`${label}: map keys cannot be optional`);
          }
          break;
        default: {
          const problem = typeof f.type === 'string' ? primitiveProblem(f.type) : `type must be a string, got ${show(f.type)}`;
          if (problem) issues.push(`${label}: ${problem}`);
          else if (f.fields !== undefined) issues.push(`${label}: primitive type ${show(f.type)} cannot have fields`);
        }
      }
      if (children.length > 0) walk(children, path, depth + 1);
    }
  };
  walk(fields, '', 1);
  return issues;
}
