/**
 * `npm run images:regenerate [-- --dry-run] [-- --limit N]`: rebuilds the variants of every
 * image stored under an older variant spec. Safe to stop and rerun; exits non-zero when any
 * image could not be rebuilt. --dry-run lists what would be rebuilt and writes nothing.
 */
import { countOutdatedImages, listOutdatedImages, regenerateOutdatedImages } from '../files/regenerateImages.ts';
import { VARIANT_SPEC_VERSION } from '../images/variantSpecs.ts';
import { createLogger } from '../logger.ts';
import { createFallbackWriter } from '../storage/fallbackWriter.ts';
import { parseCliArgs, refuseUsage } from './parseCliArgs.ts';
import { createProgressBar } from './progressBar.ts';
import { countedAdaptersFor } from './countedAdapters.ts';
import { loadConfigOrReport, runCommand, withDatabase } from './runCommand.ts';

const CLI = {
  name: 'images:regenerate',
  summary: `Rebuilds the variants of every image stored under a variant spec older than version ${VARIANT_SPEC_VERSION}, then deletes the old variants. Safe to stop and rerun.`,
  options: { 'dry-run': { type: 'boolean', default: false }, limit: { type: 'string' } },
  optionHelp: [
    '--dry-run   list the images that would be rebuilt; write and delete nothing',
    '--limit N   rebuild at most N images this run',
  ],
} as const;

async function main(): Promise<number> {
  const parsed = parseCliArgs(CLI);
  if ('exitCode' in parsed) return parsed.exitCode;
  const limit = parsed.values.limit === undefined ? undefined : Number(parsed.values.limit);
  if (limit !== undefined && (!Number.isInteger(limit) || limit <= 0))
    return refuseUsage(CLI, `--limit must be a whole number above 0 (got "${parsed.values.limit}")`);
  const dryRun = parsed.values['dry-run'] ?? false;

  const config = loadConfigOrReport();
  if (!config) return 1;
  const logger = createLogger({ level: 'error' });
  return withDatabase(config, async (db) => {
    const outdated = await countOutdatedImages(db);
    if (outdated === 0) {
      console.log(`Every image is already at variant spec version ${VARIANT_SPEC_VERSION}. Nothing to do.`);
      return 0;
    }
    if (dryRun) {
      const images = await listOutdatedImages(db, limit);
      console.log(
        `Dry run: ${images.length} of ${outdated} outdated image(s) would be regenerated to variant spec version ${VARIANT_SPEC_VERSION}:`,
      );
      for (const image of images) console.log(`  #${image.id} ${image.key} (${image.location})`);
      console.log('Nothing was written or deleted. Run again without --dry-run to regenerate them.');
      return 0;
    }
    const { s3, local, backup } = countedAdaptersFor(config, db);
    const count = Math.min(outdated, limit ?? outdated);
    console.log(
      `Regenerating ${count} of ${outdated} image(s) to variant spec version ${VARIANT_SPEC_VERSION}${s3 ? ' (S3 first, local disk if S3 fails)' : ' (local disk)'}.`,
    );
    const bar = createProgressBar('images');
    const summary = await regenerateOutdatedImages(
      {
        db,
        adapterFor: (location) => (location === 's3' ? s3 : local),
        writeObjects: createFallbackWriter({ s3, local, logger }),
        limits: { maxPixels: config.maxImagePixels },
        logger,
        backup,
      },
      { limit, onProgress: ({ done, total, failed }) => bar.update(done, total, failed > 0 ? `${failed} failed` : '') },
    );
    console.log(`Regenerated ${summary.regenerated} of ${summary.total}; ${summary.failed} failed.`);
    for (const failure of summary.failures) console.log(`  ✗ #${failure.id} ${failure.key}: ${failure.reason}`);
    if (summary.failed > 0) console.log('Failed images keep their old variants and are tried again on the next run.');
    if (outdated > summary.total) console.log(`${outdated - summary.total} more image(s) wait for the next run.`);
    return summary.failed > 0 ? 1 : 0;
  });
}

runCommand('images:regenerate', main);
