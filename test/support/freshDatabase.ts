/**
 * One empty, migrated database per describe block, of the kind the block runs on: PGlite in
 * memory, or a throwaway PostgreSQL database (TEST_DATABASE_URL). Opened before the block's
 * tests and closed and dropped after them, so blocks never see each other's rows.
 */
import { afterAll, beforeAll } from 'vitest';
import { type AppDatabase, openDatabase } from '../../src/db/database.ts';
import { createTestDatabaseUrl, type TestDatabase } from './postgres.ts';
import type { TestDatabaseKind } from './testApp.ts';

/** Call inside describe(); `opened` receives the database before the first test runs. */
export function useFreshDatabase(kind: TestDatabaseKind, opened: (db: AppDatabase) => void): void {
  let db: AppDatabase | undefined;
  let postgres: TestDatabase | undefined;
  beforeAll(async () => {
    postgres = kind === 'postgresql' ? await createTestDatabaseUrl() : undefined;
    if (kind === 'postgresql' && !postgres) throw new Error('TEST_DATABASE_URL is not set');
    db = await openDatabase({ databaseUrl: postgres?.url, dataDir: undefined });
    opened(db);
  });
  afterAll(async () => {
    await db?.destroy();
    await postgres?.drop();
  });
}
