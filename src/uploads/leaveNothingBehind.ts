/**
 * Clearing up after a direct upload whatever its outcome. A failure here is logged, never
 * thrown: the member's answer does not depend on it, and storage:gc removes what is left
 * under incoming/ (objects and incomplete multipart uploads) after its grace period.
 */
import type { Logger } from '../logger.ts';
import type { StorageAdapter } from '../storage/contract.ts';
import type { MultipartStore } from '../storage/multipartUploads.ts';

export async function deleteTemporaryUpload(s3: StorageAdapter, key: string, logger: Logger): Promise<void> {
  await s3
    .delete(key)
    .catch((error: unknown) =>
      logger.warn({ key, err: error }, `Could not delete the temporary upload ${key}; storage:gc will`),
    );
}

export async function abortMultipartUpload(
  multipart: MultipartStore,
  key: string,
  uploadId: string,
  logger: Logger,
): Promise<void> {
  await multipart
    .abort(key, uploadId)
    .catch((error: unknown) =>
      logger.warn({ key, err: error }, `Could not abort the upload to ${key}; storage:gc will`),
    );
}
