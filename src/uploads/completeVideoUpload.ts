/**
 * Completing a browser-to-S3 video upload, once the caller has claimed it: join the parts,
 * check the result (size, then content sniffed from a Range GET of the first bytes — the app
 * never reads the whole file), copy it server-side to its final uploads/ key, and record the
 * video. The temporary object (or the unfinished upload) is removed whatever happens, so a
 * refusal leaves nothing behind.
 */
import { buffer as readAll } from 'node:stream/consumers';
import type { DirectUploadsTable } from '../db/schema.ts';
import type { Selectable } from 'kysely';
import { IMMUTABLE_CACHE_CONTROL } from '../storage/cachePolicy.ts';
import { StorageError } from '../storage/contract.ts';
import { newObjectKey } from '../storage/keys.ts';
import type { UploadedPart } from '../storage/multipartUploads.ts';
import { megabytes } from '../web/uploadErrors.ts';
import { sniffVideoBytes, unsupportedVideoMessage, VIDEO_SNIFF_BYTES } from '../videos/sniffVideoType.ts';
import type { DirectVideoUploadDeps } from './directVideoUploads.ts';
import { refuse, type Outcome } from './directUploads.ts';

export interface CompletedVideo {
  videoId: number;
  location: 's3' | 'local';
}

type ClaimedUpload = Selectable<DirectUploadsTable> & { upload_id: string; title: string; description: string };

const STORAGE_UNAVAILABLE =
  'Storage is unavailable right now, so the video could not be saved. Please try again in a minute.';

export async function completeVideoUpload(
  deps: DirectVideoUploadDeps,
  upload: ClaimedUpload,
  parts: UploadedPart[],
): Promise<Outcome<CompletedVideo>> {
  const { s3, multipart, logger } = deps;
  const key = upload.key;
  let joined = false;
  try {
    try {
      await multipart.complete(key, upload.upload_id, parts);
      joined = true;
    } catch (error) {
      // S3 says 400 when a part is missing, too small or its ETag does not match: the client's doing, not an outage.
      if (error instanceof StorageError && error.code !== 'Unknown' && error.code !== 'NotFound') throw error;
      logger.info({ key, err: error }, 'S3 refused to complete a direct video upload');
      return refuse(400, 'Storage did not receive the parts this upload names. Please upload the video again.');
    }
    const info = await s3.head(key);
    if (!info) return refuse(400, 'The upload did not reach storage. Please try again.');
    if (info.size > deps.maxVideoBytes)
      return refuse(413, `That file is too large. Videos can be at most ${megabytes(deps.maxVideoBytes)} MB.`);
    if (info.size !== upload.max_bytes)
      return refuse(400, 'The upload is not the size declared when it started. Please upload the video again.');
    const firstBytes = await readAll(await s3.get(key, { start: 0, end: VIDEO_SNIFF_BYTES - 1 }));
    const sniffed = await sniffVideoBytes(firstBytes);
    if (!sniffed.accepted) return refuse(415, unsupportedVideoMessage(sniffed.detected));

    const finalKey = newObjectKey('uploads', `u${upload.user_id}`, sniffed.accepted.extension);
    const copy = await s3
      .guard(() =>
        multipart.copy(key, finalKey, {
          contentType: sniffed.accepted.mime,
          cacheControl: IMMUTABLE_CACHE_CONTROL,
          bytes: info.size,
        }),
      )
      .catch(async (error: unknown) => {
        // The copy may exist although checking it failed; without a row nothing would ever delete it.
        await s3.delete(finalKey).catch(() => undefined);
        throw error;
      });
    let videoId: number | undefined;
    const recorded = await deps.imageStorage.recordVideoInS3(
      { key: finalKey, contentType: sniffed.accepted.mime, bytes: copy.size, sha256: copy.sha256 },
      upload.user_id,
      {
        attach: async (trx, file) => {
          const video = await trx
            .insertInto('videos')
            .values({
              owner_id: upload.user_id,
              title: upload.title,
              description: upload.description,
              source_url: null,
              video_file_id: file.id,
              thumbnail_file_id: null,
            })
            .returning('id')
            .executeTakeFirstOrThrow();
          videoId = video.id;
        },
      },
    );
    if (!recorded.success || videoId === undefined)
      return refuse(
        recorded.success ? 500 : recorded.status,
        recorded.success ? 'The video could not be saved.' : recorded.error,
      );
    return { ok: true, value: { videoId, location: recorded.location } };
  } catch (error) {
    if (!(error instanceof StorageError)) throw error;
    logger.warn({ key, err: error }, 'A direct video upload could not be completed');
    return refuse(503, STORAGE_UNAVAILABLE);
  } finally {
    if (!joined)
      await multipart
        .abort(key, upload.upload_id)
        .catch((error: unknown) =>
          logger.warn({ key, err: error }, `Could not abort the upload to ${key}; storage:gc will`),
        );
    await s3
      .delete(key)
      .catch((error: unknown) =>
        logger.warn({ key, err: error }, `Could not delete the temporary upload ${key}; storage:gc will`),
      );
  }
}
