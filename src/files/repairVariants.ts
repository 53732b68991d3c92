/**
 * A file whose variants are partly gone from where its row says they are (an ephemeral disk
 * wiped mid-deploy, a file deleted by hand) is repaired rather than lost: each missing variant
 * is rebuilt from the largest one that remains, stored next to it under its own content key,
 * and the row records the new variant — before resync or storage:migrate copies the file.
 * Only a file with nothing left is lost.
 */
import { buffer as readAll } from 'node:stream/consumers';
import type { AppDatabase } from '../db/database.ts';
import type { StoredFileRow, StoredVariant } from '../db/schema.ts';
import { rebuildVariant } from '../images/rebuildVariant.ts';
import type { Logger } from '../logger.ts';
import { IMMUTABLE_CACHE_CONTROL } from '../storage/cachePolicy.ts';
import type { StorageAdapter } from '../storage/contract.ts';
import { keyPrefixOf } from './imageRecord.ts';
import { contentKey, isMediaFolder } from '../storage/keys.ts';

export type RepairOutcome =
  | { state: 'intact'; row: StoredFileRow }
  | { state: 'repaired'; row: StoredFileRow; rebuilt: string[] }
  | { state: 'lost' };

/** Which objects of `row` exist in `adapter`: every one, some (then rebuilt), or none. */
export async function repairMissingVariants(
  deps: { db: AppDatabase; adapter: StorageAdapter; logger: Logger },
  row: StoredFileRow,
): Promise<RepairOutcome> {
  const variants = row.variants ?? [];
  if (variants.length === 0) return (await deps.adapter.head(row.key)) ? { state: 'intact', row } : { state: 'lost' };
  const present = await Promise.all(
    variants.map(async (variant) => (await deps.adapter.head(variant.key)) !== undefined),
  );
  if (present.every(Boolean)) return { state: 'intact', row };
  const sourceIndex = present.indexOf(true);
  const source = variants[sourceIndex];
  if (!source || !isMediaFolder(row.folder)) return { state: 'lost' };

  const sourceBytes = await readAll(await deps.adapter.get(source.key));
  const rebuilt: string[] = [];
  const repaired: StoredVariant[] = [];
  for (const [index, variant] of variants.entries()) {
    if (present[index]) {
      repaired.push(variant);
      continue;
    }
    const made = await rebuildVariant(sourceBytes, variant);
    const key = contentKey(row.folder, keyPrefixOf(row.key), made.sha256, 'webp');
    const { checksum } = await deps.adapter.put(key, made.bytes, {
      contentType: row.content_type,
      cacheControl: IMMUTABLE_CACHE_CONTROL,
    });
    repaired.push({
      key,
      width: variant.width,
      height: variant.height,
      bytes: made.bytes.length,
      sha256: made.sha256,
      checksum,
    });
    rebuilt.push(key);
  }
  const largest = repaired[0]!;
  // Conditional: a file replaced or moved meanwhile keeps what it has now; the rebuilt objects are then garbage.
  const updated = await deps.db
    .updateTable('stored_files')
    .set({
      key: largest.key,
      sha256: largest.sha256,
      checksum: largest.checksum ?? null,
      bytes: repaired.reduce((total, variant) => total + variant.bytes, 0),
      variants: JSON.stringify(repaired),
    })
    .where('id', '=', row.id)
    .where('key', '=', row.key)
    .where('location', '=', row.location)
    .returningAll()
    .executeTakeFirst();
  if (!updated) throw new Error(`${row.key} changed while its missing variants were being rebuilt; it is tried again`);
  deps.logger.warn(
    { fileId: row.id, rebuilt },
    `Rebuilt ${rebuilt.length} missing variant(s) of ${row.key} from the ${source.width}×${source.height} one that remained`,
  );
  return { state: 'repaired', row: updated, rebuilt };
}
