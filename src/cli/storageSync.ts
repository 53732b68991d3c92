/**
 * `npm run storage:sync`: one resync pass by hand — moves images that fell back to local disk
 * into S3 and copies S3 objects to the backup bucket — then prints what it did. With a backup
 * bucket it first queues every file the bucket has no verified copy of (the backfill: files
 * from before the bucket was configured included), and shows progress as copies are made.
 * Stopped at any point, a rerun carries on: the queue is in the database. The app does the
 * same in the background; this run also retries rows that are backing off or leased by a
 * crashed worker (every step is safe to repeat).
 */
import { queueBackupBackfill } from '../files/backupState.ts';
import { createLogger } from '../logger.ts';
import { summariseOutbox } from '../files/outbox.ts';
import { createResync } from '../files/resync.ts';
import { parseCliArgs } from './parseCliArgs.ts';
import { createProgressBar } from './progressBar.ts';
import { countedAdaptersFor } from './countedAdapters.ts';
import { loadConfigOrReport, runCommand, withDatabase } from './runCommand.ts';

const CLI = {
  name: 'storage:sync',
  summary:
    'One resync pass by hand: moves images that fell back to local disk into S3 and copies S3 objects to the backup bucket (first queueing every file the backup bucket has no verified copy of), with progress, then prints what it did.',
  options: {},
  optionHelp: [],
} as const;

async function main(): Promise<number> {
  const parsed = parseCliArgs(CLI);
  if ('exitCode' in parsed) return parsed.exitCode;
  const config = loadConfigOrReport();
  if (!config) return 1;
  if (!config.s3) {
    console.log(
      'USE_CLOUD_STORAGE is off: images live on local disk and there is nothing to sync. Set USE_CLOUD_STORAGE=true and the AWS_* variables first.',
    );
    return 1;
  }
  const logger = createLogger({ level: 'error' });
  return withDatabase(config, async (db) => {
    const { s3, local, backup } = countedAdaptersFor(config, db);
    if (backup) {
      const queued = await queueBackupBackfill(db);
      if (queued > 0)
        console.log(`Backfill: ${queued} file(s) in S3 had no verified copy in the backup bucket; queued them.`);
    }
    const before = await summariseOutbox(db);
    console.log(
      `Pending: ${before.pending} file(s) waiting for S3, ${before.backupPending} waiting for the backup bucket.`,
    );
    const total = before.pending + before.backupPending;
    const bar = createProgressBar('sync', process.stdout);
    const summary = await createResync({ db, s3: s3!, local, backup, logger }).runPass({
      ignoreLeases: true,
      onRow: (progress) => {
        const done = progress.moved + progress.backedUp + progress.lost + progress.failed;
        bar.update(
          Math.min(done, total),
          total,
          `${progress.backedUp} backed up, ${progress.moved} moved${progress.failed ? `, ${progress.failed} failed` : ''}`,
        );
      },
    });
    const after = await summariseOutbox(db);
    console.log(
      `Moved to S3: ${summary.moved}. Backed up: ${summary.backedUp}. Lost (local file gone): ${summary.lost}. Failed: ${summary.failed}.`,
    );
    for (const failure of summary.failures)
      console.log(`  ✗ #${failure.fileId} ${failure.key} → ${failure.target}: ${failure.reason}`);
    console.log(
      `Still pending: ${after.pending} for S3, ${after.backupPending} for the backup bucket${after.pending + after.backupPending > 0 ? ' (failed copies are retried with back-off; run again or let the app do it)' : ''}.`,
    );
    if (backup)
      console.log(
        `Missing from the backup bucket: ${after.backupMissing} file(s)${after.backupMissing > 0 ? ' (run again, or check the failures above)' : ''}.`,
      );
    return summary.failed > 0 ? 1 : 0;
  });
}

runCommand('storage:sync', main);
