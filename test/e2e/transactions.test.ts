// Transactional producers, end to end: the agent reads READ_COMMITTED like the Java consumer's
// default, so an aborted transaction's records never reach the table, the committed ones do, and
// the offsets the markers take are still covered (the table catches up with the topic's end).
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { Producer } from '@platformatic/kafka';
import { createTopic, uniqueTopic, readIceberg, assertSameRows, loadRig, produceBinary } from '../helpers/index.ts';
import { AgentProcess, rigConfigYaml } from './agent-process.ts';
import { tableEntry, freshS3Warehouse, waitCaughtUp } from './fixtures.ts';

const agents: AgentProcess[] = [];
after(async () => {
  for (const a of agents) await a.kill();
});
before(() => {
  loadRig();
});

const schema = {
  fields: [
    { name: 'id', id: 1, type: 'long' },
    { name: 'txn', id: 2, type: 'string' },
  ],
};

test('aborted transactions stay out of the table; committed ones and plain records land', { timeout: 300_000 }, async () => {
  const topic = uniqueTopic('txn');
  await createTopic(topic, { partitions: 3 });
  const producer = new Producer({
    clientId: 'floe-test-txn',
    bootstrapBrokers: [loadRig().kafka.bootstrap],
    idempotent: true,
    transactionalId: `floe-test-${topic}`,
    retries: 5,
  } as never);
  const expected: { id: number; txn: string }[] = [];
  let id = 0;
  const batch = (txn: string, n: number) => Array.from({ length: n }, () => ({ id: id++, txn }));
  const send = (rows: { id: number; txn: string }[]) =>
    rows.map((r) => ({ topic, key: Buffer.from(String(r.id % 7)), value: Buffer.from(JSON.stringify(r)), partition: r.id % 3 }));
  try {
    // Interleave: committed, aborted, committed again, with plain records in between.
    for (const [txn, commit] of [
      ['t1', true],
      ['t2', false],
      ['t3', true],
      ['t4', false],
      ['t5', true],
    ] as const) {
      const tx = await (producer as unknown as { beginTransaction(): Promise<{ send(o: unknown): Promise<unknown>; commit(): Promise<void>; abort(): Promise<void> }> }).beginTransaction();
      const rows = batch(txn, 40);
      await tx.send({ messages: send(rows), acks: -1 });
      if (commit) {
        await tx.commit();
        expected.push(...rows);
      } else {
        await tx.abort();
      }
      const plain = batch(`plain-after-${txn}`, 5);
      await produceBinary(topic, send(plain).map((m) => ({ key: m.key, value: m.value, partition: m.partition })));
      expected.push(...plain);
    }
  } finally {
    await producer.close();
  }

  const wh = freshS3Warehouse('txn');
  const yaml = rigConfigYaml({
    bucketUrl: wh.bucketUrl,
    tables: [tableEntry({ source_cluster_name: 'rig', source_topic: topic, source_format: 'json', schema_mode: 'inline', schema, flush: { interval_seconds: 1 } }, {})],
  });
  const agent = AgentProcess.start({ configYaml: yaml, name: 'txn' });
  agents.push(agent);
  const root = wh.tableRoot(`rig+${topic}`);
  // The topic's end offsets include the markers: catching up means the markers were read past too.
  await waitCaughtUp(topic, root, 120_000, () => agent.tail(5));
  const { rows } = await readIceberg(root);
  assert.equal(rows.length, expected.length);
  assert.ok(!rows.some((r) => ['t2', 't4'].includes(String(r.txn))), 'a record of an aborted transaction is in the table');
  assertSameRows(rows, expected, { columns: ['id', 'txn'] });
  await agent.stop();
});
