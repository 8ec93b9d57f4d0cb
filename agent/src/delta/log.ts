// A Delta log in an object store: `<table>/_delta_log/`. Loads the state at the newest version
// (newest readable classic checkpoint, then the JSON commits after it), follows new commits,
// creates commits put-if-absent, and writes checkpoints with `_last_checkpoint`.
//
// Invariants: a commit file is only ever created with putIfAbsent, so versions are dense and never
// rewritten; a checkpoint is written only for a state this process has reconciled up to that
// version, and `_last_checkpoint` (a hint for readers) only moves forward. A load that finds a
// newer checkpoint than `_last_checkpoint` names (a writer died in between) moves the hint up.

import { FloeError } from '../errors.ts';
import type { ObjectStore } from '../store/store.ts';
import {
  DELTA_LOG_DIR,
  LAST_CHECKPOINT_FILE,
  checkpointFileName,
  classifyLogFile,
  commitFileName,
  parseCommit,
  parseLastCheckpoint,
  serializeCommit,
  serializeLastCheckpoint,
  type Action,
  type LastCheckpoint,
} from './actions.ts';
import { decodeCheckpoint, encodeCheckpoint } from './checkpoint.ts';
import { DeltaState } from './state.ts';

const utf8 = new TextDecoder('utf-8');

export class DeltaLog {
  readonly store: ObjectStore;
  /** Store key of the table root (no leading or trailing '/'). */
  readonly tablePrefix: string;

  constructor(store: ObjectStore, tablePrefix: string) {
    this.store = store;
    this.tablePrefix = tablePrefix.replace(/^\/+|\/+$/g, '');
  }

  /** Store key of a file in `_delta_log/`. */
  key(name: string): string {
    return this.tablePrefix ? `${this.tablePrefix}/${DELTA_LOG_DIR}/${name}` : `${DELTA_LOG_DIR}/${name}`;
  }

  /** Absolute URI of the table root, for messages. */
  get location(): string {
    return this.tablePrefix ? `${this.store.url}/${this.tablePrefix}` : this.store.url;
  }

  /** Commit versions and classic checkpoint versions found by listing `_delta_log/`. */
  async list(): Promise<{ commits: number[]; checkpoints: number[] }> {
    const dir = this.key('');
    const commits: number[] = [];
    const checkpoints: number[] = [];
    for await (const o of this.store.list(dir)) {
      const f = classifyLogFile(o.key.slice(dir.length));
      if (f.kind === 'commit') commits.push(f.version);
      else if (f.kind === 'checkpoint') checkpoints.push(f.version);
    }
    const asc = (a: number, b: number): number => a - b;
    return { commits: commits.sort(asc), checkpoints: checkpoints.sort(asc) };
  }

  async readLastCheckpoint(): Promise<LastCheckpoint | null> {
    const bytes = await this.store.get(this.key(LAST_CHECKPOINT_FILE));
    if (bytes === null) return null;
    try {
      return parseLastCheckpoint(utf8.decode(bytes), this.key(LAST_CHECKPOINT_FILE));
    } catch {
      return null; // only a hint: a bad one is ignored, the listing decides
    }
  }

  /** The actions of commit `version`, or null when that file does not exist. */
  async readCommit(version: number): Promise<Action[] | null> {
    const key = this.key(commitFileName(version));
    const bytes = await this.store.get(key);
    if (bytes === null) return null;
    return parseCommit(utf8.decode(bytes), `${this.store.url}/${key}`);
  }

  async readCheckpoint(version: number): Promise<DeltaState | null> {
    return (await this.#readCheckpoint(version))?.state ?? null;
  }

  async #readCheckpoint(version: number): Promise<{ state: DeltaState; info: LastCheckpoint } | null> {
    const key = this.key(checkpointFileName(version));
    const bytes = await this.store.get(key);
    if (bytes === null) return null;
    const actions = decodeCheckpoint(bytes, `${this.store.url}/${key}`);
    const info: LastCheckpoint = {
      version,
      size: actions.length,
      sizeInBytes: bytes.length,
      numOfAddFiles: actions.filter((a) => 'add' in a).length,
    };
    return { state: DeltaState.fromCheckpoint(version, actions), info };
  }

  /** The state at the newest version (version -1 when the log is empty). */
  async load(): Promise<DeltaState> {
    const { commits, checkpoints } = await this.list();
    const hint = await this.readLastCheckpoint();
    const candidates = new Set(checkpoints);
    if (hint) candidates.add(hint.version);
    const newest = Math.max(commits.at(-1) ?? -1, checkpoints.at(-1) ?? -1);

    let state: DeltaState | null = null;
    for (const v of [...candidates].filter((c) => c <= Math.max(newest, hint?.version ?? -1)).sort((a, b) => b - a)) {
      let found: { state: DeltaState; info: LastCheckpoint } | null;
      try {
        found = await this.#readCheckpoint(v);
      } catch (err) {
        // A damaged checkpoint (e.g. from another writer) is skipped for an older one.
        if (err instanceof FloeError && err.code === 'FLOE_TABLE_CORRUPT') continue;
        throw err;
      }
      if (!found) continue;
      state = found.state;
      // A writer that died between the checkpoint and _last_checkpoint left the hint behind.
      if (!hint || hint.version < v) await this.#advanceLastCheckpoint(found.info);
      break;
    }
    if (!state) {
      state = new DeltaState();
      if (commits.length > 0 && commits[0] !== 0) {
        throw new FloeError(
          'FLOE_TABLE_CORRUPT',
          `Delta log at ${this.location}: commits before ${commits[0]} are gone and no readable checkpoint covers them`,
        );
      }
    }
    await this.update(state);
    if (state.version < newest) {
      throw new FloeError('FLOE_TABLE_CORRUPT', `Delta log at ${this.location}: commit ${state.version + 1} is missing but ${newest} exists`);
    }
    return state;
  }

  /** Applies the commits after `state.version` that exist now (probing upward); returns `state`. */
  async update(state: DeltaState): Promise<DeltaState> {
    for (;;) {
      const actions = await this.readCommit(state.version + 1);
      if (actions === null) return state;
      state.applyCommit(state.version + 1, actions);
    }
  }

  /** Creates commit `version`; false when it exists already (another writer won it). */
  async tryCommit(version: number, actions: Action[]): Promise<boolean> {
    return this.store.putIfAbsent(this.key(commitFileName(version)), new TextEncoder().encode(serializeCommit(actions)));
  }

  /**
   * Writes the classic checkpoint of `state` (tombstones older than `tombstoneCutoffMs` left out)
   * unless one exists for that version, then moves `_last_checkpoint` forward to it.
   */
  async writeCheckpoint(state: DeltaState, tombstoneCutoffMs: number): Promise<LastCheckpoint> {
    const snapshot = state.clone();
    snapshot.expireTombstones(tombstoneCutoffMs);
    const encoded = encodeCheckpoint(snapshot.checkpointActions());
    const key = this.key(checkpointFileName(state.version));
    const created = await this.store.putIfAbsent(key, encoded.bytes);
    const info: LastCheckpoint = { version: state.version, size: encoded.size, numOfAddFiles: encoded.numOfAddFiles };
    if (created) info.sizeInBytes = encoded.bytes.length;
    else {
      const existing = await this.store.head(key);
      if (existing) info.sizeInBytes = existing.size;
    }
    await this.#advanceLastCheckpoint(info);
    state.checkpointVersion = Math.max(state.checkpointVersion, state.version);
    return info;
  }

  /** Writes `_last_checkpoint` unless it already names this version or a newer one. */
  async #advanceLastCheckpoint(info: LastCheckpoint): Promise<void> {
    const current = await this.readLastCheckpoint();
    if (current && current.version >= info.version) return;
    await this.store.put(this.key(LAST_CHECKPOINT_FILE), new TextEncoder().encode(serializeLastCheckpoint(info)));
  }
}
