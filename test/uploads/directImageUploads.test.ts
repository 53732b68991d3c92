/**
 * Direct uploads end to end against a real S3 server, on the embedded database and (with
 * TEST_DATABASE_URL) on PostgreSQL: sign, let "the browser" POST to the bucket, finalize.
 * Finalize only checks (owner, first bytes) and queues the direct-image job; the job runs the
 * same pipeline as a form upload. Refused uploads — not an image (at finalize), damaged bytes
 * (in the job), not the caller's, finalized already — leave nothing behind, and a job retried
 * after a failed attempt stores one row and one object set.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AppDatabase } from '../../src/db/database.ts';
import { createPostSigner } from '../../src/storage/presignedPost.ts';
import { createS3Client } from '../../src/storage/s3Client.ts';
import { createDirectUploads } from '../../src/uploads/directImageUploads.ts';
import { readDirectImageUpload } from '../../src/uploads/directUploadStatus.ts';
import { directImageJob } from '../../src/uploads/processDirectImage.ts';
import { DIRECT_UPLOAD_EXPIRES_SECONDS } from '../../src/storage/storageFromConfig.ts';
import { withOutcomes, type WithOutcomes } from '../support/refusalOutcomes.ts';
import { openDirectUploadSetting, type DirectUploadSetting } from '../support/directUploadSetting.ts';
import { makeImage, NOT_AN_IMAGE } from '../support/imageFixtures.ts';
import { drainJobs } from '../support/jobDrain.ts';
import { createTestDatabaseUrl, type TestDatabase } from '../support/postgres.ts';
import { listObjects } from '../support/storedState.ts';

const server = inject('s3');

const databases = [
  { name: 'the embedded database', postgres: false },
  { name: 'PostgreSQL', postgres: true },
] as const;

describe.each(databases)('direct uploads on $name', ({ postgres }) => {
  const skip = postgres && !process.env.TEST_DATABASE_URL;
  let setting: DirectUploadSetting;
  let database: TestDatabase | undefined;
  let db: AppDatabase;
  let bucket: string;
  let directUploads: WithOutcomes<ReturnType<typeof createDirectUploads>>;
  let alice: number;
  let bob: number;

  beforeAll(async () => {
    if (skip) return;
    database = postgres ? await createTestDatabaseUrl() : undefined;
    setting = await openDirectUploadSetting(server, 'direct', database?.url);
    ({ db, bucket, alice, bob } = setting);
    const { settings, s3, logger } = setting;
    directUploads = withOutcomes(
      createDirectUploads({
        db,
        s3,
        logger,
        maxImageBytes: 5 * 1024 * 1024,
        sign: createPostSigner({
          client: createS3Client(settings),
          bucket,
          expiresSeconds: DIRECT_UPLOAD_EXPIRES_SECONDS,
        }),
      }),
    );
  });
  afterAll(async () => {
    await setting?.close();
    await database?.drop();
  });

  const runJobs = (onStep?: (step: string) => Promise<void>) =>
    drainJobs(
      db,
      [directImageJob({ db, s3: setting.s3, imageStorage: setting.imageStorage, logger: setting.logger })],
      setting.logger,
      {
        onStep,
      },
    );
  const jobRows = async () =>
    (await sql<{ kind: string; attempts: number }>`select kind, attempts from jobs`.execute(db)).rows;
  const storedRows = async () => (await db.selectFrom('stored_files').select('id').execute()).length;

  /** What the browser script does with a signed form. */
  async function sendToBucket(signed: { url: string; fields: Record<string, string> }, bytes: Buffer): Promise<number> {
    const form = new FormData();
    for (const [name, value] of Object.entries(signed.fields)) form.set(name, value);
    form.set('file', new Blob([new Uint8Array(bytes)]), 'photo');
    return (await fetch(signed.url, { method: 'POST', body: form })).status;
  }

  async function signed(userId: number, bytes: Buffer, contentType = 'image/jpeg') {
    const outcome = await directUploads.presign(userId, {
      purpose: 'avatar',
      contentType,
      size: bytes.length,
      videoId: null,
    });
    if (!outcome.ok) throw new Error(outcome.error);
    expect(await sendToBucket(outcome.value, bytes)).toBeLessThan(300);
    return outcome.value;
  }

  it.skipIf(skip)(
    'finalize queues the job and answers at once; the job stores the avatar through the pipeline and removes the temporary object',
    async () => {
      const upload = await signed(alice, await makeImage('jpeg', 300, 300, '#0a7'));
      expect(upload.key).toMatch(new RegExp(`^incoming/u${alice}/[0-9a-f]{32}$`));
      const outcome = await directUploads.finalize(alice, upload.key);
      if (!outcome.ok) throw new Error(outcome.error);
      expect(outcome.value.state).toBe('processing');
      expect(outcome.value.slot.page).toBe('/profile');
      expect((await readDirectImageUpload(db, upload.key))?.status).toEqual({ state: 'processing', page: '/profile' });
      expect(await jobRows()).toEqual([{ kind: 'direct-image', attempts: 0 }]);
      expect(await storedRows()).toBe(0);

      await runJobs();
      const settled = await readDirectImageUpload(db, upload.key);
      expect(settled?.status).toEqual({ state: 'stored', page: '/profile' });
      const user = await db
        .selectFrom('users')
        .select('avatar_image_id')
        .where('id', '=', alice)
        .executeTakeFirstOrThrow();
      expect(user.avatar_image_id).toBe(settled?.storedFileId);
      const file = await db
        .selectFrom('stored_files')
        .selectAll()
        .where('id', '=', settled?.storedFileId ?? -1)
        .executeTakeFirstOrThrow();
      expect(file.location).toBe('s3');
      expect(file.owner_id).toBe(alice);
      const keys = await listObjects(server, bucket);
      expect(keys.some((key) => key.startsWith('incoming/'))).toBe(false);
      expect(keys).toEqual((file.variants ?? []).map((variant) => variant.key).sort());
      expect(await jobRows()).toEqual([]);
    },
  );

  it.skipIf(skip)(
    'refuses bytes that are not an image at finalize, whatever type was declared, leaving nothing behind',
    async () => {
      const before = await listObjects(server, bucket);
      const rows = await storedRows();
      const upload = await signed(alice, NOT_AN_IMAGE.html);
      const outcome = await directUploads.finalize(alice, upload.key);
      expect(outcome).toMatchObject({ ok: false, status: 415 });
      expect(await listObjects(server, bucket)).toEqual(before);
      expect(await storedRows()).toBe(rows);
      expect(await jobRows()).toEqual([]);
      expect((await readDirectImageUpload(db, upload.key))?.status.state).toBe('refused');
    },
  );

  it.skipIf(skip)(
    'bytes that look like a JPEG but cannot be decoded are refused by the job, with the sentence the member sees',
    async () => {
      const before = await listObjects(server, bucket);
      const rows = await storedRows();
      const avatarBefore = await db
        .selectFrom('users')
        .select('avatar_image_id')
        .where('id', '=', alice)
        .executeTakeFirst();
      const damaged = Buffer.concat([
        (await makeImage('jpeg', 300, 300, '#f80')).subarray(0, 600),
        Buffer.alloc(4000, 7),
      ]);
      const upload = await signed(alice, damaged);
      expect(await directUploads.finalize(alice, upload.key)).toMatchObject({
        ok: true,
        value: { state: 'processing' },
      });
      await runJobs();
      const status = (await readDirectImageUpload(db, upload.key))?.status;
      expect(status?.state).toBe('refused');
      expect(status?.refusal).toMatch(/damaged or incomplete/);
      expect(await listObjects(server, bucket)).toEqual(before);
      expect(await storedRows()).toBe(rows);
      expect(await db.selectFrom('users').select('avatar_image_id').where('id', '=', alice).executeTakeFirst()).toEqual(
        avatarBefore,
      );
      expect(await jobRows()).toEqual([]);
    },
  );

  it.skipIf(skip)(
    'a job whose first attempt fails after writing the variants is retried: one row, one object set',
    async () => {
      const upload = await signed(bob, await makeImage('png', 400, 400, '#36c'));
      expect(await directUploads.finalize(bob, upload.key)).toMatchObject({ ok: true });
      let failures = 0;
      await runJobs(async (step) => {
        if (step === 'written' && failures++ === 0) throw new Error('power cut between writing and committing');
      });
      expect(failures).toBe(2);
      const settled = await readDirectImageUpload(db, upload.key);
      expect(settled?.status.state).toBe('stored');
      const files = await db.selectFrom('stored_files').selectAll().where('owner_id', '=', bob).execute();
      expect(files).toHaveLength(1);
      const bobKeys = (await listObjects(server, bucket)).filter((key) => key.startsWith(`avatars/u${bob}-`));
      expect(bobKeys).toEqual((files[0]?.variants ?? []).map((variant) => variant.key).sort());
      expect((await listObjects(server, bucket)).some((key) => key.startsWith('incoming/'))).toBe(false);
      expect(await jobRows()).toEqual([]);
    },
  );

  it.skipIf(skip)("refuses to finalize another member's upload, and one finalized already", async () => {
    const upload = await signed(bob, await makeImage('png', 200, 200, '#a0a'));
    expect(await directUploads.finalize(alice, upload.key)).toMatchObject({ ok: false, status: 403 });
    expect(await directUploads.finalize(bob, upload.key)).toMatchObject({ ok: true });
    expect(await directUploads.finalize(bob, upload.key)).toMatchObject({ ok: false, status: 409 });
    expect(await directUploads.finalize(bob, 'incoming/u1/nonexistent')).toMatchObject({ ok: false, status: 404 });
    // One job for the one accepted finalize.
    expect(await jobRows()).toEqual([{ kind: 'direct-image', attempts: 0 }]);
    await runJobs();
  });

  it.skipIf(skip)(
    'signs nothing for a declared non-image type, an oversized file, or a video that is not yours',
    async () => {
      expect(
        await directUploads.presign(alice, { purpose: 'avatar', contentType: 'text/html', size: 100, videoId: null }),
      ).toMatchObject({ ok: false, status: 415 });
      expect(
        await directUploads.presign(alice, {
          purpose: 'avatar',
          contentType: 'image/png',
          size: 6 * 1024 * 1024,
          videoId: null,
        }),
      ).toMatchObject({ ok: false, status: 413 });
      const video = await db
        .insertInto('videos')
        .values({ owner_id: bob, title: 't', description: '', source_url: 'https://example.com/v' })
        .returning('id')
        .executeTakeFirstOrThrow();
      expect(
        await directUploads.presign(alice, {
          purpose: 'thumbnail',
          contentType: 'image/png',
          size: 100,
          videoId: video.id,
        }),
      ).toMatchObject({ ok: false, status: 403 });
      expect(
        await directUploads.presign(bob, {
          purpose: 'thumbnail',
          contentType: 'image/png',
          size: 100,
          videoId: video.id,
        }),
      ).toMatchObject({ ok: true });
    },
  );
});
