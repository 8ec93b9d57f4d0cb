// Metadata maintenance actions: snapshot expiry (ExpireSnapshots) and manifest merging
// (RewriteManifests).
//
// Snapshot expiry: which snapshots a table keeps, and the metadata without the others. Metadata
// only; deleting the files that only expired snapshots referenced is the caller's job
// (maintenance/expiry.ts), done after the commit and computed from what is still reachable.
//
// Which snapshots stay (Iceberg's ExpireSnapshots semantics, simplified to what Floe writes):
// - every snapshot a ref (branch or tag) points at;
// - for every branch, its newest `retainLast` ancestors (the branch's `min-snapshots-to-keep`
//   when set), and every ancestor younger than the cutoff (the branch's `max-snapshot-age-ms`
//   when set);
// - any other snapshot younger than the cutoff;
// - the exactly-once guard: the chain from `main`'s snapshot back to the nearest one whose summary
//   records Kafka offsets, so readRecordedOffsets() answers the same before and after.
// Refs are never removed. The snapshot log keeps only the entries after the last one that names
// an expired snapshot (as the reference implementation does: a gap in the history would make
// time travel answer with the wrong snapshot). Statistics files of expired snapshots are dropped.

import { randomUUID } from 'node:crypto';
import { FloeError } from '../errors.ts';
import { EntryStatus, encodeManifest, encodeManifestList, summarizePartitions, type ManifestEntry, type ManifestFile } from './manifest.ts';
import {
  MAIN_BRANCH,
  ancestors,
  currentSchema,
  currentSnapshot,
  defaultSpec,
  snapshotById,
  type Snapshot,
  type SnapshotSummary,
  type TableMetadata,
} from './metadata.ts';
import { OFFSETS_SUMMARY_KEY, snapshotOffsets } from './offsets.ts';
import type { ApplyContext, TableAction } from './transaction.ts';

export interface ExpireSnapshotsOptions {
  /** Snapshots with `timestamp-ms` below this may expire (ms since the epoch). */
  olderThanMs: number;
  /** Newest ancestors of each branch kept whatever their age (at least 1). @default 1 */
  retainLast?: number;
  /** "Now" for a branch's own `max-snapshot-age-ms`. @default Date.now() */
  nowMs?: number;
}

export interface ExpiryPlan {
  retained: Snapshot[];
  expired: Snapshot[];
}

/** Splits the metadata's snapshots into those expiry keeps and those it removes. No I/O. */
export function planSnapshotExpiry(md: TableMetadata, opts: ExpireSnapshotsOptions): ExpiryPlan {
  const retainLast = Math.max(1, Math.floor(opts.retainLast ?? 1));
  const keep = new Set<bigint>();
  for (const ref of Object.values(md.refs)) {
    if (!snapshotById(md, ref['snapshot-id'])) continue;
    keep.add(ref['snapshot-id']);
    if (ref.type !== 'branch') continue;
    const minKeep = Math.max(1, ref['min-snapshots-to-keep'] ?? retainLast);
    const cutoff = ref['max-snapshot-age-ms'] !== undefined ? (opts.nowMs ?? Date.now()) - ref['max-snapshot-age-ms'] : opts.olderThanMs;
    let n = 0;
    for (const s of ancestors(md, ref['snapshot-id'])) {
      if (n < minKeep || s['timestamp-ms'] >= cutoff) keep.add(s['snapshot-id']);
      n++;
    }
  }
  for (const s of md.snapshots) if (s['timestamp-ms'] >= opts.olderThanMs) keep.add(s['snapshot-id']);
  // The exactly-once guard: never cut the chain to the offsets the table's state records.
  const head = md.refs[MAIN_BRANCH]?.['snapshot-id'] ?? md['current-snapshot-id'];
  if (head !== null && head !== undefined) {
    for (const s of ancestors(md, head)) {
      keep.add(s['snapshot-id']);
      if (snapshotOffsets(s)) break;
    }
  }
  const retained: Snapshot[] = [];
  const expired: Snapshot[] = [];
  for (const s of md.snapshots) (keep.has(s['snapshot-id']) ? retained : expired).push(s);
  return { retained, expired };
}

/** The metadata without the given snapshots (refs must not point at them). No I/O. */
export function removeSnapshots(md: TableMetadata, ids: ReadonlySet<bigint>): TableMetadata {
  if (ids.size === 0) return md;
  for (const [name, ref] of Object.entries(md.refs)) {
    if (ids.has(ref['snapshot-id'])) {
      throw new FloeError('FLOE_COMMIT_FAILED', `cannot expire snapshot ${ref['snapshot-id']}: ref ${JSON.stringify(name)} points at it`);
    }
  }
  if (md['current-snapshot-id'] !== null && ids.has(md['current-snapshot-id'])) {
    throw new FloeError('FLOE_COMMIT_FAILED', `cannot expire the current snapshot ${md['current-snapshot-id']}`);
  }
  const snapshots = md.snapshots.filter((s) => !ids.has(s['snapshot-id']));
  const log: TableMetadata['snapshot-log'] = [];
  for (const e of md['snapshot-log']) {
    if (ids.has(e['snapshot-id'])) log.length = 0;
    else log.push(e);
  }
  const out: TableMetadata = { ...md, snapshots, 'snapshot-log': log };
  // Optional spec keys this model does not type: statistics files are per snapshot.
  const extra = out as unknown as Record<string, unknown>;
  for (const key of ['statistics', 'partition-statistics']) {
    const list = extra[key];
    if (Array.isArray(list)) {
      extra[key] = list.filter((x: { 'snapshot-id'?: unknown }) => {
        const id = x?.['snapshot-id'];
        return !(typeof id === 'bigint' || typeof id === 'number') || !ids.has(BigInt(id));
      });
    }
  }
  return out;
}

/**
 * Removes the snapshots that `planSnapshotExpiry` expires, computed on every commit attempt
 * against the freshly loaded metadata (a concurrent append only adds snapshots that stay).
 * `expired` holds the snapshots the latest attempt removed.
 */
export class ExpireSnapshots implements TableAction {
  readonly kind = 'expire-snapshots';
  readonly options: ExpireSnapshotsOptions;
  expired: Snapshot[] = [];

  constructor(options: ExpireSnapshotsOptions) {
    this.options = options;
  }

  async apply(md: TableMetadata, _ctx: ApplyContext): Promise<TableMetadata> {
    const plan = planSnapshotExpiry(md, this.options);
    this.expired = plan.expired;
    if (plan.expired.length === 0) return md;
    return removeSnapshots(md, new Set(plan.expired.map((s) => s['snapshot-id'])));
  }
}

// ---------------------------------------------------------------------------------------------
// Manifest merging
//
// Every fast append adds a manifest and every replace rewrites the manifests it touches, so the
// current snapshot's manifest list only grows. Readers open every manifest to plan a scan, and a
// commit that replaces files (compaction) reads them on every attempt. RewriteManifests merges
// the data manifests of the default spec into few, holding only the live entries (as EXISTING,
// with their original snapshot ids and sequence numbers), in a new `replace` snapshot whose live
// files are exactly its parent's. Manifests of other specs and delete manifests are carried over.

export interface RewriteManifestsOptions {
  /** Only rewrite when the default spec has more data manifests than this. @default 16 */
  maxManifests?: number;
  /** Entries per merged manifest. @default 20000 */
  entriesPerManifest?: number;
  /** Extra snapshot summary properties. */
  summary?: Record<string, string>;
}

function partitionOrder(a: ManifestEntry, b: ManifestEntry): number {
  const ka = JSON.stringify(a.dataFile.partition);
  const kb = JSON.stringify(b.dataFile.partition);
  if (ka !== kb) return ka < kb ? -1 : 1;
  return (a.sequenceNumber ?? 0) - (b.sequenceNumber ?? 0);
}

function sumBig<T>(xs: readonly T[], f: (x: T) => bigint): bigint {
  let s = 0n;
  for (const x of xs) s += f(x);
  return s;
}

export class RewriteManifests implements TableAction {
  readonly kind = 'rewrite-manifests';
  readonly options: RewriteManifestsOptions;
  /** Manifests the latest attempt replaced (0 when it found nothing to do). */
  replaced = 0;

  constructor(options: RewriteManifestsOptions = {}) {
    this.options = options;
  }

  async apply(md: TableMetadata, ctx: ApplyContext): Promise<TableMetadata> {
    this.replaced = 0;
    const parent = currentSnapshot(md);
    if (!parent) return md;
    const spec = defaultSpec(md);
    const schema = currentSchema(md);
    const list = await ctx.io.readManifestList(parent);
    const mine = list.filter((m) => m.content === 0 && m.partitionSpecId === spec['spec-id']);
    const kept = list.filter((m) => !(m.content === 0 && m.partitionSpecId === spec['spec-id']));
    if (mine.length <= (this.options.maxManifests ?? 16)) return md;

    const live: ManifestEntry[] = [];
    for (const m of mine) {
      for (const e of await ctx.io.readManifest(m)) {
        if (e.status === EntryStatus.DELETED) continue;
        if (e.sequenceNumber === null || e.fileSequenceNumber === null) {
          throw new FloeError('FLOE_TABLE_CORRUPT', `manifest ${m.manifestPath}: entry ${e.dataFile.filePath} has no sequence number`);
        }
        live.push({ ...e, status: EntryStatus.EXISTING });
      }
    }
    const expectedFiles = mine.reduce((n, m) => n + m.addedFilesCount + m.existingFilesCount, 0);
    if (live.length !== expectedFiles) {
      throw new FloeError('FLOE_TABLE_CORRUPT', `rewrite manifests: found ${live.length} live entries, the manifest list counts ${expectedFiles}`);
    }
    live.sort(partitionOrder);

    const snapshotId = ctx.nextSnapshotId(md);
    const sequenceNumber = md['last-sequence-number'] + 1;
    const per = Math.max(1, this.options.entriesPerManifest ?? 20_000);
    const merged: ManifestFile[] = [];
    for (let i = 0; i < live.length; i += per) {
      const chunk = live.slice(i, i + per);
      const bytes = encodeManifest(chunk, { schema, spec });
      const key = ctx.io.key(`metadata/${randomUUID()}-m0.avro`);
      ctx.wrote(key);
      await ctx.io.store.put(key, bytes);
      merged.push({
        manifestPath: ctx.io.uriOfKey(key),
        manifestLength: BigInt(bytes.length),
        partitionSpecId: spec['spec-id'],
        content: 0,
        sequenceNumber,
        minSequenceNumber: chunk.reduce((min, e) => Math.min(min, e.sequenceNumber ?? sequenceNumber), sequenceNumber),
        addedSnapshotId: snapshotId,
        addedFilesCount: 0,
        existingFilesCount: chunk.length,
        deletedFilesCount: 0,
        addedRowsCount: 0n,
        existingRowsCount: sumBig(chunk, (e) => e.dataFile.recordCount),
        deletedRowsCount: 0n,
        partitions: summarizePartitions(spec, schema, chunk.map((e) => e.dataFile)),
        keyMetadata: null,
      });
    }
    const manifests = [...merged, ...kept];
    const listBytes = encodeManifestList(manifests, { snapshotId, parentSnapshotId: parent['snapshot-id'], sequenceNumber });
    const listKey = ctx.io.key(`metadata/snap-${snapshotId}-${ctx.attempt}-${randomUUID()}.avro`);
    ctx.wrote(listKey);
    await ctx.io.store.put(listKey, listBytes);

    // Same live files, rows and bytes as the parent; only the manifests changed.
    const summary: SnapshotSummary = { ...(this.options.summary ?? {}), operation: 'replace' };
    for (const k of ['total-records', 'total-data-files', 'total-delete-files', 'total-files-size', 'total-position-deletes', 'total-equality-deletes', OFFSETS_SUMMARY_KEY]) {
      const v = parent.summary[k];
      if (v !== undefined) summary[k] = v;
    }
    summary['manifests-created'] = String(merged.length);
    summary['manifests-replaced'] = String(mine.length);
    summary['manifests-kept'] = String(kept.length);
    summary['entries-processed'] = String(live.length);
    summary['changed-partition-count'] = '0';
    const timestamp = Math.max(ctx.nowMs, parent['timestamp-ms'], md['last-updated-ms']);
    const snapshot: Snapshot = {
      'snapshot-id': snapshotId,
      'parent-snapshot-id': parent['snapshot-id'],
      'sequence-number': sequenceNumber,
      'timestamp-ms': timestamp,
      'manifest-list': ctx.io.uriOfKey(listKey),
      summary,
      'schema-id': md['current-schema-id'],
    };
    this.replaced = mine.length;
    return {
      ...md,
      'last-sequence-number': sequenceNumber,
      'last-updated-ms': timestamp,
      'current-snapshot-id': snapshotId,
      snapshots: [...md.snapshots, snapshot],
      'snapshot-log': [...md['snapshot-log'], { 'timestamp-ms': timestamp, 'snapshot-id': snapshotId }],
      refs: { ...md.refs, [MAIN_BRANCH]: { ...(md.refs[MAIN_BRANCH] ?? { type: 'branch' }), 'snapshot-id': snapshotId } },
    };
  }
}
