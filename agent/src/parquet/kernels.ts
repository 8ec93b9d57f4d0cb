// The Parquet encoder's WebAssembly kernels (encode.ts does the rest in JavaScript): the
// dictionary of a column chunk, and the RLE/bit-packing hybrid that writes levels and dictionary
// indices. Why: in JavaScript every typed-array access in these loops paid its bounds check and
// base loads again; the byte-array dictionaries were the largest single item of the agent's
// profile, the hybrid the next one of the seal (BENCHMARKS.md, eleventh and twelfth sessions).
//
// The dictionary. A byte-array key of up to SHORT bytes is two masked 8-byte loads and two
// compares; a longer key is hashed and compared 8 bytes at a time; a fixed-width value is keyed as
// the short byte array of its bits. The column stays in the builder's buffers: bytesDictionary()
// and fixedDictionary() copy the chunk to the module's memory a block at a time (at most BLOCK
// values, at most BLOCK_BYTES of bytes), and the function indexes the block against the entries so
// far. An entry of more than SHORT bytes keeps a copy of its bytes in the arena (at most
// DICTIONARY_BYTES: past that the dictionary is given up), so that part of the memory is bounded.
// Entries are numbered in the order of their first value, so the dictionary does not depend on the
// hash unless the hash makes it give up (MAX_PROBE).
//
// The hybrid. hybrid() copies the values to encode after the fixed regions (HYBRID), and the
// function writes the encoded bytes after them: the memory grows to the largest page's (a page's
// values are at most 4 bytes each, and their encoding at most ~5 bytes a value).
//
// Memory (bytes; all offsets are constants of the generated text), ~11 MiB of address space per
// thread, touched as far as the chunks reach:
//   MASKS   per length 0..SHORT, the masks of a key's two 8-byte words
//   TABLE   open addressing from a hash to entry + 1 (0: empty), grown at half load
//   KEYS    per entry: two 8-byte words (a short key's bytes, masked; a long key's arena position),
//           then its length and its hash
//   ESLOTS  per entry: the column slot of its first value
//   ARENA   the bytes of the long entries
//   SLOTS, OFFS, IDX, BYTES: one block's slots, its values' offsets (the column's, from its first
//           slot's), the entries found for them, and their bytes (SLACK bytes after them) or, for
//           fixed-width values, their words
//   HYBRID  the hybrid's values, then its output

import { assembleWat, instantiate, type WasmMemory } from '../wasm.ts';

/** A column chunk's dictionary. */
export interface Dictionary {
  /** Leaf slot of each dictionary entry. */
  entries: Int32Array;
  count: number;
  /** Dictionary index of each value. */
  indices: Int32Array;
}

/**
 * Most PLAIN bytes of a dictionary's entries (4 + length each for byte arrays), as arrow-rs's
 * default: past it the chunk is written PLAIN. A column of 20,000 distinct messages picked at random
 * has most of its values distinct among the first thousands, yet its dictionary pays.
 */
export const DICTIONARY_BYTES = 1 << 20;

/**
 * Slots past its home a new entry may land before the dictionary is given up (the column is then
 * written PLAIN). No run of colliding values can outgrow it (a rehash may move an entry a little
 * further, never a run), so values made to share hashes (the hashes are not keyed, and values with
 * one hash can be built) cost a column its dictionary, not a seal quadratic in them. With real data
 * the table is at most half full and probes are a slot or two.
 */
export const MAX_PROBE = 128;

/** Keys of at most this many bytes are kept and compared as two masked 8-byte words. */
const SHORT = 16;
/** Values per block; a block's bytes are at most BLOCK_BYTES (a longer value is never an entry). */
const BLOCK = 4096;
const BLOCK_BYTES = DICTIONARY_BYTES;
/** Room after the block's bytes: a short key's two 8-byte loads start at the value and may pass its end. */
const SLACK = 16;

const MAX_ENTRIES = DICTIONARY_BYTES / 4; // each entry adds at least 4 PLAIN bytes
const MAX_TABLE = 2 * MAX_ENTRIES; // at half load
const FIRST_TABLE = 1024;
const KEY = 24;

const MASKS = 0;
const TABLE = 512;
const KEYS = TABLE + 4 * MAX_TABLE;
const ESLOTS = KEYS + KEY * MAX_ENTRIES;
const ARENA = ESLOTS + 4 * MAX_ENTRIES;
const SLOTS = ARENA + DICTIONARY_BYTES;
const OFFS = SLOTS + 4 * BLOCK;
const IDX = OFFS + 4 * (BLOCK + 4); // a block's slots span at most BLOCK, so BLOCK + 1 offsets
const BYTES = IDX + 4 * BLOCK;
const HYBRID = BYTES + BLOCK_BYTES + SLACK;
const PAGE = 65536;
const PAGES = Math.ceil(HYBRID / PAGE);

// The dictionary kernels' results besides 0.
const GAVE_UP = -1;
const OUT_OF_ORDER = -2;

const i = (n: number): string => `(i32.const ${n})`;
const get = (name: string): string => `(local.get $${name})`;

/**
 * The RLE/bit-packing hybrid of the n values at src (`load` reads value `at`), `bw` bits each
 * (1..32), written at `out`; returns where the output ends. A run of 8 or more equal values is one
 * RLE run; other values are bit-packed in groups of 8 until a run of 8 starts at a group's boundary
 * (the last group of the values padded with zeros). A group's last value tells most boundaries
 * apart without a loop (levels 0,1,1,1,1,0,...).
 */
function hybridFunction(name: string, load: (at: string) => string): string {
  return `
  (func (export "${name}") (param $src i32) (param $n i32) (param $bw i32) (param $out i32) (result i32)
    (local $i i32) (local $x i32) (local $r i32) (local $start i32) (local $groups i32) (local $k i32)
    (local $count i32) (local $real i32) (local $acc i64) (local $bits i32)
    (block $done (loop $runs
      (br_if $done (i32.ge_u ${get('i')} ${get('n')}))
      (local.set $x ${load(get('i'))})
      (local.set $r (i32.add ${get('i')} ${i(1)}))
      (block $end (loop $same
        (br_if $end (i32.ge_u ${get('r')} ${get('n')}))
        (br_if $end (i32.ne ${load(get('r'))} ${get('x')}))
        (local.set $r (i32.add ${get('r')} ${i(1)}))
        (br $same)))
      (if (i32.ge_u (i32.sub ${get('r')} ${get('i')}) ${i(8)})
        (then
          (local.set $out (call $varint ${get('out')} (i32.shl (i32.sub ${get('r')} ${get('i')}) ${i(1)})))
          ;; the value in (bw + 7) / 8 bytes, little-endian (the store's other bytes are written over or past the end)
          (i32.store ${get('out')} ${get('x')})
          (local.set $out (i32.add ${get('out')} (i32.shr_u (i32.add ${get('bw')} ${i(7)}) ${i(3)})))
          (local.set $i ${get('r')})
          (br $runs)))
      (local.set $start ${get('i')})
      (local.set $groups ${i(0)})
      (block $cut (loop $group
        (local.set $i (i32.add ${get('i')} ${i(8)}))
        (local.set $groups (i32.add ${get('groups')} ${i(1)}))
        (br_if $cut (i32.ge_u ${get('i')} ${get('n')}))
        (local.set $x ${load(get('i'))})
        (br_if $group (i32.gt_u (i32.add ${get('i')} ${i(8)}) ${get('n')}))
        (br_if $group (i32.ne ${load(`(i32.add ${get('i')} ${i(7)})`)} ${get('x')}))
        (local.set $k (i32.add ${get('i')} ${i(1)}))
        (block $end (loop $same
          (br_if $end (i32.ge_u ${get('k')} (i32.add ${get('i')} ${i(8)})))
          (br_if $end (i32.ne ${load(get('k'))} ${get('x')}))
          (local.set $k (i32.add ${get('k')} ${i(1)}))
          (br $same)))
        (br_if $cut (i32.ge_u (i32.sub ${get('k')} ${get('i')}) ${i(8)}))
        (br $group)))
      (local.set $out (call $varint ${get('out')} (i32.add (i32.shl ${get('groups')} ${i(1)}) ${i(1)})))
      (local.set $count (i32.shl ${get('groups')} ${i(3)}))
      (local.set $real (select (i32.sub ${get('n')} ${get('start')}) ${get('count')} (i32.lt_u (i32.sub ${get('n')} ${get('start')}) ${get('count')})))
      (local.set $acc (i64.const 0))
      (local.set $bits ${i(0)})
      (local.set $k ${i(0)})
      (block $packed (loop $pack
        (br_if $packed (i32.ge_u ${get('k')} ${get('count')}))
        (if (i32.lt_u ${get('k')} ${get('real')})
          (then (local.set $acc (i64.or ${get('acc')} (i64.shl (i64.extend_i32_u ${load(`(i32.add ${get('start')} ${get('k')})`)}) (i64.extend_i32_u ${get('bits')}))))))
        (local.set $bits (i32.add ${get('bits')} ${get('bw')}))
        (if (i32.ge_u ${get('bits')} ${i(32)})
          (then
            (i32.store ${get('out')} (i32.wrap_i64 ${get('acc')}))
            (local.set $out (i32.add ${get('out')} ${i(4)}))
            (local.set $acc (i64.shr_u ${get('acc')} (i64.const 32)))
            (local.set $bits (i32.sub ${get('bits')} ${i(32)}))))
        (local.set $k (i32.add ${get('k')} ${i(1)}))
        (br $pack)))
      ;; 8 * groups * bw bits in all: what is left is whole bytes
      (i64.store ${get('out')} ${get('acc')})
      (local.set $out (i32.add ${get('out')} (i32.shr_u ${get('bits')} ${i(3)})))
      (local.set $i (i32.add ${get('start')} ${get('count')}))
      (br $runs)))
    ${get('out')})`;
}

const TEXT = `(module
  (memory (export "memory") ${PAGES})
  (global $count (export "count") (mut i32) ${i(0)})
  (global $size (mut i32) ${i(0)})
  (global $mask (mut i32) ${i(FIRST_TABLE - 1)})
  (global $arena (mut i32) ${i(ARENA)})

  ;; MurmurHash3's 64-bit finaliser, folded to 32 bits: every input bit moves the table index.
  (func $fmix (param $x i64) (result i32)
    (local.set $x (i64.mul (i64.xor ${get('x')} (i64.shr_u ${get('x')} (i64.const 33))) (i64.const 0xff51afd7ed558ccd)))
    (local.set $x (i64.mul (i64.xor ${get('x')} (i64.shr_u ${get('x')} (i64.const 33))) (i64.const 0xc4ceb9fe1a85ec53)))
    (i32.wrap_i64 (i64.xor ${get('x')} (i64.shr_u ${get('x')} (i64.const 33)))))

  (func $short (param $w0 i64) (param $w1 i64) (param $len i32) (result i32)
    (call $fmix (i64.add (i64.mul ${get('w0')} (i64.const 0x9e3779b97f4a7c15)) (i64.xor ${get('w1')} (i64.extend_i32_u ${get('len')})))))

  ;; A key of more than ${SHORT} bytes: its 8-byte words, the last one overlapping the one before.
  (func $long (param $a i32) (param $len i32) (result i32)
    (local $x i64) (local $last i32)
    (local.set $x (i64.mul (i64.extend_i32_u ${get('len')}) (i64.const 0x9e3779b97f4a7c15)))
    (local.set $last (i32.sub (i32.add ${get('a')} ${get('len')}) ${i(8)}))
    (block $done (loop $words
      (br_if $done (i32.ge_u ${get('a')} ${get('last')}))
      (local.set $x (i64.mul (i64.rotl (i64.xor ${get('x')} (i64.load ${get('a')})) (i64.const 29)) (i64.const 0xbf58476d1ce4e5b9)))
      (local.set $a (i32.add ${get('a')} ${i(8)}))
      (br $words)))
    (call $fmix (i64.xor ${get('x')} (i64.load ${get('last')}))))

  (func $hash (export "hash") (param $a i32) (param $len i32) (result i32)
    (if (result i32) (i32.le_u ${get('len')} ${i(SHORT)})
      (then (call $short
        (i64.and (i64.load ${get('a')}) (i64.load offset=${MASKS} (i32.shl ${get('len')} ${i(4)})))
        (i64.and (i64.load offset=8 ${get('a')}) (i64.load offset=${MASKS + 8} (i32.shl ${get('len')} ${i(4)})))
        ${get('len')}))
      (else (call $long ${get('a')} ${get('len')}))))

  ;; The $len bytes at $a and at $b are equal ($len > ${SHORT}).
  (func $same (param $a i32) (param $b i32) (param $len i32) (result i32)
    (local $q i32) (local $end i32)
    (local.set $end (i32.sub ${get('len')} ${i(8)}))
    (block $done (loop $words
      (br_if $done (i32.ge_u ${get('q')} ${get('end')}))
      (if (i64.ne (i64.load (i32.add ${get('a')} ${get('q')})) (i64.load (i32.add ${get('b')} ${get('q')})))
        (then (return ${i(0)})))
      (local.set $q (i32.add ${get('q')} ${i(8)}))
      (br $words)))
    (i64.eq (i64.load (i32.add ${get('a')} ${get('end')})) (i64.load (i32.add ${get('b')} ${get('end')}))))

  ;; The table at twice the size, the entries placed again from their hashes.
  (func $rehash
    (local $m i32) (local $k i32) (local $h i32)
    (local.set $m (i32.or (i32.shl (global.get $mask) ${i(1)}) ${i(1)}))
    (global.set $mask ${get('m')})
    (memory.fill ${i(TABLE)} ${i(0)} (i32.shl (i32.add ${get('m')} ${i(1)}) ${i(2)}))
    (block $done (loop $entries
      (br_if $done (i32.ge_u ${get('k')} (global.get $count)))
      (local.set $h (i32.and (i32.load offset=${KEYS + 20} (i32.mul ${get('k')} ${i(KEY)})) ${get('m')}))
      (block $free (loop $probe
        (br_if $free (i32.eqz (i32.load offset=${TABLE} (i32.shl ${get('h')} ${i(2)}))))
        (local.set $h (i32.and (i32.add ${get('h')} ${i(1)}) ${get('m')}))
        (br $probe)))
      (local.set $k (i32.add ${get('k')} ${i(1)}))
      (i32.store offset=${TABLE} (i32.shl ${get('h')} ${i(2)}) ${get('k')})
      (br $entries))))

  ;; A new entry of $bytes PLAIN bytes with $hash, at free place $h of the table, for the value in
  ;; column slot $slot: its number (the caller stores its key), or ${GAVE_UP} when the dictionary is
  ;; given up (over ${DICTIONARY_BYTES} bytes, or $h more than ${MAX_PROBE} places past the hash's home).
  (func $enter (param $h i32) (param $hash i32) (param $bytes i32) (param $slot i32) (result i32)
    (local $k i32)
    (global.set $size (i32.add (global.get $size) ${get('bytes')}))
    (if (i32.or (i32.gt_u (global.get $size) ${i(DICTIONARY_BYTES)})
          (i32.gt_u (i32.and (i32.sub ${get('h')} ${get('hash')}) (global.get $mask)) ${i(MAX_PROBE)}))
      (then (return ${i(GAVE_UP)})))
    (local.set $k (global.get $count))
    (i32.store offset=${KEYS + 20} (i32.mul ${get('k')} ${i(KEY)}) ${get('hash')})
    (i32.store offset=${ESLOTS} (i32.shl ${get('k')} ${i(2)}) ${get('slot')})
    (i32.store offset=${TABLE} (i32.shl ${get('h')} ${i(2)}) (i32.add ${get('k')} ${i(1)}))
    (global.set $count (i32.add ${get('k')} ${i(1)}))
    (if (i32.gt_u (i32.shl (global.get $count) ${i(1)}) (i32.add (global.get $mask) ${i(1)}))
      (then (call $rehash)))
    ${get('k')})

  (func (export "begin")
    (global.set $count ${i(0)})
    (global.set $size ${i(0)})
    (global.set $mask ${i(FIRST_TABLE - 1)})
    (global.set $arena ${i(ARENA)})
    (memory.fill ${i(TABLE)} ${i(0)} ${i(4 * FIRST_TABLE)}))

  ;; Indexes the block's n values: value j is column slot SLOTS[j], its bytes at
  ;; BYTES + OFFS[SLOTS[j] - lo] - base up to the next offset. 0, or ${GAVE_UP} (the dictionary is given up:
  ;; over ${DICTIONARY_BYTES} bytes, or a probe past ${MAX_PROBE}), or ${OUT_OF_ORDER} (a slot outside lo..lo + span).
  (func (export "block") (param $n i32) (param $lo i32) (param $span i32) (param $base i32) (result i32)
    (local $j i32) (local $s i32) (local $a i32) (local $len i32) (local $w0 i64) (local $w1 i64)
    (local $hash i32) (local $h i32) (local $t i32) (local $e i32) (local $k i32)
    (block $end (loop $values
      (br_if $end (i32.ge_u ${get('j')} ${get('n')}))
      (local.set $s (i32.sub (i32.load offset=${SLOTS} (i32.shl ${get('j')} ${i(2)})) ${get('lo')}))
      (if (i32.gt_u ${get('s')} ${get('span')}) (then (return ${i(OUT_OF_ORDER)})))
      (local.set $a (i32.load offset=${OFFS} (i32.shl ${get('s')} ${i(2)})))
      (local.set $len (i32.sub (i32.load offset=${OFFS + 4} (i32.shl ${get('s')} ${i(2)})) ${get('a')}))
      (local.set $a (i32.add (i32.sub ${get('a')} ${get('base')}) ${i(BYTES)}))
      (block $found
        (if (i32.le_u ${get('len')} ${i(SHORT)})
          (then
            (local.set $w0 (i64.and (i64.load ${get('a')}) (i64.load offset=${MASKS} (i32.shl ${get('len')} ${i(4)}))))
            (local.set $w1 (i64.and (i64.load offset=8 ${get('a')}) (i64.load offset=${MASKS + 8} (i32.shl ${get('len')} ${i(4)}))))
            (local.set $hash (call $short ${get('w0')} ${get('w1')} ${get('len')}))
            (local.set $h (i32.and ${get('hash')} (global.get $mask)))
            (block $miss (loop $probe
              (local.set $t (i32.load offset=${TABLE} (i32.shl ${get('h')} ${i(2)})))
              (br_if $miss (i32.eqz ${get('t')}))
              (local.set $e (i32.add ${i(KEYS - KEY)} (i32.mul ${get('t')} ${i(KEY)})))
              (if (i32.and (i64.eq (i64.load ${get('e')}) ${get('w0')})
                    (i32.and (i64.eq (i64.load offset=8 ${get('e')}) ${get('w1')}) (i32.eq (i32.load offset=16 ${get('e')}) ${get('len')})))
                (then
                  (local.set $k (i32.sub ${get('t')} ${i(1)}))
                  (br $found)))
              (local.set $h (i32.and (i32.add ${get('h')} ${i(1)}) (global.get $mask)))
              (br $probe))))
          (else
            (local.set $hash (call $long ${get('a')} ${get('len')}))
            (local.set $h (i32.and ${get('hash')} (global.get $mask)))
            (block $miss (loop $probe
              (local.set $t (i32.load offset=${TABLE} (i32.shl ${get('h')} ${i(2)})))
              (br_if $miss (i32.eqz ${get('t')}))
              (local.set $e (i32.add ${i(KEYS - KEY)} (i32.mul ${get('t')} ${i(KEY)})))
              (if (i32.and (i32.eq (i32.load offset=16 ${get('e')}) ${get('len')}) (i32.eq (i32.load offset=20 ${get('e')}) ${get('hash')}))
                (then
                  (if (call $same (i32.wrap_i64 (i64.load ${get('e')})) ${get('a')} ${get('len')})
                    (then
                      (local.set $k (i32.sub ${get('t')} ${i(1)}))
                      (br $found)))))
              (local.set $h (i32.and (i32.add ${get('h')} ${i(1)}) (global.get $mask)))
              (br $probe)))))
        ;; A new entry, at the free place the probe ended on.
        (local.set $k (call $enter ${get('h')} ${get('hash')} (i32.add ${get('len')} ${i(4)}) (i32.add ${get('s')} ${get('lo')})))
        (if (i32.lt_s ${get('k')} ${i(0)}) (then (return ${i(GAVE_UP)})))
        (local.set $e (i32.add ${i(KEYS)} (i32.mul ${get('k')} ${i(KEY)})))
        (i32.store offset=16 ${get('e')} ${get('len')})
        (if (i32.le_u ${get('len')} ${i(SHORT)})
          (then
            (i64.store ${get('e')} ${get('w0')})
            (i64.store offset=8 ${get('e')} ${get('w1')}))
          (else
            (memory.copy (global.get $arena) ${get('a')} ${get('len')})
            (i64.store ${get('e')} (i64.extend_i32_u (global.get $arena)))
            (global.set $arena (i32.add (global.get $arena) ${get('len')})))))
      (i32.store offset=${IDX} (i32.shl ${get('j')} ${i(2)}) ${get('k')})
      (local.set $j (i32.add ${get('j')} ${i(1)}))
      (br $values)))
    ${i(0)})

  ;; As block, for fixed-width values: value j is the $width 4-byte words at BYTES + 4 * $width * (SLOTS[j] - $lo),
  ;; keyed (and hashed) as the short byte array of their little-endian bytes. A run of one value is looked up once.
  (func (export "fixed") (param $n i32) (param $lo i32) (param $span i32) (param $width i32) (result i32)
    (local $j i32) (local $s i32) (local $x i64) (local $px i64) (local $k i32) (local $bytes i32)
    (local $hash i32) (local $h i32) (local $t i32)
    (local.set $k ${i(-1)})
    (local.set $bytes (i32.shl ${get('width')} ${i(2)}))
    (block $end (loop $values
      (br_if $end (i32.ge_u ${get('j')} ${get('n')}))
      (local.set $s (i32.sub (i32.load offset=${SLOTS} (i32.shl ${get('j')} ${i(2)})) ${get('lo')}))
      (if (i32.gt_u ${get('s')} ${get('span')}) (then (return ${i(OUT_OF_ORDER)})))
      (local.set $x (if (result i64) (i32.eq ${get('width')} ${i(2)})
        (then (i64.load offset=${BYTES} (i32.shl ${get('s')} ${i(3)})))
        (else (i64.extend_i32_u (i32.load offset=${BYTES} (i32.shl ${get('s')} ${i(2)}))))))
      (block $found
        (br_if $found (i32.and (i64.eq ${get('x')} ${get('px')}) (i32.ge_s ${get('k')} ${i(0)})))
        (local.set $hash (call $short ${get('x')} (i64.const 0) ${get('bytes')}))
        (local.set $h (i32.and ${get('hash')} (global.get $mask)))
        (block $miss (loop $probe
          (local.set $t (i32.load offset=${TABLE} (i32.shl ${get('h')} ${i(2)})))
          (br_if $miss (i32.eqz ${get('t')}))
          (if (i64.eq (i64.load offset=${KEYS - KEY} (i32.mul ${get('t')} ${i(KEY)})) ${get('x')})
            (then
              (local.set $k (i32.sub ${get('t')} ${i(1)}))
              (br $found)))
          (local.set $h (i32.and (i32.add ${get('h')} ${i(1)}) (global.get $mask)))
          (br $probe)))
        (local.set $k (call $enter ${get('h')} ${get('hash')} ${get('bytes')} (i32.add ${get('s')} ${get('lo')})))
        (if (i32.lt_s ${get('k')} ${i(0)}) (then (return ${i(GAVE_UP)})))
        (i64.store offset=${KEYS} (i32.mul ${get('k')} ${i(KEY)}) ${get('x')}))
      (i32.store offset=${IDX} (i32.shl ${get('j')} ${i(2)}) ${get('k')})
      (local.set $px ${get('x')})
      (local.set $j (i32.add ${get('j')} ${i(1)}))
      (br $values)))
    ${i(0)})

  (func $varint (param $out i32) (param $v i32) (result i32)
    (block $done (loop $bytes
      (br_if $done (i32.lt_u ${get('v')} ${i(0x80)}))
      (i32.store8 ${get('out')} (i32.or (i32.and ${get('v')} ${i(0x7f)}) ${i(0x80)}))
      (local.set $out (i32.add ${get('out')} ${i(1)}))
      (local.set $v (i32.shr_u ${get('v')} ${i(7)}))
      (br $bytes)))
    (i32.store8 ${get('out')} ${get('v')})
    (i32.add ${get('out')} ${i(1)}))
${hybridFunction('hybrid8', (at) => `(i32.load8_u (i32.add ${get('src')} ${at}))`)}
${hybridFunction('hybrid32', (at) => `(i32.load (i32.add ${get('src')} (i32.shl ${at} ${i(2)})))`)}
)`;

interface Exports {
  memory: WasmMemory;
  count: { value: number };
  begin(): void;
  block(n: number, lo: number, span: number, base: number): number;
  fixed(n: number, lo: number, span: number, width: number): number;
  hash(a: number, len: number): number;
  hybrid8(src: number, n: number, bw: number, out: number): number;
  hybrid32(src: number, n: number, bw: number, out: number): number;
}

// One instance per thread, assembled when the module is first imported (~50 ms, most of it loading wabt).
const wasm = instantiate(await assembleWat('dictionary.wat', TEXT)) as unknown as Exports;
let u8 = new Uint8Array(wasm.memory.buffer);
let i32 = new Int32Array(wasm.memory.buffer);
{
  const masks = new BigInt64Array(wasm.memory.buffer, MASKS, 2 * (SHORT + 1));
  const ones = (bytes: number): bigint => BigInt.asIntN(64, (1n << BigInt(8 * Math.max(0, Math.min(8, bytes)))) - 1n);
  for (let len = 0; len <= SHORT; len++) {
    masks[2 * len] = ones(len);
    masks[2 * len + 1] = ones(len - 8);
  }
}

const scratch = { indices: new Int32Array(0), entries: new Int32Array(0) };

/**
 * The dictionary of the byte arrays at `slots` (ascending) of a column's `offsets` and `bytes`, or
 * null when it would exceed DICTIONARY_BYTES or a probe would pass MAX_PROBE. The result's arrays
 * are this thread's scratch: valid until the next call.
 */
export function bytesDictionary(offsets: Int32Array, bytes: Uint8Array, slots: Int32Array): Dictionary | null {
  return indexBlocks(
    slots,
    (from, to) => offsets[slots[to - 1] + 1] - offsets[slots[from]] <= BLOCK_BYTES,
    (n, lo, hi) => {
      const start = offsets[lo];
      if (offsets[hi + 1] - start > BLOCK_BYTES) return GAVE_UP; // one value longer than a whole dictionary may be
      i32.set(offsets.subarray(lo, hi + 2), OFFS >> 2);
      u8.set(bytes.subarray(start, offsets[hi + 1]), BYTES);
      return wasm.block(n, lo, hi - lo, start);
    },
  );
}

/**
 * As bytesDictionary, for fixed-width values of `width` words (1: int32 and float, 2: int64 and
 * double) at each slot of `words`: keyed by their bits, so -0, +0 and NaN payloads stay what they were.
 */
export function fixedDictionary(words: Int32Array, width: 1 | 2, slots: Int32Array): Dictionary | null {
  return indexBlocks(
    slots,
    () => true,
    (n, lo, hi) => {
      i32.set(words.subarray(lo * width, (hi + 1) * width), BYTES >> 2);
      return wasm.fixed(n, lo, hi - lo, width);
    },
  );
}

/**
 * Indexes the values at `slots` a block at a time: at most BLOCK values, whose slots span at most
 * BLOCK and for which `fits` holds (fewer where they are sparse or long); `index` copies a block's
 * values (slots lo..hi) to the module and runs the kernel on its n values.
 */
function indexBlocks(slots: Int32Array, fits: (from: number, to: number) => boolean, index: (n: number, lo: number, hi: number) => number): Dictionary | null {
  const n = slots.length;
  if (scratch.indices.length < n) scratch.indices = new Int32Array(Math.max(n, 2 * scratch.indices.length));
  const indices = scratch.indices;
  wasm.begin();
  for (let from = 0; from < n; ) {
    let to = Math.min(n, from + BLOCK);
    const lo = slots[from];
    while (to - from > 1 && (slots[to - 1] - lo >= BLOCK || !fits(from, to))) to = from + ((to - from) >> 1);
    const hi = slots[to - 1];
    if (hi < lo) throw new Error(`dictionary: slots must ascend, got ${hi} after ${lo}`);
    i32.set(slots.subarray(from, to), SLOTS >> 2);
    const r = index(to - from, lo, hi);
    if (r === GAVE_UP) return null;
    if (r === OUT_OF_ORDER) throw new Error(`dictionary: slots must ascend (between ${lo} and ${hi})`);
    indices.set(i32.subarray(IDX >> 2, (IDX >> 2) + to - from), from);
    from = to;
  }
  const count = wasm.count.value;
  if (scratch.entries.length < count) scratch.entries = new Int32Array(Math.max(count, 2 * scratch.entries.length));
  scratch.entries.set(i32.subarray(ESLOTS >> 2, (ESLOTS >> 2) + count));
  return { entries: scratch.entries, count, indices };
}

/** The hash the dictionaries give `value` (fixedDictionary: its little-endian bytes), for tests that build values sharing one. */
export function dictionaryHash(value: Uint8Array): number {
  if (value.length > BLOCK_BYTES) throw new Error(`dictionaryHash: ${value.length} bytes is over ${BLOCK_BYTES}`);
  u8.set(value, BYTES);
  return wasm.hash(BYTES, value.length);
}

/**
 * values[from, to) in the RLE/bit-packing hybrid with `bw` bits per value (1..32): a view of the
 * module's memory, valid until the next call.
 */
export function hybrid(values: Uint8Array | Int32Array, from: number, to: number, bw: number): Uint8Array {
  const n = to - from;
  const width = values.BYTES_PER_ELEMENT;
  const out = HYBRID + ((width * n + SLACK + 15) & ~15);
  const end = out + 5 * (n + 8) + SLACK; // bit-packed: at most 4 bytes a value and a header of 5 a run of 8 or more; RLE: 9 bytes a run of 8 or more
  if (end > wasm.memory.buffer.byteLength) {
    wasm.memory.grow(Math.ceil((end - wasm.memory.buffer.byteLength) / PAGE));
    u8 = new Uint8Array(wasm.memory.buffer);
    i32 = new Int32Array(wasm.memory.buffer);
  }
  let written: number;
  if (width === 1) {
    u8.set(values.subarray(from, to), HYBRID);
    written = wasm.hybrid8(HYBRID, n, bw, out);
  } else {
    i32.set(values.subarray(from, to), HYBRID >> 2);
    written = wasm.hybrid32(HYBRID, n, bw, out);
  }
  return u8.subarray(out, written);
}
