/**
 * The soak's wait before its audits (bench/soak/storageAudit.ts), against real PostgreSQL: a
 * job the worker still owes holds it — a direct image retried once a killed worker's lease runs
 * out writes its objects then, and an audit meanwhile would count them as having no row — while
 * the periodic storage-gc job and a job that has failed for good do not.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntilSettled } from '../../bench/soak/storageAudit.ts';
import { type AppDatabase, openDatabase } from '../../src/db/database.ts';
import { createTestDatabaseUrl, type TestDatabase } from '../support/postgres.ts';

describe.skipIf(!process.env.TEST_DATABASE_URL)("the soak's settle wait (needs PostgreSQL: TEST_DATABASE_URL)", () => {
  let database: TestDatabase;
  let db: AppDatabase;

  beforeAll(async () => {
    database = (await createTestDatabaseUrl()) as TestDatabase;
    db = await openDatabase({ databaseUrl: database.url, dataDir: undefined });
  });
  afterAll(async () => {
    await db?.destroy();
    await database?.drop();
  });

  const addJob = async (kind: string, failed = false) =>
    (
      await sql<{ id: string }>`insert into jobs (kind, payload, failed_at)
        values (${kind}, '{}'::jsonb, ${failed ? new Date() : null}) returning id`.execute(db)
    ).rows[0]!.id;

  it('waits while a direct-image job is owed, and settles once it is done', async () => {
    expect(await waitUntilSettled(database.url, 500)).toBe(true);
    await addJob('storage-gc');
    await addJob('direct-image', true);
    expect(await waitUntilSettled(database.url, 500)).toBe(true);

    const owed = await addJob('direct-image');
    expect(await waitUntilSettled(database.url, 1_500)).toBe(false);
    const startedAt = Date.now();
    setTimeout(() => void sql`delete from jobs where id = ${owed}::bigint`.execute(db), 1_500);
    expect(await waitUntilSettled(database.url, 10_000)).toBe(true);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(1_400);
  });
});
