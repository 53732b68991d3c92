/**
 * Schema migrations, kept in code so the app and the tests apply exactly the same ones.
 * They run at start-up; Kysely's migrator records what ran, so running them again is a no-op,
 * and it takes a lock, so several instances starting together do not race. The migrations
 * themselves are in two files by era; their names order them (0001…), not the files.
 */
import type { Kysely } from 'kysely';
import { Migrator, type Migration, type MigrationProvider } from 'kysely/migration';
import { scaleOutMigrations } from './scaleOutMigrations.ts';
import { singleInstanceMigrations } from './singleInstanceMigrations.ts';

const migrations: Record<string, Migration> = { ...singleInstanceMigrations, ...scaleOutMigrations };

const provider: MigrationProvider = { getMigrations: async () => migrations };

export async function migrateToLatest(db: Kysely<unknown>): Promise<void> {
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(`Database migration ${failed?.migrationName ?? ''} failed`, { cause: error });
  }
}
