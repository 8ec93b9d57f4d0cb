// Kafka side of the tests: topics, producing (Kafka's own console producer for text, a Node client
// for binary values), reading back and end offsets. All against the rig's broker.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Admin, Producer, murmur2 } from '@platformatic/kafka';
import type { SASLMechanismValue } from '@platformatic/kafka';
import { loadRig, rigProcessEnv } from './rig.ts';

export type Compression = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
export const COMPRESSIONS: readonly Compression[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Written to the tool's stdin (then closed). */
  input?: string;
  /** Kill the tool after this long (default 120 s). */
  timeoutMs?: number;
  /** Resolve with a non-zero exit code instead of throwing. */
  allowFailure?: boolean;
  env?: Record<string, string>;
}

/** Runs one of the rig's Kafka tool wrappers (`kafka-topics.sh`, ...) from KAFKA_BIN. */
export function kafkaCli(tool: string, args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  const rig = loadRig();
  const file = join(rig.kafka.bin, tool);
  const timeoutMs = options.timeoutMs ?? 120_000;
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env: rigProcessEnv(options.env), stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const result: CliResult = {
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      };
      if (timedOut) {
        reject(new Error(`${tool} ${args.join(' ')} timed out after ${timeoutMs} ms\nstderr: ${tail(result.stderr)}`));
      } else if (result.code !== 0 && !options.allowFailure) {
        reject(new Error(`${tool} ${args.join(' ')} exited with ${result.code}\nstderr: ${tail(result.stderr)}\nstdout: ${tail(result.stdout)}`));
      } else {
        resolve(result);
      }
    });
    child.stdin.on('error', () => {}); // a tool that exits early closes stdin; the exit code tells
    child.stdin.end(options.input ?? '');
  });
}

function tail(text: string, max = 3000): string {
  return text.length > max ? `…${text.slice(-max)}` : text;
}

export interface TopicOptions {
  partitions?: number;
  /** Topic configs, e.g. { 'retention.ms': '-1' }. */
  config?: Record<string, string>;
}

/** Creates a topic (replication factor 1) with `partitions` partitions (default 1). */
export async function createTopic(topic: string, options: TopicOptions = {}): Promise<void> {
  const rig = loadRig();
  const args = [
    '--bootstrap-server', rig.kafka.bootstrap, '--create', '--topic', topic,
    '--partitions', String(options.partitions ?? 1), '--replication-factor', '1',
  ];
  for (const [k, v] of Object.entries(options.config ?? {})) args.push('--config', `${k}=${v}`);
  await kafkaCli('kafka-topics.sh', args);
}

export async function deleteTopic(topic: string): Promise<void> {
  const rig = loadRig();
  await kafkaCli('kafka-topics.sh', ['--bootstrap-server', rig.kafka.bootstrap, '--delete', '--topic', topic]);
}

/** A text record for the console producer. A null key or value is produced as a Kafka null. */
export interface TextRecord {
  key?: string | null;
  value: string | null;
}

export interface ProduceTextOptions {
  /** Batch compression codec (default none). */
  compression?: Compression;
  /** Extra producer configs, e.g. { 'linger.ms': '50', 'batch.size': '65536' }. */
  producerProperties?: Record<string, string>;
  timeoutMs?: number;
}

// Typed on a line where a key or value should be null (console producer `null.marker`).
const NULL_MARKER = '\u0001floe-null\u0001';
const KEY_SEPARATOR = '\t';

/**
 * Produces text records with Kafka's own kafka-console-producer.sh, one line each
 * (`parse.key=true`, key and value separated by a tab), with the given compression codec.
 * Plain strings are keyless records. Keys cannot contain tabs or newlines, values no newlines.
 * Partitioning is the Java client's: murmur2 of the key, sticky batches for keyless records.
 */
export async function produceText(
  topic: string,
  records: ReadonlyArray<string | TextRecord>,
  options: ProduceTextOptions = {},
): Promise<void> {
  const rig = loadRig();
  const lines: string[] = [];
  for (const r of records) {
    const rec: TextRecord = typeof r === 'string' ? { value: r } : r;
    const key = rec.key ?? null;
    if (key !== null && /[\t\r\n]/.test(key)) throw new Error(`produceText: key ${JSON.stringify(key)} contains a tab or newline`);
    if (rec.value !== null && /[\r\n]/.test(rec.value)) {
      throw new Error(`produceText: value contains a newline (use produceBinary): ${JSON.stringify(rec.value).slice(0, 200)}`);
    }
    if (key === NULL_MARKER || rec.value === NULL_MARKER) throw new Error('produceText: record equals the null marker');
    lines.push(`${key ?? NULL_MARKER}${KEY_SEPARATOR}${rec.value ?? NULL_MARKER}`);
  }
  const props: Record<string, string> = { acks: 'all', 'linger.ms': '5', ...options.producerProperties };
  // compression goes through --compression-codec: the 3.9 console producer overwrites a
  // compression.type given as --producer-property with its own option's default (none).
  const args = [
    '--bootstrap-server', rig.kafka.bootstrap, '--topic', topic,
    '--compression-codec', options.compression ?? 'none',
    '--property', 'parse.key=true',
    '--property', `key.separator=${KEY_SEPARATOR}`,
    '--property', `null.marker=${NULL_MARKER}`,
  ];
  for (const [k, v] of Object.entries(props)) args.push('--producer-property', `${k}=${v}`);
  await kafkaCli('kafka-console-producer.sh', args, {
    input: lines.length > 0 ? `${lines.join('\n')}\n` : '',
    timeoutMs: options.timeoutMs,
  });
}

export interface ProduceJsonOptions<T> extends ProduceTextOptions {
  /** The record key for a value (default: no key). */
  key?: (value: T, index: number) => string | null;
}

/**
 * Produces values as JSON text through the console producer (see produceText). JSON.stringify
 * escapes newlines, so any JSON value fits on its line; a null value is a Kafka null (tombstone).
 */
export async function produceJson<T>(topic: string, values: readonly T[], options: ProduceJsonOptions<T> = {}): Promise<void> {
  const keyOf = options.key;
  await produceText(
    topic,
    values.map((v, i): TextRecord => ({ key: keyOf ? keyOf(v, i) : null, value: v === null ? null : JSON.stringify(v) })),
    options,
  );
}

export interface ConsumeTextOptions {
  /** Stop after this many records (the usual way to use it). */
  maxMessages?: number;
  /** Stop when no record arrives for this long (default 10 s). */
  idleTimeoutMs?: number;
  /** Read from the start of the topic (default true). */
  fromBeginning?: boolean;
  /** Java client properties file, e.g. rig.kafka.saslClientProperties with `sasl: true`. */
  consumerConfig?: string;
  /** Use the SASL_SSL listener with the rig's SCRAM credentials. */
  sasl?: boolean;
  group?: string;
}

/**
 * Reads text records with kafka-console-consumer.sh. Keys and values come back as strings
 * (null for Kafka nulls); records must not contain newlines.
 */
export async function consumeText(topic: string, options: ConsumeTextOptions = {}): Promise<TextRecord[]> {
  const rig = loadRig();
  const args = [
    '--bootstrap-server', options.sasl ? rig.kafka.saslBootstrap : rig.kafka.bootstrap, '--topic', topic,
    '--property', 'print.key=true',
    '--property', `key.separator=${KEY_SEPARATOR}`,
    '--property', `null.literal=${NULL_MARKER}`,
    '--timeout-ms', String(options.idleTimeoutMs ?? 10_000),
  ];
  if (options.fromBeginning ?? true) args.push('--from-beginning');
  if (options.maxMessages !== undefined) args.push('--max-messages', String(options.maxMessages));
  if (options.group) args.push('--group', options.group);
  const config = options.consumerConfig ?? (options.sasl ? rig.kafka.saslClientProperties : undefined);
  if (config) args.push('--consumer.config', config);
  // The tool stops at --max-messages or after --timeout-ms without a record (exit 0 either way,
  // logging a TimeoutException in the second case), so fewer records than asked is not an error here.
  const res = await kafkaCli('kafka-console-consumer.sh', args);
  const out: TextRecord[] = [];
  for (const line of res.stdout.split('\n')) {
    if (line === '') continue;
    const i = line.indexOf(KEY_SEPARATOR);
    if (i < 0) throw new Error(`consumeText: unexpected line ${JSON.stringify(line)}`);
    const key = line.slice(0, i);
    const value = line.slice(i + 1);
    out.push({ key: key === NULL_MARKER ? null : key, value: value === NULL_MARKER ? null : value });
  }
  return out;
}

export interface BinaryRecord {
  key?: Buffer | null;
  value: Buffer | null;
  /** Explicit partition; otherwise murmur2(key) like the Java client, or round robin if keyless. */
  partition?: number;
  /** Record timestamp, epoch milliseconds. */
  timestamp?: bigint;
  headers?: Record<string, Buffer>;
}

export interface ProduceBinaryOptions {
  compression?: Compression;
  /** Records per produce request (default 500). */
  batchSize?: number;
  /** Use the SASL_SSL listener with the rig's SCRAM credentials. */
  sasl?: boolean;
}

/** Connection options for @platformatic/kafka clients on the SASL_SSL listener. */
export function saslConnection(mechanism: SASLMechanismValue = 'SCRAM-SHA-512', password?: string) {
  const rig = loadRig();
  return {
    bootstrapBrokers: [rig.kafka.saslBootstrap],
    sasl: { mechanism, username: rig.kafka.saslUser, password: password ?? rig.kafka.saslPassword },
    tls: { ca: readFileSync(rig.kafka.saslCaPem, 'utf8') },
  };
}

function connection(sasl: boolean | undefined) {
  return sasl ? saslConnection() : { bootstrapBrokers: [loadRig().kafka.bootstrap] };
}

async function partitionCount(topic: string, sasl?: boolean): Promise<number> {
  const admin = new Admin({ clientId: 'floe-test-admin', ...connection(sasl) });
  try {
    const md = await admin.metadata({ topics: [topic] });
    const t = md.topics.get(topic);
    if (!t) throw new Error(`topic ${topic} not found`);
    return t.partitionsCount;
  } finally {
    await admin.close();
  }
}

/**
 * Produces binary records (e.g. Avro) with the @platformatic/kafka client, acks=all. Keys are
 * partitioned like the Java client (murmur2), so text and binary producers agree.
 */
export async function produceBinary(topic: string, records: readonly BinaryRecord[], options: ProduceBinaryOptions = {}): Promise<void> {
  if (records.length === 0) return;
  const partitions = await partitionCount(topic, options.sasl);
  const producer = new Producer({ clientId: 'floe-test-producer', ...connection(options.sasl), retries: 5 });
  let roundRobin = 0;
  try {
    const batchSize = options.batchSize ?? 500;
    for (let i = 0; i < records.length; i += batchSize) {
      const messages = records.slice(i, i + batchSize).map((r) => {
        let partition = r.partition;
        if (partition === undefined) {
          partition = r.key ? (murmur2(r.key) & 0x7fffffff) % partitions : roundRobin++ % partitions;
        }
        return {
          topic,
          key: r.key ?? undefined,
          value: r.value ?? undefined,
          partition,
          timestamp: r.timestamp,
          headers: r.headers,
        };
      });
      await producer.send({ messages, acks: -1, compression: options.compression ?? 'none' });
    }
  } finally {
    await producer.close();
  }
}

/** High watermark (next offset to be written) of every partition, indexed by partition number. */
export async function endOffsets(topic: string, options: { sasl?: boolean } = {}): Promise<number[]> {
  const admin = new Admin({ clientId: 'floe-test-admin', ...connection(options.sasl) });
  try {
    const md = await admin.metadata({ topics: [topic] });
    const t = md.topics.get(topic);
    if (!t) throw new Error(`topic ${topic} not found`);
    const partitions = Array.from({ length: t.partitionsCount }, (_, i) => ({ partitionIndex: i, timestamp: -1n }));
    const listed = await admin.listOffsets({ topics: [{ name: topic, partitions }] });
    const result = new Array<number>(t.partitionsCount).fill(0);
    for (const lt of listed) {
      for (const p of lt.partitions) result[p.partitionIndex] = Number(p.offset);
    }
    return result;
  } finally {
    await admin.close();
  }
}

/** Sum of endOffsets: the number of records ever written to a (non-compacted, non-transactional) topic. */
export async function totalRecords(topic: string): Promise<number> {
  return (await endOffsets(topic)).reduce((a, b) => a + b, 0);
}
