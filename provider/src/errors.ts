// Errors of @floe/cdktf. Every error a construct throws carries a code from FLOE_CDKTF_CODES and a
// lowercase message that names the property and the value received, e.g.
//   table "events": duplicate field id 7: used by "device" and "profile.country"

export const FLOE_CDKTF_CODES = [
  /** A construct prop is missing, malformed or inconsistent with another prop. */
  'FLOE_CDKTF_INVALID_PROPS',
  /** A table schema is malformed: ids, names, types, nesting. */
  'FLOE_CDKTF_INVALID_SCHEMA',
] as const;

export type FloeCdktfCode = (typeof FLOE_CDKTF_CODES)[number];

/** Base error of this package. Nothing here is retryable: these are mistakes in the app's code. */
export class FloeCdktfError extends Error {
  readonly code: FloeCdktfCode;
  readonly retryable = false;

  constructor(code: FloeCdktfCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FloeCdktfError';
    this.code = code;
  }
}

/** Props that cannot produce valid infrastructure; thrown from constructors, before synth. */
export class InvalidPropsError extends FloeCdktfError {
  constructor(message: string) {
    super('FLOE_CDKTF_INVALID_PROPS', message);
    this.name = 'InvalidPropsError';
  }
}

/** A schema the control API would refuse; `issues` lists every problem, one line each. */
export class InvalidSchemaError extends FloeCdktfError {
  readonly issues: readonly string[];

  constructor(subject: string, issues: readonly string[]) {
    super('FLOE_CDKTF_INVALID_SCHEMA', issues.length === 1 ? `${subject}: ${issues[0]}` : `${subject}:\n  ${issues.join('\n  ')}`);
    this.name = 'InvalidSchemaError';
    this.issues = issues;
  }
}

/** JSON-quotes a received value for a message, cut short so a huge value cannot flood it. */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  if (value === undefined) return 'nothing';
  try {
    const s = JSON.stringify(value);
    return s === undefined ? String(value) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
  } catch {
    return String(value);
  }
}
