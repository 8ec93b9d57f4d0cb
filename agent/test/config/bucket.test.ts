import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/errors.ts';
import { parseBucketUrl } from '../../src/config/index.ts';

test('seed forms: s3://bucket with optional region and prefix', () => {
  assert.deepEqual(parseBucketUrl('s3://my-bucket-name'), { kind: 's3', bucket: 'my-bucket-name', prefix: '', forcePathStyle: false });
  assert.deepEqual(parseBucketUrl('s3://bucket-name?region=us-east-1'), {
    kind: 's3',
    bucket: 'bucket-name',
    prefix: '',
    region: 'us-east-1',
    forcePathStyle: false,
  });
  assert.deepEqual(parseBucketUrl('s3://b.example?region=eu-west-1&prefix=/team/a/'), {
    kind: 's3',
    bucket: 'b.example',
    prefix: 'team/a',
    region: 'eu-west-1',
    forcePathStyle: false,
  });
});

test('S3-compatible stores: endpoint and path style (gocloud spelling)', () => {
  assert.deepEqual(parseBucketUrl('s3://floe?endpoint=http://127.0.0.1:9000&s3ForcePathStyle=true&region=us-east-1'), {
    kind: 's3',
    bucket: 'floe',
    prefix: '',
    region: 'us-east-1',
    endpoint: 'http://127.0.0.1:9000',
    forcePathStyle: true,
  });
  const noScheme = parseBucketUrl('s3://floe?endpoint=minio:9000&disableSSL=true&use_path_style=true');
  assert.equal(noScheme.kind === 's3' && noScheme.endpoint, 'http://minio:9000');
  assert.equal(noScheme.kind === 's3' && noScheme.forcePathStyle, true);
});

test('file:///absolute/path, percent-decoded', () => {
  assert.deepEqual(parseBucketUrl('file:///tmp/floe-warehouse'), { kind: 'file', path: '/tmp/floe-warehouse', prefix: '' });
  assert.deepEqual(parseBucketUrl('file:///data/my%20tables/?prefix=x'), { kind: 'file', path: '/data/my tables', prefix: 'x' });
});

test('refusals name the URL and what is wrong', () => {
  const cases: [string, string][] = [
    ['s3://', 'missing bucket name in "s3://"'],
    ['s3://ab', 'invalid bucket name "ab" (3-63 lowercase letters, digits, dots and hyphens) in "s3://ab"'],
    ['s3://bucket:9000', 'unexpected port 9000 after the bucket name (use ?endpoint=host:port for an S3-compatible store) in "s3://bucket:9000"'],
    ['s3://bucket?region=us-east-1&region=eu-west-1', 'query parameter "region" given twice in "s3://bucket?region=us-east-1&region=eu-west-1"'],
    ['s3://bucket?prefix=a/../b', 'the prefix must not contain . or .. segments in "s3://bucket?prefix=a/../b"'],
    ['s3://bucket?s3ForcePathStyle=yes', 's3ForcePathStyle must be true or false, got "yes" in "s3://bucket?s3ForcePathStyle=yes"'],
    ['s3://key:secret@bucket', 'credentials do not belong in the bucket URL (the agent uses its IAM role or AWS_* variables) in "s3://key:secret@bucket"'],
    ['file:///tmp/../etc', 'the path must not contain . or .. segments in "file:///tmp/../etc"'],
    ['file:///tmp/x?region=us', 'unknown query parameter "region" in "file:///tmp/x?region=us"'],
  ];
  for (const [url, message] of cases) {
    assert.throws(
      () => parseBucketUrl(url),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.deepEqual(e.issues, [{ path: 'destination_bucket_url', message }], url);
        return true;
      },
    );
  }
});
