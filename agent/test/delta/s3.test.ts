// The projector on S3 (the rig's MinIO): real If-None-Match conditional creates decide which
// projector writes each Delta version; deltalake reads the table straight from the bucket.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { DeltaProjector, ICEBERG_TXN_APP_ID } from '../../src/delta/index.ts';
import { ancestors } from '../../src/iceberg/index.ts';
import { openStore } from '../../src/store/index.ts';
import { rigS3 } from '../store/s3-rig.ts';
import { appendRecords, assertSameRows, compact, createTable, readDelta, readIceberg } from './helpers.ts';

const rig = rigS3();

describe('DeltaProjector on S3 (MinIO)', () => {
  if (rig instanceof Error) {
    it('needs the test rig (MinIO)', () => {
      throw rig;
    });
    return;
  }

  it('racing projectors over If-None-Match; deltalake reads what pyiceberg reads from the bucket', async () => {
    const root = `floe-delta-test/${process.pid}-${randomUUID().slice(0, 8)}`;
    const env = { AWS_ENDPOINT_URL: rig.endpoint, AWS_ACCESS_KEY_ID: rig.accessKeyId, AWS_SECRET_ACCESS_KEY: rig.secretAccessKey };
    const store = openStore(`s3://${rig.bucket}?region=${rig.region}&prefix=${root}`, { env });
    const prefix = '_tableflow/rig+example_json_logs_topic';
    try {
      const t = await createTable(store, prefix, 'json', true);
      const projectors = [0, 1, 2].map(() => new DeltaProjector(store, prefix, { checkpointInterval: 5 }));
      for (let round = 0; round < 6; round++) {
        for (let i = 0; i < 2; i++) await appendRecords(t, 12);
        if (round === 3) await compact(t, 2);
        const results = await Promise.all(projectors.map((p) => p.sync(t.table.metadata)));
        const snapshots = [...ancestors(t.table.metadata)].reverse();
        for (const r of results) assert.equal(r.version, snapshots.length - 1);
      }
      const snapshots = [...ancestors(t.table.metadata)].reverse();
      const log = projectors[0].log;
      const { commits, checkpoints } = await log.list();
      assert.deepEqual(commits, snapshots.map((_, v) => v));
      assert.deepEqual(checkpoints, [5, 10]);
      for (const v of commits) {
        const txn = (await log.readCommit(v))?.find((a) => 'txn' in a && a.txn.appId === ICEBERG_TXN_APP_ID);
        assert.ok(txn && 'txn' in txn);
        assert.equal(txn.txn.version, snapshots[v]['sequence-number']);
      }

      const delta = await readDelta(projectors[0].location, {
        storageOptions: {
          AWS_ENDPOINT_URL: rig.endpoint,
          AWS_ACCESS_KEY_ID: rig.accessKeyId,
          AWS_SECRET_ACCESS_KEY: rig.secretAccessKey,
          AWS_REGION: rig.region,
          AWS_ALLOW_HTTP: 'true',
        },
      });
      const iceberg = await readIceberg(t.table.metadataUri(), undefined, {
        's3.endpoint': rig.endpoint,
        's3.access-key-id': rig.accessKeyId,
        's3.secret-access-key': rig.secretAccessKey,
        's3.region': rig.region,
      });
      assert.equal(iceberg.rows.length, t.produced);
      assertSameRows(delta.rows, iceberg.rows, 'deltalake (s3) vs pyiceberg (s3)', ['_kafka_timestamp_hour']);
    } finally {
      const keys: string[] = [];
      for await (const o of store.list('')) keys.push(o.key);
      await store.delete(keys);
    }
  });
});
