/**
 * Runs queued jobs in the test's own process with the real job runner (src/jobs/jobRunner.ts),
 * until the `jobs` table is empty or holds only dead jobs, then stops it. Retries come back at
 * once (no back-off), so a test can provoke a failed attempt and see the retry.
 */
import { sql } from 'kysely';
import type { AppDatabase } from '../../src/db/database.ts';
import { type ClaimedJob, createJobQueue } from '../../src/jobs/jobQueue.ts';
import { createJobRunner, type JobHandler } from '../../src/jobs/jobRunner.ts';
import { createJobWake } from '../../src/jobs/jobWake.ts';
import type { Logger } from '../../src/logger.ts';

export async function drainJobs(
  db: AppDatabase,
  // biome-ignore lint/suspicious/noExplicitAny: handlers of different payload types share one list
  handlers: JobHandler<any>[],
  logger: Logger,
  options: { onStep?: (step: string, job: ClaimedJob) => Promise<void>; timeoutMs?: number } = {},
): Promise<void> {
  const queue = createJobQueue({ db, workerId: 'test-drain', leaseSeconds: 30, backoffSeconds: () => 0 });
  const runner = createJobRunner({
    queue,
    db,
    handlers,
    concurrency: 1,
    wake: createJobWake(),
    logger,
    pollMs: 20,
    onStep: options.onStep,
  });
  runner.start();
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  try {
    for (;;) {
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from jobs where failed_at is null`.execute(
        db,
      );
      if (rows[0]?.n === 0 && runner.inHand() === 0) return;
      if (Date.now() > deadline) throw new Error('the queued jobs did not finish in time');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    await runner.stop(Date.now() + 3_000);
  }
}
