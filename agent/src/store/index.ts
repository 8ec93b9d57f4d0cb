// Object stores: the interface, both implementations, and `openStore(bucketUrl)`.
//
// Bucket URLs (seed format plus file://, parsed by config/bucket.ts):
//   s3://bucket?region=eu-west-1&prefix=warehouse   -> S3Store, root = bucket/warehouse
//   file:///abs/path?prefix=warehouse                -> FileStore, root = /abs/path/warehouse

import * as path from 'node:path';
import { parseBucketUrl } from '../config/bucket.ts';
import { FloeError } from '../errors.ts';
import { FileStore } from './file.ts';
import { S3Store, s3OptionsFromEnv, type S3StoreOptions } from './s3.ts';
import type { ObjectStore } from './store.ts';

export type { ObjectInfo, ObjectStore } from './store.ts';
export { FileStore } from './file.ts';
export { S3Store, s3OptionsFromEnv, type S3StoreOptions } from './s3.ts';

export interface OpenStoreOptions {
  /** Overrides for S3 stores (endpoint, credentials, client, ...); the environment fills the rest. */
  s3?: Partial<S3StoreOptions>;
  /** Environment to read AWS_* settings from. @default process.env */
  env?: NodeJS.ProcessEnv;
}

/** A parsed bucket URL (the shape config/bucket.ts produces). */
export type StoreLocation =
  | { kind: 's3'; bucket: string; prefix: string; region?: string; endpoint?: string; forcePathStyle?: boolean }
  | { kind: 'file'; path: string; prefix: string };

function joinPrefix(...parts: (string | null | undefined)[]): string {
  return parts
    .map((p) => (p ?? '').replace(/^\/+|\/+$/g, ''))
    .filter((p) => p !== '')
    .join('/');
}

/**
 * Opens the store of a parsed location. S3 settings the location lacks come from the AWS SDK's
 * standard environment (AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID, ...).
 */
export function openStoreAt(loc: StoreLocation, env: NodeJS.ProcessEnv = process.env, s3?: Partial<S3StoreOptions>): ObjectStore {
  if (loc.kind === 'file') {
    if (!path.isAbsolute(loc.path)) {
      throw new FloeError('FLOE_CONFIG_INVALID', `file store path must be absolute, got ${JSON.stringify(loc.path)}`);
    }
    const prefix = joinPrefix(loc.prefix);
    return new FileStore(prefix ? path.join(loc.path, ...prefix.split('/')) : loc.path);
  }
  const opts = s3OptionsFromEnv(loc.bucket, joinPrefix(loc.prefix), loc.region, env);
  if (loc.endpoint) opts.endpoint = loc.endpoint;
  if (loc.forcePathStyle || opts.endpoint) opts.forcePathStyle = true;
  Object.assign(opts, s3);
  if (s3?.endpoint && s3.forcePathStyle === undefined) opts.forcePathStyle = true;
  return new S3Store(opts);
}

/**
 * Opens the object store a bucket URL names (`s3://bucket?region=..&prefix=..`, `file:///path`;
 * parsed by config/bucket.ts, which also takes MinIO's `endpoint` and path-style parameters).
 * Throws FLOE_CONFIG_INVALID for a malformed URL, naming the value.
 */
export function openStore(bucketUrl: string, options: OpenStoreOptions = {}): ObjectStore {
  return openStoreAt(parseBucketUrl(bucketUrl), options.env ?? process.env, options.s3);
}
