/**
 * A file whose objects were rewritten under new keys (images:regenerate) owes the same copies
 * a new upload does, queued in the transaction that records the new keys: to S3 if the new
 * objects fell back to local disk, to the backup bucket if they are in S3.
 */
import type { Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import { owesBackup } from './backupState.ts';
import type { StorageLocation } from '../storage/contract.ts';
import { enqueueCopy } from './outbox.ts';

export async function queueCopiesOfRewrittenFile(
  trx: Transaction<Database>,
  fileId: number,
  location: StorageLocation,
  configured: { s3Configured: boolean; backupConfigured: boolean },
): Promise<void> {
  if (location === 'local' && configured.s3Configured) await enqueueCopy(trx, fileId, 'primary');
  if (location === 's3' && configured.backupConfigured) {
    await owesBackup(trx, fileId);
    await enqueueCopy(trx, fileId, 'backup');
  }
}
