/**
 * Copies still owed to a bucket, recorded in the same transaction as the file itself, so a
 * file can never exist without its pending copy being known (and never be forgotten on a
 * disk that Render wipes at the next deploy).
 */
import { sql, type Transaction } from 'kysely';
import type { AppDatabase } from '../db/database.ts';
import type { Database } from '../db/schema.ts';
import { countMissingFromBackup } from '../files/backupState.ts';

export type CopyTarget = 'primary' | 'backup';

export async function enqueueCopy(
  trx: Transaction<Database> | AppDatabase,
  fileId: number,
  target: CopyTarget,
): Promise<void> {
  await trx
    .insertInto('pending_copies')
    .values({ file_id: fileId, target })
    .onConflict((oc) => oc.columns(['file_id', 'target']).doNothing())
    .execute();
}

export interface OutboxSummary {
  pending: number;
  oldestPendingAgeSeconds: number | null;
  backupPending: number;
  oldestBackupAgeSeconds: number | null;
  /** Files in S3 with no verified copy in the backup bucket yet, queued or not. */
  backupMissing: number;
  lost: number;
}

export async function summariseOutbox(db: AppDatabase): Promise<OutboxSummary> {
  const rows = await db
    .selectFrom('pending_copies')
    .select([
      'target',
      db.fn.countAll<string>().as('count'),
      sql<string | null>`extract(epoch from now() - min(created_at))`.as('oldest'),
    ])
    .groupBy('target')
    .execute();
  const lost = await db
    .selectFrom('stored_files')
    .select(db.fn.countAll<string>().as('count'))
    .where('lost_at', 'is not', null)
    .executeTakeFirstOrThrow();
  const backupMissing = await countMissingFromBackup(db);
  const of = (target: CopyTarget) => rows.find((row) => row.target === target);
  const age = (value: string | null | undefined) =>
    value === null || value === undefined ? null : Math.round(Number(value));
  return {
    pending: Number(of('primary')?.count ?? 0),
    oldestPendingAgeSeconds: age(of('primary')?.oldest),
    backupPending: Number(of('backup')?.count ?? 0),
    oldestBackupAgeSeconds: age(of('backup')?.oldest),
    backupMissing,
    lost: Number(lost.count),
  };
}
