// Decompression of Kafka record batches, by the codec id in the batch attributes; and the Snappy
// compression of Parquet pages (parquet/encode.ts), from the same library.
//
// gzip and zstd come from node:zlib; snappy and lz4 from @platformatic/wasm-utils (the codecs
// @platformatic/kafka itself uses), loaded the first time a batch needs them: an ingest worker
// that never meets them does not pay for them. Snappy arrives either raw or in the xerial framing
// of the Java client's snappy-java stream (magic "\x82SNAPPY\0", two int32 versions, then chunks of
// int32 length + raw snappy block).

import { createRequire } from 'node:module';
import { gunzipSync, zstdDecompressSync } from 'node:zlib';

interface WasmCodecs {
  snappyCompress(data: Buffer): Buffer;
  snappyDecompress(data: Buffer): Buffer;
  lz4Decompress(data: Buffer): Buffer;
}

let wasm: WasmCodecs | null = null;
function wasmCodecs(): WasmCodecs {
  wasm ??= createRequire(import.meta.url)('@platformatic/wasm-utils') as WasmCodecs;
  return wasm;
}

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER = 16;

function snappy(data: Buffer): Buffer {
  const codecs = wasmCodecs();
  if (data.byteLength < XERIAL_HEADER || !data.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC)) return codecs.snappyDecompress(data);
  const parts: Buffer[] = [];
  let pos = XERIAL_HEADER;
  while (pos < data.byteLength) {
    if (pos + 4 > data.byteLength) throw new RangeError('truncated xerial snappy chunk length');
    const length = data.readInt32BE(pos);
    pos += 4;
    if (length < 0 || pos + length > data.byteLength) throw new RangeError(`xerial snappy chunk of ${length} bytes runs past the end`);
    parts.push(codecs.snappyDecompress(data.subarray(pos, pos + length)));
    pos += length;
  }
  return parts.length === 1 ? parts[0] : Buffer.concat(parts);
}

/** Raw Snappy block of `data` (the format Parquet's SNAPPY codec uses). */
export function snappyCompress(data: Uint8Array): Uint8Array {
  return wasmCodecs().snappyCompress(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
}

/** Codec names by attribute id, for messages. */
export const CODEC_NAMES: Record<number, string> = { 0: 'none', 1: 'gzip', 2: 'snappy', 3: 'lz4', 4: 'zstd' };

/** Decompresses the records of a batch; throws on an unknown codec or corrupt data. */
export function decompress(codec: number, data: Uint8Array): Uint8Array {
  const b = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  switch (codec) {
    case 1:
      return gunzipSync(b);
    case 2:
      return snappy(b);
    case 3:
      return wasmCodecs().lz4Decompress(b);
    case 4:
      return zstdDecompressSync(b);
    default:
      throw new RangeError(`unknown compression codec ${codec}`);
  }
}
