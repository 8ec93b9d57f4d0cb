import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FloeCluster, SaslMechanism, SourceCluster } from '../src/index.ts';
import { only, resources, synth, thrown } from './helpers.ts';

test('source clusters carry credentials as environment variable names', () => {
  const s = synth((stack) => {
    const floe = new FloeCluster(stack, 'floe', { bucketName: 'lake', createBucket: false, createAgentRole: false });
    new SourceCluster(stack, 'remote', {
      cluster: floe,
      name: 'tableflow_cluster_2',
      bootstrapServers: ['broker1.kafkaserver.com:9092', 'broker2.kafkaserver.com:9092'],
      useTls: true,
      saslMechanism: SaslMechanism.PLAIN,
      saslUsernameEnv: 'SASL_USERNAME_ENV_VAR',
      saslPasswordEnv: 'SASL_PASSWORD_ENV_VAR',
    });
  }, { aws: false });
  assert.deepEqual(only(s, 'floe_source_cluster'), {
    name: 'tableflow_cluster_2',
    bootstrap_brokers: [{ hostname: 'broker1.kafkaserver.com', port: 9092 }, { hostname: 'broker2.kafkaserver.com', port: 9092 }],
    credentials: { use_tls: true, sasl_mechanism: 'plain', sasl_username_env: 'SASL_USERNAME_ENV_VAR', sasl_password_env: 'SASL_PASSWORD_ENV_VAR' },
    provider: 'floe',
  });
});

test('two deployments in one stack use aliased providers', () => {
  const s = synth((stack) => {
    for (const [id, alias] of [['eu', 'eu'], ['us', 'us']] as const) {
      const floe = new FloeCluster(stack, id, { bucketName: `lake-${id}`, createBucket: false, createAgentRole: false, providerAlias: alias });
      new SourceCluster(stack, `${id}-kafka`, { cluster: floe, name: 'k', bootstrapServers: ['k:9092'] });
    }
  }, { aws: false });
  assert.deepEqual(s.provider?.floe.map((p) => p.alias), ['eu', 'us']);
  assert.deepEqual(Object.values(resources(s, 'floe_source_cluster')).map((r) => r.provider).sort(), ['floe.eu', 'floe.us']);
});

test('fails if source cluster settings are inconsistent', () => {
  const make = (over: Record<string, unknown>) =>
    thrown((scope) => {
      const floe = new FloeCluster(scope, 'floe', { bucketName: 'lake', createBucket: false, createAgentRole: false });
      new SourceCluster(scope, 'k', { cluster: floe, name: 'k', bootstrapServers: ['k:9092'], ...over });
    });
  assert.match(make({ bootstrapServers: [] }).message, /bootstrapServers needs at least one "host:port", got \[\]/);
  assert.match(make({ bootstrapServers: ['kafka'] }).message, /entries must be "host:port" .*got "kafka"/);
  assert.match(make({ bootstrapServers: ['kafka:99999'] }).message, /got "kafka:99999"/);
  assert.match(make({ name: 'a+b' }).message, /name must be a non-empty string without '\+'.*got "a\+b"/);
  assert.match(make({ saslUsernameEnv: 'USER' }).message, /saslUsernameEnv is "USER" but saslPasswordEnv is not set/);
  assert.match(make({ saslUsernameEnv: 'bad-name', saslPasswordEnv: 'P' }).message, /saslUsernameEnv must be an environment variable name .*got "bad-name"/);
  assert.match(make({ mtlsClientCertEnv: 'C', mtlsClientKeyEnv: 'K' }).message, /mtlsClientCertEnv is "C" but useTls is not true/);
  assert.match(make({ saslMechanism: 'scram-512' }).message, /saslMechanism is "scram-512" but no saslUsernameEnv/);
});
