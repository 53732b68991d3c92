/**
 * Pays the outbox: moves files that fell back to local disk into S3, and copies S3 objects
 * to the backup bucket. Each primary copy goes upload (create-only: an object already there
 * with the same size and SHA-256 is kept) → verify (HEAD: size and SHA-256) → flip the row to
 * `s3` → delete the local copy. The outbox row records how far it got, so a process killed at
 * any step (SIGKILL included) converges when the pass runs again: one object, one row.
 */
import type { AppDatabase } from '../db/database.ts';
import type { PendingCopyRow, StoredFileRow } from '../db/schema.ts';
import type { Logger } from '../logger.ts';
import type { StorageAdapter } from '../storage/contract.ts';
import { markFileLost } from './lostFiles.ts';
import { deleteUnreferencedObjects } from './objectReferences.ts';
import { recordBackedUp } from './backupState.ts';
import { repairMissingVariants } from './repairVariants.ts';
import { enqueueCopy } from './outbox.ts';
import { claimNextCopy, holdClaim, recordCopyFailure } from './outboxClaims.ts';
import { checksumColumns } from './recordedChecksums.ts';
import { copyVerified, MissingSourceError, objectsOf } from './verifiedCopy.ts';

export type ResyncStep = 'uploaded' | 'verified' | 'flipped' | 'cleaned';

export interface ResyncDeps {
  db: AppDatabase;
  s3: StorageAdapter;
  local: StorageAdapter;
  backup?: StorageAdapter | undefined;
  /** The outage store in PostgreSQL: the source of rows whose location is 'db'. */
  outageStore?: StorageAdapter | undefined;
  /**
   * Several processes share the database but not their disks (PostgreSQL): a 'local' row whose
   * file is not on this process's disk may be on another's, so it is retried, never marked lost.
   */
  localDiskIsPrivate?: boolean;
  logger: Logger;
  /** How long a claim holds its row unrenewed (outboxClaims.ts); tests shorten it. */
  claimLeaseSeconds?: number;
  /** Called after each step of a primary copy; fault tests use it to kill the process there. */
  onStep?: (step: ResyncStep, fileId: number) => void | Promise<void>;
}

export interface PassOptions {
  /** Stop claiming new rows once this time (epoch ms) has passed. */
  deadline?: number;
  /** Take rows regardless of leases and back-off (an operator's run, e.g. right after a crash). */
  ignoreLeases?: boolean;
  /** Only these files' primary copies (storage:migrate's planned files); every due row when absent. */
  fileIds?: readonly number[];
  /**
   * What a primary copy whose local bytes are gone becomes: `lost` (the app's pass marks the
   * file lost) or `failed` (storage:migrate reports it and leaves the row for an operator).
   */
  missingSource?: 'lost' | 'failed';
  /** Called once per primary copy tried, with what became of it. */
  onFile?: (file: StoredFileRow, outcome: 'moved' | 'gone' | 'lost' | 'failed', error?: unknown) => void;
  /** Called after every row tried (primary or backup), with the pass's tally so far: progress. */
  onRow?: (summary: ResyncSummary) => void;
}

export interface ResyncSummary {
  moved: number;
  backedUp: number;
  lost: number;
  failed: number;
  failures: Array<{ fileId: number; key: string; target: string; reason: string }>;
}

export function createResync(deps: ResyncDeps) {
  const { db, s3, local, backup, logger } = deps;
  const step = async (name: ResyncStep, fileId: number) => deps.onStep?.(name, fileId);
  // Where a fallen-back file's bytes wait: this instance's disk, or the outage store every instance shares.
  const sourceOf = (location: StoredFileRow['location']): StorageAdapter =>
    location === 'db' && deps.outageStore ? deps.outageStore : local;

  /** Deletes the file's objects from `adapter` where no row still uses them, then its outbox row. */
  async function letGo(pending: PendingCopyRow, file: StoredFileRow, adapter: StorageAdapter): Promise<void> {
    await deleteUnreferencedObjects(
      db,
      adapter,
      objectsOf(file).map((object) => object.key),
      logger,
    );
    await db.deleteFrom('pending_copies').where('id', '=', pending.id).execute();
  }

  async function cleanUp(pending: PendingCopyRow, file: StoredFileRow, source: StorageAdapter): Promise<void> {
    await letGo(pending, file, source);
    await step('cleaned', file.id);
  }

  async function moveToPrimary(pending: PendingCopyRow, claimed: StoredFileRow): Promise<'moved' | 'gone'> {
    let file = claimed;
    if (pending.state === 'copy') {
      if (file.location === 's3') {
        await db.deleteFrom('pending_copies').where('id', '=', pending.id).execute();
        return 'gone';
      }
      // Some variants gone from their source: rebuilt from the largest left; nothing left: the file is lost.
      const source = sourceOf(file.location);
      const repair = await repairMissingVariants({ db, adapter: source, logger }, file);
      if (repair.state === 'lost') throw new MissingSourceError(file.key);
      file = repair.row;
      const checksums = await copyVerified(source, s3, file, objectsOf(file), () => step('uploaded', file.id));
      await step('verified', file.id);
      const flipped = await db.transaction().execute(async (trx) => {
        const updated = await trx
          .updateTable('stored_files')
          .set({ location: 's3', ...checksumColumns(file, checksums) })
          .where('id', '=', file.id)
          .where('location', '=', file.location)
          .executeTakeFirst();
        if (updated.numUpdatedRows === 0n) return false;
        await trx.updateTable('pending_copies').set({ state: 'cleanup' }).where('id', '=', pending.id).execute();
        if (backup) await enqueueCopy(trx, file.id, 'backup');
        return true;
      });
      if (!flipped) {
        await dropCopiesOfVanished(pending, file, s3);
        return 'gone';
      }
      await step('flipped', file.id);
    }
    // The cleanup state survives a crash, but not which source it had: try the outage store too.
    const sources =
      file.location === 's3' ? [local, ...(deps.outageStore ? [deps.outageStore] : [])] : [sourceOf(file.location)];
    for (const source of sources) await cleanUp(pending, { ...file, location: 's3' }, source);
    return 'moved';
  }

  /**
   * The row went (its member replaced or deleted the image) while its objects were being
   * copied: its delete ran before these copies existed, so they belong to nobody — unless
   * another row shares a content key — and are removed here rather than left for storage:gc.
   */
  const dropCopiesOfVanished = (pending: PendingCopyRow, file: StoredFileRow, target: StorageAdapter | undefined) =>
    target ? letGo(pending, file, target) : Promise.resolve();

  const rowIsGone = async (file: StoredFileRow): Promise<boolean> =>
    (await db.selectFrom('stored_files').select('id').where('id', '=', file.id).executeTakeFirst()) === undefined;

  /** Copies an S3 file to the backup bucket; false when its row went meanwhile (the copies are removed again). */
  async function copyToBackup(pending: PendingCopyRow, file: StoredFileRow): Promise<boolean> {
    if (!backup) return false;
    if (file.location !== 's3') throw new Error('waiting for the file to reach the primary bucket first');
    const checksums = await copyVerified(s3, backup, file, objectsOf(file));
    if (await recordBackedUp(db, file, checksums, pending.id)) return true;
    // Not recorded: regenerated meanwhile (the next pass copies its new keys), or gone.
    if (await rowIsGone(file)) await dropCopiesOfVanished(pending, file, backup);
    return false;
  }

  /**
   * The source is missing: true when the file is safe after all — its row no longer says it
   * waits (someone else flipped it), or every object is in S3 with the recorded size and
   * checksum (then the row is flipped here).
   */
  async function movedMeanwhile(file: StoredFileRow): Promise<boolean> {
    const now = await db.selectFrom('stored_files').select('location').where('id', '=', file.id).executeTakeFirst();
    if (!now || now.location !== file.location) return true;
    for (const object of objectsOf(file)) {
      const info = await s3.head(object.key).catch(() => undefined);
      // Size, and the recorded checksum when the row has one (S3 reports its CRC64NVME).
      if (!info || info.size !== object.size || (object.checksum !== undefined && info.checksum !== object.checksum))
        return false;
    }
    await db.transaction().execute(async (trx) => {
      const flipped = await trx
        .updateTable('stored_files')
        .set({ location: 's3' })
        .where('id', '=', file.id)
        .where('location', '=', file.location)
        .executeTakeFirst();
      if (flipped.numUpdatedRows > 0n && backup) await enqueueCopy(trx, file.id, 'backup');
    });
    logger.info({ key: file.key }, `${file.key} was already in S3 (moved by another process); recorded it there`);
    return true;
  }

  return {
    /** One pass over the due outbox rows (see PassOptions). Each row is tried at most once per pass. */
    async runPass(options: PassOptions = {}): Promise<ResyncSummary> {
      const summary: ResyncSummary = { moved: 0, backedUp: 0, lost: 0, failed: 0, failures: [] };
      let lastId = 0;
      while (options.deadline === undefined || Date.now() < options.deadline) {
        const claim = await claimNextCopy(db, {
          leaseSeconds: deps.claimLeaseSeconds,
          ignoreLeases: options.ignoreLeases ?? false,
          after: lastId,
          fileIds: options.fileIds,
        });
        if (!claim) break;
        lastId = claim.pending.id;
        const { pending, file } = claim;
        // The file's row went after the claim (its outbox row with it): nothing to copy.
        if (!file) continue;
        try {
          await holdClaim(
            db,
            pending,
            async () => {
              if (pending.target === 'primary') {
                const outcome = await moveToPrimary(pending, file);
                if (outcome === 'moved') summary.moved += 1;
                options.onFile?.(file, outcome);
              } else if (await copyToBackup(pending, file)) summary.backedUp += 1;
            },
            deps.claimLeaseSeconds,
          );
        } catch (error) {
          // Its bytes went with the row (a check against the source then fails): not a failure.
          if (await rowIsGone(file).catch(() => false)) {
            await dropCopiesOfVanished(pending, file, pending.target === 'primary' ? s3 : backup);
            if (pending.target === 'primary') options.onFile?.(file, 'gone');
            continue;
          }
          const missing = error instanceof MissingSourceError && pending.target === 'primary';
          // Lost only when truly lost: another process (a CLI, another instance) may have moved it.
          if (missing && (await movedMeanwhile(file))) {
            await db.deleteFrom('pending_copies').where('id', '=', pending.id).execute();
            options.onFile?.(file, 'gone');
            continue;
          }
          const elsewhere = missing && file.location === 'local' && deps.localDiskIsPrivate === true;
          if (missing && !elsewhere && options.missingSource !== 'failed') {
            await markFileLost(db, file, logger);
            summary.lost += 1;
            options.onFile?.(file, 'lost');
            continue;
          }
          const reason = elsewhere
            ? `${file.key} is not on this instance's disk (another instance may hold it)`
            : error instanceof Error
              ? error.message
              : String(error);
          summary.failed += 1;
          summary.failures.push({ fileId: file.id, key: file.key, target: pending.target, reason });
          await recordCopyFailure(db, pending, reason, error);
          if (pending.target === 'primary') options.onFile?.(file, 'failed', error);
        } finally {
          options.onRow?.(summary);
        }
      }
      return summary;
    },
  };
}
