// JSON record values -> rows. UTF-8 (strict: invalid bytes are an error) -> JSON.parse -> the
// schema's compiled coercer (schema/coerce.ts, which documents what each type accepts).
//
// Precision: JSON.parse reads numbers as doubles. When a long/timestamp/decimal coercer meets a
// number whose double may differ from what was written (an integer beyond 2^53, a decimal showing
// more than 15 significant digits) it asks for the source text (NEED_SOURCE) and the record is
// parsed again with a reviver that keeps each such number's source (`context.source`, Node 24).
// Records without such numbers pay nothing. Tables with a decimal of precision > 15 always parse
// with the reviver (their values legitimately need more digits than a double holds; that parse is
// several times slower, see agent/test/decode/bench-decode.ts). Numeric strings are always exact.

import { DecodeError } from '../errors.ts';
import { JsonNumber, NEED_SOURCE, compileRowCoercer, needsExactParse } from '../schema/coerce.ts';
import type { Row, Schema } from '../schema/types.ts';
import type { Decoder } from './decoder.ts';
import { compileJsonDirect } from './json-direct.ts';
import { describeJsonError } from './json-error.ts';

type Reviver = (this: unknown, key: string, value: unknown, context?: { source?: string }) => unknown;

/** Keeps the source of every number that a double may not represent exactly. */
const exactNumbers: Reviver = function (_key, value, context) {
  if (typeof value === 'number' && context?.source !== undefined && !(Number.isSafeInteger(value) && /^-?\d+$/.test(context.source))) {
    return new JsonNumber(context.source, value);
  }
  return value;
};

const parseWith = JSON.parse as (text: string, reviver?: Reviver) => unknown;

export function createJsonDecoder(schema: Schema): Decoder {
  const coerce = compileRowCoercer(schema);
  const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  const alwaysExact = needsExactParse(schema);

  const parse = (text: string, exact: boolean): unknown => {
    try {
      return exact ? parseWith(text, exactNumbers) : JSON.parse(text);
    } catch (err) {
      throw invalidJson(err as Error, text);
    }
  };

  const direct = compileJsonDirect(schema);
  return {
    format: 'json',
    ...(direct ? { appendTo: direct } : {}),
    decode(value: Uint8Array | null): Row {
      if (value === null) throw new DecodeError('record value is null (a tombstone); expected a JSON object');
      let text: string;
      try {
        text = utf8.decode(value);
      } catch {
        throw new DecodeError('invalid UTF-8 in record value');
      }
      const doc = parse(text, alwaysExact);
      try {
        return coerce(doc);
      } catch (e) {
        if (e !== NEED_SOURCE) throw e;
      }
      return coerce(parse(text, true));
    },
  };
}

function invalidJson(err: Error, text: string): DecodeError {
  const { position, reason } = describeJsonError(err, text);
  return new DecodeError(`invalid JSON at position ${position}: ${reason}`);
}
