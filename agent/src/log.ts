// Structured logs: one JSON object per line on stderr. FLOE_LOG_LEVEL = debug | info | warn | error.
// Callers pass fields, never secrets: credentials are resolved inside source/ and not logged.

const levels = { debug: 10, info: 20, warn: 30, error: 40 } as const;
export type LogLevel = keyof typeof levels;

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

function replacer(_k: string, v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Error) {
    const e = v as Error & { code?: string };
    return { name: e.name, message: e.message, ...(e.code ? { code: e.code } : {}) };
  }
  if (v instanceof Map) return Object.fromEntries(v);
  return v;
}

export function createLogger(base: Record<string, unknown> = {}, level: LogLevel = (process.env.FLOE_LOG_LEVEL as LogLevel) ?? 'info', sink: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  const min = levels[level] ?? levels.info;
  const emit = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (levels[lvl] < min) return;
    sink(JSON.stringify({ time: new Date().toISOString(), level: lvl, msg, ...base, ...fields }, replacer) + '\n');
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (f) => createLogger({ ...base, ...f }, level, sink),
  };
}
