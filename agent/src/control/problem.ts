// Errors of the control API as RFC 9457 problem documents (`application/problem+json`):
// `{type, title, status, detail, errors?: [{path, message}]}`. `errors` lists every issue with its
// path in the document that was sent (`tables[0].schema.fields[3].id`, or `schema.fields[1]` for a
// resource body) and a message that includes the value received.

import type { Response } from 'express';
import { FloeError, type ConfigIssue } from '../errors.ts';

/** The problem types this API answers with; `type` is `urn:floe:problem:<kind>`. */
export const PROBLEMS = {
  'api-disabled': { status: 503, title: 'Control API disabled' },
  unauthorized: { status: 401, title: 'Authentication required' },
  forbidden: { status: 403, title: 'Invalid token' },
  'not-found': { status: 404, title: 'Not found' },
  'method-not-allowed': { status: 405, title: 'Method not allowed' },
  'not-acceptable': { status: 406, title: 'Not acceptable' },
  'malformed-request': { status: 400, title: 'Malformed request' },
  conflict: { status: 409, title: 'Conflict' },
  'precondition-failed': { status: 412, title: 'Precondition failed' },
  'payload-too-large': { status: 413, title: 'Payload too large' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type' },
  'invalid-config': { status: 422, title: 'Invalid configuration' },
  'migration-refused': { status: 422, title: 'Schema migration refused' },
  'no-configuration': { status: 409, title: 'No configuration stored yet' },
  unavailable: { status: 503, title: 'Service unavailable' },
  internal: { status: 500, title: 'Internal error' },
} as const;

export type ProblemKind = keyof typeof PROBLEMS;

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: ConfigIssue[];
}

/** An error the API answers with a problem document; thrown by handlers on purpose. */
export class ApiError extends FloeError {
  readonly kind: ProblemKind;
  readonly status: number;
  readonly issues: ConfigIssue[] | undefined;
  readonly headers: Record<string, string>;

  constructor(kind: ProblemKind, detail: string, options: { issues?: ConfigIssue[]; headers?: Record<string, string>; cause?: unknown } = {}) {
    super('FLOE_API', detail, options.cause === undefined ? {} : { cause: options.cause });
    this.name = 'ApiError';
    this.kind = kind;
    this.status = PROBLEMS[kind].status;
    this.issues = options.issues;
    this.headers = options.headers ?? {};
  }

  toProblem(): Problem {
    const p: Problem = { type: `urn:floe:problem:${this.kind}`, title: PROBLEMS[this.kind].title, status: this.status, detail: this.message };
    if (this.issues !== undefined && this.issues.length > 0) p.errors = this.issues;
    return p;
  }
}

/** 422 for issues found by validation; `migration-refused` when every issue is a refused migration. */
export function invalid(detail: string, issues: ConfigIssue[], allMigrations = false): ApiError {
  return new ApiError(allMigrations ? 'migration-refused' : 'invalid-config', detail, { issues });
}

export function sendProblem(res: Response, err: ApiError): void {
  for (const [k, v] of Object.entries(err.headers)) res.setHeader(k, v);
  res.status(err.status).type('application/problem+json').send(JSON.stringify(err.toProblem()));
}
