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

/**
 * A claim holds its row this long, and the pass working on it renews it every third of that
 * (holdClaim), so a copy of any length keeps its row while a crashed process's row is due
 * again within seconds. A fixed two minutes left the file a killed worker was on in the outage
 * store that long after S3 was back.
 */
export const CLAIM_LEASE_SECONDS = 30;

export interface ClaimOptions {
  /** CLAIM_LEASE_SECONDS unless a test shortens it. */
  leaseSeconds?: number | undefined;
  ignoreLeases: boolean;
  /** Only rows with a larger id: each row is tried at most once per pass. */
  after: number;
  /** Only these files' primary copies (storage:migrate). */
  fileIds: readonly number[] | undefined;
}

/** `now()` plus a lease: when a claimed row is due again unless its claim is renewed. */
const leaseEnd = (seconds: number) => sql<Date>`now() + make_interval(secs => ${seconds})`;

/**
 * Takes the next due outbox row with a lease, so two instances do not duplicate work. One row,
 * not a batch: a process killed mid-pass (a worker replaced by a deploy) then holds only the
 * file it was on; with batches of 20 the soak saw the last files reach S3 112 s after traffic
 * stopped. Every step is safe to repeat (create-only copies, a conditional flip), so an
 * operator's run may take rows regardless of leases and back-off — e.g. right after a crash.
 * `file` is undefined when the file's row went between the claim and the read.
 */
export async function claimNextCopy(
  db: AppDatabase,
  { leaseSeconds = CLAIM_LEASE_SECONDS, ignoreLeases, after, fileIds }: ClaimOptions,
): Promise<{ pending: PendingCopyRow; file: StoredFileRow | undefined } | undefined> {
  if (fileIds?.length === 0) return undefined;
  const due = db
    .selectFrom('pending_copies')
    .select('id')
    .where('id', '>', after)
    .$if(!ignoreLeases, (query) => query.where('next_attempt_at', '<=', sql<Date>`now()`))
    .$if(fileIds !== undefined, (query) =>
      query.where('file_id', 'in', [...(fileIds ?? [])]).where('target', '=', 'primary'),
    )
    .orderBy('id')
    .limit(1)
    .forUpdate()
    .skipLocked();
  const pending = await db
    .updateTable('pending_copies')
    .set({ next_attempt_at: leaseEnd(leaseSeconds) })
    .where('id', 'in', due)
    .returningAll()
    .executeTakeFirst();
  if (!pending) return undefined;
  const file = await db.selectFrom('stored_files').selectAll().where('id', '=', pending.file_id).executeTakeFirst();
  return { pending, file };
}

/**
 * Runs `work` on a claimed row, renewing its lease meanwhile. A renewal that fails (the
 * database away) is not retried: the lease then runs out and another pass may take the row,
 * which every step allows.
 */
export async function holdClaim<T>(
  db: AppDatabase,
  pending: Pick<PendingCopyRow, 'id'>,
  work: () => Promise<T>,
  leaseSeconds = CLAIM_LEASE_SECONDS,
): Promise<T> {
  const renew = () =>
    db
      .updateTable('pending_copies')
      .set({ next_attempt_at: leaseEnd(leaseSeconds) })
      .where('id', '=', pending.id)
      .execute()
      .catch(() => undefined);
  const timer = setInterval(() => void renew(), (leaseSeconds * 1000) / 3);
  timer.unref();
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
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
