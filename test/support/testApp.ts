/**
 * Builds the real app (composeApp) for a test: a throwaway local-storage directory, an
 * in-memory PGlite or a fresh PostgreSQL database, and optionally a fresh bucket on a real
 * S3 server. Config goes through loadConfig, exactly as environment variables would.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PutBucketPolicyCommand } from '@aws-sdk/client-s3';
import { composeApp, type ComposedApp } from '../../src/composeApp.ts';
import { loadConfig } from '../../src/config.ts';
import { createLocalAdapter, type OpenWriteStream } from '../../src/storage/adapters/local.ts';
import { createLogger, type Logger } from '../../src/logger.ts';
import { publicReadPolicy } from './bucketPolicy.ts';
import { captureDestination, recordSecret } from './logCapture.ts';
import { createTestDatabaseUrl } from './postgres.ts';
import { createBucket, makeS3Client, type S3Connection } from './s3Server.ts';

/** Every test app gets this HEALTHZ_TOKEN; tests that read /healthz details send HEALTHZ_AUTH. */
export const TEST_HEALTHZ_TOKEN = 'test-healthz-token-not-a-secret';
export const HEALTHZ_AUTH = { Authorization: `Bearer ${TEST_HEALTHZ_TOKEN}` };

export type TestDatabaseKind = 'pglite' | 'postgresql';

export interface TestAppOptions {
  database?: TestDatabaseKind;
  /** Share this PostgreSQL database (a second instance of the same deployment); the caller drops it. */
  databaseUrl?: string;
  /** Store images in a fresh public-read bucket on this server. */
  s3?: S3Connection;
  /** Leave the bucket private (no public-read policy), as signed and proxy modes allow. Only MinIO enforces it. */
  privateBucket?: boolean;
  extraEnv?: Record<string, string>;
  /** Replace the S3 settings the server would get (e.g. a proxy endpoint or wrong keys). */
  s3Overrides?: Partial<{ endpoint: string; secretAccessKey: string }>;
  /** A second bucket on the same server as the backup bucket. */
  backupBucket?: boolean;
  logger?: Logger;
  breakerCooldownMs?: number;
  /** Opens the local adapter's temp files (storage/adapters/local.ts): a test makes writes fail as a full disk does. */
  openLocalWrite?: OpenWriteStream;
}

export interface TestApp extends ComposedApp {
  localDir: string;
  bucket: string | undefined;
  backupBucket: string | undefined;
  close(): Promise<void>;
}

export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const localDir = await fs.mkdtemp(path.join(os.tmpdir(), 'vv-app-'));
  const postgres = options.databaseUrl
    ? { url: options.databaseUrl, drop: async () => undefined }
    : options.database === 'postgresql'
      ? await createTestDatabaseUrl()
      : undefined;
  if (options.database === 'postgresql' && !postgres) throw new Error('TEST_DATABASE_URL is not set');

  let bucket: string | undefined;
  let backupBucket: string | undefined;
  if (options.s3) {
    bucket = `app-${randomBytes(5).toString('hex')}`;
    await createBucket(options.s3, bucket);
    if (options.backupBucket) {
      backupBucket = `backup-${randomBytes(5).toString('hex')}`;
      await createBucket(options.s3, backupBucket);
    }
    if (options.s3.kind === 'minio' && !options.privateBucket) {
      const admin = makeS3Client(options.s3);
      await admin.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: publicReadPolicy(bucket) }));
      admin.destroy();
    }
  }

  const sessionSecret = randomBytes(24).toString('hex');
  recordSecret('a session secret', sessionSecret);
  const config = loadConfig({
    NODE_ENV: 'test',
    // Tests that switch NODE_ENV to production run on a throwaway embedded database on purpose.
    ALLOW_EMBEDDED_DATABASE: 'true',
    DATA_DIR: path.join(localDir, 'data'),
    LOCAL_STORAGE_DIR: path.join(localDir, 'static'),
    UPLOAD_TEMP_DIR: path.join(localDir, 'upload-tmp'),
    SESSION_SECRET: sessionSecret,
    HEALTHZ_TOKEN: TEST_HEALTHZ_TOKEN,
    // Suites sign up many members from 127.0.0.1; the throttle's own test sets its limit back.
    SIGNUPS_PER_IP_PER_HOUR: '100000',
    ...(postgres && { DATABASE_URL: postgres.url }),
    ...(options.s3 &&
      bucket && {
        USE_CLOUD_STORAGE: 'true',
        AWS_BUCKET_NAME: bucket,
        AWS_REGION: options.s3.region,
        AWS_ENDPOINT_URL: options.s3Overrides?.endpoint ?? options.s3.endpoint,
        AWS_ACCESS_KEY_ID: options.s3.accessKeyId,
        AWS_SECRET_ACCESS_KEY: options.s3Overrides?.secretAccessKey ?? options.s3.secretAccessKey,
        ...(backupBucket && { AWS_BACKUP_BUCKET_NAME: backupBucket, AWS_BACKUP_ENDPOINT_URL: options.s3.endpoint }),
      }),
    ...options.extraEnv,
  });
  const composed = await composeApp(config, {
    // Debug level into the run's log capture, so the secret scan sees everything an app could say.
    logger: options.logger ?? createAppLogger(),
    inMemoryDatabase: !postgres,
    breakerCooldownMs: options.breakerCooldownMs,
    localAdapter: options.openLocalWrite
      ? createLocalAdapter({
          rootDir: config.localStorageDir,
          publicPath: '/static',
          openWriteStream: options.openLocalWrite,
        })
      : undefined,
  });
  return {
    ...composed,
    localDir,
    bucket,
    backupBucket,
    async close() {
      // Live session ids are as good as passwords: none may have reached a log line.
      for (const { sid } of await composed.db
        .selectFrom('sessions')
        .select('sid')
        .execute()
        .catch(() => []))
        recordSecret('a session id', sid);
      await composed.close();
      await postgres?.drop();
      await fs.rm(localDir, { recursive: true, force: true });
    },
  };
}

function createAppLogger(): Logger {
  const destination = captureDestination();
  return destination ? createLogger({ level: 'debug', destination }) : createLogger({ level: 'silent' });
}

/** PGlite always; PostgreSQL too when TEST_DATABASE_URL is set (CI sets it). */
export function availableDatabases(databaseUrlAvailable: boolean): TestDatabaseKind[] {
  return databaseUrlAvailable ? ['pglite', 'postgresql'] : ['pglite'];
}
