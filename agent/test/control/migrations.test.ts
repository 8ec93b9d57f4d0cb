// Schema migrations through the API: each refused kind answers 422 with checkMigration's message
// (naming the field and both types) at the field's path; each allowed kind lands as a new version
// and reports what it changes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { baseYaml, logsFields, startHarness, tableBody, type Harness } from './helpers.ts';

type Field = Record<string, unknown>;

function edit(fn: (fields: Field[]) => Field[] | void): Field[] {
  const fields = logsFields();
  return fn(fields) ?? fields;
}

async function putLogs(h: Harness, fields: Field[], extra: Record<string, unknown> = {}) {
  return h.request('PUT', '/v1/tables/c1+logs', { body: tableBody('logs', fields, extra) });
}

const refused: { name: string; fields: Field[]; path: string; message: RegExp }[] = [
  {
    name: 'dropping a field',
    fields: edit((f) => {
      f.splice(1, 1);
    }),
    path: 'schema.fields[1]',
    message: /^service \(id 2\): dropped; dropping fields is not supported/,
  },
  {
    name: 'reordering fields',
    fields: edit((f) => [f[1], f[0], ...f.slice(2)]),
    path: 'schema.fields[0]',
    message: /^service \(id 2\): reordered \(was after environment, now before it\)/,
  },
  {
    name: 'int -> string',
    fields: edit((f) => {
      f[2].type = 'string';
    }),
    path: 'schema.fields[2]',
    message: /^status \(id 3\): type change int -> string is not a widening/,
  },
  {
    name: 'long -> int',
    fields: edit((f) => {
      f[6].type = 'int';
    }),
    path: 'schema.fields[6]',
    message: /^code \(id 7\): type change long -> int is not a widening/,
  },
  {
    name: 'decimal scale change',
    fields: edit((f) => {
      f[4].type = 'decimal(12, 3)';
    }),
    path: 'schema.fields[4]',
    message: /^price \(id 5\): type change decimal\(10, 2\) -> decimal\(12, 3\) is not a widening/,
  },
  {
    name: 'optional -> required',
    fields: edit((f) => {
      delete f[5].optional;
    }),
    path: 'schema.fields[5]',
    message: /^message \(id 6\): optional -> required is not allowed/,
  },
  {
    name: 'reusing an id for a different field',
    fields: edit((f) => {
      f[1] = { name: 'region', type: 'string', id: 2 };
      f.push({ name: 'service', type: 'string', id: 9, optional: true });
    }),
    path: 'schema.fields[1]',
    message: /^service \(id 2\): id 2 was service and is now used for region, while service got id 9; field ids cannot be reused/,
  },
  {
    name: 'adding a required field',
    fields: edit((f) => {
      f.push({ name: 'zone', type: 'string', id: 8 });
    }),
    path: 'schema.fields[7]',
    message: /^zone \(id 8\): new field zone \(string\) is required/,
  },
];

for (const c of refused) {
  test(`refused migration: ${c.name} -> 422 naming the field and types, nothing written`, async () => {
    const h = await startHarness();
    try {
      const r = await putLogs(h, c.fields);
      assert.equal(r.status, 422, r.text);
      assert.equal(r.json.type, 'urn:floe:problem:migration-refused');
      assert.equal(r.json.title, 'Schema migration refused');
      const e = r.json.errors.find((x: { path: string }) => x.path === c.path);
      assert.ok(e, `no issue at ${c.path}: ${JSON.stringify(r.json.errors)}`);
      assert.match(e.message, c.message);
      assert.match(r.json.detail, /^the change is refused: schema\.fields/);
      assert.equal(await h.configs.latestVersion(), 1);
    } finally {
      await h.close();
    }
  });
}

test('a widening cannot be undone: float -> double is allowed, double -> float then refused', async () => {
  const h = await startHarness();
  try {
    const wide = edit((f) => {
      f[3].type = 'double';
    });
    assert.equal((await putLogs(h, wide)).status, 200);
    const r = await putLogs(h, logsFields());
    assert.equal(r.status, 422);
    assert.equal(r.json.errors[0].path, 'schema.fields[3]');
    assert.match(r.json.errors[0].message, /^latency \(id 4\): type change double -> float is not a widening/);
  } finally {
    await h.close();
  }
});

test('refused migrations through PUT /v1/config carry whole-document paths', async () => {
  const h = await startHarness();
  try {
    const text = baseYaml(h.bucketUrl).replace('{ name: status, type: int, id: 3 }', '{ name: status, type: string, id: 3 }');
    const r = await h.request('PUT', '/v1/config', { text });
    assert.equal(r.status, 422);
    assert.equal(r.json.type, 'urn:floe:problem:migration-refused');
    assert.deepEqual(r.json.errors, [
      {
        path: 'tables[0].schema.fields[2]',
        message: 'status (id 3): type change int -> string is not a widening; allowed: int -> long, float -> double, decimal(P,S) -> decimal(P2,S) with P2 > P',
      },
    ]);
  } finally {
    await h.close();
  }
});

test('changing source_format or partitioning_scheme of an existing table is refused', async () => {
  const h = await startHarness();
  try {
    const r = await putLogs(h, logsFields(), { source_format: 'avro', partitioning_scheme: 'hour' });
    assert.equal(r.status, 422);
    const byPath = new Map(r.json.errors.map((e: { path: string; message: string }) => [e.path, e.message]));
    assert.match(String(byPath.get('source_format')), /cannot change the source_format of existing table c1\+logs: "json" -> "avro"/);
    assert.match(String(byPath.get('partitioning_scheme')), /cannot change the partitioning_scheme of existing table c1\+logs: "unpartitioned" -> "hour"/);
  } finally {
    await h.close();
  }
});

const allowed: { name: string; fields: Field[]; change: Record<string, unknown> }[] = [
  {
    name: 'add an optional column',
    fields: edit((f) => {
      f.push({ name: 'region', type: 'string', id: 8, optional: true });
    }),
    change: { kind: 'add-field', path: 'schema.fields[7]', field: 'region', id: 8, type: 'string', optional: true },
  },
  {
    name: 'add an optional struct in the middle',
    fields: edit((f) => {
      f.splice(2, 0, { name: 'geo', type: 'struct', id: 8, optional: true, fields: [{ name: 'lat', type: 'double', id: 9 }] });
    }),
    change: { kind: 'add-field', path: 'schema.fields[2]', field: 'geo', id: 8, type: 'struct', optional: true },
  },
  {
    name: 'int -> long',
    fields: edit((f) => {
      f[2].type = 'long';
    }),
    change: { kind: 'widen-type', path: 'schema.fields[2]', field: 'status', id: 3, from: 'int', to: 'long' },
  },
  {
    name: 'float -> double',
    fields: edit((f) => {
      f[3].type = 'double';
    }),
    change: { kind: 'widen-type', path: 'schema.fields[3]', field: 'latency', id: 4, from: 'float', to: 'double' },
  },
  {
    name: 'decimal precision widening',
    fields: edit((f) => {
      f[4].type = 'decimal(18,2)';
    }),
    change: { kind: 'widen-type', path: 'schema.fields[4]', field: 'price', id: 5, from: 'decimal(10, 2)', to: 'decimal(18, 2)' },
  },
  {
    name: 'required -> optional',
    fields: edit((f) => {
      f[0].optional = true;
    }),
    change: { kind: 'make-optional', path: 'schema.fields[0]', field: 'environment', id: 1 },
  },
];

for (const c of allowed) {
  test(`allowed migration: ${c.name} -> 200, version 2, reported as a schema change`, async () => {
    const h = await startHarness();
    try {
      const dry = await h.request('POST', '/v1/validate', { body: { table: tableBody('logs', c.fields), operation: 'update' } });
      assert.equal(dry.status, 200, dry.text);
      const r = await putLogs(h, c.fields);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.headers.get('etag'), '"2"');
      const stored = await h.configs.latest();
      assert.equal(stored?.version, 2);
      assert.equal(dry.json.changes.length, 1);
      assert.deepEqual(dry.json.changes[0].schema_changes, [c.change]);
    } finally {
      await h.close();
    }
  });
}
