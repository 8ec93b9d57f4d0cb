// Shared by the tests of the decoders' fast paths (avro-direct, json-direct, the stages): a
// replayable random source, a decoder call that reports refusal as null, the comparison of two file
// builders, and a stage's add and flush as the worker does them.
import assert from 'node:assert/strict';
import type { Decoder } from '../../src/decode/decoder.ts';
import type { ParquetFileBuilder } from '../../src/parquet/writer.ts';
import { FULL, STAGED, type WasmStage } from '../../src/decode/wasm-stage.ts';
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

/**
 * `value` inside a larger shared buffer, between bytes that would change the outcome if a decoder
 * read past its end or before its start, as record values sit inside a fetched record batch.
 */
export function embedded(value: Uint8Array, before = '{"x":', after = '0}\u0002\u0000'): { buf: Uint8Array; start: number; end: number } {
  const pre = Buffer.from(before, 'latin1');
  const post = Buffer.from(after, 'latin1');
  const buf = new Uint8Array(new SharedArrayBuffer(pre.length + value.length + post.length));
  buf.set(pre, 0);
  buf.set(value, pre.length);
  buf.set(post, pre.length + value.length);
  return { buf, start: pre.length, end: pre.length + value.length };
}

/** Adds a value to the stage; a FULL stage is flushed into `into` and the value added again. */
export function stageAdd(stage: WasmStage, into: ParquetFileBuilder, buf: Uint8Array, start: number, end: number): boolean {
  let r = stage.add(buf, start, end);
  if (r === FULL) {
    stageFlush(stage, into);
    r = stage.add(buf, start, end);
    assert.notEqual(r, FULL, 'an empty stage answered FULL');
  }
  return r === STAGED;
}

/** Moves what the stage holds into `into`. */
export function stageFlush(stage: WasmStage, into: ParquetFileBuilder): void {
  into.appendRows(stage.staged, (columns) => stage.flush(columns));
}
