// The byte-array dictionary of a column chunk, built by a WebAssembly function (encode.ts builds
// the fixed-width kinds' dictionaries in JavaScript). Why: in JavaScript every typed-array access in
// the probe loop paid its bounds check and base loads again, and a key of up to 12 bytes took three
// masked 4-byte loads; the seal's byte-array dictionaries were the largest single item of the
// agent's profile (BENCHMARKS.md, eleventh session). Here a key of up to 16 bytes is two masked
// 8-byte loads and two compares, and a longer key is hashed and compared 8 bytes at a time.
//
// The column's bytes stay in the builder's buffers: bytesDictionary() copies the chunk to the
// module's memory a block at a time (at most BLOCK values, at most BLOCK_BYTES of bytes), and the
// function indexes the block against the entries so far. An entry of more than SHORT bytes keeps a
// copy of its bytes in the arena (at most DICTIONARY_BYTES: past that the dictionary is given up),
// so the memory is bounded (~11 MiB of address space per thread, touched as far as the chunks reach).
//
// Entries are numbered in the order of their first value, so the dictionary does not depend on the
// hash unless the hash makes it give up (MAX_PROBE).
//
// Memory (bytes; all offsets are constants of the generated text):
//   MASKS   per length 0..SHORT, the masks of a key's two 8-byte words
//   TABLE   open addressing from a hash to entry + 1 (0: empty), grown at half load
//   KEYS    per entry: two 8-byte words (a short key's bytes, masked; a long key's arena position),
//           then its length and its hash
//   ESLOTS  per entry: the column slot of its first value
//   ARENA   the bytes of the long entries
//   SLOTS, OFFS, IDX, BYTES: one block's slots, its values' offsets (the column's, from its first
//           slot's), the entries found for them, and their bytes (SLACK bytes after them)

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
const PAGES = Math.ceil((BYTES + BLOCK_BYTES + SLACK) / 65536);

// block()'s results besides 0.
const GAVE_UP = -1;
const OUT_OF_ORDER = -2;

const i = (n: number): string => `(i32.const ${n})`;
const get = (name: string): string => `(local.get $${name})`;

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

  ;; The ${get('len')} bytes at a and at b are equal (len > ${SHORT}).
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
        (global.set $size (i32.add (global.get $size) (i32.add ${get('len')} ${i(4)})))
        (if (i32.or (i32.gt_u (global.get $size) ${i(DICTIONARY_BYTES)})
              (i32.gt_u (i32.and (i32.sub ${get('h')} ${get('hash')}) (global.get $mask)) ${i(MAX_PROBE)}))
          (then (return ${i(GAVE_UP)})))
        (local.set $k (global.get $count))
        (local.set $e (i32.add ${i(KEYS)} (i32.mul ${get('k')} ${i(KEY)})))
        (if (i32.le_u ${get('len')} ${i(SHORT)})
          (then
            (i64.store ${get('e')} ${get('w0')})
            (i64.store offset=8 ${get('e')} ${get('w1')}))
          (else
            (memory.copy (global.get $arena) ${get('a')} ${get('len')})
            (i64.store ${get('e')} (i64.extend_i32_u (global.get $arena)))
            (global.set $arena (i32.add (global.get $arena) ${get('len')}))))
        (i32.store offset=16 ${get('e')} ${get('len')})
        (i32.store offset=20 ${get('e')} ${get('hash')})
        (i32.store offset=${ESLOTS} (i32.shl ${get('k')} ${i(2)}) (i32.add ${get('s')} ${get('lo')}))
        (i32.store offset=${TABLE} (i32.shl ${get('h')} ${i(2)}) (i32.add ${get('k')} ${i(1)}))
        (global.set $count (i32.add ${get('k')} ${i(1)}))
        (if (i32.gt_u (i32.shl (global.get $count) ${i(1)}) (i32.add (global.get $mask) ${i(1)}))
          (then (call $rehash))))
      (i32.store offset=${IDX} (i32.shl ${get('j')} ${i(2)}) ${get('k')})
      (local.set $j (i32.add ${get('j')} ${i(1)}))
      (br $values)))
    ${i(0)})
)`;

interface Exports {
  memory: WasmMemory;
  count: { value: number };
  begin(): void;
  block(n: number, lo: number, span: number, base: number): number;
  hash(a: number, len: number): number;
}

// One instance per thread, assembled when the module is first imported (~50 ms, most of it loading wabt).
const wasm = instantiate(await assembleWat('dictionary.wat', TEXT)) as unknown as Exports;
const u8 = new Uint8Array(wasm.memory.buffer);
const i32 = new Int32Array(wasm.memory.buffer);
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
  const n = slots.length;
  if (scratch.indices.length < n) scratch.indices = new Int32Array(Math.max(n, 2 * scratch.indices.length));
  const indices = scratch.indices;
  wasm.begin();
  for (let from = 0; from < n; ) {
    let to = Math.min(n, from + BLOCK);
    const lo = slots[from];
    const start = offsets[lo];
    // At most BLOCK slots' offsets and BLOCK_BYTES of bytes: fewer values where they are sparse or long.
    while (to - from > 1 && (slots[to - 1] - lo >= BLOCK || offsets[slots[to - 1] + 1] - start > BLOCK_BYTES)) to = from + ((to - from) >> 1);
    const hi = slots[to - 1];
    if (hi < lo) throw new Error(`bytesDictionary: slots must ascend, got ${hi} after ${lo}`);
    if (offsets[hi + 1] - start > BLOCK_BYTES) return null; // one value longer than a whole dictionary may be
    i32.set(slots.subarray(from, to), SLOTS >> 2);
    i32.set(offsets.subarray(lo, hi + 2), OFFS >> 2);
    u8.set(bytes.subarray(start, offsets[hi + 1]), BYTES);
    const r = wasm.block(to - from, lo, hi - lo, start);
    if (r === GAVE_UP) return null;
    if (r === OUT_OF_ORDER) throw new Error(`bytesDictionary: slots must ascend (between ${lo} and ${hi})`);
    indices.set(i32.subarray(IDX >> 2, (IDX >> 2) + to - from), from);
    from = to;
  }
  const count = wasm.count.value;
  if (scratch.entries.length < count) scratch.entries = new Int32Array(Math.max(count, 2 * scratch.entries.length));
  scratch.entries.set(i32.subarray(ESLOTS >> 2, (ESLOTS >> 2) + count));
  return { entries: scratch.entries, count, indices };
}

/** The hash bytesDictionary gives `value` (for tests that build values sharing one). */
export function dictionaryHash(value: Uint8Array): number {
  if (value.length > BLOCK_BYTES) throw new Error(`dictionaryHash: ${value.length} bytes is over ${BLOCK_BYTES}`);
  u8.set(value, BYTES);
  return wasm.hash(BYTES, value.length);
}
