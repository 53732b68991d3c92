/**
 * PostgreSQL ends an idle pooled connection (a restart, a failover, pg_terminate_backend): the
 * app must not crash on the pool's error event, and the next query works on a new connection.
 */
import { sql } from 'kysely';
import pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/database.ts';
import { createTestDatabaseUrl } from '../support/postgres.ts';

describe.skipIf(!process.env.TEST_DATABASE_URL)('PostgreSQL connection loss (needs TEST_DATABASE_URL)', () => {
  it('survives the server terminating its idle connections, and the next query succeeds', async () => {
    const database = (await createTestDatabaseUrl())!;
    const db = await openDatabase({ databaseUrl: database.url, dataDir: undefined });
    const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await admin.connect();
    try {
      await sql`select 1`.execute(db);
      const terminated = await admin.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1',
        [new URL(database.url).pathname.slice(1)],
      );
      expect(terminated.rowCount).toBeGreaterThan(0);
      await sleep(200); // the pool's idle client hears of it now; unhandled, this would fail the run
      const { rows } = await sql<{ answer: number }>`select 42 as answer`.execute(db);
      expect(rows[0]!.answer).toBe(42);
    } finally {
      await admin.end();
      await db.destroy();
      await database.drop();
    }
  });
});
