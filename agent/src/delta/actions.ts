// Delta Lake log actions as a plain data model, in the exact JSON shape of the Delta transaction
// log protocol, with their (de)serializers and the `_delta_log/` file names. No I/O.
//
// A commit file `_delta_log/<version:020>.json` is newline-delimited JSON, one action per line,
// each an object with a single key naming the action (`{"add": {...}}`). Actions this model does
// not know (cdc, domainMetadata, checkpointMetadata, ...) are kept as `{ other: name, value }`
// so a parse/serialize round trip loses nothing; state replay ignores them.

import { FloeError } from '../errors.ts';

export const DELTA_LOG_DIR = '_delta_log';
export const LAST_CHECKPOINT_FILE = '_last_checkpoint';

export interface Protocol {
  minReaderVersion: number;
  minWriterVersion: number;
  /** Present exactly when minReaderVersion is 3. */
  readerFeatures?: string[];
  /** Present exactly when minWriterVersion is 7. */
  writerFeatures?: string[];
}

export interface Format {
  provider: string;
  options: Record<string, string>;
}

export interface Metadata {
  /** A GUID; the projection uses the Iceberg table-uuid. */
  id: string;
  name?: string | null;
  description?: string | null;
  format: Format;
  /** The table schema (schema.ts `DeltaStructType`) serialized as JSON text. */
  schemaString: string;
  partitionColumns: string[];
  createdTime?: number | null;
  configuration: Record<string, string>;
}

export interface DeletionVectorDescriptor {
  storageType: string;
  pathOrInlineDv: string;
  offset?: number | null;
  sizeInBytes: number;
  cardinality: number;
}

export interface AddFile {
  /** RFC 2396 URI, relative to the table root (or absolute). */
  path: string;
  /** Partition column physical name -> serialized value (null for a null partition value). */
  partitionValues: Record<string, string | null>;
  size: number;
  /** Milliseconds since the epoch. */
  modificationTime: number;
  dataChange: boolean;
  /** Statistics JSON text (stats.ts). */
  stats?: string | null;
  tags?: Record<string, string | null> | null;
  deletionVector?: DeletionVectorDescriptor | null;
  baseRowId?: number | null;
  defaultRowCommitVersion?: number | null;
  clusteringProvider?: string | null;
}

export interface RemoveFile {
  path: string;
  deletionTimestamp?: number | null;
  dataChange: boolean;
  extendedFileMetadata?: boolean | null;
  partitionValues?: Record<string, string | null> | null;
  size?: number | null;
  stats?: string | null;
  tags?: Record<string, string | null> | null;
  deletionVector?: DeletionVectorDescriptor | null;
  baseRowId?: number | null;
  defaultRowCommitVersion?: number | null;
}

/** Transaction identifier: the latest `version` per `appId` is part of the table state. */
export interface Txn {
  appId: string;
  version: number;
  lastUpdated?: number | null;
}

/** Provenance; any JSON. Not part of checkpoints. */
export interface CommitInfo {
  timestamp?: number;
  operation?: string;
  operationParameters?: Record<string, unknown>;
  [key: string]: unknown;
}

export type Action =
  | { protocol: Protocol }
  | { metaData: Metadata }
  | { add: AddFile }
  | { remove: RemoveFile }
  | { txn: Txn }
  | { commitInfo: CommitInfo }
  | { other: string; value: unknown };

export interface LastCheckpoint {
  version: number;
  /** Number of actions (rows) in the checkpoint. */
  size: number;
  parts?: number;
  sizeInBytes?: number;
  numOfAddFiles?: number;
}

// ---------------------------------------------------------------------------------------------
// File names

const VERSION_DIGITS = 20;
const COMMIT_RE = /^(\d{20})\.json$/;
const CLASSIC_CHECKPOINT_RE = /^(\d{20})\.checkpoint\.parquet$/;
const ANY_CHECKPOINT_RE = /^(\d{20})\.checkpoint\..+$/;

function pad(version: number): string {
  if (!Number.isSafeInteger(version) || version < 0) throw new RangeError(`not a Delta version: ${version}`);
  return String(version).padStart(VERSION_DIGITS, '0');
}

/** `00000000000000000007.json` */
export function commitFileName(version: number): string {
  return `${pad(version)}.json`;
}

/** `00000000000000000010.checkpoint.parquet` (classic single-file checkpoint) */
export function checkpointFileName(version: number): string {
  return `${pad(version)}.checkpoint.parquet`;
}

export type LogFile =
  | { kind: 'commit'; version: number }
  | { kind: 'checkpoint'; version: number }
  | { kind: 'other-checkpoint'; version: number }
  | { kind: 'other' };

/** What a file name inside `_delta_log/` is. Multi-part and v2 checkpoints count as "other". */
export function classifyLogFile(name: string): LogFile {
  let m = COMMIT_RE.exec(name);
  if (m) return { kind: 'commit', version: Number(m[1]) };
  m = CLASSIC_CHECKPOINT_RE.exec(name);
  if (m) return { kind: 'checkpoint', version: Number(m[1]) };
  m = ANY_CHECKPOINT_RE.exec(name);
  if (m) return { kind: 'other-checkpoint', version: Number(m[1]) };
  return { kind: 'other' };
}

// ---------------------------------------------------------------------------------------------
// (De)serialization

const KNOWN = ['protocol', 'metaData', 'add', 'remove', 'txn', 'commitInfo'] as const;

/** The JSON object written for one action. */
export function actionToJson(a: Action): Record<string, unknown> {
  if ('other' in a) return { [a.other]: a.value };
  return a as Record<string, unknown>;
}

/** Newline-delimited JSON text of a commit (a trailing newline included). */
export function serializeCommit(actions: Action[]): string {
  return actions.map((a) => JSON.stringify(actionToJson(a))).join('\n') + '\n';
}

function corrupt(where: string, what: string): never {
  throw new FloeError('FLOE_TABLE_CORRUPT', `${where}: ${what}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** One action from its JSON object (the single-key wrapper). */
export function actionFromJson(o: unknown, where: string): Action {
  if (!isObject(o)) corrupt(where, 'an action is not a JSON object');
  const keys = Object.keys(o);
  if (keys.length !== 1) corrupt(where, `an action must have exactly one key, got ${JSON.stringify(keys)}`);
  const key = keys[0];
  const body = o[key];
  if (!(KNOWN as readonly string[]).includes(key)) return { other: key, value: body };
  if (!isObject(body)) corrupt(where, `action ${key} is not an object`);
  switch (key) {
    case 'protocol':
      if (typeof body.minReaderVersion !== 'number' || typeof body.minWriterVersion !== 'number') {
        corrupt(where, 'protocol without minReaderVersion/minWriterVersion');
      }
      return { protocol: body as unknown as Protocol };
    case 'metaData':
      if (typeof body.id !== 'string' || typeof body.schemaString !== 'string') corrupt(where, 'metaData without id/schemaString');
      return {
        metaData: {
          ...(body as object),
          partitionColumns: (body.partitionColumns as string[] | undefined) ?? [],
          configuration: (body.configuration as Record<string, string> | undefined) ?? {},
          format: (body.format as Format | undefined) ?? { provider: 'parquet', options: {} },
        } as Metadata,
      };
    case 'add':
      if (typeof body.path !== 'string') corrupt(where, 'add without path');
      return { add: { ...(body as object), partitionValues: (body.partitionValues as AddFile['partitionValues']) ?? {} } as AddFile };
    case 'remove':
      if (typeof body.path !== 'string') corrupt(where, 'remove without path');
      return { remove: body as unknown as RemoveFile };
    case 'txn':
      if (typeof body.appId !== 'string' || typeof body.version !== 'number') corrupt(where, 'txn without appId/version');
      return { txn: body as unknown as Txn };
    default:
      return { commitInfo: body as CommitInfo };
  }
}

/** Parses the text of a commit file. `where` names it in error messages. */
export function parseCommit(text: string, where: string): Action[] {
  const out: Action[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    let o: unknown;
    try {
      o = JSON.parse(line);
    } catch (err) {
      throw new FloeError('FLOE_TABLE_CORRUPT', `${where}: line ${i + 1} is not JSON: ${(err as Error).message}`, { cause: err });
    }
    out.push(actionFromJson(o, `${where} line ${i + 1}`));
  }
  return out;
}

export function serializeLastCheckpoint(lc: LastCheckpoint): string {
  return JSON.stringify(lc);
}

export function parseLastCheckpoint(text: string, where: string): LastCheckpoint {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch (err) {
    throw new FloeError('FLOE_TABLE_CORRUPT', `${where} is not JSON: ${(err as Error).message}`, { cause: err });
  }
  if (!isObject(o) || typeof o.version !== 'number' || !Number.isSafeInteger(o.version) || o.version < 0) {
    corrupt(where, 'no valid "version"');
  }
  return o as unknown as LastCheckpoint;
}
