// The maintenance lease: one agent at a time maintains a table, without any coordinator.
//
// The store offers no compare-and-swap on overwrite, only create-if-absent. So the lease is a
// sequence of immutable epoch objects, `<dir>/<epoch:012>.json` = {holder, expiresAtMs, released},
// each created with putIfAbsent. The lease belongs to the holder of the highest epoch until that
// epoch's expiry. Every change of the lease (acquire, renew, take over, release) is the creation
// of the next epoch, so two agents racing for the same change race for the same key and exactly
// one wins.
//
// State machine of one MaintenanceLease (one agent, one table):
//
//   IDLE -- acquire() --> READ   list <dir>/, read the highest epoch E (none: E = 0, free)
//   READ:
//     E is ours, or E is released, or now > E.expiresAt + clockSkew (expired)
//        -> CLAIM: putIfAbsent(E+1, {holder: us, expiresAt: t0 + ttl}) where t0 = now before the write
//             created -> VERIFY: list again; E+1 still the highest? -> HELD until t0 + ttl - clockSkew
//                                 (a higher epoch exists: we created a stale epoch -> NOT HELD)
//             exists  -> another agent changed the lease first -> NOT HELD (READ again next time)
//     otherwise (another live holder) -> NOT HELD
//   HELD -- renew() every ttl/3 --> READ (E is ours -> CLAIM E+1)
//   HELD -- local deadline passes without a successful renewal --> LOST (the pass in progress is
//           aborted at its next step)
//   HELD -- release() --> putIfAbsent(E+1, {holder: us, released: true}) -> IDLE (others may
//           claim at once)
//
// Why this is safe: a holder only creates E+1 while its own E is valid; a candidate only once E
// expired (plus the skew allowance). Both can only collide on the same key E+1, where the store
// picks one. A candidate that read an old listing may still create an epoch that cleanup had
// deleted long ago; VERIFY catches that (cleanup keeps the newest epochs, so a higher one is
// listed). A holder acts only until t0 + ttl - clockSkew on its own clock, so clocks that
// disagree by less than 2 x clockSkew never give two holders at once.
//
// The lease makes maintenance efficient (one compactor per table); it is not what keeps the table
// correct. Every step is also safe with two maintainers at once: commits refuse to replace files
// that are no longer live, and deletions spare young and reachable files.

import { randomUUID } from 'node:crypto';
import { FloeError } from '../errors.ts';
import type { ObjectStore } from '../store/store.ts';

/** One epoch object. */
export interface LeaseRecord {
  epoch: number;
  /** Agent id plus a per-process token: a restarted agent does not inherit its old lease. */
  holder: string;
  agentId: string;
  acquiredAtMs: number;
  expiresAtMs: number;
  released: boolean;
}

export interface LeaseOptions {
  store: ObjectStore;
  /** Key prefix of the lease's epoch objects, ending in '/'. */
  dir: string;
  agentId: string;
  ttlMs: number;
  clockSkewMs: number;
  /** Wall clock (ms since the epoch). @default Date.now */
  now?: () => number;
}

/** A lease that was held is not any more (lost a renewal, or its deadline passed). */
export class LeaseLost extends FloeError {
  constructor(message: string) {
    super('FLOE_STORE_PRECONDITION', message);
    this.name = 'LeaseLost';
  }
}

const EPOCH_FILE = /^(\d{12})\.json$/;
const KEEP_EPOCHS = 3;

function epochKey(dir: string, epoch: number): string {
  return `${dir}${String(epoch).padStart(12, '0')}.json`;
}

export class MaintenanceLease {
  readonly store: ObjectStore;
  readonly dir: string;
  readonly agentId: string;
  readonly holder: string;
  readonly ttlMs: number;
  readonly clockSkewMs: number;
  readonly now: () => number;
  #epoch = 0;
  #deadline = 0;
  #lastSeen: LeaseRecord | null = null;
  // One change at a time per instance: a renewal timer and a pass must not race each other for
  // the same next epoch (the loser would think the lease lost).
  #lock: Promise<unknown> = Promise.resolve();

  constructor(opts: LeaseOptions) {
    this.store = opts.store;
    this.dir = opts.dir.endsWith('/') ? opts.dir : `${opts.dir}/`;
    this.agentId = opts.agentId;
    this.holder = `${opts.agentId}/${randomUUID()}`;
    this.ttlMs = opts.ttlMs;
    this.clockSkewMs = Math.min(opts.clockSkewMs, Math.floor(opts.ttlMs / 3));
    this.now = opts.now ?? Date.now;
  }

  /** Whether this agent holds the lease now (by its own clock, with the skew margin). */
  get held(): boolean {
    return this.#epoch > 0 && this.now() < this.#deadline;
  }

  /** Epoch held (0 when none). */
  get epoch(): number {
    return this.held ? this.#epoch : 0;
  }

  /** Local time until which the lease is held. */
  get deadline(): number {
    return this.#deadline;
  }

  /** The highest epoch as last read (who holds the lease, as far as this agent knows). */
  get lastSeen(): LeaseRecord | null {
    return this.#lastSeen;
  }

  /** Acquires the lease, or renews it when held. True when held afterwards. */
  acquire(): Promise<boolean> {
    return this.#serial(() => this.#acquire());
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#lock.then(fn, fn);
    this.#lock = run.catch(() => {});
    return run;
  }

  async #acquire(): Promise<boolean> {
    const top = await this.#readHighest();
    this.#lastSeen = top;
    const now = this.now();
    const claimable =
      top === null ||
      top.holder === this.holder ||
      top.released ||
      now > top.expiresAtMs + this.clockSkewMs;
    if (!claimable) {
      this.#drop();
      return false;
    }
    const next = (top?.epoch ?? 0) + 1;
    const t0 = this.now();
    const record: LeaseRecord = {
      epoch: next,
      holder: this.holder,
      agentId: this.agentId,
      acquiredAtMs: top?.holder === this.holder ? (top.acquiredAtMs ?? t0) : t0,
      expiresAtMs: t0 + this.ttlMs,
      released: false,
    };
    const created = await this.store.putIfAbsent(epochKey(this.dir, next), Buffer.from(JSON.stringify(record), 'utf8'));
    if (!created) {
      this.#drop();
      return false;
    }
    const after = await this.#listEpochs();
    if (after.length > 0 && after[after.length - 1] !== next) {
      this.#drop(); // a stale claim below the real head: harmless, and not ours to act on
      return false;
    }
    this.#epoch = next;
    this.#deadline = t0 + this.ttlMs - this.clockSkewMs;
    this.#lastSeen = record;
    await this.#cleanup(after, next);
    return true;
  }

  /** Renews a held lease. False (and no longer held) when it was lost. */
  async renew(): Promise<boolean> {
    if (this.#epoch === 0) return false;
    return this.acquire();
  }

  /** Gives the lease up so another agent can take it at once (best effort). */
  release(): Promise<void> {
    return this.#serial(() => this.#release());
  }

  async #release(): Promise<void> {
    if (!this.held) {
      this.#drop();
      return;
    }
    const next = this.#epoch + 1;
    const t = this.now();
    const record: LeaseRecord = {
      epoch: next,
      holder: this.holder,
      agentId: this.agentId,
      acquiredAtMs: t,
      expiresAtMs: t,
      released: true,
    };
    this.#drop();
    await this.store.putIfAbsent(epochKey(this.dir, next), Buffer.from(JSON.stringify(record), 'utf8')).catch(() => false);
  }

  #drop(): void {
    this.#epoch = 0;
    this.#deadline = 0;
  }

  async #listEpochs(): Promise<number[]> {
    const out: number[] = [];
    for await (const o of this.store.list(this.dir)) {
      const m = EPOCH_FILE.exec(o.key.slice(this.dir.length));
      if (m) out.push(Number(m[1]));
    }
    return out.sort((a, b) => a - b);
  }

  async #readHighest(): Promise<LeaseRecord | null> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const epochs = await this.#listEpochs();
      if (epochs.length === 0) return null;
      const epoch = epochs[epochs.length - 1];
      const bytes = await this.store.get(epochKey(this.dir, epoch));
      if (bytes === null) continue; // deleted between list and get: list again
      try {
        const r = JSON.parse(Buffer.from(bytes).toString('utf8')) as Partial<LeaseRecord>;
        return {
          epoch,
          holder: String(r.holder ?? ''),
          agentId: String(r.agentId ?? r.holder ?? ''),
          acquiredAtMs: Number(r.acquiredAtMs ?? 0),
          expiresAtMs: Number(r.expiresAtMs ?? 0),
          released: r.released === true,
        };
      } catch {
        // An unreadable epoch holds nothing: it counts as expired.
        return { epoch, holder: '', agentId: '', acquiredAtMs: 0, expiresAtMs: 0, released: false };
      }
    }
    throw new FloeError('FLOE_STORE_IO', `maintenance lease ${this.dir}: the newest epoch keeps disappearing`, { retryable: true });
  }

  // Old epochs only fill the listing; the newest few stay so a stale claim always sees a higher one.
  async #cleanup(epochs: number[], head: number): Promise<void> {
    const old = epochs.filter((e) => e <= head - KEEP_EPOCHS).map((e) => epochKey(this.dir, e));
    if (old.length > 0) await this.store.delete(old).catch(() => {});
  }
}
