/**
 * The backfill, at start-up: with a backup bucket configured, every file in S3 that has no
 * verified copy there and none queued is queued now — files from before the bucket was set,
 * included — and the resync loop copies them in the background. `npm run storage:sync` does
 * the same by hand, with progress.
 */
import type { AppDatabase } from '../db/database.ts';
import type { Logger } from '../logger.ts';
import { queueBackupBackfill } from './backupState.ts';

export async function queueBackupBackfillAndSay(db: AppDatabase, logger: Logger): Promise<number> {
  const queued = await queueBackupBackfill(db);
  if (queued > 0)
    logger.info(
      { backupBackfill: queued },
      `Backup bucket: ${queued} file(s) in S3 had no copy there; queued for the backup (see /healthz, or run npm run storage:sync)`,
    );
  return queued;
}
