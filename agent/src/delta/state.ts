// The state of a Delta table at one version, by action reconciliation (protocol "Action
// Reconciliation"): the latest protocol and metaData win, the latest txn per appId wins, and per
// path the newest file action wins (add = live file, remove = tombstone). No I/O.

import { FloeError } from '../errors.ts';
import type { Action, AddFile, CommitInfo, Metadata, Protocol, RemoveFile, Txn } from './actions.ts';

export class DeltaState {
  /** Version these actions reconcile to; -1 for a table with no commit yet. */
  version = -1;
  protocol: Protocol | null = null;
  metadata: Metadata | null = null;
  readonly txns = new Map<string, Txn>();
  /** Live files by path. */
  readonly files = new Map<string, AddFile>();
  /** Tombstones by path (for VACUUM; carried into checkpoints until they expire). */
  readonly tombstones = new Map<string, RemoveFile>();
  /** commitInfo of `version`, when that commit was read (checkpoints do not keep it). */
  commitInfo: CommitInfo | null = null;
  /** Version of the newest checkpoint at or below `version` known to exist (-1: none). */
  checkpointVersion = -1;

  /** Applies the actions of commit `version` (must be the next one). */
  applyCommit(version: number, actions: Action[]): void {
    if (version !== this.version + 1) {
      throw new FloeError('FLOE_TABLE_CORRUPT', `Delta log: commit ${version} applied to state at version ${this.version}`);
    }
    this.commitInfo = null;
    this.#apply(actions);
    this.version = version;
  }

  /** State from the actions of a checkpoint of `version`. */
  static fromCheckpoint(version: number, actions: Action[]): DeltaState {
    const s = new DeltaState();
    s.#apply(actions);
    s.version = version;
    s.checkpointVersion = version;
    return s;
  }

  #apply(actions: Action[]): void {
    for (const a of actions) {
      if ('add' in a) {
        this.files.set(a.add.path, a.add);
        this.tombstones.delete(a.add.path);
      } else if ('remove' in a) {
        this.files.delete(a.remove.path);
        this.tombstones.set(a.remove.path, a.remove);
      } else if ('txn' in a) {
        this.txns.set(a.txn.appId, a.txn);
      } else if ('metaData' in a) {
        this.metadata = a.metaData;
      } else if ('protocol' in a) {
        this.protocol = a.protocol;
      } else if ('commitInfo' in a) {
        this.commitInfo = a.commitInfo;
      }
    }
  }

  /** Drops tombstones deleted before `cutoffMs` (their files may be vacuumed by now). */
  expireTombstones(cutoffMs: number): void {
    for (const [path, r] of this.tombstones) {
      if ((r.deletionTimestamp ?? 0) < cutoffMs) this.tombstones.delete(path);
    }
  }

  clone(): DeltaState {
    const s = new DeltaState();
    s.version = this.version;
    s.protocol = this.protocol;
    s.metadata = this.metadata;
    for (const [k, v] of this.txns) s.txns.set(k, v);
    for (const [k, v] of this.files) s.files.set(k, v);
    for (const [k, v] of this.tombstones) s.tombstones.set(k, v);
    s.commitInfo = this.commitInfo;
    s.checkpointVersion = this.checkpointVersion;
    return s;
  }

  /**
   * The actions of a checkpoint of this state: protocol, metaData, txns, live adds, tombstones
   * (without stats and tags, which checkpoints do not keep for removes).
   */
  checkpointActions(): Action[] {
    if (!this.protocol || !this.metadata) {
      throw new FloeError('FLOE_TABLE_CORRUPT', `Delta log at version ${this.version} has no protocol or metaData`);
    }
    const out: Action[] = [{ protocol: this.protocol }, { metaData: this.metadata }];
    for (const txn of this.txns.values()) out.push({ txn });
    for (const add of this.files.values()) out.push({ add });
    for (const r of this.tombstones.values()) {
      const { stats: _stats, tags: _tags, ...remove } = r;
      out.push({ remove });
    }
    return out;
  }
}
