// JSON with 64-bit integers: Iceberg snapshot ids are random 63-bit longs, beyond what a JS number
// holds exactly. Parsing keeps every integer literal outside the safe range as a bigint (using the
// reviver's access to the source text); stringifying writes bigints as plain JSON numbers.

interface ReviverContext {
  source?: string;
}

type SourceReviver = (this: unknown, key: string, value: unknown, context?: ReviverContext) => unknown;

const JSONx = JSON as unknown as {
  parse(text: string, reviver: SourceReviver): unknown;
  rawJSON(text: string): unknown;
  stringify(value: unknown, replacer: (this: unknown, key: string, value: unknown) => unknown, space?: number): string;
};

const INTEGER = /^-?\d+$/;

export function parseJsonBig(text: string): unknown {
  return JSONx.parse(text, (_key, value, context) => {
    if (typeof value === 'number' && !Number.isSafeInteger(value) && context?.source && INTEGER.test(context.source)) {
      return BigInt(context.source);
    }
    return value;
  });
}

export function stringifyJsonBig(value: unknown, space?: number): string {
  return JSONx.stringify(value, (_key, v) => (typeof v === 'bigint' ? JSONx.rawJSON(v.toString()) : v), space);
}

/** A JSON integer (number or bigint) as bigint; throws on anything else. */
export function toBigInt(v: unknown, what: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (typeof v === 'string' && INTEGER.test(v)) return BigInt(v);
  throw new TypeError(`${what}: expected an integer, got ${JSON.stringify(String(v))}`);
}
