/**
 * `npm run storage:migrate [-- --dry-run] [-- --limit N]`: moves every file on local disk into
 * S3 by recording each as owed to S3 and running the resync pass over them
 * (src/files/migrateLocalToS3.ts). Safe to stop and rerun; exits non-zero when any file could
 * not be moved, or when there is no S3 to move to.
 */
import { createLogger } from '../logger.ts';
import { migrateLocalToS3, type MigrationItem, type MigrationSummary } from '../files/migrateLocalToS3.ts';
import { createProgressBar } from './progressBar.ts';
import { formatBytes } from './formatBytes.ts';
import { parseCliArgs, refuseUsage } from './parseCliArgs.ts';
import { countedAdaptersFor } from './countedAdapters.ts';
import { loadConfigOrReport, runCommand, withDatabase } from './runCommand.ts';

const CLI = {
  name: 'storage:migrate',
  summary:
    'Moves every file on local disk into S3, checking each copy before the local file goes. Safe to stop and rerun.',
  options: { 'dry-run': { type: 'boolean', default: false }, limit: { type: 'string' }, 'min-age': { type: 'string' } },
  optionHelp: [
    '--dry-run     list what would move; change nothing',
    '--limit N     move at most N files this run',
    '--min-age N   skip files no row knows that are younger than N minutes (default 60: a running app may still',
    '              be writing them and about to record them); 0 when no app is running, e.g. after a `cp` restore',
  ],
} as const;
/** Long lists of skips and failures are cut here; the rest are counted. */
const MAX_LISTED = 50;

async function main(): Promise<number> {
  const parsed = parseCliArgs(CLI);
  if ('exitCode' in parsed) return parsed.exitCode;
  const args = parsed.values;
  const limit = args.limit === undefined ? undefined : Number(args.limit);
  if (limit !== undefined && (!Number.isInteger(limit) || limit <= 0))
    return refuseUsage(CLI, `--limit must be a whole number above 0 (got "${args.limit}")`);
  const dryRun = args['dry-run'] ?? false;
  const minAgeMinutes = args['min-age'] === undefined ? undefined : Number(args['min-age']);
  if (
    minAgeMinutes !== undefined &&
    (args['min-age']?.trim() === '' || !Number.isInteger(minAgeMinutes) || minAgeMinutes < 0)
  )
    return refuseUsage(CLI, `--min-age must be a whole number of minutes, 0 or more (got "${args['min-age']}")`);

  const config = loadConfigOrReport();
  if (!config) return 1;
  if (!config.s3) {
    console.error(nothingToMigrateTo(config.localStorageDir));
    return 1;
  }

  const s3Settings = config.s3;
  const logger = createLogger({ level: 'error' });
  return withDatabase(config, async (db) => {
    const { s3, local, backup } = countedAdaptersFor(config, db);
    if (!s3) return 1;
    // A dry run reads only the database and the disk, so it works even while S3 is down.
    if (!dryRun && !(await s3.isAvailable())) {
      console.error(
        `S3 bucket "${s3Settings.bucket}" is not answering, so nothing was moved. Run \`npm run storage:check\` to find out why.`,
      );
      return 1;
    }
    const bar = createProgressBar('files');
    const summary = await migrateLocalToS3(
      { db, s3, local, logger, backup },
      {
        dryRun,
        ...(limit !== undefined && { limit }),
        ...(minAgeMinutes !== undefined && { minAgeMs: minAgeMinutes * 60_000 }),
        onProgress: ({ files, totalFiles, bytes, totalBytes, failed }) =>
          bar.update(
            files,
            totalFiles,
            `${formatBytes(bytes)} of ${formatBytes(totalBytes)}${failed > 0 ? `, ${failed} failed` : ''}`,
          ),
      },
    );
    const target = `S3 bucket "${s3Settings.bucket}"`;
    if (dryRun) printDryRun(summary, config.localStorageDir, target);
    else printSummary(summary, target);
    return summary.failed.length > 0 ? 1 : 0;
  });
}

function nothingToMigrateTo(localStorageDir: string): string {
  return [
    `USE_CLOUD_STORAGE is off, so there is no S3 bucket to migrate to: files stay under ${localStorageDir}.`,
    'To move them into S3 (or an S3-compatible service), set:',
    '  USE_CLOUD_STORAGE=true',
    '  AWS_BUCKET_NAME=<bucket>',
    "  AWS_REGION=<the bucket's region, e.g. eu-west-1>",
    '  AWS_ACCESS_KEY_ID=<key id> and AWS_SECRET_ACCESS_KEY=<secret>  (or leave both unset to use an IAM role)',
    '  AWS_ENDPOINT_URL=<https://...>  only for MinIO, Cloudflare R2, Backblaze B2, DigitalOcean Spaces and the like',
    'check the setup with `npm run storage:check`, then run `npm run storage:migrate` again.',
  ].join('\n');
}

function printDryRun(summary: MigrationSummary, localStorageDir: string, target: string): void {
  const { items, files, bytes } = summary.planned;
  if (files === 0) console.log(`Nothing to move: no file under ${localStorageDir} is waiting for ${target}.`);
  else console.log(`Would move ${files} file(s), ${formatBytes(bytes)}, from ${localStorageDir} to ${target}:`);
  for (const item of items) console.log(`  ${describeItem(item)}`);
  printProblems(summary);
  if (summary.leftForLater > 0)
    console.log(`(--limit: ${summary.leftForLater} more file(s) would wait for a later run.)`);
  console.log('Dry run: nothing was changed.');
}

function printSummary(summary: MigrationSummary, target: string): void {
  const { files, bytes } = summary.planned;
  if (files === 0) {
    console.log(`Nothing to move: every recorded file is already in ${target}.`);
  } else {
    console.log(
      `Moved ${summary.moved} of ${files} file(s) (${formatBytes(summary.movedBytes)} of ${formatBytes(bytes)}) to ${target}; ` +
        `${summary.skipped.length} skipped, ${summary.failed.length} failed.`,
    );
  }
  printProblems(summary);
  if (summary.leftForLater > 0)
    console.log(`Stopped at --limit: ${summary.leftForLater} more file(s) wait for the next run.`);
  if (summary.failed.length > 0)
    console.log('Files that failed stay where they are and are tried again on the next run.');
}

function printProblems(summary: MigrationSummary): void {
  const list = (mark: string, entries: Array<{ key: string; reason: string }>) => {
    for (const entry of entries.slice(0, MAX_LISTED)) console.log(`  ${mark} ${entry.key}: ${entry.reason}`);
    if (entries.length > MAX_LISTED) console.log(`  … and ${entries.length - MAX_LISTED} more`);
  };
  if (summary.skipped.length > 0) console.log(`Skipped ${summary.skipped.length}:`);
  list('-', summary.skipped);
  if (summary.failed.length > 0) console.log(`Failed ${summary.failed.length}:`);
  list('✗', summary.failed);
}

function describeItem(item: MigrationItem): string {
  const what = item.kind === 'row' ? `#${item.fileId}` : 'unrecorded';
  const objects = item.objectKeys.length > 1 ? `${item.objectKeys.length} objects, ` : '';
  return `${what} ${item.key} (${objects}${formatBytes(item.bytes)})`;
}

runCommand('storage:migrate', main);
