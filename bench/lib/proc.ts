// What the kernel says about a process and the machine: CPU seconds and peak RSS of one pid
// (/proc/<pid>/stat, /proc/<pid>/status), whole-machine CPU use (/proc/stat), and the machine itself.
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';

let ticks: number | undefined;
function clockTicks(): number {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

export interface ProcSample {
  /** utime + stime, seconds. */
  cpuSeconds: number;
  /** stime alone (the kernel's share: page faults, sockets, mmap), seconds. */
  systemCpuSeconds: number;
  /** VmRSS, bytes. */
  rssBytes: number;
  /** VmHWM (peak RSS so far), bytes. */
  peakRssBytes: number;
  /**
   * utime + stime per thread name (/proc/<pid>/task/<tid>/stat), seconds: for the agent `MainThread`,
   * `floe-ingest-<i>` (the ingest workers), `V8Worker` (V8's compiler and GC helper threads, summed).
   */
  threadCpuSeconds: Record<string, number>;
}

/** A /proc stat line's command (or thread) name and its utime and stime, seconds. */
function parseStat(stat: string): { name: string; user: number; system: number } {
  // The name may contain spaces; fields restart after the closing parenthesis. utime and stime
  // are fields 14 and 15 of the full line, 12 and 13 after "pid (comm) ".
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), user: Number(fields[11]) / clockTicks(), system: Number(fields[12]) / clockTicks() };
}

/** CPU and memory of a live process; null once it is gone. */
export function sampleProcess(pid: number): ProcSample | null {
  try {
    const cpu = parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    const threadCpuSeconds: Record<string, number> = {};
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const t = parseStat(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8'));
        threadCpuSeconds[t.name] = (threadCpuSeconds[t.name] ?? 0) + t.user + t.system;
      } catch {
        // the thread ended between the listing and the read
      }
    }
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    return { cpuSeconds: cpu.user + cpu.system, systemCpuSeconds: cpu.system, rssBytes: kb('VmRSS'), peakRssBytes: kb('VmHWM'), threadCpuSeconds };
  } catch {
    return null;
  }
}

/** Samples a process once a second, keeping the latest values (so they survive its exit). */
export class ProcessWatcher {
  readonly pid: number;
  last: ProcSample = { cpuSeconds: 0, systemCpuSeconds: 0, rssBytes: 0, peakRssBytes: 0, threadCpuSeconds: {} };
  #timer: NodeJS.Timeout;

  constructor(pid: number, intervalMs = 1000) {
    this.pid = pid;
    this.sample();
    this.#timer = setInterval(() => this.sample(), intervalMs);
    this.#timer.unref();
  }

  sample(): ProcSample {
    const s = sampleProcess(this.pid);
    if (s) this.last = { ...s, peakRssBytes: Math.max(s.peakRssBytes, this.last.peakRssBytes) };
    return this.last;
  }

  stop(): ProcSample {
    clearInterval(this.#timer);
    return this.sample();
  }
}

interface CpuTimes {
  busy: number;
  total: number;
}

function cpuTimes(): CpuTimes {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = v[3] + (v[4] ?? 0);
  const total = v.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/** The machine's load while a phase runs: load averages at both ends, CPU busy share in between. */
export interface MachineLoad {
  loadavgStart: number[];
  loadavgEnd: number[];
  /** Share of all cores' time spent busy during the phase (0..1), whoever used it. */
  cpuBusyShare: number;
}

export class LoadMeter {
  #start = cpuTimes();
  #loadStart = os.loadavg();

  end(): MachineLoad {
    const now = cpuTimes();
    const total = now.total - this.#start.total;
    return {
      loadavgStart: this.#loadStart.map(round2),
      loadavgEnd: os.loadavg().map(round2),
      cpuBusyShare: total > 0 ? round2((now.busy - this.#start.busy) / total) : 0,
    };
  }
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

export interface MachineInfo {
  cpuModel: string;
  nproc: number;
  memoryGiB: number;
  kernel: string;
  node: string;
  java: string;
  loadavgAtStart: number[];
}

export function machineInfo(javaHome: string): MachineInfo {
  let cpuModel = 'unknown';
  try {
    cpuModel = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpuModel;
  } catch {
    // not Linux
  }
  const v = spawnSync(`${javaHome}/bin/java`, ['-version'], { encoding: 'utf8' });
  const java = (v.stderr || v.stdout || 'unknown').split('\n')[0].trim();
  return {
    cpuModel,
    nproc: os.availableParallelism(),
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    java,
    loadavgAtStart: os.loadavg().map(round2),
  };
}
