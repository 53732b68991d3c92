/**
 * The app as Render runs it (`node src/server.ts`, on PostgreSQL, S3 behind a proxy) and what
 * the slow-S3 tests measure on it: front-page latencies over bounded blocks, p99, the server's
 * RSS, and avatar uploads whose answer (status, Retry-After, page) is kept.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PutBucketPolicyCommand } from '@aws-sdk/client-s3';
import { publicReadPolicy } from './bucketPolicy.ts';
import { createBucket, makeS3Client, type S3Connection } from './s3Server.ts';
import { HttpMember, type ServerProcess, startServerProcess } from './serverProcess.ts';
import { TEST_HEALTHZ_TOKEN } from './testApp.ts';

export interface AppAgainstS3 {
  server: ServerProcess;
  bucket: string;
  close(): Promise<void>;
}

/** A server process on `databaseUrl` whose S3 endpoint is `endpoint` (a proxy in front of `s3`). */
export async function startAppAgainst(
  s3: S3Connection,
  endpoint: string,
  databaseUrl: string,
  env: Record<string, string> = {},
): Promise<AppAgainstS3> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vv-slow-s3-'));
  const bucket = `slow-${randomBytes(5).toString('hex')}`;
  await createBucket(s3, bucket);
  if (s3.kind === 'minio') {
    const admin = makeS3Client(s3);
    await admin.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: publicReadPolicy(bucket) }));
    admin.destroy();
  }
  const server = await startServerProcess({
    DATABASE_URL: databaseUrl,
    USE_CLOUD_STORAGE: 'true',
    AWS_BUCKET_NAME: bucket,
    AWS_REGION: s3.region,
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    SESSION_SECRET: randomBytes(24).toString('hex'),
    DATA_DIR: path.join(dir, 'data'),
    LOCAL_STORAGE_DIR: path.join(dir, 'static'),
    UPLOAD_TEMP_DIR: path.join(dir, 'tmp'),
    HEALTHZ_TOKEN: TEST_HEALTHZ_TOKEN,
    // The tests upload far faster than a member would; the upload gate is what they measure.
    UPLOADS_PER_MINUTE: '10000',
    SIGNUPS_PER_IP_PER_HOUR: '10000',
    LOGIN_ATTEMPTS_PER_IP: '10000',
    LOG_LEVEL: 'warn',
    ...env,
  });
  return {
    server,
    bucket,
    async close() {
      await server.stop('SIGKILL').catch(() => undefined);
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Front-page latencies (ms), one request after another, until `durationMs` has passed (and at
 * least `minRequests` were made, within `maxMs`) or `maxRequests` were made. A failed request
 * counts as the time it took, and is reported.
 */
export async function frontPageLatencies(
  origin: string,
  {
    durationMs,
    maxRequests,
    minRequests = 0,
    maxMs = durationMs,
  }: { durationMs: number; maxRequests: number; minRequests?: number; maxMs?: number },
): Promise<{ latencies: number[]; failures: number }> {
  const latencies: number[] = [];
  let failures = 0;
  const started = performance.now();
  // A busy machine gets fewer requests into `durationMs`; going on until `minRequests` keeps the p99 worth its name.
  const goOn = () => {
    const elapsed = performance.now() - started;
    return elapsed < maxMs && (elapsed < durationMs || latencies.length < minRequests);
  };
  while (latencies.length < maxRequests && goOn()) {
    const sent = performance.now();
    const ok = await fetch(`${origin}/`, { signal: AbortSignal.timeout(10_000) }).then(
      async (response) => {
        await response.arrayBuffer();
        return response.status === 200;
      },
      () => false,
    );
    latencies.push(performance.now() - sent);
    if (!ok) failures += 1;
  }
  return { latencies, failures };
}

/** The 99th percentile (nearest rank). */
export function p99(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(0.99 * sorted.length) - 1)] ?? Number.NaN;
}

/** The resident set of a process, from /proc (Linux), in bytes. */
export async function rssOf(pid: number): Promise<number> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
  const kib = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
  if (kib === undefined) throw new Error(`no VmRSS for process ${pid}`);
  return Number(kib) * 1024;
}

export interface UploadAnswer {
  status: number;
  retryAfter: string | null;
  body: string;
  elapsedMs: number;
}

/**
 * Posts the avatar form with `image`, keeping the whole answer. Concurrent uploads by one member
 * pass the form's token (`csrfToken`), as two tabs opened before would: fetching it for each
 * would race the session's writes.
 */
export async function uploadAvatar(member: HttpMember, image: Buffer, csrfToken?: string): Promise<UploadAnswer> {
  const form = new FormData();
  form.set('_csrf', csrfToken ?? (await member.csrfToken('/profile')));
  form.set('avatar', new Blob([new Uint8Array(image)], { type: 'image/png' }), 'me.png');
  const started = performance.now();
  const response = await member.request('/profile/avatar', {
    method: 'POST',
    body: form,
    headers: { accept: 'text/html' },
    signal: AbortSignal.timeout(60_000),
  });
  const body = await response.text();
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body,
    elapsedMs: performance.now() - started,
  };
}

/** Signs up `count` members named `<prefix><n>`, one after another. */
export async function signUpMembers(origin: string, prefix: string, count: number): Promise<HttpMember[]> {
  const members: HttpMember[] = [];
  for (let i = 0; i < count; i++) {
    const member = new HttpMember(origin);
    await member.signUp(`${prefix}${i}`);
    members.push(member);
  }
  return members;
}
