// Hot spots from a V8 .cpuprofile (node --cpu-prof): self time per function and per source file or
// package, as shares of the busy (non-idle) samples.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface HotSpot {
  name: string;
  /** Share of busy samples, 0..1. */
  selfShare: number;
  selfMs: number;
}

export interface ProfileSummary {
  file: string;
  durationSeconds: number;
  /** Share of the first (main) thread's samples not idle. */
  busyShare: number;
  /** Busy share of each profiled thread, main thread first. */
  threadBusy: number[];
  functions: HotSpot[];
  files: HotSpot[];
  /** Share of busy samples spent in the garbage collector. */
  gcShare: number;
}

/** The repository root as a file URL, stripped from profile URLs. */
const ROOT = new URL('../..', import.meta.url).href;

function shortUrl(url: string): string {
  if (!url) return '(native)';
  let u = url.replace(/^file:\/\//, '');
  const nm = u.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    u = u.slice(nm + '/node_modules/'.length);
    // package name (scoped or not) + path inside it
    return u;
  }
  const root = u.indexOf('/agent/src/');
  if (root >= 0) return u.slice(root + 1);
  return url.startsWith(ROOT) ? url.slice(ROOT.length) : url;
}

function packageOf(short: string): string {
  if (short.startsWith('agent/src/')) return short.split('/').slice(0, 4).join('/');
  if (short.startsWith('node:') || short.startsWith('(')) return short;
  const parts = short.split('/');
  return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
}

/**
 * Summarizes one profile, or several (one per thread of a process: `node --cpu-prof` writes one
 * file per thread) added together: shares are of the busy samples of all of them, and
 * `threadBusy` lists each thread's busy share of its own wall time, the first file first.
 */
export function summarizeProfile(file: string | string[], top = 15): ProfileSummary {
  const list = Array.isArray(file) ? file : [file];
  let idle = 0;
  let total = 0;
  let gc = 0;
  let durationSeconds = 0;
  const threadBusy: number[] = [];
  const fn = new Map<string, number>();
  const files = new Map<string, number>();
  for (const one of list) {
    const prof = JSON.parse(readFileSync(one, 'utf8')) as CpuProfile;
    const r = accumulate(prof, fn, files);
    idle += r.idle;
    total += r.total;
    gc += r.gc;
    threadBusy.push(r.total > 0 ? (r.total - r.idle) / r.total : 0);
    durationSeconds = Math.max(durationSeconds, (prof.endTime - prof.startTime) / 1e6);
  }
  const busy = total - idle;
  const rank = (m: Map<string, number>): HotSpot[] =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, selfShare: busy > 0 ? us / busy : 0, selfMs: us / 1000 }));
  return {
    file: list[0],
    durationSeconds,
    busyShare: threadBusy[0] ?? 0,
    threadBusy,
    functions: rank(fn),
    files: rank(files),
    gcShare: busy > 0 ? gc / busy : 0,
  };
}

function accumulate(prof: CpuProfile, fn: Map<string, number>, files: Map<string, number>): { idle: number; total: number; gc: number } {
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  // Self time per node from samples × time deltas (more exact than hitCount × mean interval).
  const selfUs = new Map<number, number>();
  const samples = prof.samples ?? [];
  const deltas = prof.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    // timeDeltas[i] is the time before sample i; attribute the following delta to sample i.
    const d = deltas[i + 1] ?? 0;
    selfUs.set(samples[i], (selfUs.get(samples[i]) ?? 0) + Math.max(0, d));
  }
  let idle = 0;
  let total = 0;
  let gc = 0;
  for (const [id, us] of selfUs) {
    const n = byId.get(id);
    if (!n) continue;
    total += us;
    const name = n.callFrame.functionName;
    if (name === '(idle)') {
      idle += us;
      continue;
    }
    if (name === '(garbage collector)') gc += us;
    const short = shortUrl(n.callFrame.url);
    const key = n.callFrame.url ? `${name || '(anonymous)'} ${short}:${n.callFrame.lineNumber + 1}` : name || '(anonymous)';
    fn.set(key, (fn.get(key) ?? 0) + us);
    const pkg = n.callFrame.url ? packageOf(short) : name.startsWith('(') ? name : '(native)';
    files.set(pkg, (files.get(pkg) ?? 0) + us);
  }
  return { idle, total, gc };
}
