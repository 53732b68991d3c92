/**
 * What the backup bucket is owed, kept in stored_files.backed_up_at: null means some object of
 * the file has no verified copy there yet. Enabling the backup bucket on a store that already
 * holds files, a regeneration that writes new keys, and a move into S3 all leave it null; the
 * backfill turns every such row into an outbox entry, so "everything" really is everything.
 */
import { sql, type Transaction } from 'kysely';
import type { AppDatabase } from '../db/database.ts';
import type { Database, StoredFileRow } from '../db/schema.ts';
import type { Checksums } from './recordedChecksums.ts';
import { checksumColumns } from './recordedChecksums.ts';

type Executor = Transaction<Database> | AppDatabase;

/** Files in S3 that the backup bucket does not hold a verified copy of. */
function owedToBackup(db: Executor) {
  return db
    .selectFrom('stored_files')
    .where('location', '=', 's3')
    .where('lost_at', 'is', null)
    .where('backed_up_at', 'is', null);
}

/**
 * Queues a backup copy for every file the backup bucket is owed and has none queued. Safe to
 * run any number of times (one outbox row per file); resolves with how many it queued.
 */
export async function queueBackupBackfill(db: AppDatabase): Promise<number> {
  const result = await db
    .insertInto('pending_copies')
    .columns(['file_id', 'target'])
    .expression(owedToBackup(db).select(['id', sql<'backup'>`'backup'`.as('target')]))
    .onConflict((oc) => oc.columns(['file_id', 'target']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n);
}

/** How many files in S3 have no verified copy in the backup bucket (queued or not). */
export async function countMissingFromBackup(db: AppDatabase): Promise<number> {
  const { count } = await owedToBackup(db).select(db.fn.countAll<string>().as('count')).executeTakeFirstOrThrow();
  return Number(count);
}

/**
 * A verified copy of every object of `file` is in the backup bucket: the outbox row goes, the
 * row says so. False when the row was not there to say it (regenerated with new keys, or gone).
 */
export async function recordBackedUp(
  db: AppDatabase,
  file: Pick<StoredFileRow, 'id' | 'key' | 'variants' | 'checksum'>,
  checksums: Checksums,
  pendingId: number,
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const updated = await trx
      .updateTable('stored_files')
      .set({
        backed_up_at: sql<Date>`now()`,
        // Files written before checksums get the one S3 computed for the verified copy.
        ...(file.checksum === null && checksumColumns(file, checksums)),
      })
      .where('id', '=', file.id)
      .where('key', '=', file.key)
      .executeTakeFirst();
    // A file regenerated meanwhile has new keys: its outbox row stays, and the next pass copies those.
    if (updated.numUpdatedRows === 0n) return false;
    await trx.deleteFrom('pending_copies').where('id', '=', pendingId).execute();
    return true;
  });
}

/** The file's objects changed (regenerated): the backup is owed new copies. */
export async function owesBackup(trx: Executor, fileId: number): Promise<void> {
  await trx.updateTable('stored_files').set({ backed_up_at: null }).where('id', '=', fileId).execute();
}

/** storage:verify found every object of the file in the backup bucket with the right checksum. */
export async function markBackedUp(db: AppDatabase, file: Pick<StoredFileRow, 'id'>): Promise<void> {
  await db
    .updateTable('stored_files')
    .set({ backed_up_at: sql<Date>`now()` })
    .where('id', '=', file.id)
    .where('backed_up_at', 'is', null)
    .execute();
}
