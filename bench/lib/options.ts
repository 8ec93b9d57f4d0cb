// The harness's options: one documented object with defaults, each option also settable through
// one environment variable (FLOE_BENCH_*), command-line flags winning over the environment.
import { parseArgs } from 'node:util';
import type { AgentTableSettings } from './seed.ts';

export type Format = 'json' | 'avro';

export interface BenchOptions {
  /** Which seed tables to load and ingest. --format json|avro|both, FLOE_BENCH_FORMAT. @default both */
  formats: Format[];
  /** Topic size per format in GiB of Kafka key+value bytes. --gib, FLOE_BENCH_GIB. @default 2 (quick: ignored) */
  gib: number;
  /** Exact record count per format, instead of --gib. --records, FLOE_BENCH_RECORDS. @default derived from gib (quick: 20000) */
  records: number | null;
  /** Partitions of every benchmark topic. --partitions, FLOE_BENCH_PARTITIONS. @default 16 */
  partitions: number;
  /** Tiny run that checks the harness works (smoke test): 20k records, short freshness phase, no sink. --quick, FLOE_BENCH_QUICK=1 */
  quick: boolean;
  /** Run Apache Iceberg's Kafka Connect sink on the same topic. --sink / --no-sink, FLOE_BENCH_SINK=0|1. @default true (quick: false) */
  sink: boolean;
  /** Connect sink tasks (consumer threads) in its one worker. --sink-tasks, FLOE_BENCH_SINK_TASKS. @default 2 (the machine's cores) */
  sinkTasks: number;
  /** Run the steady-rate freshness phase. --no-freshness, FLOE_BENCH_FRESHNESS=0. @default true */
  freshness: boolean;
  /** Freshness phase: produce rate in MiB/s. --freshness-mibps, FLOE_BENCH_FRESHNESS_MIBPS. @default 10 (quick: 1) */
  freshnessMiBps: number;
  /** Freshness phase: how long to produce. --freshness-seconds, FLOE_BENCH_FRESHNESS_SECONDS. @default 60 (quick: 8) */
  freshnessSeconds: number;
  /** Agent flush max_bytes. --flush-max-bytes, FLOE_BENCH_FLUSH_MAX_BYTES. @default 67108864 (64 MiB, the agent's default) */
  flushMaxBytes: number;
  /** Agent flush max_records. --flush-max-records, FLOE_BENCH_FLUSH_MAX_RECORDS. @default 10000000 (so bytes and time decide) */
  flushMaxRecords: number;
  /** Agent flush interval_seconds, also the sink's commit interval. --flush-interval, FLOE_BENCH_FLUSH_INTERVAL. @default 10 (quick: 2) */
  flushIntervalSeconds: number;
  /** Keep the agent's table compaction on during the throughput phase. --compaction, FLOE_BENCH_COMPACTION=1. @default false */
  compaction: boolean;
  /** Profile the throughput agent with node --cpu-prof and list hot spots. --cpu-prof, FLOE_BENCH_CPU_PROF=1. @default false */
  cpuProf: boolean;
  /**
   * Start the agent with the glibc allocator settings README recommends (MALLOC_ARENA_MAX=2,
   * MALLOC_MMAP_THRESHOLD_=131072). --no-malloc-tuning, FLOE_BENCH_MALLOC_TUNING=0. @default true
   */
  mallocTuning: boolean;
  /** Where the JSON report goes. --out, FLOE_BENCH_OUT. @default bench/results/<utc time>.json */
  out: string | null;
  /** Keep topics and objects afterwards (they are deleted by default, the disk is small). --keep, FLOE_BENCH_KEEP=1 */
  keep: boolean;
  /** Upper bound for any one phase, seconds. --phase-timeout, FLOE_BENCH_PHASE_TIMEOUT. @default 3600 */
  phaseTimeoutSeconds: number;
}

export class OptionsError extends Error {
  override name = 'OptionsError';
}

export const USAGE = `usage: npm run bench -- [options]
  --format json|avro|both   seed tables to benchmark (default both)
  --gib N                   GiB per format (default 2)
  --records N               exact records per format (instead of --gib)
  --partitions N            topic partitions (default 16)
  --quick                   tiny smoke run: 20k records, short freshness, no sink
  --sink | --no-sink        run Apache Iceberg's Kafka Connect sink too (default: yes, quick: no)
  --sink-tasks N            Connect sink tasks (default 2)
  --no-freshness            skip the steady-rate freshness phase
  --freshness-mibps N       freshness produce rate (default 10)
  --freshness-seconds N     freshness produce duration (default 60)
  --flush-max-bytes N       agent flush.max_bytes (default 67108864, the agent's default)
  --flush-max-records N     agent flush.max_records (default 10000000)
  --flush-interval N        agent flush.interval_seconds = sink commit interval (default 10)
  --compaction              leave the agent's compaction on
  --cpu-prof                profile the throughput agent (node --cpu-prof), list hot spots
  --no-malloc-tuning        run the agent without the recommended glibc malloc settings
  --out FILE                JSON report path (default bench/results/<time>.json)
  --keep                    keep topics and bucket objects
  --phase-timeout N         seconds any one phase may take (default 3600)
Every option also reads FLOE_BENCH_<NAME> (e.g. FLOE_BENCH_GIB=1).`;

function envBool(v: string | undefined): boolean | undefined {
  if (v === undefined || v === '') return undefined;
  if (['1', 'true', 'yes'].includes(v.toLowerCase())) return true;
  if (['0', 'false', 'no'].includes(v.toLowerCase())) return false;
  throw new OptionsError(`expected 0 or 1, received ${JSON.stringify(v)}`);
}

function num(path: string, raw: string | undefined, fallback: number, check: (n: number) => boolean, what: string): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || !check(n)) throw new OptionsError(`${path}: expected ${what}, received ${JSON.stringify(raw)}`);
  return n;
}

const positive = (n: number) => n > 0;
const positiveInt = (n: number) => n > 0 && Number.isInteger(n);

/** Parses argv (without node and script) and the environment into validated options. */
/** The table settings a run gives the agent. */
export function agentSettings(o: BenchOptions): AgentTableSettings {
  return { flushMaxBytes: o.flushMaxBytes, flushMaxRecords: o.flushMaxRecords, flushIntervalSeconds: o.flushIntervalSeconds, compaction: o.compaction };
}

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      format: { type: 'string' },
      gib: { type: 'string' },
      records: { type: 'string' },
      partitions: { type: 'string' },
      quick: { type: 'boolean' },
      sink: { type: 'boolean' },
      'no-sink': { type: 'boolean' },
      'sink-tasks': { type: 'string' },
      'no-freshness': { type: 'boolean' },
      'freshness-mibps': { type: 'string' },
      'freshness-seconds': { type: 'string' },
      'flush-max-bytes': { type: 'string' },
      'flush-max-records': { type: 'string' },
      'flush-interval': { type: 'string' },
      compaction: { type: 'boolean' },
      'cpu-prof': { type: 'boolean' },
      'no-malloc-tuning': { type: 'boolean' },
      out: { type: 'string' },
      keep: { type: 'boolean' },
      'phase-timeout': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) throw new OptionsError(USAGE);
  const quick = values.quick ?? envBool(env.FLOE_BENCH_QUICK) ?? false;

  const formatRaw = values.format ?? env.FLOE_BENCH_FORMAT ?? 'both';
  const formats: Format[] | undefined = ({ json: ['json'], avro: ['avro'], both: ['json', 'avro'] } as Record<string, Format[]>)[formatRaw];
  if (!formats) throw new OptionsError(`--format: expected json, avro or both, received ${JSON.stringify(formatRaw)}`);

  let sink = quick ? false : true;
  const sinkEnv = envBool(env.FLOE_BENCH_SINK);
  if (sinkEnv !== undefined) sink = sinkEnv;
  if (values.sink) sink = true;
  if (values['no-sink']) sink = false;

  const recordsRaw = values.records ?? env.FLOE_BENCH_RECORDS;
  const records = recordsRaw !== undefined && recordsRaw !== '' ? num('--records', recordsRaw, 0, positiveInt, 'a positive integer') : quick ? 20_000 : null;

  return {
    formats,
    gib: num('--gib', values.gib ?? env.FLOE_BENCH_GIB, 2, positive, 'a positive number'),
    records,
    partitions: num('--partitions', values.partitions ?? env.FLOE_BENCH_PARTITIONS, 16, positiveInt, 'a positive integer'),
    quick,
    sink,
    sinkTasks: num('--sink-tasks', values['sink-tasks'] ?? env.FLOE_BENCH_SINK_TASKS, 2, positiveInt, 'a positive integer'),
    freshness: !(values['no-freshness'] ?? envBool(env.FLOE_BENCH_FRESHNESS) === false),
    freshnessMiBps: num('--freshness-mibps', values['freshness-mibps'] ?? env.FLOE_BENCH_FRESHNESS_MIBPS, quick ? 1 : 10, positive, 'a positive number'),
    freshnessSeconds: num('--freshness-seconds', values['freshness-seconds'] ?? env.FLOE_BENCH_FRESHNESS_SECONDS, quick ? 8 : 60, positive, 'a positive number'),
    flushMaxBytes: num('--flush-max-bytes', values['flush-max-bytes'] ?? env.FLOE_BENCH_FLUSH_MAX_BYTES, 64 * 1024 * 1024, positiveInt, 'a positive integer'),
    flushMaxRecords: num('--flush-max-records', values['flush-max-records'] ?? env.FLOE_BENCH_FLUSH_MAX_RECORDS, 10_000_000, positiveInt, 'a positive integer'),
    flushIntervalSeconds: num('--flush-interval', values['flush-interval'] ?? env.FLOE_BENCH_FLUSH_INTERVAL, quick ? 2 : 10, positiveInt, 'a positive integer'),
    compaction: values.compaction ?? envBool(env.FLOE_BENCH_COMPACTION) ?? false,
    cpuProf: values['cpu-prof'] ?? envBool(env.FLOE_BENCH_CPU_PROF) ?? false,
    mallocTuning: !(values['no-malloc-tuning'] ?? envBool(env.FLOE_BENCH_MALLOC_TUNING) === false),
    out: values.out ?? env.FLOE_BENCH_OUT ?? null,
    keep: values.keep ?? envBool(env.FLOE_BENCH_KEEP) ?? false,
    phaseTimeoutSeconds: num('--phase-timeout', values['phase-timeout'] ?? env.FLOE_BENCH_PHASE_TIMEOUT, 3600, positive, 'a positive number'),
  };
}
