// The V8 flags `floe agent` sets for itself (cli/floe.ts), read apart from the rest of the CLI so
// that cli/main.ts can set them before it starts the ingest workers, whose isolates read them as
// they are created.

import { execFileSync } from 'node:child_process';

/**
 * The V8 flags the agent sets for itself, or a message naming the bad value.
 *
 * FLOE_HEAP_GROWING_PERCENT (default 300; 0: V8's own): how far V8 lets a heap grow past its live
 * size before a full collection. The main thread holds a small, steady heap (~30 MB: the AWS SDK,
 * the Kafka client, Iceberg and Delta) while fetched record bytes stream through it as external
 * memory; at V8's own factor the next limit sits so close to the live size that a full collection
 * followed every ~16 MiB fetched (54 per GiB of JSON, ~0.8 s). At 300 %: 20 per GiB, ~0.5 s, and
 * ~7 % less agent CPU per GiB of JSON (BENCHMARKS.md). The ingest workers' heaps are small too.
 * The rest of those collections went with the fetching thread's scavenges (FLOE_FETCH_SCAVENGE_MIB,
 * source/scavenge.ts): ~2 per GiB.
 *
 * FLOE_CONCURRENT_RECOMPILATION (default 0: off; 1: V8's own): whether the ingest workers compile
 * optimised code on V8's background threads. Off, a worker compiles its hot loops itself and runs
 * the optimised code at once. Once the workers kept their optimised code across collections
 * (resident.ts), what is left to compile is each worker's warm-up, and off is cheaper for both
 * formats (same-hour A/B, BENCHMARKS.md: JSON 11.9 → 11.3, Avro 16.0 → 15.0 CPU-s/GiB). Before,
 * while V8 compiled the encoder again after every collection, off cost JSON 4 %. The flag takes
 * effect for the isolates created after it is set (the workers); the main thread's was created
 * before and keeps compiling in the background.
 *
 * FLOE_V8_FLAGS: more V8 flags, for diagnosis (Node's NODE_OPTIONS refuses most of them), such as
 * --perf-basic-prof for Linux perf or --trace-gc (BENCHMARKS.md). A name V8 does not know is
 * refused here: V8 itself would only print a warning and go on without it.
 */
export function v8Flags(env: NodeJS.ProcessEnv): string[] | string {
  const flags: string[] = [];
  const growing = env.FLOE_HEAP_GROWING_PERCENT;
  if (growing === undefined || growing === '') flags.push('--heap-growing-percent=300');
  else {
    const n = Number(growing);
    if (!Number.isInteger(n) || n < 0 || n > 1000) return `FLOE_HEAP_GROWING_PERCENT must be an integer from 0 to 1000, got ${JSON.stringify(growing)}`;
    if (n > 0) flags.push(`--heap-growing-percent=${n}`);
  }
  const concurrent = env.FLOE_CONCURRENT_RECOMPILATION;
  if (concurrent === undefined || concurrent === '' || concurrent === '0') flags.push('--no-concurrent-recompilation');
  else if (concurrent !== '1') return `FLOE_CONCURRENT_RECOMPILATION must be 0 or 1, got ${JSON.stringify(concurrent)}`;
  const extra = env.FLOE_V8_FLAGS?.trim();
  if (extra) {
    const tokens = extra.split(/\s+/);
    const known = v8FlagNames();
    for (const t of tokens) {
      const name = /^--([a-z0-9][a-z0-9_-]*)(=\S+)?$/i.exec(t)?.[1].replaceAll('_', '-');
      if (name === undefined || !(known.has(name) || (name.startsWith('no-') && known.has(name.slice(3))))) {
        return `FLOE_V8_FLAGS must be V8 flags (node --v8-options) separated by spaces, got ${JSON.stringify(t)} in ${JSON.stringify(env.FLOE_V8_FLAGS)}`;
      }
    }
    flags.push(...tokens); // after the agent's own, so they win
  }
  return flags;
}

let flagNames: Set<string> | null = null;

/** The names of V8's flags, as `node --v8-options` lists them (read once, only when FLOE_V8_FLAGS is set). */
function v8FlagNames(): Set<string> {
  if (flagNames === null) {
    const out = execFileSync(process.execPath, ['--v8-options'], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
    flagNames = new Set([...out.matchAll(/^\s+--([a-z0-9][a-z0-9_-]*) \(/gim)].map((m) => m[1].replaceAll('_', '-')));
  }
  return flagNames;
}
