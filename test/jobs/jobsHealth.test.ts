/**
 * /healthz of an instance shows the shared job queue (with HEALTHZ_TOKEN only): jobs waiting
 * and running, the oldest waiting job's age, jobs failed for good with the last error, the
 * workers seen (here the inline worker, WORKER's default), and the instance's own id.
 */
import { sql } from 'kysely';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, HEALTHZ_AUTH, type TestApp } from '../support/testApp.ts';

describe('/healthz job figures', () => {
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await createTestApp();
    await testApp.startBackgroundWork();
  });
  afterAll(async () => testApp?.close());

  it('shows the queue and the inline worker to the token holder, and only the status to anyone else', async () => {
    await sql`insert into jobs (kind, run_at) values ('nobody-handles-this', now() - interval '2 minutes')`.execute(
      testApp.db,
    );
    await new Promise((resolve) => setTimeout(resolve, 3_100)); // past the figures' cache
    const health = await request(testApp.app).get('/healthz').set(HEALTHZ_AUTH);
    expect(health.status).toBe(200);
    expect(health.body.instance).toMatch(/:\d+$/);
    expect(health.body.jobs).toMatchObject({ waiting: 1, running: 0, failed: 0 });
    expect(health.body.jobs.oldestWaitingSeconds).toBeGreaterThanOrEqual(119);
    expect(health.body.jobs.workers).toEqual([expect.objectContaining({ mode: 'inline' })]);
    expect((await request(testApp.app).get('/healthz')).body).toEqual({ status: health.body.status });
  });

  it('turns degraded, with the last error, when a job failed for good', async () => {
    await sql`insert into jobs (kind, failed_at, last_error, attempts) values ('storage-gc', now(), 'S3 said AccessDenied', 8)`.execute(
      testApp.db,
    );
    await new Promise((resolve) => setTimeout(resolve, 3_100));
    const health = await request(testApp.app).get('/healthz').set(HEALTHZ_AUTH);
    expect(health.body.status).toBe('degraded');
    expect(health.body.reasons).toContain('1 job(s) failed for good; the last error: S3 said AccessDenied');
  });
});
