// Micro-benchmark of copying short strings (2-12 bytes) into a column's bytes, as the decoders' fast
// path does (Utf8Column.appendUtf8), three ways: byte by byte, four bytes at a time with a byte loop
// for the rest (the agent's way), and branch-free (always 16 bytes as four words, the value's end
// recorded by its length). Lengths drawn at random, and lengths that repeat a sequence of 15 (as the
// bench's records do: one string column after the other, record after record). Not a test:
//   source scripts/node-env.sh && node bench/string-copy.ts
const N = 1 << 20;
const src = new Uint8Array(new SharedArrayBuffer(N * 16 + 16));
const dst = Buffer.alloc(N * 16 + 16);
const offsets = new Int32Array(N + 1);
const sv = new DataView(src.buffer);
const dv = new DataView(dst.buffer, dst.byteOffset, dst.byteLength);
for (let i = 0; i < src.length; i++) src[i] = 97 + (i % 26);

function lengths(random: boolean): { starts: Int32Array; lens: Int32Array } {
  const starts = new Int32Array(N);
  const lens = new Int32Array(N);
  const cycle = [8, 2, 5, 6, 7, 4, 5, 12, 3, 9, 11, 4, 6, 2, 10];
  let seed = 7;
  for (let i = 0, at = 0; i < N; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    lens[i] = random ? 2 + ((seed >>> 8) % 11) : cycle[i % cycle.length];
    starts[i] = at;
    at += lens[i] + 3;
  }
  return { starts, lens };
}

function bytes(starts: Int32Array, lens: Int32Array): number {
  let pos = 0;
  let high = 0;
  for (let i = 0; i < N; i++) {
    const a = starts[i];
    const n = lens[i];
    for (let k = 0; k < n; k++) {
      const x = src[a + k];
      dst[pos + k] = x;
      high |= x;
    }
    pos += n;
    offsets[i + 1] = pos;
  }
  return high;
}

function words(starts: Int32Array, lens: Int32Array): number {
  let pos = 0;
  let high = 0;
  for (let i = 0; i < N; i++) {
    const a = starts[i];
    const n = lens[i];
    let k = 0;
    for (; k + 4 <= n; k += 4) {
      const w = sv.getInt32(a + k, true);
      dv.setInt32(pos + k, w, true);
      high |= w;
    }
    for (; k < n; k++) {
      const x = src[a + k];
      dst[pos + k] = x;
      high |= x;
    }
    pos += n;
    offsets[i + 1] = pos;
  }
  return high;
}

function wide(starts: Int32Array, lens: Int32Array): number {
  let pos = 0;
  let high = 0;
  for (let i = 0; i < N; i++) {
    const a = starts[i];
    const w0 = sv.getInt32(a, true);
    const w1 = sv.getInt32(a + 4, true);
    const w2 = sv.getInt32(a + 8, true);
    const w3 = sv.getInt32(a + 12, true);
    dv.setInt32(pos, w0, true);
    dv.setInt32(pos + 4, w1, true);
    dv.setInt32(pos + 8, w2, true);
    dv.setInt32(pos + 12, w3, true);
    high |= w0 | w1 | w2 | w3; // (the agent would mask the bytes past the value's end)
    pos += lens[i];
    offsets[i + 1] = pos;
  }
  return high;
}

for (const random of [true, false]) {
  const { starts, lens } = lengths(random);
  const ns: Record<string, number[]> = { bytes: [], words: [], wide: [] };
  for (let round = 0; round < 8; round++) {
    for (const [name, f] of [['bytes', bytes], ['words', words], ['wide', wide]] as const) {
      const t = process.cpuUsage();
      for (let k = 0; k < 4; k++) f(starts, lens);
      const u = process.cpuUsage(t);
      if (round >= 3) ns[name].push(((u.user + u.system) * 1000) / (4 * N));
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  console.log(`${random ? 'random lengths   ' : 'repeating lengths'}: ${Object.entries(ns).map(([k, v]) => `${k} ${median(v).toFixed(1)}`).join(', ')} ns per string (median of 5 rounds)`);
}
