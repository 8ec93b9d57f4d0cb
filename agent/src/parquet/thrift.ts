// Thrift compact protocol, write side: just what Parquet's FileMetaData and PageHeader need
// (structs, i16/i32/i64, bool, binary, and lists of structs, strings and i32).
//
// Usage: fields are written in ascending id order inside begin()/end() pairs; a struct's field ids
// are relative to the previous field of the same struct, so each open struct keeps its own last id.

import { resident } from '../resident.ts';

const T_TRUE = 1;
const T_FALSE = 2;
const T_I16 = 4;
const T_I32 = 5;
const T_I64 = 6;
const T_BINARY = 8;
const T_LIST = 9;
const T_STRUCT = 12;

const encoder = new TextEncoder();

export class CompactWriter {
  private buf = new Uint8Array(1024);
  private pos = 0;
  private last = 0;
  private readonly stack: number[] = [];

  /** The bytes written so far (a view; valid until the next write). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  /** Starts over, keeping the buffer. */
  reset(): void {
    this.pos = 0;
    this.last = 0;
    this.stack.length = 0;
  }

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.pos + n, this.buf.length * 2));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  private byte(b: number): void {
    this.reserve(1);
    this.buf[this.pos++] = b;
  }

  /** Unsigned varint of a non-negative safe integer. */
  private varint(v: number): void {
    this.reserve(10);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
  }

  /** Zigzag varint of a safe integer. */
  private zigzag(v: number): void {
    this.varint(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  private header(id: number, type: number): void {
    const delta = id - this.last;
    if (delta > 0 && delta <= 15) this.byte((delta << 4) | type);
    else {
      this.byte(type);
      this.zigzag(id);
    }
    this.last = id;
  }

  i16(id: number, v: number): void {
    this.header(id, T_I16);
    this.zigzag(v);
  }

  i32(id: number, v: number): void {
    this.header(id, T_I32);
    this.zigzag(v);
  }

  /** An i64 field; Parquet's i64 values (sizes, offsets, counts) are safe integers here. */
  i64(id: number, v: number): void {
    this.header(id, T_I64);
    this.zigzag(v);
  }

  bool(id: number, v: boolean): void {
    this.header(id, v ? T_TRUE : T_FALSE);
  }

  binary(id: number, v: Uint8Array): void {
    this.header(id, T_BINARY);
    this.varint(v.length);
    this.reserve(v.length);
    this.buf.set(v, this.pos);
    this.pos += v.length;
  }

  string(id: number, v: string): void {
    this.binary(id, encoder.encode(v));
  }

  /** Bytes already in this protocol's encoding (e.g. list elements written by another writer). */
  raw(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** Opens a struct-valued field (id > 0) or, with id 0, a top-level struct or a list element. */
  begin(id = 0): void {
    if (id > 0) this.header(id, T_STRUCT);
    this.stack.push(this.last);
    this.last = 0;
  }

  end(): void {
    this.byte(0);
    this.last = this.stack.pop() ?? 0;
  }

  /** A list field of `size` structs; the caller writes each with begin()/end(). */
  structList(id: number, size: number): void {
    this.listHeader(id, size, T_STRUCT);
  }

  i32List(id: number, values: readonly number[]): void {
    this.listHeader(id, values.length, T_I32);
    for (const v of values) this.zigzag(v);
  }

  stringList(id: number, values: readonly string[]): void {
    this.listHeader(id, values.length, T_BINARY);
    for (const v of values) {
      const b = encoder.encode(v);
      this.varint(b.length);
      this.reserve(b.length);
      this.buf.set(b, this.pos);
      this.pos += b.length;
    }
  }

  private listHeader(id: number, size: number, elementType: number): void {
    this.header(id, T_LIST);
    if (size < 15) this.byte((size << 4) | elementType);
    else {
      this.byte(0xf0 | elementType);
      this.varint(size);
    }
  }
}
resident(new CompactWriter());
