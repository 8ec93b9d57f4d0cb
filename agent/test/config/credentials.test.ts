import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/errors.ts';
import { resolveConnection, resolveCredentials, type SourceCluster } from '../../src/config/index.ts';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

function cluster(credentials: SourceCluster['credentials']): SourceCluster {
  return { name: 'c1', bootstrap_brokers: [{ hostname: 'broker1', port: 9092 }], credentials };
}

function issues(fn: () => unknown) {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    return e.issues;
  }
  assert.fail('expected ConfigError');
}

test('no credentials: nothing to resolve', () => {
  assert.deepEqual(resolveCredentials({ name: 'c', bootstrap_brokers: [{ hostname: 'h', port: 1 }] }, {}), {});
});

test('SASL reads TABLEFLOW_-prefixed variables and maps the mechanism to its Kafka name', () => {
  const c = cluster({ use_tls: true, tls_insecure_skip_verify: false, sasl_mechanism: 'scram-512', sasl_username_env: 'U', sasl_password_env: 'P' });
  assert.deepEqual(resolveCredentials(c, { TABLEFLOW_U: 'alice', TABLEFLOW_P: 's3cret', U: 'not-this' }), {
    sasl: { mechanism: 'SCRAM-SHA-512', username: 'alice', password: 's3cret' },
    tls: { verify: true },
  });
});

test('SASL over plaintext is allowed: no tls block', () => {
  const c = cluster({ use_tls: false, tls_insecure_skip_verify: false, sasl_mechanism: 'plain', sasl_username_env: 'U', sasl_password_env: 'P' });
  assert.deepEqual(resolveCredentials(c, { TABLEFLOW_U: 'a', TABLEFLOW_P: 'b' }), { sasl: { mechanism: 'PLAIN', username: 'a', password: 'b' } });
});

test('missing variables are named, never their values; all are reported', () => {
  const c = cluster({ use_tls: false, tls_insecure_skip_verify: false, sasl_mechanism: 'plain', sasl_username_env: 'U', sasl_password_env: 'P' });
  const got = issues(() => resolveCredentials(c, { TABLEFLOW_P: '', U: 'alice' }));
  assert.deepEqual(got, [
    { path: 'source_clusters["c1"].credentials.sasl_username_env', message: 'environment variable TABLEFLOW_U is not set' },
    { path: 'source_clusters["c1"].credentials.sasl_password_env', message: 'environment variable TABLEFLOW_P is set but empty' },
  ]);
});

test('mTLS variables hold PEM file paths, which are read', () => {
  const dir = mkdtempSync(join(tmpdir(), 'floe-creds-'));
  for (const f of ['cert.pem', 'key.pem', 'ca.pem']) writeFileSync(join(dir, f), PEM);
  const c = cluster({
    use_tls: true,
    tls_insecure_skip_verify: true,
    sasl_mechanism: 'plain',
    mtls_client_cert_env: 'CERT',
    mtls_client_key_env: 'KEY',
    mtls_server_ca_cert_env: 'CA',
  });
  const env = { TABLEFLOW_CERT: join(dir, 'cert.pem'), TABLEFLOW_KEY: join(dir, 'key.pem'), TABLEFLOW_CA: join(dir, 'ca.pem') };
  assert.deepEqual(resolveCredentials(c, env), { tls: { verify: false, ca: PEM, cert: PEM, key: PEM } });
  // the seed's mTLS section also names the variables without the prefix: accepted as a fallback
  assert.deepEqual(resolveCredentials(c, { CERT: join(dir, 'cert.pem'), KEY: join(dir, 'key.pem'), CA: join(dir, 'ca.pem') }).tls, {
    verify: false,
    ca: PEM,
    cert: PEM,
    key: PEM,
  });
});

test('unreadable or non-PEM files name the variable and the path', () => {
  const dir = mkdtempSync(join(tmpdir(), 'floe-creds-'));
  writeFileSync(join(dir, 'key.txt'), 'not a key');
  const c = cluster({ use_tls: true, tls_insecure_skip_verify: false, sasl_mechanism: 'plain', mtls_client_cert_env: 'CERT', mtls_client_key_env: 'KEY' });
  const missing = join(dir, 'nope.pem');
  assert.deepEqual(issues(() => resolveCredentials(c, { TABLEFLOW_CERT: missing, TABLEFLOW_KEY: join(dir, 'key.txt') })), [
    { path: 'source_clusters["c1"].credentials.mtls_client_cert_env', message: `cannot read ${missing} (from TABLEFLOW_CERT): ENOENT` },
    { path: 'source_clusters["c1"].credentials.mtls_client_key_env', message: `${join(dir, 'key.txt')} (from TABLEFLOW_KEY) is not PEM: no -----BEGIN line` },
  ]);
  assert.deepEqual(issues(() => resolveCredentials(c, {})).map((i) => i.message), [
    'environment variable TABLEFLOW_CERT is not set (nor CERT)',
    'environment variable TABLEFLOW_KEY is not set (nor KEY)',
  ]);
});

test('resolveConnection lists brokers as host:port, IPv6 bracketed', () => {
  const c: SourceCluster = { name: 'c', bootstrap_brokers: [{ hostname: 'b1', port: 9092 }, { hostname: '::1', port: 9093 }] };
  assert.deepEqual(resolveConnection(c, {}), { brokers: ['b1:9092', '[::1]:9093'] });
});
