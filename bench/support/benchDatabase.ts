/**
 * A fresh PostgreSQL database for one app run, created inside the server BENCH_DATABASE_URL
 * points at and dropped afterwards, so the run starts empty and leaves nothing behind.
 */
import { createThrowawayDatabase, type TestDatabase } from '../../test/support/postgres.ts';

export type BenchDatabase = TestDatabase;

export function createBenchDatabase(adminUrl: string): Promise<BenchDatabase> {
  return createThrowawayDatabase(adminUrl, 'vv_bench');
}
