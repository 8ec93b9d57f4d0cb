// `npm run bench`: Floe against its named peers, on the rig, in one run.
//
// For each format (the seed's JSON logs, its Avro events):
//   load      fill a fresh topic (16 partitions) with N GiB of seed records
//   ceiling   kafka-consumer-perf-test.sh reads it: the raw consume rate nothing can beat
//   floe      one `floe agent` process ingests it into MinIO; timed to the commit of the last record
//   ceiling   read again; the faster of the two readings is the ceiling
//   sink      Apache Iceberg's Kafka Connect sink ingests the same topic into the same MinIO
//   freshness a fresh topic at a steady 10 MiB/s for 60 s; produce-to-visible per record, p50/p99
// then prints a Markdown report and writes the JSON report (--out). Topics and objects are removed
// afterwards unless --keep. See BENCHMARKS.md for results and how to read them.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTopic, deleteTopic, loadRig, uniqueTopic } from '../test/helpers/index.ts';
import { agentSettings, parseOptions, OptionsError, type BenchOptions, type Format } from './lib/options.ts';
import { machineInfo } from './lib/proc.ts';
import { sampleValues, averageSize, SEED_POOL } from './lib/seed.ts';
import { loadTopic } from './lib/load.ts';
import { runCeiling } from './lib/ceiling.ts';
import { runFloe, threadSummary } from './lib/floe.ts';
import { installSink, runSink } from './lib/sink.ts';
import { runFreshness } from './lib/freshness.ts';
import { summarizeProfile } from './lib/profile.ts';
import { BenchBucket } from './lib/tables.ts';
import { renderMarkdown, throughput, type BenchReport, type FormatReport } from './lib/report.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const log = (msg: string) => process.stderr.write(`${msg}\n`);

function ensureRig(): void {
  try {
    execFileSync('bash', [path.join(ROOT, 'test/rig/up.sh'), '--check'], { stdio: 'ignore' });
  } catch {
    log('bench: starting the test rig (test/rig/up.sh)');
    execFileSync('bash', [path.join(ROOT, 'test/rig/up.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
  }
  loadRig({ reload: true });
}

function gitCommit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT, encoding: 'utf8' }).trim();
    return dirty ? `${head}+dirty` : head;
  } catch {
    return 'unknown';
  }
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function benchFormat(format: Format, o: BenchOptions, runId: string, bucket: BenchBucket, work: string, sinkDir: string | null, cleanup: Array<() => Promise<unknown>>): Promise<FormatReport> {
  const rig = loadRig();
  const timeoutMs = o.phaseTimeoutSeconds * 1000;
  const pool = sampleValues(format, SEED_POOL);
  const avg = averageSize(pool);
  const records = o.records ?? Math.max(1, Math.round((o.gib * 2 ** 30) / avg));
  const size = `~${((records * avg) / 2 ** 30).toFixed(2)} GiB`;
  const { topic, load } = await loadTopic(format, { prefix: `bench-${format}`, partitions: o.partitions, records, pool, size, cleanup, log });
  log(`bench ${format}: loaded in ${load.seconds.toFixed(1)} s`);

  log(`bench ${format}: raw ceiling (kafka-consumer-perf-test.sh), before Floe`);
  const ceilingBefore = await runCeiling(topic, records, timeoutMs);
  const bytes = ceilingBefore.bytes;
  log(`bench ${format}: ceiling ${ceilingBefore.mibPerSecond.toFixed(1)} MiB/s`);

  const settings = agentSettings(o);
  const floePrefix = `bench/${runId}/floe-${format}`;
  let floe: FormatReport['floe'] = null;
  let floeError: string | null = null;
  let profile: FormatReport['profile'] = null;
  log(`bench ${format}: Floe agent`);
  try {
    const r = await runFloe({
      ...settings,
      format,
      topic,
      ...bucket.floeTableAt(floePrefix, topic),
      bucket,
      timeoutMs,
      cpuProfDir: o.cpuProf ? path.join(work, `cpuprof-${format}`) : null,
      mallocTuning: o.mallocTuning,
      log,
    });
    floe = { ...r, throughput: throughput(bytes, records, r.seconds, r.cpuSeconds, r.peakRssBytes, r.startupSeconds) };
    log(`bench ${format}: Floe ${floe.throughput.mibPerSecond.toFixed(1)} MiB/s; CPU-s by thread: ${threadSummary(r.threadCpuSeconds)}`);
    if (r.cpuProfiles.length > 0) {
      profile = summarizeProfile(r.cpuProfiles);
      const keep = path.join(ROOT, 'bench', 'results', `${runId}-${format}.cpuprofile`);
      mkdirSync(path.dirname(keep), { recursive: true });
      copyFileSync(r.cpuProfiles[0], keep);
      profile.file = path.relative(ROOT, keep);
    }
  } catch (e) {
    floeError = message(e);
    log(`bench ${format}: Floe failed: ${floeError}`);
  }

  // The ceiling read again right after Floe: this machine's speed drifts within minutes, and a
  // slow moment only ever lowers a reading, so the faster of the two readings around Floe's run is
  // the ceiling its ratio is taken against.
  log(`bench ${format}: raw ceiling (kafka-consumer-perf-test.sh), after Floe`);
  const ceilingAfter = await runCeiling(topic, records, timeoutMs);
  log(`bench ${format}: ceiling ${ceilingAfter.mibPerSecond.toFixed(1)} MiB/s`);
  const ceiling = ceilingAfter.mibPerSecond > ceilingBefore.mibPerSecond ? ceilingAfter : ceilingBefore;

  let sink: FormatReport['sink'] = null;
  let sinkError: string | null = null;
  if (o.sink) {
    log(`bench ${format}: Apache Iceberg Kafka Connect sink`);
    try {
      if (!sinkDir) throw new Error('the sink could not be installed (see the log above)');
      const r = await runSink(
        {
          format,
          topic,
          workDir: path.join(work, `sink-${format}`),
          warehouse: `s3://${rig.s3.bucket}/bench/${runId}/sink-${format}`,
          bucket,
          tasks: o.sinkTasks,
          commitIntervalSeconds: o.flushIntervalSeconds,
          timeoutMs,
          log,
        },
        sinkDir,
      );
      sink = { ...r, throughput: throughput(bytes, records, r.seconds, r.cpuSeconds, r.peakRssBytes, r.startupSeconds) };
      log(`bench ${format}: sink ${sink.throughput.mibPerSecond.toFixed(1)} MiB/s`);
    } catch (e) {
      sinkError = message(e);
      log(`bench ${format}: sink failed: ${sinkError}`);
    }
  }

  let freshness: FormatReport['freshness'] = null;
  let freshnessError: string | null = null;
  if (o.freshness) {
    const ftopic = uniqueTopic(`bench-fresh-${format}`);
    await createTopic(ftopic, { partitions: o.partitions });
    cleanup.push(() => deleteTopic(ftopic));
    const prefix = `bench/${runId}/fresh-${format}`;
    log(`bench ${format}: freshness at ${o.freshnessMiBps} MiB/s for ${o.freshnessSeconds} s`);
    try {
      freshness = await runFreshness({
        ...settings,
        format,
        topic: ftopic,
        partitions: o.partitions,
        ...bucket.floeTableAt(prefix, ftopic),
        bucket,
        pool,
        mibPerSecond: o.freshnessMiBps,
        seconds: o.freshnessSeconds,
        timeoutMs,
        mallocTuning: o.mallocTuning,
        log,
      });
      log(`bench ${format}: freshness p50 ${freshness.p50Seconds.toFixed(2)} s, p99 ${freshness.p99Seconds.toFixed(2)} s`);
    } catch (e) {
      freshnessError = message(e);
      log(`bench ${format}: freshness failed: ${freshnessError}`);
    }
  }

  const mib = (t: { throughput: { mibPerSecond: number } } | null) => t?.throughput.mibPerSecond ?? null;
  const ratio = (a: number | null, b: number | null) => (a !== null && b !== null && b > 0 ? a / b : null);
  const ceilingT = { ...ceiling, throughput: throughput(bytes, records, ceiling.seconds, null, null) };
  return {
    format,
    topic,
    partitions: o.partitions,
    records,
    bytes,
    avgRecordBytes: bytes / records,
    load,
    ceiling: ceilingT,
    ceilingReadings: { before: ceilingBefore.mibPerSecond, after: ceilingAfter.mibPerSecond },
    floe,
    floeError,
    sink,
    sinkError,
    freshness,
    freshnessError,
    ratios: {
      floeOverSink: ratio(mib(floe), mib(sink)),
      floeOverCeiling: ratio(mib(floe), ceiling.mibPerSecond),
      floeAfterStartupOverCeiling: ratio(floe?.throughput.mibPerSecondAfterStartup ?? null, ceiling.mibPerSecond),
      sinkOverCeiling: ratio(mib(sink), ceiling.mibPerSecond),
    },
    profile,
  };
}

async function main(argv: string[]): Promise<number> {
  let o: BenchOptions;
  try {
    o = parseOptions(argv);
  } catch (e) {
    if (e instanceof OptionsError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`${message(e)}\n`);
      return 2;
    }
    throw e;
  }
  const startedAt = new Date();
  const runId = `${startedAt.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')}-${process.pid}`;
  ensureRig();
  const rig = loadRig();
  const machine = machineInfo(rig.javaHome || '/usr/lib/jvm/java-17-openjdk-amd64');
  log(`bench: ${machine.cpuModel}, ${machine.nproc} cores, load ${machine.loadavgAtStart.join(' ')}; formats ${o.formats.join(', ')}; ${o.records ?? `${o.gib} GiB`} per format`);
  const work = mkdtempSync(path.join(tmpdir(), 'floe-bench-'));
  const bucket = new BenchBucket(rig);
  const cleanup: Array<() => Promise<unknown>> = [];
  let sinkDir: string | null = null;
  if (o.sink) {
    try {
      sinkDir = installSink(log);
    } catch (e) {
      log(`bench: the Iceberg sink could not be installed: ${message(e)}`);
    }
  }
  const formats: FormatReport[] = [];
  let failed = false;
  try {
    for (const format of o.formats) {
      const r = await benchFormat(format, o, runId, bucket, work, sinkDir, cleanup);
      formats.push(r);
      if (r.floeError || r.freshnessError) failed = true;
    }
  } finally {
    if (!o.keep) {
      for (const c of cleanup) await c().catch(() => {});
      const n = await bucket.deletePrefix(`bench/${runId}/`).catch(() => 0);
      log(`bench: removed ${cleanup.length} topics and ${n} objects (pass --keep to keep them)`);
      rmSync(work, { recursive: true, force: true });
    }
    bucket.close();
  }
  const report: BenchReport = {
    reportVersion: 1,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    gitCommit: gitCommit(),
    command: `npm run bench -- ${argv.join(' ')}`.trim(),
    options: o,
    machine,
    formats,
  };
  const out = o.out ?? path.join(ROOT, 'bench', 'results', `${runId}.json`);
  mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`${renderMarkdown(report)}\n\nJSON report: ${out}\n`);
  return failed ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
