/**
 * Every stored upload — form, video or direct — is logged once (folder, bytes received, bytes
 * stored, location, duration) and counted against its owner's daily quota, inside the files
 * service. A refused upload is logged with its reason and neither counted nor given a ledger
 * row: a rejection leaves nothing behind.
 */
import type { Logger } from '../logger.ts';
import { Refusal } from '../refusals/refusal.ts';
import type { StoredUpload } from './storedUpload.ts';
import type { UploadQuota } from './uploadQuota.ts';

export function createUploadAccounting({ logger, quota }: { logger: Logger; quota?: Pick<UploadQuota, 'record'> }) {
  return async function accounted(
    receivedBytes: number,
    ownerId: number | null,
    upload: () => Promise<StoredUpload>,
  ): Promise<StoredUpload> {
    const started = performance.now();
    const durationMs = () => Math.round(performance.now() - started);
    let stored: StoredUpload;
    try {
      stored = await upload();
    } catch (error) {
      if (error instanceof Refusal)
        logger.info(
          { bytes: receivedBytes, status: error.status, durationMs: durationMs() },
          `Upload refused: ${error.message}`,
        );
      throw error;
    }
    const { folder, bytes: storedBytes, key } = stored.file;
    logger.info(
      { folder, key, bytes: receivedBytes, storedBytes, location: stored.location, durationMs: durationMs() },
      'Upload stored',
    );
    if (ownerId !== null) await quota?.record(ownerId, receivedBytes);
    return stored;
  };
}
