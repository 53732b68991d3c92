/**
 * `npm run storage:gc [-- --delete] [-- --older-than-hours N]`: lists the objects in S3 and
 * the files on local disk that no stored file references and that are older than the grace
 * period (24 h by default); deletes them only with --delete. Exits non-zero only when a
 * listing or a deletion failed. See src/files/collectGarbage.ts for what counts as garbage.
 */
import { createDatabaseBlobAdapter } from '../files/fallbackBlobs.ts';
import { createLogger } from '../logger.ts';
import {
  collectGarbage,
  DEFAULT_GRACE_HOURS,
  type GarbageObject,
  type GarbagePlace,
  type GarbageSummary,
} from '../files/collectGarbage.ts';
import { multipartStoreFor } from '../storage/storageFromConfig.ts';
import { formatBytes } from './formatBytes.ts';
import { parseCliArgs, refuseUsage } from './parseCliArgs.ts';
import { countedAdaptersFor } from './countedAdapters.ts';
import { loadConfigOrReport, runCommand, withDatabase } from './runCommand.ts';

const CLI = {
  name: 'storage:gc',
  summary:
    'Lists objects in S3 and files on local disk that no stored file references and that are older than the grace period; deletes them only with --delete.',
  options: { delete: { type: 'boolean', default: false }, 'older-than-hours': { type: 'string' } },
  optionHelp: [
    '--delete               delete what is listed (default: only list)',
    `--older-than-hours N   grace period in hours (default ${DEFAULT_GRACE_HOURS})`,
  ],
} as const;
const HOUR_MS = 3_600_000;

async function main(): Promise<number> {
  const parsed = parseCliArgs(CLI);
  if ('exitCode' in parsed) return parsed.exitCode;
  const args = parsed.values;
  const hours = args['older-than-hours'] === undefined ? DEFAULT_GRACE_HOURS : Number(args['older-than-hours']);
  // Zero would let a run delete the bytes of an upload whose row is still being written.
  if (!Number.isFinite(hours) || hours <= 0)
    return refuseUsage(CLI, `--older-than-hours must be a number above 0 (got "${args['older-than-hours']}")`);
  const shouldDelete = args.delete ?? false;

  const config = loadConfigOrReport();
  if (!config) return 1;

  const logger = createLogger({ level: 'error' });
  return withDatabase(config, async (db) => {
    const { s3, local, backup } = countedAdaptersFor(config, db);
    // With PostgreSQL and S3, uploads made during an outage wait in the database: a blob whose row
    // was never written (the database went away between the two) is garbage there too.
    const outageStore =
      s3 && config.databaseUrl
        ? createDatabaseBlobAdapter({
            db,
            maxFileBytes: config.fallbackMaxFileBytes,
            maxTotalBytes: config.fallbackMaxTotalBytes,
          })
        : undefined;
    const places: Record<GarbagePlace, string> = {
      s3: config.s3 ? `S3 bucket "${config.s3.bucket}"` : 'S3',
      local: `local disk (${config.localStorageDir})`,
      db: 'the outage store in PostgreSQL',
      backup: config.s3?.backup ? `backup bucket "${config.s3.backup.bucket}"` : 'backup bucket',
    };
    if (!s3) console.log('USE_CLOUD_STORAGE is off: scanning local disk only.');
    const scanned = [s3 && places.s3, backup && places.backup, places.local, outageStore && places.db]
      .filter(Boolean)
      .join(', ');
    console.log(
      `Looking for unreferenced files older than ${hours} h in ${scanned}${shouldDelete ? ', deleting them' : ''}…`,
    );
    const summary = await collectGarbage(
      {
        db,
        adapters: s3 ? [s3, local, ...(outageStore ? [outageStore] : [])] : [local],
        logger,
        multipart: config.s3 ? multipartStoreFor(config.s3) : undefined,
        backup,
      },
      {
        olderThanMs: hours * HOUR_MS,
        delete: shouldDelete,
        onFound: (object) => console.log(`  ${describeObject(object)}`),
      },
    );
    printSummary(summary, places, shouldDelete, s3 !== undefined);
    // Half-written blobs (the writer was killed, or the database went away mid-write) are never listed as files.
    if (outageStore && shouldDelete) {
      const abandoned = await outageStore.deleteAbandoned(hours * 3_600);
      console.log(`${places.db}: deleted ${abandoned} half-written blob(s) older than ${hours} h.`);
    }
    return summary.failures.length > 0 ? 1 : 0;
  });
}

function describeObject(object: GarbageObject): string {
  const where = { s3: 'S3    ', backup: 'backup', local: 'local ', db: 'db    ' }[object.location];
  const outcome = object.deleted ? '  deleted' : object.keptBecause ? `  (kept: ${object.keptBecause})` : '';
  return `${where}  ${formatAge(object.ageMs).padStart(7)}  ${formatBytes(object.size).padStart(9)}  ${object.key}${outcome}`;
}

function printSummary(
  summary: GarbageSummary,
  places: Record<GarbagePlace, string>,
  deleted: boolean,
  s3On: boolean,
): void {
  for (const location of ['s3', 'backup', 'local', 'db'] as const) {
    const tally = summary.byLocation[location];
    if (!tally) continue;
    const removed = deleted ? `; deleted ${tally.deleted} (${formatBytes(tally.deletedBytes)})` : '';
    console.log(
      `${places[location]}: ${tally.garbage} unreferenced (${formatBytes(tally.garbageBytes)}) of ${tally.scanned} scanned; ` +
        `${tally.referenced} in use, ${tally.young} too young to judge${removed}.`,
    );
  }
  for (const upload of summary.staleUploads) {
    console.log(
      `S3     ${formatAge(upload.ageMs).padStart(7)}  incomplete upload  ${upload.key}${upload.aborted ? '  aborted' : ''}`,
    );
  }
  if (summary.staleUploads.length > 0)
    console.log(
      `${places.s3}: ${summary.staleUploads.length} incomplete direct video upload(s) older than the grace period${deleted ? `; aborted ${summary.staleUploads.filter((upload) => upload.aborted).length}` : ''}.`,
    );
  for (const failure of summary.failures)
    console.log(`  ✗ ${places[failure.location]} ${failure.key}: ${failure.reason}`);
  if (deleted || (summary.objects.length === 0 && summary.staleUploads.length === 0)) return;
  console.log(
    'Nothing was deleted. Run again with --delete to remove the files listed above (and abort the incomplete uploads).',
  );
  if (s3On && (summary.byLocation.local?.garbage ?? 0) > 0) {
    console.log(
      'Local files that no row knows may be uploads from before files were recorded: `npm run storage:migrate` moves them to S3 and records them instead.',
    );
  }
}

function formatAge(ms: number): string {
  const hours = ms / HOUR_MS;
  if (hours < 1) return `${Math.floor(ms / 60_000)} min`;
  if (hours < 72) return `${Math.floor(hours)} h`;
  return `${Math.floor(hours / 24)} d`;
}

runCommand('storage:gc', main);
