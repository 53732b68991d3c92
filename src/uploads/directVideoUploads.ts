/**
 * Browser-to-S3 video uploads, so a large file never passes through the app: the app starts
 * an S3 multipart upload under incoming/, signs one URL per part (exact length, 10 minutes),
 * the browser PUTs the parts, and completing checks and files the result
 * (completeVideoUpload.ts). Cancelling aborts the upload. A refused or cancelled upload leaves
 * no object, no row and no incomplete upload behind. An interrupted one can be resumed with the
 * same file (resumeVideoUpload.ts) until storage:gc or the lifecycle rule aborts it.
 */
import { randomBytes } from 'node:crypto';
import type { AppDatabase } from '../db/database.ts';
import type { Logger } from '../logger.ts';
import type { ImageStorage } from '../files/imageStorage.ts';
import { directUploadsUnavailable, noSuchUpload, notYourUpload } from '../refusals/reasons.ts';
import { Refusal } from '../refusals/refusal.ts';
import type { GuardedAdapter } from '../storage/circuitBreaker.ts';
import type { MultipartStore, UploadedPart } from '../storage/multipartUploads.ts';
import type { PartUrlSigner } from '../storage/presignedPartUrls.ts';
import { INCOMING_PREFIX } from '../storage/storageFromConfig.ts';
import { completeVideoUpload, type CompletedVideo } from './completeVideoUpload.ts';
import { abortMultipartUpload } from './leaveNothingBehind.ts';
import { resumeVideoUpload, uploadExpired, type ResumedUpload } from './resumeVideoUpload.ts';
import { partCountFor, partLength, VIDEO_PART_BYTES } from './videoPartPlan.ts';
import { checkVideoUploadRequest, type VideoUploadRequest } from './videoUploadRequest.ts';

export type { VideoUploadRequest } from './videoUploadRequest.ts';

/**
 * How long after starting an upload may still be signed and completed. storage:gc's default
 * grace period is the same 24 h, so it never aborts an upload the app would still finish.
 */
export const VIDEO_UPLOAD_LIFETIME_MS = 24 * 3_600_000;
/** Part URLs one request may ask for: the script asks for one per attempt; this only bounds the response. */
const MAX_PARTS_PER_REQUEST = 100;

const alreadyCompleted = () => new Refusal(409, 'That upload was already completed.');

export interface DirectVideoUploadDeps {
  db: AppDatabase;
  s3: GuardedAdapter;
  multipart: MultipartStore;
  imageStorage: ImageStorage;
  signPart: PartUrlSigner;
  maxVideoBytes: number;
  maxImageBytes: number;
  logger: Logger;
  /** Part size for new uploads; tests use S3's 5 MiB minimum. */
  partBytes?: number;
  now?: () => Date;
}

export type DirectVideoUploads = ReturnType<typeof createDirectVideoUploads>;

export function createDirectVideoUploads(deps: DirectVideoUploadDeps) {
  const { db, s3, multipart, logger } = deps;
  const partBytes = deps.partBytes ?? VIDEO_PART_BYTES;
  const now = deps.now ?? (() => new Date());
  const { maxVideoBytes } = deps;

  /** The caller's unfinished video upload, or why it cannot be used (an expired one can still be cancelled). */
  async function ownUpload(userId: number, key: string, purpose: 'use' | 'cancel' = 'use') {
    const upload = await db.selectFrom('direct_uploads').selectAll().where('key', '=', key).executeTakeFirst();
    if (!upload) throw noSuchUpload();
    if (upload.user_id !== userId) throw notYourUpload();
    if (upload.purpose !== 'video' || !upload.upload_id || !upload.part_bytes)
      throw new Refusal(400, 'That upload is not a video upload.');
    if (upload.finalized_at) throw alreadyCompleted();
    if (purpose === 'use' && now().getTime() - upload.created_at.getTime() > VIDEO_UPLOAD_LIFETIME_MS)
      throw uploadExpired();
    return { ...upload, upload_id: upload.upload_id, part_bytes: upload.part_bytes };
  }

  return {
    /** Checks the form and the declared files, then starts the multipart upload; refuses with 409 when the browser should post the form to the app instead. */
    async start(
      userId: number,
      request: VideoUploadRequest,
    ): Promise<{ key: string; partBytes: number; partCount: number }> {
      if (s3.breakerStatus().state === 'open') throw directUploadsUnavailable();
      const values = checkVideoUploadRequest(request, { maxVideoBytes, maxImageBytes: deps.maxImageBytes });
      const key = `${INCOMING_PREFIX}u${userId}/${randomBytes(16).toString('hex')}`;
      let uploadId: string;
      try {
        uploadId = await s3.guard(() => multipart.create(key, request.contentType));
      } catch (error) {
        logger.warn(
          { key, err: error },
          'Could not start a direct video upload; the browser will post the form instead',
        );
        throw directUploadsUnavailable();
      }
      try {
        await db
          .insertInto('direct_uploads')
          .values({
            key,
            user_id: userId,
            purpose: 'video',
            video_id: null,
            max_bytes: request.size,
            upload_id: uploadId,
            part_bytes: partBytes,
            title: values.title,
            description: values.description,
            file_name: request.file?.name ?? null,
            file_last_modified: request.file?.lastModified ?? null,
            file_head_sha256: request.file?.headSha256 ?? null,
          })
          .execute();
      } catch (error) {
        await abortMultipartUpload(multipart, key, uploadId, logger);
        throw error;
      }
      return { key, partBytes, partCount: partCountFor(request.size, partBytes) };
    },

    /** Continues the caller's interrupted upload of the same file: which parts S3 has; see resumeVideoUpload.ts. */
    async resume(userId: number, key: string, request: VideoUploadRequest): Promise<ResumedUpload> {
      if (s3.breakerStatus().state === 'open') throw directUploadsUnavailable();
      return resumeVideoUpload(deps, await ownUpload(userId, key), request);
    },

    /** Presigned PUT URLs for the given parts, each for its exact length. */
    async signParts(
      userId: number,
      key: string,
      partNumbers: number[],
    ): Promise<Array<{ partNumber: number; url: string }>> {
      const upload = await ownUpload(userId, key);
      const count = partCountFor(upload.max_bytes, upload.part_bytes);
      if (partNumbers.length === 0 || partNumbers.length > MAX_PARTS_PER_REQUEST)
        throw new Refusal(400, `Ask for 1 to ${MAX_PARTS_PER_REQUEST} parts at a time.`);
      if (!partNumbers.every((n) => Number.isInteger(n) && n >= 1 && n <= count))
        throw new Refusal(400, `This upload has parts 1 to ${count}.`);
      return partNumbers.map((partNumber) => ({
        partNumber,
        url: deps.signPart({
          key,
          uploadId: upload.upload_id,
          partNumber,
          contentLength: partLength(upload.max_bytes, upload.part_bytes, partNumber),
        }),
      }));
    },

    /** Joins, checks and files the upload as a new video; see completeVideoUpload.ts. */
    async complete(userId: number, key: string, parts: UploadedPart[]): Promise<CompletedVideo> {
      const upload = await ownUpload(userId, key);
      const count = partCountFor(upload.max_bytes, upload.part_bytes);
      if (
        parts.length !== count ||
        !parts.every((part, i) => part.partNumber === i + 1 && /^"?[0-9A-Za-z-]{1,100}"?$/.test(part.etag))
      ) {
        throw new Refusal(400, `Send the ETag of every part, 1 to ${count}, in order.`);
      }
      // Claimed atomically, so two complete calls (or a complete and a cancel) cannot both act.
      const claimed = await db
        .updateTable('direct_uploads')
        .set({ finalized_at: now() })
        .where('key', '=', key)
        .where('finalized_at', 'is', null)
        .executeTakeFirst();
      if (claimed.numUpdatedRows === 0n) throw alreadyCompleted();
      try {
        return await completeVideoUpload(
          deps,
          { ...upload, title: upload.title ?? '', description: upload.description ?? '' },
          parts,
        );
      } catch (error) {
        // A refused upload leaves nothing behind, its record included.
        if (error instanceof Refusal) await db.deleteFrom('direct_uploads').where('key', '=', key).execute();
        throw error;
      }
    },

    /** Cancels: aborts the multipart upload and forgets it. Refuses with 409 once completing has begun. */
    async abort(userId: number, key: string): Promise<null> {
      const found = await ownUpload(userId, key, 'cancel');
      const removed = await db
        .deleteFrom('direct_uploads')
        .where('key', '=', key)
        .where('finalized_at', 'is', null)
        .executeTakeFirst();
      if (removed.numDeletedRows === 0n) throw new Refusal(409, 'That upload is already being completed.');
      await abortMultipartUpload(multipart, key, found.upload_id, logger);
      return null;
    },
  };
}
