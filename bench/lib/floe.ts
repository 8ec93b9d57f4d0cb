// One Floe agent process (the real CLI, as a user starts it) ingesting an already loaded topic, timed
// from process start until the table's current snapshot records every partition's end offset.
import { mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { AgentProcess } from '../../test/e2e/agent-process.ts';
import { endOffsets } from '../../test/helpers/index.ts';
import { ProcessWatcher, LoadMeter, type MachineLoad } from './proc.ts';
import { agentConfigYaml, agentEnv, type AgentTableSettings } from './seed.ts';
import { committedSeconds, type BenchBucket } from './tables.ts';
import type { Format } from './options.ts';

export interface FloeRunResult {
  records: number;
  /** Process start to the commit that made the last record visible (as polled, 500 ms granularity). */
  seconds: number;
  /** Process start to the agent's control listener being up. */
  startupSeconds: number | null;
  /** Process start to the first snapshot. */
  firstCommitSeconds: number | null;
  cpuSeconds: number;
  /** The kernel's share of cpuSeconds. */
  systemCpuSeconds: number;
  /** cpuSeconds per thread name (ProcSample.threadCpuSeconds), at the same moment. */
  threadCpuSeconds: Record<string, number>;
  peakRssBytes: number;
  filesWritten: number;
  commits: number;
  snapshots: number;
  tableBytes: number;
  /** floe_bytes_ingested_total: Kafka key+value bytes the agent committed. */
  agentBytesIngested: number;
  /** node --cpu-prof output of the agent, one file per thread, main thread first. */
  cpuProfiles: string[];
  load: MachineLoad;
}

export interface FloeRunOptions extends AgentTableSettings {
  format: Format;
  topic: string;
  bucketUrl: string;
  tablePrefix: string;
  bucket: BenchBucket;
  timeoutMs: number;
  /** Folder for node --cpu-prof output; no profiling when null. */
  cpuProfDir: string | null;
  /** See BenchOptions.mallocTuning. */
  mallocTuning: boolean;
  /** The `floe` entry point to run (another version's, for bench/ab.ts); this checkout's by default. */
  cli?: string;
  /** Environment for the agent on top of the bench's own. */
  extraEnv?: Record<string, string>;
  log: (msg: string) => void;
}

/** "MainThread 3.1, floe-ingest-0 5.2, ...": the threads that used at least 0.05 CPU-seconds. */
export function threadSummary(threadCpuSeconds: Record<string, number>): string {
  return Object.entries(threadCpuSeconds)
    .filter(([, s]) => s >= 0.05)
    .map(([name, s]) => `${name} ${s.toFixed(1)}`)
    .join(', ');
}

export async function runFloe(o: FloeRunOptions): Promise<FloeRunResult> {
  const ends = await endOffsets(o.topic);
  const records = ends.reduce((a, b) => a + b, 0);
  const yaml = agentConfigYaml(o.format, o.topic, o.bucketUrl, o);
  const env = { ...agentEnv(o.mallocTuning), ...o.extraEnv };
  if (o.cpuProfDir) {
    mkdirSync(o.cpuProfDir, { recursive: true });
    env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --cpu-prof --cpu-prof-dir=${o.cpuProfDir}`.trim();
  }
  const meter = new LoadMeter();
  const t0 = performance.now();
  const t0Wall = Date.now();
  const agent = AgentProcess.start({ configYaml: yaml, name: `bench-${o.format}`, env, cli: o.cli });
  const watcher = new ProcessWatcher(agent.child.pid!);
  const since = () => (performance.now() - t0) / 1000;
  try {
    let startupSeconds: number | null = null;
    let firstCommitSeconds: number | null = null;
    let lastReport = 0;
    const deadline = t0 + o.timeoutMs;
    for (;;) {
      if (agent.exited) throw new Error(`agent exited with ${agent.exitCode}:\n${agent.tail()}`);
      if (performance.now() > deadline) throw new Error(`agent did not catch up within ${o.timeoutMs / 1000} s:\n${agent.tail()}`);
      if (startupSeconds === null && agent.url !== null) startupSeconds = since();
      const st = await o.bucket.floeTable(o.tablePrefix);
      if (st.snapshotId !== null && firstCommitSeconds === null) firstCommitSeconds = committedSeconds(st, t0Wall, since());
      const done = ends.every((end, p) => end === 0 || st.offsets.get(p) === end);
      if (done) {
        const seconds = committedSeconds(st, t0Wall, since());
        const proc = watcher.sample();
        const result: FloeRunResult = {
          records,
          seconds,
          startupSeconds,
          firstCommitSeconds,
          cpuSeconds: proc.cpuSeconds,
          systemCpuSeconds: proc.systemCpuSeconds,
          threadCpuSeconds: proc.threadCpuSeconds,
          peakRssBytes: proc.peakRssBytes,
          filesWritten: st.totalDataFiles,
          commits: 0,
          snapshots: st.snapshots,
          tableBytes: st.totalFilesSize,
          agentBytesIngested: 0,
          cpuProfiles: [],
          load: meter.end(),
        };
        if (st.totalRecords !== records) throw new Error(`table holds ${st.totalRecords} records, the topic ${records}`);
        return await finish(agent, watcher, result, o);
      }
      if (since() - lastReport >= 15) {
        lastReport = since();
        const committed = [...st.offsets.values()].reduce((a, b) => a + b, 0);
        o.log(`  floe ${o.format}: ${committed}/${records} records committed after ${lastReport.toFixed(0)} s`);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  } catch (e) {
    watcher.stop();
    await agent.kill();
    throw e;
  }
}

async function finish(agent: AgentProcess, watcher: ProcessWatcher, r: FloeRunResult, o: FloeRunOptions): Promise<FloeRunResult> {
  // The agent's own counters, from its /metrics listener.
  if (agent.url) {
    r.commits = await agent.metricSum('floe_commits_total').catch(() => 0);
    r.agentBytesIngested = await agent.metricSum('floe_bytes_ingested_total').catch(() => 0);
  }
  const code = await agent.stop(60_000);
  const last = watcher.stop();
  // CPU stays as sampled at catch-up (the graceful stop is not ingest work); the peak covers it all.
  r.peakRssBytes = Math.max(r.peakRssBytes, last.peakRssBytes);
  if (code !== 0) o.log(`  floe ${o.format}: agent exited with ${code} on SIGTERM:\n${agent.tail(10)}`);
  if (o.cpuProfDir) {
    // One file per thread (CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile): the main thread first.
    const files = readdirSync(o.cpuProfDir).filter((f) => f.endsWith('.cpuprofile') && f.includes(`.${agent.child.pid}.`));
    const thread = (f: string) => Number(f.split('.').at(-3));
    files.sort((a, b) => thread(a) - thread(b));
    r.cpuProfiles = files.map((f) => path.join(o.cpuProfDir!, f));
  }
  return r;
}
