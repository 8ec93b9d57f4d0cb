// An Iceberg table in an object store, committed without any catalog: the newest
// `metadata/v<N>.metadata.json` is the table, and creating `v<N+1>` with a conditional PUT
// (If-None-Match: * on S3, exclusive create on file://) is the commit.
//
// Commit state machine (one call to IcebergTable.commit(actions)):
//
//   LOAD     Refresh to the newest metadata v<N>: probe v<N+1>, v<N+2>, ... from the last known
//      |     version (a listing finds the start when none is known).
//      |     If it already holds a snapshot id this commit drew, an earlier attempt whose outcome
//      |     was unknown did land -> DONE.
//      v
//   STAGE    Run the actions in order against v<N>. Each reads what it needs (offsets in the
//      |     snapshot summary, the parent's manifest list), may refuse (CommitRefused or a thrown
//      |     precondition error -> FAILED, never retried), and writes new uniquely named manifests
//      |     and manifest list. Nothing changed -> DONE without a new version.
//      |     Retryable store error -> delete this attempt's files -> BACKOFF.
//      v
//   PUBLISH  putIfAbsent(metadata/v<N+1>.metadata.json)
//      |-- created          -> write metadata/version-hint.text = N+1 (best effort) -> DONE
//      |-- already exists   -> lost the race: delete this attempt's files -> BACKOFF
//      |-- retryable error  -> outcome unknown: keep the files (they may be live) -> BACKOFF
//      '-- other error      -> FAILED
//
//   BACKOFF  sleep a random time in [0, min(maxDelayMs, baseDelayMs * 2^(attempt-1))] ("full
//            jitter"), then LOAD. After maxAttempts attempts -> FAILED with CommitConflict.
//
// Invariants: versions are dense (v1, v2, ... with no gaps) because each is created only as the
// successor of one that exists; metadata files are never rewritten; a lost attempt's files are
// referenced by nothing, so deleting them (or leaving them to orphan cleanup) is always safe.

import { CommitConflict, FloeError } from '../errors.ts';
import type { Schema } from '../schema/types.ts';
import type { ObjectStore } from '../store/store.ts';
import { EntryStatus, type DataFile, type ManifestEntry } from './manifest.ts';
import {
  currentSnapshot,
  newTableMetadata,
  parseTableMetadata,
  serializeTableMetadata,
  type Snapshot,
  type TableMetadata,
} from './metadata.ts';
import { readCommittedOffsets } from './offsets.ts';
import type { Partitioning } from './partition.ts';
import { TableIO, Transaction, type TableAction } from './transaction.ts';

export interface CreateTableOptions {
  schema: Schema;
  partitioning: Partitioning;
  properties?: Record<string, string>;
}

export interface CommitOptions {
  /** Attempts before giving up with CommitConflict. @default 10 */
  maxAttempts?: number;
  /** First backoff ceiling. @default 25 */
  baseDelayMs?: number;
  /** Largest backoff ceiling. @default 2000 */
  maxDelayMs?: number;
  /** Keep at most this many entries in `metadata-log`. @default `write.metadata.previous-versions-max` or 100 */
  metadataLogMax?: number;
  /** Stops waiting between attempts. */
  signal?: AbortSignal;
}

export interface CommitResult {
  /** The table's metadata after the commit (unchanged when the actions changed nothing). */
  metadata: TableMetadata;
  /** Its version N (`metadata/v<N>.metadata.json`). */
  version: number;
  /** Snapshots this commit added. */
  snapshots: Snapshot[];
  attempts: number;
  /** Races lost on the way (attempts that found v<N+1> taken). */
  conflicts: number;
}

const VERSION_FILE = /^v(\d+)\.metadata\.json$/;

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function isRetryable(err: unknown): boolean {
  return err instanceof FloeError && err.retryable;
}

export class IcebergTable {
  readonly io: TableIO;
  #metadata: TableMetadata;
  #version: number;

  private constructor(io: TableIO, metadata: TableMetadata, version: number) {
    this.io = io;
    this.#metadata = metadata;
    this.#version = version;
  }

  get store(): ObjectStore {
    return this.io.store;
  }

  /** Store key of the table root. */
  get prefix(): string {
    return this.io.prefix;
  }

  /** Absolute URI of the table root (metadata `location`). */
  get location(): string {
    return this.io.location;
  }

  /** The metadata last loaded or committed (call refresh()/current() for the newest). */
  get metadata(): TableMetadata {
    return this.#metadata;
  }

  /** Version N of `metadata`. */
  get version(): number {
    return this.#version;
  }

  metadataKey(version: number): string {
    return this.io.key(`metadata/v${version}.metadata.json`);
  }

  /** Absolute URI of `metadata/v<N>.metadata.json` (what path-based readers open). */
  metadataUri(version = this.#version): string {
    return this.io.uriOfKey(this.metadataKey(version));
  }

  /** Creates a new table (v1). Throws FLOE_COMMIT_FAILED when one exists already. */
  static async create(store: ObjectStore, tablePrefix: string, opts: CreateTableOptions): Promise<IcebergTable> {
    const io = new TableIO(store, tablePrefix);
    const created = await IcebergTable.#tryCreate(io, opts);
    if (!created) throw new FloeError('FLOE_COMMIT_FAILED', `an Iceberg table already exists at ${io.location}`);
    return created;
  }

  /** Loads the table; throws FLOE_TABLE_CORRUPT when there is none. */
  static async load(store: ObjectStore, tablePrefix: string): Promise<IcebergTable> {
    const io = new TableIO(store, tablePrefix);
    const found = await IcebergTable.#locate(io);
    if (!found) throw new FloeError('FLOE_TABLE_CORRUPT', `no Iceberg table at ${io.location} (no metadata/v<N>.metadata.json)`);
    return new IcebergTable(io, found.metadata, found.version);
  }

  /** Loads the table, creating it when it does not exist (racing creators: one wins, all load it). */
  static async loadOrCreate(store: ObjectStore, tablePrefix: string, opts: CreateTableOptions): Promise<IcebergTable> {
    const io = new TableIO(store, tablePrefix);
    for (let i = 0; i < 5; i++) {
      const found = await IcebergTable.#locate(io);
      if (found) return new IcebergTable(io, found.metadata, found.version);
      const created = await IcebergTable.#tryCreate(io, opts);
      if (created) return created;
    }
    throw new FloeError('FLOE_TABLE_CORRUPT', `table at ${io.location}: v1 exists but cannot be loaded`, { retryable: true });
  }

  static async #tryCreate(io: TableIO, opts: CreateTableOptions): Promise<IcebergTable | null> {
    const md = newTableMetadata({
      location: io.location,
      schema: opts.schema,
      partitioning: opts.partitioning,
      properties: opts.properties ?? {},
    });
    const key = io.key('metadata/v1.metadata.json');
    if (!(await io.store.putIfAbsent(key, Buffer.from(serializeTableMetadata(md), 'utf8')))) return null;
    const table = new IcebergTable(io, md, 1);
    await table.#writeHint(1);
    return table;
  }

  /** Newest version by listing `metadata/v*`, then probing upward past what the listing showed. */
  static async #locate(io: TableIO): Promise<{ version: number; metadata: TableMetadata } | null> {
    let max = 0;
    const dir = io.key('metadata/');
    for await (const o of io.store.list(io.key('metadata/v'))) {
      const m = VERSION_FILE.exec(o.key.slice(dir.length));
      if (m) max = Math.max(max, Number(m[1]));
    }
    if (max === 0) {
      // Listing may lag on some stores; version-hint.text is a second opinion, v1 a last probe.
      const hint = await io.store.get(io.key('metadata/version-hint.text'));
      const n = hint ? Number(Buffer.from(hint).toString('utf8').trim()) : NaN;
      if (Number.isInteger(n) && n > 0 && (await io.store.head(io.key(`metadata/v${n}.metadata.json`)))) max = n;
      else if (await io.store.head(io.key('metadata/v1.metadata.json'))) max = 1;
      else return null;
    }
    return IcebergTable.#probeFrom(io, max, true);
  }

  static async #probeFrom(io: TableIO, known: number, relocated = false): Promise<{ version: number; metadata: TableMetadata }> {
    let n = known;
    while (await io.store.head(io.key(`metadata/v${n + 1}.metadata.json`))) n++;
    const key = io.key(`metadata/v${n}.metadata.json`);
    const bytes = await io.store.get(key);
    if (bytes === null) {
      // The version this instance knew was deleted meanwhile (maintenance removes old metadata
      // files): find the newest version by listing instead, once.
      if (!relocated) {
        const found = await IcebergTable.#locate(io);
        if (found) return found;
      }
      throw new FloeError('FLOE_TABLE_CORRUPT', `table at ${io.location}: ${key} disappeared`);
    }
    let metadata: TableMetadata;
    try {
      metadata = parseTableMetadata(Buffer.from(bytes).toString('utf8'));
    } catch (err) {
      if (err instanceof FloeError) {
        throw new FloeError(err.code, `${io.uriOfKey(key)}: ${err.message}`, { cause: err, retryable: err.retryable });
      }
      throw err;
    }
    return { version: n, metadata };
  }

  /** Newest metadata, found by listing (version-hint.text is not trusted). */
  async current(): Promise<TableMetadata> {
    const found = await IcebergTable.#locate(this.io);
    if (!found) throw new FloeError('FLOE_TABLE_CORRUPT', `no Iceberg table at ${this.io.location}`);
    this.#adopt(found.version, found.metadata);
    return found.metadata;
  }

  /** Newest metadata, probing upward from the version already known (cheaper than current()). */
  async refresh(): Promise<TableMetadata> {
    return (await this.#refresh()).metadata;
  }

  async #refresh(): Promise<{ version: number; metadata: TableMetadata }> {
    const found = await IcebergTable.#probeFrom(this.io, this.#version);
    this.#adopt(found.version, found.metadata);
    return found;
  }

  // Concurrent commits through one instance: the cache only moves forward.
  #adopt(version: number, metadata: TableMetadata): void {
    if (version >= this.#version) {
      this.#version = version;
      this.#metadata = metadata;
    }
  }

  /** Kafka partition -> next offset, as committed in the loaded metadata. */
  committedOffsets(topic?: string): Map<number, bigint> {
    return readCommittedOffsets(this.#metadata, topic);
  }

  /** Live data files of a snapshot (default: the current one of the loaded metadata). */
  async liveEntries(snapshot: Snapshot | null = currentSnapshot(this.#metadata)): Promise<ManifestEntry[]> {
    if (!snapshot) return [];
    const out: ManifestEntry[] = [];
    for (const m of await this.io.readManifestList(snapshot)) {
      for (const e of await this.io.readManifest(m)) if (e.status !== EntryStatus.DELETED) out.push(e);
    }
    return out;
  }

  async liveFiles(snapshot?: Snapshot | null): Promise<DataFile[]> {
    return (await this.liveEntries(snapshot)).map((e) => e.dataFile);
  }

  /** Commits the actions as one new metadata version (see the state machine above). */
  async commit(actions: TableAction | TableAction[], opts: CommitOptions = {}): Promise<CommitResult> {
    const maxAttempts = Math.max(1, opts.maxAttempts ?? 10);
    const baseDelay = opts.baseDelayMs ?? 25;
    const maxDelay = opts.maxDelayMs ?? 2000;
    const tx = new Transaction(this.io, Array.isArray(actions) ? actions : [actions]);
    let conflicts = 0;
    let lastError: unknown = null;

    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      if (attempt > 1) {
        const ceiling = Math.min(maxDelay, baseDelay * 2 ** (attempt - 2));
        await sleep(Math.random() * ceiling, opts.signal);
      }

      // LOAD
      let base: TableMetadata;
      let baseVersion: number;
      try {
        ({ metadata: base, version: baseVersion } = await this.#refresh());
      } catch (err) {
        if (!isRetryable(err)) throw err;
        lastError = err;
        continue;
      }
      const landed = base.snapshots.filter((s) => tx.snapshotIds.includes(s['snapshot-id']));
      if (landed.length > 0) {
        return { metadata: base, version: baseVersion, snapshots: landed, attempts: attempt, conflicts };
      }

      // STAGE
      let staged;
      try {
        staged = await tx.stage(base, attempt);
      } catch (err) {
        if (!isRetryable(err)) throw err;
        lastError = err;
        continue;
      }
      if (staged.metadata === base) {
        return { metadata: base, version: baseVersion, snapshots: [], attempts: attempt, conflicts };
      }

      // PUBLISH
      const next = baseVersion + 1;
      const text = serializeTableMetadata(this.#withMetadataLog(base, baseVersion, staged.metadata, opts));
      let created: boolean;
      try {
        created = await this.io.store.putIfAbsent(this.metadataKey(next), Buffer.from(text, 'utf8'));
      } catch (err) {
        if (!isRetryable(err)) throw err;
        lastError = err; // outcome unknown: LOAD will tell
        continue;
      }
      if (!created) {
        conflicts++;
        lastError = null;
        await tx.discard(staged.written);
        continue;
      }
      const committed = parseTableMetadata(text);
      this.#adopt(next, committed);
      await this.#writeHint(next);
      return { metadata: committed, version: next, snapshots: staged.snapshots, attempts: attempt, conflicts };
    }
    throw new CommitConflict(
      `commit to ${this.io.location} failed after ${maxAttempts} attempts (${conflicts} lost races)` +
        (lastError instanceof Error ? `; last error: ${lastError.message}` : ''),
      lastError ? { cause: lastError } : {},
    );
  }

  #withMetadataLog(base: TableMetadata, baseVersion: number, md: TableMetadata, opts: CommitOptions): TableMetadata {
    const fromProps = Number(md.properties['write.metadata.previous-versions-max']);
    const max = opts.metadataLogMax ?? (Number.isInteger(fromProps) && fromProps > 0 ? fromProps : 100);
    const log = [...base['metadata-log'], { 'timestamp-ms': base['last-updated-ms'], 'metadata-file': this.metadataUri(baseVersion) }];
    const lastUpdated = Math.max(Date.now(), md['last-updated-ms'], base['last-updated-ms']);
    return { ...md, 'last-updated-ms': lastUpdated, 'metadata-log': log.slice(Math.max(0, log.length - max)) };
  }

  async #writeHint(version: number): Promise<void> {
    try {
      await this.io.store.put(this.io.key('metadata/version-hint.text'), Buffer.from(String(version), 'utf8'));
    } catch {
      // Only a hint for path-based readers; the listing finds the newest version without it.
    }
  }
}
