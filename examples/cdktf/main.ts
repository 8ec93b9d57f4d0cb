// The seed's two example tables (seeds/tableflow-setup.txt) as a CDKTF app: a Floe deployment with
// its bucket and the agents' IAM role, the two source clusters, the JSON logs table and the Avro
// events table with nested structs, a list and a map.
//
//   npx cdktf synth                   # offline: writes cdktf.out/stacks/floe-seed/cdk.tf.json
//   npx cdktf deploy floe-seed        # needs the floe provider (terraform/README.md) and, unless
//                                     # FLOE_EXAMPLE_EXISTING_BUCKET is set, AWS credentials
//
// Settings (environment), defaults as in the seed:
//   FLOE_ENDPOINT, FLOE_API_TOKEN    the agents' control API (read by the floe provider itself)
//   FLOE_EXAMPLE_BUCKET              bucket name (default floe-example-lake)
//   FLOE_EXAMPLE_EXISTING_BUCKET=1   the bucket exists: create no bucket and no IAM role, so the
//                                    stack holds floe resources only and needs no AWS provider
//   FLOE_EXAMPLE_PREFIX              key prefix in the bucket (default floe)
//   FLOE_EXAMPLE_BOOTSTRAP           host:port for both source clusters, without credentials
//                                    (a local Kafka), instead of the seed's brokers
//   FLOE_EXAMPLE_TOPIC_PREFIX        prepended to both topic names (default none)
import { App, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider/index.js';
import { FloeCluster, Partitioning, SaslMechanism, Schema, SourceCluster, Table, type SourceClusterProps } from '@floe/cdktf';

const env = process.env;

class SeedTables extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    const existing = env.FLOE_EXAMPLE_EXISTING_BUCKET === '1';
    if (!existing) new AwsProvider(this, 'aws', { region: env.AWS_REGION ?? 'us-east-1' });

    const floe = new FloeCluster(this, 'floe', {
      bucketName: env.FLOE_EXAMPLE_BUCKET ?? 'floe-example-lake',
      createBucket: !existing,
      createAgentRole: !existing,
      prefix: env.FLOE_EXAMPLE_PREFIX ?? 'floe',
    });

    const local = env.FLOE_EXAMPLE_BOOTSTRAP;
    const cluster1: Omit<SourceClusterProps, 'cluster' | 'name'> = { bootstrapServers: [local ?? 'localhost:9092'] };
    const cluster2: Omit<SourceClusterProps, 'cluster' | 'name'> = local
      ? { bootstrapServers: [local] }
      : {
          bootstrapServers: ['broker1.kafkaserver.com:9092', 'broker2.kafkaserver.com:9092'],
          useTls: true,
          saslMechanism: SaslMechanism.PLAIN,
          saslUsernameEnv: 'SASL_USERNAME_ENV_VAR',
          saslPasswordEnv: 'SASL_PASSWORD_ENV_VAR',
        };
    const tableflow1 = new SourceCluster(this, 'tableflow-cluster-1', { cluster: floe, name: 'tableflow_cluster_1', ...cluster1 });
    const tableflow2 = new SourceCluster(this, 'tableflow-cluster-2', { cluster: floe, name: 'tableflow_cluster_2', ...cluster2 });
    const topicPrefix = env.FLOE_EXAMPLE_TOPIC_PREFIX ?? '';

    new Table(this, 'json-logs', {
      sourceCluster: tableflow1,
      topic: `${topicPrefix}example_json_logs_topic`,
      format: 'json',
      partitioning: Partitioning.HOUR,
      flushIntervalSeconds: 10,
      schema: Schema.of(
        Schema.string('environment', 1),
        Schema.string('service', 2),
        Schema.string('status', 3),
        Schema.string('message', 4),
      ),
    });

    new Table(this, 'avro-events', {
      sourceCluster: tableflow2,
      topic: `${topicPrefix}example_avro_events_topic`,
      format: 'avro',
      flushIntervalSeconds: 10,
      schema: Schema.of(
        Schema.string('event_id', 1),
        Schema.long('user_id', 2),
        Schema.string('session_id', 3),
        Schema.struct('profile', 4, [Schema.string('country', 5), Schema.string('language', 6)]),
        Schema.struct('device', 7, [
          Schema.string('type', 8),
          Schema.struct('os', 9, [
            Schema.string('name', 10),
            Schema.string('version', 11),
            Schema.string('vendor', 25, { optional: true }),
          ]),
          Schema.struct('browser', 12, [Schema.string('name', 13), Schema.string('version', 14)]),
          Schema.struct('screen', 15, [
            Schema.int('width', 16),
            Schema.int('height', 17),
            Schema.double('pixel_ratio', 18),
            Schema.string('model', 19, { optional: true }),
          ]),
        ]),
        Schema.list('cookies', 20, { elementId: 21, element: 'string' }),
        Schema.map('event_attributes', 22, { keyId: 23, key: 'string', valueId: 24, value: 'string' }),
      ),
    });
  }
}

const app = new App();
new SeedTables(app, 'floe-seed');
app.synth();
