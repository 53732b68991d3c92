/**
 * Browser-to-S3 multipart video uploads against a real S3 server: start, PUT the parts to
 * their presigned URLs as the browser would, complete or cancel. Completing refuses what is
 * not a video (sniffed), what is not the caller's, what was completed already and a total
 * larger than allowed — and a refused or cancelled upload leaves no object, no row and no
 * incomplete multipart upload behind.
 */
import { createHash } from 'node:crypto';
import { UploadPartCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import type { AppDatabase } from '../../src/db/database.ts';
import { publicBaseUrlFor } from '../../src/storage/publicBaseUrl.ts';
import { createMultipartStore } from '../../src/storage/multipartUploads.ts';
import { createPartUrlSigner } from '../../src/storage/presignedPartUrls.ts';
import { createS3Client } from '../../src/storage/s3Client.ts';
import { DIRECT_UPLOAD_EXPIRES_SECONDS } from '../../src/storage/storageFromConfig.ts';
import {
  createDirectVideoUploads,
  type DirectVideoUploadDeps,
  type DirectVideoUploads,
} from '../../src/uploads/directVideoUploads.ts';
import { withOutcomes, type WithOutcomes } from '../support/refusalOutcomes.ts';
import { MIN_PART_BYTES } from '../../src/uploads/videoPartPlan.ts';
import { NOT_AN_IMAGE } from '../support/imageFixtures.ts';
import { openDirectUploadSetting, type DirectUploadSetting } from '../support/directUploadSetting.ts';
import { makeS3Client } from '../support/s3Server.ts';
import { incompleteUploads as incompleteUploadsIn, listObjects } from '../support/storedState.ts';
import { makeWebm } from '../support/videoFixtures.ts';

const server = inject('s3');
const MiB = 1024 * 1024;
const MAX_VIDEO_BYTES = 12 * MiB;

// s3rver answers NotImplemented to ListMultipartUploads and copy checksums; CI runs these against MinIO.
describe.skipIf(server.kind !== 'minio')(
  'direct video uploads (multipart, browser to S3; MinIO only: s3rver lacks multipart listing)',
  () => {
    let setting: DirectUploadSetting;
    let db: AppDatabase;
    let bucket: string;
    let uploads: WithOutcomes<DirectVideoUploads>;
    let deps: DirectVideoUploadDeps;
    let alice: number;
    let bob: number;

    beforeAll(async () => {
      setting = await openDirectUploadSetting(server, 'video');
      ({ db, bucket, alice, bob } = setting);
      const { settings, s3, imageStorage, logger } = setting;
      deps = {
        db,
        s3,
        imageStorage,
        logger,
        multipart: createMultipartStore({ client: createS3Client(settings), bucket }),
        signPart: createPartUrlSigner({
          bucketBaseUrl: publicBaseUrlFor(settings),
          region: server.region,
          credentials: settings.credentials,
          expiresSeconds: DIRECT_UPLOAD_EXPIRES_SECONDS,
        }),
        maxVideoBytes: MAX_VIDEO_BYTES,
        maxImageBytes: 5 * MiB,
        partBytes: MIN_PART_BYTES,
      };
      uploads = withOutcomes(createDirectVideoUploads(deps));
    });
    afterAll(async () => setting?.close());

    const incompleteUploads = () => incompleteUploadsIn(server, bucket);

    async function leftovers() {
      return {
        objects: await listObjects(server, bucket),
        incomplete: await incompleteUploads(),
        videos: (await db.selectFrom('videos').select('id').execute()).length,
        files: (await db.selectFrom('stored_files').select('id').execute()).length,
        pending: (await db.selectFrom('direct_uploads').select('key').where('finalized_at', 'is', null).execute())
          .length,
      };
    }

    let before: Awaited<ReturnType<typeof leftovers>>;
    beforeEach(async () => {
      before = await leftovers();
    });

    async function start(userId: number, bytes: Buffer, contentType = 'video/webm') {
      const started = await uploads.start(userId, {
        title: 'My clip',
        description: 'Filmed at home',
        contentType,
        size: bytes.length,
      });
      if (!started.ok) throw new Error(started.error);
      return started.value;
    }

    /** What the browser script does: ask for each part's URL, PUT the slice, keep the ETag. */
    async function sendParts(userId: number, key: string, bytes: Buffer, partBytes: number, partCount: number) {
      const parts = [];
      for (let partNumber = 1; partNumber <= partCount; partNumber++) {
        const signed = await uploads.signParts(userId, key, [partNumber]);
        if (!signed.ok) throw new Error(signed.error);
        const response = await fetch(signed.value[0]!.url, {
          method: 'PUT',
          body: new Uint8Array(bytes.subarray((partNumber - 1) * partBytes, partNumber * partBytes)),
        });
        expect(response.status).toBe(200);
        parts.push({ partNumber, etag: response.headers.get('etag') ?? '' });
      }
      return parts;
    }

    it('stores a video sent in parts as a new video, copied to uploads/ with its true SHA-256, and removes the temporary upload', async () => {
      const bytes = makeWebm(11 * MiB);
      const { key, partBytes, partCount } = await start(alice, bytes);
      expect(key).toMatch(new RegExp(`^incoming/u${alice}/[0-9a-f]{32}$`));
      expect(partCount).toBe(3);
      const parts = await sendParts(alice, key, bytes, partBytes, partCount);
      const outcome = await uploads.complete(alice, key, parts);
      if (!outcome.ok) throw new Error(outcome.error);

      const video = await db
        .selectFrom('videos')
        .innerJoin('stored_files', 'stored_files.id', 'videos.video_file_id')
        .selectAll()
        .where('videos.id', '=', outcome.value.videoId)
        .executeTakeFirstOrThrow();
      expect(video).toMatchObject({
        title: 'My clip',
        description: 'Filmed at home',
        owner_id: alice,
        location: 's3',
        content_type: 'video/webm',
        bytes: bytes.length,
        folder: 'uploads',
      });
      expect(video.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
      expect(video.key).toMatch(new RegExp(`^uploads/u${alice}-[0-9a-f]{32}\\.webm$`));
      expect(await listObjects(server, bucket)).toEqual([...before.objects, video.key].sort());
      expect(await incompleteUploads()).toEqual([]);
    });

    it.skipIf(server.kind !== 'minio')(
      'signs each part URL for its exact length: the S3 server refuses a longer body (MinIO; s3rver ignores signatures)',
      async () => {
        const bytes = makeWebm(6 * MiB);
        const { key } = await start(alice, bytes);
        const signed = await uploads.signParts(alice, key, [2]);
        if (!signed.ok) throw new Error(signed.error);
        expect((await fetch(signed.value[0]!.url, { method: 'PUT', body: new Uint8Array(2 * MiB) })).status).toBe(403);
        expect(await uploads.signParts(alice, key, [3])).toMatchObject({ ok: false, status: 400 });
        expect(await uploads.abort(alice, key)).toEqual({ ok: true, value: null });
      },
    );

    it('refuses bytes that are not a video, whatever type was declared, leaving nothing behind', async () => {
      const bytes = Buffer.concat([NOT_AN_IMAGE.html, Buffer.alloc(6 * MiB, 0x20)]);
      const { key, partBytes, partCount } = await start(alice, bytes, 'video/mp4');
      const parts = await sendParts(alice, key, bytes, partBytes, partCount);
      const outcome = await uploads.complete(alice, key, parts);
      expect(outcome).toMatchObject({ ok: false, status: 415, error: expect.stringContaining('MP4 or WebM') });
      expect(await leftovers()).toEqual(before);
      expect(await uploads.complete(alice, key, parts)).toMatchObject({ ok: false, status: 404 });
    });

    it("refuses another member's upload, and one completed already", async () => {
      const bytes = makeWebm(1 * MiB);
      const { key, partBytes, partCount } = await start(bob, bytes);
      const parts = await sendParts(bob, key, bytes, partBytes, partCount);
      expect(await uploads.signParts(alice, key, [1])).toMatchObject({ ok: false, status: 403 });
      expect(await uploads.complete(alice, key, parts)).toMatchObject({ ok: false, status: 403 });
      expect(await uploads.abort(alice, key)).toMatchObject({ ok: false, status: 403 });
      expect(await uploads.complete(bob, key, parts)).toMatchObject({ ok: true });
      expect(await uploads.complete(bob, key, parts)).toMatchObject({ ok: false, status: 409 });
      expect(await uploads.abort(bob, key)).toMatchObject({ ok: false, status: 409 });
    });

    it('refuses a total larger than allowed, even when parts bypassed the signed lengths, leaving nothing behind', async () => {
      // Declared at the limit, then sent as three full 5 MiB parts (15 MiB) with the server's own keys.
      const { key } = await start(alice, makeWebm(MAX_VIDEO_BYTES));
      const row = await db
        .selectFrom('direct_uploads')
        .select('upload_id')
        .where('key', '=', key)
        .executeTakeFirstOrThrow();
      const client = makeS3Client(server);
      const parts = [];
      for (let partNumber = 1; partNumber <= 3; partNumber++) {
        const sent = await client.send(
          new UploadPartCommand({
            Bucket: bucket,
            Key: key,
            UploadId: row.upload_id!,
            PartNumber: partNumber,
            Body: makeWebm(MIN_PART_BYTES),
          }),
        );
        parts.push({ partNumber, etag: sent.ETag ?? '' });
      }
      client.destroy();
      expect(await uploads.complete(alice, key, parts)).toMatchObject({
        ok: false,
        status: 413,
        error: expect.stringContaining('at most 12 MB'),
      });
      expect(await leftovers()).toEqual(before);
    });

    it('cancels: aborts the multipart upload with the parts already sent, leaving no incomplete upload, object or row', async () => {
      const bytes = makeWebm(11 * MiB);
      const { key, partBytes } = await start(alice, bytes);
      await sendParts(alice, key, bytes, partBytes, 1);
      expect(await incompleteUploads()).toContain(key);
      expect(await uploads.abort(alice, key)).toEqual({ ok: true, value: null });
      expect(await leftovers()).toEqual(before);
      expect(await uploads.signParts(alice, key, [2])).toMatchObject({ ok: false, status: 404 });
    });

    it('signs and completes nothing a day after the start, but still cancels', async () => {
      const bytes = makeWebm(MiB);
      const { key, partBytes, partCount } = await start(alice, bytes);
      const parts = await sendParts(alice, key, bytes, partBytes, partCount);
      const tomorrow = withOutcomes(
        createDirectVideoUploads({ ...deps, now: () => new Date(Date.now() + 25 * 3_600_000) }),
      );
      expect(await tomorrow.signParts(alice, key, [1])).toMatchObject({ ok: false, status: 410 });
      expect(await tomorrow.complete(alice, key, parts)).toMatchObject({ ok: false, status: 410 });
      expect(await tomorrow.abort(alice, key)).toEqual({ ok: true, value: null });
      expect(await leftovers()).toEqual(before);
    });

    it('refuses before any byte moves: a missing title, a link as well as a file, a declared non-video, a file or thumbnail over its limit', async () => {
      const request = { title: 'Fine', description: '', contentType: 'video/mp4', size: MiB };
      expect(await uploads.start(alice, { ...request, title: ' ' })).toMatchObject({
        ok: false,
        status: 422,
        fields: { title: expect.any(String) },
      });
      expect(await uploads.start(alice, { ...request, url: 'https://example.com/v' })).toMatchObject({
        ok: false,
        status: 422,
        fields: { url: 'Either link to a video or upload a file, not both.' },
      });
      expect(await uploads.start(alice, { ...request, contentType: 'application/zip' })).toMatchObject({
        ok: false,
        status: 415,
      });
      expect(await uploads.start(alice, { ...request, size: MAX_VIDEO_BYTES + 1 })).toMatchObject({
        ok: false,
        status: 413,
        error: expect.stringContaining('at most 12 MB'),
      });
      expect(
        await uploads.start(alice, { ...request, thumbnail: { contentType: 'image/svg+xml', size: 100 } }),
      ).toMatchObject({ ok: false, status: 415, fields: { thumbnail: expect.any(String) } });
      expect(
        await uploads.start(alice, { ...request, thumbnail: { contentType: 'image/png', size: 6 * MiB } }),
      ).toMatchObject({ ok: false, status: 413 });
      expect(await leftovers()).toEqual(before);
    });
  },
);
