// The `floe` command (started through cli/main.ts).
//
//   floe agent --config FILE [--listen HOST:PORT]   run the agent (env: FLOE_CONFIG, FLOE_LISTEN)
//   floe validate FILE                              check a configuration file, start nothing
//
// Exit codes: 0 ok, 1 runtime failure, 2 usage or invalid configuration.

import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { loadConfigFile } from '../config/index.ts';
import { ConfigError, FloeError } from '../errors.ts';
import { Agent } from '../agent.ts';
import { createLogger } from '../log.ts';
import { fetchScavengeMiBFromEnv, setFetchScavengeMiB } from '../source/scavenge.ts';
import { sessionTimeoutProblem } from '../source/kafka.ts';
import { directDecodeFromEnv, stageFromEnv } from '../ingest/worker.ts';
import { checkParquetEnv } from '../parquet/writer.ts';

const usage = `usage:
  floe agent --config FILE [--listen HOST:PORT]
  floe validate FILE

environment:
  FLOE_CONFIG      configuration file (for agent, instead of --config)
  FLOE_LISTEN      HOST:PORT serving /metrics, /healthz, /readyz (default 127.0.0.1:8080)
  FLOE_LOG_LEVEL   debug | info | warn | error (default info)
  FLOE_API_TOKEN   bearer token of the control API under /v1 (the API is off without it)
  FLOE_CONFIG_POLL_MS  how often the stored configuration is checked for a new version (default 2000)
  FLOE_HEAP_GROWING_PERCENT  V8's heap growing factor for the agent process, 0 for V8's own (default 300)
  FLOE_CONCURRENT_RECOMPILATION  1: ingest workers compile optimised code on V8's background threads (default 0: themselves)
  FLOE_KAFKA_SESSION_TIMEOUT_MS  how long the group waits for a killed agent before its partitions move, 6000..1800000 (default 20000)
  FLOE_FETCH_SCAVENGE_MIB  MiB fetched between two young-generation collections of the fetching thread, 0 for none (default 32)
  FLOE_DIRECT_DECODE  0: every record through the general decode path, not the decoders' fast paths (default 1)
  FLOE_AVRO_STAGE  0: Avro records through the JavaScript fast path, not the WebAssembly stage (default 1)
  FLOE_JSON_STAGE  0: JSON records through the JavaScript fast path, not the WebAssembly stage (default 1)
  FLOE_PARQUET_COMPRESSION  zstd | snappy | uncompressed (default zstd)
  FLOE_PARQUET_ROW_GROUP_ROWS  rows per row group at most (default 1048576)
  FLOE_PARQUET_PAGE_ENTRIES  level entries per data page at most (default 131072; 20000 as arrow-rs)
  FLOE_PARQUET_BOUND_TRUNCATE_LENGTH  characters kept in string bounds (default 16)
  FLOE_V8_FLAGS    more V8 flags for the agent and its workers, e.g. "--perf-basic-prof --trace-gc" (diagnosis)
  TABLEFLOW_*      credentials named by *_env fields of the configuration
  AWS_*            S3 endpoint, region and keys (AWS SDK standard variables)
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(usage);
    return command ? 0 : 2;
  }
  if (command === 'validate') return validate(rest);
  if (command === 'agent') return agent(rest);
  process.stderr.write(`floe: unknown command ${JSON.stringify(command)}\n${usage}`);
  return 2;
}

async function validate(args: string[]): Promise<number> {
  const { positionals, values } = parseArgs({ args, allowPositionals: true, options: { config: { type: 'string' } } });
  const file = positionals[0] ?? values.config ?? process.env.FLOE_CONFIG;
  if (!file) {
    process.stderr.write(`floe validate: no file given\n${usage}`);
    return 2;
  }
  try {
    const config = await loadConfigFile(file);
    process.stdout.write(`${file}: ok (${config.source_clusters.length} source cluster(s), ${config.tables.length} table(s))\n`);
    return 0;
  } catch (err) {
    return reportConfigError(file, err);
  }
}

function reportConfigError(file: string, err: unknown): number {
  if (err instanceof ConfigError) {
    process.stderr.write(`${file}: invalid configuration\n${err.issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}\n`);
    return 2;
  }
  process.stderr.write(`${file}: ${(err as Error).message}\n`);
  return 2;
}

async function agent(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { config: { type: 'string', short: 'c' }, listen: { type: 'string', short: 'l' } } });
  } catch (err) {
    process.stderr.write(`floe agent: ${(err as Error).message}\n${usage}`);
    return 2;
  }
  const file = parsed.values.config ?? process.env.FLOE_CONFIG;
  if (!file) {
    process.stderr.write(`floe agent: --config FILE (or FLOE_CONFIG) is required\n${usage}`);
    return 2;
  }
  const flags = v8Flags(process.env);
  if (typeof flags === 'string') {
    process.stderr.write(`floe agent: ${flags}\n`);
    return 2;
  }
  // Before the agent starts its ingest workers, whose isolates read the flags as they are created.
  for (const f of flags) setFlagsFromString(f);
  const sessionProblem = sessionTimeoutProblem(process.env);
  if (sessionProblem !== null) {
    process.stderr.write(`floe agent: ${sessionProblem}\n`);
    return 2;
  }
  const scavengeMiB = fetchScavengeMiBFromEnv(process.env);
  if (typeof scavengeMiB === 'string') {
    process.stderr.write(`floe agent: ${scavengeMiB}\n`);
    return 2;
  }
  setFetchScavengeMiB(scavengeMiB);
  // Read again as each table's pipeline starts: a wrong one would stop every table there.
  try {
    directDecodeFromEnv(process.env);
    stageFromEnv('avro', process.env);
    stageFromEnv('json', process.env);
  } catch (err) {
    process.stderr.write(`floe agent: ${(err as Error).message}\n`);
    return 2;
  }
  // The ingest workers and the compaction read them as they make files: a wrong one would fail every batch.
  const parquetProblem = checkParquetEnv(process.env);
  if (parquetProblem !== null) {
    process.stderr.write(`floe agent: ${parquetProblem}\n`);
    return 2;
  }
  let config;
  try {
    config = await loadConfigFile(file);
  } catch (err) {
    return reportConfigError(file, err);
  }
  const log = createLogger({ agent: process.env.FLOE_AGENT_ID ?? `floe-${process.pid}` });
  const a = new Agent({ config, listen: parsed.values.listen ?? process.env.FLOE_LISTEN ?? '127.0.0.1:8080', log, agentId: process.env.FLOE_AGENT_ID });
  try {
    await a.start();
  } catch (err) {
    log.error('agent failed to start', { error: err });
    await a.stop().catch(() => {});
    return 1;
  }
  return new Promise<number>((resolve) => {
    let stopping = false;
    const shutdown = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info('shutting down', { signal });
      a.stop().then(
        () => resolve(0),
        (err) => {
          log.error('shutdown failed', { error: err });
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    process.on('SIGINT', () => shutdown('SIGINT'));
  });
}

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
function v8Flags(env: NodeJS.ProcessEnv): string[] | string {
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

/** The names of V8's flags, as `node --v8-options` lists them (read only when FLOE_V8_FLAGS is set). */
function v8FlagNames(): Set<string> {
  const out = execFileSync(process.execPath, ['--v8-options'], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  return new Set([...out.matchAll(/^\s+--([a-z0-9][a-z0-9_-]*) \(/gim)].map((m) => m[1].replaceAll('_', '-')));
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    const e = err as FloeError;
    process.stderr.write(`floe: ${e.code ? `${e.code}: ` : ''}${e.message}\n`);
    process.exit(1);
  },
);
