// The control API (mounted at /v1 on the agent's listener). Any agent accepts writes: every write
// goes through plan() against the newest stored configuration version and lands as the next
// version in the bucket (config/store.ts), which every agent's watcher then applies.
//
// Write lifecycle (one request):
//
//   LOAD    newest version N (null when the store is empty)
//     |     If-Match given -> PRECONDITION: whole config: N must equal the tag; resource endpoints:
//     |     the resource must be the same at the tagged version as at N (else 412). Without If-Match,
//     |     on a retry: the targeted resource (or, for PUT /v1/config, the whole document) must not
//     |     have changed since the previous attempt's N (else 409).
//     v
//   PLAN    plan(op, N) -> next configuration or 4xx (same code as POST /v1/validate)
//     |     nothing changes -> 200 with version N, nothing written
//     v
//   CREATE  putIfAbsent v<N+1>
//     |-- created -> 200/201 with version N+1
//     '-- taken (another writer won the race) -> jittered backoff -> LOAD (bounded attempts)
//
// So two racing writers never both win silently: with the same If-Match one gets 412; without
// If-Match, PUT /v1/config loses with 409 and resource writes are re-planned on the new version,
// landing when they touch different resources (20 concurrent POSTs of different tables all land)
// and failing with 409/412 when they touch the same one. Within one agent, writes are serialized
// before they reach the store.

import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.ts';
import type { ConfigIssue } from '../errors.ts';
import { configToPlain, configToYaml, parseJsonText, parseYamlText } from '../config/index.ts';
import { isPlainObject } from '../config/issues.ts';
import { tableName, type TableConfig } from '../config/model.ts';
import type { ConfigStore, StoredConfig } from '../config/store.ts';
import { createLogger, type Logger } from '../log.ts';
import type { ObjectStore } from '../store/store.ts';
import { bearerAuth, TOKEN_ENV } from './auth.ts';
import { plan, type Plan, type PlanContext, type WriteOp } from './plan.ts';
import { ApiError, sendProblem } from './problem.ts';
import { clusterResource, findCluster, findTable, sameCluster, sameTable, tableResource } from './resources.ts';
import { bucketTable, tableStatus, type AgentLike } from './status.ts';

export interface ControlApiOptions {
  /** The configuration store (in the destination bucket). */
  configs: ConfigStore;
  /** Where the tables are (status, re-added tables); @default configs.store */
  store?: ObjectStore;
  /** The running agent, for high watermarks in table status. */
  agent?: AgentLike;
  /** Bearer token. @default env.FLOE_API_TOKEN; unset or empty: every /v1 call answers 503 */
  token?: string;
  env?: NodeJS.ProcessEnv;
  log?: Logger;
  /** destination_bucket_url the agent runs with: a stored configuration cannot move to another bucket. */
  bucketUrl?: string;
  /** Largest request body. @default '4mb' */
  maxBodySize?: string;
  /** Store writes attempted per request before giving up with 409. @default 40 */
  maxWriteAttempts?: number;
}

const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml'];
const JSON_TYPES = ['application/json'];
const OPENAPI_PATH = new URL('./openapi.json', import.meta.url);

type IfMatch = { any: true; raw: string } | { any: false; versions: number[]; raw: string };

/** Builds the /v1 router. Mount it with `app.use('/v1', createControlApi(...))`. */
export function createControlApi(options: ControlApiOptions): Router {
  const api = new ControlApi(options);
  return api.router;
}

class ControlApi {
  readonly router: Router;
  readonly configs: ConfigStore;
  readonly store: ObjectStore;
  readonly agent: AgentLike | undefined;
  readonly env: NodeJS.ProcessEnv;
  readonly log: Logger;
  readonly bucketUrl: string | undefined;
  readonly maxAttempts: number;
  #queue: Promise<unknown> = Promise.resolve();
  #openapi: string | undefined;

  constructor(o: ControlApiOptions) {
    this.configs = o.configs;
    this.store = o.store ?? o.configs.store;
    this.agent = o.agent;
    this.env = o.env ?? process.env;
    this.log = o.log ?? createLogger({ component: 'control-api' });
    this.bucketUrl = o.bucketUrl;
    this.maxAttempts = Math.max(1, o.maxWriteAttempts ?? 40);
    const r = express.Router();
    this.router = r;
    r.use(bearerAuth(o.token ?? this.env[TOKEN_ENV]));
    r.use(express.text({ type: () => true, limit: o.maxBodySize ?? '4mb' }));

    r.route('/config')
      .get(this.#h((req, res) => this.getConfig(req, res)))
      .put(this.#h((req, res) => this.putConfig(req, res)))
      .all(notAllowed('GET, PUT'));
    r.route('/config/versions').get(this.#h((req, res) => this.listVersions(req, res))).all(notAllowed('GET'));
    r.route('/config/versions/:version').get(this.#h((req, res) => this.getVersion(req, res))).all(notAllowed('GET'));

    r.route('/source-clusters')
      .get(this.#h((req, res) => this.listClusters(req, res)))
      .post(this.#h((req, res) => this.write(req, res, { kind: 'create-cluster', body: parseBody(req) })))
      .all(notAllowed('GET, POST'));
    r.route('/source-clusters/:name')
      .get(this.#h((req, res) => this.getCluster(req, res)))
      .put(this.#h((req, res) => this.write(req, res, { kind: 'put-cluster', name: param(req, 'name'), body: parseBody(req) })))
      .delete(this.#h((req, res) => this.write(req, res, { kind: 'delete-cluster', name: param(req, 'name') })))
      .all(notAllowed('GET, PUT, DELETE'));

    r.route('/tables')
      .get(this.#h((req, res) => this.listTables(req, res)))
      .post(this.#h((req, res) => this.write(req, res, { kind: 'create-table', body: parseBody(req) })))
      .all(notAllowed('GET, POST'));
    r.route('/tables/:name')
      .get(this.#h((req, res) => this.getTable(req, res)))
      .put(this.#h((req, res) => this.write(req, res, { kind: 'put-table', name: param(req, 'name'), body: parseBody(req) })))
      .delete(this.#h((req, res) => this.write(req, res, { kind: 'delete-table', name: param(req, 'name') })))
      .all(notAllowed('GET, PUT, DELETE'));
    r.route('/tables/:name/status').get(this.#h((req, res) => this.getStatus(req, res))).all(notAllowed('GET'));

    r.route('/validate').post(this.#h((req, res) => this.validate(req, res))).all(notAllowed('POST'));
    r.route('/openapi.json').get(this.#h((_req, res) => this.openapi(res))).all(notAllowed('GET'));

    r.use((req: Request, _res: Response, next: NextFunction) => next(new ApiError('not-found', `no such endpoint: ${req.method} ${req.baseUrl}${req.path}`)));
    r.use((err: unknown, req: Request, res: Response, _next: NextFunction) => this.#error(err, req, res));
  }

  // ---- whole configuration

  async getConfig(req: Request, res: Response): Promise<void> {
    const current = await this.configs.latest();
    if (current === null) throw new ApiError('not-found', 'no configuration is stored yet; create one with PUT /v1/config');
    this.#sendConfig(req, res, current);
  }

  async putConfig(req: Request, res: Response): Promise<void> {
    const type = mediaType(req);
    if (!YAML_TYPES.includes(type) && !JSON_TYPES.includes(type) && !type.endsWith('+json')) {
      throw new ApiError('unsupported-media-type', `PUT /v1/config takes application/yaml (or text/yaml) or application/json, got ${type === '' ? 'no Content-Type' : JSON.stringify(type)}`);
    }
    const doc = parseBody(req);
    const { stored, plan: p } = await this.#write({ kind: 'put-config', doc }, ifMatch(req));
    versionHeaders(res, stored.version);
    res.status(200).json({ version: stored.version, changes: p.changes });
  }

  async listVersions(_req: Request, res: Response): Promise<void> {
    const versions = await this.configs.versions();
    const latest = versions.at(-1)?.version ?? 0;
    versionHeaders(res, latest);
    res.json({ latest, versions: versions.map((v) => ({ version: v.version, created_at: v.createdAt.toISOString(), size: v.size })) });
  }

  async getVersion(req: Request, res: Response): Promise<void> {
    const text = param(req, 'version');
    const n = /^[1-9][0-9]{0,9}$/.test(text) ? Number(text) : NaN;
    const stored = Number.isInteger(n) ? await this.configs.get(n) : null;
    if (stored === null) throw new ApiError('not-found', `no configuration version ${JSON.stringify(text)}`);
    this.#sendConfig(req, res, stored);
  }

  #sendConfig(req: Request, res: Response, stored: StoredConfig): void {
    versionHeaders(res, stored.version);
    res.vary('Accept');
    if (notModified(req, stored.version)) {
      res.status(304).end();
      return;
    }
    const type = req.accepts(['application/json', ...YAML_TYPES]);
    if (type === false) throw new ApiError('not-acceptable', `the configuration is available as application/json or application/yaml, not ${JSON.stringify(req.get('accept'))}`);
    if (type === 'application/json') res.json(configToPlain(stored.config));
    else res.type(type).send(configToYaml(stored.config));
  }

  // ---- resources

  async listClusters(_req: Request, res: Response): Promise<void> {
    const current = await this.configs.latest();
    versionHeaders(res, current?.version ?? 0);
    res.json({ source_clusters: (current?.config.source_clusters ?? []).map(clusterResource) });
  }

  async getCluster(req: Request, res: Response): Promise<void> {
    const name = param(req, 'name');
    const current = await this.configs.latest();
    const c = current === null ? undefined : findCluster(current.config, name);
    if (c === undefined || current === null) throw new ApiError('not-found', `no source cluster named ${JSON.stringify(name)}`);
    versionHeaders(res, current.version);
    res.json(clusterResource(c));
  }

  async listTables(_req: Request, res: Response): Promise<void> {
    const current = await this.configs.latest();
    versionHeaders(res, current?.version ?? 0);
    res.json({ tables: (current?.config.tables ?? []).map(tableResource) });
  }

  async getTable(req: Request, res: Response): Promise<void> {
    const name = param(req, 'name');
    const current = await this.configs.latest();
    const t = current === null ? undefined : findTable(current.config, name);
    if (t === undefined || current === null) throw new ApiError('not-found', `no table named ${JSON.stringify(name)}`);
    versionHeaders(res, current.version);
    res.json(tableResource(t));
  }

  async getStatus(req: Request, res: Response): Promise<void> {
    const name = param(req, 'name');
    const current = await this.configs.latest();
    const t = current === null ? undefined : findTable(current.config, name);
    if (t === undefined || current === null) throw new ApiError('not-found', `no table named ${JSON.stringify(name)}`);
    const status = await tableStatus({
      store: this.store,
      table: t,
      cluster: findCluster(current.config, t.source_cluster_name),
      agent: this.agent,
      env: this.env,
    });
    versionHeaders(res, current.version);
    res.json(status);
  }

  /** Resource writes: POST/PUT/DELETE on source clusters and tables. */
  async write(req: Request, res: Response, op: WriteOp): Promise<void> {
    const { stored, plan: p } = await this.#write(op, ifMatch(req));
    versionHeaders(res, stored.version);
    if (op.kind === 'delete-table' || op.kind === 'delete-cluster') {
      res.status(200).json({ name: op.name, deleted: true, version: stored.version });
      return;
    }
    const target = p.target!;
    const created = target.created;
    if (target.resource === 'table') {
      const t = findTable(stored.config, target.name)!;
      if (created) res.location(`${req.baseUrl}/tables/${encodeURIComponent(target.name)}`);
      res.status(created ? 201 : 200).json(tableResource(t));
    } else {
      const c = findCluster(stored.config, target.name)!;
      if (created) res.location(`${req.baseUrl}/source-clusters/${encodeURIComponent(target.name)}`);
      res.status(created ? 201 : 200).json(clusterResource(c));
    }
  }

  // ---- dry run

  async validate(req: Request, res: Response): Promise<void> {
    const body = parseBody(req);
    const op = await this.#validateOp(body);
    const current = await this.configs.latest();
    const im = ifMatch(req);
    if (im !== undefined) await this.#precondition(op, im, current);
    const p = await plan(op, this.#context(current));
    res.json({ valid: true, version: current?.version ?? 0, changes: p.changes });
  }

  async #validateOp(body: unknown): Promise<WriteOp> {
    const bad = (path: string, message: string): ApiError => new ApiError('invalid-config', `${path}: ${message}`, { issues: [{ path, message }] });
    if (!isPlainObject(body)) throw bad('(root)', 'expected {config}, {table} or {source_cluster}, with optional operation and name');
    const keys = Object.keys(body).filter((k) => k !== 'operation' && k !== 'name');
    const unknown = keys.filter((k) => k !== 'config' && k !== 'table' && k !== 'source_cluster');
    if (unknown.length > 0) throw bad(unknown[0], 'unknown field (expected config, table or source_cluster, with optional operation and name)');
    if (keys.length !== 1) throw bad('(root)', `expected exactly one of config, table or source_cluster, got ${keys.length === 0 ? 'none' : keys.join(', ')}`);
    const what = keys[0];
    const operation = body.operation ?? (what === 'config' ? 'update' : undefined);
    if (operation !== undefined && operation !== 'create' && operation !== 'update' && operation !== 'delete') {
      throw bad('operation', `expected "create", "update" or "delete", got ${JSON.stringify(operation)}`);
    }
    if (body.name !== undefined && typeof body.name !== 'string') throw bad('name', `expected string, got ${JSON.stringify(body.name)}`);
    const entry = body[what];
    if (what === 'config') {
      if (operation !== 'update') throw bad('operation', `a whole configuration can only be validated as "update" (PUT /v1/config), got ${JSON.stringify(operation)}`);
      return { kind: 'put-config', doc: entry };
    }
    const current = (await this.configs.latest())?.config;
    if (what === 'table') {
      const derived =
        isPlainObject(entry) && typeof entry.source_cluster_name === 'string' && typeof entry.source_topic === 'string'
          ? tableName(entry as Pick<TableConfig, 'source_cluster_name' | 'source_topic'>)
          : undefined;
      const name = (body.name as string | undefined) ?? derived;
      if (operation === 'create' || (operation === undefined && (name === undefined || current === undefined || findTable(current, name) === undefined))) {
        return { kind: 'create-table', body: entry };
      }
      if (name === undefined) throw bad('name', 'missing: name the table to update or delete (or give source_cluster_name and source_topic)');
      if (current === undefined || findTable(current, name) === undefined) throw new ApiError('not-found', `no table named ${JSON.stringify(name)}`);
      return operation === 'delete' ? { kind: 'delete-table', name } : { kind: 'put-table', name, body: entry };
    }
    const derived = isPlainObject(entry) && typeof entry.name === 'string' ? entry.name : undefined;
    const name = (body.name as string | undefined) ?? derived;
    if (operation === 'create' || (operation === undefined && (name === undefined || current === undefined || findCluster(current, name) === undefined))) {
      return { kind: 'create-cluster', body: entry };
    }
    if (name === undefined) throw bad('name', 'missing: name the source cluster to update or delete');
    if (current === undefined || findCluster(current, name) === undefined) throw new ApiError('not-found', `no source cluster named ${JSON.stringify(name)}`);
    return operation === 'delete' ? { kind: 'delete-cluster', name } : { kind: 'put-cluster', name, body: entry };
  }

  // ---- the write path (see the state machine at the top)

  #write(op: WriteOp, im: IfMatch | undefined): Promise<{ stored: StoredConfig; plan: Plan; written: boolean }> {
    const run = this.#queue.then(() => this.#writeNow(op, im));
    this.#queue = run.catch(() => {});
    return run;
  }

  async #writeNow(op: WriteOp, im: IfMatch | undefined): Promise<{ stored: StoredConfig; plan: Plan; written: boolean }> {
    let previous: StoredConfig | null | undefined;
    for (let attempt = 1; ; attempt++) {
      const current = await this.configs.latest();
      if (im !== undefined) await this.#precondition(op, im, current);
      else if (previous !== undefined && !unchangedFor(op, previous, current)) {
        throw new ApiError(
          'conflict',
          op.kind === 'put-config'
            ? `the configuration changed while this request was being applied (now version ${current?.version ?? 0}); read it again and retry, or send If-Match`
            : `${describeTarget(op)} changed while this request was being applied (now version ${current?.version ?? 0}); read it again and retry`,
        );
      }
      previous = current;
      const p = await plan(op, this.#context(current));
      if (current !== null && configToYaml(p.config) === configToYaml(current.config)) {
        return { stored: current, plan: p, written: false };
      }
      const version = (current?.version ?? 0) + 1;
      const created = await this.configs.create(version, p.config);
      if (created !== null) {
        this.log.info('configuration version written', { version, operation: op.kind, changes: p.changes.map((c) => `${c.action} ${c.resource} ${c.name}`) });
        return { stored: created, plan: p, written: true };
      }
      if (attempt >= this.maxAttempts) {
        throw new ApiError('conflict', `gave up after ${attempt} attempts: other writers kept creating configuration versions first; retry later`);
      }
      await sleep(Math.random() * Math.min(250, 5 * 2 ** attempt));
    }
  }

  /** 412 unless the If-Match tags hold against the current version (see the state machine). */
  async #precondition(op: WriteOp, im: IfMatch, current: StoredConfig | null): Promise<void> {
    const fail = (why: string): never => {
      throw new ApiError('precondition-failed', `If-Match ${im.raw} does not hold: ${why}`, {
        headers: current === null ? {} : { ETag: etag(current.version), 'Floe-Config-Version': String(current.version) },
      });
    };
    if (current === null) fail('no configuration is stored yet');
    const now = current!;
    if (op.kind === 'put-config') {
      if (im.any || im.versions.includes(now.version)) return;
      fail(`the current configuration version is ${now.version}`);
    }
    if (im.any) {
      if (targetOf(op, now) !== undefined) return;
      fail(`${describeTarget(op)} does not exist`);
    }
    for (const v of (im as { versions: number[] }).versions) {
      if (v === now.version) return;
      const then = v > 0 && v < now.version ? await this.configs.get(v) : null;
      if (then !== null && sameTarget(op, then, now)) return;
    }
    fail(`${describeTarget(op)} changed since version ${(im as { versions: number[] }).versions.join(', ')} (current version ${now.version})`);
  }

  #context(current: StoredConfig | null): PlanContext {
    const ctx: PlanContext = { current, bucketTable: (name) => bucketTable(this.store, name) };
    if (this.bucketUrl !== undefined) ctx.bucketUrl = this.bucketUrl;
    return ctx;
  }

  openapi(res: Response): void {
    this.#openapi ??= readFileSync(OPENAPI_PATH, 'utf8');
    res.type('application/json').send(this.#openapi);
  }

  // ---- plumbing

  #h(fn: (req: Request, res: Response) => Promise<void> | void) {
    return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
      try {
        await fn(req, res);
      } catch (err) {
        next(err);
      }
    };
  }

  #error(err: unknown, req: Request, res: Response): void {
    if (res.headersSent) {
      res.end();
      return;
    }
    if (err instanceof ApiError) return sendProblem(res, err);
    const e = err as { type?: string; status?: number; message?: string };
    // body-parser's errors
    if (e.type === 'entity.too.large') return sendProblem(res, new ApiError('payload-too-large', `the request body is larger than the limit (${e.message ?? ''})`));
    if (e.type === 'charset.unsupported' || e.type === 'encoding.unsupported') return sendProblem(res, new ApiError('unsupported-media-type', e.message ?? 'unsupported encoding'));
    if (e.type === 'request.aborted' || e.type === 'request.size.invalid' || e.type === 'stream.encoding.set') {
      return sendProblem(res, new ApiError('malformed-request', e.message ?? 'malformed request'));
    }
    // The store is the only shared dependency; its errors say which key failed, never a secret.
    this.log.error('control API request failed', { method: req.method, path: `${req.baseUrl}${req.path}`, error: err });
    const retryable = (err as { retryable?: boolean }).retryable === true;
    sendProblem(res, new ApiError(retryable ? 'unavailable' : 'internal', `${req.method} ${req.baseUrl}${req.path} failed: ${e.message ?? String(err)}`));
  }
}

// ---- request helpers

function param(req: Request, name: string): string {
  const v = req.params[name];
  return typeof v === 'string' ? v : '';
}

function mediaType(req: Request): string {
  return (req.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
}

/** The request body as data: JSON or YAML by Content-Type; syntax errors as 400 with line and column. */
function parseBody(req: Request): unknown {
  const type = mediaType(req);
  const text = typeof req.body === 'string' ? req.body : '';
  const yaml = YAML_TYPES.includes(type);
  if (!yaml && !JSON_TYPES.includes(type) && !type.endsWith('+json')) {
    throw new ApiError('unsupported-media-type', `send the body as application/json (or application/yaml), got ${type === '' ? 'no Content-Type' : JSON.stringify(type)}`);
  }
  if (text.trim() === '') throw new ApiError('malformed-request', 'the request body is empty');
  try {
    return yaml ? parseYamlText(text) : parseJsonText(text);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const first: ConfigIssue | undefined = err.issues[0];
    throw new ApiError('malformed-request', first === undefined ? 'the body does not parse' : `malformed ${yaml ? 'YAML' : 'JSON'} at ${first.path}: ${first.message}`, {
      issues: err.issues,
    });
  }
}

/** `If-Match: "7"`, `W/"7"`, `7`, `"3", "7"` or `*`. Tags that are not versions never match. */
function ifMatch(req: Request): IfMatch | undefined {
  const raw = req.get('if-match');
  if (raw === undefined || raw.trim() === '') return undefined;
  if (raw.trim() === '*') return { any: true, raw };
  const versions: number[] = [];
  for (const part of raw.split(',')) {
    const m = /^\s*(?:W\/)?"?([0-9]{1,10})"?\s*$/.exec(part);
    if (m) versions.push(Number(m[1]));
  }
  return { any: false, versions, raw: JSON.stringify(raw.trim()) };
}

function notModified(req: Request, version: number): boolean {
  const raw = req.get('if-none-match');
  if (raw === undefined) return false;
  if (raw.trim() === '*') return true;
  return raw.split(',').some((p) => p.trim().replace(/^W\//, '') === etag(version));
}

function etag(version: number): string {
  return `"${version}"`;
}

function versionHeaders(res: Response, version: number): void {
  res.setHeader('ETag', etag(version));
  res.setHeader('Floe-Config-Version', String(version));
}

function notAllowed(allow: string) {
  return (req: Request, res: Response): void => {
    res.setHeader('Allow', allow);
    sendProblem(res, new ApiError('method-not-allowed', `${req.method} is not allowed here (allowed: ${allow})`));
  };
}

// ---- targets of resource operations

function targetOf(op: WriteOp, s: StoredConfig): unknown {
  switch (op.kind) {
    case 'put-config':
      return s.config;
    case 'put-table':
    case 'delete-table':
      return findTable(s.config, op.name);
    case 'create-table': {
      const name = bodyTableName(op.body);
      return name === undefined ? undefined : findTable(s.config, name);
    }
    case 'put-cluster':
    case 'delete-cluster':
      return findCluster(s.config, op.name);
    case 'create-cluster': {
      const name = isPlainObject(op.body) && typeof op.body.name === 'string' ? op.body.name : undefined;
      return name === undefined ? undefined : findCluster(s.config, name);
    }
  }
}

/** The operation's target is the same in both versions (both absent counts as the same). */
function sameTarget(op: WriteOp, a: StoredConfig, b: StoredConfig): boolean {
  switch (op.kind) {
    case 'put-config':
      return a.version === b.version;
    case 'put-table':
    case 'delete-table':
    case 'create-table':
      return sameTable(targetOf(op, a) as TableConfig | undefined, targetOf(op, b) as TableConfig | undefined);
    case 'put-cluster':
    case 'delete-cluster':
    case 'create-cluster':
      return sameCluster(targetOf(op, a) as never, targetOf(op, b) as never);
  }
}

function unchangedFor(op: WriteOp, previous: StoredConfig | null, current: StoredConfig | null): boolean {
  if (previous === null || current === null) return previous === current;
  if (op.kind === 'create-table' || op.kind === 'create-cluster') return true; // plan() answers 409 if it now exists
  return sameTarget(op, previous, current);
}

function bodyTableName(body: unknown): string | undefined {
  return isPlainObject(body) && typeof body.source_cluster_name === 'string' && typeof body.source_topic === 'string'
    ? tableName(body as Pick<TableConfig, 'source_cluster_name' | 'source_topic'>)
    : undefined;
}

function describeTarget(op: WriteOp): string {
  switch (op.kind) {
    case 'put-config':
      return 'the configuration';
    case 'put-table':
    case 'delete-table':
      return `table ${JSON.stringify(op.name)}`;
    case 'create-table':
      return `table ${JSON.stringify(bodyTableName(op.body) ?? '?')}`;
    case 'put-cluster':
    case 'delete-cluster':
      return `source cluster ${JSON.stringify(op.name)}`;
    case 'create-cluster':
      return 'the source cluster';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
