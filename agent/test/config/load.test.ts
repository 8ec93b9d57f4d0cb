import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../src/errors.ts';
import {
  FLUSH_DEFAULTS,
  configToJson,
  configToYaml,
  loadConfig,
  loadConfigFile,
  tableName,
  tableSchema,
} from '../../src/config/index.ts';

const examples = fileURLToPath(new URL('../../../examples/config/', import.meta.url));
const seedText = readFileSync(join(examples, 'seed-example.yaml'), 'utf8');

function issuesOf(fn: () => unknown): { path: string; message: string }[] {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    assert.equal(e.code, 'FLOE_CONFIG_INVALID');
    return e.issues;
  }
  assert.fail('expected a ConfigError');
}

test('the seed example loads unchanged, both tables, with defaults filled in', () => {
  const c = loadConfig(seedText);
  assert.equal(c.destination_bucket_url, 's3://my-bucket-name');
  assert.deepEqual(
    c.source_clusters.map((s) => s.name),
    ['tableflow_cluster_1', 'tableflow_cluster_2'],
  );
  assert.deepEqual(c.source_clusters[0], { name: 'tableflow_cluster_1', bootstrap_brokers: [{ hostname: 'localhost', port: 9092 }] });
  assert.deepEqual(c.source_clusters[1].credentials, {
    use_tls: true,
    tls_insecure_skip_verify: false,
    sasl_mechanism: 'plain',
    sasl_username_env: 'SASL_USERNAME_ENV_VAR',
    sasl_password_env: 'SASL_PASSWORD_ENV_VAR',
  });
  assert.deepEqual(c.tables.map(tableName), ['tableflow_cluster_1+example_json_logs_topic', 'tableflow_cluster_2+example_avro_events_topic']);
  const [logs, events] = c.tables;
  assert.equal(logs.source_format, 'json');
  assert.equal(events.source_format, 'avro');
  assert.equal(logs.schema_mode, 'inline');
  assert.equal(logs.partitioning_scheme, 'unpartitioned');
  assert.deepEqual(logs.flush, FLUSH_DEFAULTS);
  assert.deepEqual(logs.delta, { enabled: true });
  assert.deepEqual(logs.dlq, { enabled: true });
  assert.deepEqual(logs.schema.fields.map((f) => [f.name, f.id, f.type, f.optional]), [
    ['environment', 1, 'string', false],
    ['service', 2, 'string', false],
    ['status', 3, 'string', false],
    ['message', 4, 'string', false],
  ]);
  // the full Avro events schema: structs, nested structs, optional fields, list, map
  const s = tableSchema(events);
  assert.deepEqual(s.fields.map((f) => f.name), ['event_id', 'user_id', 'session_id', 'profile', 'device', 'cookies', 'event_attributes']);
  const device = s.fields[4];
  assert.equal(device.id, 7);
  assert.ok(typeof device.type === 'object' && device.type.type === 'struct');
  const os = device.type.fields[1];
  assert.deepEqual(os, {
    id: 9,
    name: 'os',
    required: true,
    type: {
      type: 'struct',
      fields: [
        { id: 10, name: 'name', required: true, type: 'string' },
        { id: 11, name: 'version', required: true, type: 'string' },
        { id: 25, name: 'vendor', required: false, type: 'string' },
      ],
    },
  });
  assert.deepEqual(s.fields[5], { id: 20, name: 'cookies', required: true, type: { type: 'list', 'element-id': 21, element: 'string', 'element-required': true } });
  assert.deepEqual(s.fields[6], {
    id: 22,
    name: 'event_attributes',
    required: true,
    type: { type: 'map', 'key-id': 23, key: 'string', 'value-id': 24, value: 'string', 'value-required': true },
  });
});

test('configToYaml round-trips the seed example and the local example', () => {
  for (const file of ['seed-example.yaml', 'local.yaml']) {
    const c = loadConfig(readFileSync(join(examples, file), 'utf8'));
    const yaml = configToYaml(c);
    assert.deepEqual(loadConfig(yaml), c, file);
    assert.deepEqual(loadConfig(configToJson(c), { format: 'json' }), c, file);
  }
});

test('configToYaml writes leaf schema fields on one line, like the seed', () => {
  const yaml = configToYaml(loadConfig(seedText));
  assert.match(yaml, /^ {8}- \{ name: environment, id: 1, type: string \}$/m);
  assert.match(yaml, /^ {16}- \{ name: vendor, id: 25, type: string, optional: true \}$/m);
  assert.doesNotMatch(yaml, /flush|delta|dlq|partitioning_scheme/);
});

test('configToYaml keeps non-default extensions', () => {
  const c = loadConfig(readFileSync(join(examples, 'local.yaml'), 'utf8'));
  assert.equal(c.destination_bucket_url, 'file:///tmp/floe-warehouse');
  assert.equal(c.tables[0].partitioning_scheme, 'hour');
  assert.deepEqual(c.tables[1].flush, { max_bytes: FLUSH_DEFAULTS.max_bytes, max_records: 100000, interval_seconds: 10 });
  const yaml = configToYaml(c);
  assert.match(yaml, /partitioning_scheme: hour/);
  assert.match(yaml, /max_records: 100000/);
});

test('YAML syntax errors are reported with line and column', () => {
  const text = ['source_clusters:', '  - name: a', '    bootstrap_brokers: [ { hostname: x, port: 1 }', 'tables: []', 'destination_bucket_url: file:///tmp/x', ''].join('\n');
  const issues = issuesOf(() => loadConfig(text));
  assert.ok(issues.length >= 1);
  assert.match(issues[0].path, /^line \d+, column \d+$/);
  assert.match(issues[0].message, /^invalid YAML: /);
});

test('YAML: a duplicate key is an error with its line', () => {
  const text = 'destination_bucket_url: file:///tmp/a\ndestination_bucket_url: file:///tmp/b\n';
  assert.deepEqual(issuesOf(() => loadConfig(text)), [
    { path: 'line 2, column 1', message: 'invalid YAML: Map keys must be unique ("destination_bucket_url")' },
  ]);
});

test('YAML: tabs for indentation are reported at their line', () => {
  const issues = issuesOf(() => loadConfig('tables:\n\t- source_topic: x\n'));
  assert.equal(issues[0].path.startsWith('line 2,'), true, JSON.stringify(issues));
});

test('YAML: several documents in one file are refused', () => {
  const issues = issuesOf(() => loadConfig('destination_bucket_url: file:///tmp/a\n---\ntables: []\n'));
  assert.match(issues[0].message, /multiple documents/);
});

test('YAML: an undefined alias is reported, not thrown as a ReferenceError', () => {
  const issues = issuesOf(() => loadConfig('destination_bucket_url: *nope\n'));
  assert.match(issues[0].message, /^invalid YAML: /);
});

test('JSON syntax errors are reported with line and column', () => {
  const text = '{\n  "destination_bucket_url": "file:///tmp/x",\n  "tables": [}\n';
  const issues = issuesOf(() => loadConfig(text, { format: 'json' }));
  assert.equal(issues.length, 1);
  assert.equal(issues[0].path, 'line 3, column 14');
  assert.match(issues[0].message, /^invalid JSON: /);
});

test('an empty file is an error, not an empty configuration', () => {
  assert.deepEqual(issuesOf(() => loadConfig('')), [
    { path: '(root)', message: 'the configuration is empty; expected source_clusters, tables and destination_bucket_url' },
  ]);
  assert.deepEqual(issuesOf(() => loadConfig('- a\n- b\n')), [
    { path: '(root)', message: 'expected a mapping with source_clusters, tables and destination_bucket_url, got array of 2' },
  ]);
});

test('a file naming only the bucket is valid (no clusters, no tables yet)', () => {
  assert.deepEqual(loadConfig('destination_bucket_url: s3://bucket?region=eu-west-1\n'), {
    source_clusters: [],
    tables: [],
    destination_bucket_url: 's3://bucket?region=eu-west-1',
  });
});

test('loadConfigFile reads YAML and JSON files and names an unreadable one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'floe-config-'));
  const c = loadConfig(seedText);
  writeFileSync(join(dir, 'c.json'), configToJson(c));
  writeFileSync(join(dir, 'c.yaml'), seedText);
  assert.deepEqual(await loadConfigFile(join(dir, 'c.json')), c);
  assert.deepEqual(await loadConfigFile(join(dir, 'c.yaml')), c);
  await assert.rejects(loadConfigFile(join(dir, 'missing.yaml')), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.match(e.message, /^\(file\): cannot read .*missing\.yaml: ENOENT/);
    return true;
  });
});
