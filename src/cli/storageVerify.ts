/**
 * `npm run storage:verify [-- --repair]`: checks that the backup bucket holds every object
 * of every file in S3, byte for byte as far as S3 can tell — same size, same CRC64NVME as S3
 * computed when the object was first written. Lists each mismatch; with --repair copies it
 * again (and verifies). Exits 1 while any problem remains.
 */
import { countFilesToVerify, verifyBackup } from '../files/verifyBackup.ts';
import { formatBytes } from './formatBytes.ts';
import { parseCliArgs } from './parseCliArgs.ts';
import { createProgressBar } from './progressBar.ts';
import { countedAdaptersFor } from './countedAdapters.ts';
import { loadConfigOrReport, runCommand, withDatabase } from './runCommand.ts';

const CLI = {
  name: 'storage:verify',
  summary:
    'Compares every object of every file in the primary bucket with its copy in the backup bucket (AWS_BACKUP_BUCKET_NAME), by size and by the CRC64NVME checksum S3 computed, and lists what differs.',
  options: { repair: { type: 'boolean' } },
  optionHelp: ['--repair  copy bad or missing backup objects again from the primary bucket, and verify them'],
} as const;

async function main(): Promise<number> {
  const parsed = parseCliArgs(CLI);
  if ('exitCode' in parsed) return parsed.exitCode;
  const repair = parsed.values.repair ?? false;
  const config = loadConfigOrReport();
  if (!config) return 1;
  if (!config.s3?.backup) {
    console.log(
      'No backup bucket is configured (AWS_BACKUP_BUCKET_NAME), so there is nothing to verify. Set it, run npm run storage:sync to fill it, then verify.',
    );
    return 1;
  }
  return withDatabase(config, async (db) => {
    const { s3, backup } = countedAdaptersFor(config, db);
    const planned = await countFilesToVerify(db);
    console.log(
      `Verifying the backup bucket against the primary: ${planned.objects} object(s) of ${planned.files} file(s)${repair ? ', repairing what differs' : ''}.`,
    );
    const bar = createProgressBar('verify', process.stdout);
    const summary = await verifyBackup(
      { db, primary: s3!, backup: backup! },
      {
        repair,
        onObject: (progress) =>
          bar.update(
            Math.min(progress.objects, planned.objects),
            planned.objects,
            progress.problems.length ? `${progress.problems.length} problem(s)` : '',
          ),
      },
    );
    for (const problem of summary.problems) {
      console.log(`  ✗ ${problem.key} (file #${problem.fileId}): ${problem.detail}`);
      if (problem.repair)
        console.log(`    ${problem.repair.ok ? '✓ repaired' : '✗ not repaired'}: ${problem.repair.detail}`);
    }
    const remaining = summary.problems.filter((problem) => !problem.repair?.ok).length;
    console.log(
      `Checked ${summary.objects} object(s) (${formatBytes(summary.bytes)}) of ${summary.files} file(s): ${summary.matching} match in size and checksum, ${summary.problems.length} problem(s)${repair ? `, ${summary.problems.length - remaining} repaired` : ''}.`,
    );
    if (remaining > 0 && !repair) console.log('Run npm run storage:verify -- --repair to copy them again.');
    return remaining > 0 ? 1 : 0;
  });
}

runCommand('storage:verify', main);
