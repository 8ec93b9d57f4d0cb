// Decode throughput of the seed's two tables (not a test: run it by hand).
//   source scripts/node-env.sh && node agent/test/decode/bench-decode.ts [records]
// Peers: JSON.parse alone (the floor for JSON), avsc's Type.decode for the same Avro bytes (which
// yields avsc's own representation, not rows).

// Measured (2 vCPU VM shared with other jobs, so +-15%), node v24.21.0, 200k records, best of 3:
//   json  logs   (floe decoder)                          2,280,797 records/s  (112 B/record)
//   json  logs   (peer: JSON.parse only)                 2,404,454 records/s
//   json  logs + decimal(10, 2) column                   1,044,642 records/s  (125 B/record)
//   json  logs + decimal(38, 2) column (source parse)      396,436 records/s
//   json  events (floe decoder)                            446,992 records/s  (423 B/record)
//   json  events (peer: JSON.parse only)                   559,219 records/s
//   avro  events (floe decoder)                            831,227 records/s  (155 B/record)
//   avro  events (peer: avsc Type.decode)                  744,042 records/s

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadConfig, tableSchema } from '../../src/config/index.ts';
import { avroEncoderFor, avroTypeFor, createDecoder } from '../../src/decode/index.ts';
import type { Row } from '../../src/schema/types.ts';

const N = Number(process.argv[2] ?? 200_000);
const seed = fileURLToPath(new URL('../../../examples/config/seed-example.yaml', import.meta.url));
const config = loadConfig(readFileSync(seed, 'utf8'));
const logs = tableSchema(config.tables[0]);
const events = tableSchema(config.tables[1]);

const envs = ['prod', 'staging', 'dev'];
const logValues = Array.from({ length: N }, (_, i) =>
  Buffer.from(
    JSON.stringify({
      environment: envs[i % 3],
      service: `svc-${i % 17}`,
      status: i % 10 === 0 ? 'error' : 'ok',
      message: `request ${i} handled in ${i % 1000} ms by worker ${i % 8}`,
    }),
  ),
);

function eventRow(i: number): Row {
  return {
    event_id: `evt-${i.toString(16).padStart(12, '0')}`,
    user_id: BigInt(1_000_000 + (i % 50_000)),
    session_id: `sess-${(i >> 4).toString(36)}`,
    profile: { country: ['DE', 'FR', 'US', 'JP'][i % 4], language: ['de', 'fr', 'en', 'ja'][i % 4] },
    device: {
      type: i % 2 ? 'mobile' : 'desktop',
      os: { name: i % 2 ? 'ios' : 'linux', version: `${i % 20}.${i % 7}`, vendor: i % 3 ? 'apple' : null },
      browser: { name: 'firefox', version: `${100 + (i % 30)}.0` },
      screen: { width: 1170 + (i % 5), height: 2532, pixel_ratio: 3, model: i % 5 ? 'iPhone 15' : null },
    },
    cookies: [`c${i % 13}`, `consent=${i % 2}`, 'ab=1'],
    event_attributes: new Map([
      ['page', `/p/${i % 100}`],
      ['referrer', 'https://example.com/'],
    ]),
  };
}
const encode = avroEncoderFor(events);
const avroValues = Array.from({ length: N }, (_, i) => encode(eventRow(i)));
const eventJson = Array.from({ length: N }, (_, i) => {
  const r = eventRow(i) as Record<string, unknown>;
  return Buffer.from(
    JSON.stringify({ ...r, user_id: Number(r.user_id), event_attributes: Object.fromEntries(r.event_attributes as Map<string, string>) }),
  );
});

function bench(name: string, values: Buffer[], fn: (v: Buffer) => unknown): void {
  for (let i = 0; i < Math.min(20_000, values.length); i++) fn(values[i]); // warm-up
  let best = 0;
  for (let round = 0; round < 3; round++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < values.length; i++) fn(values[i]);
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    best = Math.max(best, values.length / s);
  }
  const bytes = values.reduce((a, v) => a + v.length, 0) / values.length;
  console.log(`${name.padEnd(50)} ${Math.round(best).toLocaleString('en-US').padStart(11)} records/s  (${bytes.toFixed(0)} B/record)`);
}

// the logs table with a decimal column: decimal(10, 2) reads JSON numbers through doubles;
// decimal(38, 2) (precision > 15) makes the table parse with source text (a JSON.parse reviver)
const priced = (type: 'decimal(10, 2)' | 'decimal(38, 2)') => ({ ...logs, fields: [...logs.fields, { id: 5, name: 'price', required: true, type }] });
const pricedValues = logValues.map((v, i) => Buffer.from(`${v.toString().slice(0, -1)},"price":${(i % 10000) / 100}}`));

const td = new TextDecoder();
const jsonLogs = createDecoder('json', logs);
const jsonEvents = createDecoder('json', events);
const jsonPriced = createDecoder('json', priced('decimal(10, 2)'));
const jsonPricedWide = createDecoder('json', priced('decimal(38, 2)'));
const avroEvents = createDecoder('avro', events);
const avscType = avroTypeFor(events);

console.log(`node ${process.version}, ${N} records per round, best of 3`);
bench('json  logs   (floe decoder)', logValues, (v) => jsonLogs.decode(v));
bench('json  logs   (peer: JSON.parse only)', logValues, (v) => JSON.parse(td.decode(v)));
bench('json  logs + decimal(10, 2) column', pricedValues, (v) => jsonPriced.decode(v));
bench('json  logs + decimal(38, 2) column (source parse)', pricedValues, (v) => jsonPricedWide.decode(v));
bench('json  events (floe decoder)', eventJson, (v) => jsonEvents.decode(v));
bench('json  events (peer: JSON.parse only)', eventJson, (v) => JSON.parse(td.decode(v)));
bench('avro  events (floe decoder)', avroValues, (v) => avroEvents.decode(v));
bench('avro  events (peer: avsc Type.decode)', avroValues, (v) => avscType.decode(v, 0));
