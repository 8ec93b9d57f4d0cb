// Error codes of @floe/agent. Every error the agent raises on purpose carries one of these codes,
// an optional cause, and whether retrying the same operation can help.

export const codes = [
  'FLOE_CONFIG_INVALID',
  'FLOE_SCHEMA_INVALID',
  'FLOE_SCHEMA_MIGRATION_REFUSED',
  'FLOE_DECODE_FAILED',
  'FLOE_STORE_IO',
  'FLOE_STORE_PRECONDITION',
  'FLOE_COMMIT_CONFLICT',
  'FLOE_COMMIT_FAILED',
  'FLOE_TABLE_CORRUPT',
  'FLOE_SOURCE_CONNECT',
  'FLOE_SOURCE_AUTH',
  'FLOE_API',
] as const;

export type FloeErrorCode = (typeof codes)[number];

export interface FloeErrorOptions {
  cause?: unknown;
  retryable?: boolean;
}

export class FloeError extends Error {
  readonly code: FloeErrorCode;
  readonly retryable: boolean;

  constructor(code: FloeErrorCode, message: string, options: FloeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FloeError';
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
}

/** One problem found while validating configuration: the path and what is wrong there. */
export interface ConfigIssue {
  /** Path in the document, e.g. `tables[1].schema.fields[3].id`. */
  path: string;
  /** Human-readable problem, including the value received. */
  message: string;
}

export class ConfigError extends FloeError {
  readonly issues: ConfigIssue[];
  constructor(issues: ConfigIssue[]) {
    super('FLOE_CONFIG_INVALID', issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** A record could not be decoded or does not fit the table schema: it goes to the DLQ. */
export class DecodeError extends FloeError {
  constructor(message: string, options: FloeErrorOptions = {}) {
    super('FLOE_DECODE_FAILED', message, options);
    this.name = 'DecodeError';
  }
}

/** A conditional write lost: the object already exists (or changed). The committer reloads and retries. */
export class PreconditionFailed extends FloeError {
  constructor(message: string, options: FloeErrorOptions = {}) {
    super('FLOE_STORE_PRECONDITION', message, { ...options, retryable: true });
    this.name = 'PreconditionFailed';
  }
}

/** A table commit lost its race more times than the retry budget allows. */
export class CommitConflict extends FloeError {
  constructor(message: string, options: FloeErrorOptions = {}) {
    super('FLOE_COMMIT_CONFLICT', message, { ...options, retryable: true });
    this.name = 'CommitConflict';
  }
}
