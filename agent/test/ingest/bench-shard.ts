// One ingest worker's work on the benchmark's data, in-process (not a test: run it by hand).
//   source scripts/node-env.sh && node agent/test/ingest/bench-shard.ts [json|avro] [MiB]
//   (FLOE_DIRECT_DECODE=0: the general decode path, FLOE_AVRO_STAGE=0 or FLOE_JSON_STAGE=0: without
//   the format's stage, for comparison; reads the rig settings: npm run rig:up)
// Parses record batches, decodes, appends to the column builders (chunk) and encodes Parquet
// (seal), one 64 MiB batch at a time, and prints records/s and CPU-seconds per GiB of each phase.
// The data is the bench's: SEED_POOL seed records produced round robin over 16 partitions, in
// record batches of 512, of which this worker gets the even partitions (the agent's first of two
// workers: partition p goes to worker p % 2), a partition's batch at a time; so column
// cardinalities, and with them the dictionaries' work, are those of `npm run bench`.
import { createRecordsBatch } from '@platformatic/kafka';
import { IngestShard, directDecodeFromEnv, stageFromEnv } from '../../src/ingest/worker.ts';
import { assembleAvroStage } from '../../src/decode/avro-wasm.ts';
import { assembleJsonStage } from '../../src/decode/json-wasm.ts';
import { loadConfig, tableSchema } from '../../src/config/index.ts';
import { DLQ_SCHEMA, tableSchema as withKafkaColumns } from '../../src/ingest/tables.ts';
import { agentConfigYaml, sampleValues, SEED_POOL } from '../../../bench/lib/seed.ts';

const format = (process.argv[2] ?? 'json') as 'json' | 'avro';
const mib = Number(process.argv[3] ?? 256);
const BATCH_BYTES = 64 * 1024 * 1024;
const PARTITIONS = 16;
const MINE = Array.from({ length: PARTITIONS / 2 }, (_, k) => 2 * k);

const yaml = agentConfigYaml(format, 't', 'file:///tmp/floe-bench-shard', { flushMaxBytes: BATCH_BYTES, flushMaxRecords: 1e7, flushIntervalSeconds: 10, compaction: false });
const table = loadConfig(yaml).tables[0];
const declared = tableSchema(table);
const values = sampleValues(format, SEED_POOL);

// Record i goes to partition i % 16 with value values[floor(i / 16) % SEED_POOL], as the bench's
// producer sends them; each partition's records are cut into batches of 512 (no compression).
const chunks: { partition: number; bytes: Uint8Array }[] = [];
const t0 = Date.now();
const perPartition = Math.ceil((mib * 1024 * 1024) / MINE.length);
for (const p of MINE) {
  let offset = 0;
  let total = 0;
  let i = p;
  while (total < perPartition) {
    const messages = [];
    let size = 0;
    while (messages.length < 512) {
      const value = values[Math.floor(i / PARTITIONS) % values.length];
      // The bench loads ~640,000 records a second: as many records share a millisecond.
      messages.push({ topic: 't', key: null, value, timestamp: BigInt(t0 + Math.floor(i / 640)) });
      size += value.length;
      i += PARTITIONS;
    }
    const batch = Buffer.from((createRecordsBatch(messages as never, { firstOffset: 0n } as never) as unknown as { buffer: Buffer }).buffer);
    batch.writeBigInt64BE(BigInt(offset), 0);
    offset += messages.length;
    total += size;
    // In a SharedArrayBuffer, as the fetching thread hands chunks to the workers.
    const shared = new Uint8Array(new SharedArrayBuffer(batch.length));
    shared.set(batch);
    chunks.push({ partition: p, bytes: shared });
  }
}
// The fetcher's order: a batch of each partition in turn.
const byPartition = MINE.map((p) => chunks.filter((c) => c.partition === p));
const ordered: typeof chunks = [];
for (let k = 0; ordered.length < chunks.length; k++) for (const list of byPartition) if (k < list.length) ordered.push(list[k]);

// As the pipeline makes the spec: the format's stage unless FLOE_<FORMAT>_STAGE=0 or FLOE_DIRECT_DECODE=0.
const directDecode = directDecodeFromEnv();
const stage = directDecode && stageFromEnv(format) ? await (format === 'avro' ? assembleAvroStage : assembleJsonStage)(declared, true) : null;
const shard = new IngestShard({ topic: 't', format, declared, schema: withKafkaColumns(declared), dlqSchema: DLQ_SCHEMA, partitioning: 'unpartitioned', directDecode, stage });
for (let round = 0; round < 3; round++) {
  let chunkCpu = 0;
  let sealCpu = 0;
  let records = 0;
  let bytes = 0;
  let seq = 0;
  for (const c of ordered) {
    const u0 = process.cpuUsage();
    const ack = shard.chunk({ type: 'chunk', seq: ++seq, partition: c.partition, bytes: c.bytes, mainFrom: 0, dlqFrom: 0, aborted: null });
    const u1 = process.cpuUsage(u0);
    chunkCpu += (u1.user + u1.system) / 1e6;
    if (ack.estimatedBytes >= BATCH_BYTES || c === ordered.at(-1)) {
      const s0 = process.cpuUsage();
      const sealed = shard.seal(seq);
      const s1 = process.cpuUsage(s0);
      sealCpu += (s1.user + s1.system) / 1e6;
      records += sealed.records;
      bytes += sealed.rawBytes;
    }
  }
  const gib = bytes / 2 ** 30;
  console.log(`${format} round ${round}: ${records} records, ${(bytes / 2 ** 20).toFixed(0)} MiB; chunk ${(chunkCpu / gib).toFixed(1)} CPU-s/GiB, seal ${(sealCpu / gib).toFixed(1)} CPU-s/GiB, total ${((chunkCpu + sealCpu) / gib).toFixed(1)} (${((records / (chunkCpu + sealCpu)) / 1e3).toFixed(0)}k records/s)`);
}
