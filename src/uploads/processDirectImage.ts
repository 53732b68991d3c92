/**
 * The `direct-image` job: the image pipeline for a direct upload, run by the worker (or inside
 * the app with WORKER=inline) after finalize answered. It reads the temporary object, stores
 * the image exactly as the form route does (replaceImage: variants, row, pointer, quota, the
 * old image deleted after the commit), and in that same transaction marks the upload stored
 * and finishes the job, fenced — so a retry after a crash makes one object set and one row:
 * the variant keys are content hashes of sharp's deterministic output, and a retry that finds
 * the upload no longer "processing" does nothing. Bytes the pipeline refuses mark the upload
 * refused with the sentence the member is shown. The temporary object goes after the commit.
 */
import type { Readable } from 'node:stream';
import type { AppDatabase } from '../db/database.ts';
import type { ImageStorage } from '../files/imageStorage.ts';
import { replaceImage, type ImageSlot } from '../files/replaceImage.ts';
import { LeaseLostError } from '../jobs/jobQueue.ts';
import type { JobContext, JobHandler } from '../jobs/jobRunner.ts';
import type { Logger } from '../logger.ts';
import { directImageNotProcessed, fileTooLarge, uploadNotInStorage } from '../refusals/reasons.ts';
import { Refusal } from '../refusals/refusal.ts';
import { StorageError, type StorageAdapter } from '../storage/contract.ts';
import { DIRECT_IMAGE_JOB, directUploadSlot } from './directImageUploads.ts';
import { deleteTemporaryUpload } from './leaveNothingBehind.ts';

export interface DirectImageJobDeps {
  db: AppDatabase;
  s3: StorageAdapter;
  imageStorage: ImageStorage;
  logger: Logger;
}

/** The whole object, refusing one larger than the upload's limit (the signed policy should have stopped it). */
async function readBounded(stream: Readable, maxBytes: number, field: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    total += (chunk as Buffer).length;
    if (total > maxBytes) {
      stream.destroy();
      throw fileTooLarge(field, maxBytes);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** A refusal caused by a lost lease is the lease's loss, not the member's fault: the attempt is simply void. */
function leaseLostBehind(error: unknown): LeaseLostError | undefined {
  for (let cause = error; cause instanceof Error; cause = cause.cause)
    if (cause instanceof LeaseLostError) return cause;
  return undefined;
}

export function directImageJob(deps: DirectImageJobDeps): JobHandler<{ key: string }> {
  const { db, s3, imageStorage, logger } = deps;

  async function settleRefused(key: string, refusal: Refusal, ctx: JobContext): Promise<void> {
    await db.transaction().execute(async (trx) => {
      await trx
        .updateTable('direct_uploads')
        .set({ state: 'refused', refusal: refusal.message, settled_at: new Date() })
        .where('key', '=', key)
        .where('state', '=', 'processing')
        .execute();
      await ctx.complete(trx);
    });
  }

  /** The slot, plus marking the upload stored and finishing the job inside the transaction that records the image. */
  function settlingSlot(slot: ImageSlot, key: string, ctx: JobContext): ImageSlot {
    return {
      ...slot,
      async point(trx, imageId) {
        const previous = await slot.point(trx, imageId);
        await trx
          .updateTable('direct_uploads')
          .set({ state: 'stored', stored_file_id: imageId, settled_at: new Date() })
          .where('key', '=', key)
          .execute();
        await ctx.step('written');
        await ctx.complete(trx);
        return previous;
      },
    };
  }

  return {
    kind: DIRECT_IMAGE_JOB,
    async run(job, ctx) {
      const { key } = job.payload;
      const upload = await db.selectFrom('direct_uploads').selectAll().where('key', '=', key).executeTakeFirst();
      // Settled by an earlier attempt that committed, or gone with its member or video: nothing left to do.
      if (upload?.state !== 'processing' || upload.purpose === 'video') return;
      await ctx.step('started');
      try {
        const bytes = await s3
          .get(key)
          .then((stream) => readBounded(stream, upload.max_bytes, upload.purpose))
          .catch((error: unknown) => {
            throw error instanceof StorageError && error.code === 'NotFound' ? uploadNotInStorage() : error;
          });
        const slot = await directUploadSlot(db, upload.user_id, upload.purpose, upload.video_id);
        await replaceImage(imageStorage, settlingSlot(slot, key, ctx), { buffer: bytes });
      } catch (error) {
        const lost = leaseLostBehind(error);
        if (lost) throw lost;
        const theBytes = error instanceof Refusal && error.status < 500;
        const lastAttempt = job.attempts >= job.maxAttempts;
        if (!theBytes && !lastAttempt) throw error;
        if (!theBytes) logger.error({ err: error, key }, `gave up processing the direct upload ${key}`);
        await settleRefused(key, theBytes ? error : directImageNotProcessed(), ctx);
      }
      await ctx.step('committed');
      await deleteTemporaryUpload(s3, key, logger);
    },
  };
}
