import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError, type ConfigIssue } from '../../src/errors.ts';
import { loadConfig, parseConfig, parseYamlText, validateConfig } from '../../src/config/index.ts';

const seedText = readFileSync(fileURLToPath(new URL('../../../examples/config/seed-example.yaml', import.meta.url)), 'utf8');

/** A fresh, mutable copy of the seed example as plain data. */
function seed(): any {
  return parseYamlText(seedText);
}

function issues(doc: unknown): ConfigIssue[] {
  const r = validateConfig(doc);
  assert.equal(r.ok, false, 'expected validation to fail');
  return r.ok ? [] : r.issues;
}

function lines(doc: unknown): string[] {
  return issues(doc).map((i) => `${i.path}: ${i.message}`);
}

test('parseConfig throws a ConfigError carrying every issue', () => {
  const doc = seed();
  doc.tables[0].sourc_topic = doc.tables[0].source_topic;
  delete doc.tables[0].source_topic;
  doc.source_clusters[0].bootstrap_brokers[0].port = 0;
  assert.throws(
    () => parseConfig(doc),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.deepEqual(e.issues, [
        { path: 'source_clusters[0].bootstrap_brokers[0].port', message: 'expected a port number 1..65535, got number 0' },
        { path: 'tables[0].sourc_topic', message: 'unknown field (did you mean source_topic?)' },
        { path: 'tables[0].source_topic', message: 'missing required field' },
      ]);
      assert.equal(
        e.message,
        'source_clusters[0].bootstrap_brokers[0].port: expected a port number 1..65535, got number 0\n' +
          'tables[0].sourc_topic: unknown field (did you mean source_topic?)\n' +
          'tables[0].source_topic: missing required field',
      );
      return true;
    },
  );
});

test('unknown keys are refused at every level, with a suggestion when close', () => {
  const doc = seed();
  doc.destination_bucket = 'x';
  doc.source_clusters[1].credentials.sasl_mechanisms = 'plain';
  doc.source_clusters[0].bootstrap_brokers[0].host = 'x';
  doc.tables[1].schema.fields[3].fields[0].optinal = true;
  doc.tables[1].schema.fields[0].colour = 'red';
  assert.deepEqual(lines(doc), [
    'destination_bucket: unknown field (did you mean destination_bucket_url?)',
    'source_clusters[0].bootstrap_brokers[0].host: unknown field (did you mean hostname?)',
    'source_clusters[1].credentials.sasl_mechanisms: unknown field (did you mean sasl_mechanism?)',
    'tables[1].schema.fields[0].colour: unknown field',
    'tables[1].schema.fields[3].fields[0].optinal: unknown field (did you mean optional?)',
  ]);
});

test('duplicate field ids name where the id was first used', () => {
  const doc = seed();
  doc.tables[1].schema.fields[3].id = 1;
  doc.tables[1].schema.fields[4].fields[1].fields[2].id = 21; // clashes with cookies' element id, seen later
  assert.deepEqual(lines(doc), [
    'tables[1].schema.fields[3].id: duplicate id 1 (first used at tables[1].schema.fields[0].id)',
    'tables[1].schema.fields[5].fields[0].id: duplicate id 21 (first used at tables[1].schema.fields[4].fields[1].fields[2].id)',
  ]);
});

test('ids are checked per table: two tables may use the same ids', () => {
  assert.equal(validateConfig(seed()).ok, true); // both seed tables start at id 1
});

test('wrong types name the path and the value received', () => {
  const doc = seed();
  doc.source_clusters[0].bootstrap_brokers[0].port = '9092';
  doc.source_clusters[1].credentials.use_tls = 'yes';
  doc.tables[0].schema.fields[1].id = '2';
  doc.tables[0].schema.fields[2].optional = 'no';
  doc.tables[0].source_topic = 42;
  doc.tables[1].schema.fields = { event_id: 'string' };
  assert.deepEqual(lines(doc), [
    'source_clusters[0].bootstrap_brokers[0].port: expected a port number 1..65535, got string "9092"',
    'source_clusters[1].credentials.use_tls: expected true or false, got string "yes"',
    'tables[0].source_topic: expected string, got number 42',
    'tables[0].schema.fields[1].id: expected a positive integer, got string "2"',
    'tables[0].schema.fields[2].optional: expected boolean, got string "no"',
    'tables[1].schema.fields: expected a list of fields, got object',
  ]);
});

test('bad ports', () => {
  for (const [port, got] of [
    [70000, 'number 70000'],
    [-1, 'number -1'],
    [90.5, 'number 90.5'],
  ] as const) {
    const doc = seed();
    doc.source_clusters[0].bootstrap_brokers[0].port = port;
    assert.deepEqual(lines(doc), [`source_clusters[0].bootstrap_brokers[0].port: expected a port number 1..65535, got ${got}`]);
  }
});

test('missing required fields', () => {
  const doc = seed();
  delete doc.destination_bucket_url;
  delete doc.source_clusters[0].bootstrap_brokers;
  delete doc.source_clusters[1].bootstrap_brokers[1].hostname;
  delete doc.tables[0].schema;
  delete doc.tables[1].source_format;
  delete doc.tables[1].schema.fields[2].type;
  delete doc.tables[1].schema.fields[3].fields[1].name;
  assert.deepEqual(lines(doc), [
    'source_clusters[0].bootstrap_brokers: missing required field',
    'source_clusters[1].bootstrap_brokers[1].hostname: missing required field',
    'tables[0].schema: missing required field',
    'tables[1].source_format: missing required field',
    'tables[1].schema.fields[2].type: missing required field',
    'tables[1].schema.fields[3].fields[1].name: missing required field',
    'destination_bucket_url: missing required field',
  ]);
});

test('a table must name a defined source cluster', () => {
  const doc = seed();
  doc.tables[0].source_cluster_name = 'tableflow_clustr_1';
  doc.tables[1].source_cluster_name = 'elsewhere';
  assert.deepEqual(lines(doc), [
    'tables[0].source_cluster_name: no source cluster named "tableflow_clustr_1" (did you mean tableflow_cluster_1?) (defined: tableflow_cluster_1, tableflow_cluster_2)',
    'tables[1].source_cluster_name: no source cluster named "elsewhere" (defined: tableflow_cluster_1, tableflow_cluster_2)',
  ]);
});

test('a table of a cluster that has its own error does not also report a missing cluster', () => {
  const doc = seed();
  doc.source_clusters[0].bootstrap_brokers[0].port = 'x';
  assert.deepEqual(lines(doc), ['source_clusters[0].bootstrap_brokers[0].port: expected a port number 1..65535, got string "x"']);
});

test('duplicate cluster names and duplicate tables', () => {
  const doc = seed();
  doc.source_clusters[1].name = 'tableflow_cluster_1';
  doc.tables[1].source_cluster_name = 'tableflow_cluster_1';
  doc.tables.push({ ...seed().tables[0] });
  assert.deepEqual(lines(doc), [
    'source_clusters[1].name: duplicate cluster name "tableflow_cluster_1" (first defined at source_clusters[0].name)',
    'tables[2].source_topic: duplicate table "tableflow_cluster_1+example_json_logs_topic" (first defined at tables[0])',
  ]);
});

test('the same topic from two clusters is two tables', () => {
  const doc = seed();
  doc.tables[1].source_topic = doc.tables[0].source_topic;
  assert.equal(validateConfig(doc).ok, true);
});

test('names that would break table names and paths are refused', () => {
  const doc = seed();
  doc.source_clusters[0].name = 'my cluster/1';
  doc.tables[0].source_cluster_name = 'my cluster/1';
  doc.tables[1].source_topic = 'events+v2';
  assert.deepEqual(lines(doc), [
    `source_clusters[0].name: invalid cluster name "my cluster/1" (letters, digits, '.', '_' and '-' only, as it becomes part of table names and paths)`,
    `tables[1].source_topic: invalid Kafka topic name "events+v2" (1-249 letters, digits, '.', '_' and '-')`,
  ]);
});

test('bad bucket URLs', () => {
  const cases: [string, string][] = [
    ['gs://bucket', 'destination_bucket_url: unsupported scheme "gs" in "gs://bucket" (supported: s3://, file://)'],
    ['my-bucket', 'destination_bucket_url: "my-bucket" is not a URL; expected s3://bucket?region=..&prefix=.. or file:///absolute/path'],
    ['s3://My_Bucket', 'destination_bucket_url: invalid bucket name "My_Bucket" (3-63 lowercase letters, digits, dots and hyphens) in "s3://My_Bucket"'],
    ['s3://bucket?regoin=us-east-1', 'destination_bucket_url: unknown query parameter "regoin" (did you mean region?) in "s3://bucket?regoin=us-east-1"'],
    ['s3://bucket/tables', 'destination_bucket_url: unexpected path "/tables" after the bucket name (use ?prefix=...) in "s3://bucket/tables"'],
    ['file://relative/dir', 'destination_bucket_url: a file URL needs an absolute path, file:///like/this in "file://relative/dir"'],
    ['', 'destination_bucket_url: must not be empty'],
  ];
  for (const [url, expected] of cases) {
    const doc = seed();
    doc.destination_bucket_url = url;
    assert.deepEqual(lines(doc), [expected], url);
  }
});

test('good bucket URLs from the seed and for local stores', () => {
  for (const url of [
    's3://my-bucket-name',
    's3://bucket-name?region=us-east-1',
    's3://bucket-name?region=us-east-1&prefix=team/a',
    's3://floe?endpoint=http://127.0.0.1:9000&s3ForcePathStyle=true&region=us-east-1',
    'file:///tmp/floe-warehouse',
  ]) {
    const doc = seed();
    doc.destination_bucket_url = url;
    assert.equal(validateConfig(doc).ok, true, url);
  }
});

test('host names: scheme or port in the host name is refused with a hint', () => {
  const doc = seed();
  doc.source_clusters[1].bootstrap_brokers[0].hostname = 'kafka://broker1';
  doc.source_clusters[1].bootstrap_brokers[1].hostname = 'broker2.kafkaserver.com:9093';
  assert.deepEqual(lines(doc), [
    'source_clusters[1].bootstrap_brokers[0].hostname: "kafka://broker1" has a scheme; give the bare host name',
    'source_clusters[1].bootstrap_brokers[1].hostname: "broker2.kafkaserver.com:9093" includes a port; put 9093 in port and "broker2.kafkaserver.com" in hostname',
  ]);
  const ok = seed();
  ok.source_clusters[0].bootstrap_brokers[0].hostname = '::1';
  ok.source_clusters[1].bootstrap_brokers[0].hostname = '10.0.0.7';
  assert.equal(validateConfig(ok).ok, true);
});

test('credentials: SASL without TLS is legal; a username without a password is not', () => {
  const doc = seed();
  doc.source_clusters[1].credentials.use_tls = false;
  assert.equal(validateConfig(doc).ok, true);
  delete doc.source_clusters[1].credentials.sasl_password_env;
  assert.deepEqual(lines(doc), [
    'source_clusters[1].credentials.sasl_password_env: missing: sasl_username_env is set to "SASL_USERNAME_ENV_VAR" and SASL needs both sasl_username_env and sasl_password_env',
  ]);
  const other = seed();
  delete other.source_clusters[1].credentials.sasl_username_env;
  assert.deepEqual(lines(other), [
    'source_clusters[1].credentials.sasl_username_env: missing: sasl_password_env is set to "SASL_PASSWORD_ENV_VAR" and SASL needs both sasl_password_env and sasl_username_env',
  ]);
});

test('credentials: sasl_mechanism defaults to plain and accepts only the seed values', () => {
  const doc = seed();
  delete doc.source_clusters[1].credentials.sasl_mechanism;
  assert.equal(loadConfig(JSON.stringify(doc)).source_clusters[1].credentials?.sasl_mechanism, 'plain');
  for (const m of ['scram-256', 'scram-512']) {
    doc.source_clusters[1].credentials.sasl_mechanism = m;
    assert.equal(validateConfig(doc).ok, true);
  }
  doc.source_clusters[1].credentials.sasl_mechanism = 'scram-sha-256';
  assert.deepEqual(lines(doc), [
    'source_clusters[1].credentials.sasl_mechanism: unsupported value "scram-sha-256" (did you mean scram-256?) (supported: plain, scram-256, scram-512)',
  ]);
});

test('credentials: mTLS needs both halves and TLS; env names must be variable names', () => {
  const doc = seed();
  doc.source_clusters[0].credentials = { mtls_client_cert_env: 'CERT_PATH', mtls_server_ca_cert_env: 'CA PATH' };
  assert.deepEqual(lines(doc), [
    `source_clusters[0].credentials.mtls_server_ca_cert_env: "CA PATH" is not an environment variable name (letters, digits and '_'; the agent reads TABLEFLOW_<name>)`,
    'source_clusters[0].credentials.mtls_client_key_env: missing: mtls_client_cert_env is set to "CERT_PATH" and mTLS needs both mtls_client_cert_env and mtls_client_key_env',
    'source_clusters[0].credentials.mtls_client_cert_env: mtls_client_cert_env is set to "CERT_PATH" but use_tls is not true; certificates need TLS',
  ]);
  const ok = seed();
  ok.source_clusters[0].credentials = { use_tls: true, tls_insecure_skip_verify: false, mtls_client_cert_env: 'C', mtls_client_key_env: 'K', mtls_server_ca_cert_env: 'CA' };
  assert.equal(validateConfig(ok).ok, true);
});

test('enumerations: source_format, schema_mode, partitioning_scheme', () => {
  const doc = seed();
  doc.tables[0].source_format = 'protobuf';
  doc.tables[0].schema_mode = 'registry';
  doc.tables[1].partitioning_scheme = 'hourly';
  assert.deepEqual(lines(doc), [
    'tables[0].source_format: unsupported value "protobuf" (supported: json, avro)',
    'tables[0].schema_mode: unsupported value "registry" (supported: inline)',
    'tables[1].partitioning_scheme: unsupported value "hourly" (did you mean hour?) (supported: unpartitioned, hour)',
  ]);
  const ok = seed();
  ok.tables[1].partitioning_scheme = 'hour';
  delete ok.tables[0].schema_mode;
  const c = parseConfig(ok);
  assert.equal(c.tables[1].partitioning_scheme, 'hour');
  assert.equal(c.tables[0].schema_mode, 'inline');
});

test('schema types: unknown names, decimal bounds, fixed, nesting rules', () => {
  const doc = seed();
  const f = doc.tables[0].schema.fields;
  f[0].type = 'strng';
  f[1].type = 'decimal(40, 2)';
  f[2].type = 'decimal(5,7)';
  f[3].type = 'fixed[0]';
  f.push({ name: 'tags', id: 5, type: 'list', fields: [{ name: 'item', id: 6, type: 'string' }] });
  f.push({ name: 'attrs', id: 7, type: 'map', fields: [{ name: 'key', id: 8, type: 'string', optional: true }, { name: 'value', id: 9, type: 'long' }] });
  f.push({ name: 'empty', id: 10, type: 'struct', fields: [] });
  f.push({ name: 'n', id: 11, type: 'int', fields: [{ name: 'x', id: 12, type: 'int' }] });
  f.push({ name: 'ts', id: 13, type: 'timestamp_ns' });
  assert.deepEqual(lines(doc), [
    'tables[0].schema.fields[0].type: unknown type "strng" (did you mean string?); supported: boolean, int, long, float, double, date, time, timestamp, timestamptz, string, uuid, binary, decimal(P, S), fixed[L], struct, list, map',
    'tables[0].schema.fields[1].type: "decimal(40, 2)": decimal precision 40 is out of range 1..38',
    'tables[0].schema.fields[2].type: "decimal(5,7)": decimal scale 7 must be between 0 and the precision 5',
    'tables[0].schema.fields[3].type: "fixed[0]": fixed length 0 must be at least 1',
    `tables[0].schema.fields[4].fields[0].name: a list's entry must be named element, got "item"`,
    'tables[0].schema.fields[5].fields[0].optional: map keys are always required, got true',
    'tables[0].schema.fields[6].fields: a struct needs fields, got none',
    'tables[0].schema.fields[7].fields: only struct, list and map have fields (type is int)',
    'tables[0].schema.fields[8].type: unknown type "timestamp_ns" (did you mean timestamp?); supported: boolean, int, long, float, double, date, time, timestamp, timestamptz, string, uuid, binary, decimal(P, S), fixed[L], struct, list, map',
  ]);
});

test('schema: duplicate names among siblings (also by case), empty schema, reserved ids', () => {
  const doc = seed();
  doc.tables[0].schema.fields[1].name = 'Environment';
  doc.tables[0].schema.fields[2].id = 2_000_000_001;
  doc.tables[1].schema.fields = [];
  assert.deepEqual(lines(doc), [
    'tables[0].schema.fields[1].name: duplicate name "Environment" (first used at tables[0].schema.fields[0].name; names must differ by more than case)',
    'tables[0].schema.fields[2].id: id 2000000001 is out of range 1..1999999999 (higher ids are reserved for the Kafka columns the agent adds)',
    'tables[1].schema.fields: a schema needs at least one field',
  ]);
});

test('avro tables need Avro-legal field names; json tables do not', () => {
  const doc = seed();
  doc.tables[0].schema.fields[0].name = 'env-name';
  doc.tables[1].schema.fields[0].name = 'event-id';
  assert.deepEqual(lines(doc), [
    'tables[1].schema.fields[0].name: "event-id" is not a valid Avro name (source_format avro needs [A-Za-z_][A-Za-z0-9_]*)',
  ]);
});

test('decimal spacing variants are accepted and normalized', () => {
  const doc = seed();
  doc.tables[0].schema.fields[0].type = 'decimal(10,2)';
  doc.tables[0].schema.fields[1].type = 'DECIMAL( 38 , 0 )';
  doc.tables[0].schema.fields[2].type = 'fixed[ 16 ]';
  const c = parseConfig(doc);
  assert.deepEqual(c.tables[0].schema.fields.map((f) => f.type), ['decimal(10, 2)', 'decimal(38, 0)', 'fixed[16]', 'string']);
});

test('extensions: flush, delta and dlq, with defaults and bounds', () => {
  const doc = seed();
  doc.tables[0].flush = { max_bytes: 128 * 1024 * 1024, interval_seconds: 5 };
  doc.tables[0].delta = { enabled: false };
  doc.tables[0].dlq = { enabled: false };
  const c = parseConfig(doc);
  assert.deepEqual(c.tables[0].flush, { max_bytes: 134217728, max_records: 1_000_000, interval_seconds: 5 });
  assert.deepEqual(c.tables[0].delta, { enabled: false });
  assert.deepEqual(c.tables[0].dlq, { enabled: false });
  assert.deepEqual(c.tables[1].flush, { max_bytes: 67108864, max_records: 1_000_000, interval_seconds: 60 });

  doc.tables[0].flush = { max_bytes: 10, max_record: 5, interval_seconds: 0.5 };
  doc.tables[0].delta = true;
  doc.tables[0].dlq = { enabled: 'yes' };
  assert.deepEqual(lines(doc), [
    'tables[0].flush.max_record: unknown field (did you mean max_records?)',
    'tables[0].flush.max_bytes: expected an integer 1048576..4294967296, got number 10',
    'tables[0].flush.interval_seconds: expected an integer 1..86400, got number 0.5',
    'tables[0].delta: expected a mapping {enabled: true|false}, got boolean true',
    'tables[0].dlq.enabled: expected true or false, got string "yes"',
  ]);
});

test('a list entry that is not a mapping names its index', () => {
  const doc = seed();
  doc.source_clusters.push('cluster_3');
  doc.tables.push(null);
  doc.tables[0].schema.fields.push('extra: string');
  assert.deepEqual(lines(doc), [
    'source_clusters[2]: expected a source cluster {name, bootstrap_brokers}, got string "cluster_3"',
    'tables[0].schema.fields[4]: expected a field {name, id, type}, got string "extra: string"',
    'tables[2]: expected a table {source_cluster_name, source_topic, source_format, schema}, got null',
  ]);
});
