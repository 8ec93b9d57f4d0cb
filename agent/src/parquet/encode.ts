// Parquet encoder fed straight from the column builders (columns.ts): no Arrow IPC copy, no wasm
// heap. Written from the Parquet format specification (parquet-format's Thrift definitions,
// Encodings.md and the Dremel level rules).
//
// What it writes:
// - One or more row groups of at most `rowGroupRows` rows; per leaf column chunk, an optional
//   dictionary page (PLAIN) and data pages v1: repetition and definition levels in the
//   RLE/bit-packing hybrid, values RLE_DICTIONARY or PLAIN. Pages end at a row boundary and hold
//   about `pageEntries` level entries (PAGE_ENTRIES unless the options say otherwise) or PAGE_BYTES
//   of values.
// - Dictionary encoding is tried on every leaf but booleans, fixed-width bytes and decimals, and
//   given up for a chunk whose dictionary would exceed DICTIONARY_BYTES (then every page of the
//   chunk is PLAIN, and so are the leaf's next DICTIONARY_RETRY chunks). Dictionaries are built,
//   and levels and indices written in the RLE/bit-packing hybrid, in WebAssembly (kernels.ts).
// - Each page is compressed on its own (node:zlib's zstd at level 1, Snappy from
//   @platformatic/wasm-utils as for Kafka batches, or none). No CRCs, no page index. A zstd page
//   of at most ZSTD_TINY bytes, and the next RAW_AFTER_POOR data pages of a chunk after one that
//   zstd shrank by less than a tenth, go into a zstd frame of raw blocks, as zstd itself stores
//   what it cannot compress, without the call (~80 µs a page through node:zlib, half of it the
//   call's own cost).
// - Chunk statistics: null_count always; min_value/max_value for `bounded` leaves (primitives not
//   below a list or map), in the type-defined order announced in column_orders; byte-array
//   bounds longer than STAT_BYTES are left out rather than truncated.
// - The footer carries the Iceberg field ids, Iceberg's Parquet type mapping and the Arrow schema
//   under `ARROW:schema` (what Arrow-based readers use to restore e.g. the uuid extension type).
//
// Levels (Dremel): for a leaf below nodes n0..nk (top-level column first), each entry starts at a
// row and goes down while the node is defined; an optional node adds one definition level when
// non-null, a list or map one more when non-empty and one repetition level. Entries are computed
// column-wise per row group: a slot array that expands at each list or map.

import { createZstdCompress, zstdCompressSync, constants as zlib } from 'node:zlib';
import type { IcebergType, PrimitiveType, Schema, Value } from '../schema/types.ts';
import { compareNumbers, compareValues, parseDecimalType, parseFixedType, uuidFromBytes } from '../schema/bounds.ts';
import { CompactWriter } from './thrift.ts';
import { bytesDictionary, fixedDictionary, hybrid, type Dictionary } from './kernels.ts';
import { snappyCompress } from '../source/codecs.ts';
import { resident } from '../resident.ts';
import { ListColumn, MapColumn, StructColumn, viewOf, type Column, type Leaf, type LeafSource } from './columns.ts';

export type Codec = 'zstd' | 'snappy' | 'uncompressed';

const PAGE_BYTES = 1 << 20;
/**
 * Entries per page at most by default: as many 8-byte values as PAGE_BYTES holds, so the limit binds only
 * pages of small values (dictionary indices, levels). Each page costs a fixed ~30-40 µs (mostly
 * zstd's context and node:zlib's stream object), whatever its size; at 20,000 entries, the limit
 * arrow-rs and parquet-mr set for the granularity of a page index (not written here), the bench's
 * Avro seal took 11-16 % more CPU (bench/decode-ab.ts --phase seal).
 */
export const PAGE_ENTRIES = PAGE_BYTES / 8;
export const STAT_BYTES = 64;
const ZSTD_LEVEL = 1;
/** zstd pages up to this size are stored, not compressed: the frame's own bytes outweigh any gain. */
const ZSTD_TINY = 64;
/** Data pages stored after one that zstd shrank by less than a tenth, before zstd is tried again. */
const RAW_AFTER_POOR = 7;
/** The largest zstd block (RFC 8878: Block_Maximum_Size). */
const ZSTD_BLOCK = 128 * 1024;

// Typed arrays use the machine's byte order; PLAIN values and statistics are copied from them as
// Parquet's little-endian.
if (new Uint8Array(Uint16Array.of(1).buffer)[0] !== 1) throw new Error('the Parquet encoder needs a little-endian machine');

// parquet-format enums.
const BOOLEAN = 0;
const INT32 = 1;
const INT64 = 2;
const FLOAT = 4;
const DOUBLE = 5;
const BYTE_ARRAY = 6;
const FIXED_LEN_BYTE_ARRAY = 7;
const REQUIRED = 0;
const OPTIONAL = 1;
const REPEATED = 2;
const CONVERTED_UTF8 = 0;
const CONVERTED_MAP = 1;
const CONVERTED_LIST = 3;
const CONVERTED_DECIMAL = 5;
const CONVERTED_DATE = 6;
const CONVERTED_TIMESTAMP_MICROS = 10;
const ENC_PLAIN = 0;
const ENC_RLE = 3;
const ENC_RLE_DICTIONARY = 8;
const PAGE_DATA = 0;
const PAGE_DICTIONARY = 2;
const CODEC_IDS: Record<Codec, number> = { uncompressed: 0, snappy: 1, zstd: 6 };

export interface EncodeOptions {
  rowGroupRows: number;
  /** Level entries per data page at most (the writer's option, PAGE_ENTRIES by default). */
  pageEntries: number;
  /** Footer key/value metadata (e.g. ARROW:schema). */
  keyValues: ReadonlyArray<readonly [string, string]>;
  createdBy: string;
}

/** What the file holds for one leaf, over all row groups (Iceberg's data_file statistics). */
export interface LeafSummary {
  /** Level entries (values and nulls). */
  entries: number;
  nulls: number;
  /** Compressed bytes of its chunks, page headers included. */
  compressedSize: number;
  /** Smallest and largest non-null (non-NaN) value, for bounded leaves with one. */
  min?: Value;
  max?: Value;
}

export interface EncodedFile {
  bytes: Uint8Array;
  /** In the order of the leaves given. */
  leaves: LeafSummary[];
  /** Start of each row group's first page. */
  rowGroupOffsets: number[];
}

/** A leaf with the nodes above it and what its Parquet column is. */
interface LeafPlan {
  leaf: Leaf;
  /** Top-level column first, the leaf last. */
  nodes: Column[];
  path: string[];
  maxDef: number;
  maxRep: number;
  physical: number;
  /** Bytes of a FIXED_LEN_BYTE_ARRAY value. */
  width: number;
}

// ---------------------------------------------------------------------------------------------
// Byte sink

class Sink {
  buf: Uint8Array = new Uint8Array(1 << 16);
  /** A DataView of `buf`, kept with it. */
  dv = new DataView(this.buf.buffer);
  pos = 0;

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.pos + n, this.buf.length * 2));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.dv = new DataView(next.buffer);
  }

  byte(b: number): void {
    if (this.pos === this.buf.length) this.ensure(1);
    this.buf[this.pos++] = b;
  }

  varint(v: number): void {
    while (v >= 0x80) {
      this.byte((v & 0x7f) | 0x80);
      v >>>= 7;
    }
    this.byte(v);
  }

  u32At(at: number, v: number): void {
    const b = this.buf;
    b[at] = v & 0xff;
    b[at + 1] = (v >>> 8) & 0xff;
    b[at + 2] = (v >>> 16) & 0xff;
    b[at + 3] = v >>> 24;
  }

  bytes(src: Uint8Array): void {
    this.ensure(src.length);
    this.buf.set(src, this.pos);
    this.pos += src.length;
  }

  view(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}
resident(new Sink());

// ---------------------------------------------------------------------------------------------
// RLE / bit-packing hybrid

/** Bits needed for values 0..max. */
function bitWidth(max: number): number {
  return max === 0 ? 0 : 32 - Math.clz32(max);
}

/** Appends values[from, to) in the RLE/bit-packing hybrid with `bw` bits per value (1..32). */
function writeHybrid(sink: Sink, values: Uint8Array | Int32Array, from: number, to: number, bw: number): void {
  sink.bytes(hybrid(values, from, to, bw));
}

// ---------------------------------------------------------------------------------------------
// Levels

interface Levels {
  /** Level entries. */
  n: number;
  /** Definition levels; null when every entry is at maxDef (a value). */
  def: Uint8Array | null;
  /** Repetition levels; null when no list or map is above the leaf. */
  rep: Uint8Array | null;
  /** Leaf slot of each value (entries at maxDef), in order. */
  slots: Int32Array;
}

function bitSet(bits: Uint8Array, i: number): boolean {
  return (bits[i >> 3] & (1 << (i & 7))) !== 0;
}

// Scratch arrays of the chunk being encoded (encoding is synchronous, one chunk at a time).
const scratch = {
  slots: new Int32Array(0),
  def: new Uint8Array(0),
  i32: new Int32Array(0),
};

function scratchSlots(n: number): Int32Array {
  if (scratch.slots.length < n) scratch.slots = new Int32Array(Math.max(n, scratch.slots.length * 2));
  return scratch.slots.subarray(0, n);
}

function scratchDef(n: number): Uint8Array {
  if (scratch.def.length < n) scratch.def = new Uint8Array(Math.max(n, scratch.def.length * 2));
  return scratch.def.subarray(0, n);
}

function scratchI32(n: number): Int32Array {
  if (scratch.i32.length < n) scratch.i32 = new Int32Array(Math.max(n, scratch.i32.length * 2));
  return scratch.i32;
}

/** Levels of a leaf for rows [from, to). */
function computeLevels(plan: LeafPlan, from: number, to: number): Levels {
  return plan.maxRep === 0 ? rowLevels(plan, from, to) : nestedLevels(plan, from, to);
}

/** No list or map above the leaf: one entry per row, and a row's slot is the row at every node. */
function rowLevels(plan: LeafPlan, from: number, to: number): Levels {
  const n = to - from;
  let def: Uint8Array | null = null; // materialised at the first null bitmap on the path
  let d = 0;
  for (const node of plan.nodes) {
    const shape = node.shape();
    if (!shape.nullable) continue;
    const v = shape.validity;
    if (v !== null) {
      if (def === null) def = scratchDef(n).fill(d);
      // A live entry (at d) goes one level down if this node is present, else ends here.
      for (let i = 0; i < n; i++) if (def[i] === d && bitSet(v, from + i)) def[i] = d + 1;
    } else if (def !== null) {
      for (let i = 0; i < n; i++) if (def[i] === d) def[i] = d + 1;
    }
    d++;
  }
  if (def === null) {
    const slots = scratchSlots(n);
    for (let i = 0; i < n; i++) slots[i] = from + i;
    return { n, def: null, rep: null, slots };
  }
  const slots = scratchSlots(n);
  let values = 0;
  for (let i = 0; i < n; i++) if (def[i] === d) slots[values++] = from + i;
  return { n, def, rep: null, slots: slots.subarray(0, values) };
}

/** A set of nestedLevels' entries: each entry's slot at the current node (-1: ended), definition and repetition level. */
interface EntrySet {
  slot: Int32Array;
  def: Uint8Array;
  rep: Uint8Array;
}

/** nestedLevels' two sets: each list or map expands the entries of one into the other. */
const entrySets: [EntrySet, EntrySet] = [
  { slot: new Int32Array(0), def: new Uint8Array(0), rep: new Uint8Array(0) },
  { slot: new Int32Array(0), def: new Uint8Array(0), rep: new Uint8Array(0) },
];

/**
 * Entries a kept set holds at most (6 MiB): a column chunk with more (long lists) gets sets of its
 * own, dropped after it, so that one such chunk does not keep its size in every worker for good.
 */
export const ENTRY_SET_KEPT = 1 << 20;

function entrySet(k: 0 | 1, n: number): EntrySet {
  if (n > ENTRY_SET_KEPT) return { slot: new Int32Array(n), def: new Uint8Array(n), rep: new Uint8Array(n) };
  const set = entrySets[k];
  if (set.slot.length < n) {
    const size = Math.min(ENTRY_SET_KEPT, Math.max(n, set.slot.length * 2));
    set.slot = new Int32Array(size);
    set.def = new Uint8Array(size);
    set.rep = new Uint8Array(size);
  }
  return set;
}

/**
 * Lists or maps above the leaf: entries multiply at each of them. The entries live in the scratch
 * sets above (valid until the next chunk is encoded), not in arrays made per chunk: those were
 * a few MB of fresh zeroed memory per nested column chunk, and with the passes they took
 * (counting, then expanding, then counting values) levels cost a list of strings more than its
 * dictionary.
 */
function nestedLevels(plan: LeafPlan, from: number, to: number): Levels {
  let n = to - from;
  let which: 0 | 1 = 0;
  let { slot, def, rep } = entrySet(which, n);
  for (let i = 0; i < n; i++) slot[i] = from + i;
  rep.fill(0, 0, n);
  let d = 0; // the definition level of live entries (slot >= 0); ended ones keep theirs in def
  let repDepth = 0;
  for (const node of plan.nodes) {
    const shape = node.shape();
    if (shape.nullable) {
      const v = shape.validity;
      if (v !== null) {
        for (let i = 0; i < n; i++) {
          const s = slot[i];
          if (s >= 0 && !bitSet(v, s)) {
            slot[i] = -1;
            def[i] = d;
          }
        }
      }
      d++;
    }
    const off = shape.offsets;
    if (off === null) continue;
    repDepth++;
    // Live slots ascend, so their children are those from the first's to the last's: at most
    // that many entries, and one for each entry that ended or is an empty list.
    let first = 0;
    while (first < n && slot[first] < 0) first++;
    let last = n - 1;
    while (last >= 0 && slot[last] < 0) last--;
    which = which === 0 ? 1 : 0;
    const next = entrySet(which, first <= last ? n + off[slot[last] + 1] - off[slot[first]] : n);
    const slot2 = next.slot;
    const def2 = next.def;
    const rep2 = next.rep;
    let j = 0;
    for (let i = 0; i < n; i++) {
      const s = slot[i];
      const r = rep[i];
      if (s < 0) {
        slot2[j] = -1;
        def2[j] = def[i];
        rep2[j++] = r;
        continue;
      }
      const a = off[s];
      const b = off[s + 1];
      if (a === b) {
        slot2[j] = -1;
        def2[j] = d;
        rep2[j++] = r;
        continue;
      }
      slot2[j] = a;
      rep2[j++] = r;
      for (let k = a + 1; k < b; k++) {
        slot2[j] = k;
        rep2[j++] = repDepth;
      }
    }
    slot = slot2;
    def = def2;
    rep = rep2;
    n = j;
    d++;
  }
  const slots = scratchSlots(n);
  let values = 0;
  for (let i = 0; i < n; i++) {
    const s = slot[i];
    if (s >= 0) {
      def[i] = d;
      slots[values++] = s;
    }
  }
  return { n, def: values === n ? null : def.subarray(0, n), rep: rep.subarray(0, n), slots: slots.subarray(0, values) };
}

// ---------------------------------------------------------------------------------------------
// Dictionaries

/**
 * Column chunks written PLAIN after one whose dictionary was given up, before the next try: a
 * column whose values were too distinct for a dictionary usually stays so (Kafka offsets, ids), and
 * the try costs most of a dictionary's build before it is given up (a `_kafka_offset` of distinct
 * values: 4-5 % of the Avro seal in bench/decode-ab.ts --phase seal). A column that changes is
 * tried again within this many files.
 */
export const DICTIONARY_RETRY = 7;

/**
 * Dictionary of the values at `slots`, or null if it would not pay (over DICTIONARY_BYTES, as
 * arrow-rs's default: a column of 20,000 distinct messages picked at random has most of its values
 * distinct among the first thousands, yet its dictionary pays), or while the leaf's last try is
 * less than DICTIONARY_RETRY chunks old. Floats are keyed by their bits, so -0, +0 and NaN payloads
 * stay what they were.
 */
function buildDictionary(leaf: Leaf, src: LeafSource, slots: Int32Array): Dictionary | null {
  if (leaf.plainChunks > 0) {
    leaf.plainChunks--;
    return null;
  }
  if (slots.length === 0) return null;
  let dict: Dictionary | null;
  switch (src.kind) {
    case 'int32':
      dict = fixedDictionary(src.data, 1, slots);
      break;
    case 'int64':
      dict = fixedDictionary(src.halves, 2, slots);
      break;
    case 'float':
      dict = fixedDictionary(new Int32Array(src.data.buffer, src.data.byteOffset, src.data.length), 1, slots);
      break;
    case 'double':
      dict = fixedDictionary(new Int32Array(src.data.buffer, src.data.byteOffset, src.data.length * 2), 2, slots);
      break;
    case 'bytes':
      dict = bytesDictionary(src.offsets, src.bytes, slots);
      break;
    default:
      return null;
  }
  if (dict === null) leaf.plainChunks = DICTIONARY_RETRY;
  return dict;
}

// ---------------------------------------------------------------------------------------------
// Values

/** PLAIN encoding of the values at slots[from, to). */
function writePlain(sink: Sink, plan: LeafPlan, src: LeafSource, slots: Int32Array, from: number, to: number): void {
  const k = to - from;
  switch (src.kind) {
    case 'boolean': {
      const nbytes = (k + 7) >> 3;
      sink.ensure(nbytes);
      const out = sink.buf;
      const at = sink.pos;
      out.fill(0, at, at + nbytes);
      for (let j = 0; j < k; j++) if (bitSet(src.bits, slots[from + j])) out[at + (j >> 3)] |= 1 << (j & 7);
      sink.pos += nbytes;
      return;
    }
    case 'int32':
      return writeWords(sink, src.data, 1, 1, slots, from, to);
    case 'int64':
      return writeWords(sink, src.halves, 2, 2, slots, from, to);
    case 'float':
      return writeWords(sink, new Int32Array(src.data.buffer, src.data.byteOffset, src.data.length), 1, 1, slots, from, to);
    case 'double':
      return writeWords(sink, new Int32Array(src.data.buffer, src.data.byteOffset, src.data.length * 2), 2, 2, slots, from, to);
    case 'bytes': {
      const { offsets, bytes } = src;
      let total = 0;
      for (let j = from; j < to; j++) total += 4 + offsets[slots[j] + 1] - offsets[slots[j]];
      sink.ensure(total);
      const out = sink.buf;
      const dst = sink.dv;
      const src4 = viewOf(bytes);
      let pos = sink.pos;
      for (let j = from; j < to; j++) {
        const s = slots[j];
        const a = offsets[s];
        const len = offsets[s + 1] - a;
        dst.setInt32(pos, len, true);
        pos += 4;
        if (len <= 64) {
          // Four bytes at a time, then the rest: short values cost more in calls to set() than this.
          let q = 0;
          for (; q + 4 <= len; q += 4) dst.setInt32(pos + q, src4.getInt32(a + q, true), true);
          for (; q < len; q++) out[pos + q] = bytes[a + q];
        } else out.set(bytes.subarray(a, a + len), pos);
        pos += len;
      }
      sink.pos = pos;
      return;
    }
    case 'fixed': {
      const w = src.width;
      sink.ensure(k * w);
      for (let j = from; j < to; j++) {
        const a = slots[j] * w;
        sink.buf.set(src.bytes.subarray(a, a + w), sink.pos);
        sink.pos += w;
      }
      return;
    }
    case 'decimal': {
      const w = src.words;
      if (plan.physical === INT32) writeWords(sink, w, 4, 1, slots, from, to);
      else if (plan.physical === INT64) writeWords(sink, w, 4, 2, slots, from, to);
      else {
        sink.ensure(k * plan.width);
        for (let j = from; j < to; j++) {
          writeDecimalBE(sink.buf, sink.pos, w, slots[j], plan.width);
          sink.pos += plan.width;
        }
      }
      return;
    }
  }
}

/**
 * PLAIN bytes of fixed-width little-endian values: the first `width` int32 words of each slot's
 * `stride` words, copied as the typed arrays hold them (little-endian, checked at load).
 */
function writeWords(sink: Sink, words: Int32Array, stride: number, width: number, slots: Int32Array, from: number, to: number): void {
  const k = to - from;
  if (k > 0 && width === stride && slots[to - 1] - slots[from] === k - 1) {
    // Slots ascend, so these are consecutive (a column without nulls, a run of distinct entries):
    // their words as they lie, in one copy.
    sink.bytes(new Uint8Array(words.buffer, words.byteOffset + 4 * stride * slots[from], 4 * k * width));
    return;
  }
  const t = scratchI32(k * width);
  for (let j = 0, o = 0; j < k; j++) {
    const at = slots[from + j] * stride;
    for (let q = 0; q < width; q++) t[o++] = words[at + q];
  }
  sink.bytes(new Uint8Array(t.buffer, 0, 4 * k * width));
}

/** The low `width` bytes of a 128-bit two's complement value (4 LE int32 words), big-endian. */
function writeDecimalBE(out: Uint8Array, at: number, words: Int32Array, slot: number, width: number): void {
  for (let b = 0; b < width; b++) {
    const word = words[4 * slot + (b >> 2)];
    out[at + width - 1 - b] = (word >>> ((b & 3) * 8)) & 0xff;
  }
}

/** Estimated PLAIN bytes of one value (page sizing). */
function plainSize(src: LeafSource, slot: number): number {
  switch (src.kind) {
    case 'bytes':
      return 4 + src.offsets[slot + 1] - src.offsets[slot];
    case 'fixed':
      return src.width;
    case 'int64':
    case 'double':
      return 8;
    case 'decimal':
      return 16;
    default:
      return 4;
  }
}

// ---------------------------------------------------------------------------------------------
// Statistics

/** Order of the values in two slots of a leaf (negative: a first); NaN never reaches it. */
function compareSlots(src: LeafSource, a: number, b: number): number {
  switch (src.kind) {
    case 'boolean':
      return (bitSet(src.bits, a) ? 1 : 0) - (bitSet(src.bits, b) ? 1 : 0);
    case 'int32':
      return src.data[a] - src.data[b];
    case 'int64': {
      const h = src.halves;
      const d = h[2 * a + 1] - h[2 * b + 1];
      return d !== 0 ? d : (h[2 * a] >>> 0) - (h[2 * b] >>> 0);
    }
    case 'float':
    case 'double':
      return compareNumbers(src.data[a], src.data[b]);
    case 'bytes': {
      // Unsigned bytes in order: four at a time as big-endian words, then one at a time.
      const o = src.offsets;
      const bytes = src.bytes;
      const v = viewOf(bytes);
      let x = o[a];
      let y = o[b];
      const xe = o[a + 1];
      const ye = o[b + 1];
      for (; x + 4 <= xe && y + 4 <= ye; x += 4, y += 4) {
        const d = v.getUint32(x) - v.getUint32(y);
        if (d !== 0) return d;
      }
      for (; x < xe && y < ye; x++, y++) {
        const d = bytes[x] - bytes[y];
        if (d !== 0) return d;
      }
      return xe - x - (ye - y);
    }
    case 'fixed': {
      const w = src.width;
      const bytes = src.bytes;
      for (let k = 0; k < w; k++) {
        const d = bytes[a * w + k] - bytes[b * w + k];
        if (d !== 0) return d;
      }
      return 0;
    }
    case 'decimal': {
      const w = src.words;
      const d = w[4 * a + 3] - w[4 * b + 3];
      if (d !== 0) return d;
      for (let k = 2; k >= 0; k--) {
        const e = (w[4 * a + k] >>> 0) - (w[4 * b + k] >>> 0);
        if (e !== 0) return e;
      }
      return 0;
    }
  }
}

function isNaNSlot(src: LeafSource, s: number): boolean {
  return (src.kind === 'float' || src.kind === 'double') && src.data[s] !== src.data[s];
}

/** Slots of the smallest and largest value among `candidates` (NaN excluded), or null. */
function minMaxSlots(src: LeafSource, candidates: Int32Array, count: number): [number, number] | null {
  if (src.kind === 'int64') return minMaxInt64(src.halves, candidates, count);
  let lo = -1;
  let hi = -1;
  for (let i = 0; i < count; i++) {
    const s = candidates[i];
    if (isNaNSlot(src, s)) continue;
    if (lo < 0) lo = hi = s;
    else if (compareSlots(src, s, lo) < 0) lo = s;
    else if (compareSlots(src, s, hi) > 0) hi = s;
  }
  return lo < 0 ? null : [lo, hi];
}

/** minMaxSlots of int64 values (high word signed, low word unsigned): a column without a dictionary, such as _kafka_offset, has every value compared. */
function minMaxInt64(halves: Int32Array, candidates: Int32Array, count: number): [number, number] | null {
  if (count === 0) return null;
  let lo = candidates[0];
  let hi = lo;
  let loHi = halves[2 * lo + 1];
  let loLo = halves[2 * lo] >>> 0;
  let hiHi = loHi;
  let hiLo = loLo;
  for (let i = 1; i < count; i++) {
    const s = candidates[i];
    const h = halves[2 * s + 1];
    const l = halves[2 * s] >>> 0;
    if (h < loHi || (h === loHi && l < loLo)) {
      lo = s;
      loHi = h;
      loLo = l;
    } else if (h > hiHi || (h === hiHi && l > hiLo)) {
      hi = s;
      hiHi = h;
      hiLo = l;
    }
  }
  return [lo, hi];
}

/** The value in slot `s` as the Iceberg Value of `type`. */
function valueAt(type: PrimitiveType, src: LeafSource, s: number): Value {
  switch (src.kind) {
    case 'boolean':
      return bitSet(src.bits, s);
    case 'int32':
      return src.data[s];
    case 'int64':
      return BigInt.asIntN(64, (BigInt(src.halves[2 * s + 1]) << 32n) | BigInt(src.halves[2 * s] >>> 0));
    case 'float':
    case 'double':
      return src.data[s];
    case 'bytes': {
      const o = src.offsets;
      const b = src.bytes.subarray(o[s], o[s + 1]);
      return type === 'string' ? new TextDecoder().decode(b) : b.slice();
    }
    case 'fixed': {
      if (type === 'uuid') return uuidFromBytes(src.bytes, s * 16);
      return src.bytes.slice(s * src.width, (s + 1) * src.width);
    }
    case 'decimal': {
      const w = src.words;
      let v = 0n;
      for (let k = 3; k >= 0; k--) v = (v << 32n) | BigInt(w[4 * s + k] >>> 0);
      return BigInt.asIntN(128, v);
    }
  }
}

/**
 * The PLAIN encoding of the value in slot `s`, as Parquet statistics hold it (no length prefix). A
 * zero float bound is written as the format asks: -0 as a minimum, +0 as a maximum.
 */
function statBytes(plan: LeafPlan, src: LeafSource, s: number, bound: 'min' | 'max'): Uint8Array {
  switch (src.kind) {
    case 'boolean':
      return Uint8Array.of(bitSet(src.bits, s) ? 1 : 0);
    case 'int32':
      return new Uint8Array(Int32Array.of(src.data[s]).buffer);
    case 'int64':
      return new Uint8Array(Int32Array.of(src.halves[2 * s], src.halves[2 * s + 1]).buffer);
    case 'float':
    case 'double': {
      const x = src.data[s] === 0 ? (bound === 'min' ? -0 : 0) : src.data[s];
      return new Uint8Array((src.kind === 'float' ? Float32Array.of(x) : Float64Array.of(x)).buffer);
    }
    case 'bytes':
      return src.bytes.slice(src.offsets[s], src.offsets[s + 1]);
    case 'fixed':
      return src.bytes.slice(s * src.width, (s + 1) * src.width);
    case 'decimal': {
      const w = src.words;
      if (plan.physical === INT32) return new Uint8Array(Int32Array.of(w[4 * s]).buffer);
      if (plan.physical === INT64) return new Uint8Array(Int32Array.of(w[4 * s], w[4 * s + 1]).buffer);
      const out = new Uint8Array(plan.width);
      writeDecimalBE(out, 0, w, s, plan.width);
      return out;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Schema

interface PrimitiveInfo {
  physical: number;
  width: number;
  converted?: number;
  scale?: number;
  precision?: number;
  logical?: (w: CompactWriter) => void;
}

const emptyStruct =
  (id: number) =>
  (w: CompactWriter): void => {
    w.begin(id);
    w.end();
  };

const timeUnitMicros = (w: CompactWriter): void => {
  w.begin(2);
  emptyStruct(2)(w);
  w.end();
};

function timeLike(id: number, adjustedToUtc: boolean): (w: CompactWriter) => void {
  return (w) => {
    w.begin(id);
    w.bool(1, adjustedToUtc);
    timeUnitMicros(w);
    w.end();
  };
}

/** Bytes of the smallest two's complement that holds every unscaled value of `precision` digits. */
export function decimalBytes(precision: number): number {
  let n = 1;
  while (2n ** BigInt(8 * n - 1) < 10n ** BigInt(precision)) n++;
  return n;
}

/** Iceberg's Parquet mapping of a primitive type. */
function primitiveInfo(type: PrimitiveType): PrimitiveInfo {
  switch (type) {
    case 'boolean':
      return { physical: BOOLEAN, width: 0 };
    case 'int':
      return { physical: INT32, width: 0 };
    case 'long':
      return { physical: INT64, width: 0 };
    case 'float':
      return { physical: FLOAT, width: 0 };
    case 'double':
      return { physical: DOUBLE, width: 0 };
    case 'date':
      return { physical: INT32, width: 0, converted: CONVERTED_DATE, logical: emptyStruct(6) };
    case 'time':
      return { physical: INT64, width: 0, logical: timeLike(7, false) };
    case 'timestamp':
      return { physical: INT64, width: 0, logical: timeLike(8, false) };
    case 'timestamptz':
      return { physical: INT64, width: 0, converted: CONVERTED_TIMESTAMP_MICROS, logical: timeLike(8, true) };
    case 'string':
      return { physical: BYTE_ARRAY, width: 0, converted: CONVERTED_UTF8, logical: emptyStruct(1) };
    case 'binary':
      return { physical: BYTE_ARRAY, width: 0 };
    case 'uuid':
      // No UUID annotation, as arrow-rs writes it: Arrow readers restore the type from ARROW:schema.
      return { physical: FIXED_LEN_BYTE_ARRAY, width: 16 };
  }
  const decimal = parseDecimalType(type);
  if (decimal !== null) {
    const { precision, scale } = decimal;
    const physical = precision <= 9 ? INT32 : precision <= 18 ? INT64 : FIXED_LEN_BYTE_ARRAY;
    return {
      physical,
      width: physical === FIXED_LEN_BYTE_ARRAY ? decimalBytes(precision) : 0,
      converted: CONVERTED_DECIMAL,
      scale,
      precision,
      logical: (w) => {
        w.begin(5);
        w.i32(1, scale);
        w.i32(2, precision);
        w.end();
      },
    };
  }
  const width = parseFixedType(type);
  if (width !== null) return { physical: FIXED_LEN_BYTE_ARRAY, width };
  throw new TypeError(`not an Iceberg primitive type: ${JSON.stringify(type)}`);
}

/** Writes the schema elements of one field (depth first) and collects its leaves' plans. */
function planField(
  w: CompactWriter,
  name: string,
  fieldId: number | undefined,
  type: IcebergType,
  repetition: number,
  column: Column,
  above: { nodes: Column[]; path: string[]; def: number; rep: number },
  plans: LeafPlan[],
  elements: { count: number },
): void {
  const nodes = [...above.nodes, column];
  const path = [...above.path, name];
  const def = above.def + (repetition === OPTIONAL ? 1 : 0);
  const element = (fields: () => void): void => {
    elements.count++;
    w.begin();
    fields();
    w.end();
  };
  if (typeof type === 'string') {
    const info = primitiveInfo(type);
    element(() => {
      w.i32(1, info.physical);
      if (info.physical === FIXED_LEN_BYTE_ARRAY) w.i32(2, info.width);
      w.i32(3, repetition);
      w.string(4, name);
      if (info.converted !== undefined) w.i32(6, info.converted);
      if (info.scale !== undefined) w.i32(7, info.scale);
      if (info.precision !== undefined) w.i32(8, info.precision);
      if (fieldId !== undefined) w.i32(9, fieldId);
      if (info.logical) {
        w.begin(10);
        info.logical(w);
        w.end();
      }
    });
    plans.push({ leaf: column as Leaf, nodes, path, maxDef: def, maxRep: above.rep, physical: info.physical, width: info.width });
    return;
  }
  const group = (children: number, converted?: number, logical?: number): void =>
    element(() => {
      w.i32(3, repetition);
      w.string(4, name);
      w.i32(5, children);
      if (converted !== undefined) w.i32(6, converted);
      if (fieldId !== undefined) w.i32(9, fieldId);
      if (logical !== undefined) {
        w.begin(10);
        emptyStruct(logical)(w);
        w.end();
      }
    });
  const repeated = (groupName: string, children: number): void =>
    element(() => {
      w.i32(3, REPEATED);
      w.string(4, groupName);
      w.i32(5, children);
    });
  const optional = (required: boolean): number => (required ? REQUIRED : OPTIONAL);
  switch (type.type) {
    case 'struct': {
      group(type.fields.length);
      const children = (column as StructColumn).children;
      type.fields.forEach((f, i) => planField(w, f.name, f.id, f.type, optional(f.required), children[i], { nodes, path, def, rep: above.rep }, plans, elements));
      return;
    }
    case 'list': {
      group(1, CONVERTED_LIST, 3);
      repeated('list', 1);
      const inner = { nodes, path: [...path, 'list'], def: def + 1, rep: above.rep + 1 };
      planField(w, 'element', type['element-id'], type.element, optional(type['element-required']), (column as ListColumn).element, inner, plans, elements);
      return;
    }
    case 'map': {
      group(1, CONVERTED_MAP, 2);
      repeated('key_value', 2);
      const map = column as MapColumn;
      const inner = { nodes, path: [...path, 'key_value'], def: def + 1, rep: above.rep + 1 };
      planField(w, 'key', type['key-id'], type.key, REQUIRED, map.key, inner, plans, elements);
      planField(w, 'value', type['value-id'], type.value, optional(type['value-required']), map.value, inner, plans, elements);
      return;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// File

interface ChunkMeta {
  plan: LeafPlan;
  entries: number;
  nulls: number;
  dictionaryOffset: number;
  dataOffset: number;
  compressed: number;
  uncompressed: number;
  dictionary: boolean;
  /** Bounds of a bounded leaf, as Values and as statistics bytes (these left out when too long). */
  minValue?: Value;
  maxValue?: Value;
  min?: Uint8Array;
  max?: Uint8Array;
}

/** Where the page that pageEnd() measured ends: its entries and values are [e, entries), [v, values). */
const PAGE_END = { entries: 0, values: 0 };

/**
 * Ends the page that starts at entry `e` (value `v`) at a row boundary once it holds `pageEntries`
 * entries or PAGE_BYTES of values (4 bytes each for dictionary indices), into PAGE_END. A function
 * of its own, not a loop inside chunk()'s loop over pages: V8 leaves on-stack-replaced code of an
 * inner loop by deoptimising, and did so at every page.
 */
function pageEnd(levels: Levels, maxDef: number, indices: boolean, src: LeafSource, e: number, v: number, pageEntries: number): void {
  const { n, def, rep, slots } = levels;
  let pe = e;
  let pv = v;
  if (indices && (pageEntries * 4 <= PAGE_BYTES || (def === null && rep === null))) {
    // Indices reach PAGE_BYTES only past pageEntries values, so past as many entries: the page
    // ends at the first row boundary from there, and its values are the entries at maxDef. (A
    // column with neither levels has a value per entry: its pages end at pageEntries, always.)
    pe = Math.min(n, e + pageEntries);
    if (rep !== null) while (pe < n && rep[pe] !== 0) pe++;
    if (def === null) pv += pe - e;
    else for (let i = e; i < pe; i++) if (def[i] === maxDef) pv++;
    PAGE_END.entries = pe;
    PAGE_END.values = pv;
    return;
  }
  if (def === null && rep === null && src.kind !== 'bytes') {
    // A value per entry, each of one size: the loop below's end, computed.
    const k = Math.min(n - e, pageEntries, Math.ceil(PAGE_BYTES / plainSize(src, 0)));
    PAGE_END.entries = e + k;
    PAGE_END.values = v + k;
    return;
  }
  let bytes = 0;
  while (pe < n) {
    if (pe > e && (rep === null || rep[pe] === 0) && (pe - e >= pageEntries || bytes >= PAGE_BYTES)) break;
    if (def === null || def[pe] === maxDef) {
      bytes += indices ? 4 : plainSize(src, slots[pv]);
      pv++;
    }
    pe++;
  }
  PAGE_END.entries = pe;
  PAGE_END.values = pv;
}

export class ParquetEncoder {
  private readonly sink = new Sink();
  private readonly header = new CompactWriter();
  private readonly parts: Uint8Array[] = [];
  private offset = 0;
  private readonly compress: (page: Uint8Array) => Uint8Array;
  private readonly codec: Codec;

  constructor(codec: Codec) {
    this.codec = codec;
    const zstdOptions = { params: { [zlib.ZSTD_c_compressionLevel]: ZSTD_LEVEL } };
    this.compress =
      codec === 'zstd' ? (page) => zstdCompressSync(page, zstdOptions) : codec === 'snappy' ? snappyCompress : (page) => page.slice();
  }

  /** Data pages of the current chunk still to be stored in raw zstd frames (see the header). */
  private rawPages = 0;

  private emit(bytes: Uint8Array): void {
    this.parts.push(bytes);
    this.offset += bytes.length;
  }

  /** Writes one page (its body is the sink's content); returns [compressed, uncompressed] bytes with the header. */
  private page(type: number, body: Uint8Array, values: number, encoding: number): [number, number] {
    let data: Uint8Array;
    if (this.codec !== 'zstd') data = this.compress(body);
    else if (body.length <= ZSTD_TINY) data = zstdStored(body);
    else if (type === PAGE_DATA && this.rawPages > 0) {
      this.rawPages--;
      data = zstdStored(body);
    } else {
      data = this.compress(body);
      if (type === PAGE_DATA && data.length * 10 > body.length * 9) this.rawPages = RAW_AFTER_POOR;
    }
    const h = this.header;
    h.reset();
    h.begin();
    h.i32(1, type);
    h.i32(2, body.length);
    h.i32(3, data.length);
    if (type === PAGE_DATA) {
      h.begin(5);
      h.i32(1, values);
      h.i32(2, encoding);
      h.i32(3, ENC_RLE);
      h.i32(4, ENC_RLE);
      h.end();
    } else {
      h.begin(7);
      h.i32(1, values);
      h.i32(2, ENC_PLAIN);
      h.end();
    }
    h.end();
    const head = h.bytes().slice();
    this.emit(head);
    this.emit(data);
    return [head.length + data.length, head.length + body.length];
  }

  /** One column chunk of rows [from, to). */
  chunk(plan: LeafPlan, from: number, to: number, pageEntries: number): ChunkMeta {
    const src = plan.leaf.source();
    const levels = computeLevels(plan, from, to);
    const { n, def, rep, slots } = levels;
    const nv = slots.length;
    this.rawPages = 0;
    const meta: ChunkMeta = { plan, entries: n, nulls: n - nv, dictionaryOffset: -1, dataOffset: 0, compressed: 0, uncompressed: 0, dictionary: false };
    const dict = buildDictionary(plan.leaf, src, slots);
    const sink = this.sink;
    const add = ([c, u]: [number, number]): void => {
      meta.compressed += c;
      meta.uncompressed += u;
    };

    if (plan.leaf.bounded) {
      const mm = dict !== null ? minMaxSlots(src, dict.entries, dict.count) : minMaxSlots(src, slots, nv);
      if (mm !== null) {
        meta.minValue = valueAt(plan.leaf.type, src, mm[0]);
        meta.maxValue = valueAt(plan.leaf.type, src, mm[1]);
        const min = statBytes(plan, src, mm[0], 'min');
        const max = statBytes(plan, src, mm[1], 'max');
        if (src.kind !== 'bytes' || (min.length <= STAT_BYTES && max.length <= STAT_BYTES)) {
          meta.min = min;
          meta.max = max;
        }
      }
    }

    if (dict !== null) {
      meta.dictionary = true;
      meta.dictionaryOffset = this.offset;
      sink.pos = 0;
      writePlain(sink, plan, src, dict.entries, 0, dict.count);
      add(this.page(PAGE_DICTIONARY, sink.view(), dict.count, ENC_PLAIN));
    }
    meta.dataOffset = this.offset;
    const defBits = bitWidth(plan.maxDef);
    const repBits = bitWidth(plan.maxRep);
    const indexBits = dict === null ? 0 : Math.max(1, bitWidth(dict.count - 1));
    let e = 0;
    let v = 0;
    do {
      // A page ends at a row boundary once it holds pageEntries entries or PAGE_BYTES of values.
      pageEnd(levels, plan.maxDef, dict !== null, src, e, v, pageEntries);
      const pe = PAGE_END.entries;
      const pv = PAGE_END.values;
      sink.pos = 0;
      if (rep !== null) levelRun(sink, rep, e, pe, repBits);
      if (def !== null) levelRun(sink, def, e, pe, defBits);
      else if (plan.maxDef > 0) constantLevels(sink, plan.maxDef, pe - e, defBits);
      if (dict !== null) {
        sink.byte(indexBits);
        writeHybrid(sink, dict.indices, v, pv, indexBits);
      } else writePlain(sink, plan, src, slots, v, pv);
      add(this.page(PAGE_DATA, sink.view(), pe - e, dict !== null ? ENC_RLE_DICTIONARY : ENC_PLAIN));
      e = pe;
      v = pv;
    } while (e < n);
    return meta;
  }

  /** Encodes every row of `columns` (one per field of `schema`, `rows` slots each). */
  encode(schema: Schema, columns: readonly Column[], leaves: readonly Leaf[], rows: number, options: EncodeOptions): EncodedFile {
    const schemaWriter = new CompactWriter();
    const plans: LeafPlan[] = [];
    const elements = { count: 0 };
    schema.fields.forEach((f, i) =>
      planField(schemaWriter, f.name, f.id, f.type, f.required ? REQUIRED : OPTIONAL, columns[i], { nodes: [], path: [], def: 0, rep: 0 }, plans, elements),
    );
    if (plans.length !== leaves.length || plans.some((p, i) => p.leaf !== leaves[i])) throw new Error('the Parquet schema walk does not match the column leaves');

    this.emit(MAGIC);
    // An empty file has no row groups.
    const groups: RowGroupMeta[] = [];
    for (let from = 0; from < rows; from += options.rowGroupRows) {
      const to = Math.min(rows, from + options.rowGroupRows);
      groups.push({ rows: to - from, chunks: plans.map((p) => this.chunk(p, from, to, options.pageEntries)) });
    }
    const footer = this.footer({ bytes: schemaWriter.bytes(), count: elements.count, fields: schema.fields.length, leaves: plans.length }, rows, groups, options);
    this.emit(footer);
    const tail = new Uint8Array(8);
    new DataView(tail.buffer).setUint32(0, footer.length, true);
    tail.set(MAGIC, 4);
    this.emit(tail);

    const summaries = plans.map((plan, i): LeafSummary => {
      const s: LeafSummary = { entries: 0, nulls: 0, compressedSize: 0 };
      const type = plan.leaf.type;
      for (const g of groups) {
        const c = g.chunks[i];
        s.entries += c.entries;
        s.nulls += c.nulls;
        s.compressedSize += c.compressed;
        if (c.minValue !== undefined && (s.min === undefined || compareValues(type, c.minValue, s.min) < 0)) s.min = c.minValue;
        if (c.maxValue !== undefined && (s.max === undefined || compareValues(type, c.maxValue, s.max) > 0)) s.max = c.maxValue;
      }
      return s;
    });
    // A buffer of its own (not Node's pool), so that a worker can transfer it.
    const bytes = new Uint8Array(this.offset);
    let at = 0;
    for (const part of this.parts) {
      bytes.set(part, at);
      at += part.length;
    }
    return { bytes, leaves: summaries, rowGroupOffsets: groups.map((g) => chunkStart(g.chunks[0])) };
  }

  private footer(schema: { bytes: Uint8Array; count: number; fields: number; leaves: number }, rows: number, groups: RowGroupMeta[], options: EncodeOptions): Uint8Array {
    const w = new CompactWriter();
    const codec = CODEC_IDS[this.codec];
    w.begin();
    w.i32(1, 1);
    w.structList(2, 1 + schema.count);
    w.begin();
    w.string(4, 'schema');
    w.i32(5, schema.fields);
    w.end();
    w.raw(schema.bytes);
    w.i64(3, rows);
    w.structList(4, groups.length);
    groups.forEach((g, ordinal) => {
      w.begin();
      w.structList(1, g.chunks.length);
      let uncompressed = 0;
      let compressed = 0;
      for (const c of g.chunks) {
        uncompressed += c.uncompressed;
        compressed += c.compressed;
        w.begin();
        w.i64(2, chunkStart(c));
        w.begin(3);
        w.i32(1, c.plan.physical);
        w.i32List(2, c.dictionary ? [ENC_PLAIN, ENC_RLE, ENC_RLE_DICTIONARY] : [ENC_PLAIN, ENC_RLE]);
        w.stringList(3, c.plan.path);
        w.i32(4, codec);
        w.i64(5, c.entries);
        w.i64(6, c.uncompressed);
        w.i64(7, c.compressed);
        w.i64(9, c.dataOffset);
        if (c.dictionary) w.i64(11, c.dictionaryOffset);
        w.begin(12);
        w.i64(3, c.nulls);
        if (c.max !== undefined) w.binary(5, c.max);
        if (c.min !== undefined) w.binary(6, c.min);
        w.end();
        w.end();
        w.end();
      }
      w.i64(2, uncompressed);
      w.i64(3, g.rows);
      w.i64(5, chunkStart(g.chunks[0]));
      w.i64(6, compressed);
      w.i16(7, ordinal);
      w.end();
    });
    w.structList(5, options.keyValues.length);
    for (const [key, value] of options.keyValues) {
      w.begin();
      w.string(1, key);
      w.string(2, value);
      w.end();
    }
    w.string(6, options.createdBy);
    w.structList(7, schema.leaves);
    for (let i = 0; i < schema.leaves; i++) {
      w.begin();
      emptyStruct(1)(w); // TypeDefinedOrder
      w.end();
    }
    w.end();
    return w.bytes();
  }
}
resident(new ParquetEncoder('zstd'));
// zstdCompressSync's stream class, whose maps node:zlib's code checks.
resident(createZstdCompress());

interface RowGroupMeta {
  rows: number;
  chunks: ChunkMeta[];
}

const MAGIC = Uint8Array.of(0x50, 0x41, 0x52, 0x31);

/**
 * `src` as one zstd frame of raw (stored) blocks, RFC 8878: the magic number, a frame header with
 * Single_Segment_flag and a 4-byte Frame_Content_Size (descriptor 0xA0: no window descriptor, no
 * dictionary id, no checksum), then blocks of at most ZSTD_BLOCK bytes, each with a 3-byte header
 * (Last_Block bit, Block_Type 0 = Raw_Block, Block_Size). Any zstd decoder reads it.
 */
export function zstdStored(src: Uint8Array): Uint8Array {
  const blocks = Math.max(1, Math.ceil(src.length / ZSTD_BLOCK));
  const out = new Uint8Array(9 + 3 * blocks + src.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, 0xfd2fb528, true);
  out[4] = 0xa0;
  v.setUint32(5, src.length, true);
  let at = 9;
  for (let b = 0, from = 0; b < blocks; b++) {
    const size = Math.min(ZSTD_BLOCK, src.length - from);
    const header = size * 8 + (b === blocks - 1 ? 1 : 0);
    out[at] = header & 0xff;
    out[at + 1] = (header >>> 8) & 0xff;
    out[at + 2] = header >>> 16;
    out.set(src.subarray(from, from + size), at + 3);
    at += 3 + size;
    from += size;
  }
  return out;
}

function chunkStart(c: ChunkMeta): number {
  return c.dictionaryOffset >= 0 ? c.dictionaryOffset : c.dataOffset;
}

/** A level stream of a v1 data page: its byte length (u32 LE), then the hybrid encoding. */
function levelRun(sink: Sink, levels: Uint8Array, from: number, to: number, bw: number): void {
  sink.ensure(4);
  const at = sink.pos;
  sink.pos += 4;
  writeHybrid(sink, levels, from, to, bw);
  sink.u32At(at, sink.pos - at - 4);
}

/** A level stream of `count` entries all at `level`: one RLE run. */
function constantLevels(sink: Sink, level: number, count: number, bw: number): void {
  sink.ensure(4);
  const at = sink.pos;
  sink.pos += 4;
  sink.varint(count * 2);
  for (let b = 0; b < (bw + 7) >> 3; b++) sink.byte((level >>> (8 * b)) & 0xff);
  sink.u32At(at, sink.pos - at - 4);
}
