// What table metadata references, as store keys: the sets snapshot expiry and orphan cleanup
// subtract from what they could delete. A reachable set is only ever computed completely: a
// manifest list or manifest of a retained snapshot that cannot be read throws, so a partial view
// never turns a live file into a deletion candidate.

import { EntryStatus, type ManifestEntry, type ManifestFile, type Snapshot, type TableIO, type TableMetadata } from '../iceberg/index.ts';

export interface FileSets {
  manifestLists: Set<string>;
  manifests: Set<string>;
  /** Data and delete files. */
  dataFiles: Set<string>;
  /** Statistics files (puffin) named by the metadata. */
  statistics: Set<string>;
}

export function emptyFileSets(): FileSets {
  return { manifestLists: new Set(), manifests: new Set(), dataFiles: new Set(), statistics: new Set() };
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Reads of manifest lists and manifests, each file read at most once per instance. */
export class ManifestReader {
  readonly io: TableIO;
  readonly #lists = new Map<string, Promise<ManifestFile[]>>();
  readonly #manifests = new Map<string, Promise<ManifestEntry[]>>();

  constructor(io: TableIO) {
    this.io = io;
  }

  /** Store key of a URI of this table's store, or null for one outside it. */
  key(uri: string): string | null {
    try {
      return this.io.keyOfUri(uri);
    } catch {
      return null;
    }
  }

  list(snapshot: Snapshot): Promise<ManifestFile[]> {
    const uri = snapshot['manifest-list'];
    let p = this.#lists.get(uri);
    if (!p) this.#lists.set(uri, (p = this.io.readManifestList(snapshot)));
    return p;
  }

  entries(m: ManifestFile): Promise<ManifestEntry[]> {
    let p = this.#manifests.get(m.manifestPath);
    if (!p) this.#manifests.set(m.manifestPath, (p = this.io.readManifest(m)));
    return p;
  }
}

function addKey(set: Set<string>, reader: ManifestReader, uri: string): void {
  const k = reader.key(uri);
  if (k !== null) set.add(k);
}

/**
 * Everything the snapshots reference: their manifest lists, manifests, and the data files live in
 * them (`liveOnly`) or mentioned at all (entries of any status, for expired snapshots).
 * `tolerateMissing` skips unreadable lists and manifests instead of throwing (only for expired
 * snapshots, whose files an earlier interrupted run may have deleted already).
 */
export async function filesOf(
  reader: ManifestReader,
  snapshots: readonly Snapshot[],
  opts: { liveOnly: boolean; tolerateMissing?: boolean },
): Promise<FileSets> {
  const out = emptyFileSets();
  const manifests = new Map<string, ManifestFile>();
  const lists = await mapLimit(snapshots, 8, async (s) => {
    try {
      return await reader.list(s);
    } catch (err) {
      if (opts.tolerateMissing) return [];
      throw err;
    }
  });
  snapshots.forEach((s, i) => {
    addKey(out.manifestLists, reader, s['manifest-list']);
    for (const m of lists[i]) manifests.set(m.manifestPath, m);
  });
  const entries = await mapLimit([...manifests.values()], 8, async (m) => {
    try {
      return await reader.entries(m);
    } catch (err) {
      if (opts.tolerateMissing) return [];
      throw err;
    }
  });
  for (const m of manifests.values()) addKey(out.manifests, reader, m.manifestPath);
  for (const list of entries) {
    for (const e of list) {
      if (opts.liveOnly && e.status === EntryStatus.DELETED) continue;
      addKey(out.dataFiles, reader, e.dataFile.filePath);
    }
  }
  return out;
}

/** Statistics files the metadata names (spec keys `statistics` and `partition-statistics`). */
export function statisticsFiles(reader: ManifestReader, md: TableMetadata): Set<string> {
  const out = new Set<string>();
  const extra = md as unknown as Record<string, unknown>;
  for (const key of ['statistics', 'partition-statistics']) {
    const list = extra[key];
    if (!Array.isArray(list)) continue;
    for (const s of list as { 'statistics-path'?: unknown }[]) {
      if (typeof s?.['statistics-path'] === 'string') addKey(out, reader, s['statistics-path']);
    }
  }
  return out;
}

/** What the metadata keeps alive: every file its snapshots reference (live entries) and its statistics. */
export async function reachableFiles(reader: ManifestReader, md: TableMetadata): Promise<FileSets> {
  const sets = await filesOf(reader, md.snapshots, { liveOnly: true });
  sets.statistics = statisticsFiles(reader, md);
  return sets;
}
