// The committer on S3 (the rig's MinIO): real If-None-Match conditional creates decide the races,
// and pyiceberg reads the result straight from the bucket.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { AppendFiles, IcebergTable, ancestors, offsetsContinueFrom, readCommittedOffsets } from '../../src/iceberg/index.ts';
import { openStore } from '../../src/store/index.ts';
import type { S3Store } from '../../src/store/s3.ts';
import { rigS3 } from '../store/s3-rig.ts';
import { scan, schemaOf, sortBy, writeParquetToStore, type Column } from './helpers.ts';

const rig = rigS3();

const COLUMNS: Column[] = [
  { name: 'id', id: 1, type: 'long', required: true },
  { name: 'ts', id: 2, type: 'timestamptz', required: true },
];
const HOUR = 3_600_000_000;

describe('IcebergTable on S3 (MinIO)', () => {
  if (rig instanceof Error) {
    it('needs the test rig (MinIO)', () => {
      throw rig;
    });
    return;
  }

  it('racing committers over If-None-Match; pyiceberg reads the table from the bucket', async () => {
    const root = `floe-iceberg-test/${process.pid}-${randomUUID().slice(0, 8)}`;
    const env = {
      AWS_ENDPOINT_URL: rig.endpoint,
      AWS_ACCESS_KEY_ID: rig.accessKeyId,
      AWS_SECRET_ACCESS_KEY: rig.secretAccessKey,
    };
    const store = openStore(`s3://${rig.bucket}?region=${rig.region}&prefix=${root}`, { env }) as S3Store;
    const prefix = '_tableflow/rig+events';
    try {
      const opts = { schema: schemaOf(COLUMNS), partitioning: { hour: 'ts' } } as const;
      const tables = await Promise.all(Array.from({ length: 5 }, () => IcebergTable.loadOrCreate(store, prefix, opts)));
      assert.equal(new Set(tables.map((t) => t.metadata['table-uuid'])).size, 1);
      assert.equal(tables[0].location, `s3://${rig.bucket}/${root}/${prefix}`);

      const files = await Promise.all(
        tables.map((_, i) =>
          writeParquetToStore(store, `${prefix}/data/ts_hour=${i}/f${i}.parquet`, COLUMNS, [{ id: i, ts: i * HOUR + 5 }], { ts_hour: i }),
        ),
      );
      const results = await Promise.all(
        tables.map((t, i) =>
          t.commit(
            new AppendFiles([files[i]], {
              offsets: { topic: 'events', partitions: new Map([[i, 1n]]) },
              precondition: offsetsContinueFrom(new Map([[i, 0n]])),
            }),
            { maxAttempts: 30, baseDelayMs: 5, maxDelayMs: 100 },
          ),
        ),
      );
      assert.deepEqual(results.map((r) => r.version).sort((a, b) => a - b), [2, 3, 4, 5, 6]);

      const table = await IcebergTable.load(store, prefix);
      assert.equal([...ancestors(table.metadata)].length, 5);
      assert.deepEqual(readCommittedOffsets(table.metadata, 'events'), new Map([[0, 1n], [1, 1n], [2, 1n], [3, 1n], [4, 1n]]));

      const props = {
        's3.endpoint': rig.endpoint,
        's3.access-key-id': rig.accessKeyId,
        's3.secret-access-key': rig.secretAccessKey,
        's3.region': rig.region,
      };
      const all = await scan(table.metadataUri(), undefined, props);
      assert.deepEqual(sortBy(all.rows, 'id').map((r) => r.id), [0, 1, 2, 3, 4]);
      const pruned = await scan(table.metadataUri(), `ts >= '1970-01-01T03:00:00+00:00'`, props);
      assert.equal(pruned.files.length, 2);
    } finally {
      const keys: string[] = [];
      for await (const o of store.list('')) keys.push(o.key);
      await store.delete(keys);
    }
  });
});
