// Same-process A/B of an ingest worker's two phases on `npm run bench`'s records, for several agent
// versions loaded side by side in one process, in alternating slices:
//   append: the decoders' fast path, records into the column builders (what a worker does per
//           record between parsing the Kafka batch and the seal);
//   seal:   the Parquet encoding of those columns (ParquetFileBuilder.finish).
//
//   node bench/decode-ab.ts [--format json|avro] [--phase append|seal] [--slices N] [--records N] [--pool N] [--leaves] VERSION...
//
// VERSION is a git revision (its agent/ tree extracted into bench/.ab/) or "." for this checkout;
// the same revision twice is two separate copies, for an A/A run that shows the tool's own spread.
// The records are the bench's seed records (--pool of them, 20,000 as in the bench, which cycles
// through them; a larger pool repeats less within a file), and each version appends them with its
// own decoder and ParquetFileBuilder.appendWith, then the Kafka columns as the worker does (one
// partition's: its offsets distinct, a timestamp shared by 640 records as the bench loads them), or,
// where the version has one, the format's stage (decode/avro-wasm.ts, json-wasm.ts) as the worker
// uses it; VERSION:direct is the version without the stage. A
// slice is --records appends (100,000 by default; 300,000 for seal, about a file of the bench's),
// then, for seal, the encoding, then the builder's reset; only the phase's CPU time counts. Slices
// alternate between the versions, the order reversed every other slice, so the machine's drift,
// which moves whole-agent runs by tens of percent within minutes here, falls on all versions alike.
// The order in which the versions are loaded alone moved A/A runs by up to 4 %, so each comparison
// runs in one child process per rotation of that order and reports the mean of them, and each
// run's figures. Prints CPU nanoseconds per record. With --leaves (seal only), also each leaf
// column's share: the wall time of its column chunks (ParquetEncoder.chunk, wrapped in each
// version's own module), per record. Not a test: run it by hand (needs no rig).
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { agentConfigYaml, NO_BROKER, sampleValues, SEED_POOL } from './lib/seed.ts';
import type { Format } from './lib/options.ts';
import { extractAgentTree, resolveCommit, ROOT } from './lib/trees.ts';
import type { Column, Int32Column, Int64Column } from '../agent/src/parquet/columns.ts';

const USAGE = 'usage: node bench/decode-ab.ts [--format json|avro] [--phase append|seal] [--slices N] [--records N] [--pool N] [--leaves] VERSION... (VERSION: a git revision or ".", and VERSION:direct for it without the stage)';

function fail(message: string): never {
  process.stderr.write(`bench/decode-ab: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function count(name: string, raw: string | undefined, fallback: number): number {
  const n = Number(raw ?? fallback);
  if (!Number.isInteger(n) || n < 1) fail(`--${name} must be a whole number from 1, got ${JSON.stringify(raw)}`);
  return n;
}

let parsed;
try {
  parsed = parseArgs({ allowPositionals: true, options: { format: { type: 'string' }, phase: { type: 'string' }, slices: { type: 'string' }, records: { type: 'string' }, pool: { type: 'string' }, leaves: { type: 'boolean' } } });
} catch (e) {
  fail((e as Error).message);
}
const rawFormat = parsed.values.format ?? 'avro';
if (rawFormat !== 'json' && rawFormat !== 'avro') fail(`--format must be json or avro, got ${JSON.stringify(rawFormat)}`);
const format: Format = rawFormat;
const phase = parsed.values.phase ?? 'append';
if (phase !== 'append' && phase !== 'seal') fail(`--phase must be append or seal, got ${JSON.stringify(phase)}`);
const slices = count('slices', parsed.values.slices, phase === 'append' ? 40 : 20);
const perSlice = count('records', parsed.values.records, phase === 'append' ? 100_000 : 300_000);
const pool = count('pool', parsed.values.pool, SEED_POOL);
const leaves = parsed.values.leaves === true;
if (leaves && phase !== 'seal') fail('--leaves needs --phase seal');
// "." twice is one module instance, whose chunk would be wrapped twice.
if (leaves && parsed.positionals.filter((v) => v === '.').length > 1) fail('--leaves needs "." once at most (name a revision for an A/A run)');
if (parsed.positionals.length < 2) fail(`name at least two versions, got ${parsed.positionals.length}`);

// The records, one after the other in shared memory as a worker receives a fetched chunk, and the
// table's configuration (made in the child processes only).
let values: Buffer[] = [];
let buf: Uint8Array = new Uint8Array(0);
let starts = new Int32Array(0);
let yaml = '';

function prepareRecords(): void {
  values = sampleValues(format, pool);
  buf = new Uint8Array(new SharedArrayBuffer(values.reduce((a, v) => a + v.length, 0)));
  starts = new Int32Array(values.length + 1);
  for (let i = 0, at = 0; i < values.length; i++) {
    starts[i] = at;
    buf.set(values[i], at);
    at += values[i].length;
    starts[i + 1] = at;
  }
  yaml = agentConfigYaml(format, 't', 'file:///tmp/floe-decode-ab', { flushMaxBytes: 64 << 20, flushMaxRecords: 1e7, flushIntervalSeconds: 10, compaction: false }, NO_BROKER);
}

interface Side {
  label: string;
  /** Appends n records, encodes them if the phase is `seal`, resets the builder; returns the CPU ms of the phase. */
  run(n: number): number;
  cpuMs: number;
  records: number;
  /** With --leaves: wall ms of each leaf's column chunks (by its path), counted while `counting`. */
  leafMs: Map<string, number>;
  counting: boolean;
}

function cpuMsSince(t: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(t);
  return (u.user + u.system) / 1000;
}

async function load(label: string, root: string, directOnly: boolean): Promise<Side> {
  const src = (p: string) => import(pathToFileURL(path.join(root, 'agent/src', p)).href);
  const { loadConfig, tableSchema } = await src('config/index.ts');
  const { createDecoder } = await src('decode/decoder.ts');
  const { tableSchema: withKafkaColumns } = await src('ingest/tables.ts');
  const { ParquetFileBuilder } = await src('parquet/writer.ts');
  const leafMs = new Map<string, number>();
  if (leaves) {
    // This version's own encoder module: the wrapper sees its chunks only.
    const { ParquetEncoder } = await src('parquet/encode.ts');
    const chunk = ParquetEncoder.prototype.chunk;
    ParquetEncoder.prototype.chunk = function (this: unknown, plan: { path: string[] }, ...rest: unknown[]) {
      if (!side.counting) return chunk.call(this, plan, ...rest);
      const t = performance.now();
      const meta = chunk.call(this, plan, ...rest);
      const key = plan.path.join('.');
      leafMs.set(key, (leafMs.get(key) ?? 0) + performance.now() - t);
      return meta;
    };
  }
  const declared = tableSchema(loadConfig(yaml).tables[0]);
  const decoder = createDecoder(format, declared);
  if (!decoder.appendTo) fail(`${label}: the ${format} decoder has no fast path for the bench's table`);
  const builder = new ParquetFileBuilder(withKafkaColumns(declared));
  const kafka = declared.fields.length;
  let start = 0;
  let end = 0;
  let offset = 0;
  // As IngestShard.chunk's fill: the declared columns, then partition, offset and timestamp.
  const fill = (columns: readonly Column[]): boolean => {
    if (!decoder.appendTo(buf, start, end, columns)) return false;
    (columns[kafka] as Int32Column).append(3);
    (columns[kafka + 1] as Int64Column).appendNumber(offset);
    // The bench loads ~640 records a millisecond: as many share a timestamp.
    (columns[kafka + 2] as Int64Column).appendNumber(1_764_000_000_000_000 + Math.floor(offset / 640) * 1000);
    return true;
  };
  // As IngestShard.chunk's stage, where the version has one: records staged, flushed into the
  // builder every STAGE_ROWS records, when the stage is full, and at the slice's end.
  const stageModule = format === 'avro' ? 'decode/avro-wasm.ts' : 'decode/json-wasm.ts';
  const hasStage = !directOnly && existsSync(path.join(root, 'agent/src', stageModule));
  const wasm = hasStage ? await src(stageModule) : null;
  const [make, assemble] = format === 'avro' ? ['avroStage', 'assembleAvroStage'] : ['jsonStage', 'assembleJsonStage'];
  const stage = wasm ? wasm[make](await wasm[assemble](declared, true), declared, true) : null;
  const flushStage = () => builder.appendRows(stage.staged, (columns: readonly Column[]) => stage.flush(columns));
  const side: Side = {
    label,
    run(n) {
      let t = process.cpuUsage();
      for (let k = 0; k < n; k++, offset++) {
        const i = offset % values.length;
        start = starts[i];
        end = starts[i + 1];
        if (stage !== null) {
          const timestamp = 1_764_000_000_000_000 + Math.floor(offset / 640) * 1000;
          let r = stage.add(buf, start, end, 3, offset, timestamp);
          if (r === wasm.FULL) {
            flushStage();
            r = stage.add(buf, start, end, 3, offset, timestamp);
          }
          if (r !== wasm.STAGED) throw new Error(`${label}'s stage declined seed record ${i}`);
          if (stage.staged === wasm.STAGE_ROWS) flushStage();
          continue;
        }
        if (!builder.appendWith(fill)) throw new Error(`${label} declined seed record ${i}`);
      }
      if (stage !== null) flushStage();
      if (phase === 'seal') {
        t = process.cpuUsage();
        builder.finish();
      }
      const ms = cpuMsSince(t);
      builder.reset();
      return ms;
    },
    cpuMs: 0,
    records: 0,
    leafMs,
    counting: false,
  };
  return side;
}

/** What a child prints for each version: CPU ns per record, and with --leaves each leaf's wall ns per record. */
interface ChildResult {
  id: number;
  nsPerRecord: number;
  leaves: Record<string, number>;
}

/** A version: its place on the command line, its label and the folder holding its agent/ tree. */
interface Version {
  id: number;
  label: string;
  root: string;
  /** The JavaScript fast path only, even where the version has the stage. */
  direct: boolean;
}

/** One child's run: the versions loaded in the given order; prints each one's ns per record. */
async function child(versions: Version[]): Promise<void> {
  prepareRecords();
  const sides: Side[] = [];
  for (const v of versions) sides.push(await load(v.label, v.root, v.direct));
  for (const s of sides) for (let w = 0; w < 10; w++) s.run(perSlice); // warm-up: every version's code optimised
  for (const s of sides) s.counting = true;
  for (let r = 0; r < slices; r++) {
    for (const s of r % 2 === 0 ? sides : [...sides].reverse()) {
      s.cpuMs += s.run(perSlice);
      s.records += perSlice;
    }
  }
  const perRecord = (ms: number, s: Side) => (ms * 1e6) / s.records;
  const result: ChildResult[] = sides.map((s, k) => ({
    id: versions[k].id,
    nsPerRecord: perRecord(s.cpuMs, s),
    leaves: Object.fromEntries([...s.leafMs].map(([leaf, ms]) => [leaf, perRecord(ms, s)])),
  }));
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

const CHILD = 'FLOE_DECODE_AB_CHILD';
if (process.env[CHILD]) {
  await child(JSON.parse(process.env[CHILD]));
} else {
  const dirs: string[] = [];
  try {
    const versions: Version[] = parsed.positionals.map((spec, k) => {
      // VERSION:direct is that version with the JavaScript fast path only (no stage).
      const direct = spec.endsWith(':direct');
      if (direct) spec = spec.slice(0, -':direct'.length);
      const label = direct ? `${spec}:direct` : spec;
      if (spec === '.') return { id: k, label, root: ROOT, direct };
      let commit: string;
      try {
        commit = resolveCommit(spec);
      } catch (e) {
        fail((e as Error).message);
      }
      const root = extractAgentTree(commit, `decode-${process.pid}-${k}`);
      dirs.push(root);
      return { id: k, label, root, direct };
    });
    const runs: ChildResult[][] = [];
    for (let k = 0; k < versions.length; k++) {
      const order = [...versions.slice(k), ...versions.slice(0, k)];
      const out = execFileSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { env: { ...process.env, [CHILD]: JSON.stringify(order) }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 });
      runs.push(JSON.parse(out.trim().split('\n').pop()!));
      console.log(`decode-ab ${format} ${phase}, loaded in the order ${order.map((v) => v.label).join(', ')}: ${runs[k].map((r) => `${versions[r.id].label} ${r.nsPerRecord.toFixed(1)}`).join(', ')} ns/record`);
    }
    console.log(`decode-ab ${format} ${phase}: ${slices} slices of ${perSlice} records per version and run; mean of the runs:`);
    const mean = (v: Version, of: (r: ChildResult) => number) => runs.reduce((a, run) => a + of(run.find((r) => r.id === v.id)!), 0) / runs.length;
    for (const v of versions) console.log(`${v.label.padEnd(12)} ${mean(v, (r) => r.nsPerRecord).toFixed(1)} ns/record`);
    if (leaves) {
      // Leaves in the first version's order, most expensive first.
      const paths = Object.keys(runs[0][0].leaves).sort((a, b) => mean(versions[0], (r) => r.leaves[b] ?? 0) - mean(versions[0], (r) => r.leaves[a] ?? 0));
      console.log(`each leaf's column chunks, wall ns per record (mean of the runs):\n${'leaf'.padEnd(40)} ${versions.map((v) => v.label.padStart(12)).join(' ')}`);
      for (const leaf of paths) console.log(`${leaf.padEnd(40)} ${versions.map((v) => mean(v, (r) => r.leaves[leaf] ?? 0).toFixed(1).padStart(12)).join(' ')}`);
    }
  } finally {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}
