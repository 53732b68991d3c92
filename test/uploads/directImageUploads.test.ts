/**
 * Direct uploads end to end against a real S3 server: sign, let "the browser" POST to the
 * bucket, finalize. Finalize runs the same pipeline as a form upload and refuses what is not
 * an image, what is not the caller's, and what was finalized already — leaving nothing behind.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AppDatabase } from '../../src/db/database.ts';
import { createPostSigner } from '../../src/storage/presignedPost.ts';
import { createS3Client } from '../../src/storage/s3Client.ts';
import { createDirectUploads } from '../../src/uploads/directImageUploads.ts';
import { DIRECT_UPLOAD_EXPIRES_SECONDS } from '../../src/storage/storageFromConfig.ts';
import { withOutcomes, type WithOutcomes } from '../support/refusalOutcomes.ts';
import { openDirectUploadSetting, type DirectUploadSetting } from '../support/directUploadSetting.ts';
import { makeImage, NOT_AN_IMAGE } from '../support/imageFixtures.ts';
import { listObjects } from '../support/storedState.ts';

const server = inject('s3');

describe('direct uploads', () => {
  let setting: DirectUploadSetting;
  let db: AppDatabase;
  let bucket: string;
  let directUploads: WithOutcomes<ReturnType<typeof createDirectUploads>>;
  let alice: number;
  let bob: number;

  beforeAll(async () => {
    setting = await openDirectUploadSetting(server, 'direct');
    ({ db, bucket, alice, bob } = setting);
    const { settings, s3, imageStorage, logger } = setting;
    directUploads = withOutcomes(
      createDirectUploads({
        db,
        s3,
        imageStorage,
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
  afterAll(async () => setting?.close());

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

  it('stores a directly uploaded avatar through the pipeline and removes the temporary object', async () => {
    const upload = await signed(alice, await makeImage('jpeg', 300, 300, '#0a7'));
    expect(upload.key).toMatch(new RegExp(`^incoming/u${alice}/[0-9a-f]{32}$`));
    const outcome = await directUploads.finalize(alice, upload.key);
    if (!outcome.ok) throw new Error(outcome.error);
    expect(outcome.value.slot.page).toBe('/profile');
    expect(outcome.value.result.location).toBe('s3');
    const user = await db
      .selectFrom('users')
      .select('avatar_image_id')
      .where('id', '=', alice)
      .executeTakeFirstOrThrow();
    expect(user.avatar_image_id).toBe(outcome.value.result.file.id);
    const keys = await listObjects(server, bucket);
    expect(keys.some((key) => key.startsWith('incoming/'))).toBe(false);
    expect(keys).toEqual((outcome.value.result.file.variants ?? []).map((variant) => variant.key).sort());
  });

  it('refuses bytes that are not an image, whatever type was declared, leaving nothing behind', async () => {
    const before = await listObjects(server, bucket);
    const rows = (await db.selectFrom('stored_files').select('id').execute()).length;
    const upload = await signed(alice, NOT_AN_IMAGE.html);
    const outcome = await directUploads.finalize(alice, upload.key);
    expect(outcome).toMatchObject({ ok: false, status: 415 });
    expect(await listObjects(server, bucket)).toEqual(before);
    expect((await db.selectFrom('stored_files').select('id').execute()).length).toBe(rows);
  });

  it("refuses to finalize another member's upload, and one finalized already", async () => {
    const upload = await signed(bob, await makeImage('png', 200, 200, '#a0a'));
    expect(await directUploads.finalize(alice, upload.key)).toMatchObject({ ok: false, status: 403 });
    expect(await directUploads.finalize(bob, upload.key)).toMatchObject({ ok: true });
    expect(await directUploads.finalize(bob, upload.key)).toMatchObject({ ok: false, status: 409 });
    expect(await directUploads.finalize(bob, 'incoming/u1/nonexistent')).toMatchObject({ ok: false, status: 404 });
  });

  it('signs nothing for a declared non-image type, an oversized file, or a video that is not yours', async () => {
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
  });
});
