// Polling with a deadline, for conditions that become true eventually (a table catching up with a
// topic, a process answering). On timeout the error says what was awaited and what was last seen.
import { setTimeout as sleep } from 'node:timers/promises';
import { inspect } from 'node:util';

export interface WaitOptions<T> {
  /** Give up after this long (default 60 s). */
  timeoutMs?: number;
  /** Pause between probes (default 250 ms). */
  intervalMs?: number;
  /** What is being waited for, for the error message, e.g. "table to hold 1000 rows". */
  what?: string;
  /** Done when this returns true for the probed value; default: the value is truthy. */
  until?: (value: T) => boolean;
  /** Stop early if this signal aborts. */
  signal?: AbortSignal;
}

export class WaitTimeoutError extends Error {
  readonly lastValue: unknown;
  readonly lastError: unknown;
  constructor(message: string, lastValue: unknown, lastError: unknown) {
    super(message);
    this.name = 'WaitTimeoutError';
    this.lastValue = lastValue;
    this.lastError = lastError;
  }
}

function show(value: unknown): string {
  // Long enough for the agent log lines that a wait's probe adds to its value (a failed wait's only clue).
  const text = inspect(value, { depth: 4, breakLength: 120, maxArrayLength: 20, maxStringLength: 4000 });
  return text.length > 6000 ? `${text.slice(0, 6000)}…` : text;
}

/**
 * Calls `probe` until it yields a satisfying value (see `until`) and returns that value. A probe
 * that throws counts as "not yet"; its error is reported if time runs out.
 */
export async function waitFor<T>(probe: () => T | Promise<T>, options: WaitOptions<T> = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const intervalMs = options.intervalMs ?? 250;
  const what = options.what ?? 'condition';
  const until = options.until ?? ((v: T) => Boolean(v));
  const started = Date.now();
  let attempts = 0;
  let lastValue: unknown = undefined;
  let lastError: unknown = undefined;
  let seenValue = false;
  for (;;) {
    options.signal?.throwIfAborted();
    attempts += 1;
    try {
      const value = await probe();
      lastValue = value;
      seenValue = true;
      lastError = undefined;
      if (until(value)) return value;
    } catch (err) {
      lastError = err;
    }
    const elapsed = Date.now() - started;
    if (elapsed >= timeoutMs) {
      const parts = [`timed out after ${elapsed} ms (${attempts} attempts) waiting for ${what}`];
      parts.push(seenValue ? `last value: ${show(lastValue)}` : 'no value observed');
      if (lastError !== undefined) {
        parts.push(`last error: ${lastError instanceof Error ? lastError.message : show(lastError)}`);
      }
      throw new WaitTimeoutError(parts.join('; '), lastValue, lastError);
    }
    await sleep(Math.min(intervalMs, Math.max(0, timeoutMs - elapsed)), undefined, { signal: options.signal });
  }
}
