// The benchmark's data: the seed's two example tables (JSON logs, Avro events) with their sample
// records (examples/producers/seed-data.ts), and the agent configuration that ingests them.
import { loadConfig, tableSchema } from '../../agent/src/config/index.ts';
import { avroEncoderFor, avroSchemaFor } from '../../agent/src/decode/index.ts';
import { jsonLog, avroEvent } from '../../examples/producers/seed-data.ts';
import { rigConfigYaml } from '../../test/e2e/agent-process.ts';
import { seedTables, tableEntry } from '../../test/e2e/fixtures.ts';
import type { Format } from './options.ts';

export interface AgentTableSettings {
  flushMaxBytes: number;
  flushMaxRecords: number;
  flushIntervalSeconds: number;
  compaction: boolean;
}

/**
 * The agent's environment: the glibc allocator settings README recommends, unless switched off.
 * With worker threads, glibc's per-thread arenas and its growing mmap threshold keep freed column
 * buffers mapped; these two keep large buffers in their own mappings, returned on free.
 */
/** Distinct seed records per format in the payload pool (the load cycles through them). */
export const SEED_POOL = 20_000;

export function agentEnv(mallocTuning: boolean): Record<string, string> {
  const env: Record<string, string> = { FLOE_LOG_LEVEL: 'info' };
  if (mallocTuning) {
    env.MALLOC_ARENA_MAX = '2';
    env.MALLOC_MMAP_THRESHOLD_ = '131072';
  }
  return env;
}

/**
 * The `floe agent` configuration for one seed table reading `topic`, writing under `bucketUrl`,
 * from the rig's Kafka, or from `bootstrap` (host:port) where only the table matters and the rig
 * need not run.
 */
export function agentConfigYaml(format: Format, topic: string, bucketUrl: string, s: AgentTableSettings, bootstrap?: string): string {
  const [jsonTable, avroTable] = seedTables();
  return rigConfigYaml({
    bucketUrl,
    bootstrap,
    tables: [
      tableEntry(format === 'json' ? jsonTable : avroTable, {
        source_cluster_name: 'rig',
        source_topic: topic,
        flush: { max_bytes: s.flushMaxBytes, max_records: s.flushMaxRecords, interval_seconds: s.flushIntervalSeconds },
        maintenance: { compaction_enabled: s.compaction },
      }),
    ],
  });
}

/** A broker address for configurations read for their tables only (nothing connects to it). */
export const NO_BROKER = '127.0.0.1:9';

function seedTableSchema(format: Format) {
  const settings = { flushMaxBytes: 64 * 1024 * 1024, flushMaxRecords: 1_000_000, flushIntervalSeconds: 60, compaction: false };
  const yaml = agentConfigYaml(format, 'schema-only', 'file:///tmp/floe-bench-schema-only', settings, NO_BROKER);
  return tableSchema(loadConfig(yaml).tables[0]);
}

/**
 * The table's schema as an Avro schema with Iceberg field ids: for Avro, the writer schema the
 * Connect sink's converter decodes with; for both, how the sink's table is created (same columns).
 */
export function avroSchemaJson(format: Format): string {
  return JSON.stringify(avroSchemaFor(seedTableSchema(format)));
}

/**
 * `count` distinct record values of a format, encoded as the producer sends them (JSON text without
 * a newline, or raw Avro binary), starting at seed index `from`.
 */
export function sampleValues(format: Format, count: number, from = 0): Buffer[] {
  const out: Buffer[] = [];
  if (format === 'json') {
    for (let i = from; i < from + count; i++) out.push(Buffer.from(JSON.stringify(jsonLog(i)), 'utf8'));
  } else {
    const encode = avroEncoderFor(seedTableSchema('avro'));
    for (let i = from; i < from + count; i++) out.push(encode(avroEvent(i)));
  }
  return out;
}

export function averageSize(values: readonly Buffer[]): number {
  return values.reduce((a, b) => a + b.length, 0) / values.length;
}
