/**
 * PostgreSQL ends a connection the app has checked out of the pool but is not querying on at
 * that moment — a transaction waiting on S3 or the image pipeline between two statements —
 * when it restarts or fails over. pg-pool listens for errors only on idle clients, so the
 * server's "terminating connection" message, arriving with no query to fail, was emitted as
 * an unheard 'error' event: the soak run's PostgreSQL restart crashed the app (and the worker)
 * with `error: terminating connection due to administrator command`. Now the transaction fails,
 * the broken client leaves the pool, and the next query works.
 */
import { sql } from 'kysely';
import pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/database.ts';
import { createTestDatabaseUrl } from '../support/postgres.ts';

describe.skipIf(!process.env.TEST_DATABASE_URL)('a checked-out connection lost (needs TEST_DATABASE_URL)', () => {
  it('fails the transaction that held it instead of crashing the process, and the next query succeeds', async () => {
    const database = (await createTestDatabaseUrl())!;
    const db = await openDatabase({ databaseUrl: database.url, dataDir: undefined });
    const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await admin.connect();
    const uncaught: unknown[] = [];
    const keep = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', keep);
    try {
      const transaction = db.transaction().execute(async (trx) => {
        await sql`select 1`.execute(trx);
        // Between two statements, as while an upload's bytes go to S3: no query is in flight.
        await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [
          new URL(database.url).pathname.slice(1),
        ]);
        await sleep(300);
        await sql`select 2`.execute(trx);
      });
      await expect(transaction).rejects.toThrow();
      expect(uncaught).toEqual([]);
      const { rows } = await sql<{ answer: number }>`select 42 as answer`.execute(db);
      expect(rows[0]!.answer).toBe(42);
    } finally {
      process.removeListener('uncaughtException', keep);
      await admin.end();
      await db.destroy();
      await database.drop();
    }
  });
});
