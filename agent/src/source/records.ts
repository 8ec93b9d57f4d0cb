// Kafka record batches (message format v2, KIP-98) read straight from fetch-response bytes.
//
// The fetch path never builds an object per record on the thread that talks to Kafka: the main
// thread only walks batch headers (`scanBatches`, 61 bytes each) to learn the offsets a chunk covers,
// and the ingest workers walk the records themselves (`forEachRecordIn`, which hands out where key
// and value are in the (decompressed) batch, or `forEachRecord`, which hands out views). Offsets
// and timestamps are plain numbers: both fit in 2^53 (an offset beyond that is refused with an
// error, a timestamp is milliseconds since 1970).
//
// Batch layout (bytes from the batch start):
//   0 baseOffset int64 | 8 batchLength int32 (bytes after this field) | 12 partitionLeaderEpoch int32
//   16 magic int8 (= 2) | 17 crc uint32 | 21 attributes int16 | 23 lastOffsetDelta int32
//   27 baseTimestamp int64 | 35 maxTimestamp int64 | 43 producerId int64 | 51 producerEpoch int16
//   53 baseSequence int32 | 57 recordCount int32 | 61 records (compressed as a whole if attributes say so)
// Record: length varint | attributes int8 | timestampDelta varlong | offsetDelta varint
//   | keyLength varint | key | valueLength varint | value | headerCount varint | headers

import { CODEC_NAMES, decompress } from './codecs.ts';
import { FloeError } from '../errors.ts';
import { resident } from '../resident.ts';

const BATCH_HEADER = 61;
const LOG_OVERHEAD = 12; // baseOffset + batchLength
const COMPRESSION_MASK = 0x07;
const TIMESTAMP_LOG_APPEND = 0x08;
const TRANSACTIONAL = 0x10;
const CONTROL = 0x20;

/** An aborted transaction as listed in a READ_COMMITTED fetch response. */
export interface AbortedTransaction {
  producerId: bigint;
  firstOffset: bigint;
}

/** What the header walk learns of a chunk of batches. */
export interface BatchScan {
  /** Base offset of the first complete batch, or -1 when there is none. */
  firstOffset: number;
  /** Offset after the last complete batch: where the next fetch of the partition starts. */
  nextOffset: number;
  /** Smallest base timestamp of the data batches (ms), or -1 when there is none. */
  minTimestamp: number;
  /** Bytes of complete batches; a trailing partial batch (the broker cuts at max bytes) is left out. */
  bytes: number;
  batches: number;
}

function corrupt(where: string, what: string): FloeError {
  return new FloeError('FLOE_DECODE_FAILED', `corrupt Kafka record batch ${where}: ${what}`, { retryable: false });
}

function view(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

function safeOffset(dv: DataView, at: number, where: string): number {
  const v = dv.getBigInt64(at);
  if (v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) throw corrupt(where, `base offset ${v} is out of range`);
  return Number(v);
}

/**
 * Walks the batch headers of `buf` (the records field of one partition of a fetch response).
 * Only complete batches count; the broker may cut the last one short.
 */
export function scanBatches(buf: Uint8Array, where = ''): BatchScan {
  const dv = view(buf);
  const out: BatchScan = { firstOffset: -1, nextOffset: -1, minTimestamp: -1, bytes: 0, batches: 0 };
  let pos = 0;
  while (buf.byteLength - pos >= LOG_OVERHEAD) {
    const length = dv.getInt32(pos + 8);
    if (length < BATCH_HEADER - LOG_OVERHEAD) throw corrupt(where, `batch length ${length} at byte ${pos}`);
    if (pos + LOG_OVERHEAD + length > buf.byteLength) break;
    const magic = dv.getInt8(pos + 16);
    if (magic !== 2) {
      throw new FloeError('FLOE_DECODE_FAILED', `Kafka message format v${magic} ${where} is not supported (v2, Kafka 0.11+, is); the broker converts old formats when it runs with log.message.format.version >= 0.11`);
    }
    const base = safeOffset(dv, pos, where);
    const attributes = dv.getInt16(pos + 21);
    const last = base + dv.getInt32(pos + 23);
    if (out.firstOffset < 0) out.firstOffset = base;
    out.nextOffset = last + 1;
    if ((attributes & CONTROL) === 0) {
      const ts = Number(dv.getBigInt64(pos + 27));
      if (out.minTimestamp < 0 || ts < out.minTimestamp) out.minTimestamp = ts;
    }
    pos += LOG_OVERHEAD + length;
    out.batches++;
  }
  out.bytes = pos;
  return out;
}

/** Reads varints over one buffer; every read is bounds-checked. */
class Cursor {
  buf: Uint8Array;
  pos: number;
  end: number;
  constructor(buf: Uint8Array, pos: number, end: number) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  varint(): number {
    // Zig-zag, up to 5 bytes (int32).
    let raw = 0;
    const buf = this.buf;
    for (let shift = 0; shift < 35; shift += 7) {
      if (this.pos >= this.end) throw new RangeError('varint runs past the end');
      const b = buf[this.pos++];
      raw |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return (raw >>> 1) ^ -(raw & 1);
    }
    throw new RangeError('varint longer than 5 bytes');
  }

  varlong(): number {
    // Zig-zag, up to 10 bytes; as a double (exact to 2^53, far beyond any timestamp delta).
    let result = 0;
    let mul = 1;
    const buf = this.buf;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new RangeError('varlong runs past the end');
      const b = buf[this.pos++];
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result % 2 === 1 ? -(result + 1) / 2 : result / 2;
      mul *= 128;
    }
    throw new RangeError('varlong longer than 10 bytes');
  }

  bytes(n: number): Uint8Array | null {
    if (n < 0) return null;
    const start = this.pos;
    if (start + n > this.end) throw new RangeError(`field of ${n} bytes runs past the end`);
    this.pos = start + n;
    return this.buf.subarray(start, start + n);
  }

  skip(n: number): void {
    if (n < 0) return;
    if (this.pos + n > this.end) throw new RangeError(`field of ${n} bytes runs past the end`);
    this.pos += n;
  }
}
resident(new Cursor(new Uint8Array(0), 0, 0));

/** Called per data record; key and value are views valid only during the call unless copied. */
export type RecordVisitor = (offset: number, timestamp: number, key: Uint8Array | null, value: Uint8Array | null) => void;

/**
 * Called per data record with where its key and value are in `records` (the batch's bytes, after
 * decompression): [keyStart, keyStart + keyLength), and a length of -1 for null; the record's
 * timestamp is in RECORD_TIMESTAMP[0]. Valid only during the call. No object per record: the
 * ingest workers' hot path.
 */
export type RecordRangeVisitor = (offset: number, records: Uint8Array, keyStart: number, keyLength: number, valueStart: number, valueLength: number) => void;

/**
 * The timestamp (ms) of the record a RecordRangeVisitor is called for. A millisecond timestamp is no
 * small integer, so V8 boxes it wherever it leaves a float register: as the argument of a call it
 * does not inline, or as the value of `logAppendTime ? max : base + delta`, which was a heap number
 * per record (~140 MB of garbage per GiB of the bench's Avro, most of what a worker allocated; a
 * heap profile of one worker). Stored into this array, it is never boxed.
 */
export const RECORD_TIMESTAMP = new Float64Array(1);

/**
 * Takes a batch's records in bulk, ahead of the visitor (the ingest workers' stage, which stages
 * them in WebAssembly): offered the records of `records` (a batch's records field, decompressed)
 * from byte `pos` on, `count` of them, it takes as many as it can, in order, none below `from`, and
 * returns how many; `end` is then where the next record starts. That record is visited, and the
 * records after it are offered again. `timestamp` is the batch's base timestamp, or with
 * `logAppendTime` every record's.
 */
export interface RecordTaker {
  end: number;
  take(records: Uint8Array, pos: number, count: number, base: number, from: number, timestamp: number, logAppendTime: boolean): number;
}

/** forEachRecordIn, with key and value handed out as views. */
export function forEachRecord(buf: Uint8Array, from: number, aborted: readonly AbortedTransaction[] | null, visit: RecordVisitor, where = ''): number {
  return forEachRecordIn(
    buf,
    from,
    aborted,
    (offset, records, ks, kl, vs, vl) => visit(offset, RECORD_TIMESTAMP[0], kl < 0 ? null : records.subarray(ks, ks + kl), vl < 0 ? null : records.subarray(vs, vs + vl)),
    where,
  );
}

/**
 * Visits every data record of the complete batches in `buf` whose offset is at least `from`, in
 * offset order, or has `take` take it. Control batches (transaction markers) are skipped, and so are
 * the batches of aborted transactions when `aborted` lists them (READ_COMMITTED). Returns the
 * records visited or taken.
 */
export function forEachRecordIn(buf: Uint8Array, from: number, aborted: readonly AbortedTransaction[] | null, visit: RecordRangeVisitor, where = '', take: RecordTaker | null = null): number {
  const dv = view(buf);
  let pos = 0;
  let visited = 0;
  // Aborted transactions in offset order; a producer is in `abortedNow` from the first offset of
  // its aborted transaction until its ABORT marker.
  const pending = aborted && aborted.length > 0 ? [...aborted].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0)) : null;
  let nextAborted = 0;
  const abortedNow = new Set<bigint>();

  while (buf.byteLength - pos >= LOG_OVERHEAD) {
    const length = dv.getInt32(pos + 8);
    if (length < BATCH_HEADER - LOG_OVERHEAD) throw corrupt(where, `batch length ${length} at byte ${pos}`);
    const batchEnd = pos + LOG_OVERHEAD + length;
    if (batchEnd > buf.byteLength) break;
    const base = safeOffset(dv, pos, where);
    const magic = dv.getInt8(pos + 16);
    if (magic !== 2) throw corrupt(where, `message format v${magic} at offset ${base}`);
    const attributes = dv.getInt16(pos + 21);
    const last = base + dv.getInt32(pos + 23);
    const batchStart = pos;
    pos = batchEnd;

    if (pending) {
      while (nextAborted < pending.length && pending[nextAborted].firstOffset <= BigInt(last)) abortedNow.add(pending[nextAborted++].producerId);
    }
    const producerId = dv.getBigInt64(batchStart + 43);
    if (attributes & CONTROL) {
      // The marker's key is version int16, type int16 (0 = ABORT, 1 = COMMIT). Read even below
      // `from`: it ends the aborted transaction for the batches after it.
      if (pending && (attributes & TRANSACTIONAL) && abortedNow.has(producerId)) {
        if (isAbortMarker(buf, batchStart + BATCH_HEADER, batchEnd, attributes)) abortedNow.delete(producerId);
      }
      continue;
    }
    if (last < from) continue;
    if (pending && (attributes & TRANSACTIONAL) && abortedNow.has(producerId)) continue;

    const baseTimestamp = Number(dv.getBigInt64(batchStart + 27));
    const logAppendTime = (attributes & TIMESTAMP_LOG_APPEND) !== 0;
    const maxTimestamp = logAppendTime ? Number(dv.getBigInt64(batchStart + 35)) : 0;
    const count = dv.getInt32(batchStart + 57);
    let records = buf.subarray(batchStart + BATCH_HEADER, batchEnd);
    const codec = attributes & COMPRESSION_MASK;
    if (codec !== 0) {
      if (codec > 4) throw corrupt(where, `unknown compression codec ${codec} at offset ${base}`);
      try {
        records = decompress(codec, records);
      } catch (err) {
        throw corrupt(where, `cannot decompress the ${CODEC_NAMES[codec]} batch at offset ${base}: ${(err as Error).message}`);
      }
    }
    try {
      visited += visitRecords(records, count, base, from, baseTimestamp, logAppendTime, maxTimestamp, visit, take);
    } catch (err) {
      if (err instanceof RangeError) throw corrupt(where, `${err.message} in the batch at offset ${base}`);
      throw err;
    }
  }
  return visited;
}

/**
 * Visits the `count` records of one batch (its records field, decompressed) whose offset is at least
 * `from`; returns how many. With `logAppendTime`, every record has the batch's `maxTimestamp`.
 * A function of its own, not a loop inside forEachRecordIn's loop over batches: V8 leaves
 * on-stack-replaced code of an inner loop by deoptimising, and did so at every batch.
 */
function visitRecords(records: Uint8Array, count: number, base: number, from: number, baseTimestamp: number, logAppendTime: boolean, maxTimestamp: number, visit: RecordRangeVisitor, take: RecordTaker | null): number {
  const c = new Cursor(records, 0, records.byteLength);
  let visited = 0;
  for (let i = 0; i < count; i++) {
    if (take !== null) {
      const n = take.take(records, c.pos, count - i, base, from, logAppendTime ? maxTimestamp : baseTimestamp, logAppendTime);
      if (n > 0) {
        visited += n;
        i += n;
        c.pos = take.end;
        if (i === count) break;
      }
    }
    const len = c.varint();
    const recEnd = c.pos + len;
    if (len < 0 || recEnd > c.end) throw new RangeError(`record length ${len}`);
    c.pos++; // attributes (unused)
    const tsDelta = c.varlong();
    const offset = base + c.varint();
    const keyLength = c.varint();
    const keyStart = c.pos;
    c.skip(keyLength);
    const valueLength = c.varint();
    const valueStart = c.pos;
    c.skip(valueLength);
    c.pos = recEnd; // headers are not read
    if (offset < from) continue;
    // Two stores, not one of a conditional expression: V8 boxed the value the branches merged into.
    if (logAppendTime) RECORD_TIMESTAMP[0] = maxTimestamp;
    else RECORD_TIMESTAMP[0] = baseTimestamp + tsDelta;
    visit(offset, records, keyStart, keyLength < 0 ? -1 : keyLength, valueStart, valueLength < 0 ? -1 : valueLength);
    visited++;
  }
  return visited;
}

function isAbortMarker(buf: Uint8Array, start: number, end: number, attributes: number): boolean {
  if ((attributes & COMPRESSION_MASK) !== 0) return false; // markers are never compressed
  try {
    const c = new Cursor(buf, start, end);
    c.varint(); // length
    c.pos++; // attributes
    c.varlong(); // timestamp delta
    c.varint(); // offset delta
    const key = c.bytes(c.varint());
    return key !== null && key.byteLength >= 4 && ((key[2] << 8) | key[3]) === 0;
  } catch {
    return false;
  }
}
