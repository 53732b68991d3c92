/**
 * Direct uploads: the browser sends an image straight to S3 through a signed POST policy, so
 * the bytes never pass through the app; then it asks the app to finalize. Finalizing checks
 * the object is the caller's and not finalized already, reads it back (bounded by the signed
 * size), runs it through the same pipeline as a form upload, and deletes the temporary object
 * whatever the outcome — a refused upload leaves nothing behind.
 */
import { randomBytes } from 'node:crypto';
import { buffer as readAll } from 'node:stream/consumers';
import type { AppDatabase } from '../db/database.ts';
import type { Logger } from '../logger.ts';
import { ACCEPTED_IMAGE_FORMATS } from '../images/sniffImageType.ts';
import type { GuardedAdapter } from '../storage/circuitBreaker.ts';
import type { ImageStorage, UploadResult } from '../files/imageStorage.ts';
import type { PresignedPost } from '../storage/presignedPost.ts';
import { replaceImage, type ImageSlot } from '../files/replaceImage.ts';

export const INCOMING_PREFIX = 'incoming/';
/** Short: a leaked form is useless after this. The policy's expiry is enforced by S3. */
export const DIRECT_UPLOAD_EXPIRES_SECONDS = 600;
export const DECLARED_IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/avif'];

export type DirectUploadPurpose = 'avatar' | 'thumbnail';

export type Outcome<T> = { ok: true; value: T } | Refusal;

/** A refusal with its status and message, and per-field messages for forms that show them. */
export const refuse = (status: number, error: string, fields?: Record<string, string>) => ({
  ok: false as const,
  status,
  error,
  ...(fields && { fields }),
});

/** Why a request was refused: the status, the sentence to show, and per form field messages when there are several. */
export interface Refusal {
  ok: false;
  status: number;
  error: string;
  fields?: Record<string, string>;
}

export interface DirectUploadDeps {
  db: AppDatabase;
  s3: GuardedAdapter;
  imageStorage: ImageStorage;
  /** Signs a POST policy for exactly this key, type and size limit. */
  sign: (key: string, contentType: string, maxBytes: number) => PresignedPost;
  maxImageBytes: number;
  logger: Logger;
}

export type DirectUploads = ReturnType<typeof createDirectUploads>;

export function createDirectUploads(deps: DirectUploadDeps) {
  const { db, s3, logger } = deps;

  async function slotFor(
    userId: number,
    purpose: DirectUploadPurpose,
    videoId: number | null,
  ): Promise<Outcome<ImageSlot>> {
    if (purpose === 'avatar') return { ok: true, value: { kind: 'avatar', userId } };
    if (videoId === null) return refuse(400, 'Say which video the thumbnail is for.');
    const video = await db.selectFrom('videos').select('owner_id').where('id', '=', videoId).executeTakeFirst();
    if (!video) return refuse(404, 'There is no such video.');
    if (video.owner_id !== userId) return refuse(403, 'Only the member who submitted this video can change it.');
    return { ok: true, value: { kind: 'thumbnail', videoId, ownerId: userId } };
  }

  return {
    /** A signed form for one upload, or 409 when the browser should use the ordinary form instead. */
    async presign(
      userId: number,
      request: { purpose: DirectUploadPurpose; contentType: string; size: number; videoId: number | null },
    ): Promise<Outcome<PresignedPost & { key: string }>> {
      if (s3.breakerStatus().state === 'open')
        return refuse(409, 'Direct uploads are unavailable right now; send the form to the app instead.');
      if (!DECLARED_IMAGE_TYPES.includes(request.contentType))
        return refuse(415, `Please upload a ${ACCEPTED_IMAGE_FORMATS} image.`);
      if (!Number.isInteger(request.size) || request.size <= 0)
        return refuse(400, 'Please choose an image file to upload.');
      if (request.size > deps.maxImageBytes)
        return refuse(
          413,
          `That file is too large. Images can be at most ${Math.round(deps.maxImageBytes / 104857.6) / 10} MB.`,
        );
      const slot = await slotFor(userId, request.purpose, request.videoId);
      if (!slot.ok) return slot;
      const key = `${INCOMING_PREFIX}u${userId}/${randomBytes(16).toString('hex')}`;
      await db
        .insertInto('direct_uploads')
        .values({
          key,
          user_id: userId,
          purpose: request.purpose,
          video_id: request.videoId,
          max_bytes: deps.maxImageBytes,
        })
        .execute();
      return { ok: true, value: { ...deps.sign(key, request.contentType, deps.maxImageBytes), key } };
    },

    /** The stored image and the page that shows it. */
    async finalize(
      userId: number,
      key: string,
    ): Promise<Outcome<{ result: Extract<UploadResult, { success: true }>; page: string }>> {
      const upload = await db.selectFrom('direct_uploads').selectAll().where('key', '=', key).executeTakeFirst();
      if (!upload) return refuse(404, 'There is no such upload.');
      if (upload.user_id !== userId) return refuse(403, 'That upload is not yours.');
      if (upload.purpose === 'video')
        return refuse(400, 'That upload is a video; it is completed with /uploads/videos/complete.');
      const purpose = upload.purpose;
      // Claimed atomically, so two finalize calls for one upload cannot both store it.
      const claimed = await db
        .updateTable('direct_uploads')
        .set({ finalized_at: new Date() })
        .where('key', '=', key)
        .where('finalized_at', 'is', null)
        .executeTakeFirst();
      if (claimed.numUpdatedRows === 0n) return refuse(409, 'That upload was already finalized.');
      try {
        const info = await s3.head(key);
        if (!info) return refuse(400, 'The upload did not reach storage. Please try again.');
        if (info.size > upload.max_bytes) return refuse(413, 'That file is too large.');
        const bytes = await readAll(await s3.get(key));
        const slot = await slotFor(userId, purpose, upload.video_id);
        if (!slot.ok) return slot;
        const result = await replaceImage(deps.imageStorage, slot.value, { buffer: bytes });
        if (!result.success) return refuse(result.status, result.error);
        return {
          ok: true,
          value: { result, page: slot.value.kind === 'avatar' ? '/profile' : `/videos/${slot.value.videoId}` },
        };
      } finally {
        await s3
          .delete(key)
          .catch((error: unknown) =>
            logger.warn({ key, err: error }, `Could not delete the temporary upload ${key}; storage:gc will`),
          );
      }
    },
  };
}
