/**
 * Vitest global setup: one S3 server for the whole run, shared by every worker through
 * inject('s3'). Tests that need to pause or restart S3 start their own with startS3Server(),
 * because stopping the shared one would break tests running in parallel.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { TEST_PASSWORD } from './browserlessMember.ts';
import { startS3Server, type S3Connection } from './s3Server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The shared S3 server; create a fresh bucket per test file. */
    s3: S3Connection;
    /** True when TEST_DATABASE_URL is set, so createTestDatabaseUrl() returns a database. */
    databaseUrlAvailable: boolean;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Set before the workers start, so every fork (and the server children they spawn) inherits it.
  const captureDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vv-logs-'));
  process.env.VV_LOG_CAPTURE_DIR = captureDir;
  const server = await startS3Server();
  fs.writeFileSync(
    path.join(captureDir, 'secrets-run.txt'),
    `the S3 secret key\t${server.secretAccessKey}\nthe test password\t${TEST_PASSWORD}\n`,
  );
  const { kind, endpoint, region, accessKeyId, secretAccessKey } = server;
  project.provide('s3', { kind, endpoint, region, accessKeyId, secretAccessKey });
  project.provide('databaseUrlAvailable', Boolean(process.env.TEST_DATABASE_URL));
  return () => server.stop();
}
