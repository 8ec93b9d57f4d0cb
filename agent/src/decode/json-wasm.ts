// JSON's fastest path: a table's records read by WebAssembly into a stage (wasm-stage.ts), then
// moved into the Parquet column builders in bulk, one column at a time.
//
// One WebAssembly function per table, generated from its Iceberg schema, reads a record as
// json-direct.ts does and writes each value to its column's region of the stage. Strings are
// scanned and copied 16 bytes at a time (one SIMD load, store and compare for the quote, the
// backslash and the control characters); keys are compared with the name of the field expected
// next a word at a time, then, when that is not the one, with every field's name.
//
// It covers tables whose columns are all boolean, int, long, float, double, string, date, timestamp
// or timestamptz (others keep json-direct), and within them it takes, exactly as json-direct and
// the general path (UTF-8 -> JSON.parse -> coercer -> row -> append) take them:
//   - one JSON object, whitespace around its tokens as JSON allows it;
//   - for a string column: a string, its escapes decoded as JSON.parse decodes them, into the UTF-8
//     Buffer#write would write (a lone surrogate becomes U+FFFD); its raw bytes strict UTF-8;
//   - for a long column: an integer of at most 18 digits (within 64 bits; the general path reads
//     such an integer exactly too, from its source text beyond 2^53);
//   - for an int column: an integer of at most 10 digits within the 32-bit range;
//   - for a float or double column: a number of at most 15 significant digits whose power of ten,
//     once the fraction's digits are taken into it, is within 22 of 0: such a number is one exact
//     double multiplied or divided by another, which IEEE rounds correctly once, as JSON.parse
//     rounds the decimal (Clinger's fast path); a float is that double rounded to 32 bits, as a
//     Float32Array stores it;
//   - for a boolean column: true or false;
//   - for a date column: a string "YYYY-MM-DD" of a calendar date, or an int as above (days);
//   - for a timestamp or timestamptz column: an ISO-8601 string as schema/coerce.ts parseTimestamp
//     reads it (a date, then a time to the minute, second or up to 9 digits of a fraction, the
//     microseconds truncated; a zone Z or an offset from UTC), or a long as above (microseconds);
//   - null, or no key, for an optional column;
//   - keys of no column, whatever primitive their value (checked as JSON.parse checks it).
// Everything else is DECLINED and json-direct, then the general path, decide: a nested object or
// array anywhere; an escape in a key; a key that appears twice; a required column missing or null;
// a value of another JSON type than the column's above, or beyond the limits above; malformed JSON
// or invalid UTF-8 of any kind; a byte-order mark. test/decode/json-wasm.test.ts checks it against
// the general path on valid and corrupted records, down to the Parquet bytes.

import type { IcebergType, Schema } from '../schema/types.ts';
import { assembleStage, INVALID, kafkaLines, LITTLE_ENDIAN, NO_ROOM, planColumns, T_BASE, T_BYTES_END, T_POS, WasmStage, type StageColumn } from './wasm-stage.ts';

export { DECLINED, FULL, STAGED, STAGE_ROWS, type StageResult } from './wasm-stage.ts';

const COVERED: ReadonlySet<unknown> = new Set(['boolean', 'int', 'long', 'float', 'double', 'string', 'date', 'timestamp', 'timestamptz']);

const QUOTE = 34;
const BACKSLASH = 92;

// JSON's helpers. A number's parts are left in globals by $num: its sign, its digits as an integer
// (wrapping past 19), how many of them are significant (from the first that is not 0), how many
// follow the point, the exponent written (its magnitude saturated), and whether it is an integer
// (no point, no exponent).
const HELPERS = String.raw`
  (global $neg (mut i32) (i32.const 0))
  (global $mant (mut i64) (i64.const 0))
  (global $sig (mut i32) (i32.const 0))
  (global $frac (mut i32) (i32.const 0))
  (global $exp (mut i32) (i32.const 0))
  (global $int (mut i32) (i32.const 0))

  ;; The first position from p that is not JSON whitespace (or e).
  (func $ws (param $p i32) (param $e i32) (result i32)
    (local $c i32)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $p) (local.get $e)))
        (local.set $c (i32.load8_u (local.get $p)))
        (br_if $done (i32.eqz (i32.or (i32.or (i32.eq (local.get $c) (i32.const 0x20)) (i32.eq (local.get $c) (i32.const 0x0a))) (i32.or (i32.eq (local.get $c) (i32.const 0x0d)) (i32.eq (local.get $c) (i32.const 0x09))))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $l)))
    (local.get $p))

  ;; A hexadecimal digit's value, or -1.
  (func $hexd (param $c i32) (result i32)
    (if (i32.lt_u (i32.sub (local.get $c) (i32.const 0x30)) (i32.const 10)) (then (return (i32.sub (local.get $c) (i32.const 0x30)))))
    (local.set $c (i32.or (local.get $c) (i32.const 0x20)))
    (if (i32.lt_u (i32.sub (local.get $c) (i32.const 0x61)) (i32.const 6)) (then (return (i32.sub (local.get $c) (i32.const 0x57)))))
    (i32.const -1))

  ;; The four hexadecimal digits at p (before e) as a number, or -1.
  (func $hex4 (param $p i32) (param $e i32) (result i32)
    (local $a i32) (local $b i32) (local $c i32) (local $d i32)
    (if (i32.gt_u (i32.add (local.get $p) (i32.const 4)) (local.get $e)) (then (return (i32.const -1))))
    (local.set $a (call $hexd (i32.load8_u (local.get $p))))
    (local.set $b (call $hexd (i32.load8_u offset=1 (local.get $p))))
    (local.set $c (call $hexd (i32.load8_u offset=2 (local.get $p))))
    (local.set $d (call $hexd (i32.load8_u offset=3 (local.get $p))))
    (if (i32.lt_s (i32.or (i32.or (local.get $a) (local.get $b)) (i32.or (local.get $c) (local.get $d))) (i32.const 0)) (then (return (i32.const -1))))
    (i32.or (i32.or (i32.shl (local.get $a) (i32.const 12)) (i32.shl (local.get $b) (i32.const 8))) (i32.or (i32.shl (local.get $c) (i32.const 4)) (local.get $d))))

  ;; The byte a one-letter escape stands for (\" \\ \/ \b \f \n \r \t), or -1.
  (func $unesc (param $b i32) (result i32)
    (if (i32.or (i32.or (i32.eq (local.get $b) (i32.const ${QUOTE})) (i32.eq (local.get $b) (i32.const ${BACKSLASH}))) (i32.eq (local.get $b) (i32.const 0x2f))) (then (return (local.get $b))))
    (if (i32.eq (local.get $b) (i32.const 0x62)) (then (return (i32.const 0x08))))
    (if (i32.eq (local.get $b) (i32.const 0x66)) (then (return (i32.const 0x0c))))
    (if (i32.eq (local.get $b) (i32.const 0x6e)) (then (return (i32.const 0x0a))))
    (if (i32.eq (local.get $b) (i32.const 0x72)) (then (return (i32.const 0x0d))))
    (if (i32.eq (local.get $b) (i32.const 0x74)) (then (return (i32.const 0x09))))
    (i32.const -1))

  ;; The quote, the backslash and the control characters among 16 bytes, as bits.
  (func $special (param $w v128) (result i32)
    (i8x16.bitmask (v128.or (v128.or (i8x16.eq (local.get $w) (i8x16.splat (i32.const ${QUOTE}))) (i8x16.eq (local.get $w) (i8x16.splat (i32.const ${BACKSLASH})))) (i8x16.lt_u (local.get $w) (i8x16.splat (i32.const 0x20))))))

  ;; A string from just after its opening quote at s, checked and not kept: the position after its
  ;; closing quote, or ${INVALID}. With $escapes 0, a backslash is ${INVALID} too (a key).
  (func $scan (param $s i32) (param $e i32) (param $escapes i32) (result i32)
    (local $p i32) (local $w v128) (local $m i32) (local $i i32) (local $hi i32) (local $b i32)
    (local.set $p (local.get $s))
    (block $done
      (loop $l
        (if (i32.ge_u (local.get $p) (local.get $e)) (then (return (i32.const ${INVALID}))))
        (local.set $w (v128.load (local.get $p)))
        (local.set $m (call $special (local.get $w)))
        (if (i32.eqz (local.get $m))
          (then
            (local.set $hi (i32.or (local.get $hi) (i8x16.bitmask (local.get $w))))
            (local.set $p (i32.add (local.get $p) (i32.const 16)))
            (br $l)))
        (local.set $i (i32.ctz (local.get $m)))
        (local.set $hi (i32.or (local.get $hi) (i32.and (i8x16.bitmask (local.get $w)) (i32.sub (i32.shl (i32.const 1) (local.get $i)) (i32.const 1)))))
        (local.set $p (i32.add (local.get $p) (local.get $i)))
        (if (i32.ge_u (local.get $p) (local.get $e)) (then (return (i32.const ${INVALID}))))
        (local.set $b (i32.load8_u (local.get $p)))
        (br_if $done (i32.eq (local.get $b) (i32.const ${QUOTE})))
        (if (i32.or (i32.lt_u (local.get $b) (i32.const 0x20)) (i32.eqz (local.get $escapes))) (then (return (i32.const ${INVALID}))))
        ;; a backslash
        (if (i32.ge_u (i32.add (local.get $p) (i32.const 1)) (local.get $e)) (then (return (i32.const ${INVALID}))))
        (local.set $b (i32.load8_u offset=1 (local.get $p)))
        (if (i32.eq (local.get $b) (i32.const 0x75))
          (then
            (if (i32.lt_s (call $hex4 (i32.add (local.get $p) (i32.const 2)) (local.get $e)) (i32.const 0)) (then (return (i32.const ${INVALID}))))
            (local.set $p (i32.add (local.get $p) (i32.const 6)))
            (br $l)))
        (if (i32.lt_s (call $unesc (local.get $b)) (i32.const 0)) (then (return (i32.const ${INVALID}))))
        (local.set $p (i32.add (local.get $p) (i32.const 2)))
        (br $l)))
    (if (local.get $hi) (then (if (i32.eqz (call $utf8 (local.get $s) (i32.sub (local.get $p) (local.get $s)))) (then (return (i32.const ${INVALID}))))))
    (i32.add (local.get $p) (i32.const 1)))

  ;; Code point u as UTF-8 at d; the position after it.
  (func $code (param $d i32) (param $u i32) (result i32)
    (if (i32.lt_u (local.get $u) (i32.const 0x80)) (then (i32.store8 (local.get $d) (local.get $u)) (return (i32.add (local.get $d) (i32.const 1)))))
    (if (i32.lt_u (local.get $u) (i32.const 0x800))
      (then
        (i32.store8 (local.get $d) (i32.or (i32.const 0xc0) (i32.shr_u (local.get $u) (i32.const 6))))
        (i32.store8 offset=1 (local.get $d) (i32.or (i32.const 0x80) (i32.and (local.get $u) (i32.const 0x3f))))
        (return (i32.add (local.get $d) (i32.const 2)))))
    (if (i32.lt_u (local.get $u) (i32.const 0x10000))
      (then
        (i32.store8 (local.get $d) (i32.or (i32.const 0xe0) (i32.shr_u (local.get $u) (i32.const 12))))
        (i32.store8 offset=1 (local.get $d) (i32.or (i32.const 0x80) (i32.and (i32.shr_u (local.get $u) (i32.const 6)) (i32.const 0x3f))))
        (i32.store8 offset=2 (local.get $d) (i32.or (i32.const 0x80) (i32.and (local.get $u) (i32.const 0x3f))))
        (return (i32.add (local.get $d) (i32.const 3)))))
    (i32.store8 (local.get $d) (i32.or (i32.const 0xf0) (i32.shr_u (local.get $u) (i32.const 18))))
    (i32.store8 offset=1 (local.get $d) (i32.or (i32.const 0x80) (i32.and (i32.shr_u (local.get $u) (i32.const 12)) (i32.const 0x3f))))
    (i32.store8 offset=2 (local.get $d) (i32.or (i32.const 0x80) (i32.and (i32.shr_u (local.get $u) (i32.const 6)) (i32.const 0x3f))))
    (i32.store8 offset=3 (local.get $d) (i32.or (i32.const 0x80) (i32.and (local.get $u) (i32.const 0x3f))))
    (i32.add (local.get $d) (i32.const 4)))

  ;; A string value at p for string column c: its bytes, escapes decoded, to the column's bytes
  ;; (16 at a time: a region has that much slack), its end to a slot.
  (func $jstring (param $c i32) (param $p i32) (param $e i32) (result i32)
    (local $dst i32) (local $start i32) (local $end i32) (local $w v128) (local $m i32) (local $i i32) (local $hi i32) (local $b i32) (local $u i32) (local $lo i32) (local $o i32)
    (if (i32.or (i32.ge_u (local.get $p) (local.get $e)) (i32.ne (i32.load8_u (local.get $p)) (i32.const ${QUOTE}))) (then (return (i32.const ${INVALID}))))
    (local.set $p (i32.add (local.get $p) (i32.const 1)))
    (local.set $dst (i32.load offset=${T_POS} (local.get $c)))
    (local.set $start (local.get $dst))
    (local.set $end (i32.load offset=${T_BYTES_END} (local.get $c)))
    (block $done
      (loop $l
        (if (i32.gt_u (local.get $dst) (local.get $end)) (then (return (i32.const ${NO_ROOM}))))
        (if (i32.ge_u (local.get $p) (local.get $e)) (then (return (i32.const ${INVALID}))))
        (local.set $w (v128.load (local.get $p)))
        (v128.store (local.get $dst) (local.get $w))
        (local.set $m (call $special (local.get $w)))
        (if (i32.eqz (local.get $m))
          (then
            (local.set $hi (i32.or (local.get $hi) (i8x16.bitmask (local.get $w))))
            (local.set $p (i32.add (local.get $p) (i32.const 16)))
            (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
            (br $l)))
        (local.set $i (i32.ctz (local.get $m)))
        (local.set $hi (i32.or (local.get $hi) (i32.and (i8x16.bitmask (local.get $w)) (i32.sub (i32.shl (i32.const 1) (local.get $i)) (i32.const 1)))))
        (local.set $p (i32.add (local.get $p) (local.get $i)))
        (local.set $dst (i32.add (local.get $dst) (local.get $i)))
        (if (i32.ge_u (local.get $p) (local.get $e)) (then (return (i32.const ${INVALID}))))
        (local.set $b (i32.load8_u (local.get $p)))
        (br_if $done (i32.eq (local.get $b) (i32.const ${QUOTE})))
        (if (i32.lt_u (local.get $b) (i32.const 0x20)) (then (return (i32.const ${INVALID}))))
        ;; a backslash: what it stands for (never longer than its text) at dst
        (if (i32.gt_u (local.get $dst) (local.get $end)) (then (return (i32.const ${NO_ROOM}))))
        (if (i32.ge_u (i32.add (local.get $p) (i32.const 1)) (local.get $e)) (then (return (i32.const ${INVALID}))))
        (local.set $b (i32.load8_u offset=1 (local.get $p)))
        (if (i32.ne (local.get $b) (i32.const 0x75))
          (then
            (local.set $b (call $unesc (local.get $b)))
            (if (i32.lt_s (local.get $b) (i32.const 0)) (then (return (i32.const ${INVALID}))))
            (i32.store8 (local.get $dst) (local.get $b))
            (local.set $dst (i32.add (local.get $dst) (i32.const 1)))
            (local.set $p (i32.add (local.get $p) (i32.const 2)))
            (br $l)))
        (local.set $u (call $hex4 (i32.add (local.get $p) (i32.const 2)) (local.get $e)))
        (if (i32.lt_s (local.get $u) (i32.const 0)) (then (return (i32.const ${INVALID}))))
        (local.set $p (i32.add (local.get $p) (i32.const 6)))
        ;; a high surrogate and a low one: one code point
        (if (i32.and (i32.ge_u (local.get $u) (i32.const 0xd800)) (i32.le_u (local.get $u) (i32.const 0xdbff)))
          (then
            (if (i32.lt_u (i32.add (local.get $p) (i32.const 1)) (local.get $e))
              (then
                (if (i32.and (i32.eq (i32.load8_u (local.get $p)) (i32.const ${BACKSLASH})) (i32.eq (i32.load8_u offset=1 (local.get $p)) (i32.const 0x75)))
                  (then
                    (local.set $lo (call $hex4 (i32.add (local.get $p) (i32.const 2)) (local.get $e)))
                    (if (i32.and (i32.ge_s (local.get $lo) (i32.const 0xdc00)) (i32.le_s (local.get $lo) (i32.const 0xdfff)))
                      (then
                        (local.set $u (i32.add (i32.const 0x10000) (i32.add (i32.shl (i32.sub (local.get $u) (i32.const 0xd800)) (i32.const 10)) (i32.sub (local.get $lo) (i32.const 0xdc00)))))
                        (local.set $p (i32.add (local.get $p) (i32.const 6)))))))))))
        (if (i32.and (i32.ge_u (local.get $u) (i32.const 0xd800)) (i32.le_u (local.get $u) (i32.const 0xdfff))) (then (local.set $u (i32.const 0xfffd))))
        (local.set $dst (call $code (local.get $dst) (local.get $u)))
        (br $l)))
    (if (i32.gt_u (local.get $dst) (local.get $end)) (then (return (i32.const ${NO_ROOM}))))
    (if (local.get $hi) (then (if (i32.eqz (call $utf8 (local.get $start) (i32.sub (local.get $dst) (local.get $start)))) (then (return (i32.const ${INVALID}))))))
    (local.set $o (call $slot (local.get $c) (i32.const 4)))
    (if (i32.lt_s (local.get $o) (i32.const 0)) (then (return (local.get $o))))
    (i32.store offset=${T_POS} (local.get $c) (local.get $dst))
    (i32.store (local.get $o) (i32.sub (local.get $dst) (i32.load offset=${T_BASE} (local.get $c))))
    (i32.add (local.get $p) (i32.const 1)))

  ;; true, false or null at p: the position after it, or ${INVALID}.
  (func $word (param $p i32) (param $e i32) (result i32)
    (local $c i32)
    (local.set $c (i32.load8_u (local.get $p)))
    (if (i32.eq (local.get $c) (i32.const 0x74))
      (then (if (i32.and (i32.le_u (i32.add (local.get $p) (i32.const 4)) (local.get $e)) (i32.eq (i32.load (local.get $p)) (i32.const 0x65757274))) (then (return (i32.add (local.get $p) (i32.const 4)))))))
    (if (i32.eq (local.get $c) (i32.const 0x66))
      (then (if (i32.and (i32.le_u (i32.add (local.get $p) (i32.const 5)) (local.get $e)) (i32.and (i32.eq (i32.load (local.get $p)) (i32.const 0x736c6166)) (i32.eq (i32.load8_u offset=4 (local.get $p)) (i32.const 0x65)))) (then (return (i32.add (local.get $p) (i32.const 5)))))))
    (if (i32.eq (local.get $c) (i32.const 0x6e))
      (then (if (i32.and (i32.le_u (i32.add (local.get $p) (i32.const 4)) (local.get $e)) (i32.eq (i32.load (local.get $p)) (i32.const 0x6c6c756e))) (then (return (i32.add (local.get $p) (i32.const 4)))))))
    (i32.const ${INVALID}))

  ;; A number at p as JSON writes one: the position after it, or ${INVALID}; its parts in the globals.
  (func $num (param $p i32) (param $e i32) (result i32)
    (local $c i32) (local $f i32) (local $eneg i32) (local $x i32)
    (global.set $neg (i32.const 0))
    (global.set $mant (i64.const 0))
    (global.set $sig (i32.const 0))
    (global.set $frac (i32.const 0))
    (global.set $exp (i32.const 0))
    (global.set $int (i32.const 1))
    (if (i32.eq (i32.load8_u (local.get $p)) (i32.const 0x2d))
      (then (global.set $neg (i32.const 1)) (local.set $p (i32.add (local.get $p) (i32.const 1)))))
    (if (i32.ge_u (local.get $p) (local.get $e)) (then (return (i32.const ${INVALID}))))
    (local.set $c (i32.sub (i32.load8_u (local.get $p)) (i32.const 0x30)))
    (if (i32.eqz (local.get $c))
      (then (local.set $p (i32.add (local.get $p) (i32.const 1))))
      (else
        (if (i32.gt_u (local.get $c) (i32.const 9)) (then (return (i32.const ${INVALID}))))
        (block $done
          (loop $l
            (br_if $done (i32.ge_u (local.get $p) (local.get $e)))
            (local.set $c (i32.sub (i32.load8_u (local.get $p)) (i32.const 0x30)))
            (br_if $done (i32.gt_u (local.get $c) (i32.const 9)))
            (global.set $mant (i64.add (i64.mul (global.get $mant) (i64.const 10)) (i64.extend_i32_u (local.get $c))))
            (global.set $sig (i32.add (global.get $sig) (i32.const 1)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $l)))))
    (if (i32.and (i32.lt_u (local.get $p) (local.get $e)) (i32.eq (i32.load8_u (local.get $p)) (i32.const 0x2e)))
      (then
        (global.set $int (i32.const 0))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (local.set $f (local.get $p))
        (block $done
          (loop $l
            (br_if $done (i32.ge_u (local.get $p) (local.get $e)))
            (local.set $c (i32.sub (i32.load8_u (local.get $p)) (i32.const 0x30)))
            (br_if $done (i32.gt_u (local.get $c) (i32.const 9)))
            (global.set $frac (i32.add (global.get $frac) (i32.const 1)))
            ;; zeros before the first significant digit only move the point
            (if (i32.or (global.get $sig) (local.get $c))
              (then
                (global.set $mant (i64.add (i64.mul (global.get $mant) (i64.const 10)) (i64.extend_i32_u (local.get $c))))
                (global.set $sig (i32.add (global.get $sig) (i32.const 1)))))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $l)))
        (if (i32.eq (local.get $p) (local.get $f)) (then (return (i32.const ${INVALID}))))))
    (if (i32.and (i32.lt_u (local.get $p) (local.get $e)) (i32.eq (i32.or (i32.load8_u (local.get $p)) (i32.const 0x20)) (i32.const 0x65)))
      (then
        (global.set $int (i32.const 0))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (if (i32.lt_u (local.get $p) (local.get $e))
          (then
            (local.set $c (i32.load8_u (local.get $p)))
            (if (i32.or (i32.eq (local.get $c) (i32.const 0x2b)) (i32.eq (local.get $c) (i32.const 0x2d)))
              (then
                (local.set $eneg (i32.eq (local.get $c) (i32.const 0x2d)))
                (local.set $p (i32.add (local.get $p) (i32.const 1)))))))
        (local.set $f (local.get $p))
        (block $done
          (loop $l
            (br_if $done (i32.ge_u (local.get $p) (local.get $e)))
            (local.set $c (i32.sub (i32.load8_u (local.get $p)) (i32.const 0x30)))
            (br_if $done (i32.gt_u (local.get $c) (i32.const 9)))
            (if (i32.lt_u (local.get $x) (i32.const 100000)) (then (local.set $x (i32.add (i32.mul (local.get $x) (i32.const 10)) (local.get $c)))))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $l)))
        (if (i32.eq (local.get $p) (local.get $f)) (then (return (i32.const ${INVALID}))))
        (global.set $exp (select (i32.sub (i32.const 0) (local.get $x)) (local.get $x) (local.get $eneg)))))
    (local.get $p))

  ;; An integer at p of at most $digits digits (none after a point or before an exponent): the
  ;; position after it, or ${INVALID}; its value in $whole.
  (global $whole (mut i64) (i64.const 0))
  (func $integer (param $p i32) (param $e i32) (param $digits i32) (result i32)
    (local.set $p (call $num (local.get $p) (local.get $e)))
    (if (i32.lt_s (local.get $p) (i32.const 0)) (then (return (i32.const ${INVALID}))))
    (if (i32.or (i32.eqz (global.get $int)) (i32.gt_u (global.get $sig) (local.get $digits))) (then (return (i32.const ${INVALID}))))
    (global.set $whole (select (i64.sub (i64.const 0) (global.get $mant)) (global.get $mant) (global.get $neg)))
    (local.get $p))

  ;; The readers below answer as fill does: the position after the value, or a result below 0.
  (func $jlong (param $c i32) (param $p i32) (param $e i32) (result i32)
    (local $t i32)
    (local.set $p (call $integer (local.get $p) (local.get $e) (i32.const 18)))
    (if (i32.lt_s (local.get $p) (i32.const 0)) (then (return (local.get $p))))
    (local.set $t (call $putLong (local.get $c) (global.get $whole)))
    (select (local.get $t) (local.get $p) (i32.lt_s (local.get $t) (i32.const 0))))

  (func $jint (param $c i32) (param $p i32) (param $e i32) (result i32)
    (local $t i32)
    (local.set $p (call $integer (local.get $p) (local.get $e) (i32.const 10)))
    (if (i32.lt_s (local.get $p) (i32.const 0)) (then (return (local.get $p))))
    (if (i32.or (i64.lt_s (global.get $whole) (i64.const -2147483648)) (i64.gt_s (global.get $whole) (i64.const 2147483647))) (then (return (i32.const ${INVALID}))))
    (local.set $t (call $putInt (local.get $c) (i32.wrap_i64 (global.get $whole))))
    (select (local.get $t) (local.get $p) (i32.lt_s (local.get $t) (i32.const 0))))

  ;; A number as a double, exactly as JSON.parse reads it, or ${INVALID} beyond Clinger's fast path.
  (global $value (mut f64) (f64.const 0))
  (func $real (param $p i32) (param $e i32) (result i32)
    (local $x i32) (local $k i32) (local $ten f64) (local $v f64)
    (local.set $p (call $num (local.get $p) (local.get $e)))
    (if (i32.lt_s (local.get $p) (i32.const 0)) (then (return (i32.const ${INVALID}))))
    (if (i32.gt_u (global.get $sig) (i32.const 15)) (then (return (i32.const ${INVALID}))))
    (local.set $x (i32.sub (global.get $exp) (global.get $frac)))
    (if (i32.or (i32.gt_s (local.get $x) (i32.const 22)) (i32.lt_s (local.get $x) (i32.const -22))) (then (return (i32.const ${INVALID}))))
    (local.set $ten (f64.const 1))
    (local.set $k (select (i32.sub (i32.const 0) (local.get $x)) (local.get $x) (i32.lt_s (local.get $x) (i32.const 0))))
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $k)))
        (local.set $ten (f64.mul (local.get $ten) (f64.const 10)))
        (local.set $k (i32.sub (local.get $k) (i32.const 1)))
        (br $l)))
    (local.set $v (f64.convert_i64_u (global.get $mant)))
    (local.set $v (select (f64.div (local.get $v) (local.get $ten)) (f64.mul (local.get $v) (local.get $ten)) (i32.lt_s (local.get $x) (i32.const 0))))
    (global.set $value (select (f64.neg (local.get $v)) (local.get $v) (global.get $neg)))
    (local.get $p))

  (func $jdouble (param $c i32) (param $p i32) (param $e i32) (result i32)
    (local $o i32)
    (local.set $p (call $real (local.get $p) (local.get $e)))
    (if (i32.lt_s (local.get $p) (i32.const 0)) (then (return (i32.const ${INVALID}))))
    (local.set $o (call $slot (local.get $c) (i32.const 8)))
    (if (i32.lt_s (local.get $o) (i32.const 0)) (then (return (local.get $o))))
    (f64.store (local.get $o) (global.get $value))
    (local.get $p))

  (func $jfloat (param $c i32) (param $p i32) (param $e i32) (result i32)
    (local $o i32)
    (local.set $p (call $real (local.get $p) (local.get $e)))
    (if (i32.lt_s (local.get $p) (i32.const 0)) (then (return (i32.const ${INVALID}))))
    (local.set $o (call $slot (local.get $c) (i32.const 4)))
    (if (i32.lt_s (local.get $o) (i32.const 0)) (then (return (local.get $o))))
    (f32.store (local.get $o) (f32.demote_f64 (global.get $value)))
    (local.get $p))

  (func $jboolean (param $c i32) (param $p i32) (param $e i32) (result i32)
    (local $b i32) (local $o i32)
    (local.set $b (i32.load8_u (local.get $p)))
    (if (i32.eq (local.get $b) (i32.const 0x6e)) (then (return (i32.const ${INVALID}))))
    (local.set $p (call $word (local.get $p) (local.get $e)))
    (if (i32.lt_s (local.get $p) (i32.const 0)) (then (return (i32.const ${INVALID}))))
    (local.set $o (call $slot (local.get $c) (i32.const 1)))
    (if (i32.lt_s (local.get $o) (i32.const 0)) (then (return (local.get $o))))
    (i32.store8 (local.get $o) (i32.eq (local.get $b) (i32.const 0x74)))
    (local.get $p))

  ;; Two ASCII digits at p as a number, or -1 (p + 2 within the string: the caller checks).
  (func $d2 (param $p i32) (result i32)
    (local $a i32) (local $b i32)
    (local.set $a (i32.sub (i32.load8_u (local.get $p)) (i32.const 0x30)))
    (local.set $b (i32.sub (i32.load8_u offset=1 (local.get $p)) (i32.const 0x30)))
    (if (i32.or (i32.gt_u (local.get $a) (i32.const 9)) (i32.gt_u (local.get $b) (i32.const 9))) (then (return (i32.const -1))))
    (i32.add (i32.mul (local.get $a) (i32.const 10)) (local.get $b)))

  ;; The days from 1970-01-01 of a calendar date "YYYY-MM-DD" at p (coerce.ts daysFromCivil), or
  ;; ${INVALID} when it is none (coerce.ts validDate); the caller has checked 10 bytes.
  (global $days (mut i32) (i32.const 0))
  (func $ymd (param $p i32) (result i32)
    (local $y i32) (local $m i32) (local $d i32) (local $a i32) (local $b i32) (local $dim i32) (local $yy i32) (local $era i32) (local $yoe i32) (local $doy i32)
    (local.set $a (call $d2 (local.get $p)))
    (local.set $b (call $d2 (i32.add (local.get $p) (i32.const 2))))
    (local.set $m (call $d2 (i32.add (local.get $p) (i32.const 5))))
    (local.set $d (call $d2 (i32.add (local.get $p) (i32.const 8))))
    (if (i32.lt_s (i32.or (i32.or (local.get $a) (local.get $b)) (i32.or (local.get $m) (local.get $d))) (i32.const 0)) (then (return (i32.const ${INVALID}))))
    (if (i32.or (i32.ne (i32.load8_u offset=4 (local.get $p)) (i32.const 0x2d)) (i32.ne (i32.load8_u offset=7 (local.get $p)) (i32.const 0x2d))) (then (return (i32.const ${INVALID}))))
    (local.set $y (i32.add (i32.mul (local.get $a) (i32.const 100)) (local.get $b)))
    (if (i32.or (i32.or (i32.lt_s (local.get $m) (i32.const 1)) (i32.gt_s (local.get $m) (i32.const 12))) (i32.lt_s (local.get $d) (i32.const 1))) (then (return (i32.const ${INVALID}))))
    (local.set $dim (i32.const 31))
    (if (i32.or (i32.or (i32.eq (local.get $m) (i32.const 4)) (i32.eq (local.get $m) (i32.const 6))) (i32.or (i32.eq (local.get $m) (i32.const 9)) (i32.eq (local.get $m) (i32.const 11)))) (then (local.set $dim (i32.const 30))))
    (if (i32.eq (local.get $m) (i32.const 2))
      (then
        (local.set $dim (i32.const 28))
        (if (i32.or (i32.and (i32.eqz (i32.rem_u (local.get $y) (i32.const 4))) (i32.ne (i32.rem_u (local.get $y) (i32.const 100)) (i32.const 0))) (i32.eqz (i32.rem_u (local.get $y) (i32.const 400))))
          (then (local.set $dim (i32.const 29))))))
    (if (i32.gt_s (local.get $d) (local.get $dim)) (then (return (i32.const ${INVALID}))))
    (local.set $yy (select (i32.sub (local.get $y) (i32.const 1)) (local.get $y) (i32.le_s (local.get $m) (i32.const 2))))
    (local.set $era (select (i32.div_s (local.get $yy) (i32.const 400)) (i32.const -1) (i32.ge_s (local.get $yy) (i32.const 0))))
    (local.set $yoe (i32.sub (local.get $yy) (i32.mul (local.get $era) (i32.const 400))))
    (local.set $doy (i32.add (i32.div_u (i32.add (i32.mul (i32.const 153) (i32.add (local.get $m) (select (i32.const -3) (i32.const 9) (i32.gt_s (local.get $m) (i32.const 2))))) (i32.const 2)) (i32.const 5)) (i32.sub (local.get $d) (i32.const 1))))
    (global.set $days (i32.sub (i32.add (i32.mul (local.get $era) (i32.const 146097)) (i32.add (i32.sub (i32.add (i32.mul (local.get $yoe) (i32.const 365)) (i32.div_u (local.get $yoe) (i32.const 4))) (i32.div_u (local.get $yoe) (i32.const 100))) (local.get $doy))) (i32.const 719468)))
    (i32.const 0))

  ;; The end (the closing quote) of a string value at s, just after its opening quote, that holds
  ;; only printable ASCII and no backslash; else ${INVALID} (the record is declined: json-direct
  ;; and the coercer read such a value).
  (func $plain (param $s i32) (param $e i32) (result i32)
    (local $b i32)
    (block $done
      (loop $l
        (if (i32.ge_u (local.get $s) (local.get $e)) (then (return (i32.const ${INVALID}))))
        (local.set $b (i32.load8_u (local.get $s)))
        (br_if $done (i32.eq (local.get $b) (i32.const ${QUOTE})))
        (if (i32.or (i32.or (i32.lt_u (local.get $b) (i32.const 0x20)) (i32.ge_u (local.get $b) (i32.const 0x7f))) (i32.eq (local.get $b) (i32.const ${BACKSLASH}))) (then (return (i32.const ${INVALID}))))
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        (br $l)))
    (local.get $s))

  (func $jdate (param $c i32) (param $p i32) (param $e i32) (result i32)
    (local $q i32) (local $t i32)
    (if (i32.ne (i32.load8_u (local.get $p)) (i32.const ${QUOTE})) (then (return (call $jint (local.get $c) (local.get $p) (local.get $e)))))
    (local.set $q (call $plain (i32.add (local.get $p) (i32.const 1)) (local.get $e)))
    (if (i32.lt_s (local.get $q) (i32.const 0)) (then (return (i32.const ${INVALID}))))
    (if (i32.ne (i32.sub (local.get $q) (local.get $p)) (i32.const 11)) (then (return (i32.const ${INVALID}))))
    (if (i32.lt_s (call $ymd (i32.add (local.get $p) (i32.const 1))) (i32.const 0)) (then (return (i32.const ${INVALID}))))
    (local.set $t (call $putInt (local.get $c) (global.get $days)))
    (select (local.get $t) (i32.add (local.get $q) (i32.const 1)) (i32.lt_s (local.get $t) (i32.const 0))))

  ;; A timestamp: an ISO-8601 string as coerce.ts parseTimestamp reads it (its TIMESTAMP pattern),
  ;; in µs since the epoch, UTC; or a number as $jlong reads it.
  (func $jtimestamp (param $c i32) (param $p i32) (param $e i32) (result i32)
    (local $q i32) (local $end i32) (local $b i32) (local $h i32) (local $mi i32) (local $sec i32) (local $frac i32) (local $k i32) (local $oh i32) (local $om i32) (local $zone i32) (local $t i32) (local $us i64)
    (if (i32.ne (i32.load8_u (local.get $p)) (i32.const ${QUOTE})) (then (return (call $jlong (local.get $c) (local.get $p) (local.get $e)))))
    (local.set $q (i32.add (local.get $p) (i32.const 1)))
    (local.set $end (call $plain (local.get $q) (local.get $e)))
    (if (i32.lt_s (local.get $end) (i32.const 0)) (then (return (i32.const ${INVALID}))))
    (if (i32.lt_s (i32.sub (local.get $end) (local.get $q)) (i32.const 10)) (then (return (i32.const ${INVALID}))))
    (if (i32.lt_s (call $ymd (local.get $q)) (i32.const 0)) (then (return (i32.const ${INVALID}))))
    (local.set $q (i32.add (local.get $q) (i32.const 10)))
    ;; [Tt ]HH:MM[:SS[[.,]f{1,9}]]
    (if (i32.lt_u (local.get $q) (local.get $end))
      (then
        (local.set $b (i32.load8_u (local.get $q)))
        (if (i32.or (i32.eq (i32.or (local.get $b) (i32.const 0x20)) (i32.const 0x74)) (i32.eq (local.get $b) (i32.const 0x20)))
          (then
            (if (i32.gt_s (i32.add (local.get $q) (i32.const 6)) (local.get $end)) (then (return (i32.const ${INVALID}))))
            (local.set $h (call $d2 (i32.add (local.get $q) (i32.const 1))))
            (local.set $mi (call $d2 (i32.add (local.get $q) (i32.const 4))))
            (if (i32.or (i32.or (i32.lt_s (local.get $h) (i32.const 0)) (i32.lt_s (local.get $mi) (i32.const 0))) (i32.ne (i32.load8_u offset=3 (local.get $q)) (i32.const 0x3a))) (then (return (i32.const ${INVALID}))))
            (local.set $q (i32.add (local.get $q) (i32.const 6)))
            (if (i32.and (i32.lt_u (local.get $q) (local.get $end)) (i32.eq (i32.load8_u (local.get $q)) (i32.const 0x3a)))
              (then
                (if (i32.gt_s (i32.add (local.get $q) (i32.const 3)) (local.get $end)) (then (return (i32.const ${INVALID}))))
                (local.set $sec (call $d2 (i32.add (local.get $q) (i32.const 1))))
                (if (i32.lt_s (local.get $sec) (i32.const 0)) (then (return (i32.const ${INVALID}))))
                (local.set $q (i32.add (local.get $q) (i32.const 3)))
                (if (i32.lt_u (local.get $q) (local.get $end))
                  (then
                    (local.set $b (i32.load8_u (local.get $q)))
                    (if (i32.or (i32.eq (local.get $b) (i32.const 0x2e)) (i32.eq (local.get $b) (i32.const 0x2c)))
                      (then
                        ;; 1 to 9 digits; the first 6 make the microseconds (zeros after fewer)
                        (local.set $q (i32.add (local.get $q) (i32.const 1)))
                        (block $digits
                          (loop $l
                            (br_if $digits (i32.ge_u (local.get $q) (local.get $end)))
                            (local.set $b (i32.sub (i32.load8_u (local.get $q)) (i32.const 0x30)))
                            (br_if $digits (i32.gt_u (local.get $b) (i32.const 9)))
                            (if (i32.lt_u (local.get $k) (i32.const 6)) (then (local.set $frac (i32.add (i32.mul (local.get $frac) (i32.const 10)) (local.get $b)))))
                            (local.set $k (i32.add (local.get $k) (i32.const 1)))
                            (local.set $q (i32.add (local.get $q) (i32.const 1)))
                            (br $l)))
                        (if (i32.or (i32.eqz (local.get $k)) (i32.gt_u (local.get $k) (i32.const 9))) (then (return (i32.const ${INVALID}))))
                        (block $pad
                          (loop $l
                            (br_if $pad (i32.ge_u (local.get $k) (i32.const 6)))
                            (local.set $frac (i32.mul (local.get $frac) (i32.const 10)))
                            (local.set $k (i32.add (local.get $k) (i32.const 1)))
                            (br $l)))))))))
            (if (i32.or (i32.or (i32.gt_s (local.get $h) (i32.const 23)) (i32.gt_s (local.get $mi) (i32.const 59))) (i32.gt_s (local.get $sec) (i32.const 59))) (then (return (i32.const ${INVALID}))))))))
    ;; Z, z, or +HH[[:]MM] / -HH[[:]MM]
    (local.set $k (i32.const 0))
    (if (i32.lt_u (local.get $q) (local.get $end))
      (then
        (local.set $b (i32.load8_u (local.get $q)))
        (if (i32.eq (i32.or (local.get $b) (i32.const 0x20)) (i32.const 0x7a))
          (then (local.set $q (i32.add (local.get $q) (i32.const 1))))
          (else
            (if (i32.eqz (i32.or (i32.eq (local.get $b) (i32.const 0x2b)) (i32.eq (local.get $b) (i32.const 0x2d)))) (then (return (i32.const ${INVALID}))))
            (local.set $zone (select (i32.const -1) (i32.const 1) (i32.eq (local.get $b) (i32.const 0x2d))))
            (if (i32.gt_s (i32.add (local.get $q) (i32.const 3)) (local.get $end)) (then (return (i32.const ${INVALID}))))
            (local.set $oh (call $d2 (i32.add (local.get $q) (i32.const 1))))
            (if (i32.lt_s (local.get $oh) (i32.const 0)) (then (return (i32.const ${INVALID}))))
            (local.set $q (i32.add (local.get $q) (i32.const 3)))
            ;; the minutes, after a colon or not; a colon needs them
            (if (i32.and (i32.lt_u (local.get $q) (local.get $end)) (i32.eq (i32.load8_u (local.get $q)) (i32.const 0x3a))) (then (local.set $k (i32.const 1)) (local.set $q (i32.add (local.get $q) (i32.const 1)))))
            (if (i32.or (i32.lt_u (local.get $q) (local.get $end)) (i32.eq (local.get $k) (i32.const 1)))
              (then
                (if (i32.gt_s (i32.add (local.get $q) (i32.const 2)) (local.get $end)) (then (return (i32.const ${INVALID}))))
                (local.set $om (call $d2 (local.get $q)))
                (if (i32.lt_s (local.get $om) (i32.const 0)) (then (return (i32.const ${INVALID}))))
                (local.set $q (i32.add (local.get $q) (i32.const 2)))))
            (if (i32.or (i32.gt_s (local.get $oh) (i32.const 23)) (i32.gt_s (local.get $om) (i32.const 59))) (then (return (i32.const ${INVALID}))))))))
    (if (i32.ne (local.get $q) (local.get $end)) (then (return (i32.const ${INVALID}))))
    (local.set $us (i64.add
      (i64.mul
        (i64.sub
          (i64.add (i64.mul (i64.extend_i32_s (global.get $days)) (i64.const 86400)) (i64.extend_i32_s (i32.add (i32.add (i32.mul (local.get $h) (i32.const 3600)) (i32.mul (local.get $mi) (i32.const 60))) (local.get $sec))))
          (i64.extend_i32_s (i32.mul (local.get $zone) (i32.add (i32.mul (local.get $oh) (i32.const 3600)) (i32.mul (local.get $om) (i32.const 60))))))
        (i64.const 1000000))
      (i64.extend_i32_u (local.get $frac))))
    (local.set $t (call $putLong (local.get $c) (local.get $us)))
    (select (local.get $t) (i32.add (local.get $end) (i32.const 1)) (i32.lt_s (local.get $t) (i32.const 0))))

  ;; The value of a key no column has: a primitive, checked; the position after it, or ${INVALID}.
  (func $skip (param $p i32) (param $e i32) (result i32)
    (local $c i32)
    (local.set $c (i32.load8_u (local.get $p)))
    (if (i32.eq (local.get $c) (i32.const ${QUOTE})) (then (return (call $scan (i32.add (local.get $p) (i32.const 1)) (local.get $e) (i32.const 1)))))
    (if (i32.or (i32.eq (local.get $c) (i32.const 0x2d)) (i32.lt_u (i32.sub (local.get $c) (i32.const 0x30)) (i32.const 10))) (then (return (call $num (local.get $p) (local.get $e)))))
    (call $word (local.get $p) (local.get $e)))
`;

/** The bytes the stage reserves for the order of n fields' keys (see generate()). */
function orderBytes(n: number): number {
  return 4 * (n + 1);
}

/** An i32, little-endian, as the escapes of a WebAssembly text string. */
function i32Bytes(v: number): string {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24].map((b) => `\\${b.toString(16).padStart(2, '0')}`).join('');
}

/** The i64 constant of 8 bytes (fewer: zeros after them), little-endian, in WebAssembly text. */
function word(bytes: Uint8Array, from: number): string {
  let v = 0n;
  for (let i = Math.min(bytes.length - from, 8) - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[from + i]);
  return BigInt.asIntN(64, v).toString();
}

/**
 * Field f's $name{f}(k, e): the position after the closing quote when the key at k (just after its
 * opening quote) is the field's name, else 0; compared 8 bytes at a time (within the record: its
 * length is checked first, and a load past the name's end stays in the source region's slack). A
 * name JSON writes with escapes (a quote, a backslash, a control character) never matches: a key
 * with an escape is declined before any lookup.
 */
function nameFunction(f: number, name: Uint8Array): string {
  const out: string[] = [`(func $name${f} (type $nameT) (param $k i32) (param $e i32) (result i32)`];
  if (name.some((c) => c === QUOTE || c === BACKSLASH || c < 0x20)) return `${out[0]} (i32.const 0))`;
  const L = name.length;
  out.push(`(if (i32.ge_u (i32.add (local.get $k) (i32.const ${L})) (local.get $e)) (then (return (i32.const 0))))`);
  out.push(`(if (i32.ne (i32.load8_u offset=${L} (local.get $k)) (i32.const ${QUOTE})) (then (return (i32.const 0))))`);
  for (let at = 0; at < L; at += 8) {
    const load = `(i64.load offset=${at} (local.get $k))`;
    const masked = L - at >= 8 ? load : `(i64.and ${load} (i64.const ${(1n << BigInt(8 * (L - at))) - 1n}))`;
    out.push(`(if (i64.ne ${masked} (i64.const ${word(name, at)})) (then (return (i32.const 0))))`);
  }
  out.push(`(i32.add (local.get $k) (i32.const ${L + 1})))`);
  return out.join('\n    ');
}

/**
 * Field k's $value{k}(p, e, c): its value at p (c its first byte) to column k; the position after
 * it, or a result below 0. A second value for the field (a repeated key) is ${INVALID}.
 */
function valueFunction(k: number, c: StageColumn, type: IcebergType): string {
  const at = `(i32.const ${32 * k})`;
  const seen = `$seen${k >> 6}`;
  const bit = `(i64.const ${BigInt.asIntN(64, 1n << BigInt(k % 64))})`;
  // The helper that reads a value of the column's type (a date is an int column, a timestamp a long one).
  const read = type === 'date' ? '$jdate' : type === 'timestamp' || type === 'timestamptz' ? '$jtimestamp' : `$j${c.kind}`;
  const out = [
    `(func $value${k} (type $valueT) (param $p i32) (param $e i32) (param $c i32) (result i32)`,
    '(local $t i32)',
    `(if (i64.ne (i64.and (global.get ${seen}) ${bit}) (i64.const 0)) (then (return (i32.const ${INVALID}))))`,
    `(global.set ${seen} (i64.or (global.get ${seen}) ${bit}))`,
  ];
  if (!c.nullable) out.push(`(call ${read} ${at} (local.get $p) (local.get $e)))`);
  else {
    out.push(
      '(if (i32.eq (local.get $c) (i32.const 0x6e)) (then',
      `(local.set $p (call $word (local.get $p) (local.get $e))) (if (i32.lt_s (local.get $p) (i32.const 0)) (then (return (local.get $p))))`,
      ...nullOf(k, c),
      '(return (local.get $p))))',
      `(local.set $p (call ${read} ${at} (local.get $p) (local.get $e))) (if (i32.lt_s (local.get $p) (i32.const 0)) (then (return (local.get $p))))`,
      `(call $valid ${at})`,
      '(local.get $p))',
    );
  }
  return out.join('\n    ');
}

/** Lines that put a null in column k's slot. */
function nullOf(k: number, c: StageColumn): string[] {
  const at = `(i32.const ${32 * k})`;
  const call = c.kind === 'string' ? `(call $emptyStr ${at})` : `(call $empty ${at} (i32.const ${c.width}))`;
  return [`(local.set $t ${call}) (if (i32.lt_s (local.get $t) (i32.const 0)) (then (return (local.get $t))))`, `(call $null ${at})`];
}

/**
 * The functions of the table's fields and fill's lines: the object's members in any order, then
 * the columns of absent keys, then (with kafka) the Kafka columns. A member's key is compared with
 * the field expected next, then with each field's ($lookup); its value goes to the field's $value
 * function, or to $skip. Fields are reached through the function table (names at f, values at
 * n + f), not through one block per field: wabt's parser nests a block in a recursion, and its
 * stack does not take a hundred.
 *
 * The field expected next is the one that followed the last key's field in the records before
 * (the first key's: the one that came first), so keys in the producer's order, whatever the
 * schema's, are found at the first compare. The order is kept in the memory the stage reserves
 * after the column table (orderBytes(n): an i32 per field, then one for the first key), the
 * schema's order until records teach another.
 */
function generate(schema: Schema, columns: StageColumn[], kafka: boolean): { helpers: string; locals: string; lines: string[] } {
  const fields = schema.fields;
  const n = fields.length;
  const order = 32 * columns.length;
  const next = (f: string): string => `(i32.add (i32.const ${order}) (i32.shl ${f} (i32.const 2)))`;
  const words = Math.ceil(n / 64);
  const names = fields.map((f) => Buffer.from(f.name, 'utf8'));
  const helpers = [
    '(type $nameT (func (param i32 i32) (result i32)))',
    '(type $valueT (func (param i32 i32 i32) (result i32)))',
    `(table ${2 * n} funcref)`,
    `(elem (i32.const 0) ${names.map((_, f) => `$name${f}`).join(' ')} ${names.map((_, f) => `$value${f}`).join(' ')})`,
    ...Array.from({ length: words }, (_, w) => `(global $seen${w} (mut i64) (i64.const 0))`),
    `(data (i32.const ${order}) "${Array.from({ length: n + 1 }, (_, f) => i32Bytes(f < n ? (f + 1) % n : 0)).join('')}")`,
    ...names.map((name, f) => nameFunction(f, name)),
    ...fields.map((f, k) => valueFunction(k, columns[k], f.type)),
    String.raw`(func $lookup (param $k i32) (param $e i32) (result i32)
    (local $f i32)
    (block $done
      (loop $l
        (br_if $done (i32.eq (local.get $f) (i32.const ${n})))
        (if (call_indirect (type $nameT) (local.get $k) (local.get $e) (local.get $f)) (then (return (local.get $f))))
        (local.set $f (i32.add (local.get $f) (i32.const 1)))
        (br $l)))
    (i32.const -1))`,
  ];
  const fail = (cond: string): string => `(if ${cond} (then (return (i32.const ${INVALID}))))`;
  const pos = (call: string): string => `(local.set $p ${call}) (if (i32.lt_s (local.get $p) (i32.const 0)) (then (return (local.get $p))))`;
  const end = '(i32.ge_u (local.get $p) (local.get $e))';
  const byte = '(i32.load8_u (local.get $p))';
  const lines: string[] = [
    ...Array.from({ length: words }, (_, w) => `(global.set $seen${w} (i64.const 0))`),
    `(local.set $prev (i32.const ${n}))`,
    `(local.set $hint (i32.load ${next('(local.get $prev)')}))`,
    pos('(call $ws (local.get $p) (local.get $e))'),
    fail(`(i32.or ${end} (i32.ne ${byte} (i32.const 0x7b)))`),
    pos('(call $ws (i32.add (local.get $p) (i32.const 1)) (local.get $e))'),
    fail(end),
    `(if (i32.eq ${byte} (i32.const 0x7d)) (then (local.set $p (i32.add (local.get $p) (i32.const 1)))) (else`,
    '(loop $member',
    fail(`(i32.or ${end} (i32.ne ${byte} (i32.const ${QUOTE})))`),
    '(local.set $ks (i32.add (local.get $p) (i32.const 1)))',
    '(local.set $p (call_indirect (type $nameT) (local.get $ks) (local.get $e) (local.get $hint)))',
    '(if (local.get $p) (then (local.set $f (local.get $hint))) (else',
    pos('(call $scan (local.get $ks) (local.get $e) (i32.const 0))'),
    '(local.set $f (call $lookup (local.get $ks) (local.get $e)))))',
    pos('(call $ws (local.get $p) (local.get $e))'),
    fail(`(i32.or ${end} (i32.ne ${byte} (i32.const 0x3a)))`),
    pos('(call $ws (i32.add (local.get $p) (i32.const 1)) (local.get $e))'),
    fail(end),
    '(if (i32.lt_s (local.get $f) (i32.const 0)) (then',
    pos('(call $skip (local.get $p) (local.get $e))'),
    ') (else',
    pos(`(call_indirect (type $valueT) (local.get $p) (local.get $e) ${byte} (i32.add (local.get $f) (i32.const ${n})))`),
    `(i32.store ${next('(local.get $prev)')} (local.get $f))`,
    '(local.set $prev (local.get $f))',
    `(local.set $hint (i32.load ${next('(local.get $f)')}))))`,
    pos('(call $ws (local.get $p) (local.get $e))'),
    fail(end),
    '(local.set $c (i32.load8_u (local.get $p)))',
    '(if (i32.eq (local.get $c) (i32.const 0x2c)) (then',
    pos('(call $ws (i32.add (local.get $p) (i32.const 1)) (local.get $e))'),
    '(br $member)))',
    fail('(i32.ne (local.get $c) (i32.const 0x7d))'),
    '(local.set $p (i32.add (local.get $p) (i32.const 1))))))', // $member, else, if
    pos('(call $ws (local.get $p) (local.get $e))'), // anything after it: fill's result is not e, the record is declined
  ];
  for (let k = 0; k < n; k++) {
    const absent = `(i64.eqz (i64.and (global.get $seen${k >> 6}) (i64.const ${BigInt.asIntN(64, 1n << BigInt(k % 64))})))`;
    if (columns[k].nullable) lines.push(`(if ${absent} (then`, ...nullOf(k, columns[k]), '))');
    else lines.push(fail(absent));
  }
  if (kafka) lines.push(...kafkaLines(n));
  lines.push('(local.get $p)');
  return { helpers: helpers.join('\n  '), locals: '(local $f i32) (local $hint i32) (local $prev i32) (local $ks i32) (local $c i32)', lines };
}

/**
 * The WebAssembly binary of a table's JSON stage, or null when its schema has a column of a type
 * the stage does not cover (or none). `schema`'s fields are the declared ones; with `kafka`, fill
 * also writes the three Kafka columns that follow them (ingest/tables.ts). Assembled once (the
 * pipeline, on the main thread); each ingest worker makes its stage of it (jsonStage).
 */
export async function assembleJsonStage(schema: Schema, kafka: boolean): Promise<Uint8Array | null> {
  const fields = schema.fields;
  if (!LITTLE_ENDIAN || fields.length === 0 || !fields.every((f) => COVERED.has(f.type))) return null;
  const columns = planColumns(fields, kafka);
  const { helpers, locals, lines } = generate(schema, columns, kafka);
  return assembleStage(columns, `${HELPERS}\n  ${helpers}`, locals, lines, orderBytes(fields.length));
}

/** A stage of the table whose binary assembleJsonStage made (with the same schema and `kafka`). */
export function jsonStage(binary: Uint8Array, schema: Schema, kafka: boolean): WasmStage {
  return new WasmStage(binary, planColumns(schema.fields, kafka), orderBytes(schema.fields.length));
}
