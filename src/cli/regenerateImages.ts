/**
 * `npm run images:regenerate`: rebuilds the variants of every image stored under an older
 * variant spec. Safe to stop and rerun; exits non-zero when any image could not be rebuilt.
 */
import { countOutdatedImages, regenerateOutdatedImages } from '../images/regenerateImages.ts';
import { VARIANT_SPEC_VERSION } from '../images/variantSpecs.ts';
import { createLogger } from '../logger.ts';
import { createFallbackWriter } from '../storage/fallbackWriter.ts';
import { adaptersFromConfig } from '../storage/storageFromConfig.ts';
import { createProgressBar } from './progressBar.ts';
import { loadConfigOrReport, runCommand, withDatabase } from './runCommand.ts';

async function main(): Promise<number> {
  const config = loadConfigOrReport();
  if (!config) return 1;
  const logger = createLogger({ level: 'error' });
  return withDatabase(config, async (db) => {
    const { s3, local, backup } = adaptersFromConfig(config);
    const outdated = await countOutdatedImages(db);
    if (outdated === 0) {
      console.log(`Every image is already at variant spec version ${VARIANT_SPEC_VERSION}. Nothing to do.`);
      return 0;
    }
    console.log(
      `Regenerating ${outdated} image(s) to variant spec version ${VARIANT_SPEC_VERSION}${s3 ? ' (S3 first, local disk if S3 fails)' : ' (local disk)'}.`,
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
      { onProgress: ({ done, total, failed }) => bar.update(done, total, failed > 0 ? `${failed} failed` : '') },
    );
    console.log(`Regenerated ${summary.regenerated} of ${summary.total}; ${summary.failed} failed.`);
    for (const failure of summary.failures) console.log(`  ✗ #${failure.id} ${failure.key}: ${failure.reason}`);
    if (summary.failed > 0) console.log('Failed images keep their old variants and are tried again on the next run.');
    return summary.failed > 0 ? 1 : 0;
  });
}

runCommand('images:regenerate', main);
