// The MinIO of the test rig: settings from test/rig/rig.env (written by `npm run rig:up`), or
// from S3_* variables already in the environment. Without either, S3 tests fail (never skip).

import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';

export interface RigS3 {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  bucket: string;
  region: string;
}

const RIG_ENV = path.resolve(import.meta.dirname, '../../../test/rig/rig.env');

/** Variables of test/rig/rig.env ({} when the rig is not up). */
export function readRigEnv(): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(RIG_ENV, 'utf8');
  } catch {
    return {};
  }
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*(?:export\s+)?([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    let v = m[2].trim();
    if ((v.startsWith("'") && v.endsWith("'")) || (v.startsWith('"') && v.endsWith('"'))) v = v.slice(1, -1);
    out[m[1]] = v;
  }
  return out;
}

/** A rig setting: the environment wins over rig.env. */
export function rigSetting(name: string): string | undefined {
  return process.env[name] || readRigEnv()[name] || undefined;
}

/** The rig's S3 settings, or an Error saying how to get them. */
export function rigS3(): RigS3 | Error {
  const file = readRigEnv();
  const get = (k: string): string | undefined => process.env[k] || file[k];
  const endpoint = get('S3_ENDPOINT');
  const accessKeyId = get('S3_ACCESS_KEY');
  const secretAccessKey = get('S3_SECRET_KEY');
  const bucket = get('S3_BUCKET');
  if (!endpoint || !accessKeyId || !secretAccessKey || !bucket) {
    return new Error(
      `S3 tests need the test rig's MinIO, but S3_ENDPOINT/S3_ACCESS_KEY/S3_SECRET_KEY/S3_BUCKET are not set ` +
        `(looked in the environment and in ${RIG_ENV}). Run \`npm run rig:up\` first.`,
    );
  }
  return { endpoint, accessKeyId, secretAccessKey, bucket, region: get('S3_REGION') || 'us-east-1' };
}

export function rigClient(rig: RigS3, extra: { maxAttempts?: number } = {}): S3Client {
  return new S3Client({
    endpoint: rig.endpoint,
    region: rig.region,
    forcePathStyle: true,
    credentials: { accessKeyId: rig.accessKeyId, secretAccessKey: rig.secretAccessKey },
    ...extra,
  });
}
