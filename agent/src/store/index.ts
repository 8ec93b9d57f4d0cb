// Object stores: the interface, both implementations, and `openStore(bucketUrl)`.
//
// Bucket URLs (seed format plus file://):
//   s3://bucket?region=eu-west-1&prefix=warehouse   -> S3Store, root = bucket/warehouse
//   file:///abs/path?prefix=warehouse                -> FileStore, root = /abs/path/warehouse
// A path after the bucket (`s3://bucket/a/b`) is accepted too and comes before `prefix`.

import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
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
 * Opens the object store a bucket URL names. Throws FLOE_CONFIG_INVALID for a malformed URL.
 * S3 URLs also take `endpoint` (URL or host:port), `s3ForcePathStyle` / `use_path_style` and
 * `disableSSL`, as the configuration's bucket URLs do.
 */
export function openStore(bucketUrl: string, options: OpenStoreOptions = {}): ObjectStore {
  let url: URL;
  try {
    url = new URL(bucketUrl);
  } catch (err) {
    throw new FloeError('FLOE_CONFIG_INVALID', `bucket URL ${JSON.stringify(bucketUrl)} is not a URL`, { cause: err });
  }
  const q = url.searchParams;
  const prefixParam = q.get('prefix');
  const env = options.env ?? process.env;
  switch (url.protocol) {
    case 's3:': {
      const bucket = decodeURIComponent(url.hostname);
      if (!bucket) {
        throw new FloeError('FLOE_CONFIG_INVALID', `bucket URL ${JSON.stringify(bucketUrl)} names no bucket`);
      }
      const loc: StoreLocation = {
        kind: 's3',
        bucket,
        prefix: joinPrefix(decodeURIComponent(url.pathname), prefixParam),
        forcePathStyle: q.get('s3ForcePathStyle') === 'true' || q.get('use_path_style') === 'true',
      };
      const region = q.get('region');
      if (region) loc.region = region;
      let endpoint = q.get('endpoint');
      if (endpoint) {
        if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(endpoint)) endpoint = `${q.get('disableSSL') === 'true' ? 'http' : 'https'}://${endpoint}`;
        loc.endpoint = endpoint;
      }
      return openStoreAt(loc, env, options.s3);
    }
    case 'file:': {
      if (url.host !== '' && url.host !== 'localhost') {
        throw new FloeError(
          'FLOE_CONFIG_INVALID',
          `bucket URL ${JSON.stringify(bucketUrl)}: file URLs must be absolute (file:///path), got host ${JSON.stringify(url.host)}`,
        );
      }
      const base = fileURLToPath(new URL(url.pathname, 'file://'));
      return openStoreAt({ kind: 'file', path: base, prefix: joinPrefix(prefixParam) }, env);
    }
    default:
      throw new FloeError(
        'FLOE_CONFIG_INVALID',
        `bucket URL ${JSON.stringify(bucketUrl)}: unsupported scheme ${JSON.stringify(url.protocol)} (use s3:// or file://)`,
      );
  }
}
