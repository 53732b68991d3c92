/**
 * Everything an upload could leave behind — objects in the bucket, files under the local
 * storage directory, stored-file, video, outbox, ledger and direct-upload rows, spooled temp
 * files — so tests can assert "nothing stored" exactly (HOSTILE-INPUT's definition).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import request from 'supertest';
import { expect } from 'vitest';
import type { TestApp } from './testApp.ts';
import { makeS3Client, type S3Connection } from './s3Server.ts';

export interface StoredState {
  objects: string[];
  files: string[];
  fileRows: number;
  videoRows: number;
  /** pending_copies: the outbox of copies owed to a bucket. */
  outboxRows: number;
  ledgerRows: number;
  directUploadRows: number;
  /** Spooled uploads still on disk: should always be none between requests. */
  tempFiles: string[];
}

export async function storedState(testApp: TestApp, s3?: S3Connection): Promise<StoredState> {
  return {
    objects: s3 && testApp.bucket ? await listObjects(s3, testApp.bucket) : [],
    files: await listFiles(path.join(testApp.localDir, 'static')),
    fileRows: (await testApp.db.selectFrom('stored_files').select('id').execute()).length,
    videoRows: (await testApp.db.selectFrom('videos').select('id').execute()).length,
    outboxRows: (await testApp.db.selectFrom('pending_copies').select('id').execute()).length,
    ledgerRows: (await testApp.db.selectFrom('upload_ledger').select('id').execute()).length,
    directUploadRows: (await testApp.db.selectFrom('direct_uploads').select('key').execute()).length,
    tempFiles: await listFiles(path.join(testApp.localDir, 'upload-tmp')),
  };
}

/** Asserts that nothing was stored since `before`, and that the process still answers /healthz. */
export async function expectNothingStoredSince(
  before: StoredState,
  testApp: TestApp,
  s3?: S3Connection,
): Promise<void> {
  expect(await storedState(testApp, s3)).toEqual(before);
  const health = await request(testApp.app).get('/healthz');
  expect(health.status).toBe(200);
}

export async function listObjects(s3: S3Connection, bucket: string): Promise<string[]> {
  const client = makeS3Client(s3);
  try {
    const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
    return (listed.Contents ?? []).map((object) => object.Key ?? '').sort();
  } finally {
    client.destroy();
  }
}

/** Keys of incomplete multipart uploads in the bucket (listed without a prefix: MinIO honours only exact keys). */
export async function incompleteUploads(s3: S3Connection, bucket: string): Promise<string[]> {
  const client = makeS3Client(s3);
  try {
    const listed = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    return (listed.Uploads ?? []).map((upload) => upload.Key ?? '');
  } finally {
    client.destroy();
  }
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort();
}
