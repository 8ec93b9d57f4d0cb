// Avro's fastest path: a table's records decoded by WebAssembly into a stage (wasm-stage.ts), then
// moved into the Parquet column builders in bulk, one column at a time.
//
// One WebAssembly function per table, generated from its Iceberg schema like avro-direct's `fill`,
// reads a record and writes each value to the column's region of the stage: a string's bytes are
// copied and checked with one 16-byte SIMD load and store when it has at most 16, ints and longs
// are read as 64-bit integers. On the bench's Avro records the append costs a third of
// avro-direct's (BENCHMARKS.md, tenth session).
//
// What the stage accepts, it accepts exactly as avro-direct's fill does (and so as the general
// path, decode -> row -> append, does): the same framing rule, the same varint limits (7 bytes for
// lengths, counts, ints and union branches; 10 for longs), int range, negative lengths, block
// counts, union branches, boolean bytes, strict UTF-8, and a map that repeats a key declined as a
// whole. test/decode/avro-wasm.test.ts checks it against the general path on valid and corrupted
// values, down to the Parquet bytes. A map of more than MAX_PAIRWISE entries is DECLINED too:
// avro-direct checks its keys with a set.

import type { IcebergType, NestedField, Schema } from '../schema/types.ts';
import { covered as directCovers } from './avro-direct.ts';
import { assembleStage, DECLINED, FULL, INVALID, kafkaLines, LITTLE_ENDIAN, NO_ROOM, planColumns, SLACK, T_BASE, T_BYTES_END, T_POS, T_SLOT, WasmStage, type StageColumn, type StageResult } from './wasm-stage.ts';

export { DECLINED, FULL, STAGED, STAGE_ROWS, type StageResult } from './wasm-stage.ts';

/** A map with more entries leaves its record to avro-direct (whose key check scales). */
const MAX_PAIRWISE = 16;

// fill's results below 0, beyond the stage's.
const DUPLICATE_KEY = -3;
const MANY_ENTRIES = -5;

/** A struct without fields anywhere in t: the stage counts a struct's slots through its members. */
function hasEmptyStruct(t: IcebergType): boolean {
  if (typeof t === 'string') return false;
  switch (t.type) {
    case 'struct':
      return t.fields.length === 0 || t.fields.some((f) => hasEmptyStruct(f.type));
    case 'list':
      return hasEmptyStruct(t.element);
    case 'map':
      return hasEmptyStruct(t.value);
  }
}

/** True when the stage covers the type: avro-direct does, and it holds no empty struct. */
function covered(t: IcebergType): boolean {
  return directCovers(t) && !hasEmptyStruct(t);
}

// Avro's helpers. $V (wasm-stage.ts) holds a helper's second result (a varint's value, a union
// branch, a block count).
const HELPERS = String.raw`
  (func $str (param $c i32) (param $p i32) (param $e i32) (result i32)
    (local $n i32) (local $dst i32) (local $o i32) (local $w v128)
    (if (i32.ge_u (local.get $p) (local.get $e)) (then (return (i32.const ${INVALID}))))
    (local.set $n (i32.load8_u (local.get $p)))
    (if (i32.eqz (i32.and (local.get $n) (i32.const 0x81)))
      (then
        (local.set $n (i32.shr_u (local.get $n) (i32.const 1)))
        (local.set $p (i32.add (local.get $p) (i32.const 1))))
      (else
        (local.set $p (call $varint (local.get $p) (local.get $e) (i32.const 7)))
        (if (i32.lt_s (local.get $p) (i32.const 0)) (then (return (i32.const ${INVALID}))))
        (if (i64.gt_u (global.get $V) (i64.extend_i32_u (i32.sub (local.get $e) (local.get $p)))) (then (return (i32.const ${INVALID}))))
        (local.set $n (i32.wrap_i64 (global.get $V)))))
    (if (i32.gt_u (local.get $n) (i32.sub (local.get $e) (local.get $p))) (then (return (i32.const ${INVALID}))))
    (local.set $dst (i32.load offset=${T_POS} (local.get $c)))
    (if (i32.gt_u (i32.add (i32.add (local.get $dst) (local.get $n)) (i32.const ${SLACK})) (i32.load offset=${T_BYTES_END} (local.get $c))) (then (return (i32.const ${NO_ROOM}))))
    (local.set $o (call $slot (local.get $c) (i32.const 4)))
    (if (i32.lt_s (local.get $o) (i32.const 0)) (then (return (local.get $o))))
    (if (i32.le_u (local.get $n) (i32.const 16))
      (then
        (local.set $w (v128.load (local.get $p)))
        (v128.store (local.get $dst) (local.get $w))
        (if (i32.and (i8x16.bitmask (local.get $w)) (i32.sub (i32.shl (i32.const 1) (local.get $n)) (i32.const 1)))
          (then (if (i32.eqz (call $utf8 (local.get $dst) (local.get $n))) (then (return (i32.const ${INVALID})))))))
      (else
        (memory.copy (local.get $dst) (local.get $p) (local.get $n))
        (if (i32.eqz (call $utf8 (local.get $dst) (local.get $n))) (then (return (i32.const ${INVALID}))))))
    (local.set $dst (i32.add (local.get $dst) (local.get $n)))
    (i32.store offset=${T_POS} (local.get $c) (local.get $dst))
    (i32.store (local.get $o) (i32.sub (local.get $dst) (i32.load offset=${T_BASE} (local.get $c))))
    (i32.add (local.get $p) (local.get $n)))

  (func $boolean (param $c i32) (param $p i32) (param $e i32) (result i32)
    (local $o i32)
    (if (i32.or (i32.ge_u (local.get $p) (local.get $e)) (i32.gt_u (i32.load8_u (local.get $p)) (i32.const 1))) (then (return (i32.const ${INVALID}))))
    (local.set $o (call $slot (local.get $c) (i32.const 1)))
    (if (i32.lt_s (local.get $o) (i32.const 0)) (then (return (local.get $o))))
    (i32.store8 (local.get $o) (i32.load8_u (local.get $p)))
    (i32.add (local.get $p) (i32.const 1)))

  (func $int (param $c i32) (param $p i32) (param $e i32) (result i32)
    (local $o i32)
    (local.set $p (call $varint (local.get $p) (local.get $e) (i32.const 7)))
    (if (i32.lt_s (local.get $p) (i32.const 0)) (then (return (i32.const ${INVALID}))))
    (if (i32.or (i64.lt_s (global.get $V) (i64.const -2147483648)) (i64.gt_s (global.get $V) (i64.const 2147483647))) (then (return (i32.const ${INVALID}))))
    (local.set $o (call $slot (local.get $c) (i32.const 4)))
    (if (i32.lt_s (local.get $o) (i32.const 0)) (then (return (local.get $o))))
    (i32.store (local.get $o) (i32.wrap_i64 (global.get $V)))
    (local.get $p))

  (func $long (param $c i32) (param $p i32) (param $e i32) (result i32)
    (local $o i32)
    (local.set $p (call $varint (local.get $p) (local.get $e) (i32.const 10)))
    (if (i32.lt_s (local.get $p) (i32.const 0)) (then (return (i32.const ${INVALID}))))
    (local.set $o (call $slot (local.get $c) (i32.const 8)))
    (if (i32.lt_s (local.get $o) (i32.const 0)) (then (return (local.get $o))))
    (i64.store (local.get $o) (global.get $V))
    (local.get $p))

  ;; A signalling NaN is stored quiet, as avro-direct (FloatColumn.appendLE) and the general path store it.
  (func $float (param $c i32) (param $p i32) (param $e i32) (result i32)
    (local $o i32) (local $x i32)
    (if (i32.lt_u (i32.sub (local.get $e) (local.get $p)) (i32.const 4)) (then (return (i32.const ${INVALID}))))
    (local.set $o (call $slot (local.get $c) (i32.const 4)))
    (if (i32.lt_s (local.get $o) (i32.const 0)) (then (return (local.get $o))))
    (local.set $x (i32.load (local.get $p)))
    (if (i32.and (i32.eq (i32.and (local.get $x) (i32.const 0x7f800000)) (i32.const 0x7f800000)) (i32.ne (i32.and (local.get $x) (i32.const 0x007fffff)) (i32.const 0)))
      (then (local.set $x (i32.or (local.get $x) (i32.const 0x00400000)))))
    (i32.store (local.get $o) (local.get $x))
    (i32.add (local.get $p) (i32.const 4)))

  (func $double (param $c i32) (param $p i32) (param $e i32) (result i32)
    (local $o i32)
    (if (i32.lt_u (i32.sub (local.get $e) (local.get $p)) (i32.const 8)) (then (return (i32.const ${INVALID}))))
    (local.set $o (call $slot (local.get $c) (i32.const 8)))
    (if (i32.lt_s (local.get $o) (i32.const 0)) (then (return (local.get $o))))
    (i64.store (local.get $o) (i64.load (local.get $p)))
    (i32.add (local.get $p) (i32.const 8)))

  ;; The end of a list's or map's slot: n entries more.
  (func $entries (param $c i32) (param $n i32) (result i32)
    (local $o i32) (local $total i32)
    (local.set $o (call $slot (local.get $c) (i32.const 4)))
    (if (i32.lt_s (local.get $o) (i32.const 0)) (then (return (local.get $o))))
    (local.set $total (i32.add (i32.load offset=${T_POS} (local.get $c)) (local.get $n)))
    (i32.store offset=${T_POS} (local.get $c) (local.get $total))
    (i32.store (local.get $o) (local.get $total))
    (i32.const 0))

  ;; An optional value's union branch: 0 (null) or 1 in $V.
  (func $branch (param $p i32) (param $e i32) (result i32)
    (local $x i32)
    (if (i32.ge_u (local.get $p) (local.get $e)) (then (return (i32.const ${INVALID}))))
    (local.set $x (i32.load8_u (local.get $p)))
    (if (i32.eqz (local.get $x)) (then (global.set $V (i64.const 0)) (return (i32.add (local.get $p) (i32.const 1)))))
    (if (i32.eq (local.get $x) (i32.const 2)) (then (global.set $V (i64.const 1)) (return (i32.add (local.get $p) (i32.const 1)))))
    (local.set $p (call $varint (local.get $p) (local.get $e) (i32.const 7)))
    (if (i32.lt_s (local.get $p) (i32.const 0)) (then (return (i32.const ${INVALID}))))
    (if (i64.gt_u (global.get $V) (i64.const 1)) (then (return (i32.const ${INVALID}))))
    (local.get $p))

  ;; An array or map block count in $V (0 ends the list), as avro-direct's blk: a count is at most
  ;; the bytes left (each entry takes one at least).
  (func $blk (param $p i32) (param $e i32) (result i32)
    (local $n i64)
    (local.set $p (call $varint (local.get $p) (local.get $e) (i32.const 7)))
    (if (i32.lt_s (local.get $p) (i32.const 0)) (then (return (i32.const ${INVALID}))))
    (local.set $n (global.get $V))
    (if (i64.lt_s (local.get $n) (i64.const 0))
      (then
        (local.set $n (i64.sub (i64.const 0) (local.get $n)))
        (local.set $p (call $varint (local.get $p) (local.get $e) (i32.const 7))) ;; the block's size in bytes, not needed
        (if (i32.lt_s (local.get $p) (i32.const 0)) (then (return (i32.const ${INVALID}))))))
    (if (i64.gt_u (local.get $n) (i64.extend_i32_u (i32.sub (local.get $e) (local.get $p)))) (then (return (i32.const ${INVALID}))))
    (global.set $V (local.get $n))
    (local.get $p))

  ;; 1 when the n keys of a map, the last n values of string column c, are distinct (pairwise);
  ;; the first starts at address $first.
  (func $distinct (param $c i32) (param $first i32) (param $n i32) (result i32)
    (local $slots i32) (local $base i32) (local $i i32) (local $j i32) (local $ai i32) (local $li i32) (local $aj i32) (local $lj i32) (local $q i32)
    (local.set $base (i32.load offset=${T_BASE} (local.get $c)))
    (local.set $slots (i32.sub (i32.load offset=${T_SLOT} (local.get $c)) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $i (i32.const 1))
    (block $idone
      (loop $il
        (br_if $idone (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $ai (i32.add (local.get $base) (i32.load (i32.add (local.get $slots) (i32.shl (i32.sub (local.get $i) (i32.const 1)) (i32.const 2))))))
        (local.set $li (i32.sub (i32.add (local.get $base) (i32.load (i32.add (local.get $slots) (i32.shl (local.get $i) (i32.const 2))))) (local.get $ai)))
        (local.set $aj (local.get $first))
        (local.set $j (i32.const 0))
        (block $jdone
          (loop $jl
            (br_if $jdone (i32.ge_u (local.get $j) (local.get $i)))
            (local.set $lj (i32.sub (i32.add (local.get $base) (i32.load (i32.add (local.get $slots) (i32.shl (local.get $j) (i32.const 2))))) (local.get $aj)))
            (if (i32.eq (local.get $li) (local.get $lj))
              (then
                (local.set $q (i32.const 0))
                (block $qdone
                  (loop $ql
                    (br_if $qdone (i32.ge_u (local.get $q) (local.get $li)))
                    (br_if $qdone (i32.ne (i32.load8_u (i32.add (local.get $ai) (local.get $q))) (i32.load8_u (i32.add (local.get $aj) (local.get $q)))))
                    (local.set $q (i32.add (local.get $q) (i32.const 1)))
                    (br $ql)))
                (if (i32.eq (local.get $q) (local.get $li)) (then (return (i32.const 0))))))
            (local.set $aj (i32.add (local.get $aj) (local.get $lj)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $jl)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $il)))
    (i32.const 1))
`;

/** Source of fill: the record's fields, then (with the Kafka columns) partition, offset, timestamp. */
class Generator {
  private col = 0;
  private lists = 0;
  readonly lines: string[] = [];
  readonly locals: string[] = [];
  private readonly columns: StageColumn[];

  constructor(columns: StageColumn[]) {
    this.columns = columns;
  }

  private at(k: number): string {
    return `(i32.const ${32 * k})`;
  }

  /** A call returning the new position: on a result below 0, fill returns it. */
  private pos(call: string): void {
    this.lines.push(`(local.set $p ${call}) (if (i32.lt_s (local.get $p) (i32.const 0)) (then (return (local.get $p))))`);
  }

  /** A call returning 0 or a result below 0, which fill returns. */
  private ok(call: string): void {
    this.lines.push(`(local.set $t ${call}) (if (i32.lt_s (local.get $t) (i32.const 0)) (then (return (local.get $t))))`);
  }

  fields(fields: readonly NestedField[]): void {
    for (const f of fields) this.value(f.type, !f.required);
  }

  kafka(): void {
    this.lines.push(...kafkaLines(this.col));
    this.col += 3;
  }

  private value(t: IcebergType, optional: boolean): void {
    if (!optional) return this.base(t);
    const k = this.col;
    this.pos('(call $branch (local.get $p) (local.get $e))');
    this.lines.push('(if (i64.eqz (global.get $V)) (then');
    this.absent(k, true);
    this.lines.push(') (else');
    this.base(t);
    this.lines.push('))');
  }

  /** Column k's slot and its descendants' for a null (top: the column itself is null) or an absent parent. */
  private absent(k: number, top: boolean): number {
    const c = this.columns[k];
    const nullable = c.nullable;
    let next = k + 1;
    switch (c.kind) {
      case 'string':
        this.ok(`(call $emptyStr ${this.at(k)})`);
        break;
      case 'struct':
        // each child's subtree follows
        if (!nullable) this.lines.push(`(call $count ${this.at(k)})`);
        while (next < this.columns.length && this.descends(next, k)) {
          if (this.columns[next].parent === k) next = this.absent(next, false);
          else next++;
        }
        break;
      case 'list':
      case 'map':
        this.ok(`(call $entries ${this.at(k)} (i32.const 0))`);
        while (next < this.columns.length && this.descends(next, k)) next++;
        break;
      default:
        this.ok(`(call $empty ${this.at(k)} (i32.const ${c.width}))`);
    }
    if (nullable) this.lines.push(`(call $null ${this.at(k)})`);
    else if (top) throw new Error('a required column has no null');
    return next;
  }

  private descends(k: number, ancestor: number): boolean {
    for (let p = this.columns[k].parent; p >= 0; p = this.columns[p].parent) if (p === ancestor) return true;
    return false;
  }

  private base(t: IcebergType): void {
    const k = this.col++;
    const c = this.columns[k];
    if (typeof t === 'string') {
      const fn = c.kind === 'string' ? '$str' : `$${c.kind}`;
      this.pos(`(call ${fn} ${this.at(k)} (local.get $p) (local.get $e))`);
      if (c.nullable) this.lines.push(`(call $valid ${this.at(k)})`);
      return;
    }
    switch (t.type) {
      case 'struct':
        this.lines.push(c.nullable ? `(call $valid ${this.at(k)})` : `(call $count ${this.at(k)})`);
        this.fields(t.fields);
        return;
      case 'list':
      case 'map': {
        const d = this.lists++;
        this.locals.push(`(local $n${d} i32) (local $m${d} i32)`);
        const key = this.col; // a map's key column, right after the map's
        if (t.type === 'map') {
          this.locals.push(`(local $q${d} i32) (local $first${d} i32)`);
          this.lines.push(`(local.set $q${d} (i32.load offset=${T_SLOT} ${this.at(key)}))`);
          this.lines.push(`(local.set $first${d} (i32.load offset=${T_POS} ${this.at(key)}))`);
        } else {
          this.lines.push(`(local.set $n${d} (i32.const 0))`);
        }
        this.lines.push(`(block $end${d} (loop $blocks${d}`);
        this.pos('(call $blk (local.get $p) (local.get $e))');
        this.lines.push(`(local.set $m${d} (i32.wrap_i64 (global.get $V)))`);
        this.lines.push(`(br_if $end${d} (i32.eqz (local.get $m${d})))`);
        if (t.type === 'list') this.lines.push(`(local.set $n${d} (i32.add (local.get $n${d}) (local.get $m${d})))`);
        this.lines.push(`(loop $items${d}`);
        if (t.type === 'list') this.value(t.element, !t['element-required']);
        else {
          this.col++;
          this.pos(`(call $str ${this.at(key)} (local.get $p) (local.get $e))`);
          this.value(t.value, !t['value-required']);
        }
        this.lines.push(`(local.set $m${d} (i32.sub (local.get $m${d}) (i32.const 1)))`);
        this.lines.push(`(br_if $items${d} (local.get $m${d})))`);
        this.lines.push(`(br $blocks${d})))`);
        if (t.type === 'map') {
          this.lines.push(`(local.set $n${d} (i32.shr_u (i32.sub (i32.load offset=${T_SLOT} ${this.at(key)}) (local.get $q${d})) (i32.const 2)))`);
          this.lines.push(`(if (i32.gt_u (local.get $n${d}) (i32.const 1)) (then`);
          this.lines.push(`  (if (i32.gt_u (local.get $n${d}) (i32.const ${MAX_PAIRWISE})) (then (return (i32.const ${MANY_ENTRIES}))))`);
          this.lines.push(`  (if (i32.eqz (call $distinct ${this.at(key)} (local.get $first${d}) (local.get $n${d}))) (then (return (i32.const ${DUPLICATE_KEY}))))))`);
        }
        this.ok(`(call $entries ${this.at(k)} (local.get $n${d}))`);
        if (c.nullable) this.lines.push(`(call $valid ${this.at(k)})`);
        return;
      }
    }
  }
}

// records()' $record (wasm-stage.ts): AvroStage.stage()'s rule, framed first, then plain. A framed
// record that fill does not stage stops records(), which takes back what fill staged of it:
// stage() then reads it, framed and then plain.
const RECORD = String.raw`
  (func $record (param $p i32) (param $e i32) (param $part i32) (param $offset f64) (param $timestamp f64) (result i32)
    (if (i32.and (i32.eqz (i32.load8_u (local.get $p))) (i32.ge_u (i32.sub (local.get $e) (local.get $p)) (i32.const 5)))
      (then (return (call $fill (i32.add (local.get $p) (i32.const 5)) (local.get $e) (local.get $part) (local.get $offset) (local.get $timestamp)))))
    (call $fill (local.get $p) (local.get $e) (local.get $part) (local.get $offset) (local.get $timestamp)))
`;

/**
 * The WebAssembly binary of a table's stage, or null when its schema has a type the stage does not
 * cover. `schema`'s fields are the declared ones; with `kafka`, fill also writes the three Kafka
 * columns that follow them (ingest/tables.ts). Assembled once (the pipeline, on the main thread);
 * each ingest worker makes its stage of it (avroStage).
 */
export async function assembleAvroStage(schema: Schema, kafka: boolean): Promise<Uint8Array | null> {
  if (!LITTLE_ENDIAN || !schema.fields.every((f) => covered(f.type))) return null;
  const columns = planColumns(schema.fields, kafka);
  const g = new Generator(columns);
  g.fields(schema.fields);
  if (kafka) g.kafka();
  return assembleStage(columns, HELPERS, g.locals.join(' '), [...g.lines, '(local.get $p)'], 0, RECORD);
}

/** A stage of the table whose binary assembleAvroStage made (with the same schema and `kafka`). */
export function avroStage(binary: Uint8Array, schema: Schema, kafka: boolean): AvroStage {
  return new AvroStage(binary, planColumns(schema.fields, kafka));
}

export class AvroStage extends WasmStage {
  /** Framing as createAvroDecoder reads it (avro-direct's rule): framed first, then plain. */
  protected override stage(buf: Uint8Array, start: number, p: number, e: number, partition: number, offset: number, timestamp: number): StageResult {
    if (buf[start] === 0 && e - p >= 5) {
      const framed = this.fill(p + 5, e, partition, offset, timestamp);
      if (framed === e) return this.settle(framed, e);
      this.rollback();
      if (framed === NO_ROOM) return this.staged > 0 ? FULL : DECLINED;
      if (framed === DUPLICATE_KEY || framed === MANY_ENTRIES) return DECLINED;
    }
    return this.settle(this.fill(p, e, partition, offset, timestamp), e);
  }
}
