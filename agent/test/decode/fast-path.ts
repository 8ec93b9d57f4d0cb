// Shared by the tests of the decoders' fast paths (avro-direct, json-direct): a replayable random
// source, a decoder call that reports refusal as null, and the comparison of two file builders.
import assert from 'node:assert/strict';
import type { Decoder } from '../../src/decode/decoder.ts';
import type { ParquetFileBuilder } from '../../src/parquet/writer.ts';
import type { Row } from '../../src/schema/types.ts';

/** A deterministic pseudo-random source (xorshift32), so a failure can be replayed. */
export function rng(seed: number): () => number {
  let x = seed || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

/** The general path's row, or null where it refuses the value. */
export function decodes(decoder: Decoder, value: Uint8Array): Row | null {
  try {
    return decoder.decode(value);
  } catch {
    return null;
  }
}

/** Both builders must come out identical: records, statistics, and every byte of the file. */
export function assertSameFiles(a: ParquetFileBuilder, b: ParquetFileBuilder): void {
  const fa = a.finish();
  const fb = b.finish();
  assert.equal(fa.recordCount, fb.recordCount);
  assert.deepEqual(fa.stats, fb.stats);
  assert.ok(Buffer.from(fa.bytes).equals(Buffer.from(fb.bytes)), 'the Parquet bytes differ');
}
