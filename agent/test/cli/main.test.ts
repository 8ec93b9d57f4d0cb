// The `floe` command's argument and environment checks (agent/src/cli/main.ts), run as a process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const CONFIG = fileURLToPath(new URL('../../../examples/config/local.yaml', import.meta.url));

function floe(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('validate accepts the example configuration', () => {
  const r = floe(['validate', CONFIG]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /local\.yaml: ok \(1 source cluster\(s\), \d+ table\(s\)\)/);
});

test('the command keeps a compile cache in the temporary directory, unless NODE_DISABLE_COMPILE_CACHE is set', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'floe-compile-cache-'));
  try {
    // Not NODE_COMPILE_CACHE (Node would turn the cache on by itself): the default folder under TMPDIR.
    const env = { TMPDIR: dir, NODE_COMPILE_CACHE: '' };
    assert.equal(floe(['validate', CONFIG], { ...env, NODE_DISABLE_COMPILE_CACHE: '1' }).status, 0);
    assert.deepEqual(readdirSync(dir), []);
    assert.equal(floe(['validate', CONFIG], env).status, 0);
    assert.deepEqual(readdirSync(dir), ['node-compile-cache']);
    assert.ok(readdirSync(path.join(dir, 'node-compile-cache')).length > 0, 'the cache folder is empty');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('agent fails if FLOE_HEAP_GROWING_PERCENT is not an integer from 0 to 1000, naming the value', () => {
  for (const bad of ['abc', '-1', '1001', '2.5']) {
    const r = floe(['agent', '--config', CONFIG], { FLOE_HEAP_GROWING_PERCENT: bad });
    assert.equal(r.status, 2, `${bad}: ${r.stderr}`);
    assert.equal(r.stderr, `floe agent: FLOE_HEAP_GROWING_PERCENT must be an integer from 0 to 1000, got ${JSON.stringify(bad)}\n`);
  }
});

test('agent fails if FLOE_CONCURRENT_RECOMPILATION is not 0 or 1, naming the value', () => {
  for (const bad of ['yes', 'true', '2', ' 1']) {
    const r = floe(['agent', '--config', CONFIG], { FLOE_CONCURRENT_RECOMPILATION: bad });
    assert.equal(r.status, 2, `${bad}: ${r.stderr}`);
    assert.equal(r.stderr, `floe agent: FLOE_CONCURRENT_RECOMPILATION must be 0 or 1, got ${JSON.stringify(bad)}\n`);
  }
});

test('agent fails if FLOE_FETCH_SCAVENGE_MIB is not a whole number of MiB from 0 to 65536, naming the value', () => {
  for (const bad of ['abc', '-1', '2.5', '65537', ' 32', '1e3']) {
    const r = floe(['agent', '--config', CONFIG], { FLOE_FETCH_SCAVENGE_MIB: bad });
    assert.equal(r.status, 2, `${bad}: ${r.stderr}`);
    assert.equal(r.stderr, `floe agent: FLOE_FETCH_SCAVENGE_MIB must be a whole number of MiB from 0 to 65536 (0 turns the fetching thread's scavenges off), got ${JSON.stringify(bad)}\n`);
  }
});

test('agent fails if FLOE_KAFKA_SESSION_TIMEOUT_MS is not a whole number of milliseconds from 6000 to 1800000, naming the value', () => {
  for (const bad of ['abc', '5999', '1800001', '6e3', ' 6000', '-6000']) {
    const r = floe(['agent', '--config', CONFIG], { FLOE_KAFKA_SESSION_TIMEOUT_MS: bad });
    assert.equal(r.status, 2, `${bad}: ${r.stderr}`);
    assert.equal(r.stderr, `floe agent: FLOE_KAFKA_SESSION_TIMEOUT_MS must be a whole number of milliseconds from 6000 to 1800000, got ${JSON.stringify(bad)}\n`);
  }
});

test('agent fails if FLOE_DIRECT_DECODE, FLOE_AVRO_STAGE or FLOE_JSON_STAGE is not 0 or 1, naming it and the value', () => {
  for (const name of ['FLOE_DIRECT_DECODE', 'FLOE_AVRO_STAGE', 'FLOE_JSON_STAGE']) {
    for (const bad of ['2', 'yes', ' 0']) {
      const r = floe(['agent', '--config', CONFIG], { [name]: bad });
      assert.equal(r.status, 2, `${name}=${bad}: ${r.stderr}`);
      assert.equal(r.stderr, `floe agent: ${name} must be 0 or 1, got ${JSON.stringify(bad)}\n`);
    }
  }
});

test('agent fails if a FLOE_PARQUET_* variable is wrong, naming it and the value', () => {
  const cases: Array<[Record<string, string>, string]> = [
    [{ FLOE_PARQUET_PAGE_ENTRIES: 'abc' }, 'FLOE_PARQUET_PAGE_ENTRIES must be an integer from 1 to 2147483647, got "abc"'],
    [{ FLOE_PARQUET_PAGE_ENTRIES: '0' }, 'FLOE_PARQUET_PAGE_ENTRIES must be an integer from 1 to 2147483647, got "0"'],
    [{ FLOE_PARQUET_COMPRESSION: 'lz4' }, 'FLOE_PARQUET_COMPRESSION must be one of zstd, snappy, uncompressed, got "lz4"'],
    [
      { FLOE_PARQUET_ROW_GROUP_ROWS: '-5', FLOE_PARQUET_BOUND_TRUNCATE_LENGTH: '1.5' },
      'FLOE_PARQUET_ROW_GROUP_ROWS must be a positive integer, got "-5"; FLOE_PARQUET_BOUND_TRUNCATE_LENGTH must be a positive integer, got "1.5"',
    ],
  ];
  for (const [env, message] of cases) {
    const r = floe(['agent', '--config', CONFIG], env);
    assert.equal(r.status, 2, `${JSON.stringify(env)}: ${r.stderr}`);
    assert.equal(r.stderr, `floe agent: ${message}\n`);
  }
  // Accepted: the agent goes on to read its configuration (here a file that is not there).
  const r = floe(['agent', '--config', '/nonexistent/floe.yaml'], { FLOE_PARQUET_PAGE_ENTRIES: '20000', FLOE_PARQUET_COMPRESSION: 'snappy', FLOE_PARQUET_ROW_GROUP_ROWS: '' });
  assert.equal(r.status, 2);
  assert.doesNotMatch(r.stderr, /FLOE_PARQUET/);
  assert.match(r.stderr, /nonexistent\/floe\.yaml/);
});

test('agent fails if FLOE_V8_FLAGS holds anything but V8 flags, naming it; known flags, also with no- or _ spelled, pass', () => {
  for (const bad of ['trace-gc', '--no-such-v8-flag', '--', '-x', '--trace-gc;rm']) {
    const r = floe(['agent', '--config', CONFIG], { FLOE_V8_FLAGS: `--trace-gc ${bad}` });
    assert.equal(r.status, 2, `${bad}: ${r.stderr}`);
    assert.equal(r.stderr, `floe agent: FLOE_V8_FLAGS must be V8 flags (node --v8-options) separated by spaces, got ${JSON.stringify(bad)} in ${JSON.stringify(`--trace-gc ${bad}`)}\n`);
  }
  // Accepted: the agent goes on to read its configuration (here a file that is not there).
  const r = floe(['agent', '--config', '/nonexistent/floe.yaml'], { FLOE_V8_FLAGS: ' --perf_basic_prof  --no-flush-bytecode --stack-size=900 ' });
  assert.equal(r.status, 2);
  assert.doesNotMatch(r.stderr, /FLOE_V8_FLAGS/);
  assert.match(r.stderr, /nonexistent\/floe\.yaml/);
});

test('agent fails without a configuration file', () => {
  const r = floe(['agent'], { FLOE_CONFIG: '' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--config FILE \(or FLOE_CONFIG\) is required/);
});
