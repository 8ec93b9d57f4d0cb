// Agent trees of other git revisions, for the same-hour comparisons (bench/ab.ts, bench/decode-ab.ts).
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout's root. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Where extracted trees go: under the checkout, so their sources resolve packages from its node_modules. */
export const TREES = path.join(ROOT, 'bench', '.ab');

/** The commit a revision names; throws with the revision when it names none. */
export function resolveCommit(rev: string): string {
  try {
    return execFileSync('git', ['rev-parse', '--verify', `${rev}^{commit}`], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch {
    throw new Error(`${JSON.stringify(rev)} is not a git revision of this checkout`);
  }
}

/**
 * Extracts the agent/ tree of `commit` (git archive) into TREES/`name` and returns that folder, which
 * holds agent/. A distinct name per version keeps two versions of one commit apart (separate module
 * instances), as an A/A comparison needs.
 */
export function extractAgentTree(commit: string, name: string): string {
  const dir = path.join(TREES, name);
  mkdirSync(dir, { recursive: true });
  const tar = execFileSync('git', ['archive', '--format=tar', commit, 'agent'], { cwd: ROOT, maxBuffer: 1 << 30 });
  execFileSync('tar', ['-x', '-C', dir], { input: tar });
  return dir;
}
