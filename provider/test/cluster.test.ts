import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FloeCluster, InvalidPropsError } from '../src/index.ts';
import { only, resources, synth, thrown } from './helpers.ts';

interface Statement {
  Sid: string;
  Effect: string;
  Action: string[];
  Resource: string;
  Condition?: Record<string, Record<string, string[]>>;
}

function policyOf(s: ReturnType<typeof synth>): { Statement: Statement[] } {
  return JSON.parse(only(s, 'aws_iam_policy').policy as string);
}

test('creates a private, encrypted bucket and the agents role', () => {
  const s = synth((stack) => new FloeCluster(stack, 'floe', { bucketName: 'acme-lake', region: 'eu-west-1' }));
  assert.deepEqual(only(s, 'aws_s3_bucket'), { bucket: 'acme-lake', force_destroy: false });
  const block = only(s, 'aws_s3_bucket_public_access_block');
  for (const k of ['block_public_acls', 'block_public_policy', 'ignore_public_acls', 'restrict_public_buckets']) assert.equal(block[k], true, k);
  assert.deepEqual(only(s, 'aws_s3_bucket_server_side_encryption_configuration').rule, [{ apply_server_side_encryption_by_default: { sse_algorithm: 'AES256' } }]);
  assert.deepEqual(only(s, 'aws_s3_bucket_ownership_controls').rule, { object_ownership: 'BucketOwnerEnforced' });
  const role = only(s, 'aws_iam_role');
  assert.deepEqual(JSON.parse(role.assume_role_policy as string).Statement[0].Principal, { Service: ['ec2.amazonaws.com'] });
  const attachment = only(s, 'aws_iam_role_policy_attachment');
  assert.match(String(attachment.role), /^\$\{aws_iam_role\.floe_agent-role_[A-Z0-9]+\.name\}$/);
  assert.match(String(attachment.policy_arn), /^\$\{aws_iam_policy\.floe_agent-policy_[A-Z0-9]+\.arn\}$/);
  const url = Object.entries(s.output ?? {}).find(([k]) => k.includes('destination-bucket-url'))?.[1];
  assert.equal(url?.value, 's3://acme-lake?region=eu-west-1&prefix=floe');
});

test('the agents policy allows read, write, list and delete on the prefix only', () => {
  const s = synth((stack) => new FloeCluster(stack, 'floe', { bucketName: 'acme-lake', prefix: 'analytics/floe' }));
  const { Statement } = policyOf(s);
  assert.equal(Statement.length, 2);
  const objects = Statement.find((st) => st.Sid === 'FloeObjectsUnderPrefix')!;
  assert.deepEqual([...objects.Action].sort(), ['s3:AbortMultipartUpload', 's3:DeleteObject', 's3:GetObject', 's3:PutObject']);
  assert.equal(objects.Resource, 'arn:aws:s3:::acme-lake/analytics/floe/*');
  assert.equal(objects.Condition, undefined);
  const list = Statement.find((st) => st.Sid === 'FloeListPrefix')!;
  assert.deepEqual(list.Action, ['s3:ListBucket']);
  assert.equal(list.Resource, 'arn:aws:s3:::acme-lake');
  assert.deepEqual(list.Condition, { StringLike: { 's3:prefix': ['analytics/floe/*'] } });
  for (const st of Statement) {
    assert.equal(st.Effect, 'Allow');
    assert.ok(!st.Action.some((a) => a.includes('*')), `wildcard action in ${st.Sid}`);
    assert.ok(st.Resource.startsWith('arn:aws:s3:::acme-lake'), `resource outside the bucket: ${st.Resource}`);
    assert.notEqual(st.Resource, 'arn:aws:s3:::acme-lake/*', 'the whole bucket is not the prefix');
  }
});

test('takes an existing bucket by name: no bucket resources, same policy scope', () => {
  const s = synth((stack) => new FloeCluster(stack, 'floe', { bucketName: 'existing-bucket', createBucket: false }));
  for (const type of ['aws_s3_bucket', 'aws_s3_bucket_public_access_block', 'aws_s3_bucket_server_side_encryption_configuration']) {
    assert.deepEqual(resources(s, type), {}, type);
  }
  assert.equal(policyOf(s).Statement[0].Resource, 'arn:aws:s3:::existing-bucket/floe/*');
});

test('without the agents role nothing needs AWS: only the floe provider', () => {
  const s = synth((stack) => new FloeCluster(stack, 'floe', { bucketName: 'existing-bucket', createBucket: false, createAgentRole: false, endpoint: 'http://127.0.0.1:8080' }), { aws: false });
  assert.deepEqual(Object.keys(s.resource ?? {}), []);
  assert.deepEqual(s.provider?.floe, [{ endpoint: 'http://127.0.0.1:8080' }]);
  assert.equal(s.terraform?.required_providers?.floe.source, 'floe.dev/floe/floe');
});

test('the token is left to FLOE_API_TOKEN unless given', () => {
  const s = synth((stack) => new FloeCluster(stack, 'floe', { bucketName: 'b-1', createBucket: false, createAgentRole: false }), { aws: false });
  assert.deepEqual(s.provider?.floe, [{}]);
});

test('fails if the bucket name is not a valid S3 bucket name', () => {
  for (const bad of ['My_Bucket', 'ab', '-leading', 'a..b', '10.0.0.1']) {
    const err = thrown((scope) => new FloeCluster(scope, 'floe', { bucketName: bad }));
    assert.ok(err instanceof InvalidPropsError, bad);
    assert.match(err.message, new RegExp(`bucketName must be 3-63 lowercase letters.*got "${bad.replace(/\./g, '\\.')}"`));
  }
});

test('fails if the prefix starts or ends with a slash or has odd characters', () => {
  assert.match(thrown((scope) => new FloeCluster(scope, 'floe', { bucketName: 'b-1', prefix: '/floe/' })).message, /prefix must not start or end with "\/", got "\/floe\/"/);
  assert.match(thrown((scope) => new FloeCluster(scope, 'floe', { bucketName: 'b-1', prefix: 'a b' })).message, /prefix must be "\/"-separated segments.*got "a b"/);
  assert.match(thrown((scope) => new FloeCluster(scope, 'floe', { bucketName: 'b-1', prefix: 'a/../b' })).message, /got "a\/\.\.\/b"/);
});

test('fails if forceDestroy is asked for a bucket it does not own', () => {
  assert.match(thrown((scope) => new FloeCluster(scope, 'floe', { bucketName: 'b-1', createBucket: false, forceDestroy: true })).message, /forceDestroy applies to a bucket created here, but createBucket is false \(bucket "b-1"\)/);
});

test('fails if the endpoint is not an http(s) URL', () => {
  assert.match(thrown((scope) => new FloeCluster(scope, 'floe', { bucketName: 'b-1', endpoint: '127.0.0.1:8080' })).message, /endpoint must be an http:\/\/ or https:\/\/ URL, got "127\.0\.0\.1:8080"/);
});
