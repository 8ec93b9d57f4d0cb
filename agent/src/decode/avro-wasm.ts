// Avro's fastest path: a table's records decoded by WebAssembly into a stage, then moved into the
// Parquet column builders in bulk, one column at a time.
//
// avro-direct.ts appends each value to its column as it reads the record: per string, a call,
// the column object's fields, a bounds check on every typed-array access, and a record touches ~25
// columns. Here one WebAssembly function per table, generated from its Iceberg schema like
// avro-direct's `fill`, reads a record and writes each value to the column's region of the stage:
// a string's bytes are copied and checked with one 16-byte SIMD load and store when it has at most
// 16, its end goes to the column's slots, ints and longs are read as 64-bit integers. Every STAGE_ROWS
// records, at the end of a chunk, and before a record takes another path, flush() moves the stage
// into the builder's columns, a column at a time (Column.appendStaged: one copy per region). On the
// bench's Avro records the append costs a third of avro-direct's (BENCHMARKS.md, tenth session).
//
// What the stage accepts, it accepts exactly as avro-direct's fill does (and so as the general
// path, decode -> row -> append, does): the same framing rule, the same varint limits (7 bytes for
// lengths, counts, ints and union branches; 10 for longs), int range, negative lengths, block
// counts, union branches, boolean bytes, strict UTF-8, and a map that repeats a key declined as a
// whole. test/decode/avro-wasm.test.ts checks it against the general path on valid and corrupted
// values, down to the Parquet bytes. add() answers:
//   STAGED    the record is in the stage;
//   DECLINED  it is not (nothing of it is left in the stage): the caller reads it another way
//             (avro-direct, then the general path, which says what is wrong, as for any record);
//   FULL      a region of the stage is full: flush, then add again (a record that does not fit an
//             empty stage is DECLINED).
// A map of more than MAX_PAIRWISE entries is DECLINED too: avro-direct checks its keys with a set.
//
// Memory: one WebAssembly.Memory per stage, laid out by the generator: a table of 32 bytes per
// column (below), each column's regions, then the source region, where add() copies the buffer its
// records are in (once per buffer: the caller says when a buffer object is done with, forget()).
//
// Generated code: numbers and identifiers only, never a name from the schema. The text is
// assembled by wabt (the WebAssembly Binary Toolkit's parser, from npm).

import type { IcebergType, NestedField, Schema } from '../schema/types.ts';
import { covered as directCovers, flatten } from './avro-direct.ts';
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
/** A map with more entries leaves its record to avro-direct (whose key check scales). */
const MAX_PAIRWISE = 16;
/** Room the generator leaves after each region: SIMD loads and stores of up to 16 bytes. */
const SLACK = 16;

// The column table: column k's 32 bytes at 32 * k (all i32).
const T_POS = 0; // string: where the next value's bytes go; list and map: entries so far in the stage
const T_BYTES_END = 4; // string: end of the bytes region
const T_SLOT = 8; // where the next slot goes
const T_SLOT_END = 12;
const T_COUNT = 16; // slots so far: the next validity bit (nullable columns and structs)
const T_NULLS = 20;
const T_BASE = 24; // string: start of the bytes region
const T_BITMAP = 28; // validity bits (1: valid), 0 for a required column

// fill's results below 0.
const INVALID = -1;
const NO_ROOM = -2;
const DUPLICATE_KEY = -3;
const MANY_ENTRIES = -5;

type Kind = 'boolean' | 'int' | 'long' | 'float' | 'double' | 'string' | 'struct' | 'list' | 'map';

/** One column of the stage, in the depth-first order of avro-direct's flatten(). */
interface StageColumn {
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

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The stage's kind of a type avro-direct covers (see covered()). */
function kindOf(t: IcebergType): Kind {
  if (typeof t !== 'string') return t.type;
  if (t === 'date') return 'int';
  if (t === 'timestamp' || t === 'timestamptz') return 'long';
  return t as Kind;
}

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

// The helpers every table's module has. $V holds a helper's second result (a varint's value, a
// union branch, a block count). Positions are i32 addresses in the memory; a result below 0 is one
// of fill's results above.
const HELPERS = String.raw`
  (global $V (mut i64) (i64.const 0))

  ;; A zigzag varint of at most $max bytes, its low 64 bits: 7 for lengths, counts, ints and union
  ;; branches (avro-direct's vnum), 10 for longs (avro.ts readZigZag).
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

  ;; The Kafka columns' values, from fill's arguments.
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

  ;; The end of a list's or map's slot: n entries more.
  (func $entries (param $c i32) (param $n i32) (result i32)
    (local $o i32) (local $total i32)
    (local.set $o (call $slot (local.get $c) (i32.const 4)))
    (if (i32.lt_s (local.get $o) (i32.const 0)) (then (return (local.get $o))))
    (local.set $total (i32.add (i32.load offset=${T_POS} (local.get $c)) (local.get $n)))
    (i32.store offset=${T_POS} (local.get $c) (local.get $total))
    (i32.store (local.get $o) (local.get $total))
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

/** The stage's columns, in flatten() order. */
function planColumns(fields: readonly NestedField[], kafka: boolean): StageColumn[] {
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
    const k = this.col;
    this.ok(`(call $putInt ${this.at(k)} (local.get $part))`);
    this.ok(`(call $putLong ${this.at(k + 1)} (i64.trunc_f64_s (local.get $offset)))`);
    this.ok(`(call $putLong ${this.at(k + 2)} (i64.trunc_f64_s (local.get $timestamp)))`);
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

/** wabt's parser (an Emscripten build): loaded for each table's start and then let go, its memory with it. */
interface Wabt {
  parseWat(name: string, text: string, features: Record<string, boolean>): WatModule;
}
interface WatModule {
  validate(): void;
  toBinary(options: object): { buffer: Uint8Array };
  destroy(): void;
}

/**
 * The WebAssembly binary of a table's stage, or null when its schema has a type the stage does not
 * cover. `schema`'s fields are the declared ones; with `kafka`, fill also writes the three Kafka
 * columns that follow them (ingest/tables.ts). Assembled once (the pipeline, on the main thread);
 * each ingest worker makes its stage of it (avroStage).
 */
export async function assembleAvroStage(schema: Schema, kafka: boolean): Promise<Uint8Array | null> {
  // The memory is little-endian, and flush() reads it through typed arrays, in the platform's order.
  if (!LITTLE_ENDIAN || !schema.fields.every((f) => covered(f.type))) return null;
  const columns = planColumns(schema.fields, kafka);
  const { pages } = layOut(columns);
  const g = new Generator(columns);
  g.fields(schema.fields);
  if (kafka) g.kafka();
  const text = `(module
  (memory (export "memory") ${pages})
${HELPERS}
  (func (export "fill") (param $p i32) (param $e i32) (param $part i32) (param $offset f64) (param $timestamp f64) (result i32)
    (local $t i32) ${g.locals.join(' ')}
    ${g.lines.join('\n    ')}
    (local.get $p))
)`;
  const wabt: Wabt = await (await import('wabt')).default();
  const parsed = wabt.parseWat('stage.wat', text, { simd: true, bulk_memory: true });
  try {
    parsed.validate();
    return parsed.toBinary({}).buffer;
  } finally {
    parsed.destroy();
  }
}

/** A stage of the table whose binary assembleAvroStage made (with the same schema and `kafka`). */
export function avroStage(binary: Uint8Array, schema: Schema, kafka: boolean): AvroStage {
  const columns = planColumns(schema.fields, kafka);
  const { source } = layOut(columns);
  return new AvroStage(new wasm.Module(binary), columns, source);
}

/** Each column's regions after the table, 16-byte aligned, then the source region; the memory's initial pages. */
function layOut(columns: StageColumn[]): { source: number; pages: number } {
  let at = align(32 * columns.length);
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

// The WebAssembly API, which TypeScript declares only in its DOM library.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: Record<string, unknown> };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

export class AvroStage {
  readonly #columns: StageColumn[];
  readonly #memory: WasmMemory;
  readonly #fill: Fill;
  readonly #source: number;
  /** Top-level columns (the Kafka columns included). */
  readonly #topLevel: number;
  #u8: Uint8Array;
  #i32: Int32Array;
  /** The buffer whose bytes are in the source region (copied by add()), and its room. */
  #src: Uint8Array | null = null;
  #room: number;
  /** Records in the stage. */
  staged = 0;
  #lastColumns: readonly Column[] | null = null;
  #flat: Column[] = [];

  constructor(module: object, columns: StageColumn[], source: number) {
    const instance = new wasm.Instance(module);
    this.#columns = columns;
    this.#memory = instance.exports.memory as WasmMemory;
    this.#fill = instance.exports.fill as Fill;
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
    // fill converts both to 64-bit integers, which traps outside their range; and avro-direct
    // stores a safe integer exactly, anything else as Int64Column.appendNumber does.
    if (end <= start || !Number.isSafeInteger(timestamp) || !Number.isSafeInteger(offset)) return DECLINED;
    if (buf !== this.#src) this.#load(buf);
    const p = this.#source + start;
    const e = this.#source + end;
    // Framing as createAvroDecoder reads it (avro-direct's rule).
    if (buf[start] === 0 && end - start >= 5) {
      const framed = this.#fill(p + 5, e, partition, offset, timestamp);
      if (framed === e) return this.#staged();
      this.#rollback();
      if (framed === NO_ROOM) return this.staged > 0 ? FULL : DECLINED;
      if (framed === DUPLICATE_KEY || framed === MANY_ENTRIES) return DECLINED;
    }
    const plain = this.#fill(p, e, partition, offset, timestamp);
    if (plain === e) return this.#staged();
    this.#rollback();
    return plain === NO_ROOM && this.staged > 0 ? FULL : DECLINED;
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

  #staged(): StageResult {
    this.staged++;
    return STAGED;
  }

  #load(buf: Uint8Array): void {
    if (buf.byteLength > this.#room) {
      const pages = Math.ceil((buf.byteLength - this.#room) / 65536);
      this.#memory.grow(pages);
      this.#u8 = new Uint8Array(this.#memory.buffer);
      this.#i32 = new Int32Array(this.#memory.buffer);
      this.#room += pages * 65536;
    }
    this.#u8.set(buf, this.#source);
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
  #rollback(): void {
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
