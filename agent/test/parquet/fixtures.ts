// A schema with every Iceberg type, nested structs, lists and maps, and rows that put nulls at
// every level, empty lists and maps, and the edge values of each type.

import type { Row, Schema, Value } from '../../src/schema/types.ts';
import { prng } from './helpers.ts';

export const allTypesSchema: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'flag', required: false, type: 'boolean' },
    { id: 2, name: 'i', required: true, type: 'int' },
    { id: 3, name: 'l', required: false, type: 'long' },
    { id: 4, name: 'f', required: false, type: 'float' },
    { id: 5, name: 'd', required: false, type: 'double' },
    { id: 6, name: 'dec', required: false, type: 'decimal(10, 2)' },
    { id: 7, name: 'dec38', required: false, type: 'decimal(38, 10)' },
    { id: 8, name: 'day', required: false, type: 'date' },
    { id: 9, name: 't', required: false, type: 'time' },
    { id: 10, name: 'ts', required: false, type: 'timestamp' },
    { id: 11, name: 'tstz', required: false, type: 'timestamptz' },
    { id: 12, name: 's', required: false, type: 'string' },
    { id: 13, name: 'u', required: false, type: 'uuid' },
    { id: 14, name: 'bin', required: false, type: 'binary' },
    { id: 15, name: 'fx', required: false, type: 'fixed[4]' },
    {
      id: 16,
      name: 'st',
      required: false,
      type: {
        type: 'struct',
        fields: [
          { id: 17, name: 'a', required: true, type: 'int' },
          { id: 18, name: 'b', required: false, type: 'string' },
          {
            id: 19,
            name: 'inner',
            required: false,
            type: {
              type: 'struct',
              fields: [
                { id: 20, name: 'x', required: true, type: 'double' },
                { id: 21, name: 'y', required: false, type: 'long' },
              ],
            },
          },
        ],
      },
    },
    { id: 22, name: 'tags', required: false, type: { type: 'list', 'element-id': 23, element: 'string', 'element-required': false } },
    {
      id: 24,
      name: 'items',
      required: false,
      type: {
        type: 'list',
        'element-id': 25,
        'element-required': true,
        element: {
          type: 'struct',
          fields: [
            { id: 26, name: 'name', required: true, type: 'string' },
            { id: 27, name: 'qty', required: false, type: 'int' },
          ],
        },
      },
    },
    {
      id: 28,
      name: 'attrs',
      required: false,
      type: { type: 'map', 'key-id': 29, key: 'string', 'value-id': 30, value: 'string', 'value-required': false },
    },
    {
      id: 31,
      name: 'smap',
      required: false,
      type: {
        type: 'map',
        'key-id': 32,
        key: 'string',
        'value-id': 33,
        'value-required': true,
        value: {
          type: 'struct',
          fields: [
            { id: 34, name: 'v', required: true, type: 'long' },
            { id: 35, name: 'w', required: false, type: 'string' },
          ],
        },
      },
    },
    { id: 36, name: 'req_s', required: true, type: 'string' },
    { id: 37, name: 'req_list', required: true, type: { type: 'list', 'element-id': 38, element: 'int', 'element-required': true } },
    {
      id: 39,
      name: 'st2',
      required: false,
      type: {
        type: 'struct',
        fields: [
          { id: 40, name: 'nums', required: false, type: { type: 'list', 'element-id': 41, element: 'long', 'element-required': false } },
          { id: 42, name: 'm', required: true, type: { type: 'map', 'key-id': 43, key: 'string', 'value-id': 44, value: 'int', 'value-required': false } },
        ],
      },
    },
  ],
};

const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);

/** Hand-written rows: edge values and nulls at every level. */
export const edgeRows: Row[] = [
  {
    flag: true,
    i: -2147483648,
    l: -(2n ** 63n),
    f: -0,
    d: -0,
    dec: -9999999999n,
    dec38: -(10n ** 38n - 1n),
    day: -719162, // 0001-01-01
    t: 0n,
    ts: -62135596800000000n, // 0001-01-01T00:00:00
    tstz: -62135596800000000n,
    s: '',
    u: '00000000-0000-0000-0000-000000000000',
    bin: bytes(),
    fx: bytes(0, 0, 0, 0),
    st: { a: 1, b: null, inner: { x: 0.5, y: null } },
    tags: ['x', null, 'y'],
    items: [{ name: 'apple', qty: 3 }, { name: 'pear', qty: null }],
    attrs: new Map<Value, Value>([['k1', 'v1'], ['k2', null]]),
    smap: new Map<Value, Value>([['a', { v: 1n, w: 'one' }]]),
    req_s: 'first',
    req_list: [1, 2, 3],
    st2: { nums: [1n, null], m: new Map<Value, Value>([['z', 26]]) },
  },
  {
    flag: false,
    i: 2147483647,
    l: 2n ** 63n - 1n,
    f: 0,
    d: 0,
    dec: 9999999999n,
    dec38: 10n ** 38n - 1n,
    day: 2932896, // 9999-12-31
    t: 86399999999n,
    ts: 253402300799999999n, // 9999-12-31T23:59:59.999999
    tstz: 253402300799999999n,
    s: '\uffffz', // sorts below the emoji by code point, above it in UTF-16
    u: 'ffffffff-ffff-ffff-ffff-ffffffffffff',
    bin: bytes(0xfe, ...new Array<number>(19).fill(0xff)), // upper bound carries: 0xff
    fx: bytes(0xff, 0xff, 0xff, 0xff),
    st: null,
    tags: [],
    items: [],
    attrs: new Map(),
    smap: new Map(),
    req_s: '',
    req_list: [],
    st2: null,
  },
  {
    flag: null,
    i: 0,
    l: null,
    f: NaN,
    d: NaN,
    dec: null,
    dec38: null,
    day: null,
    t: null,
    ts: null,
    tstz: null,
    s: null,
    u: null,
    bin: null,
    fx: null,
    st: { a: -5, b: 'bee', inner: null },
    tags: null,
    items: null,
    attrs: null,
    smap: null,
    req_s: 'nulls everywhere',
    req_list: [0],
    st2: { nums: null, m: new Map() },
  },
  {
    flag: true,
    i: 7,
    l: 0n,
    f: Number.POSITIVE_INFINITY,
    d: Number.NEGATIVE_INFINITY,
    dec: 1n,
    dec38: -1n,
    day: 0,
    t: 43200000000n,
    ts: 0n,
    tstz: 1700000000123456n,
    s: '😀 grinning face, longer than sixteen code points',
    u: '123e4567-e89b-12d3-a456-426614174000',
    bin: bytes(0, 1, 2),
    fx: bytes(1, 2, 3, 4),
    st: { a: 2, b: 'ünïcödé', inner: { x: -1e300, y: -7n } },
    tags: [null],
    items: [{ name: 'kiwi', qty: -1 }],
    attrs: new Map<Value, Value>([['only', 'value']]),
    smap: new Map<Value, Value>([['k', { v: -3n, w: null }], ['l', { v: 4n, w: 'four' }]]),
    req_s: 'x'.repeat(40),
    req_list: [5, 6],
    st2: { nums: [], m: new Map<Value, Value>([['a', null], ['b', 2]]) },
  },
  {
    flag: false,
    i: 1,
    l: 123456789012345n,
    f: 1.1, // not exactly representable as a float32: stored rounded
    d: 5e-324,
    dec: -1n,
    dec38: 12345678901234567890123456789n,
    day: 19000,
    t: 1n,
    ts: 1700000000000000n,
    tstz: -1n,
    s: 'hello',
    u: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
    bin: bytes(0x80),
    fx: bytes(0x80, 0, 0, 0),
    st: { a: 3, b: 'zzz', inner: { x: Number.MAX_VALUE, y: 9n } },
    tags: ['only'],
    items: [{ name: 'a', qty: 0 }, { name: 'b', qty: 1 }, { name: 'c', qty: 2 }],
    attrs: new Map<Value, Value>([['x', 'y']]),
    smap: new Map<Value, Value>([['m', { v: 0n, w: 'zero' }]]),
    req_s: 'last edge row',
    req_list: [9],
    st2: { nums: [null, -5n, 5n], m: new Map<Value, Value>([['q', 1]]) },
  },
];

const ALPHABET = 'abcdefghijklmnopqrstuvwxyzéß日本😀 ';

/** `n` pseudo-random rows within the edge rows' ranges (so the edges stay the bounds). */
export function randomRows(n: number, seed = 42): Row[] {
  const rnd = prng(seed);
  const maybe = <T>(v: () => T): T | null => (rnd() < 0.15 ? null : v());
  const int = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
  const big = (span: number): bigint => BigInt(int(-span, span));
  const str = (max: number): string => {
    const chars = Array.from(ALPHABET);
    let s = '';
    for (let k = int(0, max); k > 0; k--) s += chars[int(0, chars.length - 1)];
    return s;
  };
  const randBytes = (len: number): Uint8Array => Uint8Array.from({ length: len }, () => int(1, 0xfd));
  const uuid = (): string => {
    const h = Array.from({ length: 32 }, () => '0123456789abcdef'[int(0, 15)]).join('');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  };
  const rows: Row[] = [];
  for (let r = 0; r < n; r++) {
    rows.push({
      flag: maybe(() => rnd() < 0.5),
      i: int(-1000000, 1000000),
      l: maybe(() => big(1e12) * 1000n),
      f: maybe(() => Math.fround((rnd() - 0.5) * 1000)),
      d: maybe(() => (rnd() - 0.5) * 1e6),
      dec: maybe(() => big(1e9)),
      dec38: maybe(() => big(1e15) * 10n ** 20n),
      day: maybe(() => int(-10000, 30000)),
      t: maybe(() => BigInt(int(1, 86399999)) * 1000n),
      ts: maybe(() => big(1e15)),
      tstz: maybe(() => big(1e15)),
      s: maybe(() => 'r' + str(12)),
      u: maybe(() => '5' + uuid().slice(1)),
      bin: maybe(() => randBytes(int(0, 24))),
      fx: maybe(() => randBytes(4)),
      st: maybe(() => ({
        a: int(-4, 3),
        b: maybe(() => 'c' + str(5)),
        inner: maybe(() => ({ x: (rnd() - 0.5) * 100, y: maybe(() => big(8)) })),
      })),
      tags: maybe(() => Array.from({ length: int(0, 4) }, () => maybe(() => str(6)))),
      items: maybe(() => Array.from({ length: int(0, 3) }, () => ({ name: str(8), qty: maybe(() => int(-100, 100)) }))),
      attrs: maybe(() => new Map<Value, Value>(Array.from({ length: int(0, 3) }, (_, k) => [`k${k}`, maybe(() => str(4))]))),
      smap: maybe(
        () => new Map<Value, Value>(Array.from({ length: int(0, 2) }, (_, k) => [`s${k}`, { v: big(1000), w: maybe(() => str(3)) }])),
      ),
      req_s: str(20),
      req_list: Array.from({ length: int(0, 3) }, () => int(0, 9)),
      st2: maybe(() => ({
        nums: maybe(() => Array.from({ length: int(0, 3) }, () => maybe(() => big(100)))),
        m: new Map<Value, Value>(Array.from({ length: int(0, 2) }, (_, k) => [`m${k}`, maybe(() => int(0, 50))])),
      })),
    });
  }
  return rows;
}
