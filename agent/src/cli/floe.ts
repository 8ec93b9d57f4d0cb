// The `floe` command (started through cli/main.ts).
//
//   floe agent --config FILE [--listen HOST:PORT]   run the agent (env: FLOE_CONFIG, FLOE_LISTEN)
//   floe validate FILE                              check a configuration file, start nothing
//
// Exit codes: 0 ok, 1 runtime failure, 2 usage or invalid configuration.

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
import { releasePrewarmedWorkers } from '../ingest/shards.ts';
import { v8Flags } from './v8-flags.ts';

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
  } finally {
    await releasePrewarmedWorkers(); // the tables' pipelines have taken theirs
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

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    const e = err as FloeError;
    process.stderr.write(`floe: ${e.code ? `${e.code}: ` : ''}${e.message}\n`);
    process.exit(1);
  },
);
