/**
 * The job queue: one `jobs` row per job (migration 0008). A worker claims the oldest due row
 * with FOR UPDATE SKIP LOCKED and holds it under a lease (`locked_until`) that its heartbeat
 * renews; a worker that dies simply stops renewing, and the row is claimable again once the
 * lease runs out. Finishing a job is the row's delete, fenced on `locked_by`, inside the same
 * transaction as the job's effect: a holder whose lease was taken over deletes nothing, gets
 * LeaseLostError, and its transaction rolls back — so each effect commits exactly once.
 * Why our own table and not a library: /work/coord/issue14-design.md §1 (measured).
 */
import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Database } from '../db/schema.ts';

/** The app database or a transaction on it: jobs are added inside the caller's transaction. */
export type JobDatabase = Kysely<Database>;

export interface ClaimedJob<P = unknown> {
  id: number;
  kind: string;
  payload: P;
  /** This attempt's number, from 1. */
  attempts: number;
  maxAttempts: number;
}

export interface AddJobOptions {
  /** At most one waiting or running job per key; adding another is a no-op. */
  dedupeKey?: string;
  runAt?: Date;
  maxAttempts?: number;
}

export interface JobSummary {
  waiting: number;
  running: number;
  /** Seconds the oldest due, unclaimed job has waited; 0 when none. */
  oldestWaitingSeconds: number;
  failed: number;
  lastError: string | undefined;
}

/** The job's row is no longer ours: its lease ran out and another worker took it (or finished it). */
export class LeaseLostError extends Error {
  constructor(jobId: number) {
    super(`job ${jobId}: the lease was lost to another worker; this attempt's effects are rolled back`);
    this.name = 'LeaseLostError';
  }
}

export interface JobQueueOptions {
  db: JobDatabase;
  /** '<hostname>:<pid>:<random>', unique per process. */
  workerId: string;
  leaseSeconds: number;
  /** Seconds to wait before attempt n+1 after attempt n failed. */
  backoffSeconds?: (attempts: number) => number;
}

/** min(5·2^(n-1), 600) s, ±20 % so jobs that failed together do not retry together. */
export function exponentialBackoffSeconds(attempts: number): number {
  const base = Math.min(5 * 2 ** Math.max(0, attempts - 1), 600);
  return base * (0.8 + Math.random() * 0.4);
}

/**
 * The insert that adds a job, as SQL to run inside the caller's own statement: `when` (e.g.
 * `exists (select 1 from claimed)` after a data-modifying CTE) adds it only if that holds, so a
 * state change and its job commit together in one round trip. `add` runs it on its own.
 */
export function jobInsert(
  kind: string,
  payload: object,
  options: AddJobOptions = {},
  when: RawBuilder<unknown> = sql`true`,
) {
  return sql`
    insert into jobs (kind, payload, dedupe_key, run_at, max_attempts)
    select ${kind}, ${JSON.stringify(payload)}::jsonb, ${options.dedupeKey ?? null},
           coalesce(${options.runAt ?? null}::timestamptz, now()), ${options.maxAttempts ?? 8}
    where ${when}
    on conflict (dedupe_key) do nothing`;
}

export type JobQueue = ReturnType<typeof createJobQueue>;

interface JobRow {
  id: string;
  kind: string;
  payload: unknown;
  attempts: number;
  max_attempts: number;
}

export function createJobQueue({
  db,
  workerId,
  leaseSeconds,
  backoffSeconds = exponentialBackoffSeconds,
}: JobQueueOptions) {
  const idList = (ids: readonly number[]) => sql.join(ids.map((id) => sql`${String(id)}::bigint`));

  async function fail(job: ClaimedJob, error: unknown): Promise<void> {
    const message = (error instanceof Error ? error.message : String(error)).slice(0, 2000);
    const retryInSeconds = backoffSeconds(job.attempts);
    await sql`
      update jobs set locked_by = null, locked_until = null, last_error = ${message},
        run_at = now() + make_interval(secs => ${retryInSeconds}),
        failed_at = case when attempts >= max_attempts then now() end
      where id = ${String(job.id)}::bigint and locked_by = ${workerId}`.execute(db);
  }

  return {
    workerId,
    leaseSeconds,

    async add(trx: JobDatabase, kind: string, payload: object, options: AddJobOptions = {}): Promise<void> {
      await jobInsert(kind, payload, options).execute(trx);
    },

    /** The oldest due job of these kinds, now leased to this worker; undefined when none is due. */
    async claim(kinds: readonly string[]): Promise<ClaimedJob | undefined> {
      if (kinds.length === 0) return undefined;
      for (;;) {
        const { rows } = await sql<JobRow>`
          update jobs set locked_by = ${workerId}, locked_until = now() + make_interval(secs => ${leaseSeconds}),
            attempts = attempts + 1
          where id = (
            select id from jobs
            where kind in (${sql.join([...kinds])}) and failed_at is null and run_at <= now()
              and (locked_until is null or locked_until < now())
            order by run_at, id limit 1 for update skip locked)
          returning id::text as id, kind, payload, attempts, max_attempts`.execute(db);
        const row = rows[0];
        if (!row) return undefined;
        const job: ClaimedJob = {
          id: Number(row.id),
          kind: row.kind,
          payload: row.payload,
          attempts: row.attempts,
          maxAttempts: row.max_attempts,
        };
        // A worker died holding its last attempt: that attempt counted, so the job is dead.
        if (job.attempts <= job.maxAttempts) return job;
        await fail({ ...job, attempts: job.maxAttempts }, 'the worker running the last attempt stopped');
      }
    },

    /** Renews the leases; returns the ids still ours (a missing one was taken over). */
    async heartbeat(ids: readonly number[]): Promise<number[]> {
      if (ids.length === 0) return [];
      const { rows } = await sql<{ id: string }>`
        update jobs set locked_until = now() + make_interval(secs => ${leaseSeconds})
        where id in (${idList(ids)}) and locked_by = ${workerId}
        returning id::text as id`.execute(db);
      return rows.map((row) => Number(row.id));
    },

    /** Finishes the job inside `trx`, fenced: throws LeaseLostError (rolling `trx` back) if it is no longer ours. */
    async complete(trx: JobDatabase, job: ClaimedJob): Promise<void> {
      const result =
        await sql`delete from jobs where id = ${String(job.id)}::bigint and locked_by = ${workerId}`.execute(trx);
      if (Number(result.numAffectedRows ?? 0) === 0) throw new LeaseLostError(job.id);
    },

    /** Gives the attempt up: due again after the back-off, or dead (failed_at) after max_attempts. */
    fail,

    /** Hands the jobs back at once, uncounted (SIGTERM before they could finish). */
    async release(ids: readonly number[]): Promise<void> {
      if (ids.length === 0) return;
      await sql`
        update jobs set locked_by = null, locked_until = null, attempts = greatest(attempts - 1, 0), run_at = now()
        where id in (${idList(ids)}) and locked_by = ${workerId}`.execute(db);
    },

    async summary(): Promise<JobSummary> {
      const { rows } = await sql<{
        waiting: number;
        running: number;
        oldest: number | null;
        failed: number;
        last_error: string | null;
      }>`
        select
          count(*) filter (where failed_at is null and (locked_until is null or locked_until < now()))::int as waiting,
          count(*) filter (where failed_at is null and locked_until >= now())::int as running,
          extract(epoch from now() - min(run_at) filter (
            where failed_at is null and run_at <= now() and (locked_until is null or locked_until < now())))::float8 as oldest,
          count(*) filter (where failed_at is not null)::int as failed,
          (select last_error from jobs where failed_at is not null order by failed_at desc limit 1) as last_error
        from jobs`.execute(db);
      const row = rows[0];
      return {
        waiting: row?.waiting ?? 0,
        running: row?.running ?? 0,
        oldestWaitingSeconds: Math.max(0, Math.round(row?.oldest ?? 0)),
        failed: row?.failed ?? 0,
        lastError: row?.last_error ?? undefined,
      };
    },
  };
}
