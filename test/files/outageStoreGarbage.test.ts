/**
 * storage:gc (the worker's daily job and the CLI) also scans the outage store: a blob there
 * whose row was never written — the database went away between storing the bytes and
 * recording them, as in the soak run's PostgreSQL restart — is garbage, removed and given back
 * to the store's bound; a blob a row still waits on is kept. Before, such blobs stayed forever
 * and counted against FALLBACK_MAX_TOTAL_MB.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type AppDatabase, openDatabase } from '../../src/db/database.ts';
import { createDatabaseBlobAdapter } from '../../src/files/fallbackBlobs.ts';
import { createTestDatabaseUrl, type TestDatabase } from '../support/postgres.ts';
import { createBucket } from '../support/s3Server.ts';

const MB = 1024 * 1024;

const s3 = inject('s3');

// The outage store exists only with PostgreSQL and S3 (the embedded database keeps fallbacks on disk).
describe.skipIf(!process.env.TEST_DATABASE_URL)('storage:gc in the outage store (needs TEST_DATABASE_URL)', () => {
  let db: AppDatabase;
  let postgres: TestDatabase | undefined;
  const bucket = `gc-outage-${randomBytes(4).toString('hex')}`;
  beforeAll(async () => {
    postgres = await createTestDatabaseUrl();
    db = await openDatabase({ databaseUrl: postgres?.url, dataDir: undefined });
    await createBucket(s3, bucket);
  });
  afterAll(async () => {
    await db.destroy();
    await postgres?.drop();
  });

  it('removes a blob no row references and a half-written one, keeps one a row waits on, and gives the bytes back', async () => {
    const store = createDatabaseBlobAdapter({ db, maxFileBytes: MB, maxTotalBytes: 10 * MB });
    const put = { contentType: 'image/webp', cacheControl: 'public' };
    await store.put('avatars/u1-orphan.webp', Buffer.alloc(1000, 1), put);
    await store.put('avatars/u1-waiting.webp', Buffer.alloc(700, 2), put);
    // A half-written one, as a put cut off by a database restart leaves it.
    await sql`insert into fallback_blobs (key, content_type) values ('uploads/u1-cut.mp4', 'video/mp4')`.execute(db);
    // Older than the CLI's grace period (0.36 s) by the time it runs.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await db
      .insertInto('stored_files')
      .values({
        owner_id: null,
        folder: 'avatars',
        key: 'avatars/u1-waiting.webp',
        location: 'db',
        content_type: 'image/webp',
        bytes: 700,
        sha256: 'x'.repeat(64),
        width: null,
        height: null,
        placeholder: null,
        spec_version: null,
        variants: null,
        lost_at: null,
      })
      .execute();
    const gc = await promisify(execFile)(
      process.execPath,
      ['src/cli/storageGc.ts', '--delete', '--older-than-hours', '0.0001'],
      {
        env: {
          ...process.env,
          NODE_ENV: 'test',
          DATABASE_URL: postgres!.url,
          // Nowhere: the repository's own static/ must never be what a test's gc scans.
          LOCAL_STORAGE_DIR: `/tmp/${bucket}-no-local-files`,
          USE_CLOUD_STORAGE: 'true',
          AWS_BUCKET_NAME: bucket,
          AWS_REGION: s3.region,
          AWS_ENDPOINT_URL: s3.endpoint,
          AWS_ACCESS_KEY_ID: s3.accessKeyId,
          AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
        },
        timeout: 25_000,
      },
    );
    expect(gc.stdout).toMatch(
      /the outage store in PostgreSQL: 1 unreferenced \(1\.0 kB\) of 2 scanned; 1 in use.*deleted 1/,
    );
    expect(gc.stdout).toContain('the outage store in PostgreSQL: deleted 1 half-written blob(s)');
    expect(await store.head('avatars/u1-orphan.webp')).toBeUndefined();
    expect(await store.head('avatars/u1-waiting.webp')).toMatchObject({ size: 700 });
    expect((await store.usage()).bytes).toBe(700);
    expect((await sql<{ n: number }>`select count(*)::int as n from fallback_blobs`.execute(db)).rows[0]?.n).toBe(1);
  });
});
