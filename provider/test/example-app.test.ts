// The example app (examples/cdktf) synthesizes offline, in both of its modes, to the seed's tables.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const appDir = fileURLToPath(new URL('../../examples/cdktf/', import.meta.url));

function synthApp(env: Record<string, string>): Record<string, Record<string, Record<string, Record<string, unknown>>>> {
  const out = mkdtempSync(path.join(tmpdir(), 'floe-example-synth-'));
  try {
    const r = spawnSync(process.execPath, ['main.ts'], { cwd: appDir, env: { ...process.env, CDKTF_OUTDIR: out, ...env }, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(readFileSync(path.join(out, 'stacks', 'floe-seed', 'cdk.tf.json'), 'utf8'));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

test('the example app declares the seed tables, bucket and agents role', () => {
  const s = synthApp({});
  const tables = Object.values(s.resource.floe_table);
  assert.deepEqual(tables.map((t) => t.source_topic).sort(), ['example_avro_events_topic', 'example_json_logs_topic']);
  const events = tables.find((t) => t.source_format === 'avro') as { schema: { fields: Array<{ name: string }> } };
  assert.deepEqual(events.schema.fields.map((f) => f.name), ['event_id', 'user_id', 'session_id', 'profile', 'device', 'cookies', 'event_attributes']);
  assert.equal(Object.keys(s.resource.aws_s3_bucket).length, 1);
  assert.equal(Object.keys(s.resource.aws_iam_role).length, 1);
  const clusters = Object.values(s.resource.floe_source_cluster);
  assert.deepEqual(clusters.map((c) => c.name).sort(), ['tableflow_cluster_1', 'tableflow_cluster_2']);
});

test('with an existing bucket the example needs no AWS provider', () => {
  const s = synthApp({ FLOE_EXAMPLE_EXISTING_BUCKET: '1', FLOE_EXAMPLE_BOOTSTRAP: '127.0.0.1:19092', FLOE_EXAMPLE_TOPIC_PREFIX: 'x_' });
  assert.deepEqual(Object.keys(s.resource).sort(), ['floe_source_cluster', 'floe_table']);
  assert.equal((s as unknown as { provider: Record<string, unknown> }).provider.aws, undefined);
  for (const c of Object.values(s.resource.floe_source_cluster)) {
    assert.deepEqual(c.bootstrap_brokers, [{ hostname: '127.0.0.1', port: 19092 }]);
    assert.equal(c.credentials, undefined);
  }
});
