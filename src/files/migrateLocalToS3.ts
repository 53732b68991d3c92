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
import type { AppDatabase } from '../db/database.ts';
import type { StoredFileRow } from '../db/schema.ts';
import type { Logger } from '../logger.ts';
import type { StorageAdapter } from '../storage/contract.ts';
import { findLegacyFiles, type LegacyFile, recordLegacyFile } from './legacyLocalFiles.ts';
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

type PlannedItem = MigrationItem & { row: StoredFileRow | undefined; legacy?: LegacyFile };

export async function migrateLocalToS3(deps: MigrationDeps, options: MigrationOptions = {}): Promise<MigrationSummary> {
  const skipped: MigrationSummary['skipped'] = [];
  const failed: MigrationSummary['failed'] = [];
  const minAgeMs = options.minAgeMs ?? LEGACY_FILE_MIN_AGE_MS;
  const found = [...(await planRows(deps)), ...(await planLegacyFiles(deps, minAgeMs, skipped, failed))];
  const items = found.slice(0, options.limit ?? Number.POSITIVE_INFINITY);
  const totalBytes = items.reduce((sum, item) => sum + item.bytes, 0);
  const summary: MigrationSummary = {
    dryRun: options.dryRun ?? false,
    planned: {
      items: items.map(({ row: _row, legacy: _legacy, ...item }) => item),
      files: items.length,
      bytes: totalBytes,
    },
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
      const fileId = item.row ? await owe(deps, item.row) : await recordLegacyFile(deps, item.legacy!);
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
  deps: MigrationDeps,
  minAgeMs: number,
  skipped: MigrationSummary['skipped'],
  failed: MigrationSummary['failed'],
): Promise<PlannedItem[]> {
  const scan = await findLegacyFiles(deps, minAgeMs);
  skipped.push(...scan.skipped);
  failed.push(...scan.failed.map((failure) => ({ ...failure, fileId: undefined })));
  return scan.found.map((file) => ({
    kind: 'legacy',
    fileId: undefined,
    key: file.key,
    folder: file.folder,
    objectKeys: [file.key],
    bytes: file.bytes,
    row: undefined,
    legacy: file,
  }));
}

/** A local row, owed to S3 (its outbox row may exist already: an upload that fell back records one). */
async function owe({ db }: MigrationDeps, row: StoredFileRow): Promise<number> {
  await enqueueCopy(db, row.id, 'primary');
  return row.id;
}

function missingMessage(key: string, item: PlannedItem): string {
  const consequence = item.row ? 'the app marks such files lost at start-up' : 'it vanished while this run was working';
  return `${key} is missing from local disk, so it cannot be moved (${consequence})`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
