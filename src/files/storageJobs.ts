/**
 * The files service's background work, as jobs for the worker (jobs/jobRunner.ts):
 * `storage-gc` (storage:gc --delete, on a schedule) and `regenerate-images` (images:regenerate
 * after an upgrade changed the variant spec, in batches so a deploy's SIGTERM never waits on
 * thousands of images: each batch finishes the job and adds the next in one transaction).
 */
import type { AppDatabase } from '../db/database.ts';
import { VARIANT_SPEC_VERSION } from '../images/variantSpecs.ts';
import type { JobQueue } from '../jobs/jobQueue.ts';
import type { JobHandler } from '../jobs/jobRunner.ts';
import type { Logger } from '../logger.ts';
import type { StorageAdapter } from '../storage/contract.ts';
import type { MultipartStore } from '../storage/multipartUploads.ts';
import { collectGarbage, DEFAULT_GRACE_HOURS } from './collectGarbage.ts';
import type { DatabaseBlobAdapter } from './fallbackBlobs.ts';
import { countOutdatedImages, type RegenerationDeps, regenerateOutdatedImages } from './regenerateImages.ts';

export const STORAGE_GC_JOB = 'storage-gc';
export const REGENERATE_IMAGES_JOB = 'regenerate-images';
const REGENERATE_BATCH = 50;

export const regenerateDedupeKey = () => `${REGENERATE_IMAGES_JOB}:v${VARIANT_SPEC_VERSION}`;

export function storageGcJob(deps: {
  db: AppDatabase;
  adapters: StorageAdapter[];
  multipart?: MultipartStore;
  /** Blobs an instance killed mid-write left in the outage store are garbage after an hour. */
  outageStore?: Pick<DatabaseBlobAdapter, 'deleteAbandoned'>;
  logger: Logger;
}): JobHandler {
  return {
    kind: STORAGE_GC_JOB,
    async run() {
      const summary = await collectGarbage(deps, { olderThanMs: DEFAULT_GRACE_HOURS * 3_600_000, delete: true });
      const abandoned = (await deps.outageStore?.deleteAbandoned(3_600)) ?? 0;
      if (abandoned > 0) deps.logger.info(`storage-gc: removed ${abandoned} half-written outage-store blob(s)`);
      deps.logger.info(
        { gc: { failures: summary.failures.slice(0, 5) } },
        `storage-gc: done, ${summary.failures.length} failure(s)`,
      );
    },
  };
}

export function regenerateImagesJob(deps: RegenerationDeps & { queue: JobQueue }): JobHandler {
  return {
    kind: REGENERATE_IMAGES_JOB,
    async run(_job, ctx) {
      const summary = await regenerateOutdatedImages(deps, { limit: REGENERATE_BATCH });
      deps.logger.info(
        `regenerate-images: ${summary.regenerated} of ${summary.total} rebuilt, ${summary.failed} failed`,
      );
      const remaining = await countOutdatedImages(deps.db);
      // Failed images stay outdated; only go on while the batch made progress.
      if (remaining === 0 || summary.regenerated === 0) return;
      await deps.db.transaction().execute(async (trx) => {
        await ctx.complete(trx);
        await deps.queue.add(trx, REGENERATE_IMAGES_JOB, {}, { dedupeKey: regenerateDedupeKey() });
      });
    },
  };
}

/** Adds the regenerate job when outdated images exist; the dedupe key makes it one per spec version at a time. */
export async function ensureRegenerationQueued(db: AppDatabase, queue: JobQueue): Promise<boolean> {
  if ((await countOutdatedImages(db)) === 0) return false;
  await queue.add(db, REGENERATE_IMAGES_JOB, {}, { dedupeKey: regenerateDedupeKey() });
  return true;
}
