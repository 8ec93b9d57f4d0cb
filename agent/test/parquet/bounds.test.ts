// Tests of schema/bounds.ts (kept beside the Parquet writer tests, which own this folder).

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import {
  bigintFromBytes,
  bigintToMinimalBytes,
  compareStrings,
  compareValues,
  deserializeBound,
  serializeBound,
  truncateLowerBound,
  truncateUpperBound,
  uuidFromBytes,
  uuidToBytes,
} from '../../src/schema/bounds.ts';
import type { PrimitiveType, Value } from '../../src/schema/types.ts';
import { canon, hex, rigPython } from './helpers.ts';

const h = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

describe('serializeBound: byte vectors of the Iceberg single-value serialization', () => {
  const vectors: [PrimitiveType, Value, string][] = [
    ['boolean', true, '01'],
    ['boolean', false, '00'],
    ['int', 1, '01 00 00 00'],
    ['int', -1, 'ff ff ff ff'],
    ['int', 34, '22 00 00 00'],
    ['long', 1n, '01 00 00 00 00 00 00 00'],
    ['long', -2n, 'fe ff ff ff ff ff ff ff'],
    ['long', 34n, '22 00 00 00 00 00 00 00'],
    ['float', 1, '00 00 80 3f'],
    ['float', -0, '00 00 00 80'],
    ['double', 1, '00 00 00 00 00 00 f0 3f'],
    ['double', -0, '00 00 00 00 00 00 00 80'],
    ['date', 17486, '4e 44 00 00'], // 2017-11-16
    ['time', 81068000000n, '00 83 07 e0 12 00 00 00'], // 22:31:08
    ['timestamp', 1510871468000000n, '00 c3 26 2d 21 5e 05 00'], // 2017-11-16T22:31:08
    ['timestamptz', 1510871468000000n, '00 c3 26 2d 21 5e 05 00'],
    ['string', 'iceberg', '69 63 65 62 65 72 67'],
    ['string', '', ''],
    ['uuid', 'f79c3e09-677c-4bbd-a479-3f349cb785e7', 'f7 9c 3e 09 67 7c 4b bd a4 79 3f 34 9c b7 85 e7'],
    ['fixed[4]', h('00010203'), '00 01 02 03'],
    ['binary', h('00010203ff'), '00 01 02 03 ff'],
    ['decimal(9, 2)', 1420n, '05 8c'], // 14.20
    ['decimal(9, 2)', 0n, '00'],
    ['decimal(9, 2)', -1n, 'ff'],
    ['decimal(9, 2)', 127n, '7f'],
    ['decimal(9, 2)', 128n, '00 80'],
    ['decimal(9, 2)', -128n, '80'],
    ['decimal(9, 2)', -129n, 'ff 7f'],
    ['decimal(38, 10)', 10n ** 38n - 1n, '4b 3b 4c a8 5a 86 c4 7a 09 8a 22 3f ff ff ff ff'],
  ];
  for (const [type, value, bytes] of vectors) {
    it(`${type} ${String(value instanceof Uint8Array ? hex(value) : value)} -> ${bytes || '(empty)'}`, () => {
      assert.equal(hex(serializeBound(type, value)), bytes.replace(/\s+/g, ''));
      const back = deserializeBound(type, h(bytes));
      if (typeof value === 'number' && value === 0) assert.ok(Object.is(back, value));
      else assert.deepEqual(back, value);
    });
  }

  it('rejects a value of the wrong representation', () => {
    assert.throws(() => serializeBound('long', 1), /cannot serialize 1 \(number\) as an Iceberg long bound/);
    assert.throws(() => serializeBound('fixed[4]', h('00')), /fixed\[4\]/);
    assert.throws(() => serializeBound('uuid', 'nope'), /not a UUID/);
  });

  it('two-complement decimals round-trip at every width', () => {
    for (let bits = 0; bits < 128; bits += 3) {
      for (const v of [1n << BigInt(bits), -(1n << BigInt(bits)), (1n << BigInt(bits)) - 1n, -(1n << BigInt(bits)) - 1n]) {
        const bytes = bigintToMinimalBytes(v);
        assert.equal(bigintFromBytes(bytes), v);
        // Minimal: dropping the first byte would change the value.
        if (bytes.length > 1) assert.notEqual(bigintFromBytes(bytes.subarray(1)), v);
      }
    }
  });

  it('uuid strings and bytes convert both ways', () => {
    const u = '123e4567-e89b-12d3-a456-426614174000';
    assert.equal(uuidFromBytes(uuidToBytes(u)), u);
    assert.equal(uuidFromBytes(uuidToBytes(u.toUpperCase())), u);
  });
});

describe('value order', () => {
  it('orders strings by code point, not by UTF-16 unit', () => {
    assert.ok('😀' < '\uffff', 'JavaScript puts the surrogate pair first');
    assert.ok(compareStrings('😀', '\uffff') > 0);
    assert.ok(compareStrings('\uffff', '😀') < 0);
    assert.ok(compareStrings('a', 'ab') < 0);
    assert.equal(compareStrings('é', 'é'), 0);
    const words = ['b', '😀', '\uffff', 'a', '', 'ab', '\ue000', 'é'];
    const byUtf8 = [...words].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    assert.deepEqual([...words].sort(compareStrings), byUtf8);
  });

  it('orders -0 below +0 and bytes unsigned', () => {
    assert.ok(compareValues('double', -0, 0) < 0);
    assert.ok(compareValues('float', 0, -0) > 0);
    assert.ok(compareValues('binary', h('7f'), h('80')) < 0);
    assert.ok(compareValues('fixed[2]', h('0080'), h('00ff')) < 0);
    assert.ok(compareValues('decimal(10, 2)', -5n, 3n) < 0);
    assert.ok(compareValues('uuid', '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff') < 0);
  });
});

describe('bound truncation (Iceberg truncate(N), Java reference semantics)', () => {
  it('keeps short values whole', () => {
    assert.equal(truncateLowerBound('string', 'short', 16), 'short');
    assert.equal(truncateUpperBound('string', 'short', 16), 'short');
    assert.deepEqual(truncateUpperBound('binary', h('ffff'), 16), h('ffff'));
  });

  it('truncates strings by code point and increments the last one for the upper bound', () => {
    const abc = 'abcdefghijklmnopqrstuvwxyz';
    assert.equal(truncateLowerBound('string', abc, 16), 'abcdefghijklmnop');
    assert.equal(truncateUpperBound('string', abc, 16), 'abcdefghijklmnoq');
    const emoji = '😀'.repeat(20);
    assert.equal(truncateLowerBound('string', emoji, 16), '😀'.repeat(16));
    assert.equal(truncateUpperBound('string', emoji, 16), '😀'.repeat(15) + '😁');
    assert.equal(truncateUpperBound('string', 'ab\u{10ffff}\u{10ffff}zz', 4), 'ac');
    assert.equal(truncateUpperBound('string', '\u{10ffff}'.repeat(5), 4), null);
    // U+D7FF + 1 is a surrogate, not a character: the next character is U+E000.
    assert.equal(truncateUpperBound('string', 'a\ud7ffbc', 2), 'a\ue000');
  });

  it('truncates binary and carries past 0xff bytes for the upper bound', () => {
    assert.deepEqual(truncateLowerBound('binary', h('0102030405'), 3), h('010203'));
    assert.deepEqual(truncateUpperBound('binary', h('0102030405'), 3), h('010204'));
    assert.deepEqual(truncateUpperBound('binary', h('01ffff05'), 3), h('02'));
    assert.equal(truncateUpperBound('binary', h('ffffff05'), 3), null);
  });

  it('leaves other types alone', () => {
    assert.equal(truncateLowerBound('long', 5n, 1), 5n);
    assert.deepEqual(truncateUpperBound('fixed[20]', new Uint8Array(20).fill(0xff), 16), new Uint8Array(20).fill(0xff));
  });
});

describe('bounds agree with pyiceberg (independent implementation)', () => {
  const cases: [PrimitiveType, Value][] = [
    ['boolean', true],
    ['boolean', false],
    ['int', -2147483648],
    ['int', 2147483647],
    ['long', -(2n ** 63n)],
    ['long', 2n ** 63n - 1n],
    ['float', 1.1],
    ['float', -0],
    ['float', Number.NEGATIVE_INFINITY],
    ['double', 5e-324],
    ['double', -1.7976931348623157e308],
    ['date', -719162],
    ['time', 86399999999n],
    ['timestamp', -62135596800000000n],
    ['timestamptz', 253402300799999999n],
    ['string', 'héllo 😀 \uffff'],
    ['uuid', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'],
    ['binary', h('00ff80')],
    ['fixed[3]', h('abcdef')],
    ['decimal(10, 2)', 9999999999n],
    ['decimal(10, 2)', -9999999999n],
    ['decimal(38, 10)', -(10n ** 38n - 1n)],
    ['decimal(38, 10)', -128n],
    ['decimal(38, 10)', 128n],
    ['decimal(20, 0)', 2n ** 64n],
  ];
  const strings = ['abcdefghijklmnopqrstuvwxyz', '😀'.repeat(20), 'ab\u{10ffff}\u{10ffff}zz', '\u{10ffff}'.repeat(5), 'short', 'ünïcödé strings are fun'];

  it('serializes like pyiceberg.conversions.to_bytes, and pyiceberg decodes our bytes', async () => {
    const input = {
      cases: cases.map(([type, value]) => ({
        type,
        value: type === 'float' || type === 'double' ? Buffer.from(new Float64Array([value as number]).buffer).toString('hex') : canon(type, value),
        ours: hex(serializeBound(type, value)),
      })),
      strings: strings.map((s) => ({ s, lower: truncateLowerBound('string', s, 4), upper: truncateUpperBound('string', s, 4) })),
    };
    const out = JSON.parse(await runPython(PYICEBERG_BOUNDS, JSON.stringify(input))) as {
      cases: { to_bytes: string; decoded: unknown }[];
      strings: { lower: string; upper: string | null }[];
    };
    out.cases.forEach((got, i) => {
      const [type, value] = cases[i];
      const label = `${type} ${String(value)}`;
      assert.equal(got.to_bytes, input.cases[i].ours, label);
      const expected = type === 'float' || type === 'double' ? hex(serializeBound(type, value)) : canon(type, value);
      assert.deepEqual(got.decoded, expected, `pyiceberg decodes our ${label}`);
    });
    out.strings.forEach((got, i) => {
      assert.equal(got.lower, input.strings[i].lower, `lower of ${strings[i]}`);
      // Java drops what follows the incremented code point, pyiceberg keeps it; both are upper bounds.
      const ours = input.strings[i].upper as string | null;
      if (ours === null || got.upper === null) assert.equal(got.upper, ours, `upper of ${strings[i]}`);
      else assert.ok(got.upper.startsWith(ours), `upper of ${strings[i]}: pyiceberg ${got.upper}, ours ${ours}`);
    });
  });
});

const PYICEBERG_BOUNDS = String.raw`
import decimal, json, re, struct, sys, uuid
from pyiceberg.conversions import from_bytes, to_bytes
from pyiceberg.types import (BinaryType, BooleanType, DateType, DecimalType, DoubleType, FixedType, FloatType,
    IntegerType, LongType, StringType, TimestampType, TimestamptzType, TimeType, UUIDType)
from pyiceberg.transforms import TruncateTransform
from pyiceberg.utils.truncate import truncate_upper_bound_text_string

SIMPLE = {"boolean": BooleanType(), "int": IntegerType(), "long": LongType(), "float": FloatType(),
          "double": DoubleType(), "date": DateType(), "time": TimeType(), "timestamp": TimestampType(),
          "timestamptz": TimestamptzType(), "string": StringType(), "uuid": UUIDType(), "binary": BinaryType()}

def parse(t):
    if t in SIMPLE: return SIMPLE[t]
    m = re.match(r"decimal\((\d+), (\d+)\)", t)
    if m: return DecimalType(int(m[1]), int(m[2]))
    return FixedType(int(re.match(r"fixed\[(\d+)\]", t)[1]))

def to_python(t, v):
    if t in ("float", "double"): return struct.unpack("<d", bytes.fromhex(v))[0]
    if t in ("long", "time", "timestamp", "timestamptz"): return int(v)
    if t == "uuid": return uuid.UUID(v)
    if t == "binary" or t.startswith("fixed"): return bytes.fromhex(v)
    if t.startswith("decimal"):
        scale = int(t[t.index(",") + 1:-1]); n = int(v)
        return decimal.Decimal((1 if n < 0 else 0, tuple(int(c) for c in str(abs(n))), -scale))
    return v

def canon(t, v):
    if t == "float": return struct.pack("<f", v).hex()
    if t == "double": return struct.pack("<d", v).hex()
    if t in ("long", "time", "timestamp", "timestamptz"): return str(v)
    if t == "uuid": return str(v) if isinstance(v, uuid.UUID) else str(uuid.UUID(bytes=v))
    if t == "binary" or t.startswith("fixed"): return v.hex()
    if t.startswith("decimal"):
        sign, digits, exp = v.as_tuple()
        scale = int(t[t.index(",") + 1:-1])
        n = int("".join(map(str, digits))) * 10 ** (exp + scale)
        return str(-n if sign else n)
    return v

req = json.load(sys.stdin)
out = {"cases": [], "strings": []}
for c in req["cases"]:
    t = parse(c["type"])
    out["cases"].append({"to_bytes": to_bytes(t, to_python(c["type"], c["value"])).hex(),
                         "decoded": canon(c["type"], from_bytes(t, bytes.fromhex(c["ours"])))})
trunc = TruncateTransform(width=4).transform(StringType())
for s in req["strings"]:
    out["strings"].append({"lower": trunc(s["s"]), "upper": truncate_upper_bound_text_string(s["s"], 4)})
json.dump(out, sys.stdout)
`;

function runPython(script: string, stdin: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(rigPython(), ['-c', script], { maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(stdout);
    });
    child.stdin?.end(stdin);
  });
}
