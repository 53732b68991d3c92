/** The stored files a member owns, read inside the caller's transaction (e.g. before their row goes). */
import type { Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';

export async function fileIdsOwnedBy(trx: Transaction<Database>, ownerId: number): Promise<number[]> {
  const files = await trx.selectFrom('stored_files').select('id').where('owner_id', '=', ownerId).execute();
  return files.map((file) => file.id);
}
