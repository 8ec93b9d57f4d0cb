// Bearer-token authentication of the control API.
//
// The token comes from FLOE_API_TOKEN. Without it the API is closed (503 on every call), never open
// by default. The comparison is constant-time: both sides are hashed to equal-length SHA-256
// digests and compared with crypto.timingSafeEqual, so neither the content nor the length of the
// token leaks through timing. Tokens never reach a log or a response.

import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ApiError, sendProblem } from './problem.ts';

export const TOKEN_ENV = 'FLOE_API_TOKEN';

const CHALLENGE = 'Bearer realm="floe"';

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** Middleware that admits a request only with `Authorization: Bearer <FLOE_API_TOKEN>`. */
export function bearerAuth(token: string | undefined): RequestHandler {
  const expected = token === undefined || token === '' ? null : digest(token);
  return (req: Request, res: Response, next: NextFunction) => {
    if (expected === null) {
      return sendProblem(res, new ApiError('api-disabled', `control API disabled: set ${TOKEN_ENV}`));
    }
    const header = req.get('authorization');
    if (header === undefined || header.trim() === '') {
      return sendProblem(
        res,
        new ApiError('unauthorized', 'missing Authorization header; send Authorization: Bearer <token>', { headers: { 'WWW-Authenticate': CHALLENGE } }),
      );
    }
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
    if (!m) {
      const scheme = header.trim().split(/\s+/)[0];
      return sendProblem(
        res,
        new ApiError('unauthorized', `unsupported Authorization scheme ${JSON.stringify(scheme.slice(0, 20))}; send Authorization: Bearer <token>`, {
          headers: { 'WWW-Authenticate': `${CHALLENGE}, error="invalid_request"` },
        }),
      );
    }
    if (!timingSafeEqual(digest(m[1]), expected)) {
      return sendProblem(res, new ApiError('forbidden', 'the bearer token is not valid for this agent', { headers: { 'WWW-Authenticate': `${CHALLENGE}, error="invalid_token"` } }));
    }
    next();
  };
}
