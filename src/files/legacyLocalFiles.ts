/**
 * Legacy local files: files under the media folders on local disk that no row knows, stored
 * before rows existed. `storage:migrate` finds them here and records each as a `local` row
 * owed to S3, so the one resync pass can move them like any other fallback file.
 */
import { createHash } from 'node:crypto';
import mime from 'mime-types';
import type { AppDatabase } from '../db/database.ts';
import { isSafeKey, type StorageAdapter } from '../storage/contract.ts';
import { MEDIA_FOLDERS, type MediaFolder } from '../storage/keys.ts';
import { isKeyReferenced } from './objectReferences.ts';
import { enqueueCopy } from './outbox.ts';

export interface LegacyFile {
  key: string;
  folder: MediaFolder;
  bytes: number;
}

export interface LegacyScan {
  found: LegacyFile[];
  /** Files left alone on purpose, each with the reason an operator reads. */
  skipped: Array<{ key: string; reason: string }>;
  /** Folders that could not be listed. */
  failed: Array<{ key: string; reason: string }>;
}

interface LegacyDeps {
  db: AppDatabase;
  local: StorageAdapter;
  now?: () => Date;
}

/** Every unrecorded file old enough to be no upload in progress, sorted by key. */
export async function findLegacyFiles(
  { db, local, now = () => new Date() }: LegacyDeps,
  minAgeMs: number,
): Promise<LegacyScan> {
  const scan: LegacyScan = { found: [], skipped: [], failed: [] };
  for (const folder of MEDIA_FOLDERS) {
    try {
      for await (const file of local.list(`${folder}/`)) {
        if (!isSafeKey(file.key)) {
          // The adapters refuse such names, so the app never made them; an operator must look.
          scan.skipped.push({
            key: file.key,
            reason: 'its name is not a storage key the app could have made; rename or move it by hand',
          });
          continue;
        }
        if (await isKeyKnown(db, file.key)) continue;
        if (now().getTime() - file.lastModified.getTime() < minAgeMs) {
          scan.skipped.push({
            key: file.key,
            reason: `no row knows it, but it was written less than ${minAgeMs === 3_600_000 ? 'an hour' : `${Math.round(minAgeMs / 60_000)} min`} ago (an upload may be about to record it); run again later, or pass --min-age 0 when no app is running`,
          });
          continue;
        }
        scan.found.push({ key: file.key, folder, bytes: file.size });
      }
    } catch (error) {
      scan.failed.push({ key: `${folder}/`, reason: `could not list local files: ${messageOf(error)}` });
    }
  }
  scan.found.sort((a, b) => a.key.localeCompare(b.key));
  return scan;
}

/** A `local` row (hashed here) and its outbox row, in one transaction; undefined when a row for its key appeared meanwhile. */
export async function recordLegacyFile({ db, local }: LegacyDeps, file: LegacyFile): Promise<number | undefined> {
  const { sha256, bytes } = await hashLocalFile(local, file.key);
  const contentType = mime.lookup(file.key) || 'application/octet-stream';
  return db.transaction().execute(async (trx) => {
    if (await isKeyKnown(trx, file.key)) return undefined;
    const row = await trx
      .insertInto('stored_files')
      .values({
        owner_id: null,
        folder: file.folder,
        key: file.key,
        location: 'local',
        content_type: contentType,
        bytes,
        sha256,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await enqueueCopy(trx, row.id, 'primary');
    return row.id;
  });
}

async function hashLocalFile(local: StorageAdapter, key: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of await local.get(key)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

async function isKeyKnown(db: AppDatabase, key: string): Promise<boolean> {
  return (await isKeyReferenced(db, key, 'local')) || (await isKeyReferenced(db, key, 's3'));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
