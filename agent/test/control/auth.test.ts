import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, TOKEN } from './helpers.ts';

test('no Authorization header: 401 problem with WWW-Authenticate', async () => {
  const h = await startHarness();
  try {
    const r = await h.request('GET', '/v1/config', { noAuth: true });
    assert.equal(r.status, 401);
    assert.match(r.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer realm="floe"/);
    assert.equal(r.json.type, 'urn:floe:problem:unauthorized');
    assert.equal(r.json.status, 401);
    assert.equal(typeof r.json.title, 'string');
    assert.match(r.json.detail, /Authorization: Bearer/);
  } finally {
    await h.close();
  }
});

test('a non-Bearer scheme is 401, a wrong token is 403, and neither token is logged', async () => {
  const h = await startHarness();
  try {
    const basic = await h.request('GET', '/v1/tables', { noAuth: true, headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    assert.equal(basic.status, 401);
    assert.match(basic.headers.get('www-authenticate') ?? '', /invalid_request/);

    const wrong = await h.request('GET', '/v1/tables', { token: 'not-the-token' });
    assert.equal(wrong.status, 403);
    assert.equal(wrong.json.type, 'urn:floe:problem:forbidden');
    assert.ok(!wrong.text.includes('not-the-token'));

    // a token that shares the right prefix, and one longer than the right one
    assert.equal((await h.request('GET', '/v1/tables', { token: TOKEN.slice(0, -1) })).status, 403);
    assert.equal((await h.request('GET', '/v1/tables', { token: `${TOKEN}x` })).status, 403);

    const ok = await h.request('GET', '/v1/tables');
    assert.equal(ok.status, 200);
    // writes are logged; the token never is
    const w = await h.request('DELETE', '/v1/tables/c1+logs');
    assert.equal(w.status, 200);
    const logged = h.lines.join('');
    assert.ok(logged.length > 0);
    assert.ok(!logged.includes(TOKEN));
    assert.ok(!logged.includes('not-the-token'));
  } finally {
    await h.close();
  }
});

test('every /v1 endpoint requires the token, including writes, validate and openapi.json', async () => {
  const h = await startHarness();
  try {
    const calls: [string, string][] = [
      ['GET', '/v1/config'],
      ['PUT', '/v1/config'],
      ['GET', '/v1/config/versions'],
      ['GET', '/v1/config/versions/1'],
      ['GET', '/v1/source-clusters'],
      ['POST', '/v1/source-clusters'],
      ['GET', '/v1/source-clusters/c1'],
      ['PUT', '/v1/source-clusters/c1'],
      ['DELETE', '/v1/source-clusters/c1'],
      ['GET', '/v1/tables'],
      ['POST', '/v1/tables'],
      ['GET', '/v1/tables/c1+logs'],
      ['PUT', '/v1/tables/c1+logs'],
      ['DELETE', '/v1/tables/c1+logs'],
      ['GET', '/v1/tables/c1+logs/status'],
      ['POST', '/v1/validate'],
      ['GET', '/v1/openapi.json'],
      ['GET', '/v1/no-such-thing'],
    ];
    for (const [method, p] of calls) {
      const r = await h.request(method, p, { noAuth: true, ...(method === 'GET' || method === 'DELETE' ? {} : { body: {} }) });
      assert.equal(r.status, 401, `${method} ${p}`);
    }
    // nothing was written by any of them
    assert.equal(await h.configs.latestVersion(), 1);
  } finally {
    await h.close();
  }
});

test('without FLOE_API_TOKEN the API is disabled (503), while /healthz, /readyz and /metrics stay open', async () => {
  const h = await startHarness({ token: null });
  try {
    for (const token of [undefined, '', TOKEN]) {
      const r = await h.request('GET', '/v1/config', token === undefined ? { noAuth: true } : { token });
      assert.equal(r.status, 503);
      assert.equal(r.json.type, 'urn:floe:problem:api-disabled');
      assert.equal(r.json.detail, 'control API disabled: set FLOE_API_TOKEN');
    }
    assert.equal((await h.request('PUT', '/v1/tables/c1+logs', { body: {} })).status, 503);
    assert.equal((await h.request('GET', '/healthz', { noAuth: true })).status, 200);
    assert.equal((await h.request('GET', '/readyz', { noAuth: true })).status, 200);
    const m = await h.request('GET', '/metrics', { noAuth: true });
    assert.equal(m.status, 200);
    assert.match(m.text, /floe_process_/);
  } finally {
    await h.close();
  }
});

test('an empty FLOE_API_TOKEN counts as unset', async () => {
  const h = await startHarness({ token: '' });
  try {
    const r = await h.request('GET', '/v1/tables', { token: '' });
    assert.equal(r.status, 503);
  } finally {
    await h.close();
  }
});
