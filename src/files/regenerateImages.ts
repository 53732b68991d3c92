/**
 * Rebuilds the variants of every image made under an older VARIANT_SPEC_VERSION (or before
 * the pipeline existed), from its largest stored variant — or its original, for images
 * stored as sent. One image at a time, each committed on its own: killed at any point, a
 * rerun picks up where it stopped, and because keys are content hashes, re-writing a
 * variant that already made it is harmless.
 */
import { buffer as readAll } from 'node:stream/consumers';
import { sql } from 'kysely';
import type { AppDatabase } from '../db/database.ts';
import type { StoredFileRow } from '../db/schema.ts';
import type { Logger } from '../logger.ts';
import type { StorageAdapter, StorageLocation } from '../storage/contract.ts';
import type { FallbackWriter } from '../storage/fallbackWriter.ts';
import { describeProcessedImage, keyPrefixOf } from './imageRecord.ts';
import { isMediaFolder } from '../storage/keys.ts';
import { deleteUnreferencedObjects } from './objectReferences.ts';
import { processImage, type ImageLimits } from '../images/processImage.ts';
import { VARIANT_SPEC_VERSION } from '../images/variantSpecs.ts';
import { checksumColumns } from './recordedChecksums.ts';
import { queueCopiesOfRewrittenFile } from './rewrittenFile.ts';

export interface RegenerationDeps {
  db: AppDatabase;
  adapterFor: (location: StorageLocation) => StorageAdapter | undefined;
  writeObjects: FallbackWriter;
  limits: ImageLimits;
  logger: Logger;
  /** The backup bucket, when configured: it gets the new objects (through the outbox) and loses the replaced ones. */
  backup?: StorageAdapter | undefined;
}

export interface RegenerationProgress {
  done: number;
  total: number;
  failed: number;
}

export interface RegenerationSummary extends RegenerationProgress {
  regenerated: number;
  failures: Array<{ id: number; key: string; reason: string }>;
}

function outdated(db: AppDatabase) {
  return db
    .selectFrom('stored_files')
    .where('folder', 'in', ['avatars', 'thumbnails'])
    .where((eb) => eb.or([eb('spec_version', 'is', null), eb('spec_version', '<', VARIANT_SPEC_VERSION)]));
}

export async function countOutdatedImages(db: AppDatabase): Promise<number> {
  const { count } = await outdated(db).select(db.fn.countAll<string>().as('count')).executeTakeFirstOrThrow();
  return Number(count);
}

/** The outdated images in the order a run would take them, at most `limit`: what a dry run lists. */
export async function listOutdatedImages(
  db: AppDatabase,
  limit?: number,
): Promise<Array<Pick<StoredFileRow, 'id' | 'key' | 'location'>>> {
  let query = outdated(db).select(['id', 'key', 'location']).orderBy('id');
  if (limit !== undefined) query = query.limit(limit);
  return query.execute();
}

export async function regenerateOutdatedImages(
  deps: RegenerationDeps,
  options: { limit?: number; onProgress?: (progress: RegenerationProgress) => void } = {},
): Promise<RegenerationSummary> {
  const total = Math.min(await countOutdatedImages(deps.db), options.limit ?? Number.POSITIVE_INFINITY);
  const summary: RegenerationSummary = { done: 0, total, failed: 0, regenerated: 0, failures: [] };
  // Rows that failed stay outdated; skipping past their ids keeps one bad image from looping forever.
  let afterId = 0;
  while (summary.done < total) {
    const row = await outdated(deps.db).selectAll().where('id', '>', afterId).orderBy('id').limit(1).executeTakeFirst();
    if (!row) break;
    afterId = row.id;
    try {
      await regenerateOne(deps, row);
      summary.regenerated += 1;
    } catch (error) {
      summary.failed += 1;
      summary.failures.push({
        id: row.id,
        key: row.key,
        reason: error instanceof Error ? error.message : String(error),
      });
      deps.logger.warn({ key: row.key, err: error }, `Could not regenerate ${row.key}`);
    }
    summary.done += 1;
    options.onProgress?.({ done: summary.done, total, failed: summary.failed });
  }
  return summary;
}

async function regenerateOne(deps: RegenerationDeps, row: StoredFileRow): Promise<void> {
  const { db, logger } = deps;
  if (!isMediaFolder(row.folder)) throw new Error(`Unknown folder ${row.folder}`);
  const source = deps.adapterFor(row.location);
  if (!source) throw new Error(`${row.key} lives in ${row.location}, which is not configured`);
  const sourceKey = row.variants?.[0]?.key ?? row.key;
  const input = await readAll(await source.get(sourceKey));
  const processed = await processImage(input, row.folder, deps.limits);
  const { objects, fields } = describeProcessedImage(processed, row.folder, keyPrefixOf(row.key));
  const { adapter: target, checksums } = await deps.writeObjects(objects);

  // Only if nobody replaced or deleted the image meanwhile; otherwise the new objects are the orphans.
  const updated = await db.transaction().execute(async (trx) => {
    const result = await trx
      .updateTable('stored_files')
      .set({ ...fields, ...checksumColumns(fields, checksums), location: target.location })
      .where('id', '=', row.id)
      .where('key', '=', row.key)
      .where(sql`coalesce(spec_version, 0)`, '=', row.spec_version ?? 0)
      .executeTakeFirst();
    if (result.numUpdatedRows > 0n)
      await queueCopiesOfRewrittenFile(trx, row.id, target.location, {
        s3Configured: deps.adapterFor('s3') !== undefined,
        backupConfigured: deps.backup !== undefined,
      });
    return result;
  });
  if (updated.numUpdatedRows === 0n) {
    await deleteUnreferencedObjects(
      db,
      target,
      objects.map((object) => object.key),
      logger,
    );
    throw new Error('the image changed while it was being regenerated; it will be picked up again');
  }
  const oldKeys = [row.key, ...(row.variants ?? []).map((variant) => variant.key)];
  await deleteUnreferencedObjects(db, source, oldKeys, logger);
  if (row.location === 's3' && deps.backup) await deleteUnreferencedObjects(db, deps.backup, oldKeys, logger);
}
