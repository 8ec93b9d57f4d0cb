// Sample records for the seed's two example tables (tableflow-setup.txt): JSON logs and Avro events.
// Deterministic in `i`, so tests can regenerate exactly what was produced and compare.

import type { Row } from '../../agent/src/schema/types.ts';

const environments = ['production', 'staging', 'development'];
const services = ['checkout', 'search', 'auth', 'billing', 'catalog', 'gateway'];
const statuses = ['ok', 'warn', 'error'];
const countries = ['DE', 'FR', 'US', 'BR', 'JP', 'IN', 'NG'];
const languages = ['de', 'fr', 'en', 'pt', 'ja', 'hi'];
const deviceTypes = ['mobile', 'desktop', 'tablet'];
const osNames = ['iOS', 'Android', 'Windows', 'macOS', 'Linux'];
const browsers = ['Safari', 'Chrome', 'Firefox', 'Edge'];

function pick<T>(xs: T[], i: number, salt: number): T {
  return xs[(i * 31 + salt * 17 + Math.floor(i / 7)) % xs.length];
}

/** One record of `example_json_logs_topic`, as the JSON object the producer sends. */
export function jsonLog(i: number): { environment: string; service: string; status: string; message: string } {
  return {
    environment: pick(environments, i, 1),
    service: pick(services, i, 2),
    status: pick(statuses, i, 3),
    message: `request ${i} handled in ${(i * 7919) % 1000} ms${i % 13 === 0 ? ' — retried "twice"' : ''}`,
  };
}

/** One record of `example_avro_events_topic`, in the agent's in-memory Row form (long as bigint). */
export function avroEvent(i: number): Row {
  const cookies: string[] = [];
  for (let k = 0; k < i % 4; k++) cookies.push(`c${k}=${(i * 31 + k) % 9973}`);
  const attrs = new Map<string, string>();
  for (let k = 0; k < i % 3; k++) attrs.set(`attr_${k}`, `v${(i + k) % 101}`);
  return {
    event_id: `evt-${i.toString(16).padStart(8, '0')}`,
    user_id: BigInt(1_000_000_000_000 + i * 7),
    session_id: `s-${Math.floor(i / 10)}`,
    profile: { country: pick(countries, i, 4), language: pick(languages, i, 5) },
    device: {
      type: pick(deviceTypes, i, 6),
      os: { name: pick(osNames, i, 7), version: `${i % 17}.${i % 5}`, vendor: i % 5 === 0 ? null : `vendor-${i % 3}` },
      browser: { name: pick(browsers, i, 8), version: `${100 + (i % 30)}.0` },
      screen: { width: 320 + (i % 1600), height: 480 + (i % 900), pixel_ratio: 1 + (i % 3) * 0.5, model: i % 7 === 0 ? null : `model-${i % 11}` },
    },
    cookies,
    event_attributes: attrs,
  };
}
