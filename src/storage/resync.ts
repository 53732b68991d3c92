/**
 * Pays the outbox: moves files that fell back to local disk into S3, and copies S3 objects
 * to the backup bucket. Each primary copy goes upload (create-only: an object already there
 * with the same size and SHA-256 is kept) → verify (HEAD: size and SHA-256) → flip the row to
 * `s3` → delete the local copy. The outbox row records how far it got, so a process killed at
 * any step (SIGKILL included) converges when the pass runs again: one object, one row.
 */
import { sql } from 'kysely';
import type { AppDatabase } from '../db/database.js';
import type { PendingCopyRow, StoredFileRow } from '../db/schema.js';
import type { Logger } from '../logger.js';
import { IMMUTABLE_CACHE_CONTROL } from './cachePolicy.js';
import type { StorageAdapter } from './contract.js';
import { markFileLost } from './lostFiles.js';
import { deleteUnreferencedObjects } from './objectReferences.js';
import { enqueueCopy } from './outbox.js';

export type ResyncStep = 'uploaded' | 'verified' | 'flipped' | 'cleaned';

export interface ResyncDeps {
  db: AppDatabase;
  s3: StorageAdapter;
  local: StorageAdapter;
  backup?: StorageAdapter | undefined;
  logger: Logger;
  /** Called after each step of a primary copy; fault tests use it to kill the process there. */
  onStep?: (step: ResyncStep, fileId: number) => void | Promise<void>;
}

export interface ResyncSummary {
  moved: number;
  backedUp: number;
  lost: number;
  failed: number;
  failures: Array<{ fileId: number; key: string; target: string; reason: string }>;
}

interface StoredObject {
  key: string;
  size: number;
  sha256: string;
}

const LEASE = sql`interval '5 minutes'`;
const BATCH = 20;

function objectsOf(file: StoredFileRow): StoredObject[] {
  if (file.variants && file.variants.length > 0) return file.variants.map((variant) => ({ key: variant.key, size: variant.bytes, sha256: variant.sha256 }));
  return [{ key: file.key, size: file.bytes, sha256: file.sha256 }];
}

/** Copies each object unless the target already holds the same bytes, then checks every copy. */
async function copyVerified(from: StorageAdapter, to: StorageAdapter, file: StoredFileRow, objects: StoredObject[], onUploaded?: () => void | Promise<void>): Promise<void> {
  const sameBytes = (info: { size: number; sha256?: string } | undefined, object: StoredObject, size = object.size) =>
    info !== undefined && info.size === size && info.sha256 === object.sha256;
  for (const object of objects) {
    const source = await from.head(object.key);
    if (!source) throw new MissingSourceError(object.key);
    if (sameBytes(await to.head(object.key), object, source.size)) continue;
    await to.put(object.key, await from.get(object.key), { contentType: file.content_type, cacheControl: IMMUTABLE_CACHE_CONTROL, sha256: object.sha256 });
  }
  await onUploaded?.();
  for (const object of objects) {
    const copy = await to.head(object.key);
    const source = await from.head(object.key);
    if (!source || !sameBytes(copy, object, source.size)) throw new Error(`verification failed for ${object.key}: the copy does not match in size and SHA-256`);
  }
}

class MissingSourceError extends Error {
  constructor(readonly key: string) {
    super(`${key} is missing from its source`);
  }
}

export function createResync(deps: ResyncDeps) {
  const { db, s3, local, backup, logger } = deps;
  const step = async (name: ResyncStep, fileId: number) => deps.onStep?.(name, fileId);

  async function cleanUp(pending: PendingCopyRow, file: StoredFileRow): Promise<void> {
    await deleteUnreferencedObjects(db, local, objectsOf(file).map((object) => object.key), logger);
    await db.deleteFrom('pending_copies').where('id', '=', pending.id).execute();
    await step('cleaned', file.id);
  }

  async function moveToPrimary(pending: PendingCopyRow, file: StoredFileRow): Promise<'moved' | 'gone'> {
    if (pending.state === 'copy') {
      if (file.location !== 'local') {
        await db.deleteFrom('pending_copies').where('id', '=', pending.id).execute();
        return 'gone';
      }
      await copyVerified(local, s3, file, objectsOf(file), () => step('uploaded', file.id));
      await step('verified', file.id);
      const flipped = await db.transaction().execute(async (trx) => {
        const updated = await trx.updateTable('stored_files').set({ location: 's3' }).where('id', '=', file.id).where('location', '=', 'local').executeTakeFirst();
        if (updated.numUpdatedRows === 0n) return false;
        await trx.updateTable('pending_copies').set({ state: 'cleanup' }).where('id', '=', pending.id).execute();
        if (backup) await enqueueCopy(trx, file.id, 'backup');
        return true;
      });
      if (!flipped) {
        await db.deleteFrom('pending_copies').where('id', '=', pending.id).execute();
        return 'gone';
      }
      await step('flipped', file.id);
    }
    await cleanUp(pending, { ...file, location: 's3' });
    return 'moved';
  }

  async function copyToBackup(pending: PendingCopyRow, file: StoredFileRow): Promise<void> {
    if (!backup) return;
    if (file.location !== 's3') throw new Error('waiting for the file to reach the primary bucket first');
    await copyVerified(s3, backup, file, objectsOf(file));
    await db.deleteFrom('pending_copies').where('id', '=', pending.id).execute();
  }

  /** Takes due outbox rows with a lease, so two instances never work on the same row at once. */
  async function claim(limit: number): Promise<Array<{ pending: PendingCopyRow; file: StoredFileRow }>> {
    const due = db.selectFrom('pending_copies').select('id').where('next_attempt_at', '<=', sql<Date>`now()`).orderBy('id').limit(limit).forUpdate().skipLocked();
    const claimed = await db
      .updateTable('pending_copies')
      .set({ next_attempt_at: sql<Date>`now() + ${LEASE}` })
      .where('id', 'in', due)
      .returningAll()
      .execute();
    if (claimed.length === 0) return [];
    const files = await db.selectFrom('stored_files').selectAll().where('id', 'in', claimed.map((pending) => pending.file_id)).execute();
    return claimed.flatMap((pending) => {
      const file = files.find((candidate) => candidate.id === pending.file_id);
      return file ? [{ pending, file }] : [];
    });
  }

  async function recordFailure(pending: PendingCopyRow, reason: string): Promise<void> {
    const backoffSeconds = Math.min(5 * 2 ** pending.attempts, 300);
    await db
      .updateTable('pending_copies')
      .set({ attempts: pending.attempts + 1, last_error: reason.slice(0, 500), next_attempt_at: sql<Date>`now() + make_interval(secs => ${backoffSeconds})` })
      .where('id', '=', pending.id)
      .execute();
  }

  return {
    /** One pass over the due outbox rows. Stops claiming new rows once `deadline` (epoch ms) has passed. */
    async runPass(options: { deadline?: number } = {}): Promise<ResyncSummary> {
      const summary: ResyncSummary = { moved: 0, backedUp: 0, lost: 0, failed: 0, failures: [] };
      while (options.deadline === undefined || Date.now() < options.deadline) {
        const batch = await claim(BATCH);
        if (batch.length === 0) break;
        for (const { pending, file } of batch) {
          try {
            if (pending.target === 'primary') {
              if ((await moveToPrimary(pending, file)) === 'moved') summary.moved += 1;
            } else {
              await copyToBackup(pending, file);
              summary.backedUp += 1;
            }
          } catch (error) {
            if (error instanceof MissingSourceError && pending.target === 'primary') {
              await markFileLost(db, file, logger);
              summary.lost += 1;
              continue;
            }
            const reason = error instanceof Error ? error.message : String(error);
            summary.failed += 1;
            summary.failures.push({ fileId: file.id, key: file.key, target: pending.target, reason });
            await recordFailure(pending, reason);
          }
        }
      }
      return summary;
    },
  };
}
