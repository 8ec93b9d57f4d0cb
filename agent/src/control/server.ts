// The agent's HTTP listener: /metrics (Prometheus), /healthz (process alive), /readyz (every table's
// pipeline is running and connected), all unauthenticated; and the control API under /v1
// (bearer token, see api.ts) when a router is given.

import express, { type Express, type Router } from 'express';
import type { Server } from 'node:http';
import type { AgentMetrics } from '../metrics/metrics.ts';

export interface ReadinessSource {
  /** Problems that keep the agent from being ready; empty when ready. */
  readinessProblems(): string[];
}

/** The listener's app; `control` (createControlApi) is mounted at /v1. */
export function createHttpApp(metrics: AgentMetrics, readiness: ReadinessSource, control?: Router): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false); // ETags are configuration versions, set by the control API
  if (control !== undefined) app.use('/v1', control);
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', (_req, res) => {
    const problems = readiness.readinessProblems();
    res.status(problems.length === 0 ? 200 : 503).json({ status: problems.length === 0 ? 'ready' : 'not-ready', problems });
  });
  app.get('/metrics', async (_req, res) => {
    res.set('Content-Type', metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  });
  return app;
}

export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(listen.trim());
  if (!m) throw new Error(`--listen: expected HOST:PORT, got ${JSON.stringify(listen)}`);
  const port = Number(m[3]);
  if (!(port >= 0 && port <= 65535)) throw new Error(`--listen: port out of range in ${JSON.stringify(listen)}`);
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port };
}

export async function listen(app: Express, address: string): Promise<{ server: Server; url: string }> {
  const { host, port } = parseListen(address);
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(port, host, (err?: Error) => (err ? reject(err) : resolve(s)));
    s.on('error', reject);
  });
  const a = server.address();
  const actual = typeof a === 'object' && a ? a.port : port;
  return { server, url: `http://${host.includes(':') ? `[${host}]` : host}:${actual}` };
}
