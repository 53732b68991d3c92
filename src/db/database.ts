/**
 * One SQL dialect everywhere: PGlite (PostgreSQL compiled to WebAssembly) under DATA_DIR
 * when DATABASE_URL is unset, so `npm start` needs nothing installed; a real PostgreSQL
 * (Render's managed database) through `pg` when it is set.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { Kysely, PostgresDialect } from 'kysely';
import { PGlite } from '@electric-sql/pglite';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import type { Database } from './schema.ts';
import { migrateToLatest } from './migrations.ts';

export type AppDatabase = Kysely<Database>;

export interface DatabaseOptions {
  /** postgres:// URL; undefined selects the embedded database. */
  databaseUrl: string | undefined;
  /** Directory for the embedded database; undefined keeps it in memory (tests). */
  dataDir: string | undefined;
}

export async function openDatabase({ databaseUrl, dataDir }: DatabaseOptions): Promise<AppDatabase> {
  const db = databaseUrl ? openPostgres(databaseUrl) : await openEmbedded(dataDir);
  try {
    await migrateToLatest(db as Kysely<unknown>);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return db;
}

function openPostgres(connectionString: string): AppDatabase {
  const pool = new pg.Pool({ connectionString, max: 10, connectionTimeoutMillis: 10_000 });
  // An idle pooled connection that the server ends (a restart, a failover, an admin's
  // pg_terminate_backend) is emitted here; unheard, it would crash the process. pg has already
  // dropped that client, the next query opens a new one, and a query in flight fails on its own.
  pool.on('error', () => undefined);
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

async function openEmbedded(dataDir: string | undefined): Promise<AppDatabase> {
  let client: PGlite;
  if (dataDir) {
    const dir = path.join(dataDir, 'pglite');
    await fs.mkdir(dir, { recursive: true });
    client = new PGlite(dir);
  } else {
    client = new PGlite();
  }
  await client.waitReady;
  return new Kysely<Database>({ dialect: new PGliteDialect(client) });
}
