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
import { StorageError, type StorageLocation } from '../storage/contract.ts';
import { newObjectKey } from '../storage/keys.ts';
import type { UploadedPart } from '../storage/multipartUploads.ts';
import type { AppDatabase } from '../db/database.ts';
import type { ImageStorage } from '../files/imageStorage.ts';
import { sniffVideoBytes, VIDEO_SNIFF_BYTES } from '../files/sniffVideoType.ts';
import type { Logger } from '../logger.ts';
import { fileTooLarge, notAcceptedVideo, uploadNotInStorage } from '../refusals/reasons.ts';
import { Refusal } from '../refusals/refusal.ts';
import type { GuardedAdapter } from '../storage/circuitBreaker.ts';
import type { MultipartStore } from '../storage/multipartUploads.ts';
import { createVideo } from '../videos/createVideo.ts';
import { abortMultipartUpload, deleteTemporaryUpload } from './leaveNothingBehind.ts';

export interface CompletedVideo {
  videoId: number;
  location: StorageLocation;
}

export interface CompleteVideoUploadDeps {
  db: AppDatabase;
  s3: GuardedAdapter;
  multipart: MultipartStore;
  imageStorage: ImageStorage;
  maxVideoBytes: number;
  logger: Logger;
}

type ClaimedUpload = Selectable<DirectUploadsTable> & { upload_id: string; title: string; description: string };

const STORAGE_UNAVAILABLE =
  'Storage is unavailable right now, so the video could not be saved. Please try again in a minute.';

export async function completeVideoUpload(
  deps: CompleteVideoUploadDeps,
  upload: ClaimedUpload,
  parts: UploadedPart[],
): Promise<CompletedVideo> {
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
      throw new Refusal(400, 'Storage did not receive the parts this upload names. Please upload the video again.');
    }
    const info = await s3.head(key);
    if (!info) throw uploadNotInStorage();
    if (info.size > deps.maxVideoBytes) throw fileTooLarge('video', deps.maxVideoBytes);
    if (info.size !== upload.max_bytes)
      throw new Refusal(400, 'The upload is not the size declared when it started. Please upload the video again.');
    const firstBytes = await readAll(await s3.get(key, { start: 0, end: VIDEO_SNIFF_BYTES - 1 }));
    const sniffed = await sniffVideoBytes(firstBytes);
    if (!sniffed.accepted) throw notAcceptedVideo(sniffed);

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
    const created = await createVideo(
      deps,
      { ownerId: upload.user_id, title: upload.title, description: upload.description, sourceUrl: null },
      { file: { inS3: { key: finalKey, contentType: sniffed.accepted.mime, bytes: copy.size, sha256: copy.sha256 } } },
    );
    return { videoId: created.videoId, location: created.stored[0]?.location ?? 's3' };
  } catch (error) {
    if (!(error instanceof StorageError)) throw error;
    logger.warn({ key, err: error }, 'A direct video upload could not be completed');
    throw new Refusal(503, STORAGE_UNAVAILABLE, { cause: error });
  } finally {
    if (!joined) await abortMultipartUpload(multipart, key, upload.upload_id, logger);
    await deleteTemporaryUpload(s3, key, logger);
  }
}
