// A stage: a table's records decoded by a WebAssembly function into the stage's memory, then moved
// into the Parquet column builders in bulk, one column at a time. avro-wasm.ts and json-wasm.ts
// generate each table's function (`fill`) from its Iceberg schema; this module has what they share:
// the memory's layout, the helpers every module has, the assembly, and the stage itself.
//
// Why: the JavaScript fast paths (avro-direct.ts, json-direct.ts) append each value to its column
// as they read the record: per value a call, the column object's fields, a bounds check on every
// typed-array access. Here `fill` writes each value to its column's region of the stage (a
// string's bytes copied with 16-byte SIMD loads and stores, its end to the column's slots), and
// flush() moves the regions into the builder's columns (Column.appendStaged: one copy per region).
// On the bench's records the append costs a third (Avro) and a quarter (JSON) of the JavaScript's
// (BENCHMARKS.md, tenth and eleventh sessions).
//
// add() answers:
//   STAGED    the record is in the stage;
//   DECLINED  it is not (nothing of it is left in the stage): the caller reads it another way
//             (the JavaScript fast path, then the general path, which says what is wrong);
//   FULL      a region of the stage is full: flush, then add again (a record that does not fit an
//             empty stage is DECLINED).
// Declining takes back what the record staged from the counts of the records before it: nothing is
// saved per record.
//
// take() stages a Kafka batch's records one after another in one call (records(), below: the
// record framing read in WebAssembly too), until a record that add() or the other paths are
// needed for, which it leaves untouched.
//
// Memory: one WebAssembly.Memory per stage: a table of 32 bytes per column (below), the bytes a
// generator reserves for itself (json-wasm.ts: the order of the keys), each column's regions
// (SLOTS slots; STRING_BYTES bytes per string column; a validity bitmap per nullable column), then
// the source region, where add() copies the buffer its records are in (once per buffer: the caller
// says when a buffer object is done with, forget()), with SLACK bytes after it.
//
// Generated code: numbers and identifiers only, never a name from the schema. The text is
// assembled by wabt (../wasm.ts).

import type { IcebergType, NestedField } from '../schema/types.ts';
import { assembleWat, instantiate, type WasmMemory } from '../wasm.ts';
import { flatten } from './avro-direct.ts';
import type { BoolColumn, FloatColumn, Int32Column, Int64Column, ListColumn, MapColumn, StructColumn, Utf8Column, Column } from '../parquet/columns.ts';

export const STAGED = 0;
export const DECLINED = 1;
export const FULL = 2;
export type StageResult = typeof STAGED | typeof DECLINED | typeof FULL;

/** Records a stage holds before the caller flushes it (about 400 KiB of the bench's records). */
export const STAGE_ROWS = 4096;
/** Slots of each column's region (list elements and map entries can be many a record). */
const SLOTS = 4 * STAGE_ROWS;
/** Bytes of each string column's region. */
const STRING_BYTES = 256 * 1024;
/** Room after each region and after the source: SIMD loads and stores of up to 16 bytes. */
export const SLACK = 16;

// The column table: column k's 32 bytes at 32 * k (all i32).
export const T_POS = 0; // string: where the next value's bytes go; list and map: entries so far in the stage
export const T_BYTES_END = 4; // string: end of the bytes region
export const T_SLOT = 8; // where the next slot goes
export const T_SLOT_END = 12;
export const T_COUNT = 16; // slots so far: the next validity bit (nullable columns and structs)
export const T_NULLS = 20;
export const T_BASE = 24; // string: start of the bytes region
export const T_BITMAP = 28; // validity bits (1: valid), 0 for a required column

// fill's results below 0 (a generator may add its own).
export const INVALID = -1;
export const NO_ROOM = -2;

export type Kind = 'boolean' | 'int' | 'long' | 'float' | 'double' | 'string' | 'struct' | 'list' | 'map';

/** One column of the stage, in the depth-first order of avro-direct's flatten(). */
export interface StageColumn {
  kind: Kind;
  nullable: boolean;
  /** Its parent's index, -1 at the top. */
  parent: number;
  /** Bytes per slot (0: a struct has none). */
  width: number;
  slots: number;
  bytes: number;
  bitmap: number;
}

const WIDTH: Record<Kind, number> = { boolean: 1, int: 4, long: 8, float: 4, double: 8, string: 4, struct: 0, list: 4, map: 4 };

/** The memory is little-endian, and flush() reads it through typed arrays, in the platform's order. */
export const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The stage's kind of a type a generator covers (a date is an int, a timestamp a long). */
function kindOf(t: IcebergType): Kind {
  if (typeof t !== 'string') return t.type;
  if (t === 'date') return 'int';
  if (t === 'timestamp' || t === 'timestamptz') return 'long';
  return t as Kind;
}

// The helpers every table's module has. Positions are i32 addresses in the memory; a result below
// 0 is one of fill's results above.
const COMMON = String.raw`
  (global $V (mut i64) (i64.const 0))

  ;; A zigzag varint of at most $max bytes, its low 64 bits in $V: the position after it, or
  ;; ${INVALID}. Avro's (7 bytes for lengths, counts, ints and union branches, as avro-direct's vnum;
  ;; 10 for longs, as avro.ts readZigZag) and the Kafka records' (records()).
  (func $varint (param $p i32) (param $e i32) (param $max i32) (result i32)
    (local $acc i64) (local $shift i64) (local $x i32) (local $k i32)
    (loop $l
      (if (i32.or (i32.ge_u (local.get $p) (local.get $e)) (i32.eq (local.get $k) (local.get $max))) (then (return (i32.const ${INVALID}))))
      (local.set $x (i32.load8_u (local.get $p)))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (local.set $acc (i64.or (local.get $acc) (i64.shl (i64.extend_i32_u (i32.and (local.get $x) (i32.const 0x7f))) (local.get $shift))))
      (local.set $shift (i64.add (local.get $shift) (i64.const 7)))
      (br_if $l (i32.and (local.get $x) (i32.const 0x80))))
    (global.set $V (i64.xor (i64.shr_u (local.get $acc) (i64.const 1)) (i64.sub (i64.const 0) (i64.and (local.get $acc) (i64.const 1)))))
    (local.get $p))

  ;; 1 when the n bytes at a are UTF-8 (no overlong forms, no surrogates, nothing past U+10FFFF).
  (func $utf8 (param $a i32) (param $n i32) (result i32)
    (local $i i32) (local $b i32) (local $c i32)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $b (i32.load8_u (i32.add (local.get $a) (local.get $i))))
        (if (i32.lt_u (local.get $b) (i32.const 0x80)) (then (local.set $i (i32.add (local.get $i) (i32.const 1))) (br $l)))
        (if (i32.lt_u (local.get $b) (i32.const 0xc2)) (then (return (i32.const 0))))
        (if (i32.ge_u (i32.add (local.get $i) (i32.const 1)) (local.get $n)) (then (return (i32.const 0))))
        (local.set $c (i32.load8_u (i32.add (local.get $a) (i32.add (local.get $i) (i32.const 1)))))
        (if (i32.ne (i32.and (local.get $c) (i32.const 0xc0)) (i32.const 0x80)) (then (return (i32.const 0))))
        (if (i32.lt_u (local.get $b) (i32.const 0xe0)) (then (local.set $i (i32.add (local.get $i) (i32.const 2))) (br $l)))
        (if (i32.and (i32.eq (local.get $b) (i32.const 0xe0)) (i32.lt_u (local.get $c) (i32.const 0xa0))) (then (return (i32.const 0))))
        (if (i32.and (i32.eq (local.get $b) (i32.const 0xed)) (i32.gt_u (local.get $c) (i32.const 0x9f))) (then (return (i32.const 0))))
        (if (i32.and (i32.eq (local.get $b) (i32.const 0xf0)) (i32.lt_u (local.get $c) (i32.const 0x90))) (then (return (i32.const 0))))
        (if (i32.and (i32.eq (local.get $b) (i32.const 0xf4)) (i32.gt_u (local.get $c) (i32.const 0x8f))) (then (return (i32.const 0))))
        (if (i32.gt_u (local.get $b) (i32.const 0xf4)) (then (return (i32.const 0))))
        (if (i32.ge_u (i32.add (local.get $i) (i32.const 2)) (local.get $n)) (then (return (i32.const 0))))
        (if (i32.ne (i32.and (i32.load8_u (i32.add (local.get $a) (i32.add (local.get $i) (i32.const 2)))) (i32.const 0xc0)) (i32.const 0x80)) (then (return (i32.const 0))))
        (if (i32.lt_u (local.get $b) (i32.const 0xf0)) (then (local.set $i (i32.add (local.get $i) (i32.const 3))) (br $l)))
        (if (i32.ge_u (i32.add (local.get $i) (i32.const 3)) (local.get $n)) (then (return (i32.const 0))))
        (if (i32.ne (i32.and (i32.load8_u (i32.add (local.get $a) (i32.add (local.get $i) (i32.const 3)))) (i32.const 0xc0)) (i32.const 0x80)) (then (return (i32.const 0))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $l)))
    (i32.const 1))

  ;; The next slot of column c (width w), or ${NO_ROOM}.
  (func $slot (param $c i32) (param $w i32) (result i32)
    (local $o i32)
    (local.set $o (i32.load offset=${T_SLOT} (local.get $c)))
    (if (i32.gt_u (i32.add (local.get $o) (local.get $w)) (i32.load offset=${T_SLOT_END} (local.get $c))) (then (return (i32.const ${NO_ROOM}))))
    (i32.store offset=${T_SLOT} (local.get $c) (i32.add (local.get $o) (local.get $w)))
    (local.get $o))

  ;; A value to column c's next slot: 0, or ${NO_ROOM} (the Kafka columns' values, a reader's).
  (func $putInt (param $c i32) (param $v i32) (result i32)
    (local $o i32)
    (local.set $o (call $slot (local.get $c) (i32.const 4)))
    (if (i32.lt_s (local.get $o) (i32.const 0)) (then (return (local.get $o))))
    (i32.store (local.get $o) (local.get $v))
    (i32.const 0))

  (func $putLong (param $c i32) (param $v i64) (result i32)
    (local $o i32)
    (local.set $o (call $slot (local.get $c) (i32.const 8)))
    (if (i32.lt_s (local.get $o) (i32.const 0)) (then (return (local.get $o))))
    (i64.store (local.get $o) (local.get $v))
    (i32.const 0))

  ;; An empty slot of width w (a null's, or under an absent struct): zeros; a string's ends where the last did.
  (func $empty (param $c i32) (param $w i32) (result i32)
    (local $o i32)
    (local.set $o (call $slot (local.get $c) (local.get $w)))
    (if (i32.lt_s (local.get $o) (i32.const 0)) (then (return (local.get $o))))
    (if (i32.eq (local.get $w) (i32.const 8)) (then (i64.store (local.get $o) (i64.const 0)) (return (i32.const 0))))
    (if (i32.eq (local.get $w) (i32.const 1)) (then (i32.store8 (local.get $o) (i32.const 0)) (return (i32.const 0))))
    (i32.store (local.get $o) (i32.const 0))
    (i32.const 0))

  (func $emptyStr (param $c i32) (result i32)
    (local $o i32)
    (local.set $o (call $slot (local.get $c) (i32.const 4)))
    (if (i32.lt_s (local.get $o) (i32.const 0)) (then (return (local.get $o))))
    (i32.store (local.get $o) (i32.sub (i32.load offset=${T_POS} (local.get $c)) (i32.load offset=${T_BASE} (local.get $c))))
    (i32.const 0))

  ;; Validity of the next slot of a nullable column (or the next slot of a struct, counted).
  (func $valid (param $c i32)
    (local $i i32) (local $a i32)
    (local.set $i (i32.load offset=${T_COUNT} (local.get $c)))
    (i32.store offset=${T_COUNT} (local.get $c) (i32.add (local.get $i) (i32.const 1)))
    (local.set $a (i32.add (i32.load offset=${T_BITMAP} (local.get $c)) (i32.shr_u (local.get $i) (i32.const 3))))
    (i32.store8 (local.get $a) (i32.or (i32.load8_u (local.get $a)) (i32.shl (i32.const 1) (i32.and (local.get $i) (i32.const 7))))))

  (func $null (param $c i32)
    (i32.store offset=${T_COUNT} (local.get $c) (i32.add (i32.load offset=${T_COUNT} (local.get $c)) (i32.const 1)))
    (i32.store offset=${T_NULLS} (local.get $c) (i32.add (i32.load offset=${T_NULLS} (local.get $c)) (i32.const 1))))

  (func $count (param $c i32)
    (i32.store offset=${T_COUNT} (local.get $c) (i32.add (i32.load offset=${T_COUNT} (local.get $c)) (i32.const 1))))
`;

/** The stage's columns, in flatten() order. */
export function planColumns(fields: readonly NestedField[], kafka: boolean): StageColumn[] {
  const out: StageColumn[] = [];
  const add = (t: IcebergType, nullable: boolean, parent: number): void => {
    const kind = kindOf(t);
    const k = out.length;
    out.push({ kind, nullable, parent, width: WIDTH[kind], slots: 0, bytes: 0, bitmap: 0 });
    if (typeof t === 'string') return;
    if (t.type === 'struct') for (const f of t.fields) add(f.type, !f.required, k);
    else if (t.type === 'list') add(t.element, !t['element-required'], k);
    else {
      add('string', false, k);
      add(t.value, !t['value-required'], k);
    }
  };
  for (const f of fields) add(f.type, !f.required, -1);
  if (kafka) for (const t of ['int', 'long', 'long'] as const) add(t, false, -1);
  return out;
}

/** fill's lines that write the three Kafka columns (from column k on) from its arguments. */
export function kafkaLines(k: number): string[] {
  const ok = (call: string): string => `(local.set $t ${call}) (if (i32.lt_s (local.get $t) (i32.const 0)) (then (return (local.get $t))))`;
  return [
    ok(`(call $putInt (i32.const ${32 * k}) (local.get $part))`),
    ok(`(call $putLong (i32.const ${32 * (k + 1)}) (i64.trunc_f64_s (local.get $offset)))`),
    ok(`(call $putLong (i32.const ${32 * (k + 2)}) (i64.trunc_f64_s (local.get $timestamp)))`),
  ];
}

// records(p, e, n, part, base, from, ts, fixed, lo, hi): Kafka records, in the v2 record framing
// (length, attributes, timestamp delta, offset delta, key, value, headers) from p on, staged one
// after another by $record, at most n of them; returns how many. Their partition is part, their
// offset base + the offset delta, their timestamp (ms) ts, plus the timestamp delta unless fixed (a
// log-append-time batch). It stops at a record whose offset is below from, whose timestamp is
// outside [lo, hi) (the file the records go to), whose value is null or empty, whose framing it
// does not read exactly as records.ts does (varints of up to 4 bytes, 7 for the timestamp delta), or
// that $record does not stage. Then $end is where that record starts; else where the n-th ends.
// $raw: the key and value bytes of the records staged; $undo: 1 when it stopped at a record that
// $record did not stage, whose part staged is to be taken back.
const RECORDS = String.raw`
  (global $end (export "end") (mut i32) (i32.const 0))
  (global $raw (export "raw") (mut i32) (i32.const 0))
  (global $undo (export "undo") (mut i32) (i32.const 0))

  (func (export "records") (param $p i32) (param $e i32) (param $n i32) (param $part i32) (param $base f64) (param $from f64) (param $ts0 f64) (param $fixed i32) (param $lo f64) (param $hi f64) (result i32)
    (local $k i32) (local $q i32) (local $rend i32) (local $dt f64) (local $off f64) (local $ts f64) (local $kl i32) (local $vl i32) (local $raw i32)
    (global.set $undo (i32.const 0))
    (block $stop
      (loop $next
        (br_if $stop (i32.eq (local.get $k) (local.get $n)))
        ;; the length (a negative one is a huge unsigned)
        (local.set $q (call $varint (local.get $p) (local.get $e) (i32.const 4)))
        (br_if $stop (i32.lt_s (local.get $q) (i32.const 0)))
        (br_if $stop (i64.gt_u (global.get $V) (i64.extend_i32_u (i32.sub (local.get $e) (local.get $q)))))
        (local.set $rend (i32.add (local.get $q) (i32.wrap_i64 (global.get $V))))
        ;; the attributes byte, unused, then the timestamp delta
        (local.set $q (call $varint (i32.add (local.get $q) (i32.const 1)) (local.get $rend) (i32.const 7)))
        (br_if $stop (i32.lt_s (local.get $q) (i32.const 0)))
        (local.set $dt (f64.convert_i64_s (global.get $V)))
        (local.set $q (call $varint (local.get $q) (local.get $rend) (i32.const 4)))
        (br_if $stop (i32.lt_s (local.get $q) (i32.const 0)))
        (local.set $off (f64.add (local.get $base) (f64.convert_i64_s (global.get $V))))
        ;; the key (a negative length: null)
        (local.set $q (call $varint (local.get $q) (local.get $rend) (i32.const 4)))
        (br_if $stop (i32.lt_s (local.get $q) (i32.const 0)))
        (local.set $kl (i32.wrap_i64 (global.get $V)))
        (if (i32.gt_s (local.get $kl) (i32.const 0))
          (then
            (br_if $stop (i32.gt_u (local.get $kl) (i32.sub (local.get $rend) (local.get $q))))
            (local.set $q (i32.add (local.get $q) (local.get $kl))))
          (else (local.set $kl (i32.const 0))))
        ;; the value; the headers after it are not read
        (local.set $q (call $varint (local.get $q) (local.get $rend) (i32.const 4)))
        (br_if $stop (i32.lt_s (local.get $q) (i32.const 0)))
        (local.set $vl (i32.wrap_i64 (global.get $V)))
        (br_if $stop (i32.or (i32.lt_s (local.get $vl) (i32.const 1)) (i32.gt_u (local.get $vl) (i32.sub (local.get $rend) (local.get $q)))))
        (br_if $stop (f64.lt (local.get $off) (local.get $from)))
        (local.set $ts (if (result f64) (local.get $fixed) (then (local.get $ts0)) (else (f64.add (local.get $ts0) (local.get $dt)))))
        (br_if $stop (i32.or (f64.lt (local.get $ts) (local.get $lo)) (f64.ge (local.get $ts) (local.get $hi))))
        ;; as add(): fill converts both to 64-bit integers
        (local.set $ts (f64.mul (local.get $ts) (f64.const 1000)))
        (br_if $stop (i32.or (f64.gt (f64.abs (local.get $off)) (f64.const 9007199254740991)) (f64.gt (f64.abs (local.get $ts)) (f64.const 9007199254740991))))
        (local.set $vl (i32.add (local.get $q) (local.get $vl)))
        (if (i32.ne (call $record (local.get $q) (local.get $vl) (local.get $part) (local.get $off) (local.get $ts)) (local.get $vl))
          (then (global.set $undo (i32.const 1)) (br $stop)))
        (local.set $raw (i32.add (local.get $raw) (i32.add (local.get $kl) (i32.sub (local.get $vl) (local.get $q)))))
        (local.set $p (local.get $rend))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $next)))
    (global.set $end (local.get $p))
    (global.set $raw (local.get $raw))
    (local.get $k))
`;

/** records()' $record where a generator has no rule of its own: fill. */
const RECORD = String.raw`
  (func $record (param $p i32) (param $e i32) (param $part i32) (param $offset f64) (param $timestamp f64) (result i32)
    (call $fill (local.get $p) (local.get $e) (local.get $part) (local.get $offset) (local.get $timestamp)))
`;

/**
 * Assembles a table's module: the memory for `columns`, the common helpers and the generator's,
 * `fill(p, e, part, offset, timestamp) -> end or a result below 0` with the generator's locals and
 * lines (`$t` is an i32 local it may use), records() (above) with `record`, the generator's $record
 * (fill by default), and `reserve` bytes for the generator's own use after the column table (at 32 *
 * columns.length, zeros at first). wabt is loaded for each call and then let go.
 */
export async function assembleStage(columns: StageColumn[], helpers: string, locals: string, lines: readonly string[], reserve = 0, record = RECORD): Promise<Uint8Array> {
  const { pages } = layOut(columns, reserve);
  const text = `(module
  (memory (export "memory") ${pages})
${COMMON}
${helpers}
  (func $fill (export "fill") (param $p i32) (param $e i32) (param $part i32) (param $offset f64) (param $timestamp f64) (result i32)
    (local $t i32) ${locals}
    ${lines.join('\n    ')})
${record}
${RECORDS}
)`;
  return assembleWat('stage.wat', text);
}

/**
 * Each column's regions after the table and `reserve` bytes of the generator's (at 32 * columns), 16-byte
 * aligned, then the source region; the memory's initial pages.
 */
function layOut(columns: StageColumn[], reserve: number): { source: number; pages: number } {
  let at = align(32 * columns.length + reserve);
  for (const c of columns) {
    if (c.width > 0) {
      c.slots = at;
      at = align(at + SLOTS * c.width + SLACK);
    }
    if (c.kind === 'string') {
      c.bytes = at;
      at = align(at + STRING_BYTES + SLACK);
    }
    if (c.nullable) {
      c.bitmap = at;
      at = align(at + SLOTS / 8 + SLACK);
    }
  }
  return { source: at, pages: Math.ceil((at + (1 << 20)) / 65536) };
}

function align(n: number): number {
  return (n + 15) & ~15;
}

type Fill = (p: number, e: number, partition: number, offset: number, timestamp: number) => number;
type Records = (p: number, e: number, n: number, partition: number, base: number, from: number, timestamp: number, fixed: number, lo: number, hi: number) => number;
interface WasmGlobal {
  readonly value: number;
}

/** A table's stage: the records `fill` reads (see the module's comment). */
export class WasmStage {
  readonly #columns: StageColumn[];
  readonly #memory: WasmMemory;
  protected readonly fill: Fill;
  readonly #source: number;
  /** Top-level columns (the Kafka columns included). */
  readonly #topLevel: number;
  #u8: Uint8Array;
  #i32: Int32Array;
  /** The buffer whose bytes are in the source region (copied by add(), at its own alignment modulo 8), and the region's room. */
  #src: Uint8Array | null = null;
  #room: number;
  readonly #records: Records;
  readonly #end: WasmGlobal;
  readonly #raw: WasmGlobal;
  readonly #undo: WasmGlobal;
  /** Records in the stage. */
  staged = 0;
  /** After take(): where the next record starts in its buffer, and the key and value bytes of those it staged. */
  takenEnd = 0;
  takenBytes = 0;
  #lastColumns: readonly Column[] | null = null;
  #flat: Column[] = [];

  /** A stage of `binary` (assembleStage's, for these columns and `reserve`). */
  constructor(binary: Uint8Array, columns: StageColumn[], reserve = 0) {
    const { source } = layOut(columns, reserve);
    const exports = instantiate(binary);
    this.#columns = columns;
    this.#memory = exports.memory as WasmMemory;
    this.fill = exports.fill as Fill;
    this.#records = exports.records as Records;
    this.#end = exports.end as WasmGlobal;
    this.#raw = exports.raw as WasmGlobal;
    this.#undo = exports.undo as WasmGlobal;
    this.#source = source;
    this.#topLevel = columns.filter((c) => c.parent === -1).length;
    this.#u8 = new Uint8Array(this.#memory.buffer);
    this.#i32 = new Int32Array(this.#memory.buffer);
    this.#room = this.#memory.buffer.byteLength - source - SLACK;
    this.#reset();
  }

  /**
   * Stages the record in buf[start, end), with its Kafka partition, offset and timestamp (µs) if
   * the stage has the Kafka columns. buf's bytes are copied when it is not the buffer of the call
   * before: call forget() before its contents change.
   */
  add(buf: Uint8Array, start: number, end: number, partition = 0, offset = 0, timestamp = 0): StageResult {
    // fill converts both to 64-bit integers, which traps outside their range; and the fast paths
    // store a safe integer exactly, anything else as Int64Column.appendNumber does.
    if (end <= start || !Number.isSafeInteger(timestamp) || !Number.isSafeInteger(offset)) return DECLINED;
    if (buf !== this.#src) this.#load(buf);
    const at = this.#source + (buf.byteOffset & 7);
    return this.stage(buf, start, at + start, at + end, partition, offset, timestamp);
  }

  /**
   * Stages up to `count` Kafka records of a batch (buf: its records field, decompressed) from byte
   * `pos` on, one after another, with `partition`; `base` is the batch's base offset, `timestamp`
   * its base timestamp (ms), or every record's when `fixed` (log-append time). Stops at a record
   * that add() would not stage, and at one whose offset is below `from` or whose timestamp is outside
   * [lo, hi), untouched: the caller reads it another way. Returns how many it staged; takenEnd and
   * takenBytes say where the next record starts and how many key and value bytes were staged.
   */
  take(buf: Uint8Array, pos: number, count: number, partition: number, base: number, from: number, timestamp: number, fixed: boolean, lo: number, hi: number): number {
    if (buf !== this.#src) this.#load(buf);
    const at = this.#source + (buf.byteOffset & 7);
    const n = this.#records(at + pos, at + buf.byteLength, count, partition, base, from, timestamp, fixed ? 1 : 0, lo, hi);
    this.staged += n;
    this.takenEnd = this.#end.value - at;
    this.takenBytes = this.#raw.value;
    if (this.#undo.value === 1) this.rollback();
    return n;
  }

  /** Stages the record at [p, e) of the memory, buf[start] on: fill reads it from p. */
  protected stage(_buf: Uint8Array, _start: number, p: number, e: number, partition: number, offset: number, timestamp: number): StageResult {
    return this.settle(this.fill(p, e, partition, offset, timestamp), e);
  }

  /** What fill's result r says, for a record that ends at e; a record not staged is taken back. */
  protected settle(r: number, e: number): StageResult {
    if (r === e) {
      this.staged++;
      return STAGED;
    }
    this.rollback();
    return r === NO_ROOM && this.staged > 0 ? FULL : DECLINED;
  }

  /** Drops the staged records (a chunk that failed). */
  discard(): void {
    this.#reset();
    this.#src = null;
  }

  /** The next add() copies its buffer again, even the same object (whose bytes may have changed). */
  forget(): void {
    this.#src = null;
  }

  /**
   * Moves the staged records into `columns` (a builder's top-level columns, the stage's schema's),
   * column by column, and empties the stage; returns how many. Call it through
   * ParquetFileBuilder.appendRows.
   */
  flush(columns: readonly Column[]): number {
    const n = this.staged;
    if (n === 0) return 0;
    if (columns !== this.#lastColumns) {
      this.#flat = flatten(columns.slice(0, this.#topLevel));
      this.#lastColumns = columns;
    }
    const flat = this.#flat;
    if (flat.length !== this.#columns.length) throw new Error(`the stage has ${this.#columns.length} columns, the builder ${flat.length}`);
    const buffer = this.#memory.buffer;
    const i32 = this.#i32;
    for (let k = 0; k < flat.length; k++) {
      const c = this.#columns[k];
      const t = 8 * k;
      const count = c.width > 0 ? (i32[t + T_SLOT / 4] - c.slots) / c.width : i32[t + T_COUNT / 4];
      const nulls = i32[t + T_NULLS / 4];
      const bits = c.nullable ? new Uint8Array(buffer, c.bitmap, (count + 7) >> 3) : EMPTY;
      const col = flat[k];
      switch (c.kind) {
        case 'string':
          (col as Utf8Column).appendStaged(new Uint8Array(buffer, c.bytes, STRING_BYTES), new Int32Array(buffer, c.slots, count), count, bits, nulls);
          break;
        case 'int':
          (col as Int32Column).appendStaged(new Int32Array(buffer, c.slots, count), count, bits, nulls);
          break;
        case 'long':
          (col as Int64Column).appendStaged(new Int32Array(buffer, c.slots, 2 * count), count, bits, nulls);
          break;
        case 'float':
        case 'double':
          (col as FloatColumn).appendStaged(new Uint8Array(buffer, c.slots, c.width * count), count, bits, nulls);
          break;
        case 'boolean':
          (col as BoolColumn).appendStaged(new Uint8Array(buffer, c.slots, count), count, bits, nulls);
          break;
        case 'struct':
          (col as StructColumn).appendStaged(count, bits, nulls);
          break;
        case 'list':
          (col as ListColumn).appendStaged(new Int32Array(buffer, c.slots, count), count, bits, nulls);
          break;
        case 'map':
          (col as MapColumn).appendStaged(new Int32Array(buffer, c.slots, count), count, bits, nulls);
          break;
      }
    }
    this.#reset();
    return n;
  }

  /**
   * Copies buf into the source region at buf's own alignment modulo 8: buf is usually a view of the
   * fetch's shared memory, which V8 reads with relaxed atomic loads, 8 bytes at a time only where
   * both addresses agree modulo 8 and byte by byte elsewhere (~4x slower: BENCHMARKS.md, thirteenth
   * session).
   */
  #load(buf: Uint8Array): void {
    const shift = buf.byteOffset & 7;
    if (shift + buf.byteLength > this.#room) {
      const pages = Math.ceil((shift + buf.byteLength - this.#room) / 65536);
      this.#memory.grow(pages);
      this.#u8 = new Uint8Array(this.#memory.buffer);
      this.#i32 = new Int32Array(this.#memory.buffer);
      this.#room += pages * 65536;
    }
    this.#u8.set(buf, this.#source + shift);
    this.#src = buf;
  }

  /** Empties every column's regions. */
  #reset(): void {
    const i32 = this.#i32;
    const u8 = this.#u8;
    for (let k = 0; k < this.#columns.length; k++) {
      const c = this.#columns[k];
      const t = 8 * k;
      if (c.nullable) {
        // Only what the stage used has bits set.
        const used = i32[t + T_COUNT / 4];
        u8.fill(0, c.bitmap, c.bitmap + ((used + 7) >> 3) + 1);
      }
      i32[t + T_POS / 4] = c.kind === 'string' ? c.bytes : 0;
      i32[t + T_BYTES_END / 4] = c.kind === 'string' ? c.bytes + STRING_BYTES : 0;
      i32[t + T_SLOT / 4] = c.slots;
      i32[t + T_SLOT_END / 4] = c.slots + SLOTS * c.width;
      i32[t + T_COUNT / 4] = 0;
      i32[t + T_NULLS / 4] = 0;
      i32[t + T_BASE / 4] = c.bytes;
      i32[t + T_BITMAP / 4] = c.bitmap;
    }
    this.staged = 0;
  }

  /**
   * Takes back whatever a declined record left in the stage: each column's slot count at the
   * record's start follows from the records staged (the top level), its parent's (a struct's
   * members), or its list's or map's entries so far.
   */
  protected rollback(): void {
    const i32 = this.#i32;
    const u8 = this.#u8;
    const columns = this.#columns;
    const counts = new Int32Array(columns.length);
    for (let k = 0; k < columns.length; k++) {
      const c = columns[k];
      const t = 8 * k;
      let count: number;
      if (c.parent === -1) count = this.staged;
      else {
        const parent = columns[c.parent];
        const pc = counts[c.parent];
        count = parent.kind === 'struct' ? pc : pc === 0 ? 0 : i32[(parent.slots >> 2) + pc - 1];
      }
      counts[k] = count;
      if (c.width > 0) i32[t + T_SLOT / 4] = c.slots + count * c.width;
      if (c.kind === 'string') i32[t + T_POS / 4] = c.bytes + (count === 0 ? 0 : i32[(c.slots >> 2) + count - 1]);
      if (c.kind === 'list' || c.kind === 'map') i32[t + T_POS / 4] = count === 0 ? 0 : i32[(c.slots >> 2) + count - 1];
      if (c.nullable) {
        // Clear the bits of the slots taken back (a null's is 0 already, a valid one's is not).
        const was = i32[t + T_COUNT / 4];
        for (let i = count; i < was; i++) u8[c.bitmap + (i >> 3)] &= ~(1 << (i & 7));
        // The null count may stay high: it only says whether flush() looks at the bits.
      }
      i32[t + T_COUNT / 4] = count;
    }
  }
}

const EMPTY = new Uint8Array(0);
