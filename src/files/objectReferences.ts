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

/** Which of `keys` a row that is not lost still uses in `location`: isKeyReferenced for many keys, in one query. */
export async function referencedKeys(db: AppDatabase, keys: string[], location: StorageLocation): Promise<Set<string>> {
  if (keys.length === 0) return new Set();
  const { rows } = await sql<{ key: string }>`
    select candidate.key from unnest(${sql.val(keys)}::text[]) as candidate(key)
    where exists (
      select 1 from stored_files
      where location = ${location} and lost_at is null
        and (key = candidate.key or variants @> jsonb_build_array(jsonb_build_object('key', candidate.key)))
    )`.execute(db);
  return new Set(rows.map((row) => row.key));
}

/**
 * Deletes each key's object unless a row still uses it: one query for the references, then one
 * batch delete where the adapter has one (an image's four variants are one S3 request, not
 * four). Never throws: a leftover object is only garbage.
 */
export async function deleteUnreferencedObjects(
  db: AppDatabase,
  adapter: StorageAdapter,
  keys: string[],
  logger: Logger,
): Promise<void> {
  const unique = [...new Set(keys)];
  let unused: string[];
  try {
    const inUse = await referencedKeys(db, unique, adapter.location);
    unused = unique.filter((key) => !inUse.has(key));
  } catch (error) {
    logger.warn({ keys: unique, err: error }, `Could not check ${unique.join(', ')}; they are now orphan objects`);
    return;
  }
  if (unused.length === 0) return;
  if (adapter.deleteMany && unused.length > 1) {
    try {
      return await adapter.deleteMany(unused);
    } catch (error) {
      logger.warn({ keys: unused, err: error }, 'A batch delete failed; deleting one by one');
    }
  }
  for (const key of unused) {
    try {
      await adapter.delete(key);
    } catch (error) {
      logger.warn({ key, err: error }, `Could not delete ${key}; it is now an orphan object`);
    }
  }
}
