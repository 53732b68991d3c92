/**
 * Throwaway PostgreSQL databases for tests, created inside the server that TEST_DATABASE_URL
 * points at (CI starts one in .ci/run). Each caller gets its own database, so test files
 * running in parallel never see each other's rows.
 */
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

export interface TestDatabase {
  url: string;
  /** Disconnects everyone still using the database and drops it. Safe to call twice. */
  drop(): Promise<void>;
}

const CONNECT_TIMEOUT_MS = 10_000;

/**
 * Creates an empty database `vv_test_<random>` and returns its URL, or undefined when
 * TEST_DATABASE_URL is not set. Throws when the server cannot be reached.
 */
export async function createTestDatabaseUrl(): Promise<TestDatabase | undefined> {
  const adminUrl = process.env.TEST_DATABASE_URL;
  return adminUrl ? createThrowawayDatabase(adminUrl, 'vv_test') : undefined;
}

/** An empty database `<prefix>_<random>` inside the server `adminUrl` reaches (tests and benchmarks). */
export async function createThrowawayDatabase(adminUrl: string, prefix: 'vv_test' | 'vv_bench'): Promise<TestDatabase> {
  // Generated from hex only, so it is safe to splice into the identifier position.
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await withClient(adminUrl, (client) => client.query(`CREATE DATABASE ${name}`));

  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    url: url.toString(),
    drop: async () => {
      if (dropped) return;
      dropped = true;
      await withClient(adminUrl, async (client) => {
        await client.query(
          'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
          [name],
        );
        await client.query(`DROP DATABASE IF EXISTS ${name}`);
      });
    },
  };
}

async function withClient<T>(connectionString: string, use: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}
