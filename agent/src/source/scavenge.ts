// Young-generation collections on the fetching thread, paced by the bytes fetched.
//
// Every socket read hands the fetching thread a fresh Buffer (Node reads up to 64 KiB at a time);
// fetch.ts copies a response's reads into shared memory and drops them. Those buffers are V8
// external memory, and this thread allocates so few JavaScript objects that its young generation
// hardly ever fills: with nothing to collect them young, the dead buffers add up to V8's
// external-memory limit (64 MB past the last full collection) and each time start a full
// mark-compact of the thread's whole heap (~35 MB: the Kafka client, the AWS SDK, Iceberg and Delta).
// Measured (1 GiB of the bench's Avro, --trace-gc): 18 mark-compacts and 2 scavenges on this thread,
// and V8's helper threads, which do their concurrent marking, 1.8-2.3 CPU-s. A scavenge after every
// FLOE_FETCH_SCAVENGE_MIB fetched (32 by default) frees the buffers while they are young, at 2-10 ms
// each: 2 mark-compacts and 35 scavenges (~0.2 s), the helper threads 1.0-1.4 CPU-s (BENCHMARKS.md).
//
// JavaScript reaches V8's collector only through the `gc` function of its gc extension, which V8
// installs in the contexts created while --expose-gc is set: the flag is set for the one context
// made here, and unset again, so no other context (the ingest workers') gets a `gc`.

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type GcFunction = (options: { type: 'minor' | 'major'; execution?: 'sync' | 'async' }) => void;

const MiB = 1024 * 1024;

/** The default of FLOE_FETCH_SCAVENGE_MIB. */
export const DEFAULT_FETCH_SCAVENGE_MIB = 32;

let everyBytes = DEFAULT_FETCH_SCAVENGE_MIB * MiB;
let since = 0;
let gc: GcFunction | null = null;

/** How many MiB fetched between two scavenges; 0 turns them off. */
export function setFetchScavengeMiB(mib: number): void {
  if (!Number.isSafeInteger(mib) || mib < 0) throw new RangeError(`fetch scavenge interval must be a whole number of MiB, got ${mib}`);
  everyBytes = mib * MiB;
  since = 0;
}

/** FLOE_FETCH_SCAVENGE_MIB as a number of MiB, or a message naming the bad value. */
export function fetchScavengeMiBFromEnv(env: NodeJS.ProcessEnv): number | string {
  const raw = env.FLOE_FETCH_SCAVENGE_MIB;
  if (raw === undefined || raw === '') return DEFAULT_FETCH_SCAVENGE_MIB;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n > 65536) {
    return `FLOE_FETCH_SCAVENGE_MIB must be a whole number of MiB from 0 to 65536 (0 turns the fetching thread's scavenges off), got ${JSON.stringify(raw)}`;
  }
  return n;
}

/** Counts bytes the fetching thread has read and let go; runs a scavenge once per interval. */
export function fetched(bytes: number): void {
  if (everyBytes === 0) return;
  since += bytes;
  if (since < everyBytes) return;
  since = 0;
  (gc ??= gcFunction())({ type: 'minor' });
}

function gcFunction(): GcFunction {
  const global = (globalThis as { gc?: unknown }).gc;
  if (typeof global === 'function') return global as GcFunction; // node --expose-gc
  setFlagsFromString('--expose-gc');
  try {
    return runInNewContext('gc') as GcFunction;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}
