// Reads the parts of a Parquet footer (FileMetaData, Thrift compact protocol) that Iceberg's
// data_file needs and parquet-wasm does not expose synchronously: per-column-chunk compressed
// sizes, value and null counts, the Parquet schema's field ids, and row-group start offsets.
//
// Invariants: the footer is the last `len` bytes before the trailing `<len:u32 LE>PAR1`; Parquet
// leaf columns appear in the column chunks of every row group in the depth-first order of the
// schema's leaves. Unknown Thrift fields are skipped, so newer writers' additions are harmless.

import { FloeError } from '../errors.ts';

type ThriftValue = boolean | number | bigint | Uint8Array | ThriftValue[] | ThriftStruct;
type ThriftStruct = Map<number, ThriftValue>;

// Thrift compact protocol type ids.
const T_TRUE = 1;
const T_FALSE = 2;
const T_BYTE = 3;
const T_I16 = 4;
const T_I32 = 5;
const T_I64 = 6;
const T_DOUBLE = 7;
const T_BINARY = 8;
const T_LIST = 9;
const T_SET = 10;
const T_MAP = 11;
const T_STRUCT = 12;

class CompactReader {
  private readonly buf: Uint8Array;
  private pos: number;
  private readonly end: number;

  constructor(buf: Uint8Array, start: number, end: number) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  private byte(): number {
    if (this.pos >= this.end) throw new RangeError('Parquet footer ends early');
    return this.buf[this.pos++];
  }

  private varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = this.byte();
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 70n) throw new RangeError('Parquet footer has an overlong varint');
    }
  }

  private zigzag(): bigint {
    const v = this.varint();
    return (v >> 1n) ^ -(v & 1n);
  }

  private small(): number {
    return Number(this.zigzag());
  }

  readStruct(): ThriftStruct {
    const out: ThriftStruct = new Map();
    let lastId = 0;
    for (;;) {
      const header = this.byte();
      const type = header & 0x0f;
      if (type === 0) return out;
      const delta = header >> 4;
      const id = delta === 0 ? this.small() : lastId + delta;
      lastId = id;
      if (type === T_TRUE || type === T_FALSE) out.set(id, type === T_TRUE);
      else out.set(id, this.readValue(type));
    }
  }

  private readValue(type: number): ThriftValue {
    switch (type) {
      case T_TRUE:
      case T_FALSE:
        // Inside collections a boolean is a whole byte.
        return this.byte() === T_TRUE;
      case T_BYTE: {
        const b = this.byte();
        return b > 127 ? b - 256 : b;
      }
      case T_I16:
      case T_I32:
        return this.small();
      case T_I64:
        return this.zigzag();
      case T_DOUBLE: {
        if (this.pos + 8 > this.end) throw new RangeError('Parquet footer ends early');
        const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8).getFloat64(0, true);
        this.pos += 8;
        return v;
      }
      case T_BINARY: {
        const len = Number(this.varint());
        if (this.pos + len > this.end) throw new RangeError('Parquet footer ends early');
        const v = this.buf.subarray(this.pos, this.pos + len);
        this.pos += len;
        return v;
      }
      case T_LIST:
      case T_SET: {
        const header = this.byte();
        const size = header >> 4 === 15 ? Number(this.varint()) : header >> 4;
        const elemType = header & 0x0f;
        const items: ThriftValue[] = [];
        for (let i = 0; i < size; i++) items.push(this.readValue(elemType));
        return items;
      }
      case T_MAP: {
        const size = Number(this.varint());
        const items: ThriftValue[] = [];
        if (size === 0) return items;
        const kv = this.byte();
        for (let i = 0; i < size; i++) {
          items.push(this.readValue(kv >> 4));
          items.push(this.readValue(kv & 0x0f));
        }
        return items;
      }
      case T_STRUCT:
        return this.readStruct();
    }
    throw new RangeError(`Parquet footer has unknown Thrift type ${type}`);
  }
}

/** One column chunk of one row group. */
export interface FooterColumnChunk {
  /** Names from the root to the leaf, as Parquet writes them (`tags.list.element`). */
  path: string[];
  /** The leaf's Parquet field_id (the Iceberg field id), if the file carries one. */
  fieldId: number | undefined;
  numValues: bigint;
  totalCompressedSize: bigint;
  totalUncompressedSize: bigint;
  /** From the chunk statistics, when present. */
  nullCount: bigint | undefined;
  /** Offset of the chunk's first page (its dictionary page when there is one). */
  startOffset: bigint;
}

export interface FooterRowGroup {
  numRows: bigint;
  columns: FooterColumnChunk[];
}

export interface ParquetFooter {
  numRows: bigint;
  rowGroups: FooterRowGroup[];
  createdBy: string | undefined;
}

const MAGIC = 0x31524150; // "PAR1" read as u32 LE

/** Parses the footer of a complete Parquet file held in memory. */
export function readParquetFooter(file: Uint8Array): ParquetFooter {
  try {
    return parseFooter(file);
  } catch (err) {
    throw new FloeError('FLOE_TABLE_CORRUPT', `cannot read the Parquet footer: ${(err as Error).message}`, { cause: err });
  }
}

function parseFooter(file: Uint8Array): ParquetFooter {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  if (file.length < 12 || view.getUint32(0, true) !== MAGIC || view.getUint32(file.length - 4, true) !== MAGIC) {
    throw new RangeError('not a Parquet file (no PAR1 magic)');
  }
  const len = view.getUint32(file.length - 8, true);
  const start = file.length - 8 - len;
  if (start < 4) throw new RangeError(`footer length ${len} exceeds the file`);
  const meta = new CompactReader(file, start, file.length - 8).readStruct();

  const leafIds = leafFieldIds((meta.get(2) as ThriftStruct[] | undefined) ?? []);
  const rowGroups = ((meta.get(4) as ThriftStruct[] | undefined) ?? []).map((rg): FooterRowGroup => {
    const chunks = (rg.get(1) as ThriftStruct[] | undefined) ?? [];
    return {
      numRows: (rg.get(3) as bigint | undefined) ?? 0n,
      columns: chunks.map((chunk, i): FooterColumnChunk => {
        const md = chunk.get(3) as ThriftStruct | undefined;
        if (md === undefined) throw new RangeError('column chunk without metadata');
        const stats = md.get(12) as ThriftStruct | undefined;
        const dataPage = md.get(9) as bigint;
        const dictPage = md.get(11) as bigint | undefined;
        return {
          path: ((md.get(3) as Uint8Array[] | undefined) ?? []).map((b) => decoder.decode(b)),
          fieldId: leafIds[i],
          numValues: md.get(5) as bigint,
          totalUncompressedSize: md.get(6) as bigint,
          totalCompressedSize: md.get(7) as bigint,
          nullCount: stats?.get(3) as bigint | undefined,
          startOffset: dictPage !== undefined && dictPage > 0n && dictPage < dataPage ? dictPage : dataPage,
        };
      }),
    };
  });
  const createdBy = meta.get(6);
  return {
    numRows: (meta.get(3) as bigint | undefined) ?? 0n,
    rowGroups,
    createdBy: createdBy instanceof Uint8Array ? decoder.decode(createdBy) : undefined,
  };
}

const decoder = new TextDecoder();

/** Field ids of the schema's leaves in depth-first order (SchemaElement 5 = num_children, 9 = field_id). */
function leafFieldIds(elements: ThriftStruct[]): (number | undefined)[] {
  const ids: (number | undefined)[] = [];
  let i = 0;
  const walk = (): void => {
    const el = elements[i++];
    if (el === undefined) throw new RangeError('schema ends early');
    const children = (el.get(5) as number | undefined) ?? 0;
    if (children === 0) ids.push(el.get(9) as number | undefined);
    for (let c = 0; c < children; c++) walk();
  };
  const root = elements[i++];
  const n = (root?.get(5) as number | undefined) ?? 0;
  for (let c = 0; c < n; c++) walk();
  return ids;
}
