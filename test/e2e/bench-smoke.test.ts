// The benchmark harness (bench/run.ts) works: a --quick run on the rig (20k records per format,
// Floe and the raw consume ceiling, a short freshness phase) produces a report whose numbers are
// all there and sane. It checks the harness, never a speed. The Iceberg Kafka Connect sink is left
// out by default (JVM start and plugin scan take ~30 s per format); FLOE_BENCH_SMOKE_SINK=1 adds it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadRig, rigProcessEnv } from '../helpers/index.ts';
import type { BenchReport } from '../../bench/lib/report.ts';

const RUN = fileURLToPath(new URL('../../bench/run.ts', import.meta.url));
const AB = fileURLToPath(new URL('../../bench/ab.ts', import.meta.url));
const withSink = process.env.FLOE_BENCH_SMOKE_SINK === '1';

function runBench(args: string[], timeoutMs: number, script = RUN): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { env: rigProcessEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function positive(value: unknown, what: string): void {
  assert.equal(typeof value, 'number', `${what} is not a number: ${String(value)}`);
  assert.ok(Number.isFinite(value as number) && (value as number) > 0, `${what} should be finite and > 0, got ${String(value)}`);
}

test('bench --quick produces a complete report for JSON and Avro', { timeout: 900_000 }, async () => {
  loadRig();
  const dir = mkdtempSync(path.join(tmpdir(), 'floe-bench-smoke-'));
  try {
    const out = path.join(dir, 'report.json');
    const args = ['--quick', '--format', 'both', '--out', out, ...(withSink ? ['--sink'] : [])];
    const res = await runBench(args, 840_000);
    assert.equal(res.code, 0, `bench exited with ${res.code}\nstderr:\n${res.stderr.slice(-4000)}`);
    assert.match(res.stdout, /\| json \| \*\*Floe\*\*/);

    const report = JSON.parse(readFileSync(out, 'utf8')) as BenchReport;
    assert.equal(report.reportVersion, 1);
    assert.ok(report.machine.nproc >= 1);
    assert.deepEqual(report.formats.map((f) => f.format), ['json', 'avro']);
    for (const f of report.formats) {
      const what = (s: string) => `${f.format}: ${s}`;
      assert.equal(f.records, 20_000, what('records'));
      assert.equal(f.partitions, 16, what('partitions'));
      positive(f.bytes, what('bytes'));
      assert.equal(f.ceiling.records, f.records, what('ceiling read every record'));
      positive(f.ceiling.throughput.mibPerSecond, what('ceiling MiB/s'));
      positive(f.ceilingReadings.before, what('ceiling read before Floe'));
      positive(f.ceilingReadings.after, what('ceiling read after Floe'));
      assert.equal(f.ceiling.mibPerSecond, Math.max(f.ceilingReadings.before, f.ceilingReadings.after), what('the ceiling is the faster reading'));

      assert.equal(f.floeError, null, what('Floe failed'));
      const floe = f.floe!;
      assert.equal(floe.records, f.records, what('Floe committed every record'));
      for (const [k, v] of Object.entries({
        seconds: floe.throughput.seconds,
        mibPerSecond: floe.throughput.mibPerSecond,
        recordsPerSecond: floe.throughput.recordsPerSecond,
        cpuSecondsPerGiB: floe.throughput.cpuSecondsPerGiB,
        peakRssMiB: floe.throughput.peakRssMiB,
        filesWritten: floe.filesWritten,
        tableBytes: floe.tableBytes,
      })) {
        positive(v, what(`floe ${k}`));
      }
      positive(f.ratios.floeOverCeiling, what('Floe / ceiling'));
      // Floe's rate from listening on is above its rate from process start.
      assert.ok(f.ratios.floeAfterStartupOverCeiling! > f.ratios.floeOverCeiling!, what('Floe after start-up / ceiling'));

      assert.equal(f.freshnessError, null, what('freshness failed'));
      const fr = f.freshness!;
      positive(fr.records, what('freshness records'));
      positive(fr.p50Seconds, what('freshness p50'));
      positive(fr.p99Seconds, what('freshness p99'));
      assert.ok(fr.p99Seconds >= fr.p50Seconds, what('p99 >= p50'));
      positive(fr.achievedMiBPerSecond, what('freshness produce rate'));

      if (withSink) {
        assert.equal(f.sinkError, null, what('sink failed'));
        assert.equal(f.sink!.records, f.records, what('sink committed every record'));
        positive(f.sink!.throughput.mibPerSecond, what('sink MiB/s'));
        positive(f.ratios.floeOverSink, what('Floe / sink'));
      } else {
        assert.equal(f.sink, null, what('sink ran without --sink'));
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bench/ab.ts runs two versions in turn on one loaded topic and refuses bad arguments', { timeout: 600_000 }, async () => {
  loadRig();
  for (const [args, message] of [
    [['HEAD'], /name at least two versions, got 1/],
    [['--rounds', '0', 'HEAD', '.'], /--rounds must be a whole number from 1, got "0"/],
    [['no-such-revision', '.'], /"no-such-revision" is not a git revision/],
    [['HEAD', '.:NOEQUALS'], /must be NAME=VALUE pairs, got "NOEQUALS"/],
  ] as const) {
    const r = await runBench([...args], 60_000, AB);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, message);
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'floe-ab-smoke-'));
  try {
    const out = path.join(dir, 'ab.json');
    // HEAD is taken with git archive, "." is this checkout; the environment reaches the agent.
    const r = await runBench(['--format', 'json', '--gib', '0.005', '--rounds', '1', '--out', out, 'HEAD', '.:FLOE_FLUSH_IDLE_MS=500'], 540_000, AB);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const report = JSON.parse(readFileSync(out, 'utf8')) as { results: Array<{ format: string; version: string; mibPerSecond: number; cpuSecondsPerGiB: number }> };
    assert.deepEqual(report.results.map((x) => x.version).sort(), ['.:FLOE_FLUSH_IDLE_MS=500', 'HEAD']);
    for (const x of report.results) {
      assert.equal(x.format, 'json');
      positive(x.mibPerSecond, `${x.version} MiB/s`);
      positive(x.cpuSecondsPerGiB, `${x.version} CPU-s/GiB`);
    }
    assert.match(r.stdout, /\| json \| HEAD \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ \|/);
    assert.equal(existsSync(fileURLToPath(new URL('../../bench/.ab', import.meta.url))), false, 'the extracted trees are removed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
