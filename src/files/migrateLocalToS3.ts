/**
 * `storage:migrate` (the seed's `migrate_local_to_s3`): moves everything on local disk into
 * S3 — files whose row says `local`, and legacy files under the media folders that no row
 * knows (stored before rows existed). There is one way to move a file, the resync pass
 * (resync.ts): this records every planned file as owed to S3 — an outbox row for each local
 * row, and for a legacy file a `local` row (hashed here) plus its outbox row — then runs that
 * pass over exactly those files. So each file is copied (skipped when S3 already holds the
 * same size and SHA-256), verified by HEAD, flipped to `s3` and its local copy deleted unless
 * another local row still uses the key; a stopped run resumes where it left off (the outbox
 * remembers), and a finished one finds nothing left to move.
 */
import { createHash } from 'node:crypto';
import mime from 'mime-types';
import type { AppDatabase } from '../db/database.ts';
import type { StoredFileRow } from '../db/schema.ts';
import type { Logger } from '../logger.ts';
import { isSafeKey, type StorageAdapter } from '../storage/contract.ts';
import { MEDIA_FOLDERS } from '../storage/keys.ts';
import { isKeyReferenced } from './objectReferences.ts';
import { enqueueCopy } from './outbox.ts';
import { createResync } from './resync.ts';
import { MissingSourceError, objectsOf } from './verifiedCopy.ts';

export interface MigrationDeps {
  db: AppDatabase;
  s3: StorageAdapter;
  local: StorageAdapter;
  logger: Logger;
  /** With a backup bucket, a migrated file is owed a backup copy, exactly as an upload to S3 would be. */
  backup?: StorageAdapter | undefined;
  now?: () => Date;
}

/**
 * An unrecorded file younger than this is left alone: a running app writes an upload's bytes
 * before it inserts the row, so a fresh file may be one whose row is about to exist.
 */
export const LEGACY_FILE_MIN_AGE_MS = 60 * 60 * 1000;

export interface MigrationOptions {
  /** Only plan: report what would move, change nothing. */
  dryRun?: boolean;
  /** Stop after this many files (the rest wait for the next run). */
  limit?: number;
  /**
   * Unrecorded files younger than this are skipped (default LEGACY_FILE_MIN_AGE_MS): they may
   * still be being written by a running app. 0 takes every file — right when no app is running,
   * e.g. after restoring files with `cp`, which makes every one of them look new.
   */
  minAgeMs?: number;
  onProgress?: (progress: MigrationProgress) => void;
}

export interface MigrationProgress {
  files: number;
  totalFiles: number;
  bytes: number;
  totalBytes: number;
  failed: number;
}

/** One file to move: a row on local disk (all its variants), or a legacy file no row knows. */
export interface MigrationItem {
  kind: 'row' | 'legacy';
  fileId: number | undefined;
  key: string;
  folder: string;
  /** Every object key that moves with it (variants included). */
  objectKeys: string[];
  bytes: number;
}

export interface MigrationSummary {
  dryRun: boolean;
  /** What this run set out to move (after `limit`). */
  planned: { items: MigrationItem[]; files: number; bytes: number };
  /** Files found but not planned because of `limit`. */
  leftForLater: number;
  moved: number;
  movedBytes: number;
  skipped: Array<{ key: string; reason: string }>;
  failed: Array<{ key: string; fileId: number | undefined; reason: string }>;
}

type PlannedItem = MigrationItem & { row: StoredFileRow | undefined };

export async function migrateLocalToS3(deps: MigrationDeps, options: MigrationOptions = {}): Promise<MigrationSummary> {
  const skipped: MigrationSummary['skipped'] = [];
  const failed: MigrationSummary['failed'] = [];
  const minAgeMs = options.minAgeMs ?? LEGACY_FILE_MIN_AGE_MS;
  const found = [...(await planRows(deps)), ...(await planLegacyFiles(deps, minAgeMs, skipped, failed))];
  const items = found.slice(0, options.limit ?? Number.POSITIVE_INFINITY);
  const totalBytes = items.reduce((sum, item) => sum + item.bytes, 0);
  const summary: MigrationSummary = {
    dryRun: options.dryRun ?? false,
    planned: { items: items.map(({ row: _row, ...item }) => item), files: items.length, bytes: totalBytes },
    leftForLater: found.length - items.length,
    moved: 0,
    movedBytes: 0,
    skipped,
    failed,
  };
  if (options.dryRun) return summary;

  // Recorded first, every planned file as owed to S3; then the one pass that moves files.
  const byFileId = new Map<number, PlannedItem>();
  for (const item of items) {
    try {
      const fileId = item.row ? await owe(deps, item.row) : await recordLegacyFile(deps, item);
      if (fileId === undefined) skipped.push({ key: item.key, reason: 'a row for this key appeared meanwhile' });
      else byFileId.set(fileId, { ...item, fileId });
    } catch (error) {
      failed.push({ key: item.key, fileId: item.fileId, reason: messageOf(error) });
      deps.logger.warn({ key: item.key, err: error }, `Could not record ${item.key} as owed to S3`);
    }
  }

  let done = 0;
  let doneBytes = 0;
  const resync = createResync({
    db: deps.db,
    s3: deps.s3,
    local: deps.local,
    backup: deps.backup,
    logger: deps.logger,
  });
  await resync.runPass({
    ignoreLeases: true,
    fileIds: [...byFileId.keys()],
    missingSource: 'failed',
    onFile(file, outcome, error) {
      const item = byFileId.get(file.id);
      if (!item) return;
      if (outcome === 'moved') {
        summary.moved += 1;
        summary.movedBytes += item.bytes;
      } else if (outcome === 'gone') {
        skipped.push({ key: item.key, reason: 'the file was moved or deleted while this run was copying it' });
      } else {
        const reason = error instanceof MissingSourceError ? missingMessage(item.key, item) : messageOf(error);
        failed.push({ key: item.key, fileId: item.kind === 'row' ? item.fileId : undefined, reason });
        deps.logger.warn({ key: item.key, err: error }, `Could not move ${item.key} to S3`);
      }
      done += 1;
      doneBytes += item.bytes;
      options.onProgress?.({
        files: done,
        totalFiles: items.length,
        bytes: doneBytes,
        totalBytes,
        failed: failed.length,
      });
    },
  });
  return summary;
}

async function planRows({ db }: MigrationDeps): Promise<PlannedItem[]> {
  const rows = await db
    .selectFrom('stored_files')
    .selectAll()
    .where('location', '=', 'local')
    .where('lost_at', 'is', null)
    .orderBy('id')
    .execute();
  return rows.map((row) => {
    const objects = objectsOf(row);
    const bytes = objects.reduce((sum, object) => sum + object.size, 0);
    return {
      kind: 'row',
      fileId: row.id,
      key: row.key,
      folder: row.folder,
      objectKeys: objects.map((object) => object.key),
      bytes,
      row,
    };
  });
}

/** Files under the image folders that no row mentions, in either location. */
async function planLegacyFiles(
  { db, local, now = () => new Date() }: MigrationDeps,
  minAgeMs: number,
  skipped: MigrationSummary['skipped'],
  failed: MigrationSummary['failed'],
): Promise<PlannedItem[]> {
  const items: PlannedItem[] = [];
  for (const folder of MEDIA_FOLDERS) {
    try {
      for await (const file of local.list(`${folder}/`)) {
        if (!isSafeKey(file.key)) {
          // The adapters refuse such names, so the app never made them; an operator must look.
          skipped.push({
            key: file.key,
            reason: 'its name is not a storage key the app could have made; rename or move it by hand',
          });
          continue;
        }
        if (await isKeyKnown(db, file.key)) continue;
        if (now().getTime() - file.lastModified.getTime() < minAgeMs) {
          skipped.push({
            key: file.key,
            reason: `no row knows it, but it was written less than ${minAgeMs === 3_600_000 ? 'an hour' : `${Math.round(minAgeMs / 60_000)} min`} ago (an upload may be about to record it); run again later, or pass --min-age 0 when no app is running`,
          });
          continue;
        }
        items.push({
          kind: 'legacy',
          fileId: undefined,
          key: file.key,
          folder,
          objectKeys: [file.key],
          bytes: file.size,
          row: undefined,
        });
      }
    } catch (error) {
      failed.push({ key: `${folder}/`, fileId: undefined, reason: `could not list local files: ${messageOf(error)}` });
    }
  }
  return items.sort((a, b) => a.key.localeCompare(b.key));
}

/** A local row, owed to S3 (its outbox row may exist already: an upload that fell back records one). */
async function owe({ db }: MigrationDeps, row: StoredFileRow): Promise<number> {
  await enqueueCopy(db, row.id, 'primary');
  return row.id;
}

/** A legacy file gets a `local` row and its outbox row, in one transaction; undefined when a row for its key appeared meanwhile. */
async function recordLegacyFile({ db, local }: MigrationDeps, item: PlannedItem): Promise<number | undefined> {
  const { sha256, bytes } = await hashLocalFile(local, item.key);
  const contentType = mime.lookup(item.key) || 'application/octet-stream';
  return db.transaction().execute(async (trx) => {
    if (await isKeyKnown(trx, item.key)) return undefined;
    const row = await trx
      .insertInto('stored_files')
      .values({
        owner_id: null,
        folder: item.folder,
        key: item.key,
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

function missingMessage(key: string, item: PlannedItem): string {
  const consequence = item.row ? 'the app marks such files lost at start-up' : 'it vanished while this run was working';
  return `${key} is missing from local disk, so it cannot be moved (${consequence})`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
