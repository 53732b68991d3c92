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
import type { ImageStorage, StoredUpload } from '../files/imageStorage.ts';
import { replaceImage, type ImageSlot } from '../files/replaceImage.ts';
import { avatarSlot } from '../members/avatarSlot.ts';
import {
  directUploadsUnavailable,
  fileTooLarge,
  noImageChosen,
  noSuchUpload,
  notAcceptedImage,
  notYourUpload,
  uploadNotInStorage,
} from '../refusals/reasons.ts';
import { Refusal } from '../refusals/refusal.ts';
import type { GuardedAdapter } from '../storage/circuitBreaker.ts';
import type { PostSigner, PresignedPost } from '../storage/presignedPost.ts';
import { ownThumbnailSlot } from '../videos/thumbnailSlot.ts';
import { deleteTemporaryUpload } from './leaveNothingBehind.ts';

import { INCOMING_PREFIX } from '../storage/storageFromConfig.ts';
export const DECLARED_IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/avif'];

export type DirectUploadPurpose = 'avatar' | 'thumbnail';

export interface DirectUploadDeps {
  db: AppDatabase;
  s3: GuardedAdapter;
  imageStorage: ImageStorage;
  /** Signs a POST policy for exactly this key, type and size limit. */
  sign: PostSigner;
  maxImageBytes: number;
  logger: Logger;
}

export type DirectUploads = ReturnType<typeof createDirectUploads>;

export function createDirectUploads(deps: DirectUploadDeps) {
  const { db, s3, logger } = deps;

  async function slotFor(userId: number, purpose: DirectUploadPurpose, videoId: number | null): Promise<ImageSlot> {
    if (purpose === 'avatar') return avatarSlot(userId);
    if (videoId === null) throw new Refusal(400, 'Say which video the thumbnail is for.');
    return ownThumbnailSlot(db, videoId, userId);
  }

  return {
    /** A signed form for one upload; refuses with 409 when the browser should use the ordinary form instead. */
    async presign(
      userId: number,
      request: { purpose: DirectUploadPurpose; contentType: string; size: number; videoId: number | null },
    ): Promise<PresignedPost & { key: string }> {
      if (s3.breakerStatus().state === 'open') throw directUploadsUnavailable();
      if (!DECLARED_IMAGE_TYPES.includes(request.contentType)) throw notAcceptedImage();
      if (!Number.isInteger(request.size) || request.size <= 0) throw noImageChosen();
      if (request.size > deps.maxImageBytes) throw fileTooLarge(request.purpose, deps.maxImageBytes);
      await slotFor(userId, request.purpose, request.videoId);
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
      return { ...(await deps.sign(key, request.contentType, deps.maxImageBytes)), key };
    },

    /** The stored image and the slot it went into; refuses (and stores nothing) when the upload is not acceptable. */
    async finalize(userId: number, key: string): Promise<{ result: StoredUpload; slot: ImageSlot }> {
      const upload = await db.selectFrom('direct_uploads').selectAll().where('key', '=', key).executeTakeFirst();
      if (!upload) throw noSuchUpload();
      if (upload.user_id !== userId) throw notYourUpload();
      if (upload.purpose === 'video')
        throw new Refusal(400, 'That upload is a video; it is completed with /uploads/videos/complete.');
      const purpose = upload.purpose;
      // Claimed atomically, so two finalize calls for one upload cannot both store it.
      const claimed = await db
        .updateTable('direct_uploads')
        .set({ finalized_at: new Date() })
        .where('key', '=', key)
        .where('finalized_at', 'is', null)
        .executeTakeFirst();
      if (claimed.numUpdatedRows === 0n) throw new Refusal(409, 'That upload was already finalized.');
      try {
        const info = await s3.head(key);
        if (!info) throw uploadNotInStorage();
        if (info.size > upload.max_bytes) throw fileTooLarge(purpose, upload.max_bytes);
        const bytes = await readAll(await s3.get(key));
        const slot = await slotFor(userId, purpose, upload.video_id);
        return { result: await replaceImage(deps.imageStorage, slot, { buffer: bytes }), slot };
      } finally {
        await deleteTemporaryUpload(s3, key, logger);
      }
    },
  };
}
