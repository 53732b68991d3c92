/**
 * `npm run storage:sync`: one resync pass by hand — moves images that fell back to local disk
 * into S3 and copies S3 objects to the backup bucket — then prints what it did. The app does
 * the same in the background; this run also retries rows that are backing off or leased by a
 * crashed worker (every step is safe to repeat).
 */
import { createLogger } from '../logger.ts';
import { summariseOutbox } from '../files/outbox.ts';
import { createResync } from '../files/resync.ts';
import { adaptersFromConfig } from '../storage/storageFromConfig.ts';
import { parseCliArgs } from './parseCliArgs.ts';
import { loadConfigOrReport, runCommand, withDatabase } from './runCommand.ts';

const CLI = {
  name: 'storage:sync',
  summary:
    'One resync pass by hand: moves images that fell back to local disk into S3 and copies S3 objects to the backup bucket, then prints what it did.',
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
    const { s3, local, backup } = adaptersFromConfig(config);
    const before = await summariseOutbox(db);
    console.log(
      `Pending: ${before.pending} file(s) waiting for S3, ${before.backupPending} waiting for the backup bucket.`,
    );
    const summary = await createResync({ db, s3: s3!, local, backup, logger }).runPass({ ignoreLeases: true });
    const after = await summariseOutbox(db);
    console.log(
      `Moved to S3: ${summary.moved}. Backed up: ${summary.backedUp}. Lost (local file gone): ${summary.lost}. Failed: ${summary.failed}.`,
    );
    for (const failure of summary.failures)
      console.log(`  ✗ #${failure.fileId} ${failure.key} → ${failure.target}: ${failure.reason}`);
    console.log(
      `Still pending: ${after.pending} for S3, ${after.backupPending} for the backup bucket${after.pending + after.backupPending > 0 ? ' (failed copies are retried with back-off; run again or let the app do it)' : ''}.`,
    );
    return summary.failed > 0 ? 1 : 0;
  });
}

runCommand('storage:sync', main);
