import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Construct } from 'constructs';
import { FloeCluster, InvalidPropsError, InvalidSchemaError, Partitioning, Schema, SourceCluster, Table } from '../src/index.ts';
import { only, seedEventsSchema, synth, thrown } from './helpers.ts';

function deployment(scope: Construct): { floe: FloeCluster; local: SourceCluster } {
  const floe = new FloeCluster(scope, 'floe', { bucketName: 'lake', createBucket: false, createAgentRole: false, endpoint: 'http://127.0.0.1:8080' });
  const local = new SourceCluster(scope, 'local', { cluster: floe, name: 'tableflow_cluster_1', bootstrapServers: ['localhost:9092'] });
  return { floe, local };
}

test('a table synthesizes to a floe_table in the seed shape', () => {
  let table!: Table;
  const s = synth((stack) => {
    const { local } = deployment(stack);
    table = new Table(stack, 'logs', {
      sourceCluster: local,
      topic: 'example_json_logs_topic',
      format: 'json',
      partitioning: Partitioning.HOUR,
      flushIntervalSeconds: 10,
      schema: Schema.of(Schema.string('environment', 1), Schema.string('service', 2), Schema.string('status', 3), Schema.string('message', 4)),
    });
  }, { aws: false });
  assert.equal(table.tableName, 'tableflow_cluster_1+example_json_logs_topic');
  const t = only(s, 'floe_table');
  assert.match(String(t.source_cluster_name), /^\$\{floe_source_cluster\.local_resource_[A-Z0-9]+\.name\}$/, 'references the cluster, so it is created first');
  assert.equal(t.source_topic, 'example_json_logs_topic');
  assert.equal(t.source_format, 'json');
  assert.equal(t.partitioning_scheme, 'hour');
  assert.deepEqual(t.flush, { interval_seconds: 10 });
  assert.deepEqual(t.schema, {
    fields: [
      { name: 'environment', id: 1, type: 'string', optional: false },
      { name: 'service', id: 2, type: 'string', optional: false },
      { name: 'status', id: 3, type: 'string', optional: false },
      { name: 'message', id: 4, type: 'string', optional: false },
    ],
  });
  assert.match(String(t.provider), /^floe$/);
});

test('the seed Avro events schema keeps its nesting, list and map', () => {
  const s = synth((stack) => {
    const { local } = deployment(stack);
    new Table(stack, 'events', { sourceCluster: local, topic: 'example_avro_events_topic', format: 'avro', schema: seedEventsSchema(), deltaEnabled: false });
  }, { aws: false });
  const t = only(s, 'floe_table') as { schema: { fields: Array<Record<string, unknown> & { fields?: Array<Record<string, unknown> & { fields?: unknown[] }> }> }; delta: unknown; partitioning_scheme?: unknown };
  assert.equal(t.schema.fields.length, 7);
  assert.deepEqual(t.schema.fields[4].fields?.[1].fields?.[2], { name: 'vendor', id: 25, type: 'string', optional: true });
  assert.deepEqual(t.schema.fields[6], {
    name: 'event_attributes', id: 22, type: 'map', optional: false,
    fields: [{ name: 'key', id: 23, type: 'string', optional: false }, { name: 'value', id: 24, type: 'string', optional: false }],
  });
  assert.deepEqual(t.delta, { enabled: false });
  assert.equal(t.partitioning_scheme, undefined, 'left to the provider default');
});

test('fails if a table schema has a duplicate id, naming the table, the id and both fields', () => {
  const err = thrown((scope) => {
    const { local } = deployment(scope);
    // Built without Schema.of's own check, as a schema assembled by hand would be.
    const schema = { fields: [Schema.string('a', 1), Schema.string('b', 1)] } as unknown as Schema;
    new Table(scope, 't', { sourceCluster: local, topic: 'logs', format: 'json', schema });
  });
  assert.ok(err instanceof InvalidSchemaError);
  assert.match(err.message, /^table "tableflow_cluster_1\+logs": duplicate field id 1: used by "a" and "b"$/);
});

test('fails if an Avro table uses a name Avro cannot encode', () => {
  const err = thrown((scope) => {
    const { local } = deployment(scope);
    new Table(scope, 't', { sourceCluster: local, topic: 'events', format: 'avro', schema: Schema.of(Schema.string('user-id', 1)) });
  });
  assert.match(err.message, /field "user-id": "user-id" is not a valid avro name/);
});

test('fails if the topic, format or flush settings are invalid', () => {
  const make = (over: Record<string, unknown>) =>
    thrown((scope) => {
      const { local } = deployment(scope);
      new Table(scope, 't', { sourceCluster: local, topic: 'logs', format: 'json', schema: Schema.of(Schema.string('a', 1)), ...over });
    });
  assert.match(make({ topic: 'bad topic' }).message, /topic must be a Kafka topic name .*got "bad topic"/);
  assert.match(make({ format: 'protobuf' }).message, /format must be "json" or "avro", got "protobuf"/);
  assert.match(make({ partitioning: 'day' }).message, /partitioning must be "unpartitioned" or "hour", got "day"/);
  assert.match(make({ flushIntervalSeconds: 0 }).message, /flushIntervalSeconds must be an integer 1\.\.86400, got 0/);
  assert.match(make({ flushMaxBytes: 10 }).message, /flushMaxBytes must be an integer 1048576\.\.4294967296, got 10/);
  assert.ok(make({ topic: 'bad topic' }) instanceof InvalidPropsError);
});
