// DeltaProjector: makes `<table>/_delta_log/` a projection of the Iceberg table's history, over
// the same Parquet files (DESIGN.md, "Commit protocol"). Iceberg is the source of truth; the
// Delta log only ever follows it.
//
// Projection state machine (one call to sync(icebergTable | metadata)):
//
//   LOAD      Delta state at the newest version V: the cached state probed forward
//      |      (V+1, V+2, ... until a commit is missing), or on first use the newest readable
//      |      classic checkpoint (via the listing and `_last_checkpoint`) plus the JSON commits
//      |      after it. The txn of appId `floe-iceberg` holds T, the Iceberg sequence number of
//      |      the last snapshot projected (none: T = -1).
//      v
//   PICK      The main branch's lineage, oldest first; the next snapshot S is the first one with
//      |      sequence number > T. None -> DONE (already up to date: sync is idempotent).
//      |      S's parent is not the snapshot T names (expired from Iceberg metadata by
//      |      maintenance, or the Delta log started after the first snapshot) -> the same commit
//      |      below is a CATCH-UP: it simply covers every expired snapshot at once.
//      v
//   BUILD     Commit V+1 = commitInfo (Iceberg snapshot id, sequence number, operation)
//      |      + protocol (V+1 = 0, or the schema needs a new table feature)
//      |      + metaData (V+1 = 0, or S's schema / partitioning projects differently: schema
//      |        evolution lands in the commit of the first snapshot written with the new schema)
//      |      + txn {appId: floe-iceberg, version: S.sequence-number}
//      |      + remove for every live Delta file that is not live in S
//      |      + add for every file live in S that the Delta state lacks.
//      |      The file actions are the difference between the Delta state's live files and S's
//      |      live files (S's manifests), so a commit always leaves exactly S's files live.
//      |      For a normal step this is the difference between S's parent and S, because the
//      |      state at V is by construction the projection of the parent; after a catch-up or
//      |      any divergence it converges anyway. Operation replace (compaction) -> adds and
//      |      removes with dataChange=false; append, overwrite, delete and catch-up ->
//      |      dataChange=true. A snapshot that changes no file (a manifest rewrite) still gets
//      |      its commit, with commitInfo and txn only.
//      v
//   PUBLISH   putIfAbsent(_delta_log/<V+1:020>.json)
//      |-- created          -> apply to the state; V+1 % checkpointInterval = 0 -> CHECKPOINT;
//      |                       -> PICK
//      |-- already exists   -> another projector won V+1 (it projected S, or something else):
//      |                       re-read the log from V+1 (LOAD) and PICK again; never a second
//      |                       commit for a snapshot the winner projected, never a skipped one
//      |-- retryable error  -> outcome unknown: re-read (LOAD); the file is there or it is not
//      |                       (more than 5 in a row for one version -> FAILED)
//      '-- other error      -> FAILED (the cached state is dropped; the next sync reloads)
//
//   CHECKPOINT `_delta_log/<V:020>.checkpoint.parquet` (put-if-absent) with the full state, then
//            `_last_checkpoint`. A crash before it is repaired at the end of the next sync: the
//            newest multiple of checkpointInterval <= V is above every known checkpoint ->
//            checkpoint V.
//
// A crash between an Iceberg commit and its Delta commit leaves the Delta log behind by some
// snapshots; the next sync (by any agent) projects them one by one (or catches up over the
// ones expired meanwhile). Nothing in the Delta log is ever rewritten.

import { ConfigError, FloeError, type ConfigIssue } from '../errors.ts';
import { EntryStatus, type ManifestEntry } from '../iceberg/manifest.ts';
import {
  MAIN_BRANCH,
  ancestors,
  currentSchema,
  defaultSpec,
  schemaById,
  type Snapshot,
  type TableMetadata,
} from '../iceberg/metadata.ts';
import { IcebergTable } from '../iceberg/table.ts';
import { TableIO } from '../iceberg/transaction.ts';
import type { Logger } from '../log.ts';
import { DEFAULT_BOUND_TRUNCATE_LENGTH } from '../schema/bounds.ts';
import type { ObjectStore } from '../store/store.ts';
import type { Action, AddFile, CommitInfo, RemoveFile } from './actions.ts';
import { DeltaLog } from './log.ts';
import { projectTable, sameProtocol, type PartitionColumn } from './schema.ts';
import type { DeltaState } from './state.ts';
import { deltaStats } from './stats.ts';

/** The txn appId whose version is the sequence number of the last Iceberg snapshot projected. */
export const ICEBERG_TXN_APP_ID = 'floe-iceberg';

/** Options of a projector. Every option has an environment variable (see deltaOptionsFromEnv). */
export interface DeltaProjectorOptions {
  /**
   * Write a checkpoint at every version divisible by this. Env `FLOE_DELTA_CHECKPOINT_INTERVAL`.
   * @default 10
   */
  checkpointInterval?: number;
  /**
   * Tombstones (remove actions) stay in checkpoints this long after their deletion, for VACUUM
   * (Delta's `delta.deletedFileRetentionDuration`). Env `FLOE_DELTA_TOMBSTONE_RETENTION_MS`.
   * @default 604800000 (7 days)
   */
  tombstoneRetentionMs?: number;
  /**
   * Code points Iceberg keeps in string bounds, i.e. the Parquet writer's truncate length;
   * string bounds that long are left out of Delta stats. Env `FLOE_PARQUET_BOUND_TRUNCATE_LENGTH`.
   * @default 16
   */
  stringBoundLength?: number;
  /** Warnings (catch-up commits) go here. */
  logger?: Logger;
}

export interface ResolvedDeltaProjectorOptions {
  checkpointInterval: number;
  tombstoneRetentionMs: number;
  stringBoundLength: number;
  logger: Logger | null;
}

export function resolveDeltaProjectorOptions(options: DeltaProjectorOptions = {}, path = 'delta'): ResolvedDeltaProjectorOptions {
  const issues: ConfigIssue[] = [];
  const int = (name: keyof DeltaProjectorOptions, v: unknown, dflt: number, min: number): number => {
    if (v === undefined) return dflt;
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= min) return v;
    issues.push({ path: `${path}.${name}`, message: `must be an integer >= ${min}, got ${JSON.stringify(v)}` });
    return dflt;
  };
  const out: ResolvedDeltaProjectorOptions = {
    checkpointInterval: int('checkpointInterval', options.checkpointInterval, 10, 1),
    tombstoneRetentionMs: int('tombstoneRetentionMs', options.tombstoneRetentionMs, 7 * 24 * 3_600_000, 0),
    stringBoundLength: int('stringBoundLength', options.stringBoundLength, DEFAULT_BOUND_TRUNCATE_LENGTH, 1),
    logger: options.logger ?? null,
  };
  if (issues.length > 0) throw new ConfigError(issues);
  return out;
}

/** Options from `FLOE_DELTA_*` (and FLOE_PARQUET_BOUND_TRUNCATE_LENGTH); unset ones are left out. */
export function deltaOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): DeltaProjectorOptions {
  const out: DeltaProjectorOptions = {};
  const num = (name: string): number | undefined => (env[name] === undefined || env[name] === '' ? undefined : Number(env[name]));
  const interval = num('FLOE_DELTA_CHECKPOINT_INTERVAL');
  if (interval !== undefined) out.checkpointInterval = interval;
  const retention = num('FLOE_DELTA_TOMBSTONE_RETENTION_MS');
  if (retention !== undefined) out.tombstoneRetentionMs = retention;
  const truncate = num('FLOE_PARQUET_BOUND_TRUNCATE_LENGTH');
  if (truncate !== undefined) out.stringBoundLength = truncate;
  return out;
}

export interface SyncResult {
  /** Delta commits this call created. */
  commitsWritten: number;
  /** Newest Delta version after the call (-1: the log is still empty). */
  version: number;
  /** Checkpoints this call wrote. */
  checkpointsWritten: number;
  /** Commits found taken by another projector. */
  racesLost: number;
  /** Commits that covered expired Iceberg snapshots (see CATCH-UP above). */
  catchUps: number;
  /** The Iceberg snapshot the Delta log projects now (null before the first). */
  snapshotId: bigint | null;
}

// Consecutive failed attempts to publish one commit with an unknown outcome before giving up.
const MAX_UNKNOWN_OUTCOMES = 5;

export class DeltaProjector {
  readonly store: ObjectStore;
  readonly tablePrefix: string;
  readonly log: DeltaLog;
  readonly options: ResolvedDeltaProjectorOptions;
  readonly #io: TableIO;
  #state: DeltaState | null = null;
  #queue: Promise<unknown> = Promise.resolve();
  #manifests = new Map<string, ManifestEntry[]>();

  constructor(store: ObjectStore, tablePrefix: string, options: DeltaProjectorOptions = {}) {
    this.store = store;
    this.tablePrefix = tablePrefix.replace(/^\/+|\/+$/g, '');
    this.options = resolveDeltaProjectorOptions(options);
    this.log = new DeltaLog(store, this.tablePrefix);
    this.#io = new TableIO(store, this.tablePrefix);
  }

  /** Absolute URI of the Delta table root (what Delta readers open). */
  get location(): string {
    return this.#io.location;
  }

  /**
   * Projects every Iceberg snapshot of the main branch not yet in the Delta log, one commit each
   * (see the state machine above). An IcebergTable is refreshed to its newest metadata first.
   * Calls on one projector run one after the other.
   */
  sync(source: IcebergTable | TableMetadata): Promise<SyncResult> {
    const run = this.#queue.then(() => this.#sync(source));
    this.#queue = run.catch(() => {});
    return run;
  }

  /** The Delta state at the newest version (read fresh from the store). */
  async state(): Promise<DeltaState> {
    return (await this.log.load()).clone();
  }

  async #sync(source: IcebergTable | TableMetadata): Promise<SyncResult> {
    if (source instanceof IcebergTable && source.location !== this.location) {
      throw new FloeError('FLOE_CONFIG_INVALID', `the Delta log at ${this.location} cannot project the Iceberg table at ${source.location}`);
    }
    const md = source instanceof IcebergTable ? await source.refresh() : source;
    const result: SyncResult = { commitsWritten: 0, version: -1, checkpointsWritten: 0, racesLost: 0, catchUps: 0, snapshotId: null };
    try {
      // LOAD
      let state = this.#state ? await this.log.update(this.#state) : await this.log.load();
      this.#state = state;
      const headId = md.refs[MAIN_BRANCH]?.['snapshot-id'] ?? md['current-snapshot-id'];
      const lineage = [...ancestors(md, headId)].reverse();
      const timestamps = new Map(md.snapshots.map((s) => [s['snapshot-id'], s['timestamp-ms']]));
      let unknownOutcomes = 0;

      for (;;) {
        // PICK
        const projected = state.txns.get(ICEBERG_TXN_APP_ID)?.version ?? -1;
        const at = firstAfter(lineage, projected);
        if (at === lineage.length) break;
        const next = lineage[at];
        const previous = at > 0 && lineage[at - 1]['sequence-number'] === projected ? lineage[at - 1] : null;
        const parentId = next['parent-snapshot-id'] ?? null;
        const catchUp = previous === null ? parentId !== null : parentId !== previous['snapshot-id'];

        // BUILD
        const version = state.version + 1;
        const actions = await this.#buildCommit(md, timestamps, state, next, previous, catchUp);

        // PUBLISH
        let created: boolean | null;
        try {
          created = await this.log.tryCommit(version, actions);
        } catch (err) {
          if (!(err instanceof FloeError && err.retryable)) throw err;
          if (++unknownOutcomes > MAX_UNKNOWN_OUTCOMES) throw err;
          created = null;
        }
        if (created) {
          unknownOutcomes = 0;
          state.applyCommit(version, actions);
          result.commitsWritten++;
          if (catchUp) {
            result.catchUps++;
            this.options.logger?.warn('delta projection caught up over expired Iceberg snapshots', {
              table: this.location,
              version,
              snapshotId: next['snapshot-id'],
              fromSequenceNumber: projected,
              toSequenceNumber: next['sequence-number'],
            });
          }
          if (version > 0 && version % this.options.checkpointInterval === 0) {
            await this.log.writeCheckpoint(state, Date.now() - this.options.tombstoneRetentionMs);
            result.checkpointsWritten++;
          }
          continue;
        }
        // Lost the race, or the outcome is unknown: what is in the log now decides.
        if (created === false) result.racesLost++;
        const before = state.version;
        state = await this.log.update(state);
        if (created === false && state.version === before) {
          throw new FloeError('FLOE_COMMIT_CONFLICT', `Delta log at ${this.location}: commit ${version} exists but cannot be read`, { retryable: true });
        }
      }

      // Repair a checkpoint a crash (or a lost race) left unwritten: the newest version divisible
      // by the interval is past every checkpoint known -> checkpoint the state at V instead.
      const due = Math.floor(state.version / this.options.checkpointInterval) * this.options.checkpointInterval;
      if (due > 0 && due > state.checkpointVersion) {
        const known = await this.log.readLastCheckpoint();
        if (known && known.version >= due) {
          state.checkpointVersion = Math.max(state.checkpointVersion, Math.min(known.version, state.version));
        } else {
          await this.log.writeCheckpoint(state, Date.now() - this.options.tombstoneRetentionMs);
          result.checkpointsWritten++;
        }
      }

      result.version = state.version;
      const projected = state.txns.get(ICEBERG_TXN_APP_ID)?.version ?? -1;
      const at = firstAfter(lineage, projected) - 1;
      result.snapshotId = at >= 0 && lineage[at]['sequence-number'] === projected ? lineage[at]['snapshot-id'] : null;
      return result;
    } catch (err) {
      this.#state = null; // reload from the store next time
      throw err;
    }
  }

  async #buildCommit(
    md: TableMetadata,
    timestamps: Map<bigint, number>,
    state: DeltaState,
    snapshot: Snapshot,
    previous: Snapshot | null,
    catchUp: boolean,
  ): Promise<Action[]> {
    const schemaId = snapshot['schema-id'];
    const schema = (schemaId === undefined ? undefined : schemaById(md, schemaId)) ?? currentSchema(md);
    const table = projectTable(md, schema, defaultSpec(md), { metadata: state.metadata, protocol: state.protocol }, { nowMs: snapshot['timestamp-ms'] });

    const operation = snapshot.summary.operation;
    const dataChange = catchUp || operation !== 'replace';
    const ts = snapshot['timestamp-ms'];
    const wanted = new Map<string, ManifestEntry>();
    for (const e of await this.#liveEntries(snapshot)) wanted.set(this.#deltaPath(e.dataFile.filePath), e);

    const removes: RemoveFile[] = [];
    for (const [path, add] of state.files) {
      if (wanted.has(path)) continue;
      removes.push({
        path,
        deletionTimestamp: ts,
        dataChange,
        extendedFileMetadata: true,
        partitionValues: add.partitionValues,
        size: add.size,
      });
    }
    const adds: AddFile[] = [];
    for (const [path, e] of wanted) {
      if (state.files.has(path)) continue;
      const f = e.dataFile;
      const added = e.snapshotId === null ? undefined : timestamps.get(e.snapshotId);
      adds.push({
        path,
        partitionValues: partitionValues(table.partitions, f.partition),
        size: Number(f.fileSizeInBytes),
        modificationTime: added ?? ts,
        dataChange,
        stats: deltaStats(f, schema, { stringBoundLength: this.options.stringBoundLength }),
      });
    }

    const commitInfo: CommitInfo = {
      timestamp: ts,
      operation: deltaOperation(operation, catchUp),
      operationParameters: { mode: operation === 'append' && !catchUp ? 'Append' : 'Overwrite', partitionBy: JSON.stringify(table.partitions.map((p) => p.name)) },
      isBlindAppend: !catchUp && operation === 'append' && removes.length === 0,
      engineInfo: 'floe-agent',
      floe: {
        source: 'iceberg',
        icebergSnapshotId: snapshot['snapshot-id'].toString(),
        icebergSequenceNumber: String(snapshot['sequence-number']),
        icebergOperation: operation,
        icebergSchemaId: String(schema['schema-id']),
        ...(catchUp ? { catchUpFromSequenceNumber: String(previous?.['sequence-number'] ?? state.txns.get(ICEBERG_TXN_APP_ID)?.version ?? -1) } : {}),
      },
    };
    const actions: Action[] = [{ commitInfo }];
    if (!sameProtocol(state.protocol, table.protocol)) actions.push({ protocol: table.protocol });
    if (table.metadata !== state.metadata) actions.push({ metaData: table.metadata });
    actions.push({ txn: { appId: ICEBERG_TXN_APP_ID, version: snapshot['sequence-number'], lastUpdated: ts } });
    for (const remove of removes) actions.push({ remove });
    for (const add of adds) actions.push({ add });
    return actions;
  }

  /**
   * Live data files of a snapshot, from its manifests. Decoded manifests are kept for the next
   * snapshot, which shares all but its new ones (fast appends carry the parent's manifests over).
   */
  async #liveEntries(snapshot: Snapshot): Promise<ManifestEntry[]> {
    const out: ManifestEntry[] = [];
    const kept = new Map<string, ManifestEntry[]>();
    for (const m of await this.#io.readManifestList(snapshot)) {
      if (m.content !== 0) {
        if (m.addedFilesCount + m.existingFilesCount > 0) {
          throw new FloeError(
            'FLOE_COMMIT_FAILED',
            `Iceberg snapshot ${snapshot['snapshot-id']} of ${this.location} has delete files; the Delta projection supports data files only`,
          );
        }
        continue;
      }
      const entries = this.#manifests.get(m.manifestPath) ?? (await this.#io.readManifest(m));
      kept.set(m.manifestPath, entries);
      for (const e of entries) {
        if (e.status === EntryStatus.DELETED) continue;
        if (e.dataFile.fileFormat.toUpperCase() !== 'PARQUET') {
          throw new FloeError('FLOE_COMMIT_FAILED', `data file ${e.dataFile.filePath} is ${e.dataFile.fileFormat}; Delta tables hold Parquet files only`);
        }
        out.push(e);
      }
    }
    this.#manifests = kept;
    return out;
  }

  /** add.path of an Iceberg data file: relative to the table root when under it, URI-encoded. */
  #deltaPath(filePath: string): string {
    const root = this.#io.location + '/';
    const normalized = filePath.replace(/^s3[an]:\/\//, 's3://');
    if (normalized.startsWith(root)) return encodeRelativePath(normalized.slice(root.length));
    return filePath;
  }
}

/** Index of the first snapshot of `lineage` (ascending sequence numbers) with a sequence number > seq. */
function firstAfter(lineage: Snapshot[], seq: number): number {
  let lo = 0;
  let hi = lineage.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (lineage[mid]['sequence-number'] > seq) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Percent-encodes a relative path segment by segment, keeping only [A-Za-z0-9._~=-] literal. */
export function encodeRelativePath(rel: string): string {
  return rel
    .split('/')
    .map((seg) =>
      Array.from(new TextEncoder().encode(seg), (b) => {
        const c = String.fromCharCode(b);
        return /[A-Za-z0-9._~=-]/.test(c) && b < 0x80 ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
      }).join(''),
    )
    .join('/');
}

function partitionValues(columns: PartitionColumn[], partition: Record<string, unknown>): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const c of columns) {
    const v = partition[c.field.name];
    out[c.name] = v === null || v === undefined ? null : String(v);
  }
  return out;
}

function deltaOperation(op: string, catchUp: boolean): string {
  if (catchUp) return 'FLOE ICEBERG CATCH-UP';
  switch (op) {
    case 'append':
      return 'WRITE';
    case 'replace':
      return 'OPTIMIZE';
    case 'delete':
      return 'DELETE';
    default:
      return 'WRITE';
  }
}
