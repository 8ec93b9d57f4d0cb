// Compaction planning: which live data files to merge. Pure functions over file descriptions.
//
// Size-tiered, per partition (never across partitions, never the whole table):
// - A file of at least `smallBytes` (3/4 of the target) is done and never rewritten.
// - Smaller files fall into tiers by size, each `fanout` times the one below:
//   tier 0 = [S/F, S), tier 1 = [S/F², S/F), ... (S = smallBytes, F = fanout; a file of exactly
//   S/F^k belongs to tier k-1).
// - Within a tier, files are taken oldest first and merged in groups that close as soon as they
//   hold F files or at least S bytes (with two files or more). F files of tier k add up to tier
//   k-1 or more, and a group of S bytes or more is done; so every rewrite lifts its bytes at least
//   one tier, and each byte is rewritten at most about log_F(S / ingest file size) + 1 times.
//   Groups stay below 2S = 1.5 x target: every member is below S and the group closes at S.
// - What a tier keeps waiting is fewer than F files, so a partition that keeps receiving files
//   holds fewer than F files per tier: its small-file count is bounded by (F-1) x tiers.
// - A sealed partition (an hour partition well past its hour: no more data expected) merges its
//   remaining small files in age order, regardless of tier, into groups closing at S bytes; the
//   last group is merged too when it has two files or more. This runs once per partition (after it
//   at most one small file remains), unless late data arrives.

export interface CandidateFile {
  /** Identity (the data file's path). */
  path: string;
  sizeBytes: number;
  /** Order of arrival (data sequence number, then path): groups keep rows roughly in time order. */
  sequenceNumber: number;
}

export interface PlanOptions {
  targetBytes: number;
  fanout: number;
  /** @default 0.75 x targetBytes */
  smallBytes?: number;
}

export interface MergeGroup<F extends CandidateFile = CandidateFile> {
  files: F[];
  bytes: number;
  /** Tier the group was formed in, or 'sealed'. */
  tier: number | 'sealed';
}

export function smallThreshold(opts: PlanOptions): number {
  return opts.smallBytes ?? Math.floor(opts.targetBytes * 0.75);
}

/** Tier of a small file (0 = just below the small threshold). */
export function tierOf(sizeBytes: number, smallBytes: number, fanout: number): number {
  if (sizeBytes >= smallBytes) return -1;
  const ratio = smallBytes / Math.max(1, sizeBytes);
  // Guard the float log against landing a hair above an exact power.
  return Math.max(0, Math.ceil(Math.log(ratio) / Math.log(fanout) - 1e-9) - 1);
}

function byAge<F extends CandidateFile>(a: F, b: F): number {
  return a.sequenceNumber - b.sequenceNumber || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
}

/** Merge groups for one partition's live files. */
export function planPartition<F extends CandidateFile>(files: F[], opts: PlanOptions & { sealed?: boolean }): MergeGroup<F>[] {
  const S = smallThreshold(opts);
  const F = Math.max(2, Math.floor(opts.fanout));
  const small = files.filter((f) => f.sizeBytes < S).sort(byAge);
  const groups: MergeGroup<F>[] = [];

  if (opts.sealed) {
    let run: F[] = [];
    let bytes = 0;
    for (const f of small) {
      run.push(f);
      bytes += f.sizeBytes;
      if (bytes >= S && run.length >= 2) {
        groups.push({ files: run, bytes, tier: 'sealed' });
        run = [];
        bytes = 0;
      }
    }
    if (run.length >= 2) groups.push({ files: run, bytes, tier: 'sealed' });
    return groups;
  }

  const tiers = new Map<number, F[]>();
  for (const f of small) {
    const t = tierOf(f.sizeBytes, S, F);
    let list = tiers.get(t);
    if (!list) tiers.set(t, (list = []));
    list.push(f);
  }
  for (const t of [...tiers.keys()].sort((a, b) => a - b)) {
    let run: F[] = [];
    let bytes = 0;
    for (const f of tiers.get(t)!) {
      run.push(f);
      bytes += f.sizeBytes;
      if (run.length >= F || (bytes >= S && run.length >= 2)) {
        groups.push({ files: run, bytes, tier: t });
        run = [];
        bytes = 0;
      }
    }
  }
  return groups;
}

/** Files below the small threshold: what compaction still has to merge, eventually. */
export function backlogOf(files: CandidateFile[], opts: PlanOptions): number {
  const S = smallThreshold(opts);
  return files.reduce((n, f) => n + (f.sizeBytes < S ? 1 : 0), 0);
}
