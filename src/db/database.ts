/**
 * One SQL dialect everywhere: PGlite (PostgreSQL compiled to WebAssembly) under DATA_DIR
 * when DATABASE_URL is unset, so `npm start` needs nothing installed; a real PostgreSQL
 * (Render's managed database) through `pg` when it is set.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PGliteDialect, type PGliteDialectConfig, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.ts';
import { createEmbeddedDatabase, embeddedDatabaseExists } from './createEmbeddedDatabase.ts';
import { INT8_TYPE_ID, parseInt8 } from './int8.ts';
import { lockDatabaseDirectory } from './embeddedLock.ts';
import { type ListenSource, pgliteListenSource, postgresListenSource } from './listenSource.ts';
import { migrateToLatest } from './migrations.ts';
import { compileWebAssemblyWithoutTierUp, leanPGliteOptions } from './pgliteTuning.ts';

export type AppDatabase = Kysely<Database>;

export interface DatabaseOptions {
  /** postgres:// URL; undefined selects the embedded database. */
  databaseUrl: string | undefined;
  /** Directory for the embedded database; undefined keeps it in memory (tests). */
  dataDir: string | undefined;
}

/** How to LISTEN on each open database: PGlite's client is hidden inside the dialect. */
const listenSources = new WeakMap<AppDatabase, () => ListenSource>();

/** A LISTEN connection to the database `db` (from openDatabase, before withPlugin) was opened on. */
export function listenSourceFor(db: AppDatabase): ListenSource {
  const create = listenSources.get(db);
  if (!create) throw new Error('listenSourceFor needs the database openDatabase returned');
  return create();
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

/** pg's type parsers with int8 (byte counts, COUNT(*)) read as checked numbers; see int8.ts. */
const int8AsNumber = {
  getTypeParser: ((id: number, format?: 'text' | 'binary') =>
    id === INT8_TYPE_ID && format !== 'binary'
      ? parseInt8
      : pg.types.getTypeParser(id, format)) as typeof pg.types.getTypeParser,
};
/** The same for PGlite. */
const pgliteInt8 = { parsers: { [INT8_TYPE_ID]: parseInt8 } };

function openPostgres(connectionString: string): AppDatabase {
  const pool = new pg.Pool({ connectionString, max: 10, connectionTimeoutMillis: 10_000, types: int8AsNumber });
  // An idle pooled connection that the server ends (a restart, a failover, an admin's
  // pg_terminate_backend) is emitted here; unheard, it would crash the process. pg has already
  // dropped that client, the next query opens a new one, and a query in flight fails on its own.
  pool.on('error', () => undefined);
  // pg-pool listens only on idle clients. A checked-out one with no query in flight (a
  // transaction between statements, waiting on S3) gets the server's "terminating connection"
  // as an 'error' event nobody hears, which crashed the process on every PostgreSQL restart.
  // Heard here, the client is marked unusable, its next query fails, and release drops it.
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  listenSources.set(db, () => postgresListenSource(connectionString));
  return db;
}

async function openEmbedded(dataDir: string | undefined): Promise<AppDatabase> {
  compileWebAssemblyWithoutTierUp();
  if (!dataDir) return kyselyOver(new PGlite({ ...leanPGliteOptions(), ...pgliteInt8 }), () => undefined);
  const dir = path.join(dataDir, 'pglite');
  await fs.mkdir(dir, { recursive: true });
  const lock = await lockDatabaseDirectory(dir);
  try {
    if (!embeddedDatabaseExists(dir)) await createEmbeddedDatabase(dir);
    const client = new PGlite(dir, { ...leanPGliteOptions(), ...pgliteInt8 });
    await client.waitReady;
    return kyselyOver(client, lock.release);
  } catch (error) {
    lock.release();
    throw error;
  }
}

/** Kysely on PGlite; closing the database (db.destroy()) also runs `afterClose`. */
function kyselyOver(client: PGlite, afterClose: () => void): AppDatabase {
  const closing: PGliteDialectConfig['pglite'] = {
    get closed() {
      return client.closed;
    },
    get ready() {
      return client.ready;
    },
    waitReady: client.waitReady,
    query: (query, params, options) => client.query(query, params, options),
    transaction: (callback) => client.transaction(callback),
    async close() {
      try {
        await client.close();
      } finally {
        afterClose();
      }
    },
  };
  // Kysely's own PGlite dialect (since 0.29): its adapter declares a single connection, so
  // Kysely queues queries and transactions through one mutex, as PGlite requires.
  const db = new Kysely<Database>({ dialect: new PGliteDialect({ pglite: closing }) });
  listenSources.set(db, () => pgliteListenSource(client));
  return db;
}
