// Micro-benchmark of the fetching thread's copy of a response's socket reads into shared memory
// (source/fetch.ts copyIntoShared) against TypedArray#set chunk by chunk, which V8 does byte by byte
// where source and destination disagree modulo 8. Not a test: run it by hand.
//   source scripts/node-env.sh && node bench/shared-copy.ts
import { copyIntoShared } from '../agent/src/source/fetch.ts';

const N = 16 << 20; // a response of the fetcher's default size
const dst = new Uint8Array(new SharedArrayBuffer(N + (1 << 20)));
const backing = new Uint8Array(N + 4096);
for (let i = 0; i < backing.length; i++) backing[i] = i * 7;
// Reads as a socket hands them out: the first one the tail of the read before, then reads of
// various sizes, one after the other in memory.
const sizes = [4093, 65536, 65531, 65536, 32001, 65536];
const chunks: Uint8Array[] = [];
for (let k = 0, off = 3, total = 0; total < N - 70_000; k++) {
  const n = sizes[k % sizes.length];
  chunks.push(backing.subarray(off, off + n));
  off += n;
  total += n;
}

function chunkByChunk(d: Uint8Array, cs: readonly Uint8Array[]): number {
  let at = 0;
  for (const b of cs) {
    d.set(b, at);
    at += b.byteLength;
  }
  return at;
}

for (const [label, copy] of [['TypedArray#set', chunkByChunk], ['copyIntoShared', copyIntoShared], ['TypedArray#set', chunkByChunk], ['copyIntoShared', copyIntoShared]] as const) {
  for (let r = 0; r < 3; r++) copy(dst, chunks);
  const t0 = process.hrtime.bigint();
  let bytes = 0;
  for (let r = 0; r < 20; r++) bytes += copy(dst, chunks);
  console.log(`${label}: ${(Number(process.hrtime.bigint() - t0) / 1e6 / (bytes / 2 ** 30)).toFixed(0)} ms per GiB`);
}
