// The ceiling: how fast Kafka's own consumer perf tool reads the topic, doing nothing with the
// records. Nothing that also decodes, writes Parquet and commits can beat it on the same machine.
import { kafkaCli, loadRig, uniqueGroup } from '../../test/helpers/index.ts';
import { LoadMeter, type MachineLoad } from './proc.ts';

export interface CeilingResult {
  records: number;
  /** data.consumed.in.MB × 2^20: the topic's key+value bytes as the consumer counted them. */
  bytes: number;
  /** From the tool's start time (after JVM start) to its last record, including the group join. */
  seconds: number;
  mibPerSecond: number;
  recordsPerSecond: number;
  /** The tool's fetch-only rate (excluding the group rebalance). */
  fetchMiBPerSecond: number;
  /** The whole process, JVM start included. */
  wallSeconds: number;
  load: MachineLoad;
}

export async function runCeiling(topic: string, records: number, timeoutMs: number): Promise<CeilingResult> {
  const rig = loadRig();
  const meter = new LoadMeter();
  const started = performance.now();
  const res = await kafkaCli(
    'kafka-consumer-perf-test.sh',
    ['--bootstrap-server', rig.kafka.bootstrap, '--topic', topic, '--messages', String(records), '--group', uniqueGroup('floe-bench-ceiling'), '--timeout', '60000'],
    { timeoutMs, env: { KAFKA_HEAP_OPTS: '-Xms512m -Xmx1g' } },
  );
  const wallSeconds = (performance.now() - started) / 1000;
  const lines = res.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  const h = lines.findIndex((l) => l.startsWith('start.time'));
  if (h < 0 || !lines[h + 1]) throw new Error(`kafka-consumer-perf-test.sh printed no result:\n${res.stdout}\n${res.stderr.slice(-2000)}`);
  const names = lines[h].split(',').map((s) => s.trim());
  const values = lines[h + 1].split(',').map((s) => s.trim());
  const get = (name: string) => {
    const i = names.indexOf(name);
    if (i < 0) throw new Error(`kafka-consumer-perf-test.sh output lacks ${name}: ${lines[h]}`);
    return values[i];
  };
  const consumed = Number(get('data.consumed.in.nMsg'));
  if (consumed !== records) throw new Error(`kafka-consumer-perf-test.sh read ${consumed} records, expected ${records}`);
  const mb = Number(get('data.consumed.in.MB'));
  const mbSec = Number(get('MB.sec'));
  return {
    records: consumed,
    bytes: Math.round(mb * 2 ** 20),
    seconds: mbSec > 0 ? mb / mbSec : NaN,
    mibPerSecond: mbSec,
    recordsPerSecond: Number(get('nMsg.sec')),
    fetchMiBPerSecond: Number(get('fetch.MB.sec')),
    wallSeconds,
    load: meter.end(),
  };
}
