/**
 * With content-addressed keys one object can back several rows (the same picture uploaded
 * twice). An object is deleted only once no row mentions its key any more.
 */
import { sql } from 'kysely';
import type { AppDatabase } from '../db/database.ts';
import type { Logger } from '../logger.ts';
import type { StorageAdapter, StorageLocation } from '../storage/contract.ts';

/** Whether any row that is not lost still uses `key` in `location` (the same key may exist in both backends). */
export async function isKeyReferenced(db: AppDatabase, key: string, location: StorageLocation): Promise<boolean> {
  const row = await db
    .selectFrom('stored_files')
    .select('id')
    .where('location', '=', location)
    // A lost file's bytes are gone; what is left of it (a partial copy) is garbage, not in use.
    .where('lost_at', 'is', null)
    .where((eb) => eb.or([eb('key', '=', key), eb(sql`variants`, '@>', sql`${JSON.stringify([{ key }])}::jsonb`)]))
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** Deletes each key's object unless a row still uses it. Never throws: a leftover object is only garbage. */
export async function deleteUnreferencedObjects(
  db: AppDatabase,
  adapter: StorageAdapter,
  keys: string[],
  logger: Logger,
): Promise<void> {
  for (const key of new Set(keys)) {
    try {
      if (!(await isKeyReferenced(db, key, adapter.location))) await adapter.delete(key);
    } catch (error) {
      logger.warn({ key, err: error }, `Could not delete ${key}; it is now an orphan object`);
    }
  }
}
