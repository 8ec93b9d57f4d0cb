// zstd frames of raw blocks (encode.ts zstdStored), decoded by node:zlib's zstd (libzstd) at the
// block size limits; writer.test.ts has pyarrow, duckdb and arrow-rs read them inside files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { zstdDecompressSync } from 'node:zlib';
import { zstdStored } from '../../src/parquet/encode.ts';

test('a stored zstd frame decodes to its input, empty, one block, and across block boundaries', () => {
  const block = 128 * 1024;
  for (const n of [0, 1, 7, 64, 1000, block - 1, block, block + 1, 2 * block, 2 * block + 5, 700_000]) {
    const src = Buffer.alloc(n);
    for (let i = 0; i < n; i++) src[i] = (i * 131 + 7) & 0xff;
    const frame = zstdStored(src);
    assert.equal(frame.length, 9 + 3 * Math.max(1, Math.ceil(n / block)) + n, `frame size for ${n} bytes`);
    assert.ok(zstdDecompressSync(frame).equals(src), `${n} bytes`);
  }
});
