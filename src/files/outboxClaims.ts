/**
 * Claiming outbox rows for a resync pass, and recording a failed attempt. Rows are claimed
 * with FOR UPDATE SKIP LOCKED and a lease, so several instances and the worker can run passes
 * at once without two of them copying the same file.
 */
import { sql } from 'kysely';
import type { AppDatabase } from '../db/database.ts';
import type { PendingCopyRow, StoredFileRow } from '../db/schema.ts';
import { StorageError } from '../storage/contract.ts';

const OUTAGE_RETRY_SECONDS = 5;

// Long enough for one batch; a crashed worker's rows become due again after it.
const LEASE = sql`interval '2 minutes'`;

export interface ClaimOptions {
  limit: number;
  ignoreLeases: boolean;
  /** Only rows with a larger id: each row is tried at most once per pass. */
  after: number;
  /** Only these files' primary copies (storage:migrate). */
  fileIds: readonly number[] | undefined;
}

/**
 * Takes due outbox rows with a lease, so two instances do not duplicate work. Every step is
 * safe to repeat (create-only copies, a conditional flip), so an operator's run may take
 * rows regardless of leases and back-off — e.g. right after a crash.
 */
export async function claimDueCopies(
  db: AppDatabase,
  { limit, ignoreLeases, after, fileIds }: ClaimOptions,
): Promise<Array<{ pending: PendingCopyRow; file: StoredFileRow }>> {
  if (fileIds?.length === 0) return [];
  const due = db
    .selectFrom('pending_copies')
    .select('id')
    .where('id', '>', after)
    .$if(!ignoreLeases, (query) => query.where('next_attempt_at', '<=', sql<Date>`now()`))
    .$if(fileIds !== undefined, (query) =>
      query.where('file_id', 'in', [...(fileIds ?? [])]).where('target', '=', 'primary'),
    )
    .orderBy('id')
    .limit(limit)
    .forUpdate()
    .skipLocked();
  const claimed = await db
    .updateTable('pending_copies')
    .set({ next_attempt_at: sql<Date>`now() + ${LEASE}` })
    .where('id', 'in', due)
    .returningAll()
    .execute();
  if (claimed.length === 0) return [];
  const files = await db
    .selectFrom('stored_files')
    .selectAll()
    .where(
      'id',
      'in',
      claimed.map((pending) => pending.file_id),
    )
    .execute();
  return claimed.flatMap((pending) => {
    const file = files.find((candidate) => candidate.id === pending.file_id);
    return file ? [{ pending, file }] : [];
  });
}

/**
 * A failed attempt: counted, its reason kept for /healthz and storage:check, and the row due
 * again later. S3 away is not this file's fault: backing off by its attempt count left files
 * that met a few outages in the outage store for five minutes after S3 was back (the soak
 * run), so an unreachable S3 retries after a fixed 5 s — a pass runs only while the breaker
 * lets one through, so this cannot spin. Other failures back off 5 s doubling, at most 5 min.
 */
export async function recordCopyFailure(
  db: AppDatabase,
  pending: PendingCopyRow,
  reason: string,
  error: unknown,
): Promise<void> {
  const outage = error instanceof StorageError && error.code === 'Unreachable';
  const backoffSeconds = outage ? OUTAGE_RETRY_SECONDS : Math.min(5 * 2 ** pending.attempts, 300);
  await db
    .updateTable('pending_copies')
    .set({
      attempts: pending.attempts + 1,
      last_error: reason.slice(0, 500),
      next_attempt_at: sql<Date>`now() + make_interval(secs => ${backoffSeconds})`,
    })
    .where('id', '=', pending.id)
    .execute();
}
