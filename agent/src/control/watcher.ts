// Every agent polls the configuration store and applies each new version, so a change written
// through any agent's API reaches all of them within one poll interval.
//
// Lifecycle: idle --(timer)--> poll: newest version > applied? --no--> idle
//                                          | yes
//                                          v
//                              onChange(config, version) --ok--> applied = version --> idle
//                                          '--throws--> logged; applied unchanged, so the next
//                                                       poll tries the newest version again
// Polls never overlap (the next timer is armed when a poll ends), and stop() waits for a poll in
// flight. Versions in between are skipped: the newest configuration is the wanted state.

import { FloeError } from '../errors.ts';
import type { Config } from '../config/model.ts';
import type { ConfigStore } from '../config/store.ts';
import { createLogger, type Logger } from '../log.ts';

export const POLL_ENV = 'FLOE_CONFIG_POLL_MS';
export const DEFAULT_POLL_MS = 2000;

export interface ConfigWatcherOptions {
  /** Pause between polls. @default env FLOE_CONFIG_POLL_MS, else 2000 */
  intervalMs?: number;
  /** The version already running (its onChange is not called again). @default 0: the first poll delivers the newest version */
  appliedVersion?: number;
  log?: Logger;
  env?: NodeJS.ProcessEnv;
}

export interface ConfigWatcher {
  /** Version last applied successfully. */
  readonly appliedVersion: number;
  /** Polls now (tests, or after a local write); resolves when that poll is done. */
  poll(): Promise<void>;
  /** Stops polling; waits for a poll in flight. */
  stop(): Promise<void>;
}

/** The poll interval from FLOE_CONFIG_POLL_MS (integer milliseconds, 50..600000). */
export function pollIntervalFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[POLL_ENV];
  if (raw === undefined || raw.trim() === '') return DEFAULT_POLL_MS;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 50 || n > 600_000) {
    throw new FloeError('FLOE_CONFIG_INVALID', `${POLL_ENV} must be an integer number of milliseconds 50..600000, got ${JSON.stringify(raw)}`);
  }
  return n;
}

export function startConfigWatcher(
  store: ConfigStore,
  onChange: (config: Config, version: number) => Promise<void> | void,
  options: ConfigWatcherOptions = {},
): ConfigWatcher {
  const intervalMs = options.intervalMs ?? pollIntervalFromEnv(options.env);
  const log = options.log ?? createLogger({ component: 'config-watcher' });
  let applied = options.appliedVersion ?? 0;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let inFlight: Promise<void> | null = null;
  let lastProblem = '';

  const report = (msg: string, fields: Record<string, unknown>): void => {
    // Repeat a failure in the log only when it changes, not every poll.
    const key = `${msg}:${String((fields.error as Error | undefined)?.message)}`;
    if (key === lastProblem) return;
    lastProblem = key;
    log.error(msg, fields);
  };

  const once = async (): Promise<void> => {
    let version: number;
    try {
      version = await store.latestVersion();
    } catch (err) {
      report('cannot read the configuration store; still running the applied version', { applied, error: err });
      return;
    }
    if (version <= applied || stopped) return;
    try {
      const stored = await store.get(version);
      if (stored === null || stopped) return;
      log.info('new configuration version; applying it', { version, previous: applied });
      await onChange(stored.config, version);
      applied = version;
      lastProblem = '';
      log.info('configuration version applied', { version });
    } catch (err) {
      report('applying a configuration version failed; retrying at the next poll', { version, applied, error: err });
    }
  };

  const poll = (): Promise<void> => {
    inFlight ??= once().finally(() => {
      inFlight = null;
    });
    return inFlight;
  };

  const arm = (): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      timer = null;
      void poll().finally(arm);
    }, intervalMs);
    timer.unref?.();
  };
  arm();

  return {
    get appliedVersion() {
      return applied;
    },
    poll,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await inFlight?.catch(() => {});
    },
  };
}
