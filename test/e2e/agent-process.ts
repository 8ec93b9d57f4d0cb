// Runs real `floe agent` processes for end-to-end suites: writes the configuration, starts the CLI
// exactly as a user would, finds its listen URL in the structured logs, and stops or kills it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadRig, rigProcessEnv } from '../helpers/rig.ts';

const CLI = fileURLToPath(new URL('../../agent/src/cli/main.ts', import.meta.url));

export interface AgentProcessOptions {
  /** The configuration as YAML text. */
  configYaml: string;
  env?: Record<string, string>;
  /** Prefix for this agent's log lines when FLOE_TEST_AGENT_LOGS=1. */
  name?: string;
  /** The `floe` command's entry point; this checkout's by default (bench/ab.ts runs other versions). */
  cli?: string;
}

export class AgentProcess {
  readonly child: ChildProcess;
  readonly configPath: string;
  readonly logs: string[] = [];
  url: string | null = null;
  #exited: Promise<number | null>;
  exitCode: number | null = null;
  exited = false;

  private constructor(child: ChildProcess, configPath: string) {
    this.child = child;
    this.configPath = configPath;
    this.#exited = new Promise((resolve) =>
      child.on('exit', (code, signal) => {
        this.exited = true;
        this.exitCode = code ?? (signal ? 128 : null);
        resolve(code);
      }),
    );
  }

  static start(opts: AgentProcessOptions): AgentProcess {
    const dir = mkdtempSync(path.join(tmpdir(), 'floe-agent-'));
    const configPath = path.join(dir, 'floe.yaml');
    writeFileSync(configPath, opts.configYaml);
    const rig = loadRig();
    const env = rigProcessEnv({
      AWS_ENDPOINT_URL_S3: rig.s3.endpoint,
      AWS_ACCESS_KEY_ID: rig.s3.accessKey,
      AWS_SECRET_ACCESS_KEY: rig.s3.secretKey,
      AWS_REGION: rig.s3.region,
      FLOE_LOG_LEVEL: 'info',
      ...opts.env,
    });
    const child = spawn(process.execPath, [opts.cli ?? CLI, 'agent', '--config', configPath, '--listen', '127.0.0.1:0'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const a = new AgentProcess(child, configPath);
    const echo = process.env.FLOE_TEST_AGENT_LOGS === '1';
    let partial = '';
    const onData = (b: Buffer) => {
      partial += b.toString('utf8');
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        a.logs.push(line);
        if (a.logs.length > 5000) a.logs.splice(0, 1000);
        if (echo) process.stderr.write(`[${opts.name ?? child.pid}] ${line}\n`);
        if (!a.url && line.includes('"msg":"listening"')) {
          try {
            a.url = (JSON.parse(line) as { url: string }).url;
          } catch {
            // not a log line
          }
        }
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    return a;
  }

  /** Resolves once /readyz answers 200; rejects with the agent's last logs otherwise. */
  async waitReady(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      if (this.exited) throw new Error(`agent exited with ${this.exitCode} before ready:\n${this.tail()}`);
      if (this.url) {
        try {
          const r = await fetch(`${this.url}/readyz`);
          last = await r.text();
          if (r.status === 200) return;
        } catch (e) {
          last = String(e);
        }
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`agent not ready after ${timeoutMs} ms (last /readyz: ${last}):\n${this.tail()}`);
  }

  async metrics(): Promise<string> {
    if (!this.url) throw new Error('agent has no listen URL yet');
    return (await fetch(`${this.url}/metrics`)).text();
  }

  /** Sum of a metric's samples (all label sets) whose labels contain `match`. */
  async metricSum(name: string, match = ''): Promise<number> {
    const text = await this.metrics();
    let sum = 0;
    for (const line of text.split('\n')) {
      if (!line.startsWith(name)) continue;
      const rest = line.slice(name.length);
      if (rest[0] !== '{' && rest[0] !== ' ') continue;
      if (match && !line.includes(match)) continue;
      sum += Number(line.split(' ').at(-1));
    }
    return sum;
  }

  tail(n = 40): string {
    return this.logs.slice(-n).join('\n');
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
    if (!this.exited) this.child.kill(signal);
    return this.#exited;
  }

  /** Graceful stop (SIGTERM: flush and commit what is buffered), SIGKILL after the timeout. */
  async stop(timeoutMs = 30_000): Promise<number | null> {
    if (this.exited) return this.exitCode;
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const code = await this.#exited;
    clearTimeout(t);
    return code;
  }
}

/** A YAML configuration for tables on the rig's plaintext Kafka listener (or on `bootstrap`, without the rig). */
export function rigConfigYaml(opts: { bucketUrl: string; clusterName?: string; tables: string[]; credentials?: string; bootstrap?: string }): string {
  const [host, port] = (opts.bootstrap ?? loadRig().kafka.bootstrap).split(':');
  return [
    'source_clusters:',
    `  - name: ${opts.clusterName ?? 'rig'}`,
    '    bootstrap_brokers:',
    `      - { hostname: ${host}, port: ${port} }`,
    ...(opts.credentials ? [opts.credentials] : []),
    'tables:',
    ...opts.tables,
    `destination_bucket_url: ${opts.bucketUrl}`,
    '',
  ].join('\n');
}
