/**
 * The job queue on both databases (PGlite in memory always; PostgreSQL when TEST_DATABASE_URL
 * is set): claim order, dedupe, leases (expiry → re-claim, heartbeat keeps it), the fence
 * (a lost lease rolls the effect back), back-off, dead after max_attempts, release, periodic
 * jobs exactly once per period, and the runner end to end with NOTIFY wake-up.
 */
import { sql } from 'kysely';
import { beforeEach, describe, expect, it } from 'vitest';
import type { AppDatabase } from '../../src/db/database.ts';
import { createJobQueue, exponentialBackoffSeconds, LeaseLostError } from '../../src/jobs/jobQueue.ts';
import { createJobRunner, type JobHandler } from '../../src/jobs/jobRunner.ts';
import { createJobSchedule } from '../../src/jobs/jobSchedule.ts';
import { createJobWake } from '../../src/jobs/jobWake.ts';
import { createLogger } from '../../src/logger.ts';
import { availableDatabases } from '../support/testApp.ts';
import { useFreshDatabase } from '../support/freshDatabase.ts';

const logger = createLogger({ level: 'silent' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(availableDatabases(Boolean(process.env.TEST_DATABASE_URL)))('job queue on %s', (kind) => {
  let db: AppDatabase;
  useFreshDatabase(kind, (opened) => (db = opened));
  beforeEach(async () => {
    await sql`delete from jobs`.execute(db);
    await sql`delete from job_schedules`.execute(db);
    await sql`drop table if exists job_effects`.execute(db);
    await sql`create table job_effects (job_id bigint not null, note text)`.execute(db);
  });

  const queueAs = (workerId: string, leaseSeconds = 30, backoff = () => 0) =>
    createJobQueue({ db, workerId, leaseSeconds, backoffSeconds: backoff });
  const effects = async () => (await sql<{ note: string }>`select note from job_effects`.execute(db)).rows;

  it('claims due jobs oldest first, only of the kinds asked, and never one already leased', async () => {
    const a = queueAs('a');
    await a.add(db, 'one', { n: 1 });
    await a.add(db, 'other', { n: 2 });
    await a.add(db, 'one', { n: 3 });
    await a.add(db, 'one', { n: 4 }, { runAt: new Date(Date.now() + 60_000) });
    const first = await a.claim(['one']);
    expect(first).toMatchObject({ kind: 'one', payload: { n: 1 }, attempts: 1 });
    expect(await queueAs('b').claim(['one'])).toMatchObject({ payload: { n: 3 } });
    expect(await queueAs('c').claim(['one'])).toBeUndefined();
    expect(await a.claim(['other'])).toMatchObject({ payload: { n: 2 } });
  });

  it('adds one job per dedupe key, and only inside a transaction that commits', async () => {
    const a = queueAs('a');
    await a.add(db, 'gc', {}, { dedupeKey: 'gc:today' });
    await a.add(db, 'gc', {}, { dedupeKey: 'gc:today' });
    await expect(
      db.transaction().execute(async (trx) => {
        await a.add(trx, 'rolled-back', {});
        throw new Error('the caller failed');
      }),
    ).rejects.toThrow('the caller failed');
    const { rows } = await sql<{ kind: string }>`select kind from jobs`.execute(db);
    expect(rows.map((row) => row.kind)).toEqual(['gc']);
  });

  it('gives an expired lease to another worker, fences the old holder, and keeps a renewed one', async () => {
    const a = queueAs('a', 1);
    const b = queueAs('b', 1);
    await a.add(db, 'k', {});
    await a.add(db, 'k', {});
    const kept = await a.claim(['k']);
    const lost = await a.claim(['k']);
    if (!kept || !lost) throw new Error('both jobs should be claimed');
    await sleep(600);
    expect(await a.heartbeat([kept.id])).toEqual([kept.id]);
    await sleep(700);
    // `lost` was not renewed: its lease ran out; `kept` was renewed 700 ms ago for 1 s.
    const taken = await b.claim(['k']);
    expect(taken).toMatchObject({ id: lost.id, attempts: 2 });
    expect(await a.heartbeat([kept.id, lost.id])).toEqual([kept.id]);
    // The old holder's effect and finish are one transaction, and the fence rolls both back.
    await expect(
      db.transaction().execute(async (trx) => {
        await sql`insert into job_effects values (${lost.id}, 'from a')`.execute(trx);
        await a.complete(trx, lost);
      }),
    ).rejects.toBeInstanceOf(LeaseLostError);
    await db.transaction().execute(async (trx) => {
      await sql`insert into job_effects values (${lost.id}, 'from b')`.execute(trx);
      await b.complete(trx, taken ?? lost);
    });
    expect(await effects()).toEqual([{ note: 'from b' }]);
  });

  it('retries after the back-off and marks the job dead after max_attempts', async () => {
    const a = queueAs('a', 30, () => 0.3);
    await a.add(db, 'flaky', {}, { maxAttempts: 2 });
    const first = await a.claim(['flaky']);
    if (!first) throw new Error('claimable');
    await a.fail(first, new Error('S3 said no'));
    expect(await a.claim(['flaky'])).toBeUndefined();
    await sleep(400);
    const second = await a.claim(['flaky']);
    expect(second).toMatchObject({ attempts: 2 });
    if (!second) throw new Error('claimable');
    await a.fail(second, new Error('S3 said no again'));
    await sleep(400);
    expect(await a.claim(['flaky'])).toBeUndefined();
    expect(await a.summary()).toMatchObject({ waiting: 0, running: 0, failed: 1, lastError: 'S3 said no again' });
  });

  it('back-off grows from 5 s, doubles, and stops at 10 minutes, within ±20 %', () => {
    for (const [attempt, base] of [
      [1, 5],
      [2, 10],
      [4, 40],
      [12, 600],
    ] as const) {
      const seconds = exponentialBackoffSeconds(attempt);
      expect(seconds).toBeGreaterThanOrEqual(base * 0.8);
      expect(seconds).toBeLessThanOrEqual(base * 1.2);
    }
  });

  it('release hands a job back at once without counting the attempt', async () => {
    const a = queueAs('a');
    await a.add(db, 'k', {});
    const job = await a.claim(['k']);
    if (!job) throw new Error('claimable');
    expect(await a.summary()).toMatchObject({ waiting: 0, running: 1 });
    await a.release([job.id]);
    expect(await queueAs('b').claim(['k'])).toMatchObject({ id: job.id, attempts: 1 });
  });

  it('a job whose worker died on its last attempt is dead, not run again', async () => {
    const a = queueAs('a', 1);
    await a.add(db, 'k', {}, { maxAttempts: 1 });
    expect(await a.claim(['k'])).toBeDefined();
    await sleep(1_200);
    expect(await queueAs('b').claim(['k'])).toBeUndefined();
    expect(await a.summary()).toMatchObject({ failed: 1 });
  });

  it('periodic jobs are added once per period however many workers tick', async () => {
    const schedules = ['a', 'b', 'c'].map((id) =>
      createJobSchedule({ db, queue: queueAs(id), periodic: [{ kind: 'storage-gc', everyMs: 800 }] }),
    );
    const firstRound = await Promise.all(schedules.map((schedule) => schedule.tick()));
    expect(firstRound.flat()).toEqual(['storage-gc']);
    expect((await Promise.all(schedules.map((schedule) => schedule.tick()))).flat()).toEqual([]);
    await sleep(900);
    expect((await Promise.all(schedules.map((schedule) => schedule.tick()))).flat()).toEqual(['storage-gc']);
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from jobs where kind = 'storage-gc'`.execute(
      db,
    );
    expect(rows[0]?.n).toBe(2);
  });

  it('the runner wakes on notify(), runs each job once, retries a failure, and stops cleanly', async () => {
    const queue = queueAs('runner', 3, () => 0);
    const wake = createJobWake();
    const seen: string[] = [];
    let failOnce = true;
    const handlers: JobHandler<{ n: number }>[] = [
      {
        kind: 'write',
        async run(job, ctx) {
          if (job.payload.n === 2 && failOnce) {
            failOnce = false;
            throw new Error('first attempt fails');
          }
          await db.transaction().execute(async (trx) => {
            await sql`insert into job_effects values (${job.id}, ${`n${job.payload.n}`})`.execute(trx);
            await ctx.complete(trx);
          });
          seen.push(`n${job.payload.n}#${job.attempts}`);
        },
      },
    ];
    const runner = createJobRunner({ queue, db, handlers, concurrency: 2, wake, logger, pollMs: 60_000 });
    runner.start();
    await sleep(100);
    for (const n of [1, 2, 3]) await queue.add(db, 'write', { n });
    const started = Date.now();
    wake.notify();
    while ((await effects()).length < 3 && Date.now() - started < 5_000) {
      wake.notify();
      await sleep(50);
    }
    await runner.stop(Date.now() + 4_000);
    expect((await effects()).map((row) => row.note).sort()).toEqual(['n1', 'n2', 'n3']);
    expect(seen).toContain('n2#2');
    expect(await queue.summary()).toMatchObject({ waiting: 0, running: 0, failed: 0 });
  });

  it('stop() past the grace releases a job still running, and its late commit is refused', async () => {
    const queue = queueAs('slow', 30);
    const wake = createJobWake();
    let late: Promise<unknown> | undefined;
    const handlers: JobHandler[] = [
      {
        kind: 'slow',
        async run(job, ctx) {
          await new Promise((resolve) => setTimeout(resolve, 3_500)); // ignores its signal on purpose
          late = db
            .transaction()
            .execute(async (trx) => {
              await sql`insert into job_effects values (${job.id}, 'late')`.execute(trx);
              await ctx.complete(trx);
            })
            .catch((error: unknown) => error);
          await late;
        },
      },
    ];
    const runner = createJobRunner({ queue, db, handlers, concurrency: 1, wake, logger, pollMs: 50 });
    await queue.add(db, 'slow', {});
    runner.start();
    await sleep(300);
    expect(runner.inHand()).toBe(1);
    const stopping = Date.now();
    await runner.stop(Date.now() + 1_500);
    expect(Date.now() - stopping).toBeLessThan(1_400);
    const { rows } = await sql<{
      locked_by: string | null;
      attempts: number;
    }>`select locked_by, attempts from jobs`.execute(db);
    expect(rows).toEqual([{ locked_by: null, attempts: 0 }]);
    await sleep(3_500);
    expect(await late).toBeInstanceOf(LeaseLostError);
    expect(await effects()).toEqual([]);
  });
});
