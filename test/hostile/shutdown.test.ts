/**
 * HOSTILE-INPUT #19. How Render stops an instance: SIGTERM. With images still waiting on local disk (they were
 * uploaded while S3 was down), the real server process pushes them to S3 within the grace
 * period and exits 0 — before its disk is thrown away.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/database.js';
import { publicReadPolicy } from '../support/bucketPolicy.js';
import { makeImage } from '../support/imageFixtures.js';
import { createBucket, makeS3Client, startS3Server, type S3TestServer } from '../support/s3Server.js';
import { HttpMember, startServerProcess, type ServerProcess } from '../support/serverProcess.js';
import { listObjects } from '../support/storedState.js';
import { PutBucketPolicyCommand } from '@aws-sdk/client-s3';

describe('SIGTERM', () => {
  let s3: S3TestServer | undefined;
  let app: ServerProcess | undefined;
  let workDir: string | undefined;
  afterAll(async () => {
    await app?.stop('SIGKILL');
    await s3?.stop();
    if (workDir) await fs.rm(workDir, { recursive: true, force: true });
  });

  it('#19 SIGTERM pushes images pending on local disk to S3 within the grace period and exits 0', async () => {
    s3 = await startS3Server();
    workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'vv-sigterm-'));
    const bucket = `term-${randomBytes(4).toString('hex')}`;
    await createBucket(s3, bucket);
    if (s3.kind === 'minio') await makeS3Client(s3).send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: publicReadPolicy(bucket) }));
    await s3.pause();

    app = await startServerProcess({
      DATA_DIR: path.join(workDir, 'data'),
      LOCAL_STORAGE_DIR: path.join(workDir, 'static'),
      UPLOAD_TEMP_DIR: path.join(workDir, 'tmp'),
      USE_CLOUD_STORAGE: 'true',
      AWS_BUCKET_NAME: bucket,
      AWS_REGION: s3.region,
      AWS_ENDPOINT_URL: s3.endpoint,
      AWS_ACCESS_KEY_ID: s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
      // Only the shutdown may move them: no background pass gets there first.
      RESYNC_INTERVAL_SECONDS: '3600',
      SHUTDOWN_GRACE_SECONDS: '20',
      LOG_LEVEL: 'info',
    });
    const members = ['tess', 'tom', 'tia'].map(() => new HttpMember(app!.origin));
    for (const [i, member] of members.entries()) {
      await member.signUp(['tess', 'tom', 'tia'][i]!);
      expect(await member.uploadAvatar(await makeImage('png', 200, 200, ['#a00000', '#00a000', '#0000a0'][i]))).toBe(303);
    }
    // /healthz counts the outbox at most every 3 s.
    await sleep(3_100);
    expect((await (await fetch(`${app.origin}/healthz`)).json()).storage.pending.count).toBe(3);

    await s3.restart();
    const exitCode = await app.stop('SIGTERM');
    expect(exitCode).toBe(0);
    expect(app.output()).toContain('Before exit: 3 image(s) moved to S3');

    const db = await openDatabase({ databaseUrl: undefined, dataDir: path.join(workDir, 'data') });
    const rows = await db.selectFrom('stored_files').select(['location', 'variants']).execute();
    const pending = await db.selectFrom('pending_copies').selectAll().execute();
    await db.destroy();
    expect(rows.map((row) => row.location)).toEqual(['s3', 's3', 's3']);
    expect(pending).toEqual([]);
    const keys = await listObjects(s3, bucket);
    for (const row of rows) for (const variant of row.variants ?? []) expect(keys).toContain(variant.key);
    expect(await fs.readdir(path.join(workDir, 'static', 'avatars'))).toEqual([]);
  }, 120_000);
});
