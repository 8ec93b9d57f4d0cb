// The benchmark report: one JSON document (what the smoke test checks, what BENCHMARKS.md quotes)
// and its Markdown rendering with ratios against the named peers and the issue's targets.
import type { BenchOptions, Format } from './options.ts';
import type { MachineInfo } from './proc.ts';
import type { LoadResult } from './load.ts';
import type { CeilingResult } from './ceiling.ts';
import type { FloeRunResult } from './floe.ts';
import type { SinkRunResult } from './sink.ts';
import type { FreshnessResult } from './freshness.ts';
import type { ProfileSummary } from './profile.ts';

export interface Throughput {
  seconds: number;
  mibPerSecond: number;
  recordsPerSecond: number;
  /** null where the peer's CPU is not measured (the ceiling's JVM also counts its own start). */
  cpuSecondsPerGiB: number | null;
  peakRssMiB: number | null;
  /** Rate after the process's start-up (JVM/plugin scan, Node module load, group join). */
  mibPerSecondAfterStartup: number | null;
}

export interface FormatReport {
  format: Format;
  topic: string;
  partitions: number;
  records: number;
  /** Kafka key+value bytes of the topic. */
  bytes: number;
  avgRecordBytes: number;
  load: LoadResult;
  /** The faster of the two readings around Floe's run (ceilingReadings). */
  ceiling: CeilingResult & { throughput: Throughput };
  /** The ceiling's MiB/s read right before and right after Floe's run. */
  ceilingReadings: { before: number; after: number };
  floe: (FloeRunResult & { throughput: Throughput }) | null;
  floeError: string | null;
  sink: (SinkRunResult & { throughput: Throughput }) | null;
  sinkError: string | null;
  freshness: FreshnessResult | null;
  freshnessError: string | null;
  ratios: {
    floeOverSink: number | null;
    /** End to end: Floe's seconds count its process's start (the issue's target is checked on this one). */
    floeOverCeiling: number | null;
    /**
     * Like for like: Floe from listening on (group join included) against the tool's rate, which
     * starts after its JVM's start and includes its group join.
     */
    floeAfterStartupOverCeiling: number | null;
    sinkOverCeiling: number | null;
  };
  profile: ProfileSummary | null;
}

export interface BenchReport {
  reportVersion: 1;
  startedAt: string;
  finishedAt: string;
  gitCommit: string;
  command: string;
  options: BenchOptions;
  machine: MachineInfo;
  formats: FormatReport[];
}

export function throughput(bytes: number, records: number, seconds: number, cpuSeconds: number | null, peakRssBytes: number | null, startupSeconds: number | null = null): Throughput {
  return {
    mibPerSecondAfterStartup: startupSeconds === null ? null : bytes / 2 ** 20 / (seconds - startupSeconds),
    seconds,
    mibPerSecond: bytes / 2 ** 20 / seconds,
    recordsPerSecond: records / seconds,
    cpuSecondsPerGiB: cpuSeconds === null ? null : cpuSeconds / (bytes / 2 ** 30),
    peakRssMiB: peakRssBytes === null ? null : peakRssBytes / 2 ** 20,
  };
}

const f = (n: number | null | undefined, digits = 1) => (n === null || n === undefined || !Number.isFinite(n) ? '–' : n.toFixed(digits));
const int = (n: number | null | undefined) => (n === null || n === undefined || !Number.isFinite(n) ? '–' : Math.round(n).toLocaleString('en-US'));
const mark = (ok: boolean | null) => (ok === null ? '–' : ok ? 'yes' : 'no');

export function renderMarkdown(r: BenchReport): string {
  const out: string[] = [];
  const m = r.machine;
  out.push(`Machine: ${m.cpuModel}, ${m.nproc} cores, ${m.memoryGiB} GiB; ${m.kernel}; Node ${m.node}; ${m.java}; load average at start ${m.loadavgAtStart.join(' ')}`);
  out.push(`Command: \`${r.command}\` (commit ${r.gitCommit}), ${r.startedAt} → ${r.finishedAt}`);
  out.push('');
  out.push('| format | system | records | GiB | seconds | start-up s | MiB/s | MiB/s after start-up | records/s | CPU-s/GiB | peak RSS MiB | data files | × ceiling | machine busy |');
  out.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const x of r.formats) {
    const gib = f(x.bytes / 2 ** 30, 2);
    const c = x.ceiling.throughput;
    out.push(`| ${x.format} | raw ceiling (kafka-consumer-perf-test; ${f(x.ceilingReadings.before)} before Floe, ${f(x.ceilingReadings.after)} after) | ${int(x.records)} | ${gib} | ${f(c.seconds)} | – | ${f(c.mibPerSecond)} | – | ${int(c.recordsPerSecond)} | – | – | – | 1.00 | ${f(x.ceiling.load.cpuBusyShare * 100, 0)}% |`);
    if (x.floe) {
      const t = x.floe.throughput;
      out.push(`| ${x.format} | **Floe** (1 agent) | ${int(x.records)} | ${gib} | ${f(t.seconds)} | ${f(x.floe.startupSeconds)} | ${f(t.mibPerSecond)} | ${f(t.mibPerSecondAfterStartup)} | ${int(t.recordsPerSecond)} | ${f(t.cpuSecondsPerGiB)} | ${f(t.peakRssMiB, 0)} | ${int(x.floe.filesWritten)} | ${f(x.ratios.floeOverCeiling, 2)} | ${f(x.floe.load.cpuBusyShare * 100, 0)}% |`);
    } else {
      out.push(`| ${x.format} | **Floe** | failed: ${oneLine(x.floeError)} | | | | | | | | | | | |`);
    }
    if (x.sink) {
      const t = x.sink.throughput;
      out.push(`| ${x.format} | Iceberg Kafka Connect sink ${x.sink.icebergVersion} (${x.sink.tasks} tasks) | ${int(x.records)} | ${gib} | ${f(t.seconds)} | ${f(x.sink.startupSeconds)} | ${f(t.mibPerSecond)} | ${f(t.mibPerSecondAfterStartup)} | ${int(t.recordsPerSecond)} | ${f(t.cpuSecondsPerGiB)} | ${f(t.peakRssMiB, 0)} | ${int(x.sink.filesWritten)} | ${f(x.ratios.sinkOverCeiling, 2)} | ${f(x.sink.load.cpuBusyShare * 100, 0)}% |`);
    } else if (x.sinkError) {
      out.push(`| ${x.format} | Iceberg Kafka Connect sink | failed: ${oneLine(x.sinkError)} | | | | | | | | | | | |`);
    }
  }
  out.push('');
  out.push('| format | Floe / sink (throughput) | Floe / raw ceiling | Floe after start-up / raw ceiling | freshness p50 s | p99 s | max s | at MiB/s (target) | flush interval s |');
  out.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const x of r.formats) {
    const fr = x.freshness;
    out.push(
      `| ${x.format} | ${f(x.ratios.floeOverSink, 2)} | ${f(x.ratios.floeOverCeiling, 2)} | ${f(x.ratios.floeAfterStartupOverCeiling, 2)} | ${fr ? f(fr.p50Seconds, 2) : '–'} | ${fr ? f(fr.p99Seconds, 2) : '–'} | ${fr ? f(fr.maxSeconds, 2) : '–'} | ${fr ? `${f(fr.achievedMiBPerSecond)} (${f(fr.targetMiBPerSecond, 0)})` : x.freshnessError ? `failed: ${oneLine(x.freshnessError)}` : '–'} | ${fr ? fr.flushIntervalSeconds : '–'} |`,
    );
  }
  out.push('');
  out.push('Targets (issue 8):');
  out.push('');
  out.push('| format | ≥ 2× sink | ≥ 0.5× ceiling | ≤ 40 CPU-s/GiB | p99 ≤ 2× interval | peak RSS < 1 GiB |');
  out.push('|---|---|---|---|---|---|');
  for (const x of r.formats) {
    const t = x.floe?.throughput;
    const fr = x.freshness;
    const rss = Math.max(t?.peakRssMiB ?? 0, fr ? fr.peakRssBytes / 2 ** 20 : 0);
    out.push(
      `| ${x.format} | ${mark(x.ratios.floeOverSink === null ? null : x.ratios.floeOverSink >= 2)} | ${mark(x.ratios.floeOverCeiling === null ? null : x.ratios.floeOverCeiling >= 0.5)} | ${mark(t?.cpuSecondsPerGiB == null ? null : t.cpuSecondsPerGiB <= 40)} | ${mark(fr ? fr.p99Seconds <= 2 * fr.flushIntervalSeconds : null)} | ${mark(t ? rss < 1024 : null)} |`,
    );
  }
  for (const x of r.formats) {
    if (!x.profile) continue;
    out.push('');
    out.push(`CPU profile, ${x.format} agent (${x.profile.file}; ${f(x.profile.durationSeconds)} s, busy ${f(x.profile.busyShare * 100, 0)}% of the main thread${x.profile.threadBusy.length > 1 ? `, ${x.profile.threadBusy.slice(1).map((b) => `${f(b * 100, 0)}%`).join(' / ')} of the ingest workers` : ''}; shares below are of all threads' busy samples, GC ${f(x.profile.gcShare * 100, 1)}% of them; main-thread profile kept):`);
    out.push('');
    out.push('| self % | function |');
    out.push('|---:|---|');
    for (const h of x.profile.functions) out.push(`| ${f(h.selfShare * 100, 1)} | \`${h.name}\` |`);
    out.push('');
    out.push('| self % | module or package |');
    out.push('|---:|---|');
    for (const h of x.profile.files) out.push(`| ${f(h.selfShare * 100, 1)} | \`${h.name}\` |`);
  }
  return out.join('\n');
}

function oneLine(s: string | null): string {
  return (s ?? '').split('\n')[0].replace(/\|/g, '/').slice(0, 160);
}
