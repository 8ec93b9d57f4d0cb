// Column accumulators: one per Iceberg field, growing plain typed arrays (Arrow's layout: validity
// bitmaps, offsets, values) that the Parquet encoder (encode.ts) reads directly, without a per-row
// object per cell. Float leaves also count their NaNs.
//
// Invariants:
// - Every column has exactly one Arrow slot per slot of its parent (struct children) or per
//   entry (list elements, map keys/values). `length` counts slots.
// - Two ways to add to a column, and one to add nothing:
//     append(v)      a value (or null) that is present in the row;
//     appendAbsent() a slot under a null parent struct: null if nullable, else a placeholder
//                    the parent's null masks (its value is whatever the buffer held: never read);
//   nothing at all under a null or empty list or map (the offsets above say so).
// - Value and null counts and bounds are the encoder's, from the levels it writes (Parquet's level
//   semantics, which Iceberg's reference implementation copies into manifests: every definition-
//   level entry is a value, and one whose leaf is not defined is a null) and, for `bounded` leaves
//   (primitives not inside a list or map), once per column chunk. Appends count and compare nothing.
// - Appends copy: no column retains (or depends on) a caller's buffer.
// - clear() empties a column for the next file and keeps its buffers: an ingest worker reuses its
//   builders batch after batch, so they neither grow by doubling again nor leave tens of MiB of
//   garbage per seal.

import type { IcebergType, PrimitiveType, Row, Value } from '../schema/types.ts';
import { parseDecimalType, parseFixedType, writeUuidBytes } from '../schema/bounds.ts';
import { FloeError } from '../errors.ts';
import { isUtf8 } from 'node:buffer';

const INITIAL_SLOTS = 1024;

export interface Column {
  /** Slots so far. */
  length: number;
  append(v: Value | undefined): void;
  appendAbsent(): void;
  /** What the encoder reads to compute levels. */
  shape(): ColumnShape;
  /** Bytes of buffers in use (not capacity): about the Arrow IPC size of the data. */
  byteSize(): number;
  /** Empties the column (and its children) for the next file, keeping the capacity of its buffers. */
  clear(): void;
  /**
   * Drops the slots from `length` on (and the children's slots under them): what a row that failed
   * halfway appended. `length` is at most the current length, and a slot boundary of every parent.
   */
  truncate(length: number): void;
}

/** A column's null bitmap (null: no nulls so far) and, for lists and maps, its offsets. */
export interface ColumnShape {
  nullable: boolean;
  validity: Uint8Array | null;
  offsets: Int32Array | null;
}

/**
 * A leaf's values by slot, as the encoder reads them. int64: two int32 halves per slot
 * (little-endian: low, high); decimal: four int32 words per slot (128-bit two's complement,
 * least significant first); bytes: offsets (length + 1) into bytes.
 */
export type LeafSource =
  | { kind: 'boolean'; bits: Uint8Array }
  | { kind: 'int32'; data: Int32Array }
  | { kind: 'int64'; halves: Int32Array }
  | { kind: 'float'; data: Float32Array }
  | { kind: 'double'; data: Float64Array }
  | { kind: 'bytes'; offsets: Int32Array; bytes: Uint8Array }
  | { kind: 'fixed'; bytes: Uint8Array; width: number }
  | { kind: 'decimal'; words: Int32Array };

/** Validity bitmap, allocated only when the first null arrives (until then every slot is valid). */
class Validity {
  bits: Uint8Array | null = null;

  valid(i: number): void {
    const b = this.bits;
    if (b === null) return;
    const byte = i >> 3;
    if (byte >= b.length) this.bits = growBytes(b, byte + 1);
    (this.bits as Uint8Array)[byte] |= 1 << (i & 7);
  }

  setNull(i: number): void {
    const byte = i >> 3;
    if (this.bits === null) {
      // Slots 0..i-1 were valid.
      const b = new Uint8Array(Math.max(64, (byte + 1) * 2));
      b.fill(0xff, 0, byte);
      for (let j = byte << 3; j < i; j++) b[byte] |= 1 << (j & 7);
      this.bits = b;
    } else if (byte >= this.bits.length) {
      this.bits = growBytes(this.bits, byte + 1);
    }
  }

  byteSize(length: number): number {
    return this.bits === null ? 0 : (length + 7) >> 3;
  }

  clear(): void {
    this.bits = null;
  }

  isValid(i: number): boolean {
    return this.bits === null || (this.bits[i >> 3] & (1 << (i & 7))) !== 0;
  }

  /**
   * The validity of `count` slots appended in bulk from slot `at` on: bit i of `staged` is slot
   * at + i's (1: valid). With no nulls among them, only a bitmap that exists already is touched.
   */
  appendStaged(at: number, count: number, staged: Uint8Array, nulls: number): void {
    if (count === 0 || (nulls === 0 && this.bits === null)) return;
    const last = (at + count - 1) >> 3;
    if (this.bits === null) this.setNull(at); // the bitmap: the slots before `at` valid
    if (last + 1 >= this.bits!.length) this.bits = growBytes(this.bits!, last + 2);
    const bits = this.bits!;
    if (nulls === 0) {
      setBits(bits, at, at + count);
      return;
    }
    // Bits from `at` on are 0 (clearRange keeps them so), and so are the staged ones past `count`:
    // each staged byte is OR-ed in at the shift of `at`.
    const shift = at & 7;
    const first = at >> 3;
    const n = (count + 7) >> 3;
    if (shift === 0) {
      for (let k = 0; k < n; k++) bits[first + k] |= staged[k];
    } else {
      for (let k = 0; k < n; k++) {
        const b = staged[k];
        bits[first + k] |= (b << shift) & 0xff;
        bits[first + k + 1] |= b >> (8 - shift);
      }
    }
  }

  /** Clears the bits of slots [from, to): appends only set bits. */
  clearRange(from: number, to: number): void {
    if (this.bits !== null) clearBits(this.bits, from, to);
  }
}

/** Sets bits [from, to): whole bytes at once, the partial ones at the ends bit by bit. */
function setBits(bits: Uint8Array, from: number, to: number): void {
  let i = from;
  for (; i < to && (i & 7) !== 0; i++) bits[i >> 3] |= 1 << (i & 7);
  const whole = (to - i) >> 3;
  if (whole > 0) {
    bits.fill(0xff, i >> 3, (i >> 3) + whole);
    i += whole << 3;
  }
  for (; i < to; i++) bits[i >> 3] |= 1 << (i & 7);
}

/** Clears bits [from, to): whole bytes at once, the partial ones at the ends bit by bit. */
function clearBits(bits: Uint8Array, from: number, to: number): void {
  let i = from;
  for (; i < to && (i & 7) !== 0; i++) bits[i >> 3] &= ~(1 << (i & 7));
  const whole = (to - i) >> 3;
  if (whole > 0) {
    bits.fill(0, i >> 3, (i >> 3) + whole);
    i += whole << 3;
  }
  for (; i < to; i++) bits[i >> 3] &= ~(1 << (i & 7));
}

function growBytes(a: Uint8Array, min: number): Uint8Array<ArrayBuffer> {
  const n = new Uint8Array(Math.max(min, a.length * 2));
  n.set(a);
  return n;
}

/** A DataView of the last buffer viewOf was asked for (a decoder reads one chunk's records in a row). */
let lastSource: Uint8Array | null = null;
let lastSourceView: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));

/** A DataView of `buf`: the same one while the callers (appendUtf8, the encoder) read the same buffer. */
export function viewOf(buf: Uint8Array): DataView<ArrayBufferLike> {
  if (buf !== lastSource) {
    lastSource = buf;
    lastSourceView = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  return lastSourceView;
}

function growBuffer(a: Buffer, min: number): Buffer<ArrayBuffer> {
  const n = Buffer.alloc(Math.max(min, a.length * 2));
  a.copy(n);
  return n;
}

function growInt32(a: Int32Array, min: number): Int32Array<ArrayBuffer> {
  const n = new Int32Array(Math.max(min, a.length * 2));
  n.set(a);
  return n;
}

function growBigInt64(a: BigInt64Array, min: number): BigInt64Array<ArrayBuffer> {
  const n = new BigInt64Array(Math.max(min, a.length * 2));
  n.set(a);
  return n;
}

/**
 * Copies `s` to `bytes` at `pos` if it is ASCII of at most 48 units (the common case, where a
 * JavaScript loop beats a call into Buffer#write) and returns the end; returns -1, having written
 * garbage at most, otherwise. Capacity is checked by the caller.
 */
function writeShortAscii(bytes: Buffer, pos: number, s: string): number {
  const n = s.length;
  if (n > 48) return -1;
  for (let k = 0; k < n; k++) {
    const c = s.charCodeAt(k);
    if (c >= 0x80) return -1;
    bytes[pos + k] = c;
  }
  return pos + n;
}

function requiredNull(fieldId: number): FloeError {
  return new FloeError('FLOE_SCHEMA_INVALID', `field ${fieldId} is required but the row holds null`);
}

/** Bytes appendUtf8 copies as four whole words, whatever the value's length up to it. */
const WIDE = 16;
/** The high bit of each byte a value of n <= WIDE bytes reaches in its w-th word: `HIGH_BITS[4 * n + w]`. */
const HIGH_BITS = new Int32Array(4 * (WIDE + 1));
for (let n = 0; n <= WIDE; n++) {
  for (let w = 0; w < 4; w++) {
    for (let b = 0; b < 4; b++) if (4 * w + b < n) HIGH_BITS[4 * n + w] |= 0x80 << (8 * b);
  }
}

/** A primitive column with statistics. */
export abstract class Leaf implements Column {
  readonly fieldId: number;
  readonly type: PrimitiveType;
  readonly nullable: boolean;
  /** Whether the file keeps bounds of it (not inside a list or map). */
  readonly bounded: boolean;
  length = 0;
  /** NaN values appended (float and double). */
  nans = 0;
  /**
   * Column chunks the encoder writes PLAIN before it tries a dictionary again, after one was given
   * up (encode.ts DICTIONARY_RETRY). Kept across files: a builder is reused for the next batch.
   */
  plainChunks = 0;
  protected readonly validity = new Validity();

  constructor(fieldId: number, type: PrimitiveType, nullable: boolean, bounded: boolean) {
    this.fieldId = fieldId;
    this.type = type;
    this.nullable = nullable;
    this.bounded = bounded;
  }

  abstract append(v: Value | undefined): void;
  abstract byteSize(): number;

  /** The values by slot (views of the current buffers: valid until the next append). */
  abstract source(): LeafSource;
  /** Grows buffers so slot `i` exists; a byte array's slot is left empty (zero-length). */
  protected abstract emptySlot(i: number): void;

  shape(): ColumnShape {
    return { nullable: this.nullable, validity: this.validity.bits, offsets: null };
  }

  /** A present null. */
  protected appendNull(): void {
    if (!this.nullable) throw requiredNull(this.fieldId);
    const i = this.length;
    this.emptySlot(i);
    this.validity.setNull(i);
    this.length = i + 1;
  }

  appendAbsent(): void {
    const i = this.length;
    this.emptySlot(i);
    if (this.nullable) this.validity.setNull(i);
    this.length = i + 1;
  }

  /** Ends a bulk append of `count` slots whose values are in place: their validity, the length. */
  protected endStaged(count: number, valid: Uint8Array, nulls: number): void {
    if (nulls > 0 && !this.nullable) throw requiredNull(this.fieldId);
    this.validity.appendStaged(this.length, count, valid, nulls);
    this.length += count;
  }

  /**
   * Forgets the values of slots from `length` on (the buffers stay). Fixed-width leaves have
   * nothing to forget: every slot is written before it is read.
   */
  protected truncateValues(_length: number): void {}

  clear(): void {
    this.truncate(0);
    this.validity.clear(); // no bitmap until the next null
  }

  truncate(length: number): void {
    if (length >= this.length) return;
    this.truncateValues(length);
    this.validity.clearRange(length, this.length);
    this.length = length;
  }
}

export class BoolColumn extends Leaf {
  private bits = new Uint8Array(INITIAL_SLOTS >> 3);

  append(v: Value | undefined): void {
    if (v === null || v === undefined) return this.appendNull();
    const i = this.length;
    const byte = i >> 3;
    if (byte >= this.bits.length) this.bits = growBytes(this.bits, byte + 1);
    if (v === true) this.bits[byte] |= 1 << (i & 7);
    this.validity.valid(i);
    this.length = i + 1;
  }

  protected emptySlot(i: number): void {
    if (i >> 3 >= this.bits.length) this.bits = growBytes(this.bits, (i >> 3) + 1);
  }

  /** Appends `count` values in bulk, one byte each (1: true); `valid` and `nulls` as Validity.appendStaged. */
  appendStaged(values: Uint8Array, count: number, valid: Uint8Array, nulls: number): void {
    const at = this.length;
    if ((at + count) >> 3 >= this.bits.length) this.bits = growBytes(this.bits, ((at + count) >> 3) + 1);
    const bits = this.bits;
    for (let i = 0; i < count; i++) if (values[i] === 1) bits[(at + i) >> 3] |= 1 << ((at + i) & 7);
    this.endStaged(count, valid, nulls);
  }

  source(): LeafSource {
    return { kind: 'boolean', bits: this.bits };
  }

  protected override truncateValues(length: number): void {
    clearBits(this.bits, length, this.length); // append() only sets bits
  }

  byteSize(): number {
    return ((this.length + 7) >> 3) + this.validity.byteSize(this.length);
  }
}

/** int and date: 32-bit integers. */
export class Int32Column extends Leaf {
  private data = new Int32Array(INITIAL_SLOTS);

  append(v: Value | undefined): void {
    if (v === null || v === undefined) return this.appendNull();
    const i = this.length;
    if (i === this.data.length) this.data = growInt32(this.data, i + 1);
    this.data[i] = v as number;
    this.validity.valid(i);
    this.length = i + 1;
  }

  protected emptySlot(i: number): void {
    if (i >= this.data.length) this.data = growInt32(this.data, i + 1);
  }

  /** Appends `count` values in bulk; `valid` and `nulls` as Validity.appendStaged. */
  appendStaged(values: Int32Array, count: number, valid: Uint8Array, nulls: number): void {
    const at = this.length;
    if (at + count > this.data.length) this.data = growInt32(this.data, at + count);
    this.data.set(values.subarray(0, count), at);
    this.endStaged(count, valid, nulls);
  }

  source(): LeafSource {
    return { kind: 'int32', data: this.data };
  }

  byteSize(): number {
    return this.length * 4 + this.validity.byteSize(this.length);
  }
}

/** long, time, timestamp, timestamptz: 64-bit integers, appended as bigint or as safe numbers. */
export class Int64Column extends Leaf {
  private data = new BigInt64Array(INITIAL_SLOTS);
  /** The same memory as 32-bit halves (little-endian), for appendNumber and the encoder. */
  private halves = new Int32Array(this.data.buffer);

  append(v: Value | undefined): void {
    if (v === null || v === undefined) return this.appendNull();
    const i = this.length;
    if (i === this.data.length) this.grow(i + 1);
    this.data[i] = v as bigint;
    this.validity.valid(i);
    this.length = i + 1;
  }

  /** Appends a safe integer (|x| < 2^53) without making a bigint of it. */
  appendNumber(x: number): void {
    const i = this.length;
    if (i === this.data.length) this.grow(i + 1);
    const hi = Math.floor(x / 4294967296);
    this.halves[2 * i] = x - hi * 4294967296; // 0..2^32-1, stored as its int32 bit pattern
    this.halves[2 * i + 1] = hi;
    this.validity.valid(i);
    this.length = i + 1;
  }

  private grow(min: number): void {
    this.data = growBigInt64(this.data, min);
    this.halves = new Int32Array(this.data.buffer);
  }

  protected emptySlot(i: number): void {
    if (i >= this.data.length) this.grow(i + 1);
  }

  /** Appends `count` values in bulk, as their little-endian 32-bit halves; `valid` and `nulls` as Validity.appendStaged. */
  appendStaged(halves: Int32Array, count: number, valid: Uint8Array, nulls: number): void {
    const at = this.length;
    if (at + count > this.data.length) this.grow(at + count);
    this.halves.set(halves.subarray(0, 2 * count), 2 * at);
    this.endStaged(count, valid, nulls);
  }

  source(): LeafSource {
    return { kind: 'int64', halves: this.halves };
  }

  byteSize(): number {
    return this.length * 8 + this.validity.byteSize(this.length);
  }
}

/** float (32-bit) and double (64-bit). */
export class FloatColumn extends Leaf {
  private data: Float32Array | Float64Array;
  /** `data`'s memory as bytes (appendLE). */
  private bytes: Uint8Array;

  constructor(fieldId: number, type: PrimitiveType, nullable: boolean, bounded: boolean) {
    super(fieldId, type, nullable, bounded);
    this.data = type === 'float' ? new Float32Array(INITIAL_SLOTS) : new Float64Array(INITIAL_SLOTS);
    this.bytes = new Uint8Array(this.data.buffer);
  }

  append(v: Value | undefined): void {
    if (v === null || v === undefined) return this.appendNull();
    const i = this.length;
    if (i === this.data.length) this.grow(i + 1);
    const x = v as number;
    this.data[i] = x;
    this.validity.valid(i);
    if (x !== x) this.nans++;
    this.length = i + 1;
  }

  /**
   * Appends the little-endian float or double at b[p, p + 4 or 8) (the Avro fast path). The bytes
   * are copied, not read into a number first: a double handed to a call V8 does not inline is
   * boxed, a heap number per value, and the generated Avro reader is too large for V8 to inline its
   * callees. The column's memory is little-endian (the fast path checks the platform).
   */
  appendLE(b: Uint8Array, p: number): void {
    const i = this.length;
    if (i === this.data.length) this.grow(i + 1);
    const bytes = this.bytes;
    const w = this.data.BYTES_PER_ELEMENT;
    const at = w * i;
    for (let k = 0; k < w; k++) bytes[at + k] = b[p + k];
    // A signalling NaN float is stored quiet, as the general path leaves it (it widens the float to
    // a double and back, which quiets it).
    if (w === 4 && (bytes[at + 3] & 0x7f) === 0x7f && (bytes[at + 2] & 0x80) !== 0 && ((bytes[at + 2] & 0x7f) | bytes[at + 1] | bytes[at]) !== 0) bytes[at + 2] |= 0x40;
    this.validity.valid(i);
    if (this.data[i] !== this.data[i]) this.nans++;
    this.length = i + 1;
  }

  /**
   * Appends `count` values in bulk, as their bytes in the platform's order (a null slot's are
   * zeros); `valid` and `nulls` as Validity.appendStaged.
   */
  appendStaged(bytes: Uint8Array, count: number, valid: Uint8Array, nulls: number): void {
    const at = this.length;
    if (at + count > this.data.length) this.grow(at + count);
    const w = this.data.BYTES_PER_ELEMENT;
    this.bytes.set(bytes.subarray(0, w * count), w * at);
    const data = this.data;
    let nans = 0;
    for (let i = at; i < at + count; i++) if (data[i] !== data[i]) nans++;
    this.nans += nans;
    this.endStaged(count, valid, nulls);
  }

  private grow(min: number): void {
    const n = this.data instanceof Float32Array ? new Float32Array(Math.max(min, this.data.length * 2)) : new Float64Array(Math.max(min, this.data.length * 2));
    n.set(this.data);
    this.data = n;
    this.bytes = new Uint8Array(n.buffer);
  }

  protected emptySlot(i: number): void {
    if (i >= this.data.length) this.grow(i + 1);
  }

  source(): LeafSource {
    return this.data instanceof Float32Array ? { kind: 'float', data: this.data } : { kind: 'double', data: this.data };
  }

  protected override truncateValues(length: number): void {
    if (this.nans === 0) return;
    for (let i = length; i < this.length; i++) if (this.validity.isValid(i) && this.data[i] !== this.data[i]) this.nans--;
  }

  byteSize(): number {
    return this.length * this.data.BYTES_PER_ELEMENT + this.validity.byteSize(this.length);
  }
}

/** decimal(p, s): the unscaled bigint as 128-bit two's complement, little-endian 64-bit words. */
class DecimalColumn extends Leaf {
  private words = new BigInt64Array(INITIAL_SLOTS * 2);

  append(v: Value | undefined): void {
    if (v === null || v === undefined) return this.appendNull();
    const i = this.length;
    if (2 * i === this.words.length) this.words = growBigInt64(this.words, 2 * i + 2);
    const x = v as bigint;
    this.words[2 * i] = BigInt.asIntN(64, x);
    this.words[2 * i + 1] = BigInt.asIntN(64, x >> 64n);
    this.validity.valid(i);
    this.length = i + 1;
  }

  protected emptySlot(i: number): void {
    if (2 * i >= this.words.length) this.words = growBigInt64(this.words, 2 * i + 2);
  }

  source(): LeafSource {
    return { kind: 'decimal', words: new Int32Array(this.words.buffer, this.words.byteOffset, this.words.length * 2) };
  }

  byteSize(): number {
    return this.length * 16 + this.validity.byteSize(this.length);
  }
}

/** string: UTF-8 bytes and 32-bit offsets. */
export class Utf8Column extends Leaf {
  private offsets = new Int32Array(INITIAL_SLOTS + 1);
  private bytes = Buffer.alloc(INITIAL_SLOTS * 16);
  private view = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
  private pos = 0;

  append(v: Value | undefined): void {
    if (v === null || v === undefined) return this.appendNull();
    const s = v as string;
    // A UTF-16 code unit never takes more than 3 UTF-8 bytes.
    if (this.pos + s.length * 3 > this.bytes.length) this.grow(this.pos + s.length * 3);
    let end = writeShortAscii(this.bytes, this.pos, s);
    if (end < 0) end = this.pos + this.bytes.write(s, this.pos);
    this.pushValue(end);
  }

  /**
   * Appends the string whose UTF-8 bytes are buf[start, end) (the decoders' fast path: no
   * JavaScript string per value) and returns true; returns false, appending nothing, if they are
   * not valid UTF-8. A value of up to WIDE bytes (most of the bench's strings) is copied as four
   * whole words, bytes past its end included (they lie past `pos`, where the next value goes), and
   * checked through masks of its own bytes' high bits: no loop, so no branch to mispredict on the
   * length (bench/string-copy.ts: 29 → 10 ns a string of random length; bench/decode-ab.ts, the
   * bench's Avro records: -8 % per record). The rest is in appendUtf8Long, so that V8 still inlines
   * this into its callers.
   */
  appendUtf8(buf: Uint8Array, start: number, end: number): boolean {
    const n = end - start;
    const pos = this.pos;
    if (n > WIDE || start + WIDE > buf.length || pos + WIDE > this.bytes.length) return this.appendUtf8Long(buf, start, end);
    const src = viewOf(buf);
    const dst = this.view;
    const w0 = src.getInt32(start, true);
    const w1 = src.getInt32(start + 4, true);
    const w2 = src.getInt32(start + 8, true);
    const w3 = src.getInt32(start + 12, true);
    dst.setInt32(pos, w0, true);
    dst.setInt32(pos + 4, w1, true);
    dst.setInt32(pos + 8, w2, true);
    dst.setInt32(pos + 12, w3, true);
    const m = 4 * n;
    if (((w0 & HIGH_BITS[m]) | (w1 & HIGH_BITS[m + 1]) | (w2 & HIGH_BITS[m + 2]) | (w3 & HIGH_BITS[m + 3])) !== 0 && !isUtf8(this.bytes.subarray(pos, pos + n))) return false;
    this.pushValue(pos + n);
    return true;
  }

  /** appendUtf8 for a value longer than WIDE, or near the end of its buffer or of the column's. */
  private appendUtf8Long(buf: Uint8Array, start: number, end: number): boolean {
    const n = end - start;
    const pos = this.pos;
    if (pos + n + WIDE > this.bytes.length) this.grow(pos + n + WIDE);
    if (n <= 32) {
      // Four bytes at a time, then byte by byte (the bench's JSON messages are 30-52 bytes).
      const src = viewOf(buf);
      const dst = this.view;
      let high = 0;
      let k = 0;
      for (; k + 4 <= n; k += 4) {
        const w = src.getInt32(start + k, true);
        dst.setInt32(pos + k, w, true);
        high |= w;
      }
      const bytes = this.bytes;
      for (; k < n; k++) {
        const x = buf[start + k];
        bytes[pos + k] = x;
        high |= x;
      }
      if ((high & 0x80808080) !== 0 && !isUtf8(bytes.subarray(pos, pos + n))) return false;
    } else {
      const value = buf.subarray(start, end);
      if (!isUtf8(value)) return false;
      this.bytes.set(value, pos);
    }
    this.pushValue(pos + n);
    return true;
  }

  /** Ends the value being appended at `end` of the bytes. */
  private pushValue(end: number): void {
    const i = this.length;
    if (i + 1 === this.offsets.length) this.offsets = growInt32(this.offsets, i + 2);
    this.pos = end;
    this.offsets[i + 1] = end;
    this.validity.valid(i);
    this.length = i + 1;
  }

  /**
   * Appends `count` values in bulk: value i is bytes[ends[i - 1], ends[i]) (from 0 for the first),
   * checked as UTF-8 already; `valid` and `nulls` as Validity.appendStaged.
   */
  appendStaged(bytes: Uint8Array, ends: Int32Array, count: number, valid: Uint8Array, nulls: number): void {
    const used = count > 0 ? ends[count - 1] : 0;
    const pos = this.pos;
    const at = this.length;
    if (pos + used + WIDE > this.bytes.length) this.grow(pos + used + WIDE);
    if (at + count + 1 > this.offsets.length) this.offsets = growInt32(this.offsets, at + count + 1);
    this.bytes.set(bytes.subarray(0, used), pos);
    const offsets = this.offsets;
    for (let i = 0; i < count; i++) offsets[at + 1 + i] = pos + ends[i];
    this.pos = pos + used;
    this.endStaged(count, valid, nulls);
  }

  /** True when the values from slot `from` on are distinct (one map's keys: a handful, compared pairwise). */
  distinctFrom(from: number): boolean {
    const { offsets, bytes } = this;
    const to = this.length;
    if (to - from > 16) {
      const seen = new Set<string>();
      for (let i = from; i < to; i++) seen.add(bytes.toString('latin1', offsets[i], offsets[i + 1]));
      return seen.size === to - from;
    }
    for (let i = from + 1; i < to; i++) {
      const a = offsets[i];
      const n = offsets[i + 1] - a;
      for (let j = from; j < i; j++) {
        const b = offsets[j];
        if (offsets[j + 1] - b !== n) continue;
        let q = 0;
        while (q < n && bytes[a + q] === bytes[b + q]) q++;
        if (q === n) return false;
      }
    }
    return true;
  }

  private grow(min: number): void {
    this.bytes = growBuffer(this.bytes, min);
    this.view = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
  }

  protected emptySlot(i: number): void {
    if (i + 1 >= this.offsets.length) this.offsets = growInt32(this.offsets, i + 2);
    this.offsets[i + 1] = this.pos;
  }

  source(): LeafSource {
    return { kind: 'bytes', offsets: this.offsets, bytes: this.bytes };
  }

  protected override truncateValues(length: number): void {
    this.pos = this.offsets[length]; // offsets[0] is always 0
  }

  byteSize(): number {
    return (this.length + 1) * 4 + this.pos + this.validity.byteSize(this.length);
  }
}

/** binary: raw bytes and 32-bit offsets. */
class BinaryColumn extends Leaf {
  private offsets = new Int32Array(INITIAL_SLOTS + 1);
  private bytes = Buffer.alloc(INITIAL_SLOTS * 16);
  private pos = 0;

  append(v: Value | undefined): void {
    if (v === null || v === undefined) return this.appendNull();
    const i = this.length;
    if (i + 1 === this.offsets.length) this.offsets = growInt32(this.offsets, i + 2);
    const b = v as Uint8Array;
    if (this.pos + b.length > this.bytes.length) this.bytes = growBuffer(this.bytes, this.pos + b.length);
    this.bytes.set(b, this.pos);
    this.pos += b.length;
    this.offsets[i + 1] = this.pos;
    this.validity.valid(i);
    this.length = i + 1;
  }

  protected emptySlot(i: number): void {
    if (i + 1 >= this.offsets.length) this.offsets = growInt32(this.offsets, i + 2);
    this.offsets[i + 1] = this.pos;
  }

  source(): LeafSource {
    return { kind: 'bytes', offsets: this.offsets, bytes: this.bytes };
  }

  protected override truncateValues(length: number): void {
    this.pos = this.offsets[length]; // offsets[0] is always 0
  }

  byteSize(): number {
    return (this.length + 1) * 4 + this.pos + this.validity.byteSize(this.length);
  }
}

/** fixed[L] (Uint8Array values) and uuid (canonical strings, stored as 16 big-endian bytes). */
class FixedColumn extends Leaf {
  private readonly width: number;
  private readonly uuid: boolean;
  private bytes: Buffer;

  constructor(fieldId: number, type: PrimitiveType, nullable: boolean, bounded: boolean, width: number) {
    super(fieldId, type, nullable, bounded);
    this.width = width;
    this.uuid = type === 'uuid';
    this.bytes = Buffer.alloc(INITIAL_SLOTS * width);
  }

  append(v: Value | undefined): void {
    if (v === null || v === undefined) return this.appendNull();
    const i = this.length;
    const w = this.width;
    const at = i * w;
    if (at + w > this.bytes.length) this.bytes = growBuffer(this.bytes, at + w);
    if (this.uuid) writeUuidBytes(v as string, this.bytes, at);
    else {
      const b = v as Uint8Array;
      if (b.length !== w) throw new FloeError('FLOE_SCHEMA_INVALID', `field ${this.fieldId} is ${this.type} but the row holds ${b.length} bytes`);
      this.bytes.set(b, at);
    }
    this.validity.valid(i);
    this.length = i + 1;
  }

  protected emptySlot(i: number): void {
    const end = (i + 1) * this.width;
    if (end > this.bytes.length) this.bytes = growBuffer(this.bytes, end);
  }

  source(): LeafSource {
    return { kind: 'fixed', bytes: this.bytes, width: this.width };
  }

  byteSize(): number {
    return this.length * this.width + this.validity.byteSize(this.length);
  }
}

export class StructColumn implements Column {
  private readonly nullable: boolean;
  private readonly names: string[];
  readonly children: Column[];
  length = 0;
  private readonly validity = new Validity();

  constructor(nullable: boolean, names: string[], children: Column[]) {
    this.nullable = nullable;
    this.names = names;
    this.children = children;
  }

  append(v: Value | undefined): void {
    const i = this.length;
    const children = this.children;
    if (v === null || v === undefined) {
      if (!this.nullable) throw new FloeError('FLOE_SCHEMA_INVALID', `a required struct (${this.names.join(', ')}) is null in the row`);
      this.validity.setNull(i);
      for (let c = 0; c < children.length; c++) children[c].appendAbsent();
    } else {
      const row = v as Row;
      const names = this.names;
      this.validity.valid(i);
      for (let c = 0; c < children.length; c++) children[c].append(row[names[c]]);
    }
    this.length = i + 1;
  }

  /** A present struct whose children the caller appends (one slot each) itself. */
  appendPresent(): void {
    this.validity.valid(this.length);
    this.length++;
  }

  /** `count` slots appended in bulk, whose children the caller appends itself; `valid` and `nulls` as Validity.appendStaged. */
  appendStaged(count: number, valid: Uint8Array, nulls: number): void {
    if (nulls > 0 && !this.nullable) throw new FloeError('FLOE_SCHEMA_INVALID', `a required struct (${this.names.join(', ')}) is null in the row`);
    this.validity.appendStaged(this.length, count, valid, nulls);
    this.length += count;
  }

  appendAbsent(): void {
    const i = this.length;
    if (this.nullable) this.validity.setNull(i);
    else this.validity.valid(i);
    for (const c of this.children) c.appendAbsent();
    this.length = i + 1;
  }

  shape(): ColumnShape {
    return { nullable: this.nullable, validity: this.validity.bits, offsets: null };
  }

  byteSize(): number {
    let n = this.validity.byteSize(this.length);
    for (const c of this.children) n += c.byteSize();
    return n;
  }

  clear(): void {
    for (const c of this.children) c.clear();
    this.validity.clear();
    this.length = 0;
  }

  truncate(length: number): void {
    // Children first, and even at this length: a failed row may have appended to them only.
    for (const c of this.children) c.truncate(length);
    if (length >= this.length) return;
    this.validity.clearRange(length, this.length);
    this.length = length;
  }
}

/**
 * The offsets of `count` list or map slots appended in bulk from slot `at`: slot at + i ends at
 * entry ends[i] of the entries appended with them. Returns `offsets`, grown if it had to be.
 */
function appendEnds(offsets: Int32Array<ArrayBuffer>, at: number, ends: Int32Array, count: number): Int32Array<ArrayBuffer> {
  if (at + count + 1 > offsets.length) offsets = growInt32(offsets, at + count + 1);
  const base = offsets[at];
  for (let i = 0; i < count; i++) offsets[at + 1 + i] = base + ends[i];
  return offsets;
}

export class ListColumn implements Column {
  private readonly nullable: boolean;
  readonly element: Column;
  length = 0;
  private offsets = new Int32Array(INITIAL_SLOTS + 1);
  private readonly validity = new Validity();

  constructor(nullable: boolean, element: Column) {
    this.nullable = nullable;
    this.element = element;
  }

  append(v: Value | undefined): void {
    const i = this.length;
    if (i + 1 === this.offsets.length) this.offsets = growInt32(this.offsets, i + 2);
    const el = this.element;
    if (v === null || v === undefined) {
      if (!this.nullable) throw new FloeError('FLOE_SCHEMA_INVALID', 'a required list is null in the row');
      this.validity.setNull(i);
    } else {
      const items = v as Value[];
      this.validity.valid(i);
      for (let k = 0; k < items.length; k++) el.append(items[k]);
    }
    this.offsets[i + 1] = el.length;
    this.length = i + 1;
  }

  appendAbsent(): void {
    const i = this.length;
    if (i + 1 === this.offsets.length) this.offsets = growInt32(this.offsets, i + 2);
    if (this.nullable) this.validity.setNull(i);
    else this.validity.valid(i);
    this.offsets[i + 1] = this.element.length;
    this.length = i + 1;
  }

  /**
   * `count` slots appended in bulk, whose entries the caller appends itself: slot i ends at entry
   * `ends[i]` of those appended with them; `valid` and `nulls` as Validity.appendStaged.
   */
  appendStaged(ends: Int32Array, count: number, valid: Uint8Array, nulls: number): void {
    if (nulls > 0 && !this.nullable) throw new FloeError('FLOE_SCHEMA_INVALID', 'a required list is null in the row');
    this.offsets = appendEnds(this.offsets, this.length, ends, count);
    this.validity.appendStaged(this.length, count, valid, nulls);
    this.length += count;
  }

  /** A present list whose elements the caller has just appended to `element`. */
  appendEntries(): void {
    const i = this.length;
    if (i + 1 === this.offsets.length) this.offsets = growInt32(this.offsets, i + 2);
    this.validity.valid(i);
    this.offsets[i + 1] = this.element.length;
    this.length = i + 1;
  }

  shape(): ColumnShape {
    return { nullable: this.nullable, validity: this.validity.bits, offsets: this.offsets };
  }

  byteSize(): number {
    return (this.length + 1) * 4 + this.validity.byteSize(this.length) + this.element.byteSize();
  }

  clear(): void {
    this.element.clear();
    this.validity.clear();
    this.length = 0; // offsets[0] stays 0
  }

  truncate(length: number): void {
    // Children first, and even at this length: a failed row may have appended to them only.
    this.element.truncate(this.offsets[length]);
    if (length >= this.length) return;
    this.validity.clearRange(length, this.length);
    this.length = length;
  }
}

export class MapColumn implements Column {
  private readonly nullable: boolean;
  readonly key: Column;
  readonly value: Column;
  length = 0;
  private offsets = new Int32Array(INITIAL_SLOTS + 1);
  private readonly validity = new Validity();

  private readonly appendEntry: (value: Value, key: Value) => void;

  constructor(nullable: boolean, key: Column, value: Column) {
    this.nullable = nullable;
    this.key = key;
    this.value = value;
    this.appendEntry = (v, k) => {
      key.append(k);
      value.append(v);
    };
  }

  append(v: Value | undefined): void {
    const i = this.length;
    if (i + 1 === this.offsets.length) this.offsets = growInt32(this.offsets, i + 2);
    if (v === null || v === undefined) {
      if (!this.nullable) throw new FloeError('FLOE_SCHEMA_INVALID', 'a required map is null in the row');
      this.validity.setNull(i);
    } else {
      this.validity.valid(i);
      (v as Map<Value, Value>).forEach(this.appendEntry); // no [key, value] array per entry, unlike for..of
    }
    this.offsets[i + 1] = this.key.length;
    this.length = i + 1;
  }

  appendAbsent(): void {
    const i = this.length;
    if (i + 1 === this.offsets.length) this.offsets = growInt32(this.offsets, i + 2);
    if (this.nullable) this.validity.setNull(i);
    else this.validity.valid(i);
    this.offsets[i + 1] = this.key.length;
    this.length = i + 1;
  }

  /**
   * `count` slots appended in bulk, whose entries the caller appends itself: slot i ends at entry
   * `ends[i]` of those appended with them; `valid` and `nulls` as Validity.appendStaged.
   */
  appendStaged(ends: Int32Array, count: number, valid: Uint8Array, nulls: number): void {
    if (nulls > 0 && !this.nullable) throw new FloeError('FLOE_SCHEMA_INVALID', 'a required map is null in the row');
    this.offsets = appendEnds(this.offsets, this.length, ends, count);
    this.validity.appendStaged(this.length, count, valid, nulls);
    this.length += count;
  }

  /** A present map whose entries the caller has just appended to `key` and `value`. */
  appendEntries(): void {
    const i = this.length;
    if (i + 1 === this.offsets.length) this.offsets = growInt32(this.offsets, i + 2);
    this.validity.valid(i);
    this.offsets[i + 1] = this.key.length;
    this.length = i + 1;
  }

  shape(): ColumnShape {
    return { nullable: this.nullable, validity: this.validity.bits, offsets: this.offsets };
  }

  byteSize(): number {
    return (this.length + 1) * 4 + this.validity.byteSize(this.length) + this.key.byteSize() + this.value.byteSize();
  }

  clear(): void {
    this.key.clear();
    this.value.clear();
    this.validity.clear();
    this.length = 0; // offsets[0] stays 0
  }

  truncate(length: number): void {
    // Children first, and even at this length: a failed row may have appended to them only.
    this.key.truncate(this.offsets[length]);
    this.value.truncate(this.offsets[length]);
    if (length >= this.length) return;
    this.validity.clearRange(length, this.length);
    this.length = length;
  }
}

/**
 * Builds the accumulator for a field of Iceberg type `type`, collecting every leaf into `leaves` in
 * depth-first order (the order of the Parquet schema's leaves). `bounded` is false below a list or
 * map.
 */
export function makeColumn(fieldId: number, type: IcebergType, nullable: boolean, bounded: boolean, leaves: Leaf[]): Column {
  if (typeof type === 'string') {
    const leaf = makeLeaf(fieldId, type, nullable, bounded);
    leaves.push(leaf);
    return leaf;
  }
  switch (type.type) {
    case 'struct': {
      const children = type.fields.map((f) => makeColumn(f.id, f.type, !f.required, bounded, leaves));
      return new StructColumn(nullable, type.fields.map((f) => f.name), children);
    }
    case 'list':
      return new ListColumn(nullable, makeColumn(type['element-id'], type.element, !type['element-required'], false, leaves));
    case 'map': {
      const key = makeColumn(type['key-id'], type.key, false, false, leaves);
      const value = makeColumn(type['value-id'], type.value, !type['value-required'], false, leaves);
      return new MapColumn(nullable, key, value);
    }
  }
}

function makeLeaf(fieldId: number, type: PrimitiveType, nullable: boolean, bounded: boolean): Leaf {
  switch (type) {
    case 'boolean':
      return new BoolColumn(fieldId, type, nullable, bounded);
    case 'int':
    case 'date':
      return new Int32Column(fieldId, type, nullable, bounded);
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
      return new Int64Column(fieldId, type, nullable, bounded);
    case 'float':
    case 'double':
      return new FloatColumn(fieldId, type, nullable, bounded);
    case 'string':
      return new Utf8Column(fieldId, type, nullable, bounded);
    case 'binary':
      return new BinaryColumn(fieldId, type, nullable, bounded);
    case 'uuid':
      return new FixedColumn(fieldId, type, nullable, bounded, 16);
  }
  if (parseDecimalType(type) !== null) return new DecimalColumn(fieldId, type, nullable, bounded);
  const width = parseFixedType(type);
  if (width !== null) return new FixedColumn(fieldId, type, nullable, bounded, width);
  throw new TypeError(`not an Iceberg primitive type: ${JSON.stringify(type)}`);
}
