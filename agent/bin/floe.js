#!/usr/bin/env node
// The `floe` command. The agent is TypeScript that Node 24 runs directly; on an older node this
// shim hands over to the project's runner, which provisions Node 24 first.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const major = Number(process.versions.node.split('.')[0]);
if (major >= 24) {
  await import('../src/cli/main.ts');
} else {
  const runner = fileURLToPath(new URL('../../scripts/floe-run.sh', import.meta.url));
  const main = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
  const r = spawnSync('bash', [runner, 'node', main, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
