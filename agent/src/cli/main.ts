// The `floe` command's entry point (the command itself is cli/floe.ts).
//
// It first turns on Node's module compile cache (NODE_COMPILE_CACHE, by default a folder in the
// system's temporary directory; NODE_DISABLE_COMPILE_CACHE=1 turns it off): the agent's TypeScript
// and its dependencies are type-stripped and compiled once, and later starts read the result. The
// agent's modules load in ~0.5 s instead of ~0.85 s (and ~0.4 CPU-seconds less), its ingest workers'
// too, which inherit the folder through the environment. The cache is only a cache: nothing the
// agent needs is kept there, and a missing or unwritable folder just means a slower start.
import { enableCompileCache } from 'node:module';

const cache = enableCompileCache();
if (cache.directory !== undefined) process.env.NODE_COMPILE_CACHE = cache.directory;

// `floe agent`: its ingest workers start now, and load their modules on the other cores while this
// thread loads the agent's (ingest/shards.ts); the V8 flags go first, as the workers' isolates read
// them when they are created. A bad flag or worker count starts none: floe.ts says what is wrong.
if (process.argv[2] === 'agent') {
  const [{ v8Flags }, { ingestWorkerCount, prewarmIngestWorkers }, { setFlagsFromString }] = await Promise.all([import('./v8-flags.ts'), import('../ingest/shards.ts'), import('node:v8')]);
  const flags = v8Flags(process.env);
  let workers = 0;
  try {
    workers = ingestWorkerCount(process.env);
  } catch {
    // floe.ts refuses it
  }
  if (typeof flags !== 'string' && workers > 0) {
    for (const f of flags) setFlagsFromString(f);
    prewarmIngestWorkers(workers);
  }
}
await import('./floe.ts');
