/**
 * Wraps ImageStorage so that every stored upload — form, video or direct — is logged once
 * (folder, bytes received, bytes stored, location, duration) and counted against the
 * member's daily quota. Refused uploads are neither counted nor given a ledger row: a
 * rejection leaves nothing behind.
 */
import type { Logger } from '../logger.ts';
import type { ImageStorage, UploadResult } from './imageStorage.ts';
import type { UploadQuota } from './uploadQuota.ts';

export function withUploadAccounting(
  storage: ImageStorage,
  { quota, logger }: { quota: UploadQuota; logger: Logger },
): ImageStorage {
  async function account(
    receivedBytes: number,
    ownerId: number | null,
    upload: () => Promise<UploadResult>,
  ): Promise<UploadResult> {
    const started = performance.now();
    const result = await upload();
    const durationMs = Math.round(performance.now() - started);
    if (!result.success) {
      logger.info({ bytes: receivedBytes, status: result.status, durationMs }, `Upload refused: ${result.error}`);
      return result;
    }
    const { folder, bytes: storedBytes, key } = result.image;
    logger.info(
      { folder, key, bytes: receivedBytes, storedBytes, location: result.location, durationMs },
      'Upload stored',
    );
    if (ownerId !== null) await quota.record(ownerId, receivedBytes);
    return result;
  }

  return {
    ...storage,
    uploadImage: (file, folder, prefix, ownerId, options) =>
      account(file.buffer.length, ownerId, () => storage.uploadImage(file, folder, prefix, ownerId, options)),
    uploadVideo: (file, prefix, ownerId, options) =>
      account(file.size, ownerId, () => storage.uploadVideo(file, prefix, ownerId, options)),
    recordVideoInS3: (file, ownerId, options) =>
      account(file.bytes, ownerId, () => storage.recordVideoInS3(file, ownerId, options)),
  };
}
