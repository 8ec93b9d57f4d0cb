// Table actions and the per-attempt transaction that applies them.
//
// An action never holds on to metadata: every commit attempt hands it the freshly loaded
// metadata (after the actions before it in the same commit), and it returns the metadata it
// produces, writing the manifests and manifest list it needs under new unique names. A lost race
// therefore costs only a re-run of apply() against the newer metadata; nothing written by the
// losing attempt is referenced by anyone.
//
// Snapshot-producing actions (AppendFiles, ReplaceFiles) reuse the parent's manifests: a fast
// append writes one new manifest for its files and carries the parent's manifest list entries
// over unchanged; a replace rewrites only the manifests that hold the files it removes.

import { randomUUID } from 'node:crypto';
import { FloeError } from '../errors.ts';
import type { Schema } from '../schema/types.ts';
import type { ObjectStore } from '../store/store.ts';
import {
  DataFileContent,
  EntryStatus,
  decodeManifest,
  decodeManifestList,
  encodeManifest,
  encodeManifestList,
  inheritFromManifest,
  summarizePartitions,
  type DataFile,
  type ManifestEntry,
  type ManifestFile,
} from './manifest.ts';
import {
  MAIN_BRANCH,
  currentSchema,
  currentSnapshot,
  defaultSpec,
  maxFieldId,
  newSnapshotId,
  specById,
  type Snapshot,
  type SnapshotOperation,
  type SnapshotSummary,
  type TableMetadata,
} from './metadata.ts';
import { OFFSETS_SUMMARY_KEY, encodeOffsets, mergeOffsets, readRecordedOffsets, type KafkaOffsets } from './offsets.ts';

/**
 * The commit was refused on purpose and retrying cannot help: an offset precondition failed, a
 * file to replace is no longer live, ... The caller decides what to do (e.g. discard the batch).
 */
export class CommitRefused extends FloeError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('FLOE_COMMIT_FAILED', message, { ...options, retryable: false });
    this.name = 'CommitRefused';
  }
}

/** Where a table lives and how its store keys map to the absolute URIs metadata records. */
export class TableIO {
  readonly store: ObjectStore;
  /** Store key of the table root, without leading or trailing '/'. */
  readonly prefix: string;
  /** Absolute URI of the table root (`<store.url>/<prefix>`), the metadata's `location`. */
  readonly location: string;

  constructor(store: ObjectStore, prefix: string) {
    this.store = store;
    this.prefix = prefix.replace(/^\/+|\/+$/g, '');
    this.location = this.prefix ? `${store.url}/${this.prefix}` : store.url;
  }

  /** Store key of something under the table root (`metadata/v1.metadata.json` -> `<prefix>/...`). */
  key(rel: string): string {
    return this.prefix ? `${this.prefix}/${rel}` : rel;
  }

  uriOfKey(key: string): string {
    return `${this.store.url}/${key}`;
  }

  /** Absolute URIs pass through; anything else is a store key. */
  resolve(pathOrKey: string): string {
    return /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(pathOrKey) ? pathOrKey : this.uriOfKey(pathOrKey.replace(/^\/+/, ''));
  }

  /** The store key of an absolute URI in this store (s3a:// and s3n:// count as s3://). */
  keyOfUri(uri: string): string {
    const normalized = uri.replace(/^s3[an]:\/\//, 's3://');
    const root = this.store.url + '/';
    if (!normalized.startsWith(root)) {
      throw new FloeError('FLOE_TABLE_CORRUPT', `${uri} is outside the table's store ${this.store.url}`);
    }
    return normalized.slice(root.length);
  }

  async read(uri: string, what: string): Promise<Uint8Array> {
    const bytes = await this.store.get(this.keyOfUri(uri));
    if (bytes === null) throw new FloeError('FLOE_TABLE_CORRUPT', `${what} ${uri} is missing`);
    return bytes;
  }

  async readManifestList(snapshot: Snapshot): Promise<ManifestFile[]> {
    const uri = snapshot['manifest-list'];
    return decodeManifestList(await this.read(uri, 'manifest list'), `manifest list ${uri}`);
  }

  async readManifest(m: ManifestFile): Promise<ManifestEntry[]> {
    const bytes = await this.read(m.manifestPath, 'manifest');
    return decodeManifest(bytes, `manifest ${m.manifestPath}`).entries.map((e) => inheritFromManifest(e, m));
  }
}

/** What an action sees during one commit attempt. */
export interface ApplyContext {
  readonly io: TableIO;
  /** Attempt number, from 1. */
  readonly attempt: number;
  readonly nowMs: number;
  /** The id for the next snapshot this attempt produces; the same across attempts of one commit. */
  nextSnapshotId(md: TableMetadata): bigint;
  /** Records a key written by this attempt (deleted again if the attempt loses its race). */
  wrote(key: string): void;
}

export interface TableAction {
  readonly kind: string;
  apply(md: TableMetadata, ctx: ApplyContext): Promise<TableMetadata>;
}

// ---------------------------------------------------------------------------------------------
// Snapshot production shared by AppendFiles and ReplaceFiles

function sumBig<T>(xs: T[], f: (x: T) => bigint): bigint {
  let s = 0n;
  for (const x of xs) s += f(x);
  return s;
}

function partitionKey(f: DataFile): string {
  return JSON.stringify(Object.entries(f.partition).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)), (_k, v) =>
    typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v,
  );
}

/** Validates and normalizes files for a commit: absolute paths, partition tuples matching the spec. */
function prepareFiles(files: DataFile[], md: TableMetadata, io: TableIO): DataFile[] {
  const spec = defaultSpec(md);
  const seen = new Set<string>();
  return files.map((f) => {
    const filePath = io.resolve(f.filePath);
    if (seen.has(filePath)) throw new CommitRefused(`file ${filePath} is listed twice in one commit`);
    seen.add(filePath);
    if (f.content !== DataFileContent.DATA) throw new CommitRefused(`file ${filePath}: only data files can be appended`);
    const partition: DataFile['partition'] = {};
    for (const pf of spec.fields) {
      const v = f.partition[pf.name];
      if (v === undefined) {
        throw new CommitRefused(`file ${filePath}: partition value for ${JSON.stringify(pf.name)} is missing`);
      }
      if (pf.transform === 'hour' && v !== null && !(typeof v === 'number' && Number.isInteger(v))) {
        throw new CommitRefused(`file ${filePath}: partition ${pf.name} must be an integer hour, got ${String(v)}`);
      }
      partition[pf.name] = v;
    }
    return { ...f, filePath, partition };
  });
}

interface SnapshotPlan {
  operation: SnapshotOperation;
  snapshotId: bigint;
  sequenceNumber: number;
  manifests: ManifestFile[];
  added: DataFile[];
  removed: DataFile[];
  offsets: KafkaOffsets | null;
  extraSummary: Record<string, string>;
}

async function writeNewFilesManifest(
  files: DataFile[],
  md: TableMetadata,
  ctx: ApplyContext,
  snapshotId: bigint,
  sequenceNumber: number,
): Promise<ManifestFile | null> {
  if (files.length === 0) return null;
  const schema = currentSchema(md);
  const spec = defaultSpec(md);
  const entries: ManifestEntry[] = files.map((dataFile) => ({
    status: EntryStatus.ADDED,
    snapshotId,
    sequenceNumber: null,
    fileSequenceNumber: null,
    dataFile,
  }));
  const bytes = encodeManifest(entries, { schema, spec });
  const key = ctx.io.key(`metadata/${randomUUID()}-m0.avro`);
  ctx.wrote(key);
  await ctx.io.store.put(key, bytes);
  return {
    manifestPath: ctx.io.uriOfKey(key),
    manifestLength: BigInt(bytes.length),
    partitionSpecId: spec['spec-id'],
    content: 0,
    sequenceNumber,
    minSequenceNumber: sequenceNumber,
    addedSnapshotId: snapshotId,
    addedFilesCount: files.length,
    existingFilesCount: 0,
    deletedFilesCount: 0,
    addedRowsCount: sumBig(files, (f) => f.recordCount),
    existingRowsCount: 0n,
    deletedRowsCount: 0n,
    partitions: summarizePartitions(spec, schema, files),
    keyMetadata: null,
  };
}

function num(summary: SnapshotSummary | undefined, key: string): bigint | null {
  const v = summary?.[key];
  return v !== undefined && /^-?\d+$/.test(v) ? BigInt(v) : null;
}

function buildSummary(parent: Snapshot | null, plan: SnapshotPlan): SnapshotSummary {
  const addedSize = sumBig(plan.added, (f) => f.fileSizeInBytes);
  const removedSize = sumBig(plan.removed, (f) => f.fileSizeInBytes);
  const addedRecords = sumBig(plan.added, (f) => f.recordCount);
  const removedRecords = sumBig(plan.removed, (f) => f.recordCount);
  const summary: SnapshotSummary = { ...plan.extraSummary, operation: plan.operation };
  if (plan.added.length > 0) {
    summary['added-data-files'] = String(plan.added.length);
    summary['added-records'] = addedRecords.toString();
    summary['added-files-size'] = addedSize.toString();
  }
  if (plan.removed.length > 0) {
    summary['deleted-data-files'] = String(plan.removed.length);
    summary['deleted-records'] = removedRecords.toString();
    summary['removed-files-size'] = removedSize.toString();
  }
  summary['changed-partition-count'] = String(new Set([...plan.added, ...plan.removed].map(partitionKey)).size);

  // Live files and rows follow from the manifest list: every manifest's live entries are its
  // added + existing ones (a manifest that loses files is rewritten, never edited).
  const data = plan.manifests.filter((m) => m.content === 0);
  const deletes = plan.manifests.filter((m) => m.content === 1);
  summary['total-records'] = sumBig(data, (m) => m.addedRowsCount + m.existingRowsCount).toString();
  summary['total-data-files'] = String(data.reduce((s, m) => s + m.addedFilesCount + m.existingFilesCount, 0));
  summary['total-delete-files'] = String(deletes.reduce((s, m) => s + m.addedFilesCount + m.existingFilesCount, 0));
  // Sizes are not in the manifest list: carry the parent's total forward.
  const parentSize = parent === null ? 0n : num(parent.summary, 'total-files-size');
  if (parentSize !== null) summary['total-files-size'] = (parentSize + addedSize - removedSize).toString();
  for (const k of ['total-position-deletes', 'total-equality-deletes']) {
    const v = parent === null ? 0n : num(parent.summary, k);
    if (v !== null) summary[k] = v.toString();
  }
  if (plan.offsets) summary[OFFSETS_SUMMARY_KEY] = encodeOffsets(plan.offsets);
  return summary;
}

async function commitSnapshot(md: TableMetadata, ctx: ApplyContext, plan: SnapshotPlan): Promise<TableMetadata> {
  const parent = currentSnapshot(md);
  const listBytes = encodeManifestList(plan.manifests, {
    snapshotId: plan.snapshotId,
    parentSnapshotId: parent ? parent['snapshot-id'] : null,
    sequenceNumber: plan.sequenceNumber,
  });
  const listKey = ctx.io.key(`metadata/snap-${plan.snapshotId}-${ctx.attempt}-${randomUUID()}.avro`);
  ctx.wrote(listKey);
  await ctx.io.store.put(listKey, listBytes);

  // Timestamps never run backwards along the lineage, whatever the local clock says.
  const timestamp = Math.max(ctx.nowMs, parent ? parent['timestamp-ms'] : 0, md['last-updated-ms']);
  const snapshot: Snapshot = {
    'snapshot-id': plan.snapshotId,
    ...(parent ? { 'parent-snapshot-id': parent['snapshot-id'] } : {}),
    'sequence-number': plan.sequenceNumber,
    'timestamp-ms': timestamp,
    'manifest-list': ctx.io.uriOfKey(listKey),
    summary: buildSummary(parent, plan),
    'schema-id': md['current-schema-id'],
  };
  return {
    ...md,
    'last-sequence-number': plan.sequenceNumber,
    'last-updated-ms': timestamp,
    'current-snapshot-id': plan.snapshotId,
    snapshots: [...md.snapshots, snapshot],
    'snapshot-log': [...md['snapshot-log'], { 'timestamp-ms': timestamp, 'snapshot-id': plan.snapshotId }],
    refs: { ...md.refs, [MAIN_BRANCH]: { ...(md.refs[MAIN_BRANCH] ?? { type: 'branch' }), 'snapshot-id': plan.snapshotId } },
  };
}

// ---------------------------------------------------------------------------------------------
// Actions

export interface AppendFilesOptions {
  /** Extra snapshot summary properties (string values). */
  summary?: Record<string, string>;
  /** Kafka offsets this commit's data reaches: partition -> next offset. Merged into the table's. */
  offsets?: { topic: string; partitions: Map<number, bigint> };
  /**
   * Called on every attempt with the offsets committed so far (for `offsets.topic`), read from the
   * freshly loaded metadata. Return false (or throw) to refuse the commit: false becomes a
   * CommitRefused, a thrown error propagates unchanged. Neither is retried.
   * @default the committed next offset of every partition in `offsets` must not exceed the new one
   */
  precondition?: (committed: Map<number, bigint>, metadata: TableMetadata) => boolean;
}

/** Fast append: one new manifest for `files`, the parent's manifests carried over. */
export class AppendFiles implements TableAction {
  readonly kind = 'append';
  readonly files: DataFile[];
  readonly options: AppendFilesOptions;

  constructor(files: DataFile[], options: AppendFilesOptions = {}) {
    this.files = files;
    this.options = options;
  }

  async apply(md: TableMetadata, ctx: ApplyContext): Promise<TableMetadata> {
    const recorded = readRecordedOffsets(md);
    const wanted = this.options.offsets;
    if (wanted) {
      const committed = recorded && recorded.topic === wanted.topic ? new Map(recorded.partitions) : new Map<number, bigint>();
      const check =
        this.options.precondition ??
        ((c: Map<number, bigint>) => [...wanted.partitions].every(([p, next]) => (c.get(p) ?? -1n) <= next));
      if (!check(committed, md)) {
        const shown = [...wanted.partitions.keys()].map((p) => `${p}: committed ${committed.get(p) ?? 'none'}, new ${wanted.partitions.get(p)}`);
        throw new CommitRefused(`append to ${ctx.io.location} refused by the offset precondition (topic ${wanted.topic}; ${shown.join('; ')})`);
      }
    } else if (this.options.precondition && !this.options.precondition(new Map(recorded?.partitions ?? []), md)) {
      throw new CommitRefused(`append to ${ctx.io.location} refused by its precondition`);
    }
    if (this.files.length === 0 && !wanted) return md; // nothing to record

    const files = prepareFiles(this.files, md, ctx.io);
    const parent = currentSnapshot(md);
    const snapshotId = ctx.nextSnapshotId(md);
    const sequenceNumber = md['last-sequence-number'] + 1;
    const added = await writeNewFilesManifest(files, md, ctx, snapshotId, sequenceNumber);
    const inherited = parent ? await ctx.io.readManifestList(parent) : [];
    return commitSnapshot(md, ctx, {
      operation: 'append',
      snapshotId,
      sequenceNumber,
      manifests: added ? [added, ...inherited] : inherited,
      added: files,
      removed: [],
      // Offsets of other partitions stay as recorded; a commit without offsets copies them forward.
      offsets: wanted ? mergeOffsets(recorded, { topic: wanted.topic, partitions: wanted.partitions }) : recorded,
      extraSummary: this.options.summary ?? {},
    });
  }
}

/**
 * Replaces live data files by others holding the same rows (compaction). Fails with CommitRefused
 * when a file to remove is no longer live (e.g. a concurrent compaction replaced it first).
 * Recorded Kafka offsets are copied forward unchanged.
 */
export class ReplaceFiles implements TableAction {
  readonly kind = 'replace';
  readonly deleted: DataFile[];
  readonly added: DataFile[];
  readonly summary: Record<string, string>;

  constructor(deleted: DataFile[], added: DataFile[], summary: Record<string, string> = {}) {
    this.deleted = deleted;
    this.added = added;
    this.summary = summary;
  }

  async apply(md: TableMetadata, ctx: ApplyContext): Promise<TableMetadata> {
    if (this.deleted.length === 0 && this.added.length === 0) return md;
    const parent = currentSnapshot(md);
    if (!parent) throw new CommitRefused(`replace in ${ctx.io.location}: the table has no snapshot`);
    const toRemove = new Set(this.deleted.map((f) => ctx.io.resolve(f.filePath)));
    const added = prepareFiles(this.added, md, ctx.io);
    for (const f of added) {
      if (toRemove.has(f.filePath)) throw new CommitRefused(`replace: ${f.filePath} is both removed and added`);
    }
    const snapshotId = ctx.nextSnapshotId(md);
    const sequenceNumber = md['last-sequence-number'] + 1;
    const schema = currentSchema(md);

    const manifests: ManifestFile[] = [];
    const removed: DataFile[] = [];
    for (const m of await ctx.io.readManifestList(parent)) {
      if (m.content !== 0 || toRemove.size === removed.length) {
        manifests.push(m);
        continue;
      }
      const entries = (await ctx.io.readManifest(m)).filter((e) => e.status !== EntryStatus.DELETED);
      if (!entries.some((e) => toRemove.has(e.dataFile.filePath))) {
        manifests.push(m);
        continue;
      }
      const spec = specById(md, m.partitionSpecId);
      if (!spec) throw new FloeError('FLOE_TABLE_CORRUPT', `manifest ${m.manifestPath}: unknown partition spec ${m.partitionSpecId}`);
      const rewritten: ManifestEntry[] = entries.map((e) => {
        if (toRemove.has(e.dataFile.filePath)) {
          removed.push(e.dataFile);
          return { ...e, status: EntryStatus.DELETED, snapshotId };
        }
        return { ...e, status: EntryStatus.EXISTING };
      });
      const bytes = encodeManifest(rewritten, { schema, spec });
      const key = ctx.io.key(`metadata/${randomUUID()}-m1.avro`);
      ctx.wrote(key);
      await ctx.io.store.put(key, bytes);
      const live = rewritten.filter((e) => e.status === EntryStatus.EXISTING);
      const gone = rewritten.filter((e) => e.status === EntryStatus.DELETED);
      manifests.push({
        manifestPath: ctx.io.uriOfKey(key),
        manifestLength: BigInt(bytes.length),
        partitionSpecId: spec['spec-id'],
        content: 0,
        sequenceNumber,
        minSequenceNumber: live.reduce((min, e) => Math.min(min, e.sequenceNumber ?? sequenceNumber), sequenceNumber),
        addedSnapshotId: snapshotId,
        addedFilesCount: 0,
        existingFilesCount: live.length,
        deletedFilesCount: gone.length,
        addedRowsCount: 0n,
        existingRowsCount: sumBig(live, (e) => e.dataFile.recordCount),
        deletedRowsCount: sumBig(gone, (e) => e.dataFile.recordCount),
        partitions: summarizePartitions(spec, schema, rewritten.map((e) => e.dataFile)),
        keyMetadata: null,
      });
    }
    if (removed.length !== toRemove.size) {
      const found = new Set(removed.map((f) => f.filePath));
      const missing = [...toRemove].filter((p) => !found.has(p));
      throw new CommitRefused(
        `replace in ${ctx.io.location}: ${missing.length} file(s) to remove are not live (replaced concurrently?): ${missing.slice(0, 3).join(', ')}`,
      );
    }
    const addedManifest = await writeNewFilesManifest(added, md, ctx, snapshotId, sequenceNumber);
    return commitSnapshot(md, ctx, {
      operation: added.length > 0 ? 'replace' : 'delete',
      snapshotId,
      sequenceNumber,
      manifests: addedManifest ? [addedManifest, ...manifests] : manifests,
      added,
      removed,
      offsets: readRecordedOffsets(md),
      extraSummary: this.summary,
    });
  }
}

function sameFields(a: Schema, b: Schema): boolean {
  return JSON.stringify(a.fields) === JSON.stringify(b.fields) &&
    JSON.stringify(a['identifier-field-ids'] ?? []) === JSON.stringify(b['identifier-field-ids'] ?? []);
}

/**
 * Makes `schema` the current schema. Its `schema-id` is ignored: an identical existing schema is
 * reused, otherwise it is added with the next free id. Whether the change is an allowed migration
 * is for the schema module to decide before committing; here only the partition source columns
 * are checked, since a spec cannot outlive its source.
 */
export class SetSchema implements TableAction {
  readonly kind = 'set-schema';
  readonly schema: Schema;

  constructor(schema: Schema) {
    this.schema = schema;
  }

  async apply(md: TableMetadata): Promise<TableMetadata> {
    const existing = md.schemas.find((s) => sameFields(s, this.schema));
    if (existing) {
      if (existing['schema-id'] === md['current-schema-id']) return md;
      return { ...md, 'current-schema-id': existing['schema-id'] };
    }
    const ids = new Set<number>();
    const collect = (fields: Schema['fields']): void => {
      for (const f of fields) {
        ids.add(f.id);
        if (typeof f.type === 'object' && f.type.type === 'struct') collect(f.type.fields);
      }
    };
    collect(this.schema.fields);
    for (const pf of defaultSpec(md).fields) {
      if (!ids.has(pf['source-id'])) {
        throw new FloeError(
          'FLOE_SCHEMA_MIGRATION_REFUSED',
          `schema change drops field ${pf['source-id']}, the source of partition field ${JSON.stringify(pf.name)}`,
        );
      }
    }
    const schemaId = md.schemas.reduce((max, s) => Math.max(max, s['schema-id']), -1) + 1;
    const schema: Schema = { ...this.schema, 'schema-id': schemaId };
    return {
      ...md,
      schemas: [...md.schemas, schema],
      'current-schema-id': schemaId,
      'last-column-id': Math.max(md['last-column-id'], maxFieldId(schema)),
    };
  }
}

/** Sets (and removes) table properties. */
export class SetProperties implements TableAction {
  readonly kind = 'set-properties';
  readonly updates: Record<string, string>;
  readonly removals: string[];

  constructor(updates: Record<string, string>, removals: string[] = []) {
    this.updates = updates;
    this.removals = removals;
  }

  async apply(md: TableMetadata): Promise<TableMetadata> {
    const properties = { ...md.properties, ...this.updates };
    for (const k of this.removals) delete properties[k];
    if (JSON.stringify(properties) === JSON.stringify(md.properties)) return md;
    return { ...md, properties };
  }
}

// ---------------------------------------------------------------------------------------------
// One attempt

export interface StagedCommit {
  /** The metadata to publish (=== base when the actions changed nothing). */
  metadata: TableMetadata;
  /** Snapshots this attempt added, oldest first. */
  snapshots: Snapshot[];
  /** Keys this attempt wrote (manifests, manifest lists). */
  written: string[];
}

/**
 * The actions of one commit. Snapshot ids are drawn once and reused by every attempt, so a
 * reload can tell whether an earlier attempt whose outcome was unknown actually landed.
 */
export class Transaction {
  readonly io: TableIO;
  readonly actions: TableAction[];
  readonly #snapshotIds: bigint[] = [];

  constructor(io: TableIO, actions: TableAction[]) {
    this.io = io;
    this.actions = actions;
  }

  /** Snapshot ids drawn so far (any of them in a table's metadata means this commit landed). */
  get snapshotIds(): readonly bigint[] {
    return this.#snapshotIds;
  }

  /** Runs every action against `base`. On error, deletes what it wrote and rethrows. */
  async stage(base: TableMetadata, attempt: number, nowMs = Date.now()): Promise<StagedCommit> {
    const written: string[] = [];
    let slot = 0;
    const ids = this.#snapshotIds;
    const ctx: ApplyContext = {
      io: this.io,
      attempt,
      nowMs,
      nextSnapshotId(md: TableMetadata): bigint {
        if (slot === ids.length) {
          ids.push(newSnapshotId(md, new Set(ids)));
        }
        return ids[slot++];
      },
      wrote(key: string): void {
        written.push(key);
      },
    };
    let md = base;
    try {
      for (const action of this.actions) md = await action.apply(md, ctx);
    } catch (err) {
      await this.discard(written);
      throw err;
    }
    const baseIds = new Set(base.snapshots.map((s) => s['snapshot-id']));
    return { metadata: md, snapshots: md.snapshots.filter((s) => !baseIds.has(s['snapshot-id'])), written };
  }

  /** Best-effort delete of an attempt's files (they are referenced by nothing). */
  async discard(written: string[]): Promise<void> {
    if (written.length === 0) return;
    await this.io.store.delete(written).catch(() => {});
  }
}
