// The OpenAPI description kept in the repo is the one served, and it matches the routes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createControlApi } from '../../src/control/api.ts';
import { PROBLEMS } from '../../src/control/problem.ts';
import { ConfigStore } from '../../src/config/store.ts';
import { FileStore } from '../../src/store/file.ts';
import { startHarness } from './helpers.ts';

const file = new URL('../../src/control/openapi.json', import.meta.url);
const spec = JSON.parse(readFileSync(file, 'utf8'));

test('GET /v1/openapi.json serves the document kept in the repo', async () => {
  const h = await startHarness();
  try {
    const r = await h.request('GET', '/v1/openapi.json');
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(r.json, spec);
    assert.equal(r.json.openapi, '3.1.0');
  } finally {
    await h.close();
  }
});

test('every route is described with its methods, and every described path is a route', () => {
  const router = createControlApi({ configs: new ConfigStore(new FileStore('/nonexistent-floe-test')), env: {} }) as unknown as {
    stack: { route?: { path: string; methods: Record<string, boolean> } }[];
  };
  const routes = new Map<string, string[]>();
  for (const layer of router.stack) {
    if (!layer.route) continue;
    const p = `/v1${layer.route.path.replace(/:([a-z]+)/g, '{$1}')}`;
    routes.set(p, Object.keys(layer.route.methods).filter((m) => m !== '_all').sort());
  }
  const described = new Map<string, string[]>();
  for (const [p, item] of Object.entries(spec.paths as Record<string, Record<string, unknown>>)) {
    described.set(p, Object.keys(item).filter((k) => ['get', 'put', 'post', 'delete', 'patch'].includes(k)).sort());
  }
  assert.deepEqual(Object.fromEntries(described), Object.fromEntries(routes));
});

test('every $ref resolves, and the problem types are the ones the API sends', () => {
  const refs: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === '$ref' && typeof x === 'string') refs.push(x);
        else walk(x);
      }
    }
  };
  walk(spec);
  assert.ok(refs.length > 50);
  for (const ref of refs) {
    const target = ref
      .replace(/^#\//, '')
      .split('/')
      .reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], spec);
    assert.ok(target, `unresolved ${ref}`);
  }
  assert.deepEqual(
    [...spec.components.schemas.Problem.properties.type.enum].sort(),
    Object.keys(PROBLEMS)
      .map((k) => `urn:floe:problem:${k}`)
      .sort(),
  );
});
