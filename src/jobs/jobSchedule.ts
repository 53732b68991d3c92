/**
 * Periodic jobs, cron-like: each schedule is a `job_schedules` row holding when it is next
 * due. tick() moves a due row's next_run_at forward and adds its job in one transaction, with
 * the period in the dedupe key, so however many workers tick at once there is exactly one job
 * per period (the conditional update lets one of them through; the others update no row).
 */
import { sql } from 'kysely';
import type { JobDatabase, JobQueue } from './jobQueue.ts';

export interface PeriodicJob {
  /** Names the schedule and is the job's kind. */
  kind: string;
  everyMs: number;
  payload?: object;
}

export interface JobSchedule {
  /** Adds the jobs that are due; returns the kinds added. */
  tick(): Promise<string[]>;
}

export function createJobSchedule({
  db,
  queue,
  periodic,
}: {
  db: JobDatabase;
  queue: Pick<JobQueue, 'add'>;
  periodic: readonly PeriodicJob[];
}): JobSchedule {
  return {
    async tick() {
      const added: string[] = [];
      for (const job of periodic) {
        const ran = await db.transaction().execute(async (trx) => {
          // A new schedule is due at once: its first run happens at the first tick.
          await sql`insert into job_schedules (name, next_run_at) values (${job.kind}, now())
                    on conflict (name) do nothing`.execute(trx);
          const { rows } = await sql<{ period: string }>`
            update job_schedules set next_run_at = now() + make_interval(secs => ${job.everyMs / 1000})
            where name = ${job.kind} and next_run_at <= now()
            returning to_char(now() at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.MS') as period`.execute(trx);
          // To the millisecond: two runs of a sub-second schedule within one clock second must not share a key.
          const period = rows[0]?.period;
          if (!period) return false;
          await queue.add(trx, job.kind, job.payload ?? {}, { dedupeKey: `${job.kind}:${period}` });
          return true;
        });
        if (ran) added.push(job.kind);
      }
      return added;
    },
  };
}
