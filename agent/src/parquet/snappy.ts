// Snappy compression (the raw block format Parquet's SNAPPY codec uses, not the framing format),
// written from the format description: a varint of the uncompressed length, then literals and
// back-references. Matches are found with a hash of 4 bytes, within 64 KiB fragments, so every
// offset fits the two-byte copy form.

const MAX_FRAGMENT = 65536;
const HASH_BITS = 14;

/** Largest output of snappyCompress for `n` input bytes. */
function maxCompressedLength(n: number): number {
  return 32 + n + Math.floor(n / 6);
}

function load32(b: Uint8Array, i: number): number {
  return b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24);
}

export function snappyCompress(src: Uint8Array): Uint8Array {
  const n = src.length;
  const out = new Uint8Array(maxCompressedLength(n));
  let op = 0;
  for (let v = n; ; ) {
    if (v < 0x80) {
      out[op++] = v;
      break;
    }
    out[op++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  const table = new Int32Array(1 << HASH_BITS).fill(-1);

  const literal = (from: number, to: number): void => {
    const len = to - from;
    if (len === 0) return;
    const l = len - 1;
    if (l < 60) out[op++] = l << 2;
    else if (l < 0x100) {
      out[op++] = 60 << 2;
      out[op++] = l;
    } else if (l < 0x10000) {
      out[op++] = 61 << 2;
      out[op++] = l & 0xff;
      out[op++] = l >>> 8;
    } else if (l < 0x1000000) {
      out[op++] = 62 << 2;
      out[op++] = l & 0xff;
      out[op++] = (l >>> 8) & 0xff;
      out[op++] = l >>> 16;
    } else {
      out[op++] = 63 << 2;
      out[op++] = l & 0xff;
      out[op++] = (l >>> 8) & 0xff;
      out[op++] = (l >>> 16) & 0xff;
      out[op++] = l >>> 24;
    }
    out.set(src.subarray(from, to), op);
    op += len;
  };

  const copy2 = (offset: number, len: number): void => {
    out[op++] = 2 | ((len - 1) << 2);
    out[op++] = offset & 0xff;
    out[op++] = offset >>> 8;
  };

  const copy = (offset: number, len: number): void => {
    while (len >= 68) {
      copy2(offset, 64);
      len -= 64;
    }
    if (len > 64) {
      copy2(offset, 60);
      len -= 60;
    }
    if (len >= 4 && len <= 11 && offset < 2048) {
      out[op++] = 1 | ((len - 4) << 2) | ((offset >>> 8) << 5);
      out[op++] = offset & 0xff;
    } else copy2(offset, len);
  };

  for (let start = 0; start < n; start += MAX_FRAGMENT) {
    const end = Math.min(n, start + MAX_FRAGMENT);
    let lit = start;
    let ip = start;
    let skip = 32;
    while (ip + 4 <= end) {
      const v = load32(src, ip);
      const h = Math.imul(v, 0x1e35a7bd) >>> (32 - HASH_BITS);
      const cand = table[h];
      table[h] = ip;
      if (cand >= start && load32(src, cand) === v) {
        literal(lit, ip);
        let len = 4;
        while (ip + len < end && src[cand + len] === src[ip + len]) len++;
        copy(ip - cand, len);
        ip += len;
        lit = ip;
        skip = 32;
      } else {
        ip += skip >>> 5; // move faster through data that does not compress
        skip++;
      }
    }
    literal(lit, end);
  }
  return out.subarray(0, op);
}
