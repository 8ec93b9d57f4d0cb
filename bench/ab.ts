// Same-hour A/B of agent versions: `npm run bench`'s agent phase only, versions in turn.
//
//   node bench/ab.ts [--format json|avro|both] [--gib N] [--rounds N] [--out FILE] VERSION...
//
// VERSION is a git revision (its agent/ tree, taken with `git archive` into bench/.ab/) or "." for
// this checkout, optionally followed by agent environment: "HEAD:FLOE_CONCURRENT_RECOMPILATION=0".
// Each format's topic is loaded once, as `npm run bench` loads it, and read by the ceiling tool once
// (for its byte count); then every round runs each version's agent over the whole topic into a
// fresh table, in turn, the order reversed every other round. Loading takes ~45 s per GiB and this
// machine's speed drifts within minutes, so this compares versions more closely than whole bench
// runs. Each round prints, besides MiB/s and CPU, when the agent listened, first committed and was
// done (seconds from its start), so a small topic (--gib 0.25) compares start-ups. Topics, tables
// and extracted trees are removed at the end.
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadRig } from '../test/helpers/index.ts';
import { averageSize, sampleValues, SEED_POOL } from './lib/seed.ts';
import { loadTopic } from './lib/load.ts';
import { runCeiling } from './lib/ceiling.ts';
import { runFloe, threadSummary } from './lib/floe.ts';
import { BenchBucket } from './lib/tables.ts';
import { throughput } from './lib/report.ts';
import { agentSettings, parseOptions, type Format } from './lib/options.ts';
import { extractAgentTree, resolveCommit, ROOT, TREES } from './lib/trees.ts';

const USAGE = 'usage: node bench/ab.ts [--format json|avro|both] [--gib N] [--rounds N] [--out FILE] VERSION... (VERSION: a git revision or ".", optionally ":NAME=VALUE,...")';

interface Version {
  label: string;
  cli: string;
  env: Record<string, string>;
}

function fail(message: string): never {
  process.stderr.write(`bench/ab: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function parse(): { formats: Format[]; gib: number; rounds: number; out: string | null; specs: string[] } {
  let parsed;
  try {
    parsed = parseArgs({ allowPositionals: true, options: { format: { type: 'string' }, gib: { type: 'string' }, rounds: { type: 'string' }, out: { type: 'string' } } });
  } catch (e) {
    fail((e as Error).message);
  }
  const { values, positionals } = parsed;
  const format = values.format ?? 'both';
  if (!['json', 'avro', 'both'].includes(format)) fail(`--format must be json, avro or both, got ${JSON.stringify(format)}`);
  const gib = Number(values.gib ?? 1);
  if (!(gib > 0)) fail(`--gib must be a positive number, got ${JSON.stringify(values.gib)}`);
  const rounds = Number(values.rounds ?? 4);
  if (!Number.isInteger(rounds) || rounds < 1) fail(`--rounds must be a whole number from 1, got ${JSON.stringify(values.rounds)}`);
  if (positionals.length < 2) fail(`name at least two versions, got ${positionals.length}`);
  return { formats: format === 'both' ? ['json', 'avro'] : [format as Format], gib, rounds, out: values.out ?? null, specs: positionals };
}

/** The version's `floe` entry point (its agent/ tree extracted under bench/.ab/) and environment. */
function prepare(spec: string): Version {
  const colon = spec.indexOf(':');
  const rev = colon < 0 ? spec : spec.slice(0, colon);
  const env: Record<string, string> = {};
  if (colon >= 0) {
    for (const pair of spec.slice(colon + 1).split(',').filter(Boolean)) {
      const eq = pair.indexOf('=');
      if (eq <= 0) fail(`environment in ${JSON.stringify(spec)} must be NAME=VALUE pairs, got ${JSON.stringify(pair)}`);
      env[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
  }
  if (rev === '.') return { label: spec, cli: path.join(ROOT, 'agent/src/cli/main.ts'), env };
  let commit: string;
  try {
    commit = resolveCommit(rev);
  } catch (e) {
    fail((e as Error).message);
  }
  return { label: spec, cli: path.join(extractAgentTree(commit, commit), 'agent/src/cli/main.ts'), env };
}

async function main(): Promise<void> {
  const o = parse();
  const defaults = parseOptions([], {}); // the agent settings and partitions of `npm run bench`
  const versions = o.specs.map((s) => prepare(s));
  const rig = loadRig();
  const bucket = new BenchBucket(rig);
  const runId = `ab-${Date.now()}-${process.pid}`;
  const cleanup: Array<() => Promise<unknown>> = [];
  const results: Array<{ format: Format; version: string; round: number; mibPerSecond: number; cpuSecondsPerGiB: number | null; peakRssMiB: number | null; seconds: number; startupSeconds: number | null; firstCommitSeconds: number | null; threadCpuSeconds: Record<string, number> }> = [];
  try {
    for (const format of o.formats) {
      const pool = sampleValues(format, SEED_POOL);
      const records = Math.max(1, Math.round((o.gib * 2 ** 30) / averageSize(pool)));
      const { topic } = await loadTopic(format, { prefix: `ab-${format}`, partitions: defaults.partitions, records, pool, size: `${o.gib} GiB`, cleanup, log: console.log });
      const ceiling = await runCeiling(topic, records, 3_600_000);
      console.log(`ab ${format}: ceiling ${ceiling.mibPerSecond.toFixed(1)} MiB/s (read once, for the byte count)`);
      let run = 0;
      for (let round = 0; round < o.rounds; round++) {
        for (const v of round % 2 === 0 ? versions : [...versions].reverse()) {
          const prefix = `bench/${runId}/${format}-${run++}`;
          const r = await runFloe({
            ...agentSettings(defaults),
            format,
            topic,
            ...bucket.floeTableAt(prefix, topic),
            bucket,
            timeoutMs: 3_600_000,
            cpuProfDir: null,
            mallocTuning: defaults.mallocTuning,
            cli: v.cli,
            extraEnv: v.env,
            log: () => {},
          });
          const t = throughput(ceiling.bytes, records, r.seconds, r.cpuSeconds, r.peakRssBytes, r.startupSeconds);
          const rss = r.peakRssBytes === null ? null : r.peakRssBytes / 2 ** 20;
          results.push({
            format,
            version: v.label,
            round,
            mibPerSecond: t.mibPerSecond,
            cpuSecondsPerGiB: t.cpuSecondsPerGiB,
            peakRssMiB: rss,
            seconds: r.seconds,
            startupSeconds: r.startupSeconds,
            firstCommitSeconds: r.firstCommitSeconds,
            threadCpuSeconds: r.threadCpuSeconds,
          });
          const at = (x: number | null): string => x?.toFixed(2) ?? '?';
          console.log(
            `ab ${format} round ${round} ${v.label}: ${t.mibPerSecond.toFixed(1)} MiB/s, ${t.cpuSecondsPerGiB?.toFixed(1) ?? '?'} CPU-s/GiB, peak RSS ${rss?.toFixed(0) ?? '?'} MiB; ` +
              `listening ${at(r.startupSeconds)} s, first commit ${at(r.firstCommitSeconds)} s, done ${at(r.seconds)} s; CPU-s by thread: ${threadSummary(r.threadCpuSeconds)}`,
          );
        }
      }
    }
  } finally {
    for (const c of cleanup) await c().catch(() => {});
    await bucket.deletePrefix(`bench/${runId}/`).catch(() => 0);
    rmSync(TREES, { recursive: true, force: true });
  }
  const median = (xs: number[]): number => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  console.log('\n| format | version | CPU-s/GiB, each round | median CPU-s/GiB | median MiB/s | median s to first commit | median s to done |\n|---|---|---|---:|---:|---:|---:|');
  for (const format of o.formats) {
    for (const v of versions) {
      const mine = results.filter((r) => r.format === format && r.version === v.label);
      const cpu = mine.map((r) => r.cpuSecondsPerGiB ?? NaN);
      const first = median(mine.map((r) => r.firstCommitSeconds ?? NaN));
      console.log(`| ${format} | ${v.label} | ${cpu.map((c) => c.toFixed(1)).join(', ')} | ${median(cpu).toFixed(1)} | ${median(mine.map((r) => r.mibPerSecond)).toFixed(1)} | ${first.toFixed(2)} | ${median(mine.map((r) => r.seconds)).toFixed(2)} |`);
    }
  }
  if (o.out) writeFileSync(o.out, `${JSON.stringify({ command: process.argv.slice(1).join(' '), results }, null, 2)}\n`);
}

main().catch((e) => {
  process.stderr.write(`bench/ab: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
