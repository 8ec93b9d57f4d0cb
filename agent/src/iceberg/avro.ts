// A small Avro binary codec and object-container-file reader/writer, enough for Iceberg manifests
// and manifest lists. Plain data in, bytes out; no I/O.
//
// Why not avsc: Iceberg needs 64-bit longs (snapshot ids are random 63-bit numbers) and custom
// schema attributes (`field-id`, `element-id`, `logicalType: map`) kept verbatim in the header.
// Here the header schema is written exactly as given, and longs are always bigint.
//
// Value mapping: null <-> null; boolean <-> boolean; int, float, double <-> number;
// long <-> bigint (numbers accepted when writing); bytes, fixed <-> Uint8Array; string <-> string;
// enum <-> symbol string; record <-> plain object by field name; array <-> array;
// map <-> Map<string, value> (plain objects accepted when writing); union <-> the branch's value.

import { randomBytes } from 'node:crypto';
import * as zlib from 'node:zlib';

export type AvroPrimitive = 'null' | 'boolean' | 'int' | 'long' | 'float' | 'double' | 'bytes' | 'string';

export interface AvroField {
  name: string;
  type: AvroSchema;
  doc?: string;
  default?: unknown;
  'field-id'?: number;
}

export interface AvroRecord {
  type: 'record';
  name: string;
  namespace?: string;
  fields: AvroField[];
}

export interface AvroArray {
  type: 'array';
  items: AvroSchema;
  'element-id'?: number;
  logicalType?: string;
}

export interface AvroMap {
  type: 'map';
  values: AvroSchema;
  'key-id'?: number;
  'value-id'?: number;
}

export interface AvroFixed {
  type: 'fixed';
  name: string;
  size: number;
}

export interface AvroEnum {
  type: 'enum';
  name: string;
  symbols: string[];
}

export interface AvroAnnotatedPrimitive {
  type: AvroPrimitive;
  logicalType?: string;
  [attr: string]: unknown;
}

/** A schema; a bare non-primitive string references a named type defined earlier. */
export type AvroSchema =
  | AvroPrimitive
  | string
  | AvroRecord
  | AvroArray
  | AvroMap
  | AvroFixed
  | AvroEnum
  | AvroAnnotatedPrimitive
  | AvroSchema[];

export class AvroError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AvroError';
  }
}

// ---------------------------------------------------------------------------------------------
// Binary encoding

class Writer {
  buf: Uint8Array = new Uint8Array(1024);
  pos = 0;

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  long(v: bigint | number): void {
    let n = typeof v === 'bigint' ? v : BigInt(v);
    n = BigInt.asUintN(64, (n << 1n) ^ (n >> 63n));
    while (n >= 0x80n) {
      this.byte(Number(n & 0x7fn) | 0x80);
      n >>= 7n;
    }
    this.byte(Number(n));
  }

  int(v: number): void {
    let n = ((v << 1) ^ (v >> 31)) >>> 0;
    while (n >= 0x80) {
      this.byte((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    this.byte(n);
  }

  float(v: number): void {
    this.ensure(4);
    new DataView(this.buf.buffer, this.buf.byteOffset).setFloat32(this.pos, v, true);
    this.pos += 4;
  }

  double(v: number): void {
    this.ensure(8);
    new DataView(this.buf.buffer, this.buf.byteOffset).setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  bytes(b: Uint8Array): void {
    this.long(b.length);
    this.raw(b);
  }

  string(s: string): void {
    this.bytes(Buffer.from(s, 'utf8'));
  }

  result(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

class Reader {
  readonly buf: Uint8Array;
  pos: number;
  readonly end: number;

  constructor(buf: Uint8Array, pos = 0, end = buf.length) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  byte(): number {
    if (this.pos >= this.end) throw new AvroError('unexpected end of Avro data');
    return this.buf[this.pos++];
  }

  long(): bigint {
    let n = 0n;
    let shift = 0n;
    for (;;) {
      const b = this.byte();
      n |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) break;
      shift += 7n;
      if (shift > 63n) throw new AvroError('Avro long is too long');
    }
    return (n >> 1n) ^ -(n & 1n);
  }

  int(): number {
    const v = this.long();
    if (v < -2147483648n || v > 2147483647n) throw new AvroError(`Avro int out of range: ${v}`);
    return Number(v);
  }

  /** A length or count: a long that must fit a safe integer. */
  count(): number {
    const v = this.long();
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new AvroError(`Avro count out of range: ${v}`);
    }
    return Number(v);
  }

  raw(n: number): Uint8Array {
    if (n < 0 || this.pos + n > this.end) throw new AvroError('unexpected end of Avro data');
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  float(): number {
    const b = this.raw(4);
    return new DataView(b.buffer, b.byteOffset, 4).getFloat32(0, true);
  }

  double(): number {
    const b = this.raw(8);
    return new DataView(b.buffer, b.byteOffset, 8).getFloat64(0, true);
  }

  bytes(): Uint8Array {
    return this.raw(this.count()).slice();
  }

  string(): string {
    return Buffer.from(this.raw(this.count())).toString('utf8');
  }
}

interface Codec {
  write(w: Writer, v: unknown): void;
  read(r: Reader): unknown;
  /** Whether `v` can be written by this codec (to pick a union branch). */
  accepts(v: unknown): boolean;
}

const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);

function describe(v: unknown): string {
  if (typeof v === 'bigint') return `${v}n`;
  if (v instanceof Uint8Array) return `<${v.length} bytes>`;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

function primitiveCodec(name: AvroPrimitive): Codec {
  switch (name) {
    case 'null':
      return { write() {}, read: () => null, accepts: (v) => v === null || v === undefined };
    case 'boolean':
      return {
        write: (w, v) => w.byte(v ? 1 : 0),
        read: (r) => r.byte() !== 0,
        accepts: (v) => typeof v === 'boolean',
      };
    case 'int':
      return {
        write: (w, v) => {
          if (typeof v !== 'number' || !Number.isInteger(v) || v < -2147483648 || v > 2147483647) {
            throw new AvroError(`not an Avro int: ${describe(v)}`);
          }
          w.int(v);
        },
        read: (r) => r.int(),
        accepts: (v) => typeof v === 'number' && Number.isInteger(v),
      };
    case 'long':
      return {
        write: (w, v) => {
          if (typeof v === 'bigint') w.long(v);
          else if (typeof v === 'number' && Number.isSafeInteger(v)) w.long(BigInt(v));
          else throw new AvroError(`not an Avro long: ${describe(v)}`);
        },
        read: (r) => r.long(),
        accepts: (v) => typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v)),
      };
    case 'float':
      return {
        write: (w, v) => w.float(v as number),
        read: (r) => r.float(),
        accepts: (v) => typeof v === 'number',
      };
    case 'double':
      return {
        write: (w, v) => w.double(v as number),
        read: (r) => r.double(),
        accepts: (v) => typeof v === 'number',
      };
    case 'bytes':
      return {
        write: (w, v) => {
          if (!(v instanceof Uint8Array)) throw new AvroError(`not Avro bytes: ${describe(v)}`);
          w.bytes(v);
        },
        read: (r) => r.bytes(),
        accepts: (v) => v instanceof Uint8Array,
      };
    case 'string':
      return {
        write: (w, v) => {
          if (typeof v !== 'string') throw new AvroError(`not an Avro string: ${describe(v)}`);
          w.string(v);
        },
        read: (r) => r.string(),
        accepts: (v) => typeof v === 'string',
      };
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) && !(v instanceof Map);
}

function compile(schema: AvroSchema, names: Map<string, Codec>, namespace: string | undefined): Codec {
  if (typeof schema === 'string') {
    if (PRIMITIVES.has(schema)) return primitiveCodec(schema as AvroPrimitive);
    const ref = names.get(schema) ?? (namespace ? names.get(`${namespace}.${schema}`) : undefined);
    if (!ref) throw new AvroError(`unknown Avro type ${JSON.stringify(schema)}`);
    return ref;
  }
  if (Array.isArray(schema)) {
    const branches = schema.map((s) => compile(s, names, namespace));
    return {
      write(w, v) {
        const i = branches.findIndex((b) => b.accepts(v));
        if (i < 0) throw new AvroError(`no union branch accepts ${describe(v)}`);
        w.long(i);
        branches[i].write(w, v);
      },
      read(r) {
        const i = r.count();
        const b = branches[i];
        if (!b) throw new AvroError(`union branch ${i} out of range`);
        return b.read(r);
      },
      accepts: (v) => branches.some((b) => b.accepts(v)),
    };
  }
  switch (schema.type) {
    case 'record': {
      const ns = schema.namespace ?? (schema.name.includes('.') ? schema.name.slice(0, schema.name.lastIndexOf('.')) : namespace);
      const fullName = schema.name.includes('.') || !ns ? schema.name : `${ns}.${schema.name}`;
      const fields: { name: string; codec: Codec }[] = [];
      const codec: Codec = {
        write(w, v) {
          if (!isPlainObject(v)) throw new AvroError(`record ${schema.name}: not an object: ${describe(v)}`);
          for (const f of fields) {
            try {
              f.codec.write(w, v[f.name] ?? null);
            } catch (err) {
              if (err instanceof AvroError) throw new AvroError(`${schema.name}.${f.name}: ${err.message}`);
              throw err;
            }
          }
        },
        read(r) {
          const out: Record<string, unknown> = {};
          for (const f of fields) out[f.name] = f.codec.read(r);
          return out;
        },
        accepts: isPlainObject,
      };
      // Register before compiling fields so recursive references resolve.
      names.set(fullName, codec);
      if (fullName !== schema.name) names.set(schema.name, codec);
      for (const f of schema.fields) fields.push({ name: f.name, codec: compile(f.type, names, ns) });
      return codec;
    }
    case 'array': {
      const item = compile(schema.items, names, namespace);
      return {
        write(w, v) {
          if (!Array.isArray(v)) throw new AvroError(`not an Avro array: ${describe(v)}`);
          if (v.length > 0) {
            w.long(v.length);
            for (const x of v) item.write(w, x);
          }
          w.long(0);
        },
        read(r) {
          const out: unknown[] = [];
          for (;;) {
            let n = r.count();
            if (n === 0) return out;
            if (n < 0) {
              n = -n;
              r.count(); // block size in bytes, unused
            }
            for (let i = 0; i < n; i++) out.push(item.read(r));
          }
        },
        accepts: (v) => Array.isArray(v),
      };
    }
    case 'map': {
      const value = compile(schema.values, names, namespace);
      return {
        write(w, v) {
          const entries = v instanceof Map ? [...v.entries()] : isPlainObject(v) ? Object.entries(v) : null;
          if (entries === null) throw new AvroError(`not an Avro map: ${describe(v)}`);
          if (entries.length > 0) {
            w.long(entries.length);
            for (const [k, x] of entries) {
              w.string(String(k));
              value.write(w, x);
            }
          }
          w.long(0);
        },
        read(r) {
          const out = new Map<string, unknown>();
          for (;;) {
            let n = r.count();
            if (n === 0) return out;
            if (n < 0) {
              n = -n;
              r.count();
            }
            for (let i = 0; i < n; i++) {
              const k = r.string();
              out.set(k, value.read(r));
            }
          }
        },
        accepts: (v) => v instanceof Map || isPlainObject(v),
      };
    }
    case 'fixed': {
      const size = schema.size;
      const codec: Codec = {
        write(w, v) {
          if (!(v instanceof Uint8Array) || v.length !== size) throw new AvroError(`not a fixed[${size}]: ${describe(v)}`);
          w.raw(v);
        },
        read: (r) => r.raw(size).slice(),
        accepts: (v) => v instanceof Uint8Array && v.length === size,
      };
      names.set(schema.name, codec);
      return codec;
    }
    case 'enum': {
      const symbols = schema.symbols;
      const codec: Codec = {
        write(w, v) {
          const i = symbols.indexOf(v as string);
          if (i < 0) throw new AvroError(`not a symbol of enum ${schema.name}: ${describe(v)}`);
          w.long(i);
        },
        read(r) {
          const s = symbols[r.count()];
          if (s === undefined) throw new AvroError(`enum ${schema.name}: index out of range`);
          return s;
        },
        accepts: (v) => typeof v === 'string' && symbols.includes(v),
      };
      names.set(schema.name, codec);
      return codec;
    }
    default: {
      const t = (schema as AvroAnnotatedPrimitive).type;
      if (typeof t === 'string' && PRIMITIVES.has(t)) return primitiveCodec(t);
      if (typeof t === 'object' && t !== null) return compile(t as AvroSchema, names, namespace);
      throw new AvroError(`unsupported Avro schema ${describe(schema)}`);
    }
  }
}

/** Compiles a schema once; encode/decode single datums (no container). */
export class AvroType {
  readonly schema: AvroSchema;
  readonly #codec: Codec;

  constructor(schema: AvroSchema) {
    this.schema = schema;
    this.#codec = compile(schema, new Map(), undefined);
  }

  encode(value: unknown): Uint8Array {
    const w = new Writer();
    this.#codec.write(w, value);
    return w.result();
  }

  decode(bytes: Uint8Array): unknown {
    return this.#codec.read(new Reader(bytes));
  }

  /** @internal */
  writeTo(w: Writer, value: unknown): void {
    this.#codec.write(w, value);
  }

  /** @internal */
  readFrom(r: Reader): unknown {
    return this.#codec.read(r);
  }
}

// ---------------------------------------------------------------------------------------------
// Object container files

const MAGIC = Uint8Array.of(0x4f, 0x62, 0x6a, 0x01); // "Obj" 1
const HEADER_META = new AvroType({ type: 'map', values: 'bytes' });

export type AvroCodecName = 'null' | 'deflate' | 'zstandard';

export interface AvroContainer {
  /** The writer schema, exactly as stored in the header's `avro.schema`. */
  schema: AvroSchema;
  /** Header metadata other than `avro.schema` and `avro.codec`, decoded as UTF-8. */
  metadata: Map<string, string>;
  records: unknown[];
}

/**
 * Encodes an Avro object container file. The header's `avro.schema` is `JSON.stringify(schema)`,
 * so every custom attribute (Iceberg `field-id`, ...) survives.
 */
export function writeAvroContainer(
  schema: AvroSchema,
  records: unknown[],
  metadata: Record<string, string> = {},
  codec: AvroCodecName = 'deflate',
): Uint8Array {
  const type = new AvroType(schema);
  const meta = new Map<string, Uint8Array>();
  meta.set('avro.schema', Buffer.from(JSON.stringify(schema), 'utf8'));
  meta.set('avro.codec', Buffer.from(codec, 'utf8'));
  for (const [k, v] of Object.entries(metadata)) meta.set(k, Buffer.from(v, 'utf8'));
  const sync = randomBytes(16);

  const out = new Writer();
  out.raw(MAGIC);
  HEADER_META.writeTo(out, meta);
  out.raw(sync);

  const blockSize = 4096;
  for (let start = 0; start < records.length; start += blockSize) {
    const chunk = records.slice(start, start + blockSize);
    const body = new Writer();
    for (const rec of chunk) type.writeTo(body, rec);
    let data = body.result();
    if (codec === 'deflate') data = zlib.deflateRawSync(data);
    else if (codec === 'zstandard') data = zlib.zstdCompressSync(data);
    out.long(chunk.length);
    out.long(data.length);
    out.raw(data);
    out.raw(sync);
  }
  return out.result();
}

function plain(b: Uint8Array): Uint8Array {
  // Decoded bytes values are plain Uint8Arrays, never Buffers (they compare and print alike).
  return Object.getPrototypeOf(b) === Uint8Array.prototype ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

function decompress(codec: string, data: Uint8Array): Uint8Array {
  switch (codec) {
    case 'null':
      return data;
    case 'deflate':
      return plain(zlib.inflateRawSync(data));
    case 'zstandard':
      return plain(zlib.zstdDecompressSync(data));
    default:
      throw new AvroError(`unsupported Avro codec ${JSON.stringify(codec)}`);
  }
}

/** Decodes an Avro object container file with its own (writer) schema. */
export function readAvroContainer(bytes: Uint8Array): AvroContainer {
  const r = new Reader(plain(bytes));
  const magic = r.raw(4);
  if (!MAGIC.every((b, i) => magic[i] === b)) throw new AvroError('not an Avro object container file');
  const meta = HEADER_META.readFrom(r) as Map<string, Uint8Array>;
  const sync = r.raw(16).slice();
  const schemaBytes = meta.get('avro.schema');
  if (!schemaBytes) throw new AvroError('Avro header has no avro.schema');
  const schema = JSON.parse(Buffer.from(schemaBytes).toString('utf8')) as AvroSchema;
  const codec = meta.has('avro.codec') ? Buffer.from(meta.get('avro.codec')!).toString('utf8') : 'null';
  const type = new AvroType(schema);
  const metadata = new Map<string, string>();
  for (const [k, v] of meta) {
    if (k !== 'avro.schema' && k !== 'avro.codec') metadata.set(k, Buffer.from(v).toString('utf8'));
  }

  const records: unknown[] = [];
  while (r.pos < r.end) {
    const count = r.count();
    const size = r.count();
    const data = decompress(codec, r.raw(size));
    const block = new Reader(data);
    for (let i = 0; i < count; i++) records.push(type.readFrom(block));
    const marker = r.raw(16);
    if (!sync.every((b, i) => marker[i] === b)) throw new AvroError('Avro block sync marker mismatch');
  }
  return { schema, metadata, records };
}
