// Freshness: produce at a steady rate with record timestamp = produce time, and watch the table the
// way a reader would (version-hint.text every 250 ms). Each produce request's acknowledgement gives
// the offsets its records got, so when a snapshot moves a partition's committed offset from a to b,
// every record in [a, b) became visible at that poll: its freshness is (seen - produced). Exact per
// record, no sampling; the 250 ms poll adds at most 250 ms. Attribution happens at the end, so an
// acknowledgement that arrives after the snapshot showing its records is still counted.
import { Producer } from '@platformatic/kafka';
import { AgentProcess } from '../../test/e2e/agent-process.ts';
import { loadRig, endOffsets } from '../../test/helpers/index.ts';
import { ProcessWatcher, LoadMeter, type MachineLoad } from './proc.ts';
import { agentConfigYaml, agentEnv, type AgentTableSettings } from './seed.ts';
import type { BenchBucket } from './tables.ts';
import type { Format } from './options.ts';

export interface FreshnessResult {
  targetMiBPerSecond: number;
  /** What the producer achieved (key+value bytes). */
  achievedMiBPerSecond: number;
  produceSeconds: number;
  records: number;
  p50Seconds: number;
  p99Seconds: number;
  maxSeconds: number;
  snapshots: number;
  flushIntervalSeconds: number;
  /** Agent CPU share of one core while the steady load ran. */
  agentCpuCores: number;
  peakRssBytes: number;
  load: MachineLoad;
}

export interface FreshnessOptions extends AgentTableSettings {
  format: Format;
  topic: string;
  partitions: number;
  bucketUrl: string;
  tablePrefix: string;
  bucket: BenchBucket;
  pool: readonly Buffer[];
  mibPerSecond: number;
  seconds: number;
  timeoutMs: number;
  /** See BenchOptions.mallocTuning. */
  mallocTuning: boolean;
  log: (msg: string) => void;
}

interface Acked {
  base: number;
  count: number;
  producedAtMs: number;
}

/** Weighted latency samples: (milliseconds, how many records). */
class Latencies {
  readonly samples: Array<[number, number]> = [];
  total = 0;
  add(ms: number, count: number): void {
    if (count <= 0) return;
    this.samples.push([ms, count]);
    this.total += count;
  }
  quantile(q: number): number {
    const sorted = [...this.samples].sort((a, b) => a[0] - b[0]);
    const target = q * this.total;
    let seen = 0;
    for (const [ms, n] of sorted) {
      seen += n;
      if (seen >= target) return ms;
    }
    return sorted.at(-1)?.[0] ?? NaN;
  }
}

export async function runFreshness(o: FreshnessOptions): Promise<FreshnessResult> {
  const rig = loadRig();
  const yaml = agentConfigYaml(o.format, o.topic, o.bucketUrl, o);
  const agent = AgentProcess.start({ configYaml: yaml, name: `fresh-${o.format}`, env: agentEnv(o.mallocTuning) });
  const watcher = new ProcessWatcher(agent.child.pid!);
  const producer = new Producer({ clientId: 'floe-bench-freshness', bootstrapBrokers: [rig.kafka.bootstrap], retries: 5 });
  const acked = new Map<number, Acked[]>();
  const latencies = new Latencies();
  let stopPolling = false;
  try {
    await agent.waitReady(120_000);
    // The table exists once the agent is ready; give the consumer a moment to join its group.
    await new Promise((r) => setTimeout(r, 2000));

    // Poll the table every 250 ms, noting when each partition's committed offset moved where.
    const visible = new Map<number, number>();
    const events = new Map<number, Array<{ next: number; seenAt: number }>>();
    let lastSnapshot: string | null = null;
    let snapshots = 0;
    const poll = async () => {
      while (!stopPolling) {
        const tick = Date.now();
        const st = await o.bucket.floeTable(o.tablePrefix).catch(() => null);
        const seenAt = Date.now();
        if (st && st.snapshotId !== null && st.snapshotId !== lastSnapshot) {
          lastSnapshot = st.snapshotId;
          snapshots++;
          for (const [p, next] of st.offsets) {
            if (next <= (visible.get(p) ?? 0)) continue;
            visible.set(p, next);
            const list = events.get(p) ?? [];
            list.push({ next, seenAt });
            events.set(p, list);
          }
        }
        await new Promise((r) => setTimeout(r, Math.max(0, 250 - (Date.now() - tick))));
      }
      return snapshots;
    };
    const poller = poll();

    // Produce in 100 ms ticks, each tick's byte budget spread round robin over the partitions.
    const meter = new LoadMeter();
    const cpuStart = watcher.sample().cpuSeconds;
    const bytesPerTick = (o.mibPerSecond * 2 ** 20) / 10;
    const started = Date.now();
    const stopAt = started + o.seconds * 1000;
    let i = 0;
    let bytes = 0;
    let records = 0;
    const pending = new Set<Promise<void>>();
    let tick = 0;
    while (Date.now() < stopAt) {
      tick++;
      const messages: Array<{ topic: string; value: Buffer; partition: number; timestamp: bigint }> = [];
      let budget = bytesPerTick;
      const now = Date.now();
      while (budget > 0) {
        const value = o.pool[i % o.pool.length];
        messages.push({ topic: o.topic, value, partition: i % o.partitions, timestamp: BigInt(now) });
        budget -= value.length;
        bytes += value.length;
        i++;
      }
      records += messages.length;
      const counts = new Map<number, number>();
      for (const m of messages) counts.set(m.partition, (counts.get(m.partition) ?? 0) + 1);
      const send = producer.send({ messages, acks: 1, compression: 'none' }).then((res) => {
        for (const off of res.offsets ?? []) {
          const list = acked.get(off.partition) ?? [];
          list.push({ base: Number(off.offset), count: counts.get(off.partition) ?? 0, producedAtMs: now });
          acked.set(off.partition, list);
        }
      });
      pending.add(send);
      void send.finally(() => pending.delete(send));
      if (pending.size > 8) await Promise.race(pending);
      const wait = started + tick * 100 - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    await Promise.all(pending);
    const produceSeconds = (Date.now() - started) / 1000;

    // Wait until everything produced is visible.
    const ends = await endOffsets(o.topic);
    const deadline = Date.now() + Math.max(o.timeoutMs, o.flushIntervalSeconds * 3000 + 60_000);
    while (!ends.every((e, p) => e === 0 || (visible.get(p) ?? 0) >= e)) {
      if (agent.exited) throw new Error(`agent exited with ${agent.exitCode}:\n${agent.tail()}`);
      if (Date.now() > deadline) throw new Error(`freshness: table did not catch up with ${o.topic}:\n${agent.tail()}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const cpu = watcher.sample().cpuSeconds - cpuStart;
    const load = meter.end();
    stopPolling = true;
    const snaps = await poller;
    // Every acknowledged produce request's records, split by the poll that first showed them.
    for (const [p, batches] of acked) {
      const evs = events.get(p) ?? [];
      for (const a of batches) {
        let prev = 0;
        for (const e of evs) {
          const lo = Math.max(a.base, prev);
          const hi = Math.min(a.base + a.count, e.next);
          if (hi > lo) latencies.add(e.seenAt - a.producedAtMs, hi - lo);
          prev = e.next;
        }
      }
    }
    if (latencies.total !== records) throw new Error(`freshness: attributed ${latencies.total} records, produced ${records}`);
    return {
      targetMiBPerSecond: o.mibPerSecond,
      achievedMiBPerSecond: bytes / 2 ** 20 / produceSeconds,
      produceSeconds,
      records,
      p50Seconds: latencies.quantile(0.5) / 1000,
      p99Seconds: latencies.quantile(0.99) / 1000,
      maxSeconds: latencies.quantile(1) / 1000,
      snapshots: snaps,
      flushIntervalSeconds: o.flushIntervalSeconds,
      agentCpuCores: cpu / ((Date.now() - started) / 1000),
      peakRssBytes: watcher.stop().peakRssBytes,
      load,
    };
  } finally {
    stopPolling = true;
    watcher.stop();
    await producer.close().catch(() => {});
    await agent.stop(30_000);
  }
}
