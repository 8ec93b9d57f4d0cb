// The committed bindings (src/.gen/floe) must be what the generator makes from the Go provider's
// current schema: builds the provider, reads its schema through OpenTofu and regenerates into a
// temporary directory (scripts/generate-bindings.sh --check). Needs go and tofu (the rig's).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('../scripts/generate-bindings.sh', import.meta.url));
const rigEnv = fileURLToPath(new URL('../../test/rig/rig.env', import.meta.url));

function tofuAvailable(): boolean {
  if (process.env.TOFU_BIN && existsSync(process.env.TOFU_BIN)) return true;
  const m = existsSync(rigEnv) ? /^TOFU_BIN='?([^'\n]+)'?$/m.exec(readFileSync(rigEnv, 'utf8')) : null;
  return m !== null && existsSync(m[1]);
}

const missing = spawnSync('go', ['version']).status !== 0 ? 'go' : !tofuAvailable() ? 'tofu (TOFU_BIN or the rig)' : undefined;

test('the committed floe bindings match the provider schema', { skip: missing && `needs ${missing}`, timeout: 300_000 }, () => {
  const r = spawnSync('bash', [script, '--check'], { encoding: 'utf8' });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /up to date/);
});
