// Rig smoke suite: every peer the end-to-end suites rely on answers and behaves as they assume.
// Run after `bash test/rig/up.sh`:  node --test test/rig/rig.test.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { S3Client, PutObjectCommand, GetObjectCommand, DeleteObjectCommand } from '@aws-sdk/client-s3';
import { Admin } from '@platformatic/kafka';
import {
  COMPRESSIONS, assertSameRows, consumeText, createTopic, endOffsets, kafkaCli, loadRig, produceBinary,
  produceText, saslConnection, uniquePrefix, uniqueTopic,
} from '../helpers/index.ts';
import type { TextRecord } from '../helpers/index.ts';

const run = promisify(execFile);
const rig = loadRig();

test('kafka: 1,000 records in every compression codec through the console producer and consumer', async () => {
  const topic = uniqueTopic('rig-smoke');
  await createTopic(topic, { partitions: 3 });
  const sent: TextRecord[] = [];
  for (const [c, codec] of COMPRESSIONS.entries()) {
    const batch: TextRecord[] = [];
    for (let i = 0; i < 200; i++) {
      const n = c * 200 + i;
      // Some keyless records and one null value per codec, so nulls survive the round trip.
      batch.push({ key: n % 10 === 0 ? null : `key-${n % 37}`, value: i === 7 ? null : `{"n":${n},"codec":"${codec}","s":"é ✓ \\t"}` });
    }
    await produceText(topic, batch, { compression: codec });
    sent.push(...batch);
  }
  assert.equal(sent.length, 1000);

  const offsets = await endOffsets(topic);
  assert.equal(offsets.length, 3);
  assert.equal(offsets.reduce((a, b) => a + b, 0), 1000);

  const received = await consumeText(topic, { maxMessages: 1000 });
  assert.equal(received.length, 1000);
  assertSameRows(received, sent, { what: 'console consumer' });

  // The batches on disk really carry each codec (the producer compresses, the broker keeps it).
  const codecs = new Set<string>();
  for (let p = 0; p < 3; p++) {
    const dir = join(rig.stateDir, 'kafka', 'data', `${topic}-${p}`);
    const logs = readdirSync(dir).filter((f) => f.endsWith('.log')).map((f) => join(dir, f));
    const dump = await kafkaCli('kafka-run-class.sh', ['kafka.tools.DumpLogSegments', '--files', logs.join(',')]);
    for (const m of dump.stdout.matchAll(/compresscodec: (\w+)/g)) codecs.add(m[1]);
  }
  assert.deepEqual([...codecs].sort(), ['gzip', 'lz4', 'none', 'snappy', 'zstd']);
});

test('kafka: binary records from the node producer land where the Java client puts the same key', async () => {
  const topic = uniqueTopic('rig-binary');
  await createTopic(topic, { partitions: 4 });
  await produceText(topic, [{ key: 'partition-probe', value: 'java' }]);
  const afterJava = await endOffsets(topic);
  const javaPartition = afterJava.findIndex((o) => o === 1);
  assert.notEqual(javaPartition, -1);

  await produceBinary(topic, [
    { key: Buffer.from('partition-probe'), value: Buffer.from([0, 1, 2, 255]) },
    { value: Buffer.from([9]), partition: 2, timestamp: 1_700_000_000_000n },
  ], { compression: 'zstd' });
  const after = await endOffsets(topic);
  const grown = after.map((o, p) => o - afterJava[p]);
  const expected = [0, 0, 0, 0];
  expected[javaPartition] += 1;
  expected[2] += 1;
  assert.deepEqual(grown, expected);
});

test('minio: a PUT with If-None-Match: * succeeds once, then is refused with 412', async () => {
  const s3 = new S3Client({
    endpoint: rig.s3.endpoint,
    region: rig.s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: rig.s3.accessKey, secretAccessKey: rig.s3.secretKey },
  });
  const key = `${uniquePrefix('rig-smoke')}object.txt`;
  try {
    await s3.send(new PutObjectCommand({ Bucket: rig.s3.bucket, Key: key, Body: 'first', IfNoneMatch: '*' }));
    await assert.rejects(
      s3.send(new PutObjectCommand({ Bucket: rig.s3.bucket, Key: key, Body: 'second', IfNoneMatch: '*' })),
      (err: { $metadata?: { httpStatusCode?: number }; name?: string }) => {
        assert.equal(err.$metadata?.httpStatusCode, 412, `expected 412, got ${err.name}`);
        return true;
      },
    );
    const got = await s3.send(new GetObjectCommand({ Bucket: rig.s3.bucket, Key: key }));
    assert.equal(await got.Body?.transformToString(), 'first');
  } finally {
    await s3.send(new DeleteObjectCommand({ Bucket: rig.s3.bucket, Key: key })).catch(() => {});
    s3.destroy();
  }
});

test('opentofu: tofu version prints v1.6.3', async () => {
  // An empty CLI config: the machine's TF_CLI_CONFIG_FILE may name a file that does not exist.
  const dir = mkdtempSync(join(tmpdir(), 'floe-rig-tofu-'));
  try {
    writeFileSync(join(dir, 'cli.tfrc'), '');
    const { stdout } = await run(rig.tofuBin, ['version'], { env: { ...process.env, TF_CLI_CONFIG_FILE: join(dir, 'cli.tfrc') } });
    assert.match(stdout, /^OpenTofu v1\.6\.3$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('python: the venv imports pyiceberg, deltalake (with QueryBuilder) and duckdb', async () => {
  const { stdout } = await run(rig.python, [
    '-c',
    'import pyiceberg, deltalake, duckdb, pyarrow; from deltalake import QueryBuilder; ' +
      'from pyiceberg.table import StaticTable; print(pyiceberg.__version__, deltalake.__version__, duckdb.__version__)',
  ]);
  const [pyiceberg, deltalake] = stdout.trim().split(' ');
  assert.match(pyiceberg, /^0\.\d+\.\d+/);
  const [major, minor] = deltalake.split('.').map(Number);
  assert.ok(major > 1 || (major === 1 && minor >= 6), `deltalake ${deltalake} < 1.6`);
});

test('kafka SASL_SSL: SCRAM credentials list topics, a wrong password is refused', async () => {
  const topic = uniqueTopic('rig-sasl');
  await createTopic(topic);
  // Java client, both mechanisms.
  for (const props of [rig.kafka.saslClientProperties, rig.kafka.saslClientPropertiesSha256]) {
    const res = await kafkaCli('kafka-topics.sh', ['--bootstrap-server', rig.kafka.saslBootstrap, '--command-config', props, '--list']);
    assert.ok(res.stdout.split('\n').includes(topic), `${topic} not listed over SASL_SSL with ${props}`);
  }
  // Node client (what the agent uses), both mechanisms.
  for (const mechanism of ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const) {
    const admin = new Admin({ clientId: 'rig-smoke', ...saslConnection(mechanism), retries: 0 });
    try {
      assert.ok((await admin.listTopics()).includes(topic));
    } finally {
      await admin.close();
    }
  }
  // A consumer with the right credentials reads over SASL_SSL.
  await produceText(topic, [{ key: 'k', value: 'over-sasl' }]);
  assert.deepEqual(await consumeText(topic, { sasl: true, maxMessages: 1 }), [{ key: 'k', value: 'over-sasl' }]);

  // Wrong password: the Java tool fails with an authentication error...
  const dir = mkdtempSync(join(tmpdir(), 'floe-rig-sasl-'));
  const bad = join(dir, 'bad.properties');
  writeFileSync(bad, [
    'security.protocol=SASL_SSL',
    'sasl.mechanism=SCRAM-SHA-512',
    `sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${rig.kafka.saslUser}" password="not-the-password";`,
    'ssl.truststore.type=PEM',
    `ssl.truststore.location=${rig.kafka.saslCaPem}`,
    '',
  ].join('\n'));
  const res = await kafkaCli('kafka-topics.sh', ['--bootstrap-server', rig.kafka.saslBootstrap, '--command-config', bad, '--list'], {
    allowFailure: true,
    timeoutMs: 60_000,
  }).finally(() => rmSync(dir, { recursive: true, force: true }));
  assert.notEqual(res.code, 0);
  assert.match(res.stdout + res.stderr, /Authentication failed|SaslAuthenticationException|invalid credentials/i);
  // ...and so does the node client.
  const admin = new Admin({ clientId: 'rig-smoke-bad', ...saslConnection('SCRAM-SHA-256', 'not-the-password'), retries: 0 });
  try {
    await assert.rejects(admin.listTopics());
  } finally {
    await admin.close().catch(() => {});
  }
});
