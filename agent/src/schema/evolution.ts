// Schema migration rules: which changes from one table schema to the next are allowed.
//
// Fields are matched by id (Iceberg field ids), level by level. Allowed (seed + DESIGN.md):
//  - adding a field with a new id, at any level (top level, inside a struct, a list element struct,
//    a map value struct), anywhere among its siblings; it must be optional, as existing rows have
//    no value for it (children of a new optional struct may be required);
//  - required -> optional (also for list elements and map values);
//  - int -> long, float -> double, decimal(P,S) -> decimal(P2,S) with P2 > P;
//  - changing a field's doc.
// Refused, with a message naming the field path, id, and the old and new type:
//  - dropping a field, reordering fields, moving a field to another struct;
//  - renaming (Iceberg could, the seed does not list it: readers and producers key on names, so a
//    rename would silently stop filling the column), and reusing an id for a different field;
//  - optional -> required; any other type change, including map key changes.

import { FloeError } from '../errors.ts';
import type { ConfigIssue } from '../errors.ts';
import { decimalParams, typeToString } from './convert.ts';
import type { IcebergType, NestedField, PrimitiveType, Schema } from './types.ts';

export type Change =
  | { kind: 'add-field'; path: string; field: string; id: number; parentId: number | null; added: NestedField }
  | { kind: 'make-optional'; path: string; field: string; id: number }
  | { kind: 'widen-type'; path: string; field: string; id: number; from: PrimitiveType; to: PrimitiveType }
  | { kind: 'update-doc'; path: string; field: string; id: number; doc: string | undefined };

/** A refused change. `path` is the field's place in the inline schema (`schema.fields[2]`). */
export interface MigrationIssue extends ConfigIssue {
  /** Dotted field path, e.g. `profile.country`, `cookies.element`. */
  field: string;
  id: number;
}

export type MigrationResult = { ok: true; changes: Change[] } | { ok: false; issues: MigrationIssue[] };

export interface MigrationOptions {
  /** Path of the schema in the document, for issue paths. @default 'schema' */
  path?: string;
}

export const ALLOWED_WIDENINGS = 'int -> long, float -> double, decimal(P,S) -> decimal(P2,S) with P2 > P';

/** The migration was refused; `issues` says why, field by field. */
export class MigrationRefused extends FloeError {
  readonly issues: MigrationIssue[];
  constructor(issues: MigrationIssue[]) {
    super('FLOE_SCHEMA_MIGRATION_REFUSED', issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
    this.name = 'MigrationRefused';
    this.issues = issues;
  }
}

/** True when `from` may become `to` without rewriting data. */
export function isWidening(from: PrimitiveType, to: PrimitiveType): boolean {
  if (from === 'int' && to === 'long') return true;
  if (from === 'float' && to === 'double') return true;
  const a = decimalParams(from);
  const b = decimalParams(to);
  return a !== undefined && b !== undefined && a.scale === b.scale && b.precision > a.precision;
}

/** Checks every change from `oldSchema` to `newSchema`; all refusals are reported together. */
export function checkMigration(oldSchema: Schema, newSchema: Schema, options: MigrationOptions = {}): MigrationResult {
  const base = options.path ?? 'schema';
  const w = new Walk(oldSchema, newSchema, base);
  w.struct(oldSchema.fields, newSchema.fields, `${base}.fields`, `${base}.fields`, '', null);
  w.finish();
  return w.issues.length > 0 ? { ok: false, issues: w.issues } : { ok: true, changes: w.changes };
}

/** As checkMigration, throwing MigrationRefused when any change is refused. */
export function assertMigration(oldSchema: Schema, newSchema: Schema, options: MigrationOptions = {}): Change[] {
  const r = checkMigration(oldSchema, newSchema, options);
  if (!r.ok) throw new MigrationRefused(r.issues);
  return r.changes;
}

/** A field as the walk sees it: struct fields plus the element/key/value of lists and maps. */
interface Slot {
  id: number;
  name: string;
  required: boolean;
  type: IcebergType;
  doc?: string;
}

interface Located {
  id: number;
  parentId: number | null;
  field: string;
  path: string;
}

class Walk {
  readonly issues: MigrationIssue[] = [];
  readonly changes: Change[] = [];
  readonly oldIds = new Map<number, Located>();
  readonly newIds = new Map<number, Located>();
  /** Ids refused so far, so a later check does not report the same field twice. */
  readonly refused = new Set<number>();
  /** New fields whose id the old schema used elsewhere: checked once the walk is done. */
  readonly pending: { path: string; field: string; id: number }[] = [];

  constructor(oldSchema: Schema, newSchema: Schema, base: string) {
    index(oldSchema.fields, null, '', `${base}.fields`, this.oldIds);
    const dups: Located[] = [];
    index(newSchema.fields, null, '', `${base}.fields`, this.newIds, dups);
    for (const d of dups) this.refuse(d.path, d.field, d.id, `duplicate id ${d.id} in the new schema (first used by ${this.newIds.get(d.id)!.field})`);
  }

  refuse(path: string, field: string, id: number, why: string): void {
    this.refused.add(id);
    this.issues.push({ path, field, id, message: `${field} (id ${id}): ${why}` });
  }

  /** A new field took the id of an old field that is not reported yet (its old parent is gone). */
  finish(): void {
    for (const p of this.pending) {
      if (this.refused.has(p.id)) continue;
      const old = this.oldIds.get(p.id)!;
      this.refuse(p.path, p.field, p.id, `id ${p.id} belonged to ${old.field}; field ids cannot be reused for a different field`);
    }
  }

  struct(oldFields: NestedField[], newFields: NestedField[], oldBase: string, newBase: string, prefix: string, parentId: number | null): void {
    const newPos = new Map<number, number>();
    newFields.forEach((f, i) => newPos.set(f.id, i));
    const oldPos = new Set(oldFields.map((f) => f.id));
    let lastPos = -1;
    let lastName = '';
    oldFields.forEach((o, oi) => {
      const field = prefix + o.name;
      const ni = newPos.get(o.id);
      if (ni === undefined) {
        const moved = this.newIds.get(o.id);
        if (moved !== undefined) {
          this.refuse(moved.path, field, o.id, `moved to ${moved.field}; moving fields between structs is not supported`);
        } else {
          const sameName = newFields.find((f) => f.name === o.name);
          const hint = sameName !== undefined ? ` (a field named ${o.name} now has id ${sameName.id}: field ids cannot change)` : ' (make it optional and stop sending it instead)';
          this.refuse(`${oldBase}[${oi}]`, field, o.id, `dropped; dropping fields is not supported${hint}`);
        }
        return;
      }
      const n = newFields[ni];
      const path = `${newBase}[${ni}]`;
      if (o.name !== n.name) {
        const movedTo = newFields.find((f) => f.name === o.name && f.id !== o.id);
        const reusedBy = oldFields.find((f) => f.name === n.name && f.id !== o.id);
        const why =
          movedTo !== undefined
            ? `id ${o.id} was ${o.name} and is now used for ${n.name}, while ${o.name} got id ${movedTo.id}; field ids cannot be reused for a different field`
            : reusedBy !== undefined
              ? `id ${o.id} was ${o.name} and is now used for ${n.name} (which had id ${reusedBy.id}); field ids cannot be reused for a different field`
              : `renamed ${o.name} -> ${n.name}; renaming is not supported (add a new optional field instead)`;
        this.refuse(path, field, o.id, why);
        return;
      }
      if (ni < lastPos) {
        this.refuse(path, field, o.id, `reordered (was after ${lastName}, now before it); reordering fields is not supported`);
      } else {
        lastPos = ni;
        lastName = o.name;
      }
      this.slot(o, n, `${oldBase}[${oi}]`, path, field);
    });
    newFields.forEach((n, ni) => {
      if (oldPos.has(n.id)) return;
      const path = `${newBase}[${ni}]`;
      const field = prefix + n.name;
      if (this.oldIds.has(n.id)) {
        // a move, reported where the field was if its old parent is still there; else by finish()
        this.pending.push({ path, field, id: n.id });
        return;
      }
      if (oldFields.some((f) => f.name === n.name)) return; // an id change: reported with the old field
      const reused = firstOldId(n, this.oldIds);
      if (reused !== undefined) {
        this.refuse(path, field, reused.id, `new field reuses id ${reused.id} of ${reused.field}; field ids cannot be reused`);
        return;
      }
      if (n.required) {
        this.refuse(path, field, n.id, `new field ${n.name} (${typeToString(n.type)}) is required, but existing rows have no value for it; add it with optional: true`);
        return;
      }
      this.changes.push({ kind: 'add-field', path, field, id: n.id, parentId, added: n });
    });
  }

  /** Same id in both schemas: nullability, doc and type. */
  slot(o: Slot, n: Slot, oldPath: string, path: string, field: string): void {
    if (!o.required && n.required) {
      this.refuse(path, field, o.id, 'optional -> required is not allowed: existing rows may hold nulls');
    } else if (o.required && !n.required) {
      this.changes.push({ kind: 'make-optional', path, field, id: o.id });
    }
    if (o.doc !== n.doc) this.changes.push({ kind: 'update-doc', path, field, id: o.id, doc: n.doc });
    this.type(o, n, oldPath, path, field);
  }

  type(o: Slot, n: Slot, oldPath: string, path: string, field: string): void {
    const a = o.type;
    const b = n.type;
    if (typeof a === 'string' && typeof b === 'string') {
      if (a === b) return;
      if (isWidening(a, b)) {
        this.changes.push({ kind: 'widen-type', path, field, id: o.id, from: a, to: b });
        return;
      }
      this.refuse(path, field, o.id, `type change ${a} -> ${b} is not a widening; allowed: ${ALLOWED_WIDENINGS}`);
      return;
    }
    if (typeof a === 'string' || typeof b === 'string' || a.type !== b.type) {
      this.refuse(path, field, o.id, `type change ${typeToString(a)} -> ${typeToString(b)} is not allowed; allowed: ${ALLOWED_WIDENINGS}`);
      return;
    }
    const prefix = `${field}.`;
    if (a.type === 'struct' && b.type === 'struct') {
      this.struct(a.fields, b.fields, `${oldPath}.fields`, `${path}.fields`, prefix, o.id);
    } else if (a.type === 'list' && b.type === 'list') {
      if (a['element-id'] !== b['element-id']) {
        this.refuse(path, field, o.id, `list element id changed ${a['element-id']} -> ${b['element-id']}; field ids cannot change`);
        return;
      }
      const e = (t: typeof a): Slot => ({ id: t['element-id'], name: 'element', required: t['element-required'], type: t.element });
      this.slot(e(a), e(b), `${oldPath}.fields[0]`, `${path}.fields[0]`, `${prefix}element`);
    } else if (a.type === 'map' && b.type === 'map') {
      if (a['key-id'] !== b['key-id'] || a['value-id'] !== b['value-id']) {
        this.refuse(path, field, o.id, `map key/value ids changed (${a['key-id']}, ${a['value-id']}) -> (${b['key-id']}, ${b['value-id']}); field ids cannot change`);
        return;
      }
      if (JSON.stringify(a.key) !== JSON.stringify(b.key)) {
        this.refuse(`${path}.fields[0]`, `${prefix}key`, a['key-id'], `map key type change ${typeToString(a.key)} -> ${typeToString(b.key)} is not allowed; map keys cannot change`);
      }
      const v = (t: typeof a): Slot => ({ id: t['value-id'], name: 'value', required: t['value-required'], type: t.value });
      this.slot(v(a), v(b), `${oldPath}.fields[1]`, `${path}.fields[1]`, `${prefix}value`);
    }
  }
}

/** The first id in a new subtree (the field itself excluded) that the old schema already uses. */
function firstOldId(f: NestedField, oldIds: Map<number, Located>): { id: number; field: string } | undefined {
  const stack: IcebergType[] = [f.type];
  while (stack.length > 0) {
    const t = stack.pop()!;
    if (typeof t === 'string') continue;
    const ids: number[] = [];
    if (t.type === 'struct') {
      for (const c of t.fields) {
        ids.push(c.id);
        stack.push(c.type);
      }
    } else if (t.type === 'list') {
      ids.push(t['element-id']);
      stack.push(t.element);
    } else {
      ids.push(t['key-id'], t['value-id']);
      stack.push(t.key, t.value);
    }
    for (const id of ids) {
      const old = oldIds.get(id);
      if (old !== undefined) return { id, field: old.field };
    }
  }
  return undefined;
}

/** id -> where it sits, for every field including list elements and map keys/values. */
function index(fields: NestedField[], parentId: number | null, prefix: string, base: string, out: Map<number, Located>, dups?: Located[]): void {
  fields.forEach((f, i) => {
    const field = prefix + f.name;
    const path = `${base}[${i}]`;
    put(out, { id: f.id, parentId, field, path }, dups);
    indexType(f.type, f.id, `${field}.`, `${path}.fields`, out, dups);
  });
}

function put(out: Map<number, Located>, at: Located, dups?: Located[]): void {
  if (out.has(at.id)) dups?.push(at);
  else out.set(at.id, at);
}

function indexType(t: IcebergType, ownerId: number, prefix: string, base: string, out: Map<number, Located>, dups?: Located[]): void {
  if (typeof t === 'string') return;
  if (t.type === 'struct') index(t.fields, ownerId, prefix, base, out, dups);
  else if (t.type === 'list') {
    put(out, { id: t['element-id'], parentId: ownerId, field: `${prefix}element`, path: `${base}[0]` }, dups);
    indexType(t.element, t['element-id'], `${prefix}element.`, `${base}[0].fields`, out, dups);
  } else {
    put(out, { id: t['key-id'], parentId: ownerId, field: `${prefix}key`, path: `${base}[0]` }, dups);
    put(out, { id: t['value-id'], parentId: ownerId, field: `${prefix}value`, path: `${base}[1]` }, dups);
    indexType(t.key, t['key-id'], `${prefix}key.`, `${base}[0].fields`, out, dups);
    indexType(t.value, t['value-id'], `${prefix}value.`, `${base}[1].fields`, out, dups);
  }
}
