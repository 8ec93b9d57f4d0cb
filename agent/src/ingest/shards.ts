// The pipeline's side of its ingest workers (worker.ts): partition p goes to worker p mod N, so
// each partition's records stay in order in one worker. Tracks, per worker, the chunks not yet
// acknowledged (the backpressure of the fetch loop) and what the open batch holds.

import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import type { FromWorker, SealedFile, ToWorker, WorkerSpec } from './worker.ts';
import type { AbortedTransaction } from '../source/records.ts';
import type { Lease } from '../source/fetch.ts';

const WORKER_URL = new URL('./worker.ts', import.meta.url);

/** Workers per table: `FLOE_INGEST_WORKERS`, else the machine's cores (at most 4). */
export function ingestWorkerCount(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.FLOE_INGEST_WORKERS;
  if (raw !== undefined && raw !== '') {
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n < 1 || n > 64) throw new Error(`FLOE_INGEST_WORKERS must be an integer from 1 to 64, got ${JSON.stringify(raw)}`);
    return n;
  }
  return Math.max(1, Math.min(4, availableParallelism()));
}

export interface Sealed {
  main: SealedFile[];
  dlq: SealedFile[];
  records: number;
  dlqRecords: number;
  rawBytes: number;
  /** The size estimate that the flush policy compares with its byte limit, as the acks report it. */
  estimatedBytes: number;
}

interface Slot {
  worker: Worker;
  /** Bytes of chunks sent and not yet acknowledged, in total and per chunk seq. */
  pendingBytes: number;
  pending: Map<number, { bytes: number; lease: Lease | null }>;
  /** Latest ack of the open batch. */
  records: number;
  dlqRecords: number;
  estimatedBytes: number;
  seals: Map<number, { resolve: (s: FromWorker & { type: 'sealed' }) => void; reject: (e: Error) => void }>;
}

export class IngestShards {
  readonly size: number;
  #slots: Slot[];
  #seq = 0;
  #sealId = 0;
  #onFailure: (message: string) => void;
  #waiters: (() => void)[] = [];
  #closed = false;

  constructor(spec: WorkerSpec, size: number, onFailure: (message: string) => void) {
    this.size = size;
    this.#onFailure = onFailure;
    this.#slots = Array.from({ length: size }, (_, i) => this.#spawn(spec, i));
  }

  /** The worker threads, in partition order (partition p is served by workers[p % size]). */
  get workers(): readonly Worker[] {
    return this.#slots.map((s) => s.worker);
  }

  // A worker that dies (an exception outside the message handler, a wasm trap, out of memory) is
  // replaced by a fresh one with an empty batch; its unanswered seals reject and the owner hears of
  // it, so the open batch is dropped and read again from the tables' offsets.
  #spawn(spec: WorkerSpec, index: number): Slot {
    // The name is the thread's name in ps, top and /proc (`floe-ingest-<index>`).
    const worker = new Worker(WORKER_URL, { name: `floe-ingest-${index}`, workerData: { floeIngestWorker: true, spec } });
    const pending = new Map<number, { bytes: number; lease: Lease | null }>();
    const slot: Slot = { worker, pendingBytes: 0, pending, records: 0, dlqRecords: 0, estimatedBytes: 0, seals: new Map() };
    worker.on('message', (m: FromWorker) => {
      switch (m.type) {
        case 'ack':
        case 'failed': {
          const chunk = pending.get(m.seq);
          pending.delete(m.seq);
          if (chunk) {
            slot.pendingBytes -= chunk.bytes;
            chunk.lease?.release(); // the worker is done with the chunk's bytes
          }
          if (m.type === 'ack') {
            if (m.seq >= this.#openSince) {
              slot.records = m.records;
              slot.dlqRecords = m.dlqRecords;
              slot.estimatedBytes = m.estimatedBytes;
            }
          } else {
            this.#onFailure(m.message);
          }
          this.#wake();
          break;
        }
        case 'sealed':
        case 'sealFailed': {
          const s = slot.seals.get(m.id);
          slot.seals.delete(m.id);
          if (m.type === 'sealed') s?.resolve(m);
          else s?.reject(new Error(`writing Parquet files failed: ${m.message}`));
          break;
        }
      }
    });
    let failure: Error | null = null;
    worker.on('error', (err) => {
      failure = err;
    });
    worker.on('exit', (code) => {
      if (this.#closed) return;
      const err = failure ?? new Error(`ingest worker exited with code ${code}`);
      for (const s of slot.seals.values()) s.reject(err);
      slot.seals.clear();
      this.#slots[index] = this.#spawn(spec, index);
      this.#wake();
      this.#onFailure(`ingest worker ${index} stopped (${err.message}); a new one took its place`);
    });
    worker.unref();
    return slot;
  }

  /** Chunk seqs at or above this belong to the open batch. */
  #openSince = 0;

  /** Hands a chunk to its partition's worker; `lease` (held until the worker answers) keeps its buffer. */
  send(partition: number, bytes: Uint8Array, mainFrom: number, dlqFrom: number, aborted: AbortedTransaction[] | null, lease: Lease | null = null): void {
    const slot = this.#slots[partition % this.size];
    const seq = ++this.#seq;
    lease?.retain();
    slot.pendingBytes += bytes.byteLength;
    slot.pending.set(seq, { bytes: bytes.byteLength, lease });
    slot.worker.postMessage({ type: 'chunk', seq, partition, bytes, mainFrom, dlqFrom, aborted } satisfies ToWorker);
  }

  /** Bytes handed to the workers and not yet parsed. */
  get pendingBytes(): number {
    let n = 0;
    for (const s of this.#slots) n += s.pendingBytes;
    return n;
  }

  /** Rows (table and DLQ) and estimated bytes of the open batch, as of the latest acks. */
  get openRecords(): number {
    let n = 0;
    for (const s of this.#slots) n += s.records + s.dlqRecords;
    return n;
  }

  get openEstimatedBytes(): number {
    let n = 0;
    for (const s of this.#slots) n += s.estimatedBytes;
    return n;
  }

  /** Resolves the next time a chunk is acknowledged. */
  progress(): Promise<void> {
    return new Promise((r) => this.#waiters.push(r));
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const r of w) r();
  }

  /** Closes the open batch in every worker and collects its files. */
  async seal(): Promise<Sealed> {
    const id = ++this.#sealId;
    this.#startNewBatch();
    const parts = await Promise.all(
      this.#slots.map(
        (slot) =>
          new Promise<FromWorker & { type: 'sealed' }>((resolve, reject) => {
            slot.seals.set(id, { resolve, reject });
            slot.worker.postMessage({ type: 'seal', id } satisfies ToWorker);
          }),
      ),
    );
    const out: Sealed = { main: [], dlq: [], records: 0, dlqRecords: 0, rawBytes: 0, estimatedBytes: 0 };
    for (const p of parts) {
      out.main.push(...p.main);
      out.dlq.push(...p.dlq);
      out.records += p.records;
      out.dlqRecords += p.dlqRecords;
      out.rawBytes += p.rawBytes;
      out.estimatedBytes += p.estimatedBytes;
    }
    return out;
  }

  /** Drops the open batch in every worker (after a discarded or failed batch). */
  reset(): void {
    this.#startNewBatch();
    for (const s of this.#slots) s.worker.postMessage({ type: 'reset' } satisfies ToWorker);
  }

  #startNewBatch(): void {
    this.#openSince = this.#seq + 1;
    for (const s of this.#slots) {
      s.records = 0;
      s.dlqRecords = 0;
      s.estimatedBytes = 0;
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#wake();
    await Promise.all(this.#slots.map((s) => s.worker.terminate()));
  }
}
