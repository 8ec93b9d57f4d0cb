// ObjectStore over S3 and S3-compatible stores (AWS, MinIO, ...) with @aws-sdk/client-s3.
//
// Invariants and decisions:
// - putIfAbsent is `PutObject` (or `CompleteMultipartUpload`) with `If-None-Match: *`.
//   412 Precondition Failed => false (the key exists, nothing was written).
// - 409 ConditionalRequestConflict means another conditional write to the same key is in flight.
//   Its outcome is unknown, so answering `false` ("the key exists") could be a lie. The store
//   retries the request itself a few times with jittered backoff, which normally yields a definite
//   412 (the other write won) or success (it failed); if the conflict persists it throws
//   PreconditionFailed (retryable), which the committer treats like a lost race: reload, re-apply.
// - A 412 on a request the SDK had to retry may be the echo of our own first attempt that reached
//   the server: the stored bytes are compared with ours and an identical object counts as created.
// - Bodies above `multipartThresholdBytes` (default 16 MiB) go through multipart upload; a failed
//   multipart upload is aborted so it leaves no parts behind.
// - Errors are FloeError('FLOE_STORE_IO') naming the op and key; retryable for network errors,
//   throttling and 5xx.

import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type CompletedPart,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { FloeError, PreconditionFailed } from '../errors.ts';
import type { ObjectInfo, ObjectStore } from './store.ts';

const MiB = 1024 * 1024;

export interface S3StoreOptions {
  bucket: string;
  /** Key prefix inside the bucket that becomes the store's root ('' for the bucket root). */
  prefix?: string;
  /** @default AWS_REGION, else 'us-east-1' */
  region?: string;
  /** Custom endpoint (MinIO, ...). @default AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL, else AWS */
  endpoint?: string;
  /** Static credentials; the SDK's default provider chain (AWS_ACCESS_KEY_ID, ...) when absent. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** @default true when an endpoint is set */
  forcePathStyle?: boolean;
  /** Bodies larger than this use multipart upload. @default 16 MiB */
  multipartThresholdBytes?: number;
  /** Multipart part size, at least 5 MiB. @default 16 MiB */
  partSizeBytes?: number;
  /** Parts uploaded in parallel. @default 4 */
  partConcurrency?: number;
  /** Use this client instead of building one (tests). */
  client?: S3Client;
}

/** The S3 store's settings from the AWS SDK's standard environment variables. */
export function s3OptionsFromEnv(
  bucket: string,
  prefix: string,
  region: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): S3StoreOptions {
  const endpoint = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
  const opts: S3StoreOptions = {
    bucket,
    prefix,
    region: region || env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
  };
  if (endpoint) {
    opts.endpoint = endpoint;
    opts.forcePathStyle = true;
  }
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    opts.credentials = { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY };
    if (env.AWS_SESSION_TOKEN) opts.credentials.sessionToken = env.AWS_SESSION_TOKEN;
  }
  return opts;
}

interface SdkErrorShape {
  name?: string;
  Code?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number; attempts?: number };
  $retryable?: unknown;
}

function sdkErr(err: unknown): SdkErrorShape {
  return (typeof err === 'object' && err !== null ? err : {}) as SdkErrorShape;
}

function statusOf(err: unknown): number | undefined {
  return sdkErr(err).$metadata?.httpStatusCode;
}

const THROTTLING = new Set(['SlowDown', 'Throttling', 'ThrottlingException', 'RequestTimeout', 'RequestTimeTooSkewed', 'TooManyRequestsException']);

function isRetryable(err: unknown): boolean {
  const e = sdkErr(err);
  const status = statusOf(err);
  if (status === undefined) return true; // no HTTP response: network, DNS, timeout
  if (status >= 500 || status === 429) return true;
  if (e.$retryable) return true;
  return THROTTLING.has(e.name ?? '') || THROTTLING.has(e.Code ?? '');
}

function isNotFound(err: unknown): boolean {
  const e = sdkErr(err);
  return statusOf(err) === 404 || e.name === 'NoSuchKey' || e.name === 'NotFound';
}

function isPreconditionFailed(err: unknown): boolean {
  return statusOf(err) === 412 || sdkErr(err).name === 'PreconditionFailed';
}

function isConditionalConflict(err: unknown): boolean {
  return statusOf(err) === 409 || sdkErr(err).name === 'ConditionalRequestConflict';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.compare(a, b) === 0;
}

export class S3Store implements ObjectStore {
  readonly url: string;
  readonly bucket: string;
  /** Root prefix inside the bucket, without leading or trailing '/'. */
  readonly prefix: string;
  readonly client: S3Client;
  readonly #threshold: number;
  readonly #partSize: number;
  readonly #partConcurrency: number;

  constructor(opts: S3StoreOptions) {
    if (!opts.bucket) throw new FloeError('FLOE_CONFIG_INVALID', 's3 store: bucket is required');
    this.bucket = opts.bucket;
    this.prefix = (opts.prefix ?? '').replace(/^\/+|\/+$/g, '');
    this.url = `s3://${this.bucket}${this.prefix ? '/' + this.prefix : ''}`;
    this.#threshold = opts.multipartThresholdBytes ?? 16 * MiB;
    this.#partSize = Math.max(5 * MiB, opts.partSizeBytes ?? 16 * MiB);
    this.#partConcurrency = Math.max(1, opts.partConcurrency ?? 4);
    if (opts.client) {
      this.client = opts.client;
    } else {
      const cfg: S3ClientConfig = { region: opts.region ?? 'us-east-1' };
      if (opts.endpoint) cfg.endpoint = opts.endpoint;
      if (opts.forcePathStyle ?? opts.endpoint !== undefined) cfg.forcePathStyle = true;
      if (opts.credentials) cfg.credentials = opts.credentials;
      this.client = new S3Client(cfg);
    }
  }

  async get(key: string): Promise<Uint8Array | null> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.#full(key) }));
      if (!res.Body) return new Uint8Array(0);
      return await res.Body.transformToByteArray();
    } catch (err) {
      if (isNotFound(err)) return null;
      throw this.#ioError('get', key, err);
    }
  }

  async put(key: string, body: Uint8Array): Promise<void> {
    try {
      if (body.byteLength > this.#threshold) {
        await this.#multipart(key, body, false);
      } else {
        await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.#full(key), Body: body }));
      }
    } catch (err) {
      throw this.#ioError('put', key, err);
    }
  }

  async putIfAbsent(key: string, body: Uint8Array): Promise<boolean> {
    const maxConflictRetries = 6;
    for (let i = 0; ; i++) {
      try {
        if (body.byteLength > this.#threshold) {
          await this.#multipart(key, body, true);
        } else {
          await this.client.send(
            new PutObjectCommand({ Bucket: this.bucket, Key: this.#full(key), Body: body, IfNoneMatch: '*' }),
          );
        }
        return true;
      } catch (err) {
        if (isPreconditionFailed(err)) {
          // After SDK-level retries a 412 may answer our own earlier, successful attempt.
          if ((sdkErr(err).$metadata?.attempts ?? 1) > 1) {
            const existing = await this.get(key);
            return existing !== null && sameBytes(existing, body);
          }
          return false;
        }
        if (isConditionalConflict(err)) {
          if (i < maxConflictRetries) {
            await sleep(Math.random() * 25 * 2 ** i);
            continue;
          }
          throw new PreconditionFailed(
            `s3 store ${this.url}: putIfAbsent ${JSON.stringify(key)}: a concurrent conditional write kept conflicting (409 ConditionalRequestConflict)`,
            { cause: err },
          );
        }
        throw this.#ioError('putIfAbsent', key, err);
      }
    }
  }

  async head(key: string): Promise<ObjectInfo | null> {
    try {
      const res = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.#full(key) }));
      return { key, size: Number(res.ContentLength ?? 0), lastModified: res.LastModified ?? new Date(0) };
    } catch (err) {
      if (isNotFound(err)) return null;
      throw this.#ioError('head', key, err);
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    const root = this.prefix ? this.prefix + '/' : '';
    let token: string | undefined;
    do {
      let res;
      try {
        res = await this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: root + prefix, ContinuationToken: token }),
        );
      } catch (err) {
        throw this.#ioError('list', prefix, err);
      }
      for (const o of res.Contents ?? []) {
        if (o.Key === undefined || !o.Key.startsWith(root)) continue;
        yield { key: o.Key.slice(root.length), size: Number(o.Size ?? 0), lastModified: o.LastModified ?? new Date(0) };
      }
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
  }

  async delete(keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      let res;
      try {
        res = await this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: batch.map((k) => ({ Key: this.#full(k) })), Quiet: true },
          }),
        );
      } catch (err) {
        throw this.#ioError('delete', batch.length === 1 ? batch[0] : `${batch[0]} (+${batch.length - 1} more)`, err);
      }
      const errors = (res.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey');
      if (errors.length > 0) {
        const first = errors[0];
        throw new FloeError(
          'FLOE_STORE_IO',
          `s3 store ${this.url}: delete ${JSON.stringify(first.Key)} failed: ${first.Code} ${first.Message ?? ''}` +
            (errors.length > 1 ? ` (and ${errors.length - 1} more keys)` : ''),
          { retryable: errors.some((e) => e.Code === 'InternalError' || e.Code === 'SlowDown') },
        );
      }
    }
  }

  async #multipart(key: string, body: Uint8Array, ifNoneMatch: boolean): Promise<void> {
    const Key = this.#full(key);
    const created = await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key }));
    const UploadId = created.UploadId;
    if (!UploadId) throw new Error('CreateMultipartUpload returned no UploadId');
    try {
      const count = Math.ceil(body.byteLength / this.#partSize);
      const parts: CompletedPart[] = new Array(count);
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < count) {
          const idx = next++;
          const chunk = body.subarray(idx * this.#partSize, Math.min(body.byteLength, (idx + 1) * this.#partSize));
          const res = await this.client.send(
            new UploadPartCommand({ Bucket: this.bucket, Key, UploadId, PartNumber: idx + 1, Body: chunk }),
          );
          parts[idx] = { PartNumber: idx + 1, ETag: res.ETag };
        }
      };
      await Promise.all(Array.from({ length: Math.min(this.#partConcurrency, count) }, worker));
      await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key,
          UploadId,
          MultipartUpload: { Parts: parts },
          ...(ifNoneMatch ? { IfNoneMatch: '*' } : {}),
        }),
      );
    } catch (err) {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId })).catch(() => {});
      throw err;
    }
  }

  #full(key: string): string {
    if (key === '' || key.startsWith('/')) {
      throw new FloeError('FLOE_STORE_IO', `s3 store ${this.url}: invalid key ${JSON.stringify(key)}`);
    }
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  #ioError(op: string, key: string, err: unknown): FloeError {
    const e = sdkErr(err);
    const status = statusOf(err);
    const what = err instanceof Error ? err.message : String(err);
    const detail = `${e.name ?? 'Error'}${status !== undefined ? ` (HTTP ${status})` : ''}: ${what}`;
    return new FloeError('FLOE_STORE_IO', `s3 store ${this.url}: ${op} ${JSON.stringify(key)} failed: ${detail}`, {
      cause: err,
      retryable: isRetryable(err),
    });
  }
}
