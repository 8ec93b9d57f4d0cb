import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import type { S3Client } from '@aws-sdk/client-s3';
import { FloeError, PreconditionFailed } from '../../src/errors.ts';
import { S3Store } from '../../src/store/s3.ts';
import { openStore } from '../../src/store/index.ts';
import { storeConformance } from './conformance.ts';
import { rigClient, rigS3, type RigS3 } from './s3-rig.ts';

const rig = rigS3();

function uniquePrefix(what: string): string {
  return `floe-store-test/${what}-${process.pid}-${randomUUID().slice(0, 8)}`;
}

async function emptyStore(store: S3Store): Promise<void> {
  const keys: string[] = [];
  for await (const o of store.list('')) keys.push(o.key);
  await store.delete(keys);
}

function storeAt(r: RigS3, prefix: string, extra: Partial<ConstructorParameters<typeof S3Store>[0]> = {}): S3Store {
  return new S3Store({ bucket: r.bucket, prefix, client: rigClient(r), ...extra });
}

if (rig instanceof Error) {
  describe('S3Store', () => {
    it('needs the test rig (MinIO)', () => {
      throw rig;
    });
  });
} else {
  storeConformance('s3 (MinIO)', async () => {
    const store = storeAt(rig, uniquePrefix('conf'));
    return { store, cleanup: () => emptyStore(store) };
  });

  describe('S3Store', () => {
    it('uploads big bodies in parts, also with putIfAbsent', async () => {
      const store = storeAt(rig, uniquePrefix('multipart'), { multipartThresholdBytes: 6 * 1024 * 1024, partSizeBytes: 5 * 1024 * 1024 });
      try {
        const body = new Uint8Array(12 * 1024 * 1024 + 123);
        for (let i = 0; i < body.length; i += 4096) body[i] = (i / 4096) & 0xff;
        await store.put('big/put.bin', body);
        assert.deepEqual(await store.get('big/put.bin'), body);
        assert.equal(await store.putIfAbsent('big/pia.bin', body), true);
        assert.equal(await store.putIfAbsent('big/pia.bin', new Uint8Array(7 * 1024 * 1024)), false);
        const got = await store.get('big/pia.bin');
        assert.equal(got?.length, body.length);
        assert.deepEqual(got, body);
        // A multipart putIfAbsent over a small existing object is refused as well.
        await store.put('big/small', new Uint8Array([1]));
        assert.equal(await store.putIfAbsent('big/small', body), false);
        assert.deepEqual(await store.get('big/small'), new Uint8Array([1]));
      } finally {
        await emptyStore(store);
      }
    });

    it('lists across pages and deletes in batches of 1000', async () => {
      const store = storeAt(rig, uniquePrefix('many'));
      try {
        const keys = Array.from({ length: 1105 }, (_, i) => `k/${String(i).padStart(5, '0')}`);
        for (let i = 0; i < keys.length; i += 50) {
          await Promise.all(keys.slice(i, i + 50).map((k) => store.put(k, new Uint8Array([1]))));
        }
        const listed: string[] = [];
        for await (const o of store.list('k/')) listed.push(o.key);
        assert.deepEqual(listed, keys);
        await store.delete([...keys, 'k/missing']);
        const after: string[] = [];
        for await (const o of store.list('')) after.push(o.key);
        assert.deepEqual(after, []);
      } finally {
        await emptyStore(store);
      }
    });

    it('openStore reads the endpoint, credentials and region from the AWS environment', async () => {
      const prefix = uniquePrefix('open');
      const env = {
        AWS_ENDPOINT_URL_S3: rig.endpoint,
        AWS_ACCESS_KEY_ID: rig.accessKeyId,
        AWS_SECRET_ACCESS_KEY: rig.secretAccessKey,
        AWS_REGION: 'eu-central-1',
      };
      const store = openStore(`s3://${rig.bucket}?region=${rig.region}&prefix=${prefix}`, { env });
      assert.ok(store instanceof S3Store);
      assert.equal(store.url, `s3://${rig.bucket}/${prefix}`);
      assert.equal(await store.client.config.region(), rig.region);
      try {
        await store.put('hello.txt', new TextEncoder().encode('hi'));
        const direct = storeAt(rig, '');
        assert.equal(new TextDecoder().decode((await direct.get(`${prefix}/hello.txt`))!), 'hi');
        // Without ?region= the region comes from AWS_REGION (MinIO would refuse eu-central-1 signatures).
        const fallback = openStore(`s3://${rig.bucket}?prefix=${prefix}`, { env });
        assert.equal(await (fallback as S3Store).client.config.region(), 'eu-central-1');
        const viaEnv = openStore(`s3://${rig.bucket}?prefix=${prefix}`, { env: { ...env, AWS_REGION: rig.region } });
        assert.equal((await viaEnv.head('hello.txt'))?.size, 2);
        const dflt = openStore(`s3://${rig.bucket}`, { env: { AWS_ENDPOINT_URL: rig.endpoint } }) as S3Store;
        assert.equal(await dflt.client.config.region(), 'us-east-1');
        assert.equal(dflt.url, `s3://${rig.bucket}`);
      } finally {
        await emptyStore(store as S3Store);
      }
    });

    it('wrong credentials fail with a non-retryable FLOE_STORE_IO naming op and key', async () => {
      const store = new S3Store({
        bucket: rig.bucket,
        prefix: uniquePrefix('auth'),
        endpoint: rig.endpoint,
        region: rig.region,
        credentials: { accessKeyId: 'nobody', secretAccessKey: 'wrong-secret-key' },
      });
      await assert.rejects(store.put('x/y.txt', new Uint8Array([1])), (err: unknown) => {
        assert.ok(err instanceof FloeError, String(err));
        assert.equal(err.code, 'FLOE_STORE_IO');
        assert.equal(err.retryable, false);
        assert.match(err.message, /put "x\/y\.txt"/);
        return true;
      });
    });

    it('an unreachable endpoint fails with a retryable FLOE_STORE_IO', async () => {
      const store = new S3Store({
        bucket: rig.bucket,
        client: rigClient({ ...rig, endpoint: 'http://127.0.0.1:1' }, { maxAttempts: 1 }),
      });
      await assert.rejects(store.get('anything'), (err: unknown) => {
        assert.ok(err instanceof FloeError, String(err));
        assert.equal(err.code, 'FLOE_STORE_IO');
        assert.equal(err.retryable, true);
        assert.match(err.message, /get "anything"/);
        return true;
      });
    });
  });
}

// Conditional-write edge cases MinIO cannot be made to produce on demand, against a scripted client.
describe('S3Store conditional writes (scripted client)', () => {
  function sdkError(name: string, status: number, attempts = 1): Error {
    return Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status, attempts } });
  }

  function scripted(replies: ((input: Record<string, unknown>) => unknown)[]): { client: S3Client; calls: string[] } {
    const calls: string[] = [];
    const client = {
      async send(cmd: { constructor: { name: string }; input: Record<string, unknown> }) {
        calls.push(cmd.constructor.name);
        const next = replies.shift();
        if (!next) throw new Error(`unexpected ${cmd.constructor.name}`);
        return next(cmd.input);
      },
    };
    return { client: client as unknown as S3Client, calls };
  }

  it('409 ConditionalRequestConflict is retried until the race has a definite answer', async () => {
    const conflict = (): never => {
      throw sdkError('ConditionalRequestConflict', 409);
    };
    const { client, calls } = scripted([conflict, conflict, () => {
      throw sdkError('PreconditionFailed', 412);
    }]);
    const store = new S3Store({ bucket: 'b', client });
    assert.equal(await store.putIfAbsent('k', new Uint8Array([1])), false);
    assert.deepEqual(calls, ['PutObjectCommand', 'PutObjectCommand', 'PutObjectCommand']);
  });

  it('a conflict that persists becomes a retryable PreconditionFailed', async () => {
    const conflict = (): never => {
      throw sdkError('ConditionalRequestConflict', 409);
    };
    const { client } = scripted(Array.from({ length: 7 }, () => conflict));
    const store = new S3Store({ bucket: 'b', client });
    await assert.rejects(store.putIfAbsent('k', new Uint8Array([1])), (err: unknown) => {
      assert.ok(err instanceof PreconditionFailed);
      assert.equal(err.retryable, true);
      assert.match(err.message, /409/);
      return true;
    });
  });

  it('a 412 after SDK retries counts as created when the stored bytes are ours', async () => {
    const body = new Uint8Array([1, 2, 3]);
    const echo = (): never => {
      throw sdkError('PreconditionFailed', 412, 2);
    };
    const ours = scripted([echo, () => ({ Body: { transformToByteArray: async () => body.slice() } })]);
    assert.equal(await new S3Store({ bucket: 'b', client: ours.client }).putIfAbsent('k', body), true);
    assert.deepEqual(ours.calls, ['PutObjectCommand', 'GetObjectCommand']);
    const theirs = scripted([echo, () => ({ Body: { transformToByteArray: async () => new Uint8Array([9]) } })]);
    assert.equal(await new S3Store({ bucket: 'b', client: theirs.client }).putIfAbsent('k', body), false);
  });

  it('sends If-None-Match: * and the prefixed key', async () => {
    let seen: Record<string, unknown> = {};
    const { client } = scripted([(input) => {
      seen = input;
      return {};
    }]);
    assert.equal(await new S3Store({ bucket: 'b', prefix: '/p/q/', client }).putIfAbsent('k/v', new Uint8Array([1])), true);
    assert.equal(seen.IfNoneMatch, '*');
    assert.equal(seen.Key, 'p/q/k/v');
    assert.equal(seen.Bucket, 'b');
  });
});
