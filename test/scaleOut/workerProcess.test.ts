/**
 * The worker as a real process on PostgreSQL (test/support/workerChild.ts): SIGKILLed in the
 * middle of a job, the job comes back after its lease and completes exactly once (one effect
 * row); SIGKILLed right after the commit, it never runs again; SIGTERMed while a job runs, it
 * hands the job back at once, exits 0 within the grace period, and the next worker finishes it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AppDatabase, openDatabase } from '../../src/db/database.ts';
import { createJobQueue } from '../../src/jobs/jobQueue.ts';
import { createTestDatabaseUrl, type TestDatabase } from '../support/postgres.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(!process.env.TEST_DATABASE_URL)('the worker process (needs PostgreSQL: TEST_DATABASE_URL)', () => {
  let database: TestDatabase;
  let db: AppDatabase;
  let localDir: string;
  const children = new Set<ChildProcess>();

  function startWorker(env: Record<string, string> = {}) {
    const child = spawn(process.execPath, ['test/support/workerChild.ts'], {
      env: {
        ...process.env,
        NODE_ENV: 'test',
        DATABASE_URL: database.url,
        WORKER: 'external',
        JOB_LEASE_SECONDS: '2',
        SHUTDOWN_GRACE_SECONDS: '4',
        LOCAL_STORAGE_DIR: localDir,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    const said = async (text: string, ms = 15_000) => {
      const started = Date.now();
      while (!output.includes(text)) {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`worker exited:\n${output}`);
        if (Date.now() - started > ms) throw new Error(`worker did not say "${text}":\n${output}`);
        await sleep(25);
      }
    };
    return { child, exited, said, output: () => output };
  }

  const effects = async () =>
    (await sql<{ job_id: string; worker: number }>`select job_id::text, worker from job_effects`.execute(db)).rows;
  const jobs = async () =>
    (await sql<{ locked_by: string | null; attempts: number }>`select locked_by, attempts from jobs`.execute(db)).rows;
  const addJob = () => createJobQueue({ db, workerId: 'test', leaseSeconds: 2 }).add(db, 'test-effect', { note: 'x' });
  async function until(check: () => Promise<boolean>, ms: number): Promise<void> {
    const started = Date.now();
    while (!(await check())) {
      if (Date.now() - started > ms) throw new Error(`not within ${ms} ms`);
      await sleep(50);
    }
  }

  beforeAll(async () => {
    database = (await createTestDatabaseUrl()) as TestDatabase;
    db = await openDatabase({ databaseUrl: database.url, dataDir: undefined });
    await sql`create table job_effects (job_id bigint not null, note text, worker integer)`.execute(db);
    localDir = await fs.mkdtemp(path.join(os.tmpdir(), 'vv-worker-'));
  });
  beforeEach(async () => {
    await sql`delete from job_effects`.execute(db);
    await sql`delete from jobs`.execute(db);
  });
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await db?.destroy();
    await database?.drop();
    await fs.rm(localDir, { recursive: true, force: true });
  });

  it('SIGKILLed after writing, before committing: retried after the lease, one effect row', async () => {
    const doomed = startWorker({ CRASH_AT: 'written' });
    await doomed.said('ready');
    await addJob();
    const [, signal] = await doomed.exited;
    expect(signal).toBe('SIGKILL');
    expect(await effects()).toEqual([]);
    const next = startWorker();
    await next.said('ready');
    await until(async () => (await jobs()).length === 0, 15_000);
    const rows = await effects();
    expect(rows).toHaveLength(1);
    expect(rows[0]?.worker).toBe(next.child.pid);
    next.child.kill('SIGTERM');
    expect((await next.exited)[0]).toBe(0);
  }, 90_000);

  it('SIGKILLed right after the commit: the job is gone and never runs again', async () => {
    const doomed = startWorker({ CRASH_AT: 'committed' });
    await doomed.said('ready');
    await addJob();
    expect((await doomed.exited)[1]).toBe('SIGKILL');
    const next = startWorker();
    await next.said('ready');
    await sleep(3_000); // past the 2 s lease
    expect(await jobs()).toEqual([]);
    expect(await effects()).toHaveLength(1);
    next.child.kill('SIGTERM');
    await next.exited;
  }, 90_000);

  it('SIGTERM while a job runs: the job goes back unlocked and uncounted, exit 0 within the grace, the next worker finishes it', async () => {
    const stopping = startWorker({ PAUSE_AT: 'started', SHUTDOWN_GRACE_SECONDS: '4' });
    await stopping.said('ready');
    await addJob();
    await stopping.said('paused started');
    const sentAt = Date.now();
    stopping.child.kill('SIGTERM');
    const [code] = await stopping.exited;
    expect(code).toBe(0);
    expect(Date.now() - sentAt).toBeLessThan(5_000);
    expect(await jobs()).toEqual([{ locked_by: null, attempts: 0 }]);
    const next = startWorker();
    await until(async () => (await jobs()).length === 0, 10_000);
    expect(await effects()).toHaveLength(1);
    next.child.kill('SIGTERM');
    await next.exited;
  }, 90_000);
});
