// Guards the synthesized JSON of a whole deployment against unnoticed drift (generated bindings,
// cdktf upgrades, construct changes). After an intended change, update the snapshot with:
//   node --test --test-update-snapshots provider/test/snapshot.test.ts
import { test } from 'node:test';
import { FloeCluster, Partitioning, Schema, SourceCluster, Table } from '../src/index.ts';
import { seedEventsSchema, synth } from './helpers.ts';

test('the seed deployment synthesizes as recorded', (t) => {
  const s = synth((stack) => {
    const floe = new FloeCluster(stack, 'floe', { bucketName: 'acme-lake', region: 'eu-west-1', endpoint: 'https://floe.internal:8080' });
    const local = new SourceCluster(stack, 'cluster-1', { cluster: floe, name: 'tableflow_cluster_1', bootstrapServers: ['localhost:9092'] });
    const remote = new SourceCluster(stack, 'cluster-2', {
      cluster: floe,
      name: 'tableflow_cluster_2',
      bootstrapServers: ['broker1.kafkaserver.com:9092', 'broker2.kafkaserver.com:9092'],
      useTls: true,
      saslUsernameEnv: 'SASL_USERNAME_ENV_VAR',
      saslPasswordEnv: 'SASL_PASSWORD_ENV_VAR',
    });
    new Table(stack, 'logs', {
      sourceCluster: local,
      topic: 'example_json_logs_topic',
      format: 'json',
      partitioning: Partitioning.HOUR,
      schema: Schema.of(Schema.string('environment', 1), Schema.string('service', 2), Schema.string('status', 3), Schema.string('message', 4)),
    });
    new Table(stack, 'events', { sourceCluster: remote, topic: 'example_avro_events_topic', format: 'avro', schema: seedEventsSchema() });
  });
  t.assert.snapshot(s);
});
