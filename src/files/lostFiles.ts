/**
 * A local file whose bytes are gone — Render wipes an instance's disk at every deploy — is
 * marked lost rather than left as a broken image: pages then show the placeholder, /healthz
 * counts it, and the operator is told which file it was.
 */
import type { AppDatabase } from '../db/database.ts';
import type { StoredFileRow } from '../db/schema.ts';
import type { Logger } from '../logger.ts';
import type { StorageAdapter } from '../storage/contract.ts';

export async function markFileLost(
  db: AppDatabase,
  file: Pick<StoredFileRow, 'id' | 'key'>,
  logger: Logger,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('stored_files')
      .set({ lost_at: new Date() })
      .where('id', '=', file.id)
      .where('lost_at', 'is', null)
      .execute();
    await trx.deleteFrom('pending_copies').where('file_id', '=', file.id).execute();
  });
  logger.error(
    { key: file.key, fileId: file.id },
    `Local file ${file.key} is gone (the disk was wiped before it reached S3); it now shows as a placeholder`,
  );
}

/** At start-up: every local row with none of its objects left is marked lost. Returns how many were. */
export async function reconcileLocalFiles(db: AppDatabase, local: StorageAdapter, logger: Logger): Promise<number> {
  const rows = await db
    .selectFrom('stored_files')
    .selectAll()
    .where('location', '=', 'local')
    .where('lost_at', 'is', null)
    .execute();
  let lost = 0;
  for (const row of rows) {
    const keys = row.variants?.map((variant) => variant.key) ?? [row.key];
    const present = await Promise.all(keys.map((key) => local.head(key)));
    // Some variants left: resync rebuilds the others from the largest (files/repairVariants.ts).
    if (present.every((info) => info === undefined)) {
      await markFileLost(db, row, logger);
      lost += 1;
    }
  }
  if (lost > 0) logger.error(`${lost} local file(s) were missing at start-up and are marked lost; see /healthz`);
  return lost;
}
