// destination_bucket_url, per the seed: `s3://bucket?region=<region>&prefix=<prefix>` (both query
// parameters optional), plus `file:///absolute/path` for the embedded local store.
//
// Seed-compatible extras for S3-compatible stores (MinIO, ...), spelled as the gocloud.dev s3blob
// URLs WarpStream uses: `endpoint` (URL or host:port), `s3ForcePathStyle` / `use_path_style`,
// `disableSSL` (only for an endpoint without scheme). `awssdk` is accepted and ignored. Any other
// parameter is refused, so a typo cannot silently change where tables go.

import { ConfigError } from '../errors.ts';
import { Issues, didYouMean, quote } from './issues.ts';

export type BucketLocation =
  | {
      kind: 's3';
      bucket: string;
      /** Normalized: no leading or trailing '/', '' when absent. */
      prefix: string;
      region?: string;
      /** Full URL with scheme, e.g. `http://127.0.0.1:9000`. */
      endpoint?: string;
      forcePathStyle: boolean;
    }
  | {
      kind: 'file';
      /** Absolute directory on the local file system. */
      path: string;
      prefix: string;
    };

const S3_PARAMS = ['region', 'prefix', 'endpoint', 's3ForcePathStyle', 'use_path_style', 'disableSSL', 'awssdk'] as const;
const FILE_PARAMS = ['prefix'] as const;
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const REGION = /^[a-z0-9-]+$/;

/** Parses a bucket URL; throws ConfigError at path `destination_bucket_url`. */
export function parseBucketUrl(url: string, path = 'destination_bucket_url'): BucketLocation {
  const issues = new Issues();
  const loc = checkBucketUrl(url, path, issues);
  if (loc === undefined) throw new ConfigError(issues.list);
  return loc;
}

/** As parseBucketUrl, adding issues to the caller's collection. */
export function checkBucketUrl(url: string, path: string, issues: Issues): BucketLocation | undefined {
  const before = issues.list.length;
  const bad = (why: string) => issues.at(path, `${why} in ${quote(url)}`);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    issues.at(path, `${quote(url)} is not a URL; expected s3://bucket?region=..&prefix=.. or file:///absolute/path`);
    return undefined;
  }
  if (u.protocol !== 's3:' && u.protocol !== 'file:') {
    issues.at(path, `unsupported scheme ${quote(u.protocol.replace(/:$/, ''))} in ${quote(url)} (supported: s3://, file://)`);
    return undefined;
  }
  if (u.hash !== '') bad('unexpected #fragment');
  if (u.username !== '' || u.password !== '') bad('credentials do not belong in the bucket URL (the agent uses its IAM role or AWS_* variables)');

  const params = new Map<string, string>();
  const allowed: readonly string[] = u.protocol === 's3:' ? S3_PARAMS : FILE_PARAMS;
  for (const [k, v] of u.searchParams) {
    if (!allowed.includes(k)) bad(`unknown query parameter ${quote(k)}${didYouMean(k, allowed)}`);
    else if (params.has(k)) bad(`query parameter ${quote(k)} given twice`);
    else params.set(k, v);
  }
  const prefix = normalizePrefix(params.get('prefix') ?? '', bad);

  if (u.protocol === 'file:') {
    if (!url.startsWith('file:///')) {
      bad('a file URL needs an absolute path, file:///like/this');
      return undefined;
    }
    let dir: string;
    try {
      dir = decodeURIComponent(u.pathname);
    } catch {
      bad('malformed percent-encoding in the path');
      return undefined;
    }
    // URL() already resolved dot segments away; check what was written.
    const written = url.slice('file://'.length).split(/[?#]/)[0];
    if (written.split('/').some((s) => s === '..' || s === '.' || s === '%2e%2e' || s === '%2E%2E')) bad('the path must not contain . or .. segments');
    if (dir.length > 1 && dir.endsWith('/')) dir = dir.replace(/\/+$/, '');
    if (issues.list.length > before) return undefined;
    return { kind: 'file', path: dir, prefix };
  }

  const bucket = u.hostname;
  if (bucket === '') {
    bad('missing bucket name');
    return undefined;
  }
  if (u.port !== '') bad(`unexpected port ${u.port} after the bucket name (use ?endpoint=host:port for an S3-compatible store)`);
  if (!BUCKET_NAME.test(bucket) || bucket.includes('..')) {
    bad(`invalid bucket name ${quote(bucket)} (3-63 lowercase letters, digits, dots and hyphens)`);
  }
  if (u.pathname !== '' && u.pathname !== '/') bad(`unexpected path ${quote(u.pathname)} after the bucket name (use ?prefix=...)`);
  const region = params.get('region');
  if (region !== undefined && !REGION.test(region)) bad(`invalid region ${quote(region)}`);
  const forcePathStyle = parseBool('s3ForcePathStyle', params, bad) || parseBool('use_path_style', params, bad);
  const disableSsl = parseBool('disableSSL', params, bad);
  let endpoint = params.get('endpoint');
  if (endpoint !== undefined) {
    if (endpoint === '') bad('empty endpoint');
    else {
      if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(endpoint)) endpoint = `${disableSsl ? 'http' : 'https'}://${endpoint}`;
      try {
        const e = new URL(endpoint);
        if (e.protocol !== 'http:' && e.protocol !== 'https:') bad(`endpoint ${quote(endpoint)} must be http or https`);
        endpoint = endpoint.replace(/\/+$/, '');
      } catch {
        bad(`endpoint ${quote(endpoint)} is not a URL`);
      }
    }
  }
  if (issues.list.length > before) return undefined;
  const loc: BucketLocation = { kind: 's3', bucket, prefix, forcePathStyle };
  if (region !== undefined) loc.region = region;
  if (endpoint !== undefined) loc.endpoint = endpoint;
  return loc;
}

function parseBool(name: string, params: Map<string, string>, bad: (why: string) => void): boolean {
  const v = params.get(name);
  if (v === undefined) return false;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  bad(`${name} must be true or false, got ${quote(v)}`);
  return false;
}

function normalizePrefix(prefix: string, bad: (why: string) => void): string {
  const segments = prefix.split('/').filter((s) => s !== '');
  if (segments.some((s) => s === '.' || s === '..')) bad('the prefix must not contain . or .. segments');
  return segments.join('/');
}
