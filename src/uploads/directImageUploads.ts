/**
 * Direct uploads: the browser sends an image straight to S3 through a signed POST policy, so
 * the bytes never pass through the app; then it asks the app to finalize. Finalizing does only
 * the cheap part in the web process: it checks the upload is the caller's and not finalized
 * already, reads the object's first 4100 bytes (one ranged GET, which also tells its size) to
 * refuse a non-image at once, and then, in one statement, claims the upload as "processing" and
 * queues the `direct-image` job (processDirectImage.ts) that runs the pipeline in the worker.
 * The browser follows the job through the status endpoint (directUploadStatus.ts).
 */
import { randomBytes } from 'node:crypto';
import type { AppDatabase } from '../db/database.ts';
import { sql } from 'kysely';
import { jobInsert } from '../jobs/jobQueue.ts';
import type { Logger } from '../logger.ts';
import type { ImageSlot } from '../files/replaceImage.ts';
import { sniffImageType } from '../images/sniffImageType.ts';
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
import { INCOMING_PREFIX } from '../storage/storageFromConfig.ts';
import { ownThumbnailSlot } from '../videos/thumbnailSlot.ts';
import { deleteTemporaryUpload } from './leaveNothingBehind.ts';

export const DECLARED_IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/avif'];

/** file-type's sample size: enough for every accepted format's signature. */
export const SNIFF_BYTES = 4100;

export const DIRECT_IMAGE_JOB = 'direct-image';

export type DirectUploadPurpose = 'avatar' | 'thumbnail';

export interface DirectUploadDeps {
  db: AppDatabase;
  s3: GuardedAdapter;
  /** Signs a POST policy for exactly this key, type and size limit. */
  sign: PostSigner;
  maxImageBytes: number;
  logger: Logger;
}

export interface FinalizedUpload {
  state: 'processing';
  slot: ImageSlot;
}

export type DirectUploads = ReturnType<typeof createDirectUploads>;

/** The slot a direct image upload goes into; refuses a thumbnail for a video that is not the member's. */
export async function directUploadSlot(
  db: AppDatabase,
  userId: number,
  purpose: DirectUploadPurpose,
  videoId: number | null,
): Promise<ImageSlot> {
  if (purpose === 'avatar') return avatarSlot(userId);
  if (videoId === null) throw new Refusal(400, 'Say which video the thumbnail is for.');
  return ownThumbnailSlot(db, videoId, userId);
}

export function createDirectUploads(deps: DirectUploadDeps) {
  const { db, s3, logger } = deps;

  /** The first bytes and the size of the temporary object, in one request where the adapter can. */
  async function readHead(key: string): Promise<{ head: Buffer; size: number } | undefined> {
    if (s3.readHead) return s3.readHead(key, SNIFF_BYTES);
    const info = await s3.head(key);
    if (!info) return undefined;
    const chunks: Buffer[] = [];
    for await (const chunk of await s3.get(key, { start: 0, end: SNIFF_BYTES - 1 })) chunks.push(chunk as Buffer);
    return { head: Buffer.concat(chunks), size: info.size };
  }

  const alreadyFinalized = () => new Refusal(409, 'That upload was already finalized.');

  /** Claims the upload as refused (only one finalize can), deletes the temporary object, and throws the refusal. */
  async function refuse(key: string, refusal: Refusal): Promise<never> {
    const claimed = await db
      .updateTable('direct_uploads')
      .set({ finalized_at: new Date(), state: 'refused', refusal: refusal.message, settled_at: new Date() })
      .where('key', '=', key)
      .where('finalized_at', 'is', null)
      .executeTakeFirst();
    if (claimed.numUpdatedRows === 0n) throw alreadyFinalized();
    await deleteTemporaryUpload(s3, key, logger);
    throw refusal;
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
      await directUploadSlot(db, userId, request.purpose, request.videoId);
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

    /**
     * Queues the upload for processing and resolves at once with the slot it will go into.
     * Refuses (deleting the temporary object) what is not the caller's, finalized already, too
     * large, missing, or not an image by its first bytes; the pipeline's own refusals come
     * later, from the job, through the status endpoint.
     */
    async finalize(userId: number, key: string): Promise<FinalizedUpload> {
      const upload = await db.selectFrom('direct_uploads').selectAll().where('key', '=', key).executeTakeFirst();
      if (!upload) throw noSuchUpload();
      if (upload.user_id !== userId) throw notYourUpload();
      if (upload.purpose === 'video')
        throw new Refusal(400, 'That upload is a video; it is completed with /uploads/videos/complete.');
      const purpose = upload.purpose;
      if (upload.finalized_at) throw alreadyFinalized();
      let slot: ImageSlot;
      try {
        const object = await readHead(key);
        if (!object) throw uploadNotInStorage();
        if (object.size > upload.max_bytes) throw fileTooLarge(purpose, upload.max_bytes);
        await sniffImageType(object.head);
        slot = await directUploadSlot(db, userId, purpose, upload.video_id);
      } catch (error) {
        if (error instanceof Refusal) return refuse(key, error);
        // Not claimed yet: the object stays, and finalize may be asked again.
        throw error;
      }
      // Claimed atomically with its job, in one statement: two finalize calls for one upload
      // cannot both queue it, and a processing upload always has its job.
      const job = jobInsert(
        DIRECT_IMAGE_JOB,
        { key },
        { dedupeKey: `${DIRECT_IMAGE_JOB}:${key}` },
        sql`exists (select 1 from claimed)`,
      );
      const { rows } = await sql<{ claimed: number }>`
        with claimed as (
          update direct_uploads set finalized_at = now(), state = 'processing'
          where key = ${key} and finalized_at is null returning key),
        queued as (${job})
        select count(*)::int as claimed from claimed`.execute(db);
      if (rows[0]?.claimed !== 1) throw alreadyFinalized();
      return { state: 'processing', slot };
    },
  };
}
